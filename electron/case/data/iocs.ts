// The IOC list's history (ioc_history, schema 2) and the lookups that resolve
// an indicator to dictionary ids and events. electron/case/iocs.ts folds the
// history into the current list; electron/analysis/ioc.ts decides what to
// write and which lookups an indicator type needs.
import type { SqlFilter } from '../queries.ts';
import { cached, type ReadableDB, type WritableDB } from './db.ts';

/** An ioc_history row as stored (docs/case-format.md). */
export interface IocHistoryRow {
  id: number;
  ioc_type: string;
  value: string;
  op: string;
  enabled: number;
  label: string | null;
  source: string | null;
  at: string;
  actor: string;
  custody_seq: number;
}

/** Every history row, oldest first. */
export function iocHistoryRows(db: ReadableDB): Iterable<IocHistoryRow> {
  return cached(db, 'SELECT * FROM ioc_history ORDER BY id').iterate() as Iterable<IocHistoryRow>;
}

export function insertIocHistory(
  db: WritableDB,
  row: { type: string; value: string; op: string; enabled: boolean; label: string | null; source: string | null; at: string; actor: string; custodySeq: number },
): void {
  cached(db, 'INSERT INTO ioc_history(ioc_type, value, op, enabled, label, source, at, actor, custody_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
    row.type,
    row.value,
    row.op,
    row.enabled ? 1 : 0,
    row.label,
    row.source,
    row.at,
    row.actor,
    row.custodySeq,
  );
}

const firstColumn = (rows: unknown[]): number[] => (rows as [number][]).map((r) => r[0]);

/** Ids of the addresses in [low, high] (a CIDR's range, in the ips table's v4/v6 encoding). */
export function ipIdsBetween(db: ReadableDB, version: 4 | 6, low: number | string, high: number | string): number[] {
  return firstColumn(cached(db, `SELECT id FROM ips WHERE ${version === 4 ? 'v4' : 'v6'} BETWEEN ? AND ?`).raw().all(low, high));
}

/** Ids of the strings containing `text`, case-insensitively (ASCII). */
export function stringIdsContaining(db: ReadableDB, text: string): number[] {
  return firstColumn(cached(db, 'SELECT id FROM strings WHERE instr(lower(s), lower(?)) > 0').raw().all(text));
}

/**
 * Ids of the strings equal to `exact` (when given) or matching one of the LIKE
 * patterns, which are written with ESCAPE '\' (values in them go through likeEscape).
 */
export function stringIdsMatching(db: ReadableDB, exact: string | null, likePatterns: readonly string[] = []): number[] {
  const conds = [...(exact === null ? [] : ['s = ?']), ...likePatterns.map(() => "s LIKE ? ESCAPE '\\'")];
  if (!conds.length) return [];
  return firstColumn(cached(db, `SELECT id FROM strings WHERE ${conds.join(' OR ')}`).raw().all(...(exact === null ? [] : [exact]), ...likePatterns));
}

/** The event columns an indicator can resolve to (each holds dictionary ids). */
export type IocColumn = 'ip' | 'ua' | 'access_key' | 'arn' | 'user_name' | 'issuer_arn' | 'principal_id' | 'name' | 'region' | 'account';
const IOC_COLUMNS = new Set<string>(['ip', 'ua', 'access_key', 'arn', 'user_name', 'issuer_arn', 'principal_id', 'name', 'region', 'account']);

/** Events whose column holds one of the ids, or that name one of the buckets (event_refs); null when nothing can match. */
export function iocMatchFilter(cols: ReadonlyMap<IocColumn, ReadonlySet<number>>, bucketValues: ReadonlySet<string>): SqlFilter | null {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const [col, ids] of cols) {
    if (!ids.size) continue;
    if (!IOC_COLUMNS.has(col)) throw new Error(`not an indicator column: ${String(col)}`);
    parts.push(`${col} IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify([...ids]));
  }
  if (bucketValues.size) {
    parts.push(`leaf IN (SELECT leaf FROM event_refs WHERE kind = 'bucket' AND value IN (SELECT value FROM json_each(?)))`);
    params.push(JSON.stringify([...bucketValues]));
  }
  if (!parts.length) return null;
  return { where: `(${parts.join(' OR ')})`, params };
}

/** Count and first/last time of the events a filter selects. */
export function matchSpan(db: ReadableDB, f: SqlFilter): { n: number; a: number | null; b: number | null } {
  return db.prepare(`SELECT count(*) AS n, min(time_ms) AS a, max(time_ms) AS b FROM events WHERE ${f.where}`).get(...f.params) as { n: number; a: number | null; b: number | null };
}
