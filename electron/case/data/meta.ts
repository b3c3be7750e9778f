// The case's own records: metadata, schema version, examiners' keys, counts
// for the case summary, and the file-level operations a handoff needs.
import Database from 'better-sqlite3';
import { quoteIdent } from '../../../shared/query/schema.ts';
import { asWritable, cached, type ReadableDB, type WritableDB } from './db.ts';

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

/**
 * The export's check of the file it wrote (docs/verification.md, "Handoff"), in time linear in
 * the file: PRAGMA quick_check (every page, cell and record, the B-tree structure, the free
 * list, NOT NULL, and each full index's number of entries against its table) and, for each
 * partial index (which neither quick_check nor integrity_check counts), as many entries as rows
 * its WHERE names, each side counted by reading the index or the table in its own order.
 * Problems joined; "ok" when none.
 *
 * What it leaves to integrity_check: that each index entry's key equals its row's. That check looks
 * every row up in each index in an order unrelated to the index and grows faster than the case
 * (10M-event bench case: 143.6 s with SQLite's 2 MB page cache, 83.9 s with 128 MB, which put the
 * export's peak at 481 MB; ~5.5 s at 1M). The case the file is copied from passed it in the
 * verification the export begins with, VACUUM INTO builds the copy's indexes afresh from its
 * rows, and `receive` runs it again before it accepts the file.
 */
export function copyCheck(db: ReadableDB): string {
  const quick = (db.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check).join('; ');
  if (quick !== 'ok') return quick;
  const problems: string[] = [];
  const indexes = db.prepare("SELECT name, tbl_name AS tbl, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").all() as { name: string; tbl: string; sql: string }[];
  for (const ix of indexes) {
    // The copy's own schema, written by this program: the partial index's condition as it was declared.
    const where = /\bWHERE\b([\s\S]*)$/i.exec(ix.sql)?.[1].trim();
    if (!where) continue;
    const rows = db.prepare(`SELECT count(*) FROM ${quoteIdent(ix.tbl)} NOT INDEXED WHERE ${where}`).pluck().get() as number;
    const entries = db.prepare(`SELECT count(*) FROM ${quoteIdent(ix.tbl)} INDEXED BY ${quoteIdent(ix.name)} WHERE ${where}`).pluck().get() as number;
    if (entries !== rows) problems.push(`index ${ix.name} holds ${entries} entries for ${rows} rows of ${ix.tbl}`);
  }
  return problems.length ? problems.join('; ') : 'ok';
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
