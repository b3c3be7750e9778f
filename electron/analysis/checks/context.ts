// Case-wide context for checks (see CheckContext in types.ts).
import type { AnalysisEvent } from '../../../shared/analysis/findings.ts';
import type { CaseScope } from '../../../shared/types.ts';
import { eventName, list, obj, resp, req, str } from './event.ts';
import type { CheckContext, CheckSelector } from './types.ts';
import { liveIpInfo } from '../enrich/enrich.ts';

/**
 * Events the SQL runner must pass to buildCheckContext besides the
 * recipientAccountId list: the trail definitions that name log buckets.
 */
export const TRAIL_CONTEXT_SELECTOR: CheckSelector = {
  eventNames: ['CreateTrail', 'UpdateTrail', 'DescribeTrails', 'GetTrail'],
  eventSources: ['cloudtrail.amazonaws.com'],
};

/** CloudTrail log buckets named by one trail-related event. */
export function trailBucketsOf(e: AnalysisEvent): string[] {
  if (e.n.eventSource !== 'cloudtrail.amazonaws.com') return [];
  const out: string[] = [];
  const push = (v: unknown) => { const s = str(v); if (s) out.push(s); };
  const name = eventName(e);
  if (name === 'CreateTrail' || name === 'UpdateTrail') {
    push(req(e).s3BucketName);
    push(resp(e).s3BucketName);
  } else if (name === 'DescribeTrails') {
    for (const t of list(resp(e).trailList)) push(obj(t)?.s3BucketName);
  } else if (name === 'GetTrail') {
    push(obj(resp(e).trail)?.s3BucketName);
  }
  return out;
}

/**
 * Build the context from the case's events (or just the TRAIL_CONTEXT_SELECTOR
 * events plus the distinct recipient accounts, passed as extraAccounts).
 */
export function buildCheckContext(
  events: Iterable<AnalysisEvent>,
  opts: { scope?: CaseScope; extraAccounts?: Iterable<string>; warn?: CheckContext['warn']; ipInfo?: CheckContext['ipInfo'] | null; everyEventTimed?: boolean } = {},
): CheckContext {
  const own = new Set<string>();
  const buckets = new Set<string>();
  for (const e of events) {
    if (e.n.recipientAccountId) own.add(e.n.recipientAccountId);
    for (const b of trailBucketsOf(e)) buckets.add(b);
  }
  for (const a of opts.scope?.accounts ?? []) own.add(a);
  for (const a of opts.extraAccounts ?? []) own.add(a);
  // Addresses: what the caller gives (the SQL runner: the answers recorded in the case; null: none);
  // by default (the in-memory reference runner) the installed databases answer directly.
  const ipInfo = opts.ipInfo === undefined ? liveIpInfo() : opts.ipInfo ?? undefined;
  return { ownAccounts: own, trailBuckets: buckets, ...(opts.warn ? { warn: opts.warn } : {}), ...(ipInfo ? { ipInfo } : {}), ...(opts.everyEventTimed ? { everyEventTimed: true } : {}) };
}
