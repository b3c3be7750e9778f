// timeline.csv: the attacker timeline of the report, one row per event, written
// by the shared CSV writer (shared/text/csv.ts: RFC 4180 quoting and OWASP
// CSV-injection neutralising); report.json keeps every value exactly.
import { csvCell, csvLine } from '../../shared/text/csv.ts';
import type { ReportModel } from './model.ts';

export { csvCell };

export const TIMELINE_COLUMNS = [
  'eventTime', 'eventID', 'leaf', 'eventName', 'eventSource', 'awsRegion', 'sourceIPAddress', 'userAgent', 'principal', 'accessKeyId',
  'recipientAccountId', 'errorCode', 'findings', 'tags',
] as const;

export function timelineCsv(m: ReportModel): string {
  let out = csvLine(TIMELINE_COLUMNS);
  for (const r of m.timeline.rows) {
    out += csvLine([r.time, r.eventId, r.leaf, r.eventName, r.eventSource, r.awsRegion, r.sourceIPAddress, r.userAgent, r.principal, r.accessKeyId, r.account, r.errorCode, r.findings.join(' '), r.tags.join(' ')]);
  }
  return out;
}
