// What attacker events created or were issued (rules 1 and 2), read from the
// event index for STS calls and from the records for the few IAM calls that
// can hand the attacker something; and the event that created the seed (rule 6).
import type { AnalysisEvent } from '../../../shared/analysis/findings.ts';
import { canonicalIp } from '../../../shared/analysis/ioc.ts';
import type { PivotSeed } from '../../../shared/analysis/types.ts';
import { parseIp } from '../../../shared/ip.ts';
import { isoUtc } from '../../../shared/time.ts';
import { eventsWhere, issuedRefs, leavesWhere } from '../../case/data/pivot.ts';
import { eventsByLeaves } from '../records.ts';
import { arnName } from '../refs.ts';
import { obj, str, type PivotState } from './state.ts';

/** IAM calls whose records can hand the attacker something new (read from the evidence). */
const IAM_CREATING = new Set(['CreateAccessKey', 'CreateUser', 'CreateLoginProfile', 'UpdateLoginProfile', 'CreateRole', 'UpdateAssumeRolePolicy']);
/** STS calls that issue credentials (their credentials, session and sourceIdentity come from event_refs). */
const STS_ISSUING = new Set(['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'GetSessionToken', 'GetFederationToken']);

function kindOfName(s: PivotState, id: number): number {
  let k = s.nameKind.get(id);
  if (k === undefined) {
    const name = s.dict.str(id)!;
    k = IAM_CREATING.has(name) ? 1 : STS_ISSUING.has(name) ? 2 : 0;
    s.nameKind.set(id, k);
  }
  return k;
}

export function examine(s: PivotState): void {
  const r = s.r;
  const from = s.examined;
  const to = r.leaf.length;
  s.examined = to;
  const creating: number[] = [];
  const issuing: number[] = [];
  /** First events of new addresses and user agents: their eventIDs are read below, all at once. */
  const via: [{ via: string }, number][] = [];
  for (let i = from; i < to; i++) {
    const leaf = r.leaf[i];
    const ip = r.ip[i];
    if (ip !== null && !s.ipIdsSeen.has(ip)) {
      s.ipIdsSeen.add(ip);
      const text = s.dict.ip(ip)!;
      const key = canonicalIp(text) ?? text;
      if (!s.ipState.has(key)) {
        const st = { followed: false, hop: r.hop[i] + 1, via: '', ipIds: [] };
        s.ipState.set(key, st);
        via.push([st, leaf]);
      }
    }
    const ua = r.ua[i];
    if (ua !== null && !s.uaSeen.has(ua)) {
      const st = { hop: r.hop[i] + 1, via: '' };
      s.uaSeen.set(ua, st);
      via.push([st, leaf]);
    }
    const name = r.name[i];
    if (name !== null) {
      const k = kindOfName(s, name);
      if (k === 1) creating.push(leaf);
      // Beyond the event index (a read-only case imported into since): read the record instead.
      else if (k === 2) (leaf <= s.refsUpto ? issuing : creating).push(leaf);
    }
  }
  if (via.length) {
    const ids = s.eventIds(via.map((v) => v[1]));
    for (const [st, leaf] of via) st.via = ids.get(leaf)!;
  }
  if (issuing.length) deriveIssued(s, issuing);
  if (!creating.length) return;
  for (const e of eventsByLeaves(s.store, creating, s.reader)) derive(s, e, r.hop[s.rowOf.get(e.leaf)!] + 1);
}

/**
 * STS calls by the attacker: the credentials, session and sourceIdentity
 * they handed out, from event_refs (no record needed: a stolen CI key may
 * make thousands of AssumeRole calls).
 */
function deriveIssued(s: PivotState, leaves: number[]): void {
  const refs = issuedRefs(s.store, leaves);
  s.prefetchStrIds(refs.filter((x) => x[1] !== 'source-identity').map((x) => x[2]));
  for (const [leaf, kind, value, eventId] of refs) {
    const i = s.rowOf.get(leaf)!;
    const name = s.dict.str(s.r.name[i]);
    const t = s.r.time[i];
    const when = t === null ? 'unknown time' : isoUtc(t);
    const hop = s.r.hop[i] + 1;
    if (kind === 'issued-key') s.followKey(value, hop, `temporary credentials issued to attacker event ${eventId} (${name} at ${when})`, eventId);
    else if (kind === 'issued-session') s.followSession(value, hop, `session issued to attacker event ${eventId} (${name} at ${when})`, eventId);
    else s.followSourceIdentity(value, hop, `sourceIdentity of attacker event ${eventId} (${name} at ${when})`, eventId);
  }
}

/** What an attacker event created or was issued (rules 1 and 2). */
function derive(s: PivotState, e: AnalysisEvent, hop: number): void {
  const req = obj(e.record.requestParameters) ?? {};
  const resp = obj(e.record.responseElements) ?? {};
  const name = e.n.eventName ?? '';
  const when = e.timeMs === null ? 'unknown time' : isoUtc(e.timeMs);
  const who = e.n.principalArn ?? e.n.userName ?? e.n.principalId ?? 'the attacker';
  const callerName = e.n.userName ?? (e.n.principalArn ? arnName(e.n.principalArn) : null);
  switch (name) {
    case 'CreateAccessKey': {
      const ak = obj(resp.accessKey);
      const key = str(ak?.accessKeyId);
      const user = str(req.userName) ?? str(ak?.userName);
      if (key) s.followKey(key, hop, `created by attacker event ${e.eventId} (CreateAccessKey by ${who} at ${when}${user ? ` for user ${user}` : ''})`, e.eventId);
      const own = !user || user.toLowerCase() === (callerName ?? '').toLowerCase() || (e.n.identityType === 'Root' && user.toLowerCase() === 'root');
      if (user && !own) {
        s.compromisedUsers.add(user);
        if (!s.isFollowedUser(user))
          s.indicator('user', user, `the attacker created access key ${key ?? '(id not recorded)'} for this user in ${e.eventId}; the user is compromised, only that key is followed`, e.eventId, hop, false);
      }
      return;
    }
    case 'CreateUser': {
      const u = obj(resp.user);
      const arn = str(u?.arn);
      const user = str(req.userName) ?? str(u?.userName);
      if (arn) s.followPrincipal(arn, 'user', hop, `IAM user created by attacker event ${e.eventId} (CreateUser by ${who} at ${when})`, e.eventId);
      else if (user) s.followPrincipal(user, 'user', hop, `IAM user created by attacker event ${e.eventId} (CreateUser by ${who} at ${when})`, e.eventId);
      return;
    }
    case 'CreateLoginProfile':
    case 'UpdateLoginProfile': {
      const user = str(req.userName) ?? str(obj(resp.loginProfile)?.userName) ?? callerName;
      if (!user || s.isFollowedUser(user)) return;
      if (s.loginUsers.has(user)) return;
      s.loginUsers.add(user);
      const reason = `console password of existing user ${user} set by attacker event ${e.eventId} (${name} at ${when}); its ConsoleLogin events from then on are followed`;
      const ind = s.indicator('user', user, reason, e.eventId, hop, true);
      s.queue.push({ kind: 'login', value: user, since: e.timeMs ?? 0, hop, reason: `console login of ${user} after ${name} in ${e.eventId}`, ind });
      return;
    }
    case 'CreateRole': {
      const role = obj(resp.role);
      const roleName = str(req.roleName) ?? str(role?.roleName);
      if (roleName) s.followRole(roleName, str(role?.arn), e.timeMs, hop, `role created by attacker event ${e.eventId} (CreateRole by ${who} at ${when})`, e.eventId);
      return;
    }
    case 'UpdateAssumeRolePolicy': {
      const roleName = str(req.roleName);
      if (!roleName || s.followedRoles.has(roleName) || s.trustRoles.has(roleName)) return;
      s.trustRoles.add(roleName);
      const reason = `trust policy of existing role ${roleName} changed by attacker event ${e.eventId} (at ${when}); later AssumeRole calls into it by attacker identities or outside accounts are followed`;
      const ind = s.indicator('role', roleName, reason, e.eventId, hop, true);
      s.queue.push({ kind: 'trust', value: roleName, since: e.timeMs ?? 0, hop, reason: `AssumeRole into ${roleName} after its trust change in ${e.eventId}`, ind });
      return;
    }
    default: {
      // STS: AssumeRole*, GetSessionToken, GetFederationToken - only for events the event index does not cover yet (see deriveIssued).
      const key = str(obj(resp.credentials)?.accessKeyId);
      if (key) s.followKey(key, hop, `temporary credentials issued to attacker event ${e.eventId} (${name} by ${who} at ${when})`, e.eventId);
      const session = str(obj(resp.assumedRoleUser)?.arn) ?? str(obj(resp.federatedUser)?.arn);
      if (session) s.followSession(session, hop, `session issued to attacker event ${e.eventId} (${name} at ${when})`, e.eventId);
      const sid = str(req.sourceIdentity);
      if (sid) s.followSourceIdentity(sid, hop, `sourceIdentity set by attacker event ${e.eventId} (${name} at ${when})`, e.eventId);
    }
  }
}

// ---------------------------------------------------------------- creators (rule 6)

export function creators(s: PivotState, seed: PivotSeed): void {
  const found: { leaf: number; what: string }[] = [];
  if (seed.key) {
    for (const leaf of leavesWhere(s.store, eventsWhere.issuedKey(seed.key))) found.push({ leaf, what: `access key ${seed.key}` });
  }
  if (seed.principal) {
    const n = arnName(seed.principal);
    const cu = s.strId('CreateUser');
    const cr = s.strId('CreateRole');
    for (const leaf of leavesWhere(s.store, eventsWhere.createdPrincipal(n, cu ?? -1, cr ?? -1)))
      found.push({ leaf, what: `${seed.principal}` });
  }
  if (!found.length) return;
  const events = eventsByLeaves(s.store, found.map((f) => f.leaf), s.reader);
  for (const e of events) {
    const what = found.find((f) => f.leaf === e.leaf)!.what;
    const service = e.n.identityType === 'AWSService' || !!str(obj(e.record.userIdentity)?.invokedBy) || (e.n.sourceIPAddress !== null && !parseIp(e.n.sourceIPAddress));
    const who = e.n.principalArn ?? e.n.principalId ?? e.n.identityType ?? 'an unknown principal';
    const at = e.timeMs === null ? 'an unknown time' : isoUtc(e.timeMs);
    const follow = !!s.opts.followCreators && !service;
    s.addContext({
      kind: 'creator',
      value: e.eventId,
      note: `${what} was created/issued by ${e.n.eventName} of ${who}${e.n.sourceIPAddress ? ` from ${e.n.sourceIPAddress}` : ''} at ${at}; ${
        follow ? 'followed (followCreators)' : service ? 'an AWS service issued it: not followed' : 'not followed (rule 6; pivot with followCreators to treat that session as the attacker)'
      }`,
      eventIds: [e.eventId],
    });
    if (follow) {
      s.queue.push({ kind: 'leaves', leaves: [e.leaf], hop: 0, reason: `created the seed ${what} (followCreators)`, ind: -1 });
      if (e.n.accessKeyId) s.followKey(e.n.accessKeyId, 1, `credentials of the session that created the seed ${what} in ${e.eventId}`, e.eventId);
    }
  }
}
