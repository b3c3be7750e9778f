// What a pivot knows while it runs: the attacker events found so far (compact
// columns, a few dictionary ids each), the identities followed, the
// indicators and context entries of the result, and the queue of identities
// still to follow. The other modules of the folder read and extend it.
import type { PivotContext, PivotIndicator, PivotIndicatorType } from '../../../shared/analysis/types.ts';
import { parseTime } from '../../../shared/time.ts';
import {
  batchOfLeaves, batchWhere, caseAccountIds, eventIdsByLeaf, eventsWhere, leavesFromIndexAlone, leavesOneByOne, leavesWhere, principalStringIds, stringId, stringIds,
  emptyBatch, type Batch, type EventsWhere,
} from '../../case/data/pivot.ts';
import { EvidenceReader } from '../../case/evidence.ts';
import { Dictionary } from '../../case/queries.ts';
import type { CaseStore } from '../../case/store.ts';
import { UserError } from '../../errors.ts';
import { arnName, refsState } from '../refs.ts';
import type { PivotOptions } from './rules.ts';

/** `ind`: the indicator whose events the job pulls in (its event count), -1 for none. */
export type Job = { hop: number; reason: string; ind: number } & (
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

export function obj(v: unknown): Record<string, any> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : null;
}
export function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

export interface IpState {
  followed: boolean;
  hop: number;
  via: string;
  ipIds: number[];
}

export class PivotState {
  readonly dict: Dictionary;
  readonly reader: EvidenceReader;
  /** Attacker events, one array per column, in the order found (the order the rules see them in). */
  readonly r: Omit<Batch, 'key'> & { hop: number[]; reason: number[] } = { leaf: [], time: [], ip: [], ua: [], name: [], arn: [], prin: [], hop: [], reason: [] };
  /** Row of each attacker event by leaf. */
  readonly rowOf = new Map<number, number>();
  /** Rows before this one have been examined. */
  examined = 0;
  /** Why events were pulled in (rows point here), and the indicator each reason belongs to (-1: none). */
  readonly reasons: string[] = [];
  readonly reasonInd: number[] = [];
  private reasonIdx = new Map<string, number>();
  queue: Job[] = [];
  readonly indicators: PivotIndicator[] = [];
  private indicatorAt = new Map<string, number>();
  readonly context: PivotContext[] = [];
  private contextKeys = new Set<string>();
  /** String ids of attacker access keys and principals (for "is this event the attacker's"). */
  readonly dKeyIds = new Set<number>();
  readonly dPrincipalIds = new Set<number>();
  readonly followedKeys = new Set<string>();
  readonly followedPrincipals = new Set<string>();
  readonly followedRoles = new Set<string>();
  readonly followedSessions = new Set<string>();
  readonly followedSourceIds = new Set<string>();
  readonly loginUsers = new Set<string>();
  readonly trustRoles = new Set<string>();
  /** Compromised principals (text of arn / user name / principal id), and users the attacker holds a key of. */
  readonly compromised = new Set<string>();
  readonly compromisedUsers = new Set<string>();
  /** Rows already looked at by refreshCompromised (rows only grow; a principal later found to be the attacker's own is harmless in the set). */
  private compromisedChecked = 0;
  readonly ipState = new Map<string, IpState>();
  /** Address ids already looked at by examine (each id stands for one address). */
  readonly ipIdsSeen = new Set<number>();
  readonly uaSeen = new Map<number, { hop: number; via: string }>();
  /** Event name id -> 1 IAM call that can create something, 2 STS call that issues credentials, 0 neither. */
  readonly nameKind = new Map<number, number>();
  private strIds = new Map<string, number | null>();
  private plans = new Map<string, boolean>();
  private ownAccounts: Set<string> | null = null;
  truncated = false;
  maxHop = 0;
  readonly maxEvents: number;
  readonly refsUpto: number;
  /** Only attacker events inside [since, until] (epoch ms), when the examiner knows when the compromise began. */
  readonly window: [number, number] | null = null;

  constructor(readonly store: CaseStore, readonly opts: PivotOptions) {
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

  // ---------------------------------------------------------------- reading

  strId(s: string): number | null {
    let id = this.strIds.get(s);
    if (id === undefined) {
      id = stringId(this.store, s);
      this.strIds.set(s, id);
    }
    return id;
  }

  /** Look up many strings at once (the credentials thousands of AssumeRole calls handed out). */
  prefetchStrIds(values: string[]): void {
    const todo = [...new Set(values.filter((v) => !this.strIds.has(v)))];
    if (!todo.length) return;
    for (const v of todo) this.strIds.set(v, null);
    for (const [s, id] of stringIds(this.store, todo)) {
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
   *
   * `capped`: the caller adds the events in this order ('as-found': the
   * query's, which must be ascending leaves (one key, one session); 'by-leaf':
   * sorted here) and stops at the event limit, so only the new events that can
   * still be added, and one more to show the limit, need their columns read. A
   * leaked key used all the time has hundreds of thousands of events in a big
   * case; the pivot keeps 100,000 (maxEvents). In found order the leaves are
   * read one by one and only until then.
   */
  batch(where: EventsWhere, windowed = true, all = false, capped: false | 'as-found' | 'by-leaf' | 'prefix' = false): Batch {
    const w = eventsWhere.within(where, windowed ? this.window : null);
    if (all || !this.indexOnly(w)) return batchWhere(this.store, w);
    const room = this.maxEvents - this.r.leaf.length;
    let leaves: number[];
    if (capped === 'as-found' || capped === 'prefix') {
      leaves = [];
      let fresh = 0;
      let over = -1;
      for (const l of leavesOneByOne(this.store, w)) {
        leaves.push(l);
        if (!this.rowOf.has(l) && ++fresh > room) {
          over = l;
          break; // (closes the statement before the next one runs)
        }
      }
      // 'prefix': the leaves found up to the first one past the room, read by leaf in the index's
      // own order, as addBatch would take them (right for any order of the index entries, e.g.
      // several ARNs each in leaf order, where the cut by leaf number below would not be).
      if (over >= 0) return capped === 'prefix' ? this.batchOf(leaves) : batchWhere(this.store, eventsWhere.upToLeaf(w, over));
    } else leaves = leavesWhere(this.store, w);
    let known = 0;
    for (const l of leaves) if (this.rowOf.has(l)) known++;
    if (capped && leaves.length - known > room + 1) {
      if (capped === 'by-leaf') leaves.sort((x, y) => x - y);
      let fresh = 0;
      let last = -1;
      for (const l of leaves) {
        if (this.rowOf.has(l)) continue;
        if (l > last) last = l;
        if (++fresh > room) break;
      }
      // The same query up to the last leaf that can be added: the index still drives it (the leaf
      // is the last column of every index entry), in the same order; known events in that range
      // are skipped by addBatch as before.
      return batchWhere(this.store, eventsWhere.upToLeaf(w, last));
    }
    // Mostly new events: one pass is cheaper than reading them by leaf. (Both give the index's
    // order: the same WHERE on the same index, only the columns read differ.)
    return known * 2 < leaves.length ? batchWhere(this.store, w) : this.batchOf(leaves);
  }

  /** The events of these leaves not found yet, in the order given. */
  batchOf(leaves: number[]): Batch {
    const fresh = leaves.filter((l) => !this.rowOf.has(l));
    return fresh.length ? batchOfLeaves(this.store, fresh) : emptyBatch();
  }

  /** Does SQLite answer this query on events from an index alone (no table row read)? Asked once per query text. */
  private indexOnly(w: EventsWhere): boolean {
    let v = this.plans.get(w.sql);
    if (v === undefined) {
      v = leavesFromIndexAlone(this.store, w);
      this.plans.set(w.sql, v);
    }
    return v;
  }

  /** eventIDs by leaf, for the few events a result names. */
  eventIds(leaves: Iterable<number>): Map<number, string> {
    return eventIdsByLeaf(this.store, [...new Set(leaves)]);
  }

  /** The case's own accounts (events and scope): AssumeRole callers from elsewhere are outsiders. */
  accounts(): Set<string> {
    if (!this.ownAccounts) {
      this.ownAccounts = new Set(caseAccountIds(this.store).map((id) => this.dict.str(id)!));
      for (const a of this.store.scope().accounts ?? []) this.ownAccounts.add(a);
    }
    return this.ownAccounts;
  }

  /** String ids a principal value stands for: an exact ARN, or a name = user name / last ARN path element. */
  principalIds(value: string): number[] {
    return principalStringIds(this.store, value);
  }

  // ---------------------------------------------------------------- the result's entries

  reasonId(reason: string, ind: number): number {
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
  indicator(type: PivotIndicatorType, value: string, reason: string, via: string | null, hop: number, followed: boolean): number {
    const k = `${type}\u0000${value}`;
    const at = this.indicatorAt.get(k);
    if (at !== undefined) return at;
    this.indicatorAt.set(k, this.indicators.length);
    this.indicators.push({ type, value, reason, viaEventId: via, hop, followed, events: 0 });
    if (hop > this.maxHop) this.maxHop = hop;
    return this.indicators.length - 1;
  }

  addContext(c: PivotContext): void {
    const k = `${c.kind}\u0000${c.value}`;
    if (this.contextKeys.has(k)) return;
    this.contextKeys.add(k);
    this.context.push(c);
  }

  // ---------------------------------------------------------------- whose events

  /** String ids of every principal that is the attacker's or compromised (for the SQL side of rule 4). */
  knownPrincipalIds(): number[] {
    const ids = new Set<number>(this.dPrincipalIds);
    for (const p of this.compromised) {
      const id = this.strId(p);
      if (id !== null) ids.add(id);
    }
    for (const u of this.compromisedUsers) for (const id of this.principalIds(u)) ids.add(id);
    return [...ids];
  }

  /** Is this user (by name) already followed as an attacker identity (created by it, or the seed)? */
  isFollowedUser(user: string): boolean {
    for (const p of this.followedPrincipals) if (p === user || (p.startsWith('arn:') && p.includes(':user/') && arnName(p) === user)) return true;
    return false;
  }

  /** Is this principal (ARN or name) one the attacker is known to act as without having created it (rule 3)? */
  isCompromised(p: string): boolean {
    if (this.compromised.has(p)) return true;
    const name = p.startsWith('arn:') && p.includes(':user/') ? arnName(p) : p;
    return this.compromisedUsers.has(name);
  }

  /** Recompute rule 3 from the attacker events found so far: principals acting in them that are not attacker identities. */
  refreshCompromised(): void {
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

  isAttackerEvent(leaf: number, key: number | null, arn: number | null): boolean {
    return this.rowOf.has(leaf) || (key !== null && this.dKeyIds.has(key)) || (arn !== null && this.dPrincipalIds.has(arn));
  }

  // ---------------------------------------------------------------- adding attacker events

  /**
   * Takes the batch's events that are not attacker events yet, in `order`
   * (indices into the batch; default the batch's own order), until the event limit.
   */
  addBatch(b: Batch, hop: number, reason: number | ((i: number) => number), order?: Iterable<number>): void {
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

  addJobRows(b: Batch, job: Job, reason = job.reason): void {
    this.addBatch(b, job.hop, this.reasonId(reason, job.ind));
  }

  // ---------------------------------------------------------------- identities to follow (rule 1)

  followKey(key: string, hop: number, reason: string, via: string | null): void {
    if (this.followedKeys.has(key)) return;
    this.followedKeys.add(key);
    const id = this.strId(key);
    if (id !== null) this.dKeyIds.add(id);
    const ind = this.indicator('access-key', key, reason, via, hop, true);
    this.queue.push({ kind: 'key', value: key, hop, reason: `access key ${key}: ${reason}`, ind });
  }

  followPrincipal(value: string, type: 'user' | 'principal', hop: number, reason: string, via: string | null): void {
    if (this.followedPrincipals.has(value)) return;
    this.followedPrincipals.add(value);
    const ind = this.indicator(type, value, reason, via, hop, true);
    this.queue.push({ kind: 'principal', value, hop, reason: `${type} ${value}: ${reason}`, ind });
  }

  followSession(arn: string, hop: number, reason: string, via: string | null): void {
    if (this.followedSessions.has(arn)) return;
    this.followedSessions.add(arn);
    const id = this.strId(arn);
    if (id !== null) this.dPrincipalIds.add(id);
    const ind = this.indicator('principal', arn, reason, via, hop, true);
    this.queue.push({ kind: 'session', value: arn, hop, reason: `session ${arn}: ${reason}`, ind });
  }

  followRole(name: string, arn: string | null, since: number | null, hop: number, reason: string, via: string | null): void {
    if (this.followedRoles.has(name)) return;
    this.followedRoles.add(name);
    const ind = this.indicator('role', arn ?? name, reason, via, hop, true);
    this.queue.push({ kind: 'role', value: name, arn, since, hop, reason: `role ${name}: ${reason}`, ind });
  }

  followSourceIdentity(v: string, hop: number, reason: string, via: string | null): void {
    if (this.followedSourceIds.has(v)) return;
    this.followedSourceIds.add(v);
    const ind = this.indicator('source-identity', v, reason, via, hop, true);
    this.queue.push({ kind: 'source-identity', value: v, hop, reason: `sourceIdentity ${v}: ${reason}`, ind });
  }
}
