// Pivot (issue 5, "Indicators and pivots"): from one seed indicator (a leaked
// access key, an attacker IP or a principal), follow what the attacker created
// and used until nothing new appears, explaining every hop.
//
// Everything is SQL over indexed columns (events by access key, ARN, user
// name, session issuer, IP) plus the event_refs side table (credentials issued
// by a call, AssumeRole targets, sourceIdentity, the user or role an IAM call
// acted on); records are read only for the few events that can create
// something (CreateAccessKey, CreateUser, Create/UpdateLoginProfile,
// CreateRole, UpdateAssumeRolePolicy, AssumeRole*, GetSessionToken,
// GetFederationToken).
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
import type { PivotContext, PivotEvent, PivotIndicator, PivotIndicatorType, PivotResult, PivotSeed } from '../../shared/analysis/types.ts';
import type { AnalysisEvent } from '../../shared/analysis/findings.ts';
import { canonicalIp } from '../../shared/analysis/ioc.ts';
import { parseCidr, parseIp } from '../../shared/ip.ts';
import { isoUtc, parseTime } from '../../shared/time.ts';
import { EvidenceReader } from '../case/evidence.ts';
import { Dictionary, toSummary } from '../case/queries.ts';
import { currentActor, type CaseStore } from '../case/store.ts';
import { UserError } from '../errors.ts';
import { eventsByLeaves } from './records.ts';
import { arnName, ensureRefs, refsState } from './refs.ts';

export const PIVOT_UNIT = { name: 'pivot', version: '1.0.0' } as const;

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
}

interface Row {
  leaf: number;
  event_id: string;
  time_ms: number | null;
  name: number | null;
  ip: number | null;
  ua: number | null;
  identity_type: number | null;
  arn: number | null;
  user_name: number | null;
  principal_id: number | null;
  access_key: number | null;
  issuer_arn: number | null;
  account: number | null;
  error_code: number | null;
}
// Every column an EventSummary needs, so attacker events are fetched once (toSummary at the end).
const ROW_COLS =
  'leaf, event_id, time_ms, name, source, region, ip, ua, identity_type, arn, user_name, principal_id, access_key, issuer_arn, account, error_code, read_only, category, request_id, evidence_id';

/** IAM calls whose records can hand the attacker something new (read from the evidence). */
const IAM_CREATING = new Set(['CreateAccessKey', 'CreateUser', 'CreateLoginProfile', 'UpdateLoginProfile', 'CreateRole', 'UpdateAssumeRolePolicy']);
/** STS calls that issue credentials (their credentials, session and sourceIdentity come from event_refs). */
const STS_ISSUING = new Set(['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'GetSessionToken', 'GetFederationToken']);

type Job =
  | { kind: 'key'; value: string; hop: number; reason: string }
  | { kind: 'principal'; value: string; hop: number; reason: string }
  | { kind: 'session'; value: string; hop: number; reason: string }
  | { kind: 'role'; value: string; arn: string | null; since: number | null; hop: number; reason: string }
  | { kind: 'trust'; value: string; since: number; hop: number; reason: string }
  | { kind: 'login'; value: string; since: number; hop: number; reason: string }
  | { kind: 'source-identity'; value: string; hop: number; reason: string }
  | { kind: 'ip'; value: string; hop: number; reason: string }
  | { kind: 'leaves'; leaves: number[]; hop: number; reason: string };

function obj(v: unknown): Record<string, any> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : null;
}
function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

function isPrivateOrSpecial(ip: string): boolean {
  const p = parseIp(ip);
  if (!p) return true;
  if (p.version === 4) {
    const v = p.value as number;
    const a = v >>> 24;
    const b = (v >>> 16) & 255;
    return a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127) || a >= 224;
  }
  const h = p.value as string;
  const first = parseInt(h.slice(0, 4), 16);
  return /^0{31}[01]$/.test(h) || (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
}

class Pivoter {
  private dict: Dictionary;
  private reader: EvidenceReader;
  private rows = new Map<number, Row & { hop: number; reason: string }>();
  private queue: Job[] = [];
  private indicators: PivotIndicator[] = [];
  private indicatorKeys = new Set<string>();
  private context: PivotContext[] = [];
  private contextKeys = new Set<string>();
  /** String ids of attacker access keys and principals (for "is this event the attacker's"). */
  private dKeyIds = new Set<number>();
  private dPrincipalIds = new Set<number>();
  private followedKeys = new Set<string>();
  private followedPrincipals = new Set<string>();
  private followedRoles = new Set<string>();
  private followedSessions = new Set<string>();
  private followedSourceIds = new Set<string>();
  private loginUsers = new Set<string>();
  private trustRoles = new Set<string>();
  /** Compromised principals (text of arn / user name / principal id), and users the attacker holds a key of. */
  private compromised = new Set<string>();
  private compromisedUsers = new Set<string>();
  /** Rows already looked at by refreshCompromised (rows only grow; a principal later found to be the attacker's own is harmless in the set). */
  private compromisedChecked = 0;
  private ipState = new Map<string, { followed: boolean; hop: number; via: string; ipIds: number[] }>();
  private uaSeen = new Map<number, { hop: number; via: string }>();
  private toExamine: number[] = [];
  private ownAccounts: Set<string> | null = null;
  private truncated = false;
  private maxHop = 0;

  private refsUpto: number;
  /** Only attacker events inside [since, until] (epoch ms), when the examiner knows when the compromise began. */
  private window: [number, number] | null = null;

  constructor(private readonly store: CaseStore, private readonly opts: PivotOptions) {
    this.refsUpto = refsState(store).upto;
    if (opts.since !== undefined || opts.until !== undefined) {
      const a = opts.since === undefined ? -8.64e15 : parseTime(opts.since);
      const b = opts.until === undefined ? 8.64e15 : parseTime(opts.until);
      if (a === null) throw new UserError(`pivot: since ${opts.since} is not a time`);
      if (b === null) throw new UserError(`pivot: until ${opts.until} is not a time`);
      this.window = [a, b];
    }
    this.dict = new Dictionary(store);
    this.reader = new EvidenceReader(store);
  }

  // ---------------------------------------------------------------- helpers

  private strId(s: string): number | null {
    return (this.store.stmt('SELECT id FROM strings WHERE s = ?').get(s) as { id: number } | undefined)?.id ?? null;
  }

  /** Events matching `where`, inside the pivot's time window unless `windowed` is false. */
  private rowsWhere(where: string, params: unknown[], windowed = true): Row[] {
    if (windowed && this.window) return this.store.stmt(`SELECT ${ROW_COLS} FROM events WHERE (${where}) AND time_ms BETWEEN ? AND ?`).all(...params, this.window[0], this.window[1]) as Row[];
    return this.store.stmt(`SELECT ${ROW_COLS} FROM events WHERE ${where}`).all(...params) as Row[];
  }

  private indicator(type: PivotIndicatorType, value: string, reason: string, via: string | null, hop: number, followed: boolean): void {
    const k = `${type}\u0000${value}`;
    if (this.indicatorKeys.has(k)) return;
    this.indicatorKeys.add(k);
    this.indicators.push({ type, value, reason, viaEventId: via, hop, followed });
    if (hop > this.maxHop) this.maxHop = hop;
  }

  private addContext(c: PivotContext): void {
    const k = `${c.kind}\u0000${c.value}`;
    if (this.contextKeys.has(k)) return;
    this.contextKeys.add(k);
    this.context.push(c);
  }

  private principalText(r: Row): string | null {
    return this.dict.str(r.arn) ?? this.dict.str(r.user_name) ?? this.dict.str(r.principal_id);
  }

  /** String ids of every principal that is the attacker's or compromised (for the SQL side of rule 4). */
  private knownPrincipalIds(): number[] {
    const ids = new Set<number>(this.dPrincipalIds);
    for (const p of this.compromised) {
      const id = this.strId(p);
      if (id !== null) ids.add(id);
    }
    for (const u of this.compromisedUsers) for (const id of this.principalIds(u)) ids.add(id);
    return [...ids];
  }

  /** Is this user (by name) already followed as an attacker identity (created by it, or the seed)? */
  private isFollowedUser(user: string): boolean {
    for (const p of this.followedPrincipals) if (p === user || (p.startsWith('arn:') && p.includes(':user/') && arnName(p) === user)) return true;
    return false;
  }

  /** Is this principal (ARN or name) one the attacker is known to act as without having created it (rule 3)? */
  private isCompromised(p: string): boolean {
    if (this.compromised.has(p)) return true;
    const name = p.startsWith('arn:') && p.includes(':user/') ? arnName(p) : p;
    return this.compromisedUsers.has(name);
  }

  /** Recompute rule 3 from the attacker events found so far: principals acting in them that are not attacker identities. */
  private refreshCompromised(): void {
    const all = [...this.rows.values()];
    for (let i = this.compromisedChecked; i < all.length; i++) {
      const r = all[i];
      if (r.arn !== null && this.dPrincipalIds.has(r.arn)) continue;
      const p = this.principalText(r);
      if (p && !this.followedPrincipals.has(p)) this.compromised.add(p);
    }
    this.compromisedChecked = all.length;
  }

  private isAttackerRow(r: Row): boolean {
    return this.rows.has(r.leaf) || (r.access_key !== null && this.dKeyIds.has(r.access_key)) || (r.arn !== null && this.dPrincipalIds.has(r.arn));
  }

  private addRows(rows: Row[], hop: number, reason: string): void {
    for (const r of rows) {
      if (this.rows.has(r.leaf)) continue;
      if (this.rows.size >= (this.opts.maxEvents ?? 100_000)) {
        this.truncated = true;
        return;
      }
      this.rows.set(r.leaf, { ...r, hop, reason });
      this.toExamine.push(r.leaf);
    }
  }

  // ---------------------------------------------------------------- identities

  private followKey(key: string, hop: number, reason: string, via: string | null): void {
    if (this.followedKeys.has(key)) return;
    this.followedKeys.add(key);
    const id = this.strId(key);
    if (id !== null) this.dKeyIds.add(id);
    this.indicator('access-key', key, reason, via, hop, true);
    this.queue.push({ kind: 'key', value: key, hop, reason: `access key ${key}: ${reason}` });
  }

  private followPrincipal(value: string, type: 'user' | 'principal', hop: number, reason: string, via: string | null): void {
    if (this.followedPrincipals.has(value)) return;
    this.followedPrincipals.add(value);
    this.indicator(type, value, reason, via, hop, true);
    this.queue.push({ kind: 'principal', value, hop, reason: `${type} ${value}: ${reason}` });
  }

  private followSession(arn: string, hop: number, reason: string, via: string | null): void {
    if (this.followedSessions.has(arn)) return;
    this.followedSessions.add(arn);
    const id = this.strId(arn);
    if (id !== null) this.dPrincipalIds.add(id);
    this.indicator('principal', arn, reason, via, hop, true);
    this.queue.push({ kind: 'session', value: arn, hop, reason: `session ${arn}: ${reason}` });
  }

  private followRole(name: string, arn: string | null, since: number | null, hop: number, reason: string, via: string | null): void {
    if (this.followedRoles.has(name)) return;
    this.followedRoles.add(name);
    this.indicator('role', arn ?? name, reason, via, hop, true);
    this.queue.push({ kind: 'role', value: name, arn, since, hop, reason: `role ${name}: ${reason}` });
  }

  private followSourceIdentity(v: string, hop: number, reason: string, via: string | null): void {
    if (this.followedSourceIds.has(v)) return;
    this.followedSourceIds.add(v);
    this.indicator('source-identity', v, reason, via, hop, true);
    this.queue.push({ kind: 'source-identity', value: v, hop, reason: `sourceIdentity ${v}: ${reason}` });
  }

  /** String ids a principal value stands for: an exact ARN, or a name = user name / last ARN path element / role session issuer. */
  private principalIds(value: string): number[] {
    const conds = ['s = ?'];
    const p: unknown[] = [value];
    if (!value.startsWith('arn:')) {
      conds.push("s LIKE ? ESCAPE '\\'", "s LIKE ? ESCAPE '\\'");
      p.push('arn:%:iam::%:user/' + likeEscape(value), 'arn:%:iam::%:user/%/' + likeEscape(value));
    }
    return (this.store.db.prepare(`SELECT id FROM strings WHERE ${conds.join(' OR ')}`).raw().all(...p) as [number][]).map((r) => r[0]);
  }

  // ---------------------------------------------------------------- jobs

  /** Keys and sessions of one hop in one query each (a stolen CI key can hand out thousands of role sessions). */
  private runGrouped(jobs: Job[]): Job[] {
    const rest: Job[] = [];
    const byCol = new Map<string, Map<number, Job>>([['access_key', new Map()], ['arn', new Map()]]);
    for (const job of jobs) {
      if (job.kind !== 'key' && job.kind !== 'session') {
        rest.push(job);
        continue;
      }
      const id = this.strId(job.value);
      if (id !== null) byCol.get(job.kind === 'key' ? 'access_key' : 'arn')!.set(id, job);
    }
    for (const [col, m] of byCol) {
      if (!m.size) continue;
      const rows = this.rowsWhere(`${col} IN (SELECT value FROM json_each(?))`, [JSON.stringify([...m.keys()])]);
      rows.sort((a, b) => a.leaf - b.leaf);
      for (const r of rows) {
        const job = m.get(col === 'access_key' ? r.access_key! : r.arn!)!;
        this.addRows([r], job.hop, job.reason);
      }
    }
    return rest;
  }

  private run(job: Job): void {
    const inList = (col: string, ids: number[]) => this.rowsWhere(`${col} IN (SELECT value FROM json_each(?))`, [JSON.stringify(ids)]);
    switch (job.kind) {
      case 'key': {
        const id = this.strId(job.value);
        if (id !== null) this.addRows(this.rowsWhere('access_key = ?', [id]), job.hop, job.reason);
        return;
      }
      case 'session': {
        const id = this.strId(job.value);
        if (id !== null) this.addRows(this.rowsWhere('arn = ?', [id]), job.hop, job.reason);
        return;
      }
      case 'principal': {
        const ids = this.principalIds(job.value);
        for (const i of ids) this.dPrincipalIds.add(i);
        if (!ids.length) return;
        this.addRows(inList('arn', ids), job.hop, job.reason);
        this.addRows(inList('user_name', ids), job.hop, job.reason);
        this.addRows(inList('issuer_arn', ids), job.hop, job.reason);
        return;
      }
      case 'role': {
        const v = likeEscape(job.value);
        const ids = (
          this.store.db
            .prepare("SELECT id FROM strings WHERE s = ? OR s LIKE ? ESCAPE '\\' OR s LIKE ? ESCAPE '\\'")
            .raw()
            .all(job.arn ?? '', `arn:%:iam::%:role/${v}`, `arn:%:iam::%:role/%/${v}`) as [number][]
        ).map((r) => r[0]);
        // Sessions of the role: their ARNs become attacker principals too.
        if (ids.length) {
          const sessions = inList('issuer_arn', ids);
          for (const r of sessions) if (r.arn !== null) this.dPrincipalIds.add(r.arn);
          this.addRows(sessions, job.hop, job.reason);
        }
        // AssumeRole calls into it (whoever made them: the role is the attacker's).
        this.addRows(this.assumeInto(job.value, job.since), job.hop, `AssumeRole into ${job.reason}`);
        return;
      }
      case 'trust': {
        const own = this.accounts();
        const rows = this.assumeInto(job.value, job.since);
        const take: Row[] = [];
        const events = eventsByLeaves(this.store, rows.map((r) => r.leaf), this.reader);
        const byLeaf = new Map(rows.map((r) => [r.leaf, r]));
        for (const e of events) {
          const r = byLeaf.get(e.leaf)!;
          const callerAcct = str(obj(e.record.userIdentity)?.accountId);
          if (this.isAttackerRow(r) || (callerAcct !== null && !own.has(callerAcct))) take.push(r);
          else
            this.addContext({
              kind: 'not-followed',
              value: e.eventId,
              note: `AssumeRole into ${job.value} by ${e.n.principalArn ?? 'a principal'} of this case's accounts after the trust change: not attributed to the attacker`,
              eventIds: [e.eventId],
            });
        }
        this.addRows(take, job.hop, job.reason);
        return;
      }
      case 'login': {
        const ids = this.principalIds(job.value);
        const name = this.strId('ConsoleLogin');
        if (!ids.length || name === null) return;
        const j = JSON.stringify(ids);
        this.addRows(
          this.rowsWhere('name = ? AND time_ms >= ? AND (user_name IN (SELECT value FROM json_each(?)) OR arn IN (SELECT value FROM json_each(?)))', [name, job.since, j, j]),
          job.hop,
          job.reason,
        );
        return;
      }
      case 'source-identity':
        this.addRows(this.rowsWhere("leaf IN (SELECT leaf FROM event_refs WHERE kind = 'source-identity' AND value = ?)", [job.value]), job.hop, job.reason);
        return;
      case 'ip': {
        const st = this.ipState.get(job.value)!;
        this.addRows(this.rowsWhere('ip IN (SELECT value FROM json_each(?))', [JSON.stringify(st.ipIds)]), job.hop, job.reason);
        return;
      }
      case 'leaves':
        this.addRows(this.rowsWhere('leaf IN (SELECT value FROM json_each(?))', [JSON.stringify(job.leaves)]), job.hop, job.reason);
        return;
    }
  }

  private assumeInto(role: string, since: number | null): Row[] {
    return this.rowsWhere(
      "leaf IN (SELECT leaf FROM event_refs WHERE kind = 'assume-target' AND value = ?) AND (? IS NULL OR time_ms >= ?) AND error_code IS NULL",
      [role, since, since],
    );
  }

  private accounts(): Set<string> {
    if (!this.ownAccounts) {
      this.ownAccounts = new Set(
        (this.store.db.prepare('SELECT DISTINCT account FROM events WHERE account IS NOT NULL').raw().all() as [number][]).map((r) => this.dict.str(r[0])!),
      );
      for (const a of this.store.scope().accounts ?? []) this.ownAccounts.add(a);
    }
    return this.ownAccounts;
  }

  // ---------------------------------------------------------------- examining attacker events

  private examine(): void {
    const leaves = this.toExamine;
    this.toExamine = [];
    const creating: number[] = [];
    const issuing: number[] = [];
    for (const leaf of leaves) {
      const r = this.rows.get(leaf)!;
      if (r.ip !== null) {
        const text = this.dict.ip(r.ip)!;
        const key = canonicalIp(text) ?? text;
        if (!this.ipState.has(key)) this.ipState.set(key, { followed: false, hop: r.hop + 1, via: r.event_id, ipIds: [] });
      }
      if (r.ua !== null && !this.uaSeen.has(r.ua)) this.uaSeen.set(r.ua, { hop: r.hop + 1, via: r.event_id });
      if (r.error_code === null && r.name !== null) {
        const name = this.dict.str(r.name)!;
        if (IAM_CREATING.has(name)) creating.push(leaf);
        // Beyond the event index (a read-only case imported into since): read the record instead.
        else if (STS_ISSUING.has(name)) (leaf <= this.refsUpto ? issuing : creating).push(leaf);
      }
    }
    if (issuing.length) this.deriveIssued(issuing);
    if (!creating.length) return;
    for (const e of eventsByLeaves(this.store, creating, this.reader)) this.derive(e, this.rows.get(e.leaf)!.hop + 1);
  }

  /**
   * STS calls by the attacker: the credentials, session and sourceIdentity
   * they handed out, from event_refs (no record needed: a stolen CI key may
   * make thousands of AssumeRole calls).
   */
  private deriveIssued(leaves: number[]): void {
    const refs = this.store
      .stmt("SELECT leaf, kind, value FROM event_refs WHERE leaf IN (SELECT value FROM json_each(?)) AND kind IN ('issued-key', 'issued-session', 'source-identity') ORDER BY leaf")
      .all(JSON.stringify(leaves)) as { leaf: number; kind: string; value: string }[];
    for (const x of refs) {
      const r = this.rows.get(x.leaf)!;
      const name = this.dict.str(r.name);
      const when = r.time_ms === null ? 'unknown time' : isoUtc(r.time_ms);
      const hop = r.hop + 1;
      if (x.kind === 'issued-key') this.followKey(x.value, hop, `temporary credentials issued to attacker event ${r.event_id} (${name} at ${when})`, r.event_id);
      else if (x.kind === 'issued-session') this.followSession(x.value, hop, `session issued to attacker event ${r.event_id} (${name} at ${when})`, r.event_id);
      else this.followSourceIdentity(x.value, hop, `sourceIdentity of attacker event ${r.event_id} (${name} at ${when})`, r.event_id);
    }
  }

  /** What an attacker event created or was issued (rules 1 and 2). */
  private derive(e: AnalysisEvent, hop: number): void {
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
        if (key) this.followKey(key, hop, `created by attacker event ${e.eventId} (CreateAccessKey by ${who} at ${when}${user ? ` for user ${user}` : ''})`, e.eventId);
        const own = !user || user.toLowerCase() === (callerName ?? '').toLowerCase() || (e.n.identityType === 'Root' && user.toLowerCase() === 'root');
        if (user && !own) {
          this.compromisedUsers.add(user);
          if (!this.isFollowedUser(user))
            this.indicator('user', user, `the attacker created access key ${key ?? '(id not recorded)'} for this user in ${e.eventId}; the user is compromised, only that key is followed`, e.eventId, hop, false);
        }
        return;
      }
      case 'CreateUser': {
        const u = obj(resp.user);
        const arn = str(u?.arn);
        const user = str(req.userName) ?? str(u?.userName);
        if (arn) this.followPrincipal(arn, 'user', hop, `IAM user created by attacker event ${e.eventId} (CreateUser by ${who} at ${when})`, e.eventId);
        else if (user) this.followPrincipal(user, 'user', hop, `IAM user created by attacker event ${e.eventId} (CreateUser by ${who} at ${when})`, e.eventId);
        return;
      }
      case 'CreateLoginProfile':
      case 'UpdateLoginProfile': {
        const user = str(req.userName) ?? str(obj(resp.loginProfile)?.userName) ?? callerName;
        if (!user || this.isFollowedUser(user)) return;
        if (this.loginUsers.has(user)) return;
        this.loginUsers.add(user);
        const reason = `console password of existing user ${user} set by attacker event ${e.eventId} (${name} at ${when}); its ConsoleLogin events from then on are followed`;
        this.indicator('user', user, reason, e.eventId, hop, true);
        this.queue.push({ kind: 'login', value: user, since: e.timeMs ?? 0, hop, reason: `console login of ${user} after ${name} in ${e.eventId}` });
        return;
      }
      case 'CreateRole': {
        const role = obj(resp.role);
        const roleName = str(req.roleName) ?? str(role?.roleName);
        if (roleName) this.followRole(roleName, str(role?.arn), e.timeMs, hop, `role created by attacker event ${e.eventId} (CreateRole by ${who} at ${when})`, e.eventId);
        return;
      }
      case 'UpdateAssumeRolePolicy': {
        const roleName = str(req.roleName);
        if (!roleName || this.followedRoles.has(roleName) || this.trustRoles.has(roleName)) return;
        this.trustRoles.add(roleName);
        const reason = `trust policy of existing role ${roleName} changed by attacker event ${e.eventId} (at ${when}); later AssumeRole calls into it by attacker identities or outside accounts are followed`;
        this.indicator('role', roleName, reason, e.eventId, hop, true);
        this.queue.push({ kind: 'trust', value: roleName, since: e.timeMs ?? 0, hop, reason: `AssumeRole into ${roleName} after its trust change in ${e.eventId}` });
        return;
      }
      default: {
        // STS: AssumeRole*, GetSessionToken, GetFederationToken - only for events the event index does not cover yet (see deriveIssued).
        const key = str(obj(resp.credentials)?.accessKeyId);
        if (key) this.followKey(key, hop, `temporary credentials issued to attacker event ${e.eventId} (${name} by ${who} at ${when})`, e.eventId);
        const session = str(obj(resp.assumedRoleUser)?.arn) ?? str(obj(resp.federatedUser)?.arn);
        if (session) this.followSession(session, hop, `session issued to attacker event ${e.eventId} (${name} at ${when})`, e.eventId);
        const sid = str(req.sourceIdentity);
        if (sid) this.followSourceIdentity(sid, hop, `sourceIdentity set by attacker event ${e.eventId} (${name} at ${when})`, e.eventId);
      }
    }
  }

  // ---------------------------------------------------------------- IPs and user agents (rules 4 and 5)

  private ipIds(text: string): number[] {
    const c = parseCidr(text);
    if (!c) return (this.store.db.prepare('SELECT id FROM ips WHERE text = ?').raw().all(text) as [number][]).map((r) => r[0]);
    return (this.store.db.prepare(`SELECT id FROM ips WHERE ${c.version === 4 ? 'v4' : 'v6'} BETWEEN ? AND ?`).raw().all(c.low, c.high) as [number][]).map((r) => r[0]);
  }

  /** Decide the undecided (or earlier rejected) IPs; returns true when one was newly followed. */
  private decideIps(): boolean {
    this.refreshCompromised();
    let any = false;
    for (const [ip, st] of this.ipState) {
      if (st.followed) continue;
      if (!parseIp(ip)) {
        this.addContext({ kind: 'not-followed', value: ip, note: 'source is an AWS service, not an address: shared by every account', eventIds: [st.via] });
        continue;
      }
      if (isPrivateOrSpecial(ip)) {
        this.addContext({ kind: 'not-followed', value: ip, note: 'private or special-use address (inside a VPC or a corporate network): shared by design', eventIds: [st.via] });
        this.indicator('ip', ip, `source address of attacker event ${st.via}; private, not followed`, st.via, st.hop, false);
        continue;
      }
      if (!st.ipIds.length) st.ipIds = this.ipIds(ip);
      const others = new Map<string, string[]>();
      let otherEvents = 0;
      // SQLite drops the events of attacker keys and of attacker/compromised principals; the loop
      // below re-checks the few rows left exactly (the SQL sets are a superset filter, never a loss).
      const it = this.store
        .stmt(
          `SELECT ${ROW_COLS} FROM events WHERE ip IN (SELECT value FROM json_each(?))
             AND (access_key IS NULL OR access_key NOT IN (SELECT value FROM json_each(?)))
             AND (coalesce(arn, user_name, principal_id) IS NULL OR coalesce(arn, user_name, principal_id) NOT IN (SELECT value FROM json_each(?)))`,
        )
        .iterate(JSON.stringify(st.ipIds), JSON.stringify([...this.dKeyIds]), JSON.stringify(this.knownPrincipalIds())) as Iterable<Row>;
      for (const r of it) {
        if (this.isAttackerRow(r)) continue;
        const p = this.principalText(r) ?? '(no principal)';
        if (this.isCompromised(p)) continue;
        otherEvents++;
        const list = others.get(p);
        if (list) {
          if (list.length < 5) list.push(r.event_id);
        } else others.set(p, [r.event_id]);
        if (others.size >= 5 && otherEvents >= 50) break;
      }
      if (others.size === 0) {
        st.followed = true;
        any = true;
        this.indicator('ip', ip, `source address of attacker event ${st.via}, used by no one else in the case`, st.via, st.hop, true);
        this.queue.push({ kind: 'ip', value: ip, hop: st.hop, reason: `from attacker IP ${ip} (first seen in ${st.via})` });
      } else {
        const names = [...others.keys()];
        this.indicator('ip', ip, `source address of attacker event ${st.via}; also used by ${names.length >= 5 ? '5 or more' : names.length} other principal(s), not followed`, st.via, st.hop, false);
        this.addContext({
          kind: 'shared-ip',
          value: ip,
          note: `also used by ${names.slice(0, 5).join(', ')}${names.length >= 5 ? ' and possibly more' : ''} (${otherEvents}${others.size >= 5 ? '+' : ''} events): not followed`,
          eventIds: [...others.values()].flat().slice(0, 10),
        });
      }
    }
    return any;
  }

  private reportUserAgents(): void {
    for (const [ua, st] of this.uaSeen) {
      const text = this.dict.str(ua)!;
      const others = new Set<string>();
      const it = this.store.db.prepare(`SELECT ${ROW_COLS} FROM events WHERE ua = ? LIMIT 5000`).iterate(ua) as Iterable<Row>;
      const sample: string[] = [];
      let otherEvents = 0;
      for (const r of it) {
        if (this.isAttackerRow(r)) continue;
        otherEvents++;
        if (sample.length < 5) sample.push(r.event_id);
        const p = this.principalText(r);
        if (p) others.add(p);
        if (others.size >= 5) break;
      }
      const n = others.size;
      const detail = otherEvents === 0 ? 'seen only in attacker events' : `also in ${otherEvents}${n >= 5 ? '+' : ''} other events by ${[...others].slice(0, 5).join(', ')}`;
      this.indicator('user-agent', text, `user agent of attacker event ${st.via}; ${detail}; user agents are reported, not followed`, st.via, st.hop, false);
      if (otherEvents > 0) this.addContext({ kind: 'shared-user-agent', value: text, note: detail, eventIds: sample });
    }
  }

  /** S3 buckets named in attacker events (targets, reported, not followed: other principals use them legitimately). */
  private reportBuckets(): void {
    if (!this.rows.size) return;
    const rows = this.store.db
      .prepare("SELECT value, count(*) AS n, min(leaf) AS first FROM event_refs WHERE kind = 'bucket' AND leaf IN (SELECT value FROM json_each(?)) GROUP BY value ORDER BY value")
      .all(JSON.stringify([...this.rows.keys()])) as { value: string; n: number; first: number }[];
    for (const r of rows) {
      const ev = this.rows.get(r.first)!;
      this.indicator('bucket', r.value, `named in ${r.n} attacker event(s); a target, reported, not followed`, ev.event_id, ev.hop + 1, false);
    }
  }

  // ---------------------------------------------------------------- creators (rule 6)

  private creators(seed: PivotSeed): void {
    const found: { leaf: number; what: string }[] = [];
    if (seed.key) {
      for (const r of this.rowsWhere("leaf IN (SELECT leaf FROM event_refs WHERE kind = 'issued-key' AND value = ?)", [seed.key], false)) found.push({ leaf: r.leaf, what: `access key ${seed.key}` });
    }
    if (seed.principal) {
      const n = arnName(seed.principal);
      const cu = this.strId('CreateUser');
      const cr = this.strId('CreateRole');
      for (const r of this.rowsWhere(
        "leaf IN (SELECT leaf FROM event_refs WHERE kind IN ('target-user', 'target-role') AND value = ?) AND name IN (?, ?) AND error_code IS NULL",
        [n, cu ?? -1, cr ?? -1],
        false,
      ))
        found.push({ leaf: r.leaf, what: `${seed.principal}` });
    }
    if (!found.length) return;
    const events = eventsByLeaves(this.store, found.map((f) => f.leaf), this.reader);
    for (const e of events) {
      const what = found.find((f) => f.leaf === e.leaf)!.what;
      const service = e.n.identityType === 'AWSService' || !!str(obj(e.record.userIdentity)?.invokedBy) || (e.n.sourceIPAddress !== null && !parseIp(e.n.sourceIPAddress));
      const who = e.n.principalArn ?? e.n.principalId ?? e.n.identityType ?? 'an unknown principal';
      const at = e.timeMs === null ? 'an unknown time' : isoUtc(e.timeMs);
      const follow = !!this.opts.followCreators && !service;
      this.addContext({
        kind: 'creator',
        value: e.eventId,
        note: `${what} was created/issued by ${e.n.eventName} of ${who}${e.n.sourceIPAddress ? ` from ${e.n.sourceIPAddress}` : ''} at ${at}; ${
          follow ? 'followed (followCreators)' : service ? 'an AWS service issued it: not followed' : 'not followed (rule 6; pivot with followCreators to treat that session as the attacker)'
        }`,
        eventIds: [e.eventId],
      });
      if (follow) {
        this.queue.push({ kind: 'leaves', leaves: [e.leaf], hop: 0, reason: `created the seed ${what} (followCreators)` });
        if (e.n.accessKeyId) this.followKey(e.n.accessKeyId, 1, `credentials of the session that created the seed ${what} in ${e.eventId}`, e.eventId);
      }
    }
  }

  // ---------------------------------------------------------------- main

  go(seed: PivotSeed): PivotResult {
    const t0 = performance.now();
    if (seed.key) {
      const k = seed.key.trim().toUpperCase();
      if (!/^A[A-Z0-9]{15,127}$/.test(k)) throw new UserError(`pivot: ${JSON.stringify(seed.key)} is not an access key id`);
      seed = { ...seed, key: k };
      this.followKey(k, 0, 'seed', null);
    }
    if (seed.principal) {
      const p = seed.principal.trim();
      if (!p) throw new UserError('pivot: empty principal');
      seed = { ...seed, principal: p };
      this.followPrincipal(p, 'principal', 0, 'seed', null);
    }
    if (seed.ip) {
      const c = canonicalIp(seed.ip);
      if (!c) throw new UserError(`pivot: ${JSON.stringify(seed.ip)} is not an IP address or CIDR`);
      seed = { ...seed, ip: c };
      this.ipState.set(c, { followed: true, hop: 0, via: '', ipIds: this.ipIds(c) });
      this.indicator('ip', c, 'seed (followed whoever else uses it: the examiner chose it)', null, 0, true);
      this.queue.push({ kind: 'ip', value: c, hop: 0, reason: `from seed IP ${c}` });
    }
    if (!seed.key && !seed.principal && !seed.ip) throw new UserError('pivot needs a seed: an access key, an IP or a principal');
    this.creators(seed);
    for (;;) {
      while (this.queue.length && !this.truncated) {
        // Breadth first: all pending jobs of the lowest hop; keys and sessions grouped into one query per column.
        const hop = Math.min(...this.queue.map((j) => j.hop));
        const now = this.queue.filter((j) => j.hop === hop);
        this.queue = this.queue.filter((j) => j.hop !== hop);
        for (const job of this.runGrouped(now)) {
          if (this.truncated) break;
          this.run(job);
        }
        this.examine();
      }
      if (this.truncated || !this.decideIps()) break;
    }
    this.refreshCompromised();
    for (const p of this.compromised) {
      const r = [...this.rows.values()].find((x) => this.principalText(x) === p && !(x.arn !== null && this.dPrincipalIds.has(x.arn)));
      if (!r || this.followedPrincipals.has(p)) continue;
      this.addContext({
        kind: 'compromised-principal',
        value: p,
        note: `acted in attacker event ${r.event_id} (${r.reason}); reported, not followed as a whole: its other activity may be its owner's`,
        eventIds: [r.event_id],
      });
    }
    this.reportUserAgents();
    this.reportBuckets();
    if (this.truncated)
      this.addContext({ kind: 'limit', value: String(this.opts.maxEvents ?? 100_000), note: 'stopped at the event limit: the result is incomplete', eventIds: [] });

    const rows = [...this.rows.values()].sort((a, b) => (a.time_ms ?? Infinity) - (b.time_ms ?? Infinity) || a.leaf - b.leaf);
    const events: PivotEvent[] = rows.map((r) => ({ ...toSummary(this.dict, r), hop: r.hop, reason: r.reason }));
    return {
      seed,
      events,
      indicators: this.indicators,
      context: this.context,
      hops: Math.max(this.maxHop, ...events.map((e) => e.hop)),
      truncated: this.truncated,
      seconds: (performance.now() - t0) / 1000,
      rules: PIVOT_RULES,
    };
  }
}

/**
 * Pivot from a seed. Brings the event index (event_refs) up to date first
 * when the case is writable (custody-logged); on a read-only case with a stale
 * index the credential/role links through refs are incomplete and the result
 * says so in context.
 */
export function pivot(store: CaseStore, seed: PivotSeed, opts: PivotOptions = {}): PivotResult {
  const st = refsState(store);
  let note: string | null = null;
  if (!st.upToDate) {
    if (!store.readonly && st.available) ensureRefs(store, opts.actor ?? currentActor());
    else note = st.available ? `the event index covers leaves up to ${st.upto} of ${st.maxLeaf}` : 'the case has no event index (schema 3)';
  }
  if (!st.available) throw new UserError('pivot needs the event index (schema 3): open the case read-write once to upgrade it');
  const r = new Pivoter(store, opts).go(seed);
  if (note) r.context.push({ kind: 'limit', value: 'event-index', note: `${note}: links through issued credentials, AssumeRole targets and sourceIdentity may be missing`, eventIds: [] });
  return r;
}
