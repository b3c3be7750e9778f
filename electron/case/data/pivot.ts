// The pivot's reads (electron/analysis/pivot/): every SQL statement it runs,
// over the indexed columns of `events`, the strings dictionary and the
// `event_refs` index. Read-only; the pivot decides what the rows mean.
//
// Attacker events travel as compact columns (one array per column, read with
// json_group_array in one statement), never as one object per event: a busy
// leaked key can pull in 100,000 events.
import type { CaseStore } from '../store.ts';
import { OUTSIDE_ROLLUP, ROLLUP_KIND, ROLLUP_KIND_ALL, timelineRollupStatus } from './timeline-rollup.ts';
import { rollupTotal, scanTuning } from './timeline.ts';
import { HOUR_MS } from '../../../shared/time.ts';

/** A condition on `events` with its parameters (built only by `eventsWhere` below). */
export interface EventsWhere {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** The columns an indicator's events are selected by (all indexed, or found through an indexed column). */
export type PivotColumn = 'access_key' | 'arn' | 'ip' | 'issuer_arn';

const inJson = (col: string) => `${col} IN (SELECT value FROM json_each(?))`;

/** The conditions the pivot selects events by. */
export const eventsWhere = {
  column: (col: PivotColumn, id: number): EventsWhere => ({ sql: `${col} = ?`, params: [id] }),
  columnIn: (col: PivotColumn, ids: readonly number[]): EventsWhere => ({ sql: inJson(col), params: [JSON.stringify(ids)] }),
  /**
   * Sessions issued by these roles (string ids). No index holds issuer_arn
   * (indexes.ts), and reading the whole table took 1.3 s warm at 10M events
   * (0.13 s at 1M). The role rollup counts events per hour by
   * coalesce(issuer_arn, ...) (timeline-rollup.ts), so its rows name every
   * hour such a session can be in: only those hours are read, through
   * events_time, and the condition stays exact (issuer_arn is checked on each
   * row; events without a time or before 1970, which the rollup leaves out,
   * are read too). Without a current rollup, or when those hours hold more
   * than scanTuning.fraction of the case (a busy role: rows read through the
   * time index cost ~20 times a row of a scan), the plain condition (a scan).
   * Rows come back in leaf order either way (a rowid IN list).
   */
  issuedBy: (store: CaseStore, ids: readonly number[]): EventsWhere => {
    const j = JSON.stringify(ids);
    if (!ids.length || !timelineRollupStatus(store).fresh) return { sql: inJson('issuer_arn'), params: [j] };
    const hours = store
      .stmt(`SELECT DISTINCT hour FROM timeline_hour WHERE kind = ${ROLLUP_KIND.role} AND g IN (SELECT value FROM json_each(?)) ORDER BY hour`)
      .pluck()
      .all(j) as number[];
    const inHours = store
      .stmt(`SELECT coalesce(sum(n), 0) FROM timeline_hour WHERE kind = ${ROLLUP_KIND_ALL} AND g = 0 AND hour IN (SELECT value FROM json_each(?))`)
      .pluck()
      .get(JSON.stringify(hours)) as number;
    const total = rollupTotal(store.reader, 0, Number.MAX_SAFE_INTEGER);
    if (inHours > total * scanTuning.fraction) return { sql: inJson('issuer_arn'), params: [j] };
    const ranges: [number, number][] = [];
    for (const h of hours) {
      const last = ranges[ranges.length - 1];
      if (last && last[1] === h * HOUR_MS - 1) last[1] = (h + 1) * HOUR_MS - 1;
      else ranges.push([h * HOUR_MS, (h + 1) * HOUR_MS - 1]);
    }
    return {
      sql: `leaf IN (SELECT e.leaf FROM json_each(?) r CROSS JOIN events e ON e.time_ms BETWEEN r.value ->> 0 AND r.value ->> 1 WHERE ${inJson('e.issuer_arn')}
              UNION ALL SELECT leaf FROM events WHERE ${OUTSIDE_ROLLUP} AND ${inJson('issuer_arn')})`,
      params: [JSON.stringify(ranges), j, j],
    };
  },
  leaves: (leaves: readonly number[]): EventsWhere => ({ sql: inJson('leaf'), params: [JSON.stringify(leaves)] }),
  /** Events whose request carried this sourceIdentity. */
  sourceIdentity: (value: string): EventsWhere => ({ sql: "leaf IN (SELECT leaf FROM event_refs WHERE kind = 'source-identity' AND value = ?)", params: [value] }),
  /** Successful AssumeRole* calls into this role (by name), at or after `since` when given. */
  assumeInto: (role: string, since: number | null): EventsWhere => ({
    sql: "leaf IN (SELECT leaf FROM event_refs WHERE kind = 'assume-target' AND value = ?) AND (? IS NULL OR time_ms >= ?) AND error_code IS NULL",
    params: [role, since, since],
  }),
  /** ConsoleLogin events (name id) of these principals (string ids, by user name or ARN) from `since` on. */
  consoleLogins: (nameId: number, since: number, principalIds: readonly number[]): EventsWhere => {
    const j = JSON.stringify(principalIds);
    return { sql: `name = ? AND time_ms >= ? AND (${inJson('user_name')} OR ${inJson('arn')})`, params: [nameId, since, j, j] };
  },
  /** The calls that issued this access key (STS credentials, from the event index). */
  issuedKey: (key: string): EventsWhere => ({ sql: "leaf IN (SELECT leaf FROM event_refs WHERE kind = 'issued-key' AND value = ?)", params: [key] }),
  /** Successful CreateUser / CreateRole calls (name ids) that targeted this user or role name. */
  createdPrincipal: (name: string, createUser: number, createRole: number): EventsWhere => ({
    sql: "leaf IN (SELECT leaf FROM event_refs WHERE kind IN ('target-user', 'target-role') AND value = ?) AND name IN (?, ?) AND error_code IS NULL",
    params: [name, createUser, createRole],
  }),
  /** Limits another condition to events up to this leaf. */
  upToLeaf: (w: EventsWhere, leaf: number): EventsWhere => ({ sql: `(${w.sql}) AND leaf <= ?`, params: [...w.params, leaf] }),
  /** Limits another condition to [from, to] (epoch ms). */
  within: (w: EventsWhere, window: readonly [number, number] | null): EventsWhere => (window ? { sql: `(${w.sql}) AND time_ms BETWEEN ? AND ?`, params: [...w.params, ...window] } : w),
};

/**
 * Events matched by one query, one array per column, in the query's order.
 * `name` is the event name only for calls without an error code (the only ones
 * that can create or issue anything); `prin` is the principal the event acted
 * as (ARN, else user name, else principal id).
 */
export interface Batch {
  leaf: number[];
  time: (number | null)[];
  ip: (number | null)[];
  ua: (number | null)[];
  name: (number | null)[];
  arn: (number | null)[];
  prin: (number | null)[];
  key: (number | null)[];
}

export const emptyBatch = (): Batch => ({ leaf: [], time: [], ip: [], ua: [], name: [], arn: [], prin: [], key: [] });

const BATCH_COLS = ['leaf', 'time_ms', 'ip', 'ua', 'CASE WHEN error_code IS NULL THEN name END', 'arn', 'coalesce(arn, user_name, principal_id)', 'access_key']
  .map((c) => `json_group_array(${c})`)
  .join(', ');

function columns(store: CaseStore, sql: string, params: readonly unknown[]): Batch {
  const [leaf, time, ip, ua, name, arn, prin, key] = (store.stmt(sql).raw().get(...params) as string[]).map((c) => JSON.parse(c) as any[]);
  return { leaf, time, ip, ua, name, arn, prin, key };
}

/** The batch columns of every event matching `w`, in SQLite's order for that query. */
export function batchWhere(store: CaseStore, w: EventsWhere): Batch {
  return columns(store, `SELECT ${BATCH_COLS} FROM events WHERE ${w.sql}`, w.params);
}

/** The batch columns of these events, in the order given (leaves not in the case are left out). */
export function batchOfLeaves(store: CaseStore, leaves: readonly number[]): Batch {
  if (!leaves.length) return emptyBatch();
  const b = columns(store, `SELECT ${BATCH_COLS} FROM events WHERE ${inJson('leaf')}`, [JSON.stringify(leaves)]);
  const at = new Map(b.leaf.map((l, i) => [l, i]));
  const order = leaves.map((l) => at.get(l)).filter((i): i is number => i !== undefined);
  const pick = <T>(col: T[]) => order.map((i) => col[i]);
  return { leaf: pick(b.leaf), time: pick(b.time), ip: pick(b.ip), ua: pick(b.ua), name: pick(b.name), arn: pick(b.arn), prin: pick(b.prin), key: pick(b.key) };
}

/** Leaves of the events matching `w`, in SQLite's order (from an index alone where one covers it). */
export function leavesWhere(store: CaseStore, w: EventsWhere): number[] {
  return JSON.parse(store.stmt(`SELECT json_group_array(leaf) FROM events WHERE ${w.sql}`).pluck().get(...w.params) as string);
}

/** Leaves of the events matching `w` one at a time, in SQLite's order (callers stop early). */
export function leavesOneByOne(store: CaseStore, w: EventsWhere): IterableIterator<number> {
  return store.db.prepare(`SELECT leaf FROM events WHERE ${w.sql}`).pluck().iterate(...w.params) as IterableIterator<number>;
}

/** Does SQLite answer "the leaves matching `w`" from an index alone (no table row read)? */
export function leavesFromIndexAlone(store: CaseStore, w: EventsWhere): boolean {
  const plan = (store.db.prepare(`EXPLAIN QUERY PLAN SELECT json_group_array(leaf) FROM events WHERE ${w.sql}`).all(...w.params) as { detail: string }[]).filter((x) =>
    /^(SEARCH|SCAN) (TABLE )?events\b/.test(x.detail),
  );
  return plan.length > 0 && plan.every((x) => x.detail.includes('COVERING INDEX'));
}

/** eventIDs by leaf. */
export function eventIdsByLeaf(store: CaseStore, leaves: readonly number[]): Map<number, string> {
  if (!leaves.length) return new Map();
  return new Map(store.stmt(`SELECT leaf, event_id FROM events WHERE ${inJson('leaf')}`).raw().all(JSON.stringify(leaves)) as [number, string][]);
}

/** The dictionary id of one string (null: not in the case). */
export function stringId(store: CaseStore, s: string): number | null {
  return (store.stmt('SELECT id FROM strings WHERE s = ?').get(s) as { id: number } | undefined)?.id ?? null;
}

/** Dictionary ids of many strings at once (those not in the case are absent). */
export function stringIds(store: CaseStore, values: readonly string[]): [string, number][] {
  return store.stmt('SELECT s, id FROM strings WHERE s IN (SELECT value FROM json_each(?))').raw().all(JSON.stringify(values)) as [string, number][];
}

// Statements that put a cached statement in raw or pluck mode must not share their text with
// callers of store.stmt that expect objects (better-sqlite3 keeps the mode on the statement):
// those below are prepared each time, as they are run once or twice per pivot.
function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** String ids a principal value stands for: an exact ARN, or a name = user name / the last path element of an IAM user ARN. */
export function principalStringIds(store: CaseStore, value: string): number[] {
  const conds = ['s = ?'];
  const p: unknown[] = [value];
  if (!value.startsWith('arn:')) {
    conds.push("s LIKE ? ESCAPE '\\'", "s LIKE ? ESCAPE '\\'");
    p.push('arn:%:iam::%:user/' + likeEscape(value), 'arn:%:iam::%:user/%/' + likeEscape(value));
  }
  return (store.db.prepare(`SELECT id FROM strings WHERE ${conds.join(' OR ')}`).raw().all(...p) as [number][]).map((r) => r[0]);
}

/** String ids of a role: its ARN when known, and every IAM role ARN ending in its name. */
export function roleStringIds(store: CaseStore, arn: string | null, name: string): number[] {
  const v = likeEscape(name);
  return (
    store.db.prepare("SELECT id FROM strings WHERE s = ? OR s LIKE ? ESCAPE '\\' OR s LIKE ? ESCAPE '\\'").raw().all(arn ?? '', `arn:%:iam::%:role/${v}`, `arn:%:iam::%:role/%/${v}`) as [number][]
  ).map((r) => r[0]);
}

/**
 * Events acting as one of these principals by user name, or as a session of
 * one of them (issuer): leaves, and whether each matched by user name.
 * Neither column is indexed for this (user_name only where arn is NULL), so
 * one pass over the events answers both.
 */
export function byUserNameOrIssuer(store: CaseStore, ids: readonly number[], window: readonly [number, number] | null): { leaves: number[]; byName: number[] } {
  const j = JSON.stringify(ids);
  const [leaves, byName] = (
    store
      .stmt(`SELECT json_group_array(leaf), json_group_array(${inJson('user_name')}) FROM events WHERE (${inJson('user_name')} OR ${inJson('issuer_arn')})${window ? ' AND time_ms BETWEEN ? AND ?' : ''}`)
      .raw()
      .get(j, j, j, ...(window ?? [])) as string[]
  ).map((x) => JSON.parse(x) as number[]);
  return { leaves, byName };
}

/**
 * Every account id (string ids) that events of the case belong to. From the
 * account rollup when it is current (its rows per account and hour; events
 * without a time or before 1970, which it leaves out, read through
 * events_time), else one scan of the table (1.6 s at 10M events).
 */
export function caseAccountIds(store: CaseStore): number[] {
  if (!timelineRollupStatus(store).fresh) return store.db.prepare('SELECT DISTINCT account FROM events WHERE account IS NOT NULL ORDER BY account').pluck().all() as number[];
  return store
    .stmt(
      `SELECT g FROM timeline_hour WHERE kind = ${ROLLUP_KIND.account} AND g >= 0
       UNION SELECT account FROM events WHERE ${OUTSIDE_ROLLUP} AND account IS NOT NULL ORDER BY 1`,
    )
    .pluck()
    .all() as number[];
}

/** What these STS calls issued (credentials, session, sourceIdentity), from the event index, with their eventIDs. */
export function issuedRefs(store: CaseStore, leaves: readonly number[]): [leaf: number, kind: 'issued-key' | 'issued-session' | 'source-identity', value: string, eventId: string][] {
  return store
    .stmt(
      `SELECT x.leaf, x.kind, x.value, e.event_id FROM json_each(?) j CROSS JOIN event_refs x ON x.leaf = j.value JOIN events e ON e.leaf = x.leaf
        WHERE x.kind IN ('issued-key', 'issued-session', 'source-identity') ORDER BY x.leaf, x.kind, x.value`,
    )
    .raw()
    .all(JSON.stringify(leaves)) as [number, 'issued-key' | 'issued-session' | 'source-identity', string, string][];
}

/** Columns for "is this event someone else's" (shared IPs and user agents). */
export type OtherRow = [leaf: number, eventId: string, accessKey: number | null, arn: number | null, principal: number | null];
const OTHER_COLS = 'leaf, event_id, access_key, arn, coalesce(arn, user_name, principal_id)';
const PRIN = 'coalesce(arn, user_name, principal_id)';

/** Rows of these events (any order); with `notPrincipals` (JSON list of string ids), events acting as one of them are left out. */
export function otherRows(store: CaseStore, leaves: readonly number[], notPrincipals?: string): OtherRow[] {
  const sql = `SELECT ${OTHER_COLS} FROM events WHERE ${inJson('leaf')}${notPrincipals ? ` AND (${PRIN} IS NULL OR ${PRIN} NOT IN (SELECT value FROM json_each(?)))` : ''}`;
  return store
    .stmt(sql)
    .raw()
    .all(JSON.stringify(leaves), ...(notPrincipals ? [notPrincipals] : [])) as OtherRow[];
}

/** The first `limit` events with this user agent (string id), from its index. */
export function leavesWithUserAgent(store: CaseStore, ua: number, limit: number): number[] {
  return store.stmt('SELECT leaf FROM events WHERE ua = ? LIMIT ?').pluck().all(ua, limit) as number[];
}

/** S3 buckets named in these events: bucket, events naming it, first such leaf. */
export function bucketsNamed(store: CaseStore, leaves: readonly number[]): [bucket: string, events: number, firstLeaf: number][] {
  // The listed events drive the loop (through the leaf index): they are far fewer than the case's bucket references.
  return store
    .stmt("SELECT x.value, count(*), min(x.leaf) FROM json_each(?) j CROSS JOIN event_refs x ON x.leaf = j.value WHERE x.kind = 'bucket' GROUP BY x.value ORDER BY x.value")
    .raw()
    .all(JSON.stringify(leaves)) as [string, number, number][];
}

// Every column an EventSummary needs (read only for the events a result lists).
const ROW_COLS =
  'leaf, event_id, time_ms, name, source, region, ip, ua, identity_type, arn, user_name, principal_id, access_key, issuer_arn, account, error_code, read_only, category, request_id, evidence_id';

/** Summary rows (for `toSummary`) of these events, by leaf. */
export function summaryRows(store: CaseStore, leaves: readonly number[]): Map<number, { leaf: number }> {
  const rows = store.stmt(`SELECT ${ROW_COLS} FROM events WHERE ${inJson('leaf')}`).all(JSON.stringify(leaves)) as { leaf: number }[];
  return new Map(rows.map((x) => [x.leaf, x]));
}
