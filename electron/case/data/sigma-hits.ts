// Sigma matches held out of memory (docs/analysis.md, "Memory"). A rule that
// matches much of a case has its matches written to a TEMP table of the
// connection and read back in the orders its finding needs, so SQLite sorts
// them (spilling to temporary files) instead of the heap holding them. TEMP
// tables belong to the connection, not the case file: nothing of the case is
// written, and a read-only connection can hold them.
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

/** Replace the spill table's rows with these matches (leaf and a caller's tag each), keeping their order as rowid. */
export function spillHits(db: ReadableDB, leaves: Int32Array, tags: Int32Array, n: number): void {
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS sigma_spill (leaf INTEGER NOT NULL, tag INTEGER NOT NULL)`);
  cached(db, `DELETE FROM ${SPILL}`).run();
  const insert = cached(db, `INSERT INTO ${SPILL}(leaf, tag) SELECT value ->> 0, value ->> 1 FROM json_each(?)`);
  const CHUNK = 20_000;
  for (let at = 0; at < n; at += CHUNK) {
    const rows: [number, number][] = [];
    for (let k = at; k < Math.min(n, at + CHUNK); k++) rows.push([leaves[k], tags[k]]);
    insert.run(JSON.stringify(rows));
  }
}

/** The spilled matches with their eventID and time, in the order they were spilled (no sort: a scan by rowid). */
export function* spilledInOrder(db: ReadableDB): Generator<[tag: number, eventId: string, timeMs: number | null]> {
  yield* cached(db, `SELECT h.tag, e.event_id, e.time_ms FROM ${SPILL} h JOIN events e ON e.leaf = h.leaf ORDER BY h.rowid`)
    .raw()
    .iterate() as Iterable<[number, string, number | null]>;
}

/** The distinct eventIDs of the spilled matches, in SQLite's BINARY (UTF-8 byte) order. */
export function* spilledIdsSorted(db: ReadableDB): Generator<string> {
  for (const r of cached(db, `SELECT DISTINCT e.event_id FROM ${SPILL} h JOIN events e ON e.leaf = h.leaf ORDER BY e.event_id`).raw().iterate() as Iterable<[string]>) yield r[0];
}

export function clearSpill(db: ReadableDB): void {
  db.exec(`DROP TABLE IF EXISTS ${SPILL}`);
}
