// The event index (event_refs, schema 3): (leaf, kind, value) rows that
// electron/analysis/refs.ts extracts from the records; its builds are logged in
// custody (analysis.refs-indexed). refRowsFrom (analysis-scan.ts) reads them back.
import { cached, type WritableDB } from './db.ts';

export type RefRow = readonly [leaf: number, kind: string, value: string];

/** Drop the rows from a leaf on (an interrupted or outdated build). */
export function deleteRefsFrom(db: WritableDB, fromLeaf: number): void {
  cached(db, 'DELETE FROM event_refs WHERE leaf >= ?').run(fromLeaf);
}

/** Append rows; the caller holds the transaction. */
export function insertRefs(db: WritableDB, rows: Iterable<RefRow>): void {
  const ins = cached(db, 'INSERT INTO event_refs(leaf, kind, value) VALUES (?, ?, ?)');
  for (const r of rows) ins.run(r[0], r[1], r[2]);
}
