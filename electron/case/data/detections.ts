// SQL for examiner detections (issue 14, item 6): reading events back by leaf
// for Sigma correlation findings, and the promoted-check table (schema 9).
// Plain typed functions over the store, grouped here for the data layer (issue 13).
import type { CaseStore } from '../store.ts';

/** Where one event's record lies (the columns analysis/records.ts reads). */
export interface LeafLocator {
  leaf: number;
  event_id: string;
  time_ms: number | null;
  evidence_id: number;
  pos: number;
  len: number;
  enc: number;
}

/** Locators of the given leaves, in leaf order (= evidence order: each evidence object is decoded once). */
export function locatorsByLeaves(store: CaseStore, leaves: number[]): LeafLocator[] {
  if (!leaves.length) return [];
  return store.db
    .prepare('SELECT leaf, event_id, time_ms, evidence_id, pos, len, enc FROM events WHERE leaf IN (SELECT value FROM json_each(?)) ORDER BY leaf')
    .all(JSON.stringify(leaves)) as LeafLocator[];
}
