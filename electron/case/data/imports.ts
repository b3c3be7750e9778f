// Import runs: one row per `trailcase import` (its parameters, who, when, tool).
import { cached, type ReadableDB, type WritableDB } from './db.ts';

export interface ImportRow {
  id: number;
  started_at: string;
  actor: string;
  params: string;
  tool_version: string;
}

/** The one mapping of a stored row (parameters parsed). */
export function importRecord(r: ImportRow): { importId: number; startedAt: string; actor: string; toolVersion: string; params: unknown } {
  return { importId: r.id, startedAt: r.started_at, actor: r.actor, toolVersion: r.tool_version, params: JSON.parse(r.params) };
}

export function importRows(db: ReadableDB): ImportRow[] {
  return cached(db, 'SELECT * FROM imports ORDER BY id').all() as ImportRow[];
}

/** Start an import: its row; returns its id. */
export function insertImport(db: WritableDB, startedAt: string, actor: string, params: string, toolVersion: string): number {
  return Number(cached(db, 'INSERT INTO imports(started_at, actor, params, tool_version) VALUES (?, ?, ?, ?)').run(startedAt, actor, params, toolVersion).lastInsertRowid);
}
