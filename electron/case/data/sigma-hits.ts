// Sigma matches held out of memory (docs/analysis.md, "Memory"). A rule that
// matches much of a case has its matches written to a TEMP table of the
// connection and read back in the orders its finding needs, so SQLite sorts
// them (spilling to temporary files) instead of the heap holding them. TEMP
// tables belong to the connection, not the case file: nothing of the case is
// written, and a read-only connection can hold them (tempWrite below).
import { cached, type ReadableDB } from './db.ts';

/** eventID and time of events by leaf (any order). */
export function hitLocators(db: ReadableDB, leaves: readonly number[]): { leaf: number; event_id: string; time_ms: number | null }[] {
  return cached(db, 'SELECT leaf, event_id, time_ms FROM events WHERE leaf IN (SELECT value FROM json_each(?))').all(JSON.stringify(leaves)) as {
    leaf: number;
    event_id: string;
    time_ms: number | null;
  }[];
}

const SPILL = 'temp.sigma_spill';

/**
 * Run a write to this connection's TEMP tables. A read-only store's
 * connection (CaseStore.open readonly, readView) is opened with
 * SQLITE_OPEN_READONLY and also has query_only set; query_only refuses TEMP
 * writes too, and the analysis on such a store then failed to spill on every
 * match past spillAt (a 1M-event analysis ran for over 13 minutes instead of
 * 36 s). query_only is lifted for the call only: the file itself stays
 * unwritable through this connection whatever the pragma says.
 */
function tempWrite<T>(db: ReadableDB, fn: () => T): T {
  if (!db.readonly || !db.pragma('query_only', { simple: true })) return fn();
  db.pragma('query_only = 0');
  try {
    return fn();
  } finally {
    db.pragma('query_only = 1');
  }
}
/** Connections whose spill table exists (made on the first append, dropped by clearSpill). */
const made = new WeakSet<ReadableDB>();

/**
 * Append matches (leaf and a caller's tag each) under `key` (one per rule or
 * correlation window), keeping their order as rowid. The index on key lets a
 * key's rows be read in rowid order without a sort; the table lives in the
 * connection's temporary file (temp_store = FILE, case/store.ts), not in memory.
 */
export function spillHits(db: ReadableDB, key: number, leaves: Int32Array, tags: Int32Array, n: number): void {
  tempWrite(db, () => appendHits(db, key, leaves, tags, n));
}

function appendHits(db: ReadableDB, key: number, leaves: Int32Array, tags: Int32Array, n: number): void {
  if (!made.has(db)) {
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS sigma_spill (key INTEGER NOT NULL, leaf INTEGER NOT NULL, tag INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS temp.sigma_spill_key ON sigma_spill(key)`);
    made.add(db);
  }
  const insert = cached(db, `INSERT INTO ${SPILL}(key, leaf, tag) SELECT ?, value ->> 0, value ->> 1 FROM json_each(?)`);
  const CHUNK = 20_000;
  for (let at = 0; at < n; at += CHUNK) {
    const rows: [number, number][] = [];
    for (let k = at; k < Math.min(n, at + CHUNK); k++) rows.push([leaves[k], tags[k]]);
    insert.run(key, JSON.stringify(rows));
  }
}

/** A key's matches with their eventID and time, in the order they were appended (no sort: the key index in rowid order). */
export function* spilledInOrder(db: ReadableDB, key: number): Generator<[tag: number, eventId: string, timeMs: number | null]> {
  yield* cached(db, `SELECT h.tag, e.event_id, e.time_ms FROM ${SPILL} h INDEXED BY sigma_spill_key JOIN events e ON e.leaf = h.leaf WHERE h.key = ? ORDER BY h.rowid`)
    .raw()
    .iterate(key) as Iterable<[number, string, number | null]>;
}

/** The distinct eventIDs of a key's matches, in SQLite's BINARY (UTF-8 byte) order. */
export function* spilledIdsSorted(db: ReadableDB, key: number): Generator<string> {
  for (const r of cached(db, `SELECT DISTINCT e.event_id FROM ${SPILL} h JOIN events e ON e.leaf = h.leaf WHERE h.key = ? ORDER BY e.event_id`).raw().iterate(key) as Iterable<[string]>) yield r[0];
}

/** Forget a key's matches. */
export function clearSpillKey(db: ReadableDB, key: number): void {
  tempWrite(db, () => cached(db, `DELETE FROM ${SPILL} WHERE key = ?`).run(key));
}

/** Drop the table (the end of a run, whatever happened in it). */
export function clearSpill(db: ReadableDB): void {
  tempWrite(db, () => db.exec(`DROP TABLE IF EXISTS ${SPILL}`));
  made.delete(db);
}
