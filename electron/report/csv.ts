// timeline.csv: the attacker timeline of the report, one row per event, written
// by the shared CSV writer (shared/text/csv.ts: RFC 4180 quoting and OWASP
// CSV-injection neutralising); report.json keeps every value exactly.
import { csvCell, csvLine } from '../../shared/text/csv.ts';
import type { ReportModel } from './model.ts';
import type { TimelineRow } from './timeline.ts';

export { csvCell };

export const TIMELINE_COLUMNS = [
  'eventTime', 'eventID', 'leaf', 'eventName', 'eventSource', 'awsRegion', 'sourceIPAddress', 'userAgent', 'principal', 'accessKeyId',
  'recipientAccountId', 'errorCode', 'findings', 'tags',
] as const;

/** timeline.csv in pieces, one per row (the report streams it: stream.ts). */
export function* timelineCsvChunks(batches: Iterable<readonly TimelineRow[]>): Generator<string> {
  yield csvLine(TIMELINE_COLUMNS);
  for (const batch of batches) {
    for (const r of batch) {
      yield csvLine([r.time, r.eventId, r.leaf, r.eventName, r.eventSource, r.awsRegion, r.sourceIPAddress, r.userAgent, r.principal, r.accessKeyId, r.account, r.errorCode, r.findings.join(' '), r.tags.join(' ')]);
    }
  }
}

/** timeline.csv of a whole model (its rows all in memory). */
export function timelineCsv(m: ReportModel): string {
  return [...timelineCsvChunks([m.timeline.rows])].join('');
}
