// CSV and JSON export of the event table (docs/architecture.md, "The renderer"). CSV through the shared
// writer (shared/text/csv.ts: RFC 4180 quoting, OWASP CSV-injection
// neutralising), because CloudTrail fields such as userAgent are attacker-controlled.
import { csvLine } from '../../shared/text/csv.ts';
import type { EventSummary } from '../../shared/types.ts';

export interface Column {
  key: keyof EventSummary;
  title: string;
}

export function csvHeader(columns: Column[]): string {
  return csvLine(columns.map((c) => c.key));
}

export function csvRows(rows: EventSummary[], columns: Column[]): string {
  let out = '';
  for (const r of rows) out += csvLine(columns.map((c) => r[c.key]));
  return out;
}

/** JSON Lines would be friendlier to tools, but an array is what examiners open; built in pieces to avoid one giant string copy. */
export function jsonChunk(rows: EventSummary[], first: boolean): string {
  return rows.map((r, i) => `${first && i === 0 ? '' : ',\n'}${JSON.stringify(r)}`).join('');
}
