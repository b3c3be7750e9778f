// GROUP BY reads behind the baselines (electron/analysis/baselines.ts, which
// states the method): per principal, per value first use, rare APIs, hourly
// volume. Ids are dictionary ids (strings, ips); no record is read.
import { HOUR_MS } from '../../../shared/time.ts';
import { cached, type ReadableDB } from './db.ts';

/** Principal = session issuer ARN, else caller ARN, else user name, else principal id. */
const P = 'coalesce(issuer_arn, arn, user_name, principal_id)';

/** Columns whose first use per principal is baselined (values are ids in strings, or in ips for `ip`). */
export type BaselineColumn = 'ip' | 'ua' | 'region';

export interface PrincipalSpan {
  p: number;
  n: number;
  a: number | null;
  b: number | null;
}

export function principalSpans(db: ReadableDB): PrincipalSpan[] {
  return cached(db, `SELECT ${P} AS p, count(*) AS n, min(time_ms) AS a, max(time_ms) AS b FROM events WHERE ${P} IS NOT NULL GROUP BY p`).all() as PrincipalSpan[];
}

/** First (timed) use of each value of a column per principal, with one event of that first use and the use count. */
export interface FirstUse {
  p: number;
  v: number;
  t: number;
  event_id: string;
  n: number;
}

export function firstUses(db: ReadableDB, col: BaselineColumn): FirstUse[] {
  if (col !== 'ip' && col !== 'ua' && col !== 'region') throw new Error(`not a baselined column: ${String(col)}`);
  return cached(
    db,
    `SELECT ${P} AS p, ${col} AS v, min(time_ms) AS t, event_id, count(*) AS n FROM events WHERE ${P} IS NOT NULL AND ${col} IS NOT NULL AND time_ms IS NOT NULL GROUP BY p, v`,
  ).all() as FirstUse[];
}

export interface FirstApiUse {
  p: number;
  source: number | null;
  name: number;
  t: number;
  event_id: string;
  n: number;
}

/** First (timed) call of each API (source, name) per principal. */
export function firstApiUses(db: ReadableDB): FirstApiUse[] {
  return cached(
    db,
    `SELECT ${P} AS p, source, name, min(time_ms) AS t, event_id, count(*) AS n FROM events WHERE ${P} IS NOT NULL AND name IS NOT NULL AND time_ms IS NOT NULL GROUP BY p, source, name`,
  ).all() as FirstApiUse[];
}

/** APIs called at most `threshold` times in the case, rarest first. */
export function rareApis(db: ReadableDB, threshold: number): { source: number | null; name: number; n: number }[] {
  return cached(db, 'SELECT source, name, count(*) AS n FROM events WHERE name IS NOT NULL GROUP BY source, name HAVING count(*) <= ? ORDER BY n, name').all(threshold) as {
    source: number | null;
    name: number;
    n: number;
  }[];
}

/** Up to 50 (principal, event) pairs of one API, in time order (principal null: no principal). */
export function apiCallers(db: ReadableDB, name: number, source: number | null): { p: number | null; event_id: string }[] {
  return cached(db, `SELECT DISTINCT ${P} AS p, event_id FROM events WHERE name = ? AND source IS ? ORDER BY time_ms LIMIT 50`).all(name, source) as {
    p: number | null;
    event_id: string;
  }[];
}

/** Events per principal per UTC hour (h = time_ms / HOUR_MS), the hours active only. */
export function principalHours(db: ReadableDB): { p: number; h: number; n: number }[] {
  return cached(db, `SELECT ${P} AS p, time_ms / ${HOUR_MS} AS h, count(*) AS n FROM events WHERE ${P} IS NOT NULL AND time_ms IS NOT NULL GROUP BY p, h ORDER BY p, h`).all() as {
    p: number;
    h: number;
    n: number;
  }[];
}
