// SQL for examiner detections (docs/detections.md): the promoted-check and rule-file
// table (schema 9).
// Plain typed functions over the store, grouped here for the data layer (docs/architecture.md).
import type { CaseStore } from '../store.ts';

export type DetectionKind = 'query-check' | 'sigma-file';

export interface DetectionRow {
  kind: DetectionKind;
  key: string;
  body: string;
  sha256: string;
  at: string;
  actor: string;
  custody_seq: number;
}

/** Is the detections table there (schema 9)? A case opened read-only at an older schema has none. */
export function hasDetections(store: CaseStore): boolean {
  return !!store.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'detections'").get();
}

/** The current detections of one kind: the latest row per key, when it is an 'add'; by key. */
export function currentDetections(store: CaseStore, kind: DetectionKind): DetectionRow[] {
  if (!hasDetections(store)) return [];
  return store.db
    .prepare(
      `SELECT d.kind, d.key, d.body, d.sha256, d.at, d.actor, d.custody_seq FROM detections d
       JOIN (SELECT key, max(id) AS id FROM detections WHERE kind = ? GROUP BY key) l ON l.id = d.id
       WHERE d.op = 'add' ORDER BY d.key`,
    )
    .all(kind) as DetectionRow[];
}

/** Append one row (call inside the transaction that writes its custody entry). */
export function insertDetection(store: CaseStore, row: { kind: DetectionKind; key: string; body: string; sha256: string; op: 'add' | 'remove'; at: string; actor: string; custodySeq: number }): void {
  store.db
    .prepare('INSERT INTO detections(kind, key, body, sha256, op, at, actor, custody_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(row.kind, row.key, row.body, row.sha256, row.op, row.at, row.actor, row.custodySeq);
}

/** Time of each event by eventID (promoted checks cite events by the ids their query returns). */
export function eventTimesByIds(store: CaseStore, ids: string[]): { leaf: number; event_id: string; time_ms: number | null }[] {
  if (!ids.length) return [];
  return store.db
    // events_id_tail indexes the last 8 characters of event_id (0001).
    .prepare('SELECT leaf, event_id, time_ms FROM events WHERE substr(event_id, -8) IN (SELECT substr(value, -8) FROM json_each(?)) AND event_id IN (SELECT value FROM json_each(?)) ORDER BY leaf')
    .all(JSON.stringify(ids), JSON.stringify(ids)) as { leaf: number; event_id: string; time_ms: number | null }[];
}
