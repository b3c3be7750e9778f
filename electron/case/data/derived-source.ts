// What the derived query form (electron/query/derived.ts, docs/queries.md) reads from
// the case: how many leaves there are, where each event's verbatim record lies
// in the preserved evidence, and the committed leaf hashes it is checked and
// logged against. Plain typed functions over the store (docs/architecture.md: SQL lives in
// electron/case/data/).
import { createHash } from 'node:crypto';
import type { CaseStore } from '../store.ts';

/** Leaves [0, n) exist: n is one past the last leaf (0 for an empty case). */
export function caseLeafCount(store: CaseStore): number {
  return (store.stmt('SELECT coalesce(max(leaf) + 1, 0) AS n FROM events').get() as { n: number }).n;
}

/** The leaf hash (hex) of one leaf, or '' when there is no such leaf. */
export function leafHashHex(store: CaseStore, leaf: number): string {
  const r = store.stmt('SELECT leaf_hash FROM events WHERE leaf = ?').get(leaf) as { leaf_hash: Buffer } | undefined;
  return r ? r.leaf_hash.toString('hex') : '';
}

/** SHA-256 over the 32-byte leaf hashes of leaves [from, to), in order: what a build took in. */
export function leafRangeSha256(store: CaseStore, from: number, to: number): string {
  const h = createHash('sha256');
  for (const [lh] of store.db.prepare('SELECT leaf_hash FROM events WHERE leaf >= ? AND leaf < ? ORDER BY leaf').raw().iterate(from, to) as Iterable<[Buffer]>) h.update(lh);
  return h.digest('hex');
}

/** [leaf, eventId, timeMs, evidenceId, pos, len, enc, leafHash] */
export type EventLocation = [number, string, number | null, number, number, number, number, Buffer];

/** Where each event of leaves [from, to) lies in the evidence, in leaf order, streamed. */
export function eventLocations(store: CaseStore, from: number, to: number): Iterable<EventLocation> {
  return store.db
    .prepare('SELECT leaf, event_id, time_ms, evidence_id, pos, len, enc, leaf_hash FROM events WHERE leaf >= ? AND leaf < ? ORDER BY leaf')
    .raw()
    .iterate(from, to) as Iterable<EventLocation>;
}
