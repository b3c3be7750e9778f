// Pivot (docs/analysis.md): from one seed indicator (a leaked
// access key, an attacker IP or a principal), follow what the attacker created
// and used until nothing new appears, explaining every hop.
//
// Everything is SQL over indexed columns (events by access key, ARN, IP; by
// user name and session issuer in one pass over the events) plus the
// event_refs side table (credentials issued by a call, AssumeRole targets,
// sourceIdentity, the user or role an IAM call acted on); records are read
// only for the few events that can create something (CreateAccessKey,
// CreateUser, Create/UpdateLoginProfile, CreateRole, UpdateAssumeRolePolicy,
// AssumeRole*, GetSessionToken, GetFederationToken).
//
// Attacker events are held compactly (a few dictionary ids per event, one
// array per column, read with json_group_array in one pass per query); their
// eventIDs and summaries are read only for the events a result shows: the
// earliest `eventLimit` by time (default 1,000) and every event an indicator
// or a context entry names. The result always counts them all (eventCount,
// per hop, per indicator); allEventIds lists every eventID.
//
// The rules (also returned with every result, see PIVOT_RULES):
//  1. Attacker identities are followed completely: the seed; access keys
//     created by an attacker event (CreateAccessKey) or issued to one (STS
//     credentials); IAM users and roles the attacker created; the role
//     sessions and federated users issued to it; sessions carrying a
//     sourceIdentity it set.
//  2. Existing identities the attacker touched are followed only as far as the
//     touch reaches: a user whose console password it set or reset -> that
//     user's ConsoleLogin events after the change; a role whose trust policy it
//     changed -> AssumeRole calls into it afterwards by attacker identities or
//     by callers from accounts outside the case.
//  3. A principal seen acting in an attacker event but not created by the
//     attacker (the owner of a stolen key, a hijacked root) is "compromised":
//     reported, never followed as a whole (its owner's own activity is not
//     the attacker's).
//  4. A public source IP of an attacker event is followed only when every
//     event from it in the case is by an attacker identity or a compromised
//     principal. An IP also used by any other principal (office NAT, VPN,
//     anonymised test data) is reported as context, not followed. Private
//     addresses and AWS service names ("ec2.amazonaws.com", "AWS Internal")
//     are never followed.
//  5. User agents are reported (with how many other principals use them) and
//     never followed: common tools share the same strings.
//  6. The event that created the seed (key, user or role) is reported as
//     context; it is followed only with followCreators, because the creator
//     of a later-leaked key is usually its legitimate administrator.
//
// The folder: rules.ts (this: the rules and options), state.ts (what the pivot
// knows: attacker events as compact columns, identities followed, indicators,
// context), jobs.ts (the events each followed identity pulls in), derive.ts
// (what attacker events created or were issued; rule 6's creators),
// addresses.ts (rules 4 and 5: addresses and user agents), result.ts (counts
// and the events listed), index.ts (the loop). Its SQL is
// electron/case/data/pivot.ts.

export const PIVOT_UNIT = { name: 'pivot', version: '1.1.0' } as const;

export const PIVOT_RULES = [
  'Attacker identities are followed completely: the seed; access keys created by (CreateAccessKey) or issued to (STS credentials) attacker events; IAM users and roles the attacker created; role sessions and federated users issued to it; sessions carrying a sourceIdentity it set.',
  "Existing identities the attacker touched are followed only as far as the touch reaches: a user whose console password it set or reset -> that user's ConsoleLogin events afterwards; a role whose trust policy it changed -> later AssumeRole calls into it by attacker identities or by callers from accounts outside the case.",
  'A principal acting in an attacker event but not created by the attacker (the owner of a stolen key, a hijacked root user) is reported as compromised and never followed as a whole.',
  'A public source IP of an attacker event is followed only when every event from it in the case is by an attacker identity or a compromised principal; an IP also used by any other principal is reported as context. Private addresses and AWS service names are never followed.',
  'User agents are reported with how many other principals use them, never followed.',
  'The event that created the seed is reported as context; it is followed only with followCreators.',
];

export interface PivotOptions {
  /** Stop after this many attacker events (the result says truncated). Default 100,000. */
  maxEvents?: number;
  /** Follow the session that created the seed key/user/role (rule 6). */
  followCreators?: boolean;
  /** Who builds the event index when it is behind (custody actor). */
  actor?: string;
  /** Only events at or after / at or before these times count as the attacker's (e.g. from the first use of a leaked key from an unknown address). */
  since?: string;
  until?: string;
  /** List at most this many attacker events in `events` (the earliest by time; eventCount counts them all). Default 1,000; Infinity for every one. */
  eventLimit?: number;
  /** Also return the eventID of every attacker event (`eventIds`), e.g. to filter a timeline by them. */
  allEventIds?: boolean;
}
