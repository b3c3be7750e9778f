// Import warnings (warnings are data: kept per import, shown in the report).
// One row type, one mapper, every read and the writes the import makes.
import type { ImportWarning } from '../../../shared/types.ts';
import { cached, placeholders, sql, all, get, type ReadableDB, type WritableDB } from './db.ts';

/** A warnings row as stored (docs/case-format.md, "warnings"). */
export interface WarningRow {
  id: number;
  import_id: number;
  evidence_id: number | null;
  origin: string;
  record_index: number | null;
  pos: number | null;
  code: string;
  message: string;
}

/** The one mapping of a stored row to the API's warning. */
export function importWarning(r: WarningRow): ImportWarning {
  return { id: r.id, importId: r.import_id, evidenceId: r.evidence_id, origin: r.origin, recordIndex: r.record_index, code: r.code, message: r.message };
}

/** A page of warnings (of one import, or all), mapped, with the total. */
export function warningsPage(db: ReadableDB, o: { importId?: number; offset: number; limit: number }): { items: ImportWarning[]; total: number } {
  const where = o.importId !== undefined ? sql`WHERE import_id = ${o.importId}` : sql``;
  const rows = all<WarningRow>(db, sql`SELECT * FROM warnings ${where} ORDER BY id LIMIT ${o.limit} OFFSET ${o.offset}`);
  return { items: rows.map(importWarning), total: get<{ n: number }>(db, sql`SELECT count(*) AS n FROM warnings ${where}`)!.n };
}

/** The first `limit` warnings of these imports, in order, mapped. */
export function warningsOfImports(db: ReadableDB, importIds: readonly number[], limit: number): ImportWarning[] {
  if (!importIds.length) return [];
  return (db.prepare(`SELECT * FROM warnings WHERE import_id IN (${placeholders(importIds.length)}) ORDER BY id LIMIT ?`).all(...importIds, limit) as WarningRow[]).map(importWarning);
}

/** Warnings about the record at (evidence item, decoded offset): the same for every copy of an event. */
export function warningsAtRecord(db: ReadableDB, evidenceId: number, pos: number): ImportWarning[] {
  return (cached(db, 'SELECT * FROM warnings WHERE evidence_id = ? AND pos = ? ORDER BY id').all(evidenceId, pos) as WarningRow[]).map(importWarning);
}

export function warningCount(db: ReadableDB): number {
  return (cached(db, 'SELECT count(*) AS n FROM warnings').get() as { n: number }).n;
}

/** Count per code, by code. */
export function warningCountsByCode(db: ReadableDB): { code: string; n: number }[] {
  return cached(db, 'SELECT code, count(*) AS n FROM warnings GROUP BY code ORDER BY code').all() as { code: string; n: number }[];
}

/** The first few warnings of one code, mapped. */
export function warningExamples(db: ReadableDB, code: string, limit = 3): ImportWarning[] {
  return (cached(db, 'SELECT * FROM warnings WHERE code = ? ORDER BY id LIMIT ?').all(code, limit) as WarningRow[]).map(importWarning);
}

/** Record one warning (the import's writer). */
export function insertWarning(
  db: WritableDB,
  w: { importId: number; evidenceId: number | null; origin: string; recordIndex: number | null; pos: number | null; code: string; message: string },
): void {
  cached(db, 'INSERT INTO warnings(import_id, evidence_id, origin, record_index, pos, code, message) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    w.importId,
    w.evidenceId,
    w.origin,
    w.recordIndex,
    w.pos,
    w.code,
    w.message,
  );
}
