// Pivot (issue 5, "Indicators and pivots"): from one seed indicator (a leaked
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
import { PIVOT_EVENT_LIMIT, type PivotContext, type PivotEvent, type PivotIndicator, type PivotIndicatorType, type PivotResult, type PivotSeed } from '../../shared/analysis/types.ts';
import type { AnalysisEvent } from '../../shared/analysis/findings.ts';
import { canonicalIp } from '../../shared/analysis/ioc.ts';
import { parseIp } from '../../shared/ip.ts';
import { isoUtc, parseTime } from '../../shared/time.ts';
import { EvidenceReader } from '../case/evidence.ts';
import { Dictionary, ipIdsOf, toSummary } from '../case/queries.ts';
import { currentActor, type CaseStore } from '../case/store.ts';
import { UserError } from '../errors.ts';
import { eventsByLeaves } from './records.ts';
import { arnName, ensureRefs, refsState } from './refs.ts';

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


// Every column an EventSummary needs (read only for the events a result lists).
const ROW_COLS =
  'leaf, event_id, time_ms, name, source, region, ip, ua, identity_type, arn, user_name, principal_id, access_key, issuer_arn, account, error_code, read_only, category, request_id, evidence_id';

/**
 * Events matched by one query, one array per column, in the query's order.
 * `name` is the event name only for calls without an error code (the only ones
 * that can create or issue anything); `prin` is the principal the event acted
 * as (ARN, else user name, else principal id).
 */
interface Batch {
  leaf: number[];
  time: (number | null)[];
  ip: (number | null)[];
  ua: (number | null)[];
  name: (number | null)[];
  arn: (number | null)[];
  prin: (number | null)[];
  key: (number | null)[];
}
const BATCH_COLS = ['leaf', 'time_ms', 'ip', 'ua', 'CASE WHEN error_code IS NULL THEN name END', 'arn', 'coalesce(arn, user_name, principal_id)', 'access_key']
  .map((c) => `json_group_array(${c})`)
  .join(', ');
/** Columns for "is this event someone else's" (shared IPs and user agents). */
const OTHER_COLS = 'leaf, event_id, access_key, arn, coalesce(arn, user_name, principal_id)';
type OtherRow = [leaf: number, eventId: string, accessKey: number | null, arn: number | null, principal: number | null];

/** IAM calls whose records can hand the attacker something new (read from the evidence). */
const IAM_CREATING = new Set(['CreateAccessKey', 'CreateUser', 'CreateLoginProfile', 'UpdateLoginProfile', 'CreateRole', 'UpdateAssumeRolePolicy']);
/** STS calls that issue credentials (their credentials, session and sourceIdentity come from event_refs). */
const STS_ISSUING = new Set(['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'GetSessionToken', 'GetFederationToken']);

/** `ind`: the indicator whose events the job pulls in (its event count), -1 for none. */
type Job = { hop: number; reason: string; ind: number } & (
  | { kind: 'key'; value: string }
  | { kind: 'principal'; value: string }
  | { kind: 'session'; value: string }
  | { kind: 'role'; value: string; arn: string | null; since: number | null }
  | { kind: 'trust'; value: string; since: number }
  | { kind: 'login'; value: string; since: number }
  | { kind: 'source-identity'; value: string }
  | { kind: 'ip'; value: string }
  | { kind: 'leaves'; leaves: number[] }
);

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
  /** Attacker events, one array per column, in the order found (the order the rules see them in). */
  private r: Omit<Batch, 'key'> & { hop: number[]; reason: number[] } = { leaf: [], time: [], ip: [], ua: [], name: [], arn: [], prin: [], hop: [], reason: [] };
  /** Row of each attacker event by leaf. */
  private rowOf = new Map<number, number>();
  /** Rows before this one have been examined. */
  private examined = 0;
  /** Why events were pulled in (rows point here), and the indicator each reason belongs to (-1: none). */
  private reasons: string[] = [];
  private reasonInd: number[] = [];
  private reasonIdx = new Map<string, number>();
  private queue: Job[] = [];
  private indicators: PivotIndicator[] = [];
  private indicatorAt = new Map<string, number>();
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
  /** Address ids already looked at by examine (each id stands for one address). */
  private ipIdsSeen = new Set<number>();
  private uaSeen = new Map<number, { hop: number; via: string }>();
  /** Event name id -> 1 IAM call that can create something, 2 STS call that issues credentials, 0 neither. */
  private nameKind = new Map<number, number>();
  private strIds = new Map<string, number | null>();
  private plans = new Map<string, boolean>();
  private ownAccounts: Set<string> | null = null;
  private truncated = false;
  private maxHop = 0;
  private readonly maxEvents: number;

  private refsUpto: number;
  /** Only attacker events inside [since, until] (epoch ms), when the examiner knows when the compromise began. */
  private window: [number, number] | null = null;

  constructor(private readonly store: CaseStore, private readonly opts: PivotOptions) {
    this.refsUpto = refsState(store).upto;
    this.maxEvents = opts.maxEvents ?? 100_000;
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
    let id = this.strIds.get(s);
    if (id === undefined) {
      id = (this.store.stmt('SELECT id FROM strings WHERE s = ?').get(s) as { id: number } | undefined)?.id ?? null;
      this.strIds.set(s, id);
    }
    return id;
  }

  /** Look up many strings at once (the credentials thousands of AssumeRole calls handed out). */
  private prefetchStrIds(values: string[]): void {
    const todo = [...new Set(values.filter((v) => !this.strIds.has(v)))];
    if (!todo.length) return;
    for (const v of todo) this.strIds.set(v, null);
    for (const [s, id] of this.store.stmt('SELECT s, id FROM strings WHERE s IN (SELECT value FROM json_each(?))').raw().all(JSON.stringify(todo)) as [string, number][]) {
      if (this.strIds.get(s) === null) this.strIds.set(s, id);
    }
  }

  /**
   * Events matching `where`, inside the pivot's time window unless `windowed`
   * is false, in SQLite's order for that query, as compact columns. When an
   * index alone answers the query (a key, a session ARN, an address) the leaves
   * come first and the columns are read only for events not found yet (a
   * followed address or session mostly repeats events already in hand);
   * `all` keeps every event, known or not (for callers that look at all of them).
   */
  private batch(where: string, params: unknown[], windowed = true, all = false): Batch {
    const w = windowed && this.window;
    const cond = w ? `(${where}) AND time_ms BETWEEN ? AND ?` : where;
    const p = w ? [...params, ...w] : params;
    const leafSql = `SELECT json_group_array(leaf) FROM events WHERE ${cond}`;
    const one = () => this.columns(`SELECT ${BATCH_COLS} FROM events WHERE ${cond}`, p);
    if (all || !this.indexOnly(leafSql, p)) return one();
    const leaves = JSON.parse(this.store.stmt(leafSql).pluck().get(...p) as string) as number[];
    let known = 0;
    for (const l of leaves) if (this.rowOf.has(l)) known++;
    // Mostly new events: one pass is cheaper than reading them by leaf. (Both give the index's
    // order: the same WHERE on the same index, only the columns read differ.)
    return known * 2 < leaves.length ? one() : this.batchOf(leaves);
  }

  /** The events of these leaves not found yet, in the order given. */
  private batchOf(leaves: number[]): Batch {
    const fresh = leaves.filter((l) => !this.rowOf.has(l));
    if (!fresh.length) return { leaf: [], time: [], ip: [], ua: [], name: [], arn: [], prin: [], key: [] };
    const b = this.columns(`SELECT ${BATCH_COLS} FROM events WHERE leaf IN (SELECT value FROM json_each(?))`, [JSON.stringify(fresh)]);
    const at = new Map(b.leaf.map((l, i) => [l, i]));
    const order = fresh.map((l) => at.get(l)!).filter((i) => i !== undefined);
    const pick = <T>(col: T[]) => order.map((i) => col[i]);
    return { leaf: pick(b.leaf), time: pick(b.time), ip: pick(b.ip), ua: pick(b.ua), name: pick(b.name), arn: pick(b.arn), prin: pick(b.prin), key: pick(b.key) };
  }

  private columns(sql: string, params: unknown[]): Batch {
    const [leaf, time, ip, ua, name, arn, prin, key] = (this.store.stmt(sql).raw().get(...params) as string[]).map((c) => JSON.parse(c) as any[]);
    return { leaf, time, ip, ua, name, arn, prin, key };
  }

  /** Does SQLite answer this query on events from an index alone (no table row read)? Asked once per query text. */
  private indexOnly(sql: string, params: unknown[]): boolean {
    let v = this.plans.get(sql);
    if (v === undefined) {
      const plan = (this.store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).filter((x) => /^(SEARCH|SCAN) (TABLE )?events\b/.test(x.detail));
      v = plan.length > 0 && plan.every((x) => x.detail.includes('COVERING INDEX'));
      this.plans.set(sql, v);
    }
    return v;
  }

  /** Leaves of the events matching `where`, in SQLite's order (from an index alone where one covers it). */
  private leavesWhere(where: string, params: unknown[]): number[] {
    return JSON.parse(this.store.stmt(`SELECT json_group_array(leaf) FROM events WHERE ${where}`).pluck().get(...params) as string);
  }

  /** eventIDs by leaf, for the few events a result names. */
  private eventIds(leaves: Iterable<number>): Map<number, string> {
    const list = [...new Set(leaves)];
    if (!list.length) return new Map();
    return new Map(this.store.stmt('SELECT leaf, event_id FROM events WHERE leaf IN (SELECT value FROM json_each(?))').raw().all(JSON.stringify(list)) as [number, string][]);
  }

  private reasonId(reason: string, ind: number): number {
    let i = this.reasonIdx.get(reason);
    if (i === undefined) {
      i = this.reasons.length;
      this.reasons.push(reason);
      this.reasonInd.push(ind);
      this.reasonIdx.set(reason, i);
    }
    return i;
  }

  /** Adds the indicator unless one of that type and value exists; its index either way. */
  private indicator(type: PivotIndicatorType, value: string, reason: string, via: string | null, hop: number, followed: boolean): number {
    const k = `${type}\u0000${value}`;
    const at = this.indicatorAt.get(k);
    if (at !== undefined) return at;
    this.indicatorAt.set(k, this.indicators.length);
    this.indicators.push({ type, value, reason, viaEventId: via, hop, followed, events: 0 });
    if (hop > this.maxHop) this.maxHop = hop;
    return this.indicators.length - 1;
  }

  private addContext(c: PivotContext): void {
    const k = `${c.kind}\u0000${c.value}`;
    if (this.contextKeys.has(k)) return;
    this.contextKeys.add(k);
    this.context.push(c);
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
    const { arn, prin } = this.r;
    const n = this.r.leaf.length;
    for (let i = this.compromisedChecked; i < n; i++) {
      const a = arn[i];
      if (a !== null && this.dPrincipalIds.has(a)) continue;
      const p = this.dict.str(prin[i]);
      if (p && !this.followedPrincipals.has(p)) this.compromised.add(p);
    }
    this.compromisedChecked = n;
  }

  private isAttackerEvent(leaf: number, key: number | null, arn: number | null): boolean {
    return this.rowOf.has(leaf) || (key !== null && this.dKeyIds.has(key)) || (arn !== null && this.dPrincipalIds.has(arn));
  }

  /**
   * Takes the batch's events that are not attacker events yet, in `order`
   * (indices into the batch; default the batch's own order), until the event limit.
   */
  private addBatch(b: Batch, hop: number, reason: number | ((i: number) => number), order?: Iterable<number>): void {
    const r = this.r;
    const idx = order ?? b.leaf.keys();
    for (const i of idx) {
      const leaf = b.leaf[i];
      if (this.rowOf.has(leaf)) continue;
      if (r.leaf.length >= this.maxEvents) {
        this.truncated = true;
        return;
      }
      this.rowOf.set(leaf, r.leaf.length);
      r.leaf.push(leaf);
      r.time.push(b.time[i]);
      r.ip.push(b.ip[i]);
      r.ua.push(b.ua[i]);
      r.name.push(b.name[i]);
      r.arn.push(b.arn[i]);
      r.prin.push(b.prin[i]);
      r.hop.push(hop);
      r.reason.push(typeof reason === 'number' ? reason : reason(i));
    }
  }

  private addJobRows(b: Batch, job: Job, reason = job.reason): void {
    this.addBatch(b, job.hop, this.reasonId(reason, job.ind));
  }

  // ---------------------------------------------------------------- identities

  private followKey(key: string, hop: number, reason: string, via: string | null): void {
    if (this.followedKeys.has(key)) return;
    this.followedKeys.add(key);
    const id = this.strId(key);
    if (id !== null) this.dKeyIds.add(id);
    const ind = this.indicator('access-key', key, reason, via, hop, true);
    this.queue.push({ kind: 'key', value: key, hop, reason: `access key ${key}: ${reason}`, ind });
  }

  private followPrincipal(value: string, type: 'user' | 'principal', hop: number, reason: string, via: string | null): void {
    if (this.followedPrincipals.has(value)) return;
    this.followedPrincipals.add(value);
    const ind = this.indicator(type, value, reason, via, hop, true);
    this.queue.push({ kind: 'principal', value, hop, reason: `${type} ${value}: ${reason}`, ind });
  }

  private followSession(arn: string, hop: number, reason: string, via: string | null): void {
    if (this.followedSessions.has(arn)) return;
    this.followedSessions.add(arn);
    const id = this.strId(arn);
    if (id !== null) this.dPrincipalIds.add(id);
    const ind = this.indicator('principal', arn, reason, via, hop, true);
    this.queue.push({ kind: 'session', value: arn, hop, reason: `session ${arn}: ${reason}`, ind });
  }

  private followRole(name: string, arn: string | null, since: number | null, hop: number, reason: string, via: string | null): void {
    if (this.followedRoles.has(name)) return;
    this.followedRoles.add(name);
    const ind = this.indicator('role', arn ?? name, reason, via, hop, true);
    this.queue.push({ kind: 'role', value: name, arn, since, hop, reason: `role ${name}: ${reason}`, ind });
  }

  private followSourceIdentity(v: string, hop: number, reason: string, via: string | null): void {
    if (this.followedSourceIds.has(v)) return;
    this.followedSourceIds.add(v);
    const ind = this.indicator('source-identity', v, reason, via, hop, true);
    this.queue.push({ kind: 'source-identity', value: v, hop, reason: `sourceIdentity ${v}: ${reason}`, ind });
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
    const byCol = new Map<'access_key' | 'arn', Map<number, Job>>([['access_key', new Map()], ['arn', new Map()]]);
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
      const b = this.batch(`${col} IN (SELECT value FROM json_each(?))`, [JSON.stringify([...m.keys()])]);
      const order = [...b.leaf.keys()].sort((x, y) => b.leaf[x] - b.leaf[y]);
      const ids = col === 'access_key' ? b.key : b.arn;
      const reasonOf = new Map<Job, number>();
      this.addBatch(b, m.values().next().value!.hop, (i) => {
        const job = m.get(ids[i]!)!;
        let r = reasonOf.get(job);
        if (r === undefined) reasonOf.set(job, (r = this.reasonId(job.reason, job.ind)));
        return r;
      }, order);
    }
    return rest;
  }

  private run(job: Job): void {
    const inList = (col: string, ids: number[]) => this.batch(`${col} IN (SELECT value FROM json_each(?))`, [JSON.stringify(ids)]);
    switch (job.kind) {
      case 'key': {
        const id = this.strId(job.value);
        if (id !== null) this.addJobRows(this.batch('access_key = ?', [id]), job);
        return;
      }
      case 'session': {
        const id = this.strId(job.value);
        if (id !== null) this.addJobRows(this.batch('arn = ?', [id]), job);
        return;
      }
      case 'principal': {
        const ids = this.principalIds(job.value);
        for (const i of ids) this.dPrincipalIds.add(i);
        if (!ids.length) return;
        this.addJobRows(inList('arn', ids), job);
        // By user name, then as a role session's issuer: neither column is indexed for this
        // (user_name only where arn is NULL), so one pass over the events answers both.
        const j = JSON.stringify(ids);
        const w = this.window;
        const [leaves, byName] = (
          this.store
            .stmt(
              `SELECT json_group_array(leaf), json_group_array(user_name IN (SELECT value FROM json_each(?))) FROM events
                WHERE (user_name IN (SELECT value FROM json_each(?)) OR issuer_arn IN (SELECT value FROM json_each(?)))${w ? ' AND time_ms BETWEEN ? AND ?' : ''}`,
            )
            .raw()
            .get(j, j, j, ...(w ?? [])) as string[]
        ).map((x) => JSON.parse(x) as number[]);
        this.addJobRows(this.batchOf(leaves.filter((_, i) => byName[i] === 1)), job);
        this.addJobRows(this.batchOf(leaves.filter((_, i) => byName[i] !== 1)), job);
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
          const sessions = this.batch('issuer_arn IN (SELECT value FROM json_each(?))', [JSON.stringify(ids)], true, true);
          for (const a of sessions.arn) if (a !== null) this.dPrincipalIds.add(a);
          this.addJobRows(sessions, job);
        }
        // AssumeRole calls into it (whoever made them: the role is the attacker's).
        this.addJobRows(this.assumeInto(job.value, job.since), job, `AssumeRole into ${job.reason}`);
        return;
      }
      case 'trust': {
        const own = this.accounts();
        const b = this.assumeInto(job.value, job.since);
        const take: number[] = [];
        const events = eventsByLeaves(this.store, b.leaf, this.reader);
        const at = new Map(b.leaf.map((l, i) => [l, i]));
        for (const e of events) {
          const i = at.get(e.leaf)!;
          const callerAcct = str(obj(e.record.userIdentity)?.accountId);
          if (this.isAttackerEvent(e.leaf, b.key[i], b.arn[i]) || (callerAcct !== null && !own.has(callerAcct))) take.push(i);
          else
            this.addContext({
              kind: 'not-followed',
              value: e.eventId,
              note: `AssumeRole into ${job.value} by ${e.n.principalArn ?? 'a principal'} of this case's accounts after the trust change: not attributed to the attacker`,
              eventIds: [e.eventId],
            });
        }
        this.addBatch(b, job.hop, this.reasonId(job.reason, job.ind), take);
        return;
      }
      case 'login': {
        const ids = this.principalIds(job.value);
        const name = this.strId('ConsoleLogin');
        if (!ids.length || name === null) return;
        const j = JSON.stringify(ids);
        this.addJobRows(this.batch('name = ? AND time_ms >= ? AND (user_name IN (SELECT value FROM json_each(?)) OR arn IN (SELECT value FROM json_each(?)))', [name, job.since, j, j]), job);
        return;
      }
      case 'source-identity':
        this.addJobRows(this.batch("leaf IN (SELECT leaf FROM event_refs WHERE kind = 'source-identity' AND value = ?)", [job.value]), job);
        return;
      case 'ip': {
        const st = this.ipState.get(job.value)!;
        this.addJobRows(this.batch('ip IN (SELECT value FROM json_each(?))', [JSON.stringify(st.ipIds)]), job);
        return;
      }
      case 'leaves':
        this.addJobRows(this.batch('leaf IN (SELECT value FROM json_each(?))', [JSON.stringify(job.leaves)]), job);
        return;
    }
  }

  private assumeInto(role: string, since: number | null): Batch {
    return this.batch(
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

  private kindOfName(id: number): number {
    let k = this.nameKind.get(id);
    if (k === undefined) {
      const name = this.dict.str(id)!;
      k = IAM_CREATING.has(name) ? 1 : STS_ISSUING.has(name) ? 2 : 0;
      this.nameKind.set(id, k);
    }
    return k;
  }

  private examine(): void {
    const r = this.r;
    const from = this.examined;
    const to = r.leaf.length;
    this.examined = to;
    const creating: number[] = [];
    const issuing: number[] = [];
    /** First events of new addresses and user agents: their eventIDs are read below, all at once. */
    const via: [{ via: string }, number][] = [];
    for (let i = from; i < to; i++) {
      const leaf = r.leaf[i];
      const ip = r.ip[i];
      if (ip !== null && !this.ipIdsSeen.has(ip)) {
        this.ipIdsSeen.add(ip);
        const text = this.dict.ip(ip)!;
        const key = canonicalIp(text) ?? text;
        if (!this.ipState.has(key)) {
          const st = { followed: false, hop: r.hop[i] + 1, via: '', ipIds: [] };
          this.ipState.set(key, st);
          via.push([st, leaf]);
        }
      }
      const ua = r.ua[i];
      if (ua !== null && !this.uaSeen.has(ua)) {
        const st = { hop: r.hop[i] + 1, via: '' };
        this.uaSeen.set(ua, st);
        via.push([st, leaf]);
      }
      const name = r.name[i];
      if (name !== null) {
        const k = this.kindOfName(name);
        if (k === 1) creating.push(leaf);
        // Beyond the event index (a read-only case imported into since): read the record instead.
        else if (k === 2) (leaf <= this.refsUpto ? issuing : creating).push(leaf);
      }
    }
    if (via.length) {
      const ids = this.eventIds(via.map((v) => v[1]));
      for (const [st, leaf] of via) st.via = ids.get(leaf)!;
    }
    if (issuing.length) this.deriveIssued(issuing);
    if (!creating.length) return;
    for (const e of eventsByLeaves(this.store, creating, this.reader)) this.derive(e, r.hop[this.rowOf.get(e.leaf)!] + 1);
  }

  /**
   * STS calls by the attacker: the credentials, session and sourceIdentity
   * they handed out, from event_refs (no record needed: a stolen CI key may
   * make thousands of AssumeRole calls).
   */
  private deriveIssued(leaves: number[]): void {
    const refs = this.store
      .stmt(
        `SELECT x.leaf, x.kind, x.value, e.event_id FROM json_each(?) j CROSS JOIN event_refs x ON x.leaf = j.value JOIN events e ON e.leaf = x.leaf
          WHERE x.kind IN ('issued-key', 'issued-session', 'source-identity') ORDER BY x.leaf, x.kind, x.value`,
      )
      .raw()
      .all(JSON.stringify(leaves)) as [number, string, string, string][];
    this.prefetchStrIds(refs.filter((x) => x[1] !== 'source-identity').map((x) => x[2]));
    for (const [leaf, kind, value, eventId] of refs) {
      const i = this.rowOf.get(leaf)!;
      const name = this.dict.str(this.r.name[i]);
      const t = this.r.time[i];
      const when = t === null ? 'unknown time' : isoUtc(t);
      const hop = this.r.hop[i] + 1;
      if (kind === 'issued-key') this.followKey(value, hop, `temporary credentials issued to attacker event ${eventId} (${name} at ${when})`, eventId);
      else if (kind === 'issued-session') this.followSession(value, hop, `session issued to attacker event ${eventId} (${name} at ${when})`, eventId);
      else this.followSourceIdentity(value, hop, `sourceIdentity of attacker event ${eventId} (${name} at ${when})`, eventId);
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
        const ind = this.indicator('user', user, reason, e.eventId, hop, true);
        this.queue.push({ kind: 'login', value: user, since: e.timeMs ?? 0, hop, reason: `console login of ${user} after ${name} in ${e.eventId}`, ind });
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
        const ind = this.indicator('role', roleName, reason, e.eventId, hop, true);
        this.queue.push({ kind: 'trust', value: roleName, since: e.timeMs ?? 0, hop, reason: `AssumeRole into ${roleName} after its trust change in ${e.eventId}`, ind });
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

  /** Decide the undecided (or earlier rejected) IPs; returns true when one was newly followed. */
  private decideIps(): boolean {
    this.refreshCompromised();
    let any = false;
    // Attacker keys and principals do not change while the addresses are decided: looked up once.
    let keyLeaves: Set<number> | null = null;
    let known: string | null = null;
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
      if (!st.ipIds.length) st.ipIds = ipIdsOf(this.store, [ip]);
      const others = new Map<string, string[]>();
      let otherEvents = 0;
      // Events from the address, in the address index's order, less those found as the attacker's
      // and those made with an attacker key: both sets are leaves read from indexes alone, so a busy
      // address of the attacker's own costs no table reads. SQLite then drops events of attacker or
      // compromised principals, and the loop re-checks what is left exactly (the filters only ever
      // remove events the loop would skip).
      keyLeaves ??= new Set(this.leavesWhere('access_key IN (SELECT value FROM json_each(?))', [JSON.stringify([...this.dKeyIds])]));
      const candidates = this.leavesWhere('ip IN (SELECT value FROM json_each(?))', [JSON.stringify(st.ipIds)]).filter((l) => !this.rowOf.has(l) && !keyLeaves!.has(l));
      known ??= JSON.stringify(this.knownPrincipalIds());
      for (const [leaf, eventId, key, arn, prin] of this.otherRows(candidates, known)) {
        if (this.isAttackerEvent(leaf, key, arn)) continue;
        const p = this.dict.str(prin) ?? '(no principal)';
        if (this.isCompromised(p)) continue;
        otherEvents++;
        const list = others.get(p);
        if (list) {
          if (list.length < 5) list.push(eventId);
        } else others.set(p, [eventId]);
        if (others.size >= 5 && otherEvents >= 50) break;
      }
      if (others.size === 0) {
        st.followed = true;
        any = true;
        const ind = this.indicator('ip', ip, `source address of attacker event ${st.via}, used by no one else in the case`, st.via, st.hop, true);
        this.queue.push({ kind: 'ip', value: ip, hop: st.hop, reason: `from attacker IP ${ip} (first seen in ${st.via})`, ind });
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

  /**
   * Rows of these events, in this order, read 500 at a time as the caller goes on (callers stop
   * early); with `notPrincipals` (JSON list of string ids), events acting as one of them are left out.
   */
  private *otherRows(leaves: number[], notPrincipals?: string): Generator<OtherRow> {
    const sql = `SELECT ${OTHER_COLS} FROM events WHERE leaf IN (SELECT value FROM json_each(?))${
      notPrincipals ? ' AND (coalesce(arn, user_name, principal_id) IS NULL OR coalesce(arn, user_name, principal_id) NOT IN (SELECT value FROM json_each(?)))' : ''
    }`;
    for (let at = 0; at < leaves.length; at += 500) {
      const chunk = leaves.slice(at, at + 500);
      const rows = this.store
        .stmt(sql)
        .raw()
        .all(JSON.stringify(chunk), ...(notPrincipals ? [notPrincipals] : [])) as OtherRow[];
      const byLeaf = new Map(rows.map((x) => [x[0], x]));
      for (const l of chunk) {
        const row = byLeaf.get(l);
        if (row) yield row;
      }
    }
  }

  private reportUserAgents(): void {
    for (const [ua, st] of this.uaSeen) {
      const text = this.dict.str(ua)!;
      const others = new Set<string>();
      // The first 5,000 events with it (leaves from the index), less those found as the attacker's.
      const leaves = this.store.stmt('SELECT leaf FROM events WHERE ua = ? LIMIT 5000').pluck().all(ua) as number[];
      const sample: string[] = [];
      let otherEvents = 0;
      for (const [leaf, eventId, key, arn, prin] of this.otherRows(leaves.filter((l) => !this.rowOf.has(l)))) {
        if (this.isAttackerEvent(leaf, key, arn)) continue;
        otherEvents++;
        if (sample.length < 5) sample.push(eventId);
        const p = this.dict.str(prin);
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
    if (!this.r.leaf.length) return;
    // Attacker events drive the loop (through the leaf index): they are far fewer than the case's bucket references.
    const rows = this.store
      .stmt("SELECT x.value, count(*), min(x.leaf) FROM json_each(?) j CROSS JOIN event_refs x ON x.leaf = j.value WHERE x.kind = 'bucket' GROUP BY x.value ORDER BY x.value")
      .raw()
      .all(JSON.stringify(this.r.leaf)) as [string, number, number][];
    const ids = this.eventIds(rows.map((x) => x[2]));
    for (const [value, n, first] of rows) {
      const hop = this.r.hop[this.rowOf.get(first)!];
      this.indicator('bucket', value, `named in ${n} attacker event(s); a target, reported, not followed`, ids.get(first)!, hop + 1, false);
    }
  }

  // ---------------------------------------------------------------- creators (rule 6)

  private creators(seed: PivotSeed): void {
    const found: { leaf: number; what: string }[] = [];
    if (seed.key) {
      for (const leaf of this.leavesWhere("leaf IN (SELECT leaf FROM event_refs WHERE kind = 'issued-key' AND value = ?)", [seed.key])) found.push({ leaf, what: `access key ${seed.key}` });
    }
    if (seed.principal) {
      const n = arnName(seed.principal);
      const cu = this.strId('CreateUser');
      const cr = this.strId('CreateRole');
      for (const leaf of this.leavesWhere("leaf IN (SELECT leaf FROM event_refs WHERE kind IN ('target-user', 'target-role') AND value = ?) AND name IN (?, ?) AND error_code IS NULL", [n, cu ?? -1, cr ?? -1]))
        found.push({ leaf, what: `${seed.principal}` });
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
        this.queue.push({ kind: 'leaves', leaves: [e.leaf], hop: 0, reason: `created the seed ${what} (followCreators)`, ind: -1 });
        if (e.n.accessKeyId) this.followKey(e.n.accessKeyId, 1, `credentials of the session that created the seed ${what} in ${e.eventId}`, e.eventId);
      }
    }
  }

  // ---------------------------------------------------------------- result

  /** Principals acting in attacker events that are not attacker identities (rule 3), each with its first such event. */
  private reportCompromised(): void {
    this.refreshCompromised();
    if (!this.compromised.size) return;
    const r = this.r;
    const first = new Map<string, number>();
    const seen = new Set<number>();
    for (let i = 0; i < r.leaf.length; i++) {
      const a = r.arn[i];
      const id = r.prin[i];
      if (id === null || seen.has(id) || (a !== null && this.dPrincipalIds.has(a))) continue;
      seen.add(id);
      const p = this.dict.str(id);
      if (p && !first.has(p)) first.set(p, i);
    }
    const listed: [string, number][] = [];
    for (const p of this.compromised) {
      const i = first.get(p);
      if (i !== undefined && !this.followedPrincipals.has(p)) listed.push([p, i]);
    }
    const ids = this.eventIds(listed.map(([, i]) => r.leaf[i]));
    for (const [p, i] of listed) {
      const eventId = ids.get(r.leaf[i])!;
      this.addContext({
        kind: 'compromised-principal',
        value: p,
        note: `acted in attacker event ${eventId} (${this.reasons[r.reason[i]]}); reported, not followed as a whole: its other activity may be its owner's`,
        eventIds: [eventId],
      });
    }
  }

  /** These attacker events (row indices), as summaries. */
  private listEvents(shown: number[]): PivotEvent[] {
    const r = this.r;
    if (!shown.length) return [];
    const rows = this.store.stmt(`SELECT ${ROW_COLS} FROM events WHERE leaf IN (SELECT value FROM json_each(?))`).all(JSON.stringify(shown.map((i) => r.leaf[i]))) as { leaf: number }[];
    const byLeaf = new Map(rows.map((x) => [x.leaf, x]));
    return shown.map((i) => ({ ...toSummary(this.dict, byLeaf.get(r.leaf[i])), hop: r.hop[i], reason: this.reasons[r.reason[i]] }));
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
      this.ipState.set(c, { followed: true, hop: 0, via: '', ipIds: ipIdsOf(this.store, [c]) });
      const ind = this.indicator('ip', c, 'seed (followed whoever else uses it: the examiner chose it)', null, 0, true);
      this.queue.push({ kind: 'ip', value: c, hop: 0, reason: `from seed IP ${c}`, ind });
    }
    if (!seed.key && !seed.principal && !seed.ip) throw new UserError('pivot needs a seed: an access key, an IP or a principal');
    const limit = this.opts.eventLimit ?? PIVOT_EVENT_LIMIT;
    if (!(limit >= 0)) throw new UserError(`pivot: eventLimit ${limit} is not a count`);
    this.creators(seed);
    for (;;) {
      while (this.queue.length && !this.truncated) {
        // Breadth first: all pending jobs of the lowest hop; keys and sessions grouped into one query per column.
        let hop = Infinity;
        for (const j of this.queue) if (j.hop < hop) hop = j.hop;
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
    this.reportCompromised();
    this.reportUserAgents();
    this.reportBuckets();
    if (this.truncated) this.addContext({ kind: 'limit', value: String(this.maxEvents), note: 'stopped at the event limit: the result is incomplete', eventIds: [] });

    // Counts over every attacker event; summaries only for the events listed.
    const r = this.r;
    const n = r.leaf.length;
    const eventsByHop: number[] = [];
    const perReason = new Array<number>(this.reasons.length).fill(0);
    let hops = this.maxHop;
    let first = Infinity;
    let last = -Infinity;
    for (let i = 0; i < n; i++) {
      const h = r.hop[i];
      eventsByHop[h] = (eventsByHop[h] ?? 0) + 1;
      if (h > hops) hops = h;
      perReason[r.reason[i]]++;
      const t = r.time[i];
      if (t !== null) {
        if (t < first) first = t;
        if (t > last) last = t;
      }
    }
    for (let h = 0; h < eventsByHop.length; h++) eventsByHop[h] ??= 0;
    for (let k = 0; k < perReason.length; k++) if (this.reasonInd[k] >= 0) this.indicators[this.reasonInd[k]].events += perReason[k];
    const order = [...r.leaf.keys()].sort((x, y) => (r.time[x] ?? Infinity) - (r.time[y] ?? Infinity) || r.leaf[x] - r.leaf[y]);
    const events = this.listEvents(limit < n ? order.slice(0, limit) : order);
    let eventIds: string[] | undefined;
    if (this.opts.allEventIds) {
      const ids = this.eventIds(r.leaf);
      eventIds = order.map((i) => ids.get(r.leaf[i])!);
    }
    return {
      seed,
      eventCount: n,
      eventsByHop,
      firstEventTime: first === Infinity ? null : isoUtc(first),
      lastEventTime: last === -Infinity ? null : isoUtc(last),
      events,
      eventsTruncated: events.length < n,
      ...(eventIds ? { eventIds } : {}),
      indicators: this.indicators,
      context: this.context,
      hops,
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
