// SQL of the analysis runner (README.md, "Speed and size": all checks and Sigma in bounded memory).
// Plain typed functions over the case store (the data layer: docs/architecture.md): the
// runner never holds a case's rows; it pages through them in time order by a
// keyset cursor (time_ms, leaf), so the caller may write between pages
// (better-sqlite3 forbids writes while a statement iterates) and every page
// is one indexed range read (events_time; leaf is the rowid).
import type { CaseStore } from '../store.ts';
import { cached, type ReadableDB } from './db.ts';

/** One combination of the indexed columns with its event count and record bytes. */
export interface ColumnCombo {
  name: number | null;
  source: number | null;
  identity_type: number | null;
  err: number;
  n: number;
  bytes: number;
}

/** Where one record is: enough to read it back (electron/analysis/records.ts). */
export interface EventLocator {
  leaf: number;
  event_id: string;
  time_ms: number | null;
  evidence_id: number;
  pos: number;
  len: number;
  enc: number;
}

/** Where a record is, with the columns the runner routes on. */
export interface ScanRow extends EventLocator {
  name: number | null;
  source: number | null;
  identity_type: number | null;
  error_code: number | null;
}

/** Position after the last row of a page: events with a time first (time, leaf), then those without (leaf). */
export interface ScanCursor {
  time: number | null;
  leaf: number;
  /** true once the timed events are done. */
  untimed: boolean;
}

export const SCAN_START: ScanCursor = { time: null, leaf: -1, untimed: false };

/** Restricts a page to some column combinations (JSON [[name, source, type, err], …], -1 for null) and principal ids. */
export interface ScanFilter {
  combos: string;
  principalIds: string | null;
}

export function columnCombos(store: CaseStore): ColumnCombo[] {
  return store.db
    .prepare('SELECT name, source, identity_type, error_code IS NOT NULL AS err, count(*) AS n, sum(len) AS bytes FROM events GROUP BY name, source, identity_type, err')
    .all() as ColumnCombo[];
}

export function stringsById(store: CaseStore, ids: Iterable<number>): Map<number, string> {
  const out = new Map<number, string>();
  for (const r of store.stmt('SELECT id, s FROM strings WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify([...ids])) as { id: number; s: string }[])
    out.set(r.id, r.s);
  return out;
}

export function principalIdStrings(store: CaseStore): { id: number; s: string }[] {
  return store.stmt('SELECT id, s FROM strings WHERE id IN (SELECT DISTINCT principal_id FROM events WHERE principal_id IS NOT NULL)').all() as { id: number; s: string }[];
}

const COMBO_SQL = `(coalesce(name, -1), coalesce(source, -1), coalesce(identity_type, -1), error_code IS NOT NULL) IN (SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?))`;
const PID_SQL = 'principal_id IN (SELECT value FROM json_each(?))';

/** Events and record bytes in a selection. */
export function selectionSize(store: CaseStore, f: ScanFilter): { n: number; bytes: number } {
  const r = store.stmt(`SELECT count(*) AS n, coalesce(sum(len), 0) AS bytes FROM events WHERE ${COMBO_SQL}${f.principalIds ? ` AND ${PID_SQL}` : ''}`)
    .get(...[f.combos, ...(f.principalIds ? [f.principalIds] : [])]) as { n: number; bytes: number };
  return r;
}

/** Whether some event has no eventTime (those come after every timed one in a scan). */
export function hasUntimedEvents(store: CaseStore): boolean {
  return (store.stmt('SELECT EXISTS (SELECT 1 FROM events WHERE time_ms IS NULL) AS x').get() as { x: number }).x === 1;
}

export function caseAccounts(store: CaseStore): string[] {
  return (store.stmt('SELECT DISTINCT s FROM strings WHERE id IN (SELECT DISTINCT account FROM events WHERE account IS NOT NULL)').raw().all() as [string][]).map((r) => r[0]);
}

const COLS = 'leaf, event_id, time_ms, evidence_id, pos, len, enc, name, source, identity_type, error_code';

/**
 * The next page of events in time order (events without a time last, ties by
 * leaf), optionally within a selection. Returns the rows and the cursor after
 * them; an empty page means done.
 */
export function scanPage(store: CaseStore, at: ScanCursor, limit: number, f?: ScanFilter, cols = COLS): { rows: ScanRow[]; next: ScanCursor } {
  const where = f ? ` AND ${COMBO_SQL}${f.principalIds ? ` AND ${PID_SQL}` : ''}` : '';
  const fp = f ? [f.combos, ...(f.principalIds ? [f.principalIds] : [])] : [];
  let rows: ScanRow[] = [];
  let cur = at;
  if (!cur.untimed) {
    rows = (cur.time === null
      ? store.stmt(`SELECT ${cols} FROM events WHERE time_ms IS NOT NULL${where} ORDER BY time_ms, leaf LIMIT ?`).all(...fp, limit)
      : store.stmt(`SELECT ${cols} FROM events WHERE (time_ms, leaf) > (?, ?)${where} ORDER BY time_ms, leaf LIMIT ?`).all(cur.time, cur.leaf, ...fp, limit)) as ScanRow[];
    if (rows.length) {
      const last = rows[rows.length - 1];
      return { rows, next: { time: last.time_ms, leaf: last.leaf, untimed: false } };
    }
    cur = { time: null, leaf: -1, untimed: true };
  }
  rows = store.stmt(`SELECT ${cols} FROM events WHERE time_ms IS NULL AND leaf > ?${where} ORDER BY leaf LIMIT ?`).all(cur.leaf, ...fp, limit) as ScanRow[];
  return { rows, next: rows.length ? { time: null, leaf: rows[rows.length - 1].leaf, untimed: true } : cur };
}

/** Times of events by eventID (through the events_id_tail index), for findings whose events are no longer held. */
export function eventTimes(store: CaseStore, ids: Iterable<string>): Map<string, number | null> {
  const want = new Set(ids);
  const out = new Map<string, number | null>();
  if (!want.size) return out;
  const rows = store
    .stmt('SELECT event_id, time_ms FROM events WHERE substr(event_id, -8) IN (SELECT substr(value, -8) FROM json_each(?)) ORDER BY time_ms IS NULL, time_ms, leaf')
    .all(JSON.stringify([...want])) as { event_id: string; time_ms: number | null }[];
  // Last in time order wins, as when the times came from the check's own events.
  for (const r of rows) if (want.has(r.event_id)) out.set(r.event_id, r.time_ms);
  return out;
}

/** The event index rows from a leaf on, in the order they were extracted (leaf, then extraction order). */
export function* refRowsFrom(store: CaseStore, fromLeaf: number): Generator<{ leaf: number; kind: string; value: string }> {
  let leaf = fromLeaf;
  let rowid = -1;
  const page = store.stmt('SELECT rowid AS r, leaf, kind, value FROM event_refs WHERE (leaf, rowid) > (?, ?) ORDER BY leaf, rowid LIMIT 5000');
  for (;;) {
    const rows = page.all(leaf, rowid) as { r: number; leaf: number; kind: string; value: string }[];
    if (!rows.length) return;
    for (const r of rows) yield r;
    leaf = rows[rows.length - 1].leaf;
    rowid = rows[rows.length - 1].r;
  }
}

const LOCATOR_COLS = 'leaf, event_id, time_ms, evidence_id, pos, len, enc';

/** Up to `limit` locators from leaf `from` on, in leaf order (one page of a full pass). */
export function locatorPage(db: ReadableDB, from: number, limit: number): EventLocator[] {
  return cached(db, `SELECT ${LOCATOR_COLS} FROM events WHERE leaf >= ? ORDER BY leaf LIMIT ?`).all(from, limit) as EventLocator[];
}

/** Locators of these leaves (sorted, distinct), in leaf order. */
export function locatorsByLeaves(db: ReadableDB, leaves: readonly number[]): EventLocator[] {
  return cached(db, `SELECT ${LOCATOR_COLS} FROM events WHERE leaf IN (SELECT value FROM json_each(?)) ORDER BY leaf`).all(JSON.stringify(leaves)) as EventLocator[];
}
