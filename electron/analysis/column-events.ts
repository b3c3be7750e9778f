// Events built from the indexed columns alone (README.md, "Addresses and profiles"), for the narrowing
// step of a check (Check.narrow), which reads only the normalised fields: no
// evidence is decoded and no record parsed. Built one page at a time (docs/analysis.md:
// nothing held but the dictionary strings met, which are bounded by entities).
// The record is empty: what is only in the record (responseElements,
// userIdentity.invokedBy, eventType) is absent, so a step keeps a superset.
import type { AnalysisEvent } from '../../shared/analysis/findings.ts';
import { requestIdText } from '../../shared/event-key.ts';
import { ipTexts, stringTexts, type ColumnRow } from '../case/data/analysis-scan.ts';
import type { CaseStore } from '../case/store.ts';

const EMPTY: Record<string, any> = Object.freeze({});

export class ColumnEvents {
  private strs = new Map<number, string>();
  private ips = new Map<number, string>();
  constructor(private readonly store: CaseStore) {}

  /** The page's events, its dictionary ids looked up in two queries. */
  build(rows: ColumnRow[]): AnalysisEvent[] {
    const needS = new Set<number>();
    const needI = new Set<number>();
    for (const r of rows) {
      for (const id of [r.name, r.source, r.region, r.ua, r.identity_type, r.arn, r.user_name, r.principal_id, r.access_key, r.issuer_arn, r.account, r.error_code, r.category])
        if (id !== null && !this.strs.has(id)) needS.add(id);
      if (r.ip !== null && !this.ips.has(r.ip)) needI.add(r.ip);
    }
    if (needS.size) for (const [id, s] of stringTexts(this.store, needS)) this.strs.set(id, s);
    if (needI.size) for (const [id, s] of ipTexts(this.store, needI)) this.ips.set(id, s);
    const s = (id: number | null) => (id === null ? null : this.strs.get(id) ?? '');
    const ip = (id: number | null) => (id === null ? null : this.ips.get(id) ?? '');
    return rows.map((r) => ({
      leaf: r.leaf, eventId: r.event_id, timeMs: r.time_ms, record: EMPTY,
      n: {
        eventId: r.event_id, timeMs: r.time_ms, timeSource: null, eventName: s(r.name), eventSource: s(r.source), awsRegion: s(r.region), sourceIPAddress: ip(r.ip),
        userAgent: s(r.ua), identityType: s(r.identity_type), principalArn: s(r.arn), userName: s(r.user_name), principalId: s(r.principal_id), accessKeyId: s(r.access_key),
        sessionIssuerArn: s(r.issuer_arn), recipientAccountId: s(r.account), errorCode: s(r.error_code), readOnly: r.read_only === null ? null : r.read_only === 1,
        eventCategory: s(r.category), requestId: requestIdText(r.request_id),
      },
    }));
  }
}
