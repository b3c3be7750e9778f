// Reads behind the coverage and gap report (electron/analysis/gaps.ts): events
// per account, Region and hour, the logging-change events, the LookupEvents
// pages acquired, and the data-event count.
import { HOUR_MS } from '../../../shared/time.ts';
import { cached, type ReadableDB } from './db.ts';

/** Events of one account and Region in one hour (h = time_ms / HOUR_MS), with their first and last time. */
export interface HourCell {
  account: number | null;
  region: number | null;
  h: number;
  n: number;
  a: number;
  b: number;
}

export function hourCells(db: ReadableDB): HourCell[] {
  return cached(
    db,
    `SELECT account, region, time_ms / ${HOUR_MS} AS h, count(*) AS n, min(time_ms) AS a, max(time_ms) AS b FROM events WHERE time_ms IS NOT NULL GROUP BY account, region, h ORDER BY account, region, h`,
  ).all() as HourCell[];
}

export function untimedEventCount(db: ReadableDB): number {
  return (cached(db, 'SELECT count(*) AS n FROM events WHERE time_ms IS NULL').get() as { n: number }).n;
}

/** Leaves of the successful events with one of these names, in time order (untimed last). */
export function successfulLeavesNamed(db: ReadableDB, names: readonly string[]): number[] {
  const ids = (cached(db, 'SELECT id FROM strings WHERE s IN (SELECT value FROM json_each(?))').raw().all(JSON.stringify(names)) as [number][]).map((r) => r[0]);
  if (!ids.length) return [];
  return (
    cached(db, 'SELECT leaf FROM events WHERE name IN (SELECT value FROM json_each(?)) AND error_code IS NULL ORDER BY time_ms IS NULL, time_ms, leaf')
      .raw()
      .all(JSON.stringify(ids)) as [number][]
  ).map((r) => r[0]);
}

export interface LookupPageRow {
  origin: string;
  origin_meta: string;
  acquired_at: string;
}

/** The LookupEvents pages acquired, in evidence order. */
export function lookupEventsPages(db: ReadableDB): LookupPageRow[] {
  return cached(db, "SELECT origin, origin_meta, acquired_at FROM evidence WHERE kind = 'api-page' AND origin LIKE '%LookupEvents%' ORDER BY id").all() as LookupPageRow[];
}

/** Events with eventCategory Data. */
export function dataEventCount(db: ReadableDB): number {
  return (cached(db, "SELECT count(*) AS n FROM events WHERE category = (SELECT id FROM strings WHERE s = 'Data')").get() as { n: number }).n;
}
