// CSV and JSON export of the event table (issue 6). RFC 4180 quoting; a cell
// that a spreadsheet would run as a formula (=, +, -, @, tab, CR at the start)
// is prefixed with an apostrophe (OWASP "CSV injection"), because CloudTrail
// fields such as userAgent are attacker-controlled.
import type { EventSummary } from '../../shared/types.ts';

export interface Column {
  key: keyof EventSummary;
  title: string;
}

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(columns: Column[]): string {
  return columns.map((c) => csvCell(c.key)).join(',') + '\r\n';
}

export function csvRows(rows: EventSummary[], columns: Column[]): string {
  let out = '';
  for (const r of rows) out += columns.map((c) => csvCell(r[c.key])).join(',') + '\r\n';
  return out;
}

/** JSON Lines would be friendlier to tools, but an array is what examiners open; built in pieces to avoid one giant string copy. */
export function jsonChunk(rows: EventSummary[], first: boolean): string {
  return rows.map((r, i) => `${first && i === 0 ? '' : ',\n'}${JSON.stringify(r)}`).join('');
}
