// Events built from the indexed columns alone (issue 16), for checks that read
// only the normalised fields (Check.columnsOnly: behaviour baselines over every
// event). No evidence is decoded and no record parsed: one query over the
// events table in time order, dictionary ids turned into shared strings.
// The record is empty: what is only in the record (responseElements,
// userIdentity.invokedBy, eventType) is absent. The address indicators that
// use this skip AWS service names as addresses anyway, which is where
// service-invoked calls and AWS service events show.
import type { AnalysisEvent } from '../../shared/analysis/findings.ts';
import { requestIdText } from '../../shared/event-key.ts';
import type { CaseStore } from '../case/store.ts';

const EMPTY: Record<string, any> = Object.freeze({});

export function columnEvents(store: CaseStore): AnalysisEvent[] {
  const strs = new Map<number, string>();
  const ips = new Map<number, string>();
  const s = (id: number | null): string | null => {
    if (id === null) return null;
    let v = strs.get(id);
    if (v === undefined) {
      v = (store.stmt('SELECT s FROM strings WHERE id = ?').get(id) as { s: string } | undefined)?.s ?? '';
      strs.set(id, v);
    }
    return v;
  };
  const ip = (id: number | null): string | null => {
    if (id === null) return null;
    let v = ips.get(id);
    if (v === undefined) {
      v = (store.stmt('SELECT text FROM ips WHERE id = ?').get(id) as { text: string } | undefined)?.text ?? '';
      ips.set(id, v);
    }
    return v;
  };
  const out: AnalysisEvent[] = [];
  const rows = store.db
    .prepare(
      'SELECT leaf, event_id, time_ms, name, source, region, ip, ua, identity_type, arn, user_name, principal_id, access_key, issuer_arn, account, error_code, read_only, category, request_id FROM events ORDER BY time_ms, leaf',
    )
    .raw()
    .iterate() as Iterable<any[]>;
  for (const r of rows) {
    out.push({
      leaf: r[0], eventId: r[1], timeMs: r[2], record: EMPTY,
      n: {
        eventId: r[1], timeMs: r[2], timeSource: null, eventName: s(r[3]), eventSource: s(r[4]), awsRegion: s(r[5]), sourceIPAddress: ip(r[6]),
        userAgent: s(r[7]), identityType: s(r[8]), principalArn: s(r[9]), userName: s(r[10]), principalId: s(r[11]), accessKeyId: s(r[12]),
        sessionIssuerArn: s(r[13]), recipientAccountId: s(r[14]), errorCode: s(r[15]), readOnly: r[16] === null ? null : r[16] === 1,
        eventCategory: s(r[17]), requestId: requestIdText(r[18]),
      },
    });
  }
  // Events without a time sort first in SQL; checks expect them last (byTime).
  const firstTimed = out.findIndex((e) => e.timeMs !== null);
  return firstTimed > 0 ? [...out.slice(firstTimed), ...out.slice(0, firstTimed)] : out;
}
