// Coverage and gaps (docs/analysis.md): which accounts, regions and hours have events;
// hours with none inside the case's range; CloudTrail digest-chain gaps (from
// the acquisition engineer's case validation); events that stopped or
// narrowed logging; what LookupEvents cannot return (90 days, no data events).
//
// Coverage is one GROUP BY account, region, time_ms / 3600000 over the event
// columns. An hour counts as missing for an account+region when that pair has
// events somewhere in the case but none in that hour; the case range is the
// first to the last event (UTC hours). A missing hour is not proof of missing
// logs (a quiet region has empty hours): it says where to look.
import type { GapReport, HourRange, LoggingChange } from '../../shared/analysis/types.ts';
import { HOUR_MS, isoUtc } from '../../shared/time.ts';
import { Dictionary } from '../case/queries.ts';
import { withPageCacheSync } from '../case/data/db.ts';
import type { CaseStore } from '../case/store.ts';
import { eventsByLeaves } from './records.ts';
import { dataEventCount, hourCells, lookupEventsPages, successfulLeavesNamed, untimedEventCount } from '../case/data/gaps.ts';

export const GAPS_UNIT = { name: 'coverage-gaps', version: '1.0.0' } as const;

/** CloudTrail calls that stop, delete or narrow what a trail or event data store records. */
export const LOGGING_CHANGE_EVENTS = [
  'StopLogging', 'StartLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'PutInsightSelectors',
  'DeleteEventDataStore', 'StopEventDataStoreIngestion', 'UpdateEventDataStore', 'DeleteChannel',
];

function ranges(missing: number[]): HourRange[] {
  const out: HourRange[] = [];
  let start = -1;
  let prev = -2;
  for (const h of missing) {
    if (h !== prev + 1) {
      if (start >= 0) out.push({ from: isoUtc(start * HOUR_MS), to: isoUtc((prev + 1) * HOUR_MS - 1), hours: prev - start + 1 });
      start = h;
    }
    prev = h;
  }
  if (start >= 0) out.push({ from: isoUtc(start * HOUR_MS), to: isoUtc((prev + 1) * HOUR_MS - 1), hours: prev - start + 1 });
  return out;
}

function obj(v: unknown): Record<string, any> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : null;
}

/** What a logging change did, in words, from its request. */
function describeChange(name: string, req: Record<string, any>, resp: Record<string, any>): { target: string | null; detail: string } {
  const target = (req.name ?? req.trailName ?? req.eventDataStore ?? req.channel ?? resp.name ?? null) as string | null;
  switch (name) {
    case 'StopLogging':
      return { target, detail: 'trail stopped recording' };
    case 'StartLogging':
      return { target, detail: 'trail started recording' };
    case 'DeleteTrail':
      return { target, detail: 'trail deleted' };
    case 'UpdateTrail': {
      const parts: string[] = [];
      if (req.isMultiRegionTrail === false) parts.push('made single-region');
      if (req.includeGlobalServiceEvents === false) parts.push('global service events (IAM, STS, CloudFront) excluded');
      if (req.s3BucketName) parts.push(`logs now delivered to bucket ${req.s3BucketName}`);
      if (req.enableLogFileValidation === false) parts.push('log file validation (digests) disabled');
      if (req.kmsKeyId !== undefined) parts.push(`KMS key set to ${req.kmsKeyId || '(none)'}`);
      if (req.cloudWatchLogsLogGroupArn !== undefined) parts.push('CloudWatch Logs delivery changed');
      return { target, detail: parts.length ? parts.join('; ') : 'trail settings changed' };
    }
    case 'PutEventSelectors': {
      const parts: string[] = [];
      const sels = Array.isArray(req.eventSelectors) ? req.eventSelectors : [];
      for (const s of sels) {
        const o = obj(s) ?? {};
        if (o.readWriteType && o.readWriteType !== 'All') parts.push(`only ${o.readWriteType} events`);
        if (o.includeManagementEvents === false) parts.push('management events excluded');
        if (Array.isArray(o.excludeManagementEventSources) && o.excludeManagementEventSources.length) parts.push(`excludes ${o.excludeManagementEventSources.join(', ')}`);
      }
      const adv = Array.isArray(req.advancedEventSelectors) ? req.advancedEventSelectors : [];
      if (adv.length) parts.push(`${adv.length} advanced selector(s): ${JSON.stringify(adv).slice(0, 300)}`);
      return { target: target ?? (req.trailName as string) ?? null, detail: parts.length ? `event selectors replaced: ${parts.join('; ')}` : 'event selectors replaced' };
    }
    case 'PutInsightSelectors':
      return { target, detail: `Insights selectors set to ${JSON.stringify(req.insightSelectors ?? []).slice(0, 200)}` };
    case 'DeleteEventDataStore':
      return { target, detail: 'CloudTrail Lake event data store deleted' };
    case 'StopEventDataStoreIngestion':
      return { target, detail: 'CloudTrail Lake event data store stopped ingesting' };
    case 'UpdateEventDataStore':
      return { target, detail: 'CloudTrail Lake event data store changed' };
    case 'DeleteChannel':
      return { target, detail: 'CloudTrail channel deleted' };
    default:
      return { target, detail: name };
  }
}

/** The acquisition engineer's CloudTrail validation of the case's log and digest files (loaded on demand: it pulls in the AWS SDK). */
async function digestValidation(store: CaseStore) {
  const { validateCase } = await import('../ingest/aws/validation.ts');
  return validateCase(store);
}

export async function gaps(store: CaseStore, opts: { digest?: boolean } = {}): Promise<GapReport> {
  const t0 = performance.now();
  const dict = new Dictionary(store);
  const notes: string[] = [];
  // One GROUP BY over every event: read with the small page cache (case/data/db.ts).
  const cells = withPageCacheSync(store.reader, () => hourCells(store.reader));
  const untimed = untimedEventCount(store.reader);
  if (untimed) notes.push(`${untimed} events carry no time and are not placed in any hour`);

  let firstH = Infinity;
  let lastH = -Infinity;
  let first: number | null = null;
  let last: number | null = null;
  const byCell = new Map<string, { account: number | null; region: number | null; hours: number[]; n: number; a: number; b: number }>();
  const allHours = new Set<number>();
  for (const c of cells) {
    firstH = Math.min(firstH, c.h);
    lastH = Math.max(lastH, c.h);
    first = first === null ? c.a : Math.min(first, c.a);
    last = last === null ? c.b : Math.max(last, c.b);
    allHours.add(c.h);
    const k = `${c.account}|${c.region}`;
    let cell = byCell.get(k);
    if (!cell) byCell.set(k, (cell = { account: c.account, region: c.region, hours: [], n: 0, a: c.a, b: c.b }));
    cell.hours.push(c.h);
    cell.n += c.n;
    cell.a = Math.min(cell.a, c.a);
    cell.b = Math.max(cell.b, c.b);
  }
  const rangeHours = cells.length ? lastH - firstH + 1 : 0;
  const missingOf = (have: Set<number>) => {
    const out: number[] = [];
    for (let h = firstH; h <= lastH; h++) if (!have.has(h)) out.push(h);
    return out;
  };
  const coverage: GapReport['coverage'] = [...byCell.values()].map((c) => {
    const missing = missingOf(new Set(c.hours));
    return {
      account: dict.str(c.account),
      region: dict.str(c.region),
      events: c.n,
      first: isoUtc(c.a),
      last: isoUtc(c.b),
      hoursWithEvents: c.hours.length,
      missing: ranges(missing),
      missingHours: missing.length,
    };
  });
  coverage.sort((a, b) => (a.account ?? '').localeCompare(b.account ?? '') || (a.region ?? '').localeCompare(b.region ?? ''));

  // Logging changes (a handful of events: read their records for the target and what changed).
  const changeLeaves = successfulLeavesNamed(store.reader, LOGGING_CHANGE_EVENTS);
  const loggingChanges: LoggingChange[] = [];
  const changeEvents = eventsByLeaves(store, changeLeaves).filter((e) => !e.n.eventSource || e.n.eventSource === 'cloudtrail.amazonaws.com');
  changeEvents.sort((a, b) => (a.timeMs ?? Infinity) - (b.timeMs ?? Infinity) || a.leaf - b.leaf);
  for (const e of changeEvents) {
    const d = describeChange(e.n.eventName ?? '', obj(e.record.requestParameters) ?? {}, obj(e.record.responseElements) ?? {});
    loggingChanges.push({
      eventId: e.eventId,
      time: e.timeMs === null ? null : isoUtc(e.timeMs),
      eventName: e.n.eventName ?? '',
      principal: e.n.principalArn ?? e.n.userName ?? e.n.principalId,
      target: d.target,
      detail: d.detail,
    });
  }
  // Stopped periods: StopLogging / DeleteTrail until the next StartLogging of the same trail (or the end of the case).
  const loggingOff: GapReport['loggingOff'] = [];
  const open = new Map<string, GapReport['loggingOff'][number]>();
  const trailKey = (t: string | null) => (t ?? '(trail not recorded)').split('/').pop()!;
  for (const c of loggingChanges) {
    const k = trailKey(c.target);
    if (c.eventName === 'StopLogging' || c.eventName === 'DeleteTrail') {
      if (!open.has(k)) {
        const p = { trail: c.target ?? '(trail not recorded)', from: c.time, to: null, stoppedBy: c.eventId, restartedBy: null };
        open.set(k, p);
        loggingOff.push(p);
      }
    } else if (c.eventName === 'StartLogging') {
      const p = open.get(k);
      if (p) {
        p.to = c.time;
        p.restartedBy = c.eventId;
        open.delete(k);
      }
    }
  }
  for (const p of open.values()) p.to = last === null ? null : isoUtc(last);

  // Digest chain.
  let digest: GapReport['digest'];
  if (opts.digest === false) digest = { available: false, note: 'not checked (digest: false)', gaps: [] };
  else {
    const v = await digestValidation(store);
    if (!v.digests.length)
      digest = {
        available: true,
        note: 'no CloudTrail digest files in the case: the completeness of the log files cannot be checked against CloudTrail\'s own chain',
        gaps: [],
      };
    else {
      const g: GapReport['digest']['gaps'] = [];
      for (const d of v.digests)
        if (d.gapBefore)
          g.push({
            origin: d.key,
            result: `digest-gap:${d.gapBefore.reason}`,
            detail: `${d.account ?? '?'}/${d.region ?? '?'} trail ${d.trailName ?? '?'}: no digest from ${d.gapBefore.from ?? '(unknown)'} to ${d.gapBefore.to}`,
          });
      for (const o of v.objects) if (o.result !== 'valid') g.push({ origin: o.origin, result: o.result, detail: o.detail });
      digest = {
        available: true,
        note: `${v.digests.length} digest files checked; ${g.length} problems or gaps; ${v.missingLogs} log files listed in digests are not in the case`,
        gaps: g,
      };
    }
  }

  // LookupEvents: 90-day window, management events only.
  const pages = lookupEventsPages(store.reader);
  const horizon = new Map<string, GapReport['lookupEvents']['horizon'][number]>();
  for (const p of pages) {
    let region: string | null = null;
    try {
      const m = JSON.parse(p.origin_meta);
      region = typeof m.region === 'string' ? m.region : null;
    } catch {
      /* origin meta is JSON by construction; keep region unknown otherwise */
    }
    region ??= /[?&]region=([^&]+)/.exec(p.origin)?.[1] ?? null;
    const k = region ?? '';
    const acquired = Date.parse(p.acquired_at);
    const prev = horizon.get(k);
    if (!prev || Date.parse(prev.acquiredAt) > acquired)
      horizon.set(k, { region, acquiredAt: p.acquired_at, earliestAvailable: isoUtc(acquired - 90 * 24 * HOUR_MS) });
  }
  const lookupEvents: GapReport['lookupEvents'] = pages.length
    ? {
        present: true,
        notes: [
          'LookupEvents returns only the last 90 days of management events of one Region: anything older than the date shown per Region was not available when it was acquired.',
          'LookupEvents never returns data events (S3 object-level, Lambda invoke, DynamoDB items) nor Insights events: their absence in these sources says nothing.',
        ],
        horizon: [...horizon.values()],
      }
    : { present: false, notes: [], horizon: [] };

  const dataCount = dataEventCount(store.reader);
  const dataEvents = {
    present: dataCount > 0,
    count: dataCount,
    note: dataCount
      ? `${dataCount} data events (eventCategory Data) in the case`
      : 'no data events (eventCategory Data) in the case: S3 object reads/writes and Lambda invocations are not visible; trails log them only when data event selectors are configured',
  };

  return {
    range: { first: first === null ? null : isoUtc(first), last: last === null ? null : isoUtc(last), hours: rangeHours },
    accounts: [...new Set(coverage.map((c) => c.account).filter((a): a is string => a !== null))].sort(),
    regions: [...new Set(coverage.map((c) => c.region).filter((a): a is string => a !== null))].sort(),
    coverage,
    emptyHours: ranges(missingOf(allHours)),
    loggingChanges,
    loggingOff,
    digest,
    lookupEvents,
    dataEvents,
    notes,
    seconds: (performance.now() - t0) / 1000,
  };
}
