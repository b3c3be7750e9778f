// The import hot path's SQL: what ImportSession (ingest/session.ts) writes for
// every source and event. The statements are prepared once per connection and
// handed out as statements (not wrapped per row), so the per-event cost is the
// same as before they moved here: a bound-parameter run on a cached statement.
import type Database from 'better-sqlite3';
import { cached, type WritableDB } from './db.ts';

export const EVENT_COLUMNS =
  'leaf, event_id, time_ms, name, source, region, ip, ua, identity_type, arn, user_name, principal_id, access_key, issuer_arn, account, error_code, read_only, category, request_id, evidence_id, pos, len, enc, leaf_hash';
export const EVENT_COLS = EVENT_COLUMNS.split(',').length;
/** New events are inserted this many rows per statement (about 15% cheaper than one statement per row). */
export const ROWS_PER_INSERT = 32;
const ROW_VALUES = `(${Array(EVENT_COLS).fill('?').join(', ')})`;
const INSERT_EVENTS_ONE = `INSERT INTO events(${EVENT_COLUMNS}) VALUES ${ROW_VALUES}`;
const INSERT_EVENTS_MANY = `INSERT INTO events(${EVENT_COLUMNS}) VALUES ${Array(ROWS_PER_INSERT).fill(ROW_VALUES).join(', ')}`;

/** An event already in the case, as a duplicate check needs it. */
export interface ExistingEvent {
  leaf: number;
  leaf_hash: Buffer;
  evidence_id: number;
  pos: number;
  len: number;
  enc: number;
}

/** The statements a batch of events runs, for the batch's inner loop. */
export interface EventStatements {
  /** ROWS_PER_INSERT rows of EVENT_COLS values, flattened in EVENT_COLUMNS order. */
  insertMany: Database.Statement;
  /** One row of EVENT_COLS values. */
  insertOne: Database.Statement;
  /** (id tail, eventID) -> ExistingEvent, through the events_id_tail index. */
  findByEventId: Database.Statement;
  /** leaf -> ExistingEvent & { event_id } (while the eventID index is dropped). */
  findByLeaf: Database.Statement;
  /** (event_leaf, import_id, evidence_id, pos, len, enc, leaf_hash, identical). */
  insertCopy: Database.Statement;
}

export function eventStatements(db: WritableDB): EventStatements {
  return {
    insertMany: cached(db, INSERT_EVENTS_MANY),
    insertOne: cached(db, INSERT_EVENTS_ONE),
    findByEventId: cached(db, 'SELECT leaf, leaf_hash, evidence_id, pos, len, enc FROM events WHERE substr(event_id, -8) = ? AND event_id = ?'),
    findByLeaf: cached(db, 'SELECT leaf, leaf_hash, evidence_id, pos, len, enc, event_id FROM events WHERE leaf = ?'),
    insertCopy: cached(db, 'INSERT INTO event_copies(event_leaf, import_id, evidence_id, pos, len, enc, leaf_hash, identical) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
  };
}

/** The id the next evidence item gets: one source is open at a time and its row is written last, so max+1 is free. */
export function nextEvidenceId(db: WritableDB): number {
  return (cached(db, 'SELECT coalesce(max(id), 0) + 1 AS id FROM evidence').get() as { id: number }).id;
}

export function insertChunk(db: WritableDB, evidenceId: number, seq: number, bytes: Buffer): void {
  cached(db, 'INSERT INTO evidence_chunks(evidence_id, seq, data) VALUES (?, ?, ?)').run(evidenceId, seq, bytes);
}

/** The evidence row, written when its source is complete (column order as docs/case-format.md). */
export interface NewEvidence {
  id: number;
  importId: number;
  kind: string;
  origin: string;
  originMeta: string;
  size: number;
  sha256: string;
  compression: string;
  decodedSize: number;
  format: string;
  acquiredAt: string;
  examiner: string;
  toolVersion: string;
  chunkSize: number;
  events: number;
  copies: number;
  rejected: number;
  excluded: number;
}

export function insertEvidence(db: WritableDB, e: NewEvidence): void {
  cached(
    db,
    `INSERT INTO evidence(id, import_id, kind, origin, origin_meta, size, sha256, compression, decoded_size, format, acquired_at, examiner, tool_version, chunk_size, n_events, n_copies, n_rejected, n_excluded)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(e.id, e.importId, e.kind, e.origin, e.originMeta, e.size, e.sha256, e.compression, e.decodedSize, e.format, e.acquiredAt, e.examiner, e.toolVersion, e.chunkSize, e.events, e.copies, e.rejected, e.excluded);
}
