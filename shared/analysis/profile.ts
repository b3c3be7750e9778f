// A behaviour profile of one principal, access key or address (README.md, "Addresses and profiles"):
// everything it did over the chosen time, with a split before/after a chosen
// moment (the suspected compromise) so that what is new stands out.
import type { EnrichmentSource, IpInfo } from './enrichment.ts';

export type ProfileKind = 'principal' | 'key' | 'ip' | 'account';

/** One value seen in the profile's events, with counts either side of the split. */
export interface ProfileItem {
  value: string;
  count: number;
  first: string | null;
  last: string | null;
  /** Events before the split (all of them when there is no split). */
  before: number;
  /** Events at or after the split (0 when there is no split). */
  after: number;
  /** Seen only after the split: what the profile exists to show. */
  isNew: boolean;
}

export interface ProfileAddress extends ProfileItem {
  /** The enrichment answer in force (null: not enriched). */
  info: IpInfo | null;
}

export interface ProfileRole extends ProfileItem {
  /** Who assumed it (for roles this subject assumed: the subject itself). */
  by: string[];
}

export interface ProfileFinding {
  id: string;
  checkId: string;
  title: string;
  severity: string;
  /** How many of its events belong to this profile. */
  events: number;
}

export interface Profile {
  subject: { kind: ProfileKind; value: string };
  since: string | null;
  until: string | null;
  split: string | null;
  eventCount: number;
  before: number;
  after: number;
  first: string | null;
  last: string | null;
  /** ARNs (users, role sessions) that acted with this key / from this address / as this principal. */
  principals: ProfileItem[];
  keys: ProfileItem[];
  /** Role sessions (assumed-role ARNs). */
  sessions: ProfileItem[];
  /** Roles this subject assumed (AssumeRole* calls it made). */
  rolesAssumed: ProfileRole[];
  /** When the subject is a role: who assumed it. */
  assumedBy: ProfileItem[];
  addresses: ProfileAddress[];
  userAgents: ProfileItem[];
  regions: ProfileItem[];
  /** "eventSource:eventName" by count. */
  apis: ProfileItem[];
  /** errorCode by count. */
  errors: ProfileItem[];
  /** Resources named in requests (buckets, IAM users and roles acted on), "kind:value". */
  resources: ProfileItem[];
  /** Findings of the latest analysis run that cite the profile's events. */
  findings: ProfileFinding[];
  /** Databases that answered for the addresses; addresses not yet enriched. */
  enrichment: { sources: EnrichmentSource[]; missing: number };
  /** What the profile could not include, in words (e.g. refs index not built on a read-only case). */
  notes: string[];
  seconds: number;
}
