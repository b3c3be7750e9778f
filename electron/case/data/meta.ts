// The case's own records: metadata, schema version, examiners' keys, counts
// for the case summary, and the file-level operations a handoff needs.
import Database from 'better-sqlite3';
import { asWritable, cached, withIntegrityCheckCache, type ReadableDB, type WritableDB } from './db.ts';

export function metaRows(db: ReadableDB): { key: string; value: string }[] {
  return cached(db, 'SELECT key, value FROM case_meta ORDER BY key').all() as { key: string; value: string }[];
}

export function metaValue(db: ReadableDB, key: string): string | undefined {
  return (cached(db, 'SELECT value FROM case_meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

export function insertMeta(db: WritableDB, key: string, value: string): void {
  cached(db, 'INSERT INTO case_meta(key, value) VALUES (?, ?)').run(key, value);
}

/** PRAGMA user_version: the case schema the file is at. */
export function schemaVersion(db: ReadableDB): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function applicationId(db: ReadableDB): number {
  return db.pragma('application_id', { simple: true }) as number;
}

export interface KeyRow {
  fingerprint: string;
  public_key: string;
  examiner: string;
  added_at: string;
}

export function keyRows(db: ReadableDB): KeyRow[] {
  return cached(db, 'SELECT * FROM keys ORDER BY added_at').all() as KeyRow[];
}

export function hasKey(db: ReadableDB, fingerprint: string): boolean {
  return !!cached(db, 'SELECT 1 FROM keys WHERE fingerprint = ?').get(fingerprint);
}

export function insertKey(db: WritableDB, k: { fingerprint: string; publicKeyPem: string; examiner: string }, addedAt: string): void {
  cached(db, 'INSERT INTO keys(fingerprint, public_key, examiner, added_at) VALUES (?, ?, ?, ?)').run(k.fingerprint, k.publicKeyPem, k.examiner, addedAt);
}

/** Row counts for the case summary (caseInfo). */
export function caseCounts(db: ReadableDB): { events: number; copies: number; evidence: number; warnings: number; conflicts: number; custody: number } {
  const n = (q: string) => (cached(db, q).get() as { n: number }).n;
  return {
    events: n('SELECT count(*) AS n FROM events'),
    copies: n('SELECT count(*) AS n FROM event_copies'),
    evidence: n('SELECT count(*) AS n FROM evidence'),
    warnings: n('SELECT count(*) AS n FROM warnings'),
    conflicts: n('SELECT count(*) AS n FROM event_copies WHERE identical = 0'),
    custody: n('SELECT count(*) AS n FROM custody'),
  };
}

// ---- the file as a whole (handoff) ----

/** Fold the WAL into the main file. */
export function checkpointWal(db: WritableDB): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
}

/** PRAGMA integrity_check, its rows joined ("ok" when sound), under a larger page cache (db.ts, withIntegrityCheckCache): the export's check of the file it wrote. */
export function integrityCheck(db: ReadableDB): string {
  return withIntegrityCheckCache(db, () => (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; '));
}

/** A compact copy of the whole case at `path` (VACUUM INTO). */
export function vacuumInto(db: ReadableDB, path: string): void {
  db.prepare('VACUUM INTO ?').run(path);
}

/**
 * Open a copy written by vacuumInto as one file (journal mode DELETE), run
 * `fn` on it (a handoff checks it before it gets its name), close it.
 */
export function withCopy<T>(path: string, fn: (copy: WritableDB) => T): T {
  const copy = new Database(path, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
    return fn(asWritable(copy));
  } finally {
    copy.close();
  }
}

export function eventCount(db: ReadableDB): number {
  return (cached(db, 'SELECT count(*) AS n FROM events').get() as { n: number }).n;
}

/** The examiner named with a key in the case. */
export function keyExaminer(db: ReadableDB, fingerprint: string): string | undefined {
  return (cached(db, 'SELECT examiner FROM keys WHERE fingerprint = ?').get(fingerprint) as { examiner: string } | undefined)?.examiner;
}

/** The public key (PEM) of a key in the case. */
export function publicKeyOf(db: ReadableDB, fingerprint: string): string | undefined {
  return (cached(db, 'SELECT public_key FROM keys WHERE fingerprint = ?').get(fingerprint) as { public_key: string } | undefined)?.public_key;
}

/** Whether a table exists (a case from before the migration that adds it has none). */
export function tableExists(db: ReadableDB, name: string): boolean {
  return !!cached(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name);
}
