// Reads only a report makes: the examiner's finding decisions as they stood at
// a checkpoint (the analysis module owns writing them), and the events its
// timeline cites, read back in bounded chunks (electron/report/timeline.ts).
import { SUMMARY_COLS } from '../queries.ts';
import type { FindingDecisionRow } from './analysis-runs.ts';
import { cached, type ReadableDB } from './db.ts';

/** Every decision logged up to custody entry `custodySeq`, in order (the last per finding wins). */
export function findingDecisionsUpTo(db: ReadableDB, custodySeq: number): FindingDecisionRow[] {
  return cached(db, 'SELECT finding_id, decision, note, actor, at FROM finding_decisions WHERE custody_seq <= ? ORDER BY id').all(custodySeq) as FindingDecisionRow[];
}

/** Where an event sits on the report's timeline: its leaf and time, found by its eventID. */
export interface TimelineKeyRow {
  leaf: number;
  event_id: string;
  time_ms: number | null;
}

/**
 * The leaf and time of every event with one of these eventIDs (through the
 * events_id_tail index; the full comparison settles the rest), among the first
 * `treeSize` leaves. The caller passes bounded chunks: the report resolves the
 * events its findings cite a few thousand at a time.
 */
export function timelineKeysByIds(db: ReadableDB, ids: readonly string[], treeSize: number): TimelineKeyRow[] {
  if (!ids.length) return [];
  const json = JSON.stringify(ids);
  return cached(
    db,
    'SELECT leaf, event_id, time_ms FROM events WHERE substr(event_id, -8) IN (SELECT substr(value, -8) FROM json_each(?)) AND event_id IN (SELECT value FROM json_each(?)) AND leaf < ?',
  ).all(json, json, treeSize) as TimelineKeyRow[];
}

/** The summary columns (queries.ts SUMMARY_COLS, mapped there by toSummary) of the events at these leaves, in no particular order; the caller passes bounded chunks. */
export function summaryRowsByLeaves(db: ReadableDB, leaves: readonly number[]): unknown[] {
  if (!leaves.length) return [];
  return cached(db, `SELECT ${SUMMARY_COLS} FROM events WHERE leaf IN (SELECT value FROM json_each(?))`).all(JSON.stringify(leaves));
}
