// timeline.csv: the attacker timeline of the report, one row per event (RFC 4180:
// CRLF line ends, fields with comma, quote or line break quoted, quotes doubled).
// CloudTrail values are attacker-controlled: a cell that a spreadsheet would run
// as a formula (starting with = + - @, tab or CR) is prefixed with an apostrophe
// (OWASP "CSV injection"); report.json keeps every value exactly.
import type { ReportModel } from './model.ts';

export const TIMELINE_COLUMNS = [
  'eventTime', 'eventID', 'leaf', 'eventName', 'eventSource', 'awsRegion', 'sourceIPAddress', 'userAgent', 'principal', 'accessKeyId',
  'recipientAccountId', 'errorCode', 'findings', 'tags',
] as const;

export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function timelineCsv(m: ReportModel): string {
  const lines = [TIMELINE_COLUMNS.join(',')];
  for (const r of m.timeline.rows) {
    lines.push(
      [r.time, r.eventId, r.leaf, r.eventName, r.eventSource, r.awsRegion, r.sourceIPAddress, r.userAgent, r.principal, r.accessKeyId, r.account, r.errorCode, r.findings.join(' '), r.tags.join(' ')]
        .map(csvCell)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
