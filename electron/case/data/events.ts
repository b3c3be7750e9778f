// Reads over the events table that are not a filtered search (queries.ts holds
// the filter-to-SQL search, getEvent and relatedEvents): counts, time ranges,
// leaf hashes for proofs, the names a report flags, what a copy refers to.
import { type SqlFilter } from '../queries.ts';
import { cached, type ReadableDB } from './db.ts';

/** The number of leaves (max(leaf) + 1; 0 for an empty case): the size the event tree has. */
export function maxLeafPlusOne(db: ReadableDB): number {
  return (cached(db, 'SELECT coalesce(max(leaf) + 1, 0) AS n FROM events').get() as { n: number }).n;
}

/** [leaf, eventID] of every event, in leaf order (a bulk import reads them into its eventID set). */
export function eventIdsByLeaf(db: ReadableDB): IterableIterator<[number, string]> {
  return db.prepare('SELECT leaf, event_id FROM events ORDER BY leaf').raw().iterate() as IterableIterator<[number, string]>;
}

export function eventCount(db: ReadableDB): number {
  return (cached(db, 'SELECT count(*) AS n FROM events').get() as { n: number }).n;
}

/** First and last event time (ms). Two statements: each is one index lookup; together SQLite scans the whole time index. */
export function eventTimeRange(db: ReadableDB): { first: number | null; last: number | null } {
  return {
    first: (cached(db, 'SELECT min(time_ms) AS m FROM events').get() as { m: number | null }).m,
    last: (cached(db, 'SELECT max(time_ms) AS m FROM events').get() as { m: number | null }).m,
  };
}

/** First and last event time (ms) among the first `treeSize` leaves (what a checkpoint covers). */
export function eventTimeRangeBelow(db: ReadableDB, treeSize: number): { a: number | null; b: number | null } {
  return cached(db, 'SELECT min(time_ms) AS a, max(time_ms) AS b FROM events WHERE leaf < ?').get(treeSize) as { a: number | null; b: number | null };
}

/** Whether an event with this eventID is in the case (through the events_id_tail index). */
export function eventExists(db: ReadableDB, eventId: string): boolean {
  return !!cached(db, 'SELECT 1 FROM events WHERE substr(event_id, -8) = ? AND event_id = ?').get(eventId.slice(-8), eventId);
}

export interface EventSpanRow {
  leaf: number;
  event_id: string;
  evidence_id: number;
  pos: number;
  len: number;
  enc: number;
  leaf_hash: Buffer;
}

/** Where the records of the events matching a filter sit, among the first `treeSize` leaves, in leaf order. */
export function eventSpansWhere(db: ReadableDB, f: SqlFilter, treeSize: number): EventSpanRow[] {
  return db.prepare(`SELECT leaf, event_id, evidence_id, pos, len, enc, leaf_hash FROM events WHERE (${f.where}) AND leaf < ? ORDER BY leaf`).all(...f.params, treeSize) as EventSpanRow[];
}

/** The leaf hashes of the first `treeSize` leaves, in order (for audit paths). */
export function leafHashesBelow(db: ReadableDB, treeSize: number): Buffer[] {
  return (db.prepare('SELECT leaf_hash FROM events WHERE leaf < ? ORDER BY leaf').raw().all(treeSize) as [Buffer][]).map((r) => r[0]);
}

/** Copies and conflicting copies among evidence items 1..maxEvidenceId. */
export function copyCounts(db: ReadableDB, maxEvidenceId: number): { n: number; c: number } {
  return cached(db, 'SELECT count(*) AS n, coalesce(sum(identical = 0),0) AS c FROM event_copies WHERE evidence_id <= ?').get(maxEvidenceId) as { n: number; c: number };
}

/** The name columns a report screens for look-alike text: principal ARN, and the user name where there is no ARN. */
export type NameColumn = 'arn' | 'user_name';
const NAME_WHERE: Record<NameColumn, string> = { arn: '', user_name: ' AND arn IS NULL' };

/** Distinct values of a name column (through its index), with their string ids. */
export function distinctNames(db: ReadableDB, col: NameColumn): { id: number; s: string }[] {
  return cached(db, `SELECT id, s FROM strings WHERE id IN (SELECT DISTINCT ${col} FROM events WHERE ${col} IS NOT NULL${NAME_WHERE[col]})`).all() as { id: number; s: string }[];
}

/** Events carrying one name (by string id) among the first `treeSize` leaves, and the lowest eventID as an example. */
export function nameUse(db: ReadableDB, col: NameColumn, id: number, treeSize: number): { n: number; ex: string | null } {
  return cached(db, `SELECT count(*) AS n, min(event_id) AS ex FROM events WHERE ${col} = ?${NAME_WHERE[col]} AND leaf < ?`).get(id, treeSize) as { n: number; ex: string | null };
}
