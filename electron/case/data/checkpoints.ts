// Signed checkpoints and their time-stamp tokens: one summary mapper, the reads
// report, verify-report and the handoff make, the one insert.
import type { CheckpointSummary } from '../../../shared/types.ts';
import { cached, type ReadableDB, type WritableDB } from './db.ts';

/** A checkpoints row as stored (docs/case-format.md, "checkpoints"). */
export interface CheckpointRow {
  seq: number;
  tree_size: number;
  root: string;
  evidence_count: number;
  evidence_root: string;
  custody_seq: number;
  custody_head: string;
  meta_hash: string;
  created_at: string;
  reason: string;
  key_fingerprint: string;
  body: string;
  signature: string;
  frontier: string | null;
}

/** The one mapping of a stored row to the API's summary. */
export function checkpointSummary(r: Pick<CheckpointRow, 'seq' | 'tree_size' | 'root' | 'evidence_count' | 'evidence_root' | 'custody_seq' | 'created_at' | 'key_fingerprint' | 'reason'>): CheckpointSummary {
  return {
    seq: r.seq,
    treeSize: r.tree_size,
    root: r.root,
    evidenceCount: r.evidence_count,
    evidenceRoot: r.evidence_root,
    custodySeq: r.custody_seq,
    createdAt: r.created_at,
    keyFingerprint: r.key_fingerprint,
    reason: r.reason,
  };
}

export function lastCheckpointRow(db: ReadableDB): CheckpointRow | undefined {
  return cached(db, 'SELECT * FROM checkpoints ORDER BY seq DESC LIMIT 1').get() as CheckpointRow | undefined;
}

export function lastCheckpointSeq(db: ReadableDB): number | undefined {
  return (cached(db, 'SELECT seq FROM checkpoints ORDER BY seq DESC LIMIT 1').get() as { seq: number } | undefined)?.seq;
}

/** The signed text and signature of one checkpoint. */
export function checkpointSigned(db: ReadableDB, seq: number): { body: string; signature: string } | undefined {
  return cached(db, 'SELECT body, signature FROM checkpoints WHERE seq = ?').get(seq) as { body: string; signature: string } | undefined;
}

/** The last checkpoint's seq, signed text and signature (a handed-over copy is checked against it). */
export function lastCheckpointSigned(db: ReadableDB): { seq: number; body: string; signature: string } | undefined {
  return cached(db, 'SELECT seq, body, signature FROM checkpoints ORDER BY seq DESC LIMIT 1').get() as { seq: number; body: string; signature: string } | undefined;
}

export function checkpointCountUpTo(db: ReadableDB, seq: number): number {
  return (cached(db, 'SELECT count(*) AS n FROM checkpoints WHERE seq <= ?').get(seq) as { n: number }).n;
}

export function insertCheckpoint(db: WritableDB, r: CheckpointRow): void {
  cached(
    db,
    `INSERT INTO checkpoints(seq, tree_size, root, evidence_count, evidence_root, custody_seq, custody_head, meta_hash, created_at, reason, key_fingerprint, body, signature, frontier)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(r.seq, r.tree_size, r.root, r.evidence_count, r.evidence_root, r.custody_seq, r.custody_head, r.meta_hash, r.created_at, r.reason, r.key_fingerprint, r.body, r.signature, r.frontier);
}

/** Whether the file has the time-stamp table (schema 6 on). */
export function hasTimestampTable(db: ReadableDB): boolean {
  return !!cached(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoint_timestamps'").get();
}

/** The time-stamp tokens of checkpoints 1..seq, in order ([] before schema 6). */
export function timestampTokensUpTo(db: ReadableDB, seq: number): { id: number; checkpoint_seq: number; tsa_url: string; gen_time: string; token: Buffer }[] {
  if (!hasTimestampTable(db)) return [];
  return cached(db, 'SELECT id, checkpoint_seq, tsa_url, gen_time, token FROM checkpoint_timestamps WHERE checkpoint_seq <= ? ORDER BY id').all(seq) as {
    id: number;
    checkpoint_seq: number;
    tsa_url: string;
    gen_time: string;
    token: Buffer;
  }[];
}

export function checkpointRow(db: ReadableDB, seq: number): CheckpointRow | undefined {
  return cached(db, 'SELECT * FROM checkpoints WHERE seq = ?').get(seq) as CheckpointRow | undefined;
}
