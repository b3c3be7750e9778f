// Evidence items: one row type, one mapper to the API's item, every read of
// the evidence table and its preserved chunks, and the reads acquisition
// sources make to resume or skip what is already preserved.
import type { EvidenceItem } from '../../../shared/types.ts';
import { cached, type ReadableDB } from './db.ts';

/** An evidence row as stored (docs/case-format.md, "evidence"). */
export interface EvidenceRow {
  id: number;
  import_id: number;
  kind: string;
  origin: string;
  origin_meta: string;
  size: number;
  sha256: string;
  compression: string;
  decoded_size: number;
  format: string;
  acquired_at: string;
  examiner: string;
  tool_version: string;
  chunk_size: number;
  n_events: number;
  n_copies: number;
  n_rejected: number;
  n_excluded: number;
}

/** The one mapping of a stored row to the API's item. */
export function evidenceItem(r: EvidenceRow, validation: string | null = null): EvidenceItem {
  return {
    id: r.id,
    kind: r.kind,
    origin: r.origin,
    originMeta: JSON.parse(r.origin_meta),
    size: r.size,
    sha256: r.sha256,
    compression: r.compression as 'gzip' | 'none',
    format: r.format,
    acquiredAt: r.acquired_at,
    examiner: r.examiner,
    toolVersion: r.tool_version,
    importId: r.import_id,
    counts: { events: r.n_events, copies: r.n_copies, rejected: r.n_rejected, excluded: r.n_excluded },
    validation,
  };
}

export function evidenceRow(db: ReadableDB, id: number): EvidenceRow | undefined {
  return cached(db, 'SELECT * FROM evidence WHERE id = ?').get(id) as EvidenceRow | undefined;
}

export function evidenceCompression(db: ReadableDB, id: number): string | undefined {
  return (cached(db, 'SELECT compression FROM evidence WHERE id = ?').get(id) as { compression: string } | undefined)?.compression;
}

export function evidencePage(db: ReadableDB, offset: number, limit: number): EvidenceRow[] {
  return cached(db, 'SELECT * FROM evidence ORDER BY id LIMIT ? OFFSET ?').all(limit, offset) as EvidenceRow[];
}

export function evidenceCount(db: ReadableDB): number {
  return (cached(db, 'SELECT count(*) AS n FROM evidence').get() as { n: number }).n;
}

/** The items a checkpoint covers (ids 1..maxId), in order. */
export function evidenceUpTo(db: ReadableDB, maxId: number): EvidenceRow[] {
  return cached(db, 'SELECT * FROM evidence WHERE id <= ? ORDER BY id').all(maxId) as EvidenceRow[];
}

/** Every row in order, streamed (the evidence tree, verify). */
export function evidenceRows(db: ReadableDB): Iterable<EvidenceRow> {
  return db.prepare('SELECT * FROM evidence ORDER BY id').iterate() as Iterable<EvidenceRow>;
}

/** Rejected and out-of-scope record totals over items 1..maxId. */
export function evidenceExclusions(db: ReadableDB, maxId: number): { rej: number; exc: number } {
  return cached(db, 'SELECT coalesce(sum(n_rejected),0) AS rej, coalesce(sum(n_excluded),0) AS exc FROM evidence WHERE id <= ?').get(maxId) as { rej: number; exc: number };
}

/** Items per format. */
export function evidenceFormatCounts(db: ReadableDB): { format: string; n: number }[] {
  return cached(db, 'SELECT format, count(*) AS n FROM evidence GROUP BY format').all() as { format: string; n: number }[];
}

/** Count and highest id: a cheap stamp of "has evidence changed". */
export function evidenceStamp(db: ReadableDB): { n: number; m: number } {
  return cached(db, 'SELECT count(*) AS n, coalesce(max(id), 0) AS m FROM evidence').get() as { n: number; m: number };
}

/** The first item preserving these bytes (by SHA-256). */
export function evidenceBySha256(db: ReadableDB, sha256: string): number | undefined {
  return (cached(db, 'SELECT id FROM evidence WHERE sha256 = ? ORDER BY id LIMIT 1').get(sha256) as { id: number } | undefined)?.id;
}

/** Original bytes of an item, chunk by chunk, in order. */
export function* evidenceChunkData(db: ReadableDB, id: number): Generator<Buffer> {
  for (const row of db.prepare('SELECT data FROM evidence_chunks WHERE evidence_id = ? ORDER BY seq').raw().iterate(id) as Iterable<[Buffer]>) {
    yield row[0];
  }
}

// ---- what acquisition sources read back (resume, skip, validation) ----

/** Items of these kinds with their origin metadata (local files and S3 objects, for digest validation). */
export function evidenceOfKinds(db: ReadableDB, kinds: readonly string[]): Pick<EvidenceRow, 'id' | 'kind' | 'origin' | 'origin_meta' | 'format'>[] {
  return db.prepare(`SELECT id, kind, origin, origin_meta, format FROM evidence WHERE kind IN (${kinds.map(() => '?').join(',')}) ORDER BY id`).all(...kinds) as Pick<
    EvidenceRow,
    'id' | 'kind' | 'origin' | 'origin_meta' | 'format'
  >[];
}

/** S3 objects already preserved from one bucket: id, key and ETag. */
export function s3ObjectsOfBucket(db: ReadableDB, bucket: string): { id: number; key: string; etag: string | null }[] {
  return db
    .prepare("SELECT id, json_extract(origin_meta, '$.key') AS key, json_extract(origin_meta, '$.etag') AS etag FROM evidence WHERE kind = 's3-object' AND json_extract(origin_meta, '$.bucket') = ?")
    .all(bucket) as { id: number; key: string; etag: string | null }[];
}

/** Items whose origin metadata names this role (the CloudTrail public keys). */
export function evidenceOfRole(db: ReadableDB, role: string): { id: number; origin: string }[] {
  return db.prepare("SELECT id, origin FROM evidence WHERE json_extract(origin_meta, '$.role') = ? ORDER BY id").all(role) as { id: number; origin: string }[];
}
