// `trailcase import CASE lookup: --region R|all --since T --until T
// [--attribute Name=Value]` (README.md, "Acquisition from AWS"): CloudTrail LookupEvents, management
// events of the last 90 days, 50 per page. Self-throttled to 2 requests per
// second per account and Region (the API's quota), ThrottlingException (HTTP
// 400) and 5xx retried with backoff, progress with an estimate of the time
// left (events come newest first, so the oldest eventTime seen tells how much
// of the range is done). Each page is an evidence item: the raw HTTP response
// body, the request parameters, Region, time and page tokens; events come from
// each element's CloudTrailEvent (electron/case/encodings.ts, ENC_LOOKUP).
// The page token is kept in each page's originMeta, committed with the page,
// so an interrupted run continues from the last preserved page.
import { createHash } from 'node:crypto';
import { LookupEventsCommand, type LookupAttributeKey, type LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';
import type { ImportSummary, Progress } from '../../../shared/types.ts';
import { parseTime } from '../../../shared/time.ts';
import type { Signer } from '../../case/keys.ts';
import type { CaseStore } from '../../case/store.ts';
import { lastLookupPageMeta } from '../../case/data/acquisition.ts';
import { UserError } from '../../errors.ts';
import { ImportSession } from '../session.ts';
import {
  AwsAcquisitionError,
  AwsClients,
  callerIdentity,
  classifyAwsError,
  describeAwsError,
  endFailedAcquisition,
  isAbort,
  RateLimiter,
  rawBody,
  rawStatus,
  splitKeyValue,
  withRetry,
  type AwsOptions,
  type RetryInfo,
} from './client.ts';
import { ingestBytes } from './write.ts';

export const LOOKUP_SOURCE_UNIT = { name: 'lookup-events-acquisition', version: '1.0.0' } as const;

/** LookupEvents keeps 90 days (CloudTrail User Guide, "Working with CloudTrail event history"). */
export const LOOKUP_RETENTION_MS = 90 * 86_400_000;
export const LOOKUP_PAGE_SIZE = 50;
export const LOOKUP_RATE_PER_SECOND = 2;

/** Lookup attribute keys of the API (LookupAttribute.AttributeKey). */
export const LOOKUP_ATTRIBUTES = ['EventId', 'EventName', 'ReadOnly', 'Username', 'ResourceType', 'ResourceName', 'EventSource', 'AccessKeyId'] as const;

/**
 * Commercial Regions for `--region all` (CloudTrail endpoints, AWS General
 * Reference). Opt-in Regions not enabled for the account answer with an
 * invalid-token error; with `all` that Region is reported and skipped.
 */
export const ALL_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
  'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-south-1', 'ap-south-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4',
  'ap-southeast-5', 'ap-southeast-7', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3',
  'ca-central-1', 'ca-west-1', 'eu-central-1', 'eu-central-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-south-1', 'eu-south-2', 'eu-north-1',
  'il-central-1', 'me-south-1', 'me-central-1', 'mx-central-1', 'sa-east-1',
] as const;

const REGION_RE = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/;

export interface LookupImportOptions extends AwsOptions {
  regions?: string[];
  since?: string;
  until?: string;
  /** Name=Value; the API takes one attribute. */
  attribute?: string;
  /** Requests per second per account and Region (default 2, the API quota). */
  rate?: number;
  /** Regions fetched at the same time (each keeps its own rate). */
  regionConcurrency?: number;
  /** Stop after this many pages per Region in this run (the next run continues). */
  maxPages?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Injected for tests (clock-free rate limiting). */
  limiter?: RateLimiter;
}

interface RegionPlan {
  region: string;
  startMs: number;
  endMs: number;
  token: string | null;
  page: number;
  resumed: boolean;
}

function queryKey(p: { account: string | null; region: string; startMs: number; endMs: number; attribute: { key: string; value: string } | null }): string {
  return createHash('sha256').update(JSON.stringify([p.account, p.region, p.startMs, p.endMs, p.attribute])).digest('hex');
}

/** Where this Region's lookup continues: the last preserved page of a matching, unfinished chain. */
function resumePoint(
  store: CaseStore,
  account: string | null,
  region: string,
  attribute: { key: string; value: string } | null,
  explicit: { startMs?: number; endMs?: number },
): { startMs: number; endMs: number; token: string; page: number } | null {
  const originMeta = lastLookupPageMeta(store.reader, region, account ?? '', attribute?.key ?? '', attribute?.value ?? '');
  if (originMeta === undefined) return null;
  const m = JSON.parse(originMeta);
  if (!m.nextToken) return null; // the latest chain is complete
  const startMs = Date.parse(m.request.StartTime);
  const endMs = Date.parse(m.request.EndTime);
  if (explicit.startMs !== undefined && explicit.startMs !== startMs) return null;
  if (explicit.endMs !== undefined && explicit.endMs !== endMs) return null;
  return { startMs, endMs, token: m.nextToken, page: m.page };
}

function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export async function importLookup(store: CaseStore, signer: Signer, arg: string, o: LookupImportOptions): Promise<ImportSummary> {
  if (arg !== 'lookup:' && arg !== 'lookup') throw new UserError(`${arg}: LookupEvents takes no argument after "lookup:"; use --region, --since, --until, --attribute`);
  const regionsIn = o.regions?.length ? o.regions : o.region ? [o.region] : [];
  if (!regionsIn.length) throw new UserError('lookup: needs --region R (or --region all)');
  const all = regionsIn.includes('all');
  const regions = all ? [...ALL_REGIONS] : [...new Set(regionsIn)];
  for (const r of regions) if (!REGION_RE.test(r)) throw new UserError(`--region ${r} is not an AWS Region name (e.g. us-east-1), or use --region all`);
  const now = Date.now();
  const sinceMs = o.since !== undefined ? parseTime(o.since) : undefined;
  const untilMs = o.until !== undefined ? parseTime(o.until) : undefined;
  if (sinceMs === null) throw new UserError(`--since ${o.since} is not a time (use ISO 8601, e.g. 2024-05-01T00:00:00Z)`);
  if (untilMs === null) throw new UserError(`--until ${o.until} is not a time (use ISO 8601, e.g. 2024-05-02T00:00:00Z)`);
  if (sinceMs !== undefined && untilMs !== undefined && sinceMs > untilMs) throw new UserError('--since is after --until');
  let attribute: { key: string; value: string } | null = null;
  if (o.attribute) {
    const [k, v] = splitKeyValue(o.attribute, '--attribute');
    const key = LOOKUP_ATTRIBUTES.find((a) => a.toLowerCase() === k.toLowerCase());
    if (!key) throw new UserError(`--attribute ${k}: LookupEvents accepts ${LOOKUP_ATTRIBUTES.join(', ')}`);
    attribute = { key, value: v };
  }
  const session = ImportSession.begin(store, signer, {
    sources: [arg],
    source: 'lookup',
    // Not `regions`: that key is the import's event filter, and "all" is no Region name.
    lookupRegions: all ? ['all'] : regions,
    since: o.since,
    until: o.until,
    attribute: o.attribute ?? null,
    profile: o.profile ?? null,
    endpointUrl: o.endpointUrl ?? null,
    tool: LOOKUP_SOURCE_UNIT,
  });
  const clients = new AwsClients(o);
  const limiter = o.limiter ?? new RateLimiter(o.rate ?? LOOKUP_RATE_PER_SECOND);
  const signal = o.signal;
  const started = Date.now();
  const regionState = new Map<string, { pages: number; events: number; fraction: number; done: boolean; skipped?: string }>();
  let retries = 0;
  const report = (detail: string) => {
    const states = [...regionState.values()];
    const fraction = regions.length ? states.reduce((a, s) => a + (s.done ? 1 : s.fraction), 0) / regions.length : 1;
    const elapsed = Date.now() - started;
    const eta = fraction > 0.01 && fraction < 1 ? `, about ${fmtDuration((elapsed * (1 - fraction)) / fraction)} left` : '';
    const pages = states.reduce((a, s) => a + s.pages, 0);
    o.onProgress?.({
      phase: 'lookup',
      done: Math.round(fraction * 1000),
      total: 1000,
      unit: 'per mille of the time range',
      detail: `${pages} pages, ${session.totals.events} events${retries ? `, ${retries} retries` : ''}${eta}; ${detail}`,
    });
  };
  try {
    const id = await callerIdentity(clients, signal);
    const account = id.identity?.account ?? null;
    store.appendCustody(session.actor, 'acquire.identity', { importId: session.importId, source: 'lookup', ...(id.identity ? { callerIdentity: id.identity } : { error: id.error }) });

    const plans: RegionPlan[] = regions.map((region) => {
      const r = resumePoint(store, account, region, attribute, { startMs: sinceMs, endMs: untilMs });
      if (r) return { region, startMs: r.startMs, endMs: r.endMs, token: r.token, page: r.page, resumed: true };
      const endMs = untilMs ?? now;
      return { region, startMs: sinceMs ?? endMs - LOOKUP_RETENTION_MS, endMs, token: null, page: 0, resumed: false };
    });
    for (const p of plans) regionState.set(p.region, { pages: 0, events: 0, fraction: 0, done: false });

    let fatal: unknown = null;
    let cancelled = false;
    const runRegion = async (p: RegionPlan): Promise<void> => {
      const st = regionState.get(p.region)!;
      const qk = queryKey({ account, region: p.region, startMs: p.startMs, endMs: p.endMs, attribute });
      if (p.resumed) store.appendCustody(session.actor, 'acquire.lookup.resume', { importId: session.importId, region: p.region, page: p.page, queryKey: qk });
      let token = p.token;
      let page = p.page;
      let pagesThisRun = 0;
      const base = {
        StartTime: new Date(p.startMs),
        EndTime: new Date(p.endMs),
        MaxResults: LOOKUP_PAGE_SIZE,
        ...(attribute ? { LookupAttributes: [{ AttributeKey: attribute.key as LookupAttributeKey, AttributeValue: attribute.value }] } : {}),
      };
      for (;;) {
        if (signal?.aborted) {
          cancelled = true;
          return;
        }
        if (fatal !== null) return;
        if (o.maxPages !== undefined && pagesThisRun >= o.maxPages) return;
        const requestedAt = new Date().toISOString();
        let out: LookupEventsCommandOutput;
        try {
          out = await withRetry(
            async () => {
              await limiter.take(`${account ?? 'unknown'}/${p.region}`, signal);
              return clients.cloudtrail(p.region).send(new LookupEventsCommand({ ...base, NextToken: token ?? undefined }), { abortSignal: signal as any });
            },
            {
              ...o.retry,
              signal,
              onRetry: (r: RetryInfo) => {
                retries++;
                report(`${p.region}: ${r.error.name} (${r.kind}), retry ${r.attempt} in ${r.waitMs} ms`);
              },
            },
          );
        } catch (e) {
          if (isAbort(e)) {
            cancelled = true;
            return;
          }
          const name = (e as Error).name;
          if (name === 'InvalidNextTokenException' && token !== null) {
            // The preserved token is no longer accepted: start this Region's range again (events already in the case become copies).
            session.warnUnstored(`cloudtrail:LookupEvents?region=${p.region}`, 'resume-token-rejected', `${p.region}: page token of page ${page} rejected (${name}); fetching the range again from the start`);
            token = null;
            page = 0;
            continue;
          }
          if (all && (name === 'UnrecognizedClientException' || name === 'InvalidClientTokenId' || name === 'OptInRequired')) {
            st.skipped = `${name}: the Region is probably not enabled for this account`;
            session.warnUnstored(
              `cloudtrail:LookupEvents?region=${p.region}`,
              'region-unavailable',
              `${p.region} skipped: it rejected the credentials (${name}: ${(e as Error).message.split('\n')[0].slice(0, 200)}); the Region is probably not enabled for this account`,
            );
            st.done = true;
            return;
          }
          fatal ??= new AwsAcquisitionError(describeAwsError(e, `CloudTrail LookupEvents in ${p.region} (page ${page + 1})`, o), classifyAwsError(e));
          return;
        }
        const bytes = rawBody(out);
        page++;
        pagesThisRun++;
        const evs = out.Events ?? [];
        await ingestBytes(
          session,
          {
            kind: 'api-page',
            origin: `cloudtrail:LookupEvents?region=${p.region}&query=${qk.slice(0, 16)}&page=${page}`,
            originMeta: {
              api: 'LookupEvents',
              region: p.region,
              account,
              queryKey: qk,
              attributeKey: attribute?.key ?? null,
              attributeValue: attribute?.value ?? null,
              page,
              pageToken: token,
              nextToken: out.NextToken ?? null,
              request: {
                StartTime: base.StartTime.toISOString(),
                EndTime: base.EndTime.toISOString(),
                MaxResults: LOOKUP_PAGE_SIZE,
                LookupAttributes: attribute ? [{ AttributeKey: attribute.key, AttributeValue: attribute.value }] : null,
                NextToken: token,
              },
              events: evs.length,
              requestedAt,
              receivedAt: new Date().toISOString(),
              httpStatus: rawStatus(out),
              requestId: out.$metadata.requestId ?? null,
              callerIdentity: id.identity,
              endpoint: o.endpointUrl ?? null,
            },
          },
          bytes,
        );
        st.pages++;
        st.events += evs.length;
        const oldest = evs.reduce((m, e) => (e.EventTime ? Math.min(m, e.EventTime.getTime()) : m), Infinity);
        if (Number.isFinite(oldest) && p.endMs > p.startMs) st.fraction = Math.max(st.fraction, Math.min(1, (p.endMs - oldest) / (p.endMs - p.startMs)));
        token = out.NextToken ?? null;
        if (!token) {
          st.done = true;
          report(`${p.region} done`);
          return;
        }
        report(`${p.region} page ${page}`);
      }
    };

    const conc = Math.max(1, Math.min(o.regionConcurrency ?? 4, plans.length));
    let next = 0;
    await Promise.all(
      Array.from({ length: conc }, async () => {
        while (next < plans.length && fatal === null && !cancelled) await runRegion(plans[next++]);
      }),
    );
    store.appendCustody(session.actor, 'acquire.lookup', {
      importId: session.importId,
      account,
      attribute,
      regions: plans.map((p) => ({
        region: p.region,
        start: new Date(p.startMs).toISOString(),
        end: new Date(p.endMs).toISOString(),
        resumedFromPage: p.resumed ? p.page : null,
        pages: regionState.get(p.region)!.pages,
        events: regionState.get(p.region)!.events,
        complete: regionState.get(p.region)!.done,
        skipped: regionState.get(p.region)!.skipped ?? null,
      })),
      retries,
    });
    if (fatal) throw fatal;
    if (all && [...regionState.values()].every((s) => s.skipped)) {
      throw new AwsAcquisitionError('LookupEvents: no Region answered (every Region rejected the credentials)', 'credentials');
    }
    return session.finish(cancelled ? 'cancelled' : 'completed');
  } catch (e) {
    return endFailedAcquisition(session, e, 'CloudTrail LookupEvents', o);
  } finally {
    clients.destroy();
  }
}
