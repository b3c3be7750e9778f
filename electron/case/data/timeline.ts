// The timeline's reads (shared/api/timeline.ts): window bounds, event counts,
// density rows (direct GROUP BY over events, or from the rollups of
// timeline-rollup.ts) and the items of a small window. The API logic (which
// path answers, top groups, labels, IOC marks) stays in
// electron/api/timeline-handlers.ts; here is only the SQL, rows typed once.
//
// Fixed statements are kept prepared (`cached`): the timeline is redrawn on every
// pan and zoom. Statements whose text carries a filter's clauses are prepared
// per call, as before: their text varies with the filter (one `?` per listed
// value), so caching them would grow without bound.
import type { TimelineGroupBy } from '../../../shared/api/timeline-types.ts';
import { cached, type ReadableDB } from './db.ts';
import { ROLLUP_KIND, ROLLUP_KIND_ALL } from './timeline-rollup.ts';

/** A condition over events with its parameters (a filter from case/queries.ts, with or without the window). */
export interface Where {
  where: string;
  params: readonly unknown[];
}

/**
 * The column an event is grouped by. "principal" is the ARN, else the user
 * name, else the principal id, else the identity type (AWS services and
 * anonymous callers carry no ARN); all four share the strings dictionary, so
 * coalescing their ids is sound. Must agree with timeline-rollup.ts's columns.
 */
export const GROUP_COLUMN: Record<TimelineGroupBy, string> = {
  principal: 'coalesce(arn, user_name, principal_id, identity_type)',
  // A role session's issuer is its role (sessionContext.sessionIssuer.arn): every session of a role in one row.
  role: 'coalesce(issuer_arn, arn, user_name, principal_id, identity_type)',
  ip: 'ip',
  service: 'source',
  account: 'account',
  region: 'region',
  // Counted per address, then folded by the address's recorded enrichment answer (the handler's addressGrouped).
  country: 'ip',
  asn: 'ip',
};

/** A filter restricted to [startMs, endMs]. */
export function windowWhere(f: Where, startMs: number, endMs: number): Where {
  return { where: `time_ms BETWEEN ? AND ? AND ${f.where}`, params: [startMs, endMs, ...f.params] };
}

/** First and last event time the filter keeps; null when it keeps no timed event. */
export function eventTimeBounds(db: ReadableDB, f: Where): { first: number; last: number } | null {
  // Unfiltered, min and max asked separately are two index lookups; together (or with a WHERE) SQLite scans the whole index.
  const r = (
    f.where === '1'
      ? {
          a: (cached(db, 'SELECT min(time_ms) AS m FROM events').get() as { m: number | null }).m,
          b: (cached(db, 'SELECT max(time_ms) AS m FROM events').get() as { m: number | null }).m,
        }
      : db.prepare(`SELECT min(time_ms) AS a, max(time_ms) AS b FROM events WHERE time_ms IS NOT NULL AND ${f.where}`).get(...f.params)
  ) as { a: number | null; b: number | null };
  return r.a === null || r.b === null ? null : { first: r.a, last: r.b };
}

/**
 * The first and last event time of these source addresses (ips.id): two
 * seeks per address in events_ip (ip, time_ms), where min and max over a
 * filter read every matching index entry (2.27M entries, 250-550 ms, for the
 * busiest address of a 10M-event case). min() and max() skip untimed events,
 * as eventTimeBounds does.
 */
export function ipTimeBounds(db: ReadableDB, ipIds: readonly number[]): { first: number; last: number } | null {
  const lo = cached(db, 'SELECT min(time_ms) FROM events WHERE ip = ?').pluck();
  const hi = cached(db, 'SELECT max(time_ms) FROM events WHERE ip = ?').pluck();
  let first = Infinity, last = -Infinity;
  for (const id of ipIds) {
    const a = lo.get(id) as number | null;
    if (a === null) continue;
    if (a < first) first = a;
    const b = hi.get(id) as number;
    if (b > last) last = b;
  }
  return first === Infinity ? null : { first, last };
}

/** A LIMIT-bounded count: deciding "too many" never costs more than `limit` index steps. */
export function boundedEventCount(db: ReadableDB, w: Where, limit: number): number {
  return (db.prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM events WHERE ${w.where} LIMIT ?)`).get(...w.params, limit) as { n: number }).n;
}

/** Every event the condition keeps, counted. */
export function eventCount(db: ReadableDB, w: Where): number {
  return (db.prepare(`SELECT count(*) AS n FROM events WHERE ${w.where}`).get(...w.params) as { n: number }).n;
}

// ---- the rollups (migrations 0004, 0005), kept by the import ----

/** Events in [h0, h1] hours according to the rollup. */
export function rollupTotal(db: ReadableDB, h0: number, h1: number): number {
  return (cached(db, `SELECT coalesce(sum(n), 0) AS n FROM timeline_hour WHERE kind = ${ROLLUP_KIND_ALL} AND g = 0 AND hour BETWEEN ? AND ?`).get(h0, h1) as { n: number }).n;
}

/** [g, n] per value of one grouping over whole UTC days [d0, d1]; g -1 is "no value". */
export function rollupDayCounts(db: ReadableDB, kind: number, d0: number, d1: number): [g: number, n: number][] {
  return cached(db, 'SELECT g, sum(n) AS n FROM timeline_day WHERE kind = ? AND day BETWEEN ? AND ? GROUP BY g')
    .raw()
    .all(kind, d0, d1) as [number, number][];
}

/** [g, hour, n] of these values of one grouping in [h0, h1] hours. */
export function rollupHourRows(db: ReadableDB, kind: number, ids: readonly number[], h0: number, h1: number): [g: number, hour: number, n: number][] {
  return cached(db, 'SELECT g, hour, n FROM timeline_hour WHERE kind = ? AND g IN (SELECT value FROM json_each(?)) AND hour BETWEEN ? AND ?')
    .raw()
    .all(kind, JSON.stringify(ids), h0, h1) as [number, number, number][];
}

/** [hour, n] of all events in [h0, h1] hours. */
export function rollupAllHours(db: ReadableDB, h0: number, h1: number): [hour: number, n: number][] {
  return cached(db, `SELECT hour, n FROM timeline_hour WHERE kind = ${ROLLUP_KIND_ALL} AND g = 0 AND hour BETWEEN ? AND ?`).raw().all(h0, h1) as [number, number][];
}

/** Events from these source IPs (ips.id) in [h0, h1] hours according to the per-IP rollup. */
export function ipRollupTotal(db: ReadableDB, ipIds: readonly number[], h0: number, h1: number): number {
  return (
    cached(db, `SELECT coalesce(sum(n), 0) AS n FROM timeline_hour WHERE kind = ${ROLLUP_KIND.ip} AND g IN (SELECT value FROM json_each(?)) AND hour BETWEEN ? AND ?`).get(
      JSON.stringify(ipIds),
      h0,
      h1,
    ) as { n: number }
  ).n;
}

/**
 * [value, bucket index, n] of the events from these source IPs in [h0, h1]
 * hours, buckets of `bucketHours` from hour h0: grouped by address
 * (kind = ROLLUP_KIND.ip, timeline_hour itself) or by another rollup kind
 * (timeline_ip_hour). The same rows the direct GROUP BY gives.
 */
export function ipRollupBuckets(
  db: ReadableDB,
  kind: number,
  ipIds: readonly number[],
  h0: number,
  h1: number,
  bucketHours: number,
): [g: number | null, b: number, n: number][] {
  const bucket = '(hour - CAST(? AS INTEGER)) / CAST(? AS INTEGER)';
  const args = [h0, bucketHours, JSON.stringify(ipIds)];
  return (
    kind === ROLLUP_KIND.ip
      ? cached(db, `SELECT g, ${bucket} AS b, sum(n) FROM timeline_hour WHERE kind = ${ROLLUP_KIND.ip} AND g IN (SELECT value FROM json_each(?)) AND hour BETWEEN ? AND ? GROUP BY g, b`)
          .raw()
          .all(...args, h0, h1)
      : cached(db, `SELECT nullif(g, -1), ${bucket} AS b, sum(n) FROM timeline_ip_hour WHERE ip IN (SELECT value FROM json_each(?)) AND kind = ? AND hour BETWEEN ? AND ? GROUP BY g, b`)
          .raw()
          .all(...args, kind, h0, h1)
  ) as [number | null, number, number][];
}

// ---- counted directly over events ----

/**
 * Where the direct GROUP BY reads from. A filter's index (an IP, a key) finds
 * its rows quickly, but each row is then a random lookup in the table (~3-5 us
 * on a 1M-event case); once a filter matches more than a few percent of the
 * case, reading the whole table in order (~0.2 us a row) is cheaper: measured
 * 227k matching events of 1M, 600-800 ms through the index, 260-380 ms by scan.
 * SQLite has no statistics to know this (no ANALYZE in a case file), so a
 * LIMIT-bounded count decides.
 */
export const scanTuning = { fraction: 0.05, minCaseEvents: 200_000, minRows: 10_000 };
function eventsSource(db: ReadableDB, w: Where): string {
  const total = ((cached(db, 'SELECT max(leaf) AS m FROM events').get() as { m: number | null }).m ?? -1) + 1;
  if (total < scanTuning.minCaseEvents) return 'events';
  const threshold = Math.max(scanTuning.minRows, Math.floor(total * scanTuning.fraction));
  return boundedEventCount(db, w, threshold) >= threshold ? 'events NOT INDEXED' : 'events';
}

// better-sqlite3 binds JS numbers as REAL: cast, or the division is not an integer bucket index.
const BUCKET_SQL = '(time_ms - CAST(? AS INTEGER)) / CAST(? AS INTEGER)';

/**
 * [value, bucket index, n] of the window's events (`w` includes the window),
 * buckets of `bucketMs` from `base`. With `ioc`, only the events it also keeps
 * (the IOC marks: a selective query, read through the indexes).
 */
export function densityRows(db: ReadableDB, groupBy: TimelineGroupBy, w: Where, base: number, bucketMs: number, ioc?: Where): [g: number | null, b: number, n: number][] {
  const col = GROUP_COLUMN[groupBy];
  return (
    ioc
      ? db
          .prepare(`SELECT ${col} AS g, ${BUCKET_SQL} AS b, count(*) AS n FROM events WHERE ${w.where} AND (${ioc.where}) GROUP BY g, b`)
          .raw()
          .all(base, bucketMs, ...w.params, ...ioc.params)
      : db
          .prepare(`SELECT ${col} AS g, ${BUCKET_SQL} AS b, count(*) AS n FROM ${eventsSource(db, w)} WHERE ${w.where} GROUP BY g, b`)
          .raw()
          .all(base, bucketMs, ...w.params)
  ) as [number | null, number, number][];
}

/** One event of a window: ids into the strings dictionary, `ioc` 1 when it matches an enabled indicator. */
export type ItemRow = [eventId: string, timeMs: number, g: number | null, name: number | null, source: number | null, errorCode: number | null, ioc: number];

/**
 * The window's events in time order. `ioc` marks matches: a condition (the
 * enabled indicators), `true` (the filter keeps only matches) or `false` (none enabled).
 */
export function itemRows(db: ReadableDB, groupBy: TimelineGroupBy, w: Where, ioc: Where | boolean): ItemRow[] {
  const iocCol = typeof ioc === 'object' ? `CASE WHEN ${ioc.where} THEN 1 ELSE 0 END` : ioc ? '1' : '0';
  return db
    .prepare(
      `SELECT event_id, time_ms, ${GROUP_COLUMN[groupBy]} AS g, name, source, error_code, ${iocCol} AS i
       FROM events WHERE ${w.where} ORDER BY time_ms, leaf`,
    )
    .raw()
    .all(...(typeof ioc === 'object' ? ioc.params : []), ...w.params) as ItemRow[];
}
