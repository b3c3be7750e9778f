// The chain of custody: one row type, one mapper, every read and the one append.
import type { CustodyEntry } from '../../../shared/types.ts';
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { TOOL_VERSION } from '../../version.ts';
import { cached, placeholders, type ReadableDB, type WritableDB } from './db.ts';

export const ZERO_HASH = '0'.repeat(64);

/** A custody row as stored (docs/case-format.md, "custody"). */
export interface CustodyRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  details: string;
  tool_version: string;
  prev_hash: string;
  hash: string;
}

/** The one mapping of a stored row to the API's entry. */
export function custodyEntry(r: CustodyRow): CustodyEntry {
  return { seq: r.seq, at: r.at, actor: r.actor, action: r.action, details: JSON.parse(r.details), toolVersion: r.tool_version, hash: r.hash };
}

/** Custody entry hash: SHA-256(prev_hash_hex + "\n" + canonical JSON of the entry). */
export function custodyHash(
  prev: string,
  e: { seq: number; at: string; actor: string; action: string; details: unknown; toolVersion: string },
): string {
  return sha256Hex(prev + '\n' + canonicalJson({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, details: e.details, toolVersion: e.toolVersion }));
}

/** Append one entry, hash-chained to the previous one. Returns its seq. */
export function appendCustody(db: WritableDB, actor: string, action: string, details: Record<string, unknown>): number {
  const last = custodyHead(db);
  const seq = (last?.seq ?? 0) + 1;
  const prev = last?.hash ?? ZERO_HASH;
  const at = new Date().toISOString();
  const hash = custodyHash(prev, { seq, at, actor, action, details, toolVersion: TOOL_VERSION });
  cached(db, 'INSERT INTO custody(seq, at, actor, action, details, tool_version, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
    seq,
    at,
    actor,
    action,
    canonicalJson(details),
    TOOL_VERSION,
    prev,
    hash,
  );
  return seq;
}

/** The last entry's seq and hash (undefined in a file with no custody). */
export function custodyHead(db: ReadableDB): { seq: number; hash: string } | undefined {
  return cached(db, 'SELECT seq, hash FROM custody ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
}

export function custodyCount(db: ReadableDB): number {
  return (cached(db, 'SELECT count(*) AS n FROM custody').get() as { n: number }).n;
}

export function maxCustodySeq(db: ReadableDB): number {
  return (cached(db, 'SELECT max(seq) AS n FROM custody').get() as { n: number }).n;
}

/** A page of entries in order, mapped. */
export function custodyPage(db: ReadableDB, offset: number, limit: number): CustodyEntry[] {
  return (cached(db, 'SELECT * FROM custody ORDER BY seq LIMIT ? OFFSET ?').all(limit, offset) as CustodyRow[]).map(custodyEntry);
}

/** Every entry up to seq (what a checkpoint covers), mapped. */
export function custodyUpTo(db: ReadableDB, seq: number): CustodyEntry[] {
  return (cached(db, 'SELECT * FROM custody WHERE seq <= ? ORDER BY seq').all(seq) as CustodyRow[]).map(custodyEntry);
}

/** Every stored row in order, unmapped: verify checks the raw text against the hashes. */
export function custodyRows(db: ReadableDB): Iterable<CustodyRow> {
  return db.prepare('SELECT * FROM custody ORDER BY seq').iterate() as Iterable<CustodyRow>;
}

/** Entries of one action in order, mapped. */
export function custodyOfAction(db: ReadableDB, action: string): CustodyEntry[] {
  return (cached(db, 'SELECT * FROM custody WHERE action = ? ORDER BY seq').all(action) as CustodyRow[]).map(custodyEntry);
}

/** The latest entry whose action is one of these, mapped. */
export function lastCustodyOf(db: ReadableDB, actions: readonly string[]): CustodyEntry | undefined {
  const r = db.prepare(`SELECT * FROM custody WHERE action IN (${placeholders(actions.length)}) ORDER BY seq DESC LIMIT 1`).get(...actions) as CustodyRow | undefined;
  return r ? custodyEntry(r) : undefined;
}

export function countCustodyOf(db: ReadableDB, actions: readonly string[]): number {
  return (db.prepare(`SELECT count(*) AS n FROM custody WHERE action IN (${placeholders(actions.length)})`).get(...actions) as { n: number }).n;
}

/** The distinct actions logged after seq (what a report's checkpoint does not cover). */
export function actionsAfter(db: ReadableDB, seq: number): string[] {
  return (cached(db, 'SELECT DISTINCT action FROM custody WHERE seq > ?').all(seq) as { action: string }[]).map((r) => r.action);
}
