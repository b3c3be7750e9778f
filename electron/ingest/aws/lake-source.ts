// `trailcase import CASE lake:EVENT_DATA_STORE [--sql SQL | builder options]`
// (README.md, "Acquisition from AWS"): CloudTrail Lake. StartQuery, DescribeQuery until the query is
// done, GetQueryResults page by page; each result page is an evidence item
// (raw response bytes, request, query ID, page token), rows holding whole
// events (the builder's eventjson column) become events. The query ID and the
// last page token are in each page's originMeta, so an interrupted run
// continues with the same query (results are kept by Lake for a limited time;
// when they are gone the query is run again). Lake is closed to new AWS
// customers since 31 May 2026 (CloudTrail User Guide, "CloudTrail Lake
// availability change"): S3 and files stay the main paths.
import { createHash } from 'node:crypto';
import {
  DescribeQueryCommand,
  GetQueryResultsCommand,
  ListEventDataStoresCommand,
  StartQueryCommand,
  type GetQueryResultsCommandOutput,
} from '@aws-sdk/client-cloudtrail';
import type { ImportSummary, Progress } from '../../../shared/types.ts';
import type { Signer } from '../../case/keys.ts';
import type { CaseStore } from '../../case/store.ts';
import { lastLakePageMeta } from '../../case/data/acquisition.ts';
import { UserError } from '../../errors.ts';
import { listIocs } from '../../case/iocs.ts';
import { ImportSession } from '../session.ts';
import {
  AwsAcquisitionError,
  AwsClients,
  callerIdentity,
  classifyAwsError,
  describeAwsError,
  endFailedAcquisition,
  isAbort,
  rawBody,
  rawStatus,
  sleep,
  withRetry,
  type AwsOptions,
} from './client.ts';
import { buildLakeQuery, eventDataStoreId, eventDataStoreRegion, LakeQueryError, type LakeIoc, type LakeQuerySpec } from './lake-sql.ts';
import { ingestBytes } from './write.ts';
import type { EventDataStore } from '../../../shared/api/acquire.ts';

export const LAKE_SOURCE_UNIT = { name: 'lake-acquisition', version: '1.0.0' } as const;

export interface LakeImportOptions extends AwsOptions {
  /** SQL as given (--sql); otherwise the builder runs on the case scope and options below. */
  sql?: string;
  since?: string;
  until?: string;
  accounts?: string[];
  regions?: string[];
  eventNames?: string[];
  /** Add the case's enabled indicators (OR-ed). */
  useIocs?: boolean;
  limit?: number;
  /** Rows per GetQueryResults page (Lake's default when absent). */
  pageSize?: number;
  pollMs?: number;
  maxWaitMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** The shared API's shape (shared/api/acquire.ts). */
export type EventDataStoreInfo = EventDataStore;

/** List event data stores of a Region (read-only; nothing is written to a case). */
export async function listEventDataStores(o: AwsOptions & { region: string; signal?: AbortSignal }): Promise<EventDataStoreInfo[]> {
  const clients = new AwsClients(o);
  try {
    const out: EventDataStoreInfo[] = [];
    let token: string | undefined;
    do {
      const r = await withRetry(() => clients.cloudtrail(o.region).send(new ListEventDataStoresCommand({ NextToken: token }), { abortSignal: o.signal as any }), {
        ...o.retry,
        signal: o.signal,
      }).catch((e) => {
        throw new AwsAcquisitionError(describeAwsError(e, `CloudTrail ListEventDataStores in ${o.region}`, o), classifyAwsError(e));
      });
      for (const e of r.EventDataStores ?? []) {
        if (!e.EventDataStoreArn) continue;
        const x = e as typeof e & { RetentionPeriod?: number; CreatedTimestamp?: Date };
        out.push({
          arn: e.EventDataStoreArn,
          id: eventDataStoreId(e.EventDataStoreArn),
          name: e.Name ?? null,
          status: e.Status ?? null,
          multiRegion: e.MultiRegionEnabled ?? null,
          organization: e.OrganizationEnabled ?? null,
          retentionDays: x.RetentionPeriod ?? null,
          createdAt: x.CreatedTimestamp ? x.CreatedTimestamp.toISOString() : null,
        });
      }
      token = r.NextToken;
    } while (token);
    return out;
  } finally {
    clients.destroy();
  }
}

/** The case's current, enabled indicators (the analysis IOC list, electron/analysis/ioc.ts). */
export function caseIocs(store: CaseStore): LakeIoc[] {
  return listIocs(store)
    .filter((i) => i.enabled)
    .map((i) => ({ type: i.type, value: i.value }));
}

/** The SQL an import would run: --sql as given, else the builder over case scope, options and indicators. */
export function lakeQueryFor(store: CaseStore, eds: string, o: LakeImportOptions): { sql: string; built: ReturnType<typeof buildLakeQuery> | null } {
  if (o.sql !== undefined) {
    const sql = o.sql.trim();
    if (!/^(select|with)\b/i.test(sql)) throw new UserError('--sql must be a SELECT statement (CloudTrail Lake runs only SELECT)');
    return { sql, built: null };
  }
  const scope = store.scope();
  const spec: LakeQuerySpec = {
    eventDataStore: eds,
    since: o.since ?? scope.since,
    until: o.until ?? scope.until,
    accounts: o.accounts?.length ? o.accounts : scope.accounts,
    regions: o.regions?.length ? o.regions : scope.regions,
    eventNames: o.eventNames,
    iocs: o.useIocs ? caseIocs(store) : undefined,
    limit: o.limit,
  };
  try {
    const built = buildLakeQuery(spec);
    return { sql: built.sql, built };
  } catch (e) {
    if (e instanceof LakeQueryError) throw new UserError(`Lake query: ${e.message}`);
    throw e;
  }
}

interface LastPage {
  queryId: string;
  page: number;
  nextToken: string | null;
}

/** The last page preserved for this statement and data store by this account: where a run continues. */
function lastPage(store: CaseStore, sqlSha256: string, edsId: string, account: string | null): LastPage | null {
  const originMeta = lastLakePageMeta(store.reader, sqlSha256, edsId, account ?? '');
  if (originMeta === undefined) return null;
  const m = JSON.parse(originMeta);
  return { queryId: m.queryId, page: m.page, nextToken: m.nextToken ?? null };
}

export async function importLake(store: CaseStore, signer: Signer, arg: string, o: LakeImportOptions): Promise<ImportSummary> {
  const eds = arg.replace(/^lake:/, '').trim();
  if (!eds) throw new UserError('lake: needs the event data store, e.g. lake:arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-ID (trailcase lake-stores lists them)');
  let edsId: string;
  try {
    edsId = eventDataStoreId(eds);
  } catch (e) {
    throw new UserError(`lake: ${(e as Error).message}`);
  }
  const region = eventDataStoreRegion(eds) ?? o.region ?? o.regions?.[0];
  if (!region) throw new UserError('lake: give the event data store ARN (it names the Region) or --region');
  const { sql, built } = lakeQueryFor(store, eds, o);
  const sqlSha256 = createHash('sha256').update(sql, 'utf8').digest('hex');
  const session = ImportSession.begin(store, signer, {
    sources: [arg],
    source: 'lake',
    eventDataStore: eds,
    region,
    sql,
    builder: built ? { conditions: built.conditions, skipped: built.skipped } : null,
    profile: o.profile ?? null,
    endpointUrl: o.endpointUrl ?? null,
    tool: LAKE_SOURCE_UNIT,
  });
  for (const s of built?.skipped ?? []) session.warnUnstored(`ioc:${s.ioc.type}:${s.ioc.value}`, 'ioc-not-queried', `indicator ${s.ioc.type} ${s.ioc.value} left out of the Lake query: ${s.reason}`);
  const clients = new AwsClients({ ...o, region });
  const signal = o.signal;
  const report = (p: Progress) => o.onProgress?.(p);
  const ct = clients.cloudtrail(region);
  const call = <T>(what: string, fn: () => Promise<T>) =>
    withRetry(fn, { ...o.retry, signal }).catch((e) => {
      if (isAbort(e)) throw e;
      throw new AwsAcquisitionError(describeAwsError(e, what, o), classifyAwsError(e));
    });
  try {
    const id = await callerIdentity(clients, signal);
    store.appendCustody(session.actor, 'acquire.identity', { importId: session.importId, source: 'lake', ...(id.identity ? { callerIdentity: id.identity } : { error: id.error }) });
    const account = id.identity?.account ?? null;

    let resume = lastPage(store, sqlSha256, edsId, account);
    if (resume && resume.nextToken === null) resume = null; // that run completed: run the query again (new results may exist)
    let queryId: string;
    let page = 0;
    let token: string | undefined;
    if (resume) {
      queryId = resume.queryId;
      page = resume.page;
      token = resume.nextToken ?? undefined;
      store.appendCustody(session.actor, 'acquire.lake.resume', { importId: session.importId, queryId, page, eventDataStore: eds });
    } else {
      queryId = await startAndWait();
    }

    async function startAndWait(): Promise<string> {
      report({ phase: 'lake-query', done: 0, total: null, unit: 'polls', detail: 'StartQuery' });
      const started = await call(`CloudTrail Lake StartQuery on ${edsId}`, () => ct.send(new StartQueryCommand({ QueryStatement: sql }), { abortSignal: signal as any }));
      const qid = started.QueryId!;
      store.appendCustody(session.actor, 'acquire.lake.query', { importId: session.importId, eventDataStore: eds, region, queryId: qid, sql, sqlSha256 });
      const t0 = Date.now();
      let wait = o.pollMs ?? 1000;
      for (let polls = 1; ; polls++) {
        const d = await call(`CloudTrail Lake DescribeQuery ${qid}`, () => ct.send(new DescribeQueryCommand({ QueryId: qid, EventDataStore: eds }), { abortSignal: signal as any }));
        const st = d.QueryStatus ?? 'UNKNOWN';
        report({ phase: 'lake-query', done: polls, total: null, unit: 'polls', detail: `${st}, ${d.QueryStatistics?.EventsScanned ?? 0} events scanned` });
        if (st === 'FINISHED') return qid;
        if (st === 'FAILED' || st === 'CANCELLED' || st === 'TIMED_OUT') {
          throw new AwsAcquisitionError(`CloudTrail Lake query ${qid} on ${edsId} ${st}${d.ErrorMessage ? `: ${d.ErrorMessage}` : ''}`, 'invalid');
        }
        if (Date.now() - t0 > (o.maxWaitMs ?? 3_600_000)) throw new AwsAcquisitionError(`CloudTrail Lake query ${qid} still ${st} after ${Math.round((Date.now() - t0) / 1000)} s; run the same import again to continue`, 'other');
        await sleep(wait, signal);
        wait = Math.min(wait * 2, 10_000);
      }
    }

    let rows = 0;
    let cancelled = false;
    for (;;) {
      if (signal?.aborted) {
        cancelled = true;
        break;
      }
      const request = { QueryId: queryId, EventDataStore: eds, NextToken: token, MaxQueryResults: o.pageSize };
      const requestedAt = new Date().toISOString();
      let out: GetQueryResultsCommandOutput;
      try {
        out = await withRetry(() => ct.send(new GetQueryResultsCommand(request), { abortSignal: signal as any }), { ...o.retry, signal });
      } catch (e) {
        const name = (e as Error).name;
        if (resume && page === resume.page && (name === 'QueryIdNotFoundException' || name === 'InvalidNextTokenException')) {
          // Results of the interrupted run are gone: run the query again, from its first page.
          session.warnUnstored(`cloudtrail:GetQueryResults?queryId=${queryId}`, 'resume-expired', `results of query ${queryId} are no longer available (${name}); the query is run again`);
          resume = null;
          queryId = await startAndWait();
          page = 0;
          token = undefined;
          continue;
        }
        if (isAbort(e)) throw e;
        throw new AwsAcquisitionError(describeAwsError(e, `CloudTrail Lake GetQueryResults ${queryId} page ${page + 1}`, o), classifyAwsError(e));
      }
      const bytes = rawBody(out);
      page++;
      const n = out.QueryResultRows?.length ?? 0;
      rows += n;
      const res = await ingestBytes(session, {
        kind: 'api-page',
        origin: `cloudtrail:GetQueryResults?eventDataStore=${edsId}&queryId=${queryId}&page=${page}`,
        originMeta: {
          api: 'GetQueryResults',
          region,
          account,
          eventDataStore: eds,
          eventDataStoreId: edsId,
          queryId,
          sqlSha256,
          page,
          pageToken: token ?? null,
          nextToken: out.NextToken ?? null,
          request: { QueryId: queryId, EventDataStore: eds, NextToken: token ?? null, MaxQueryResults: o.pageSize ?? null },
          rows: n,
          queryStatus: out.QueryStatus ?? null,
          statistics: out.QueryStatistics ?? null,
          requestedAt,
          receivedAt: new Date().toISOString(),
          httpStatus: rawStatus(out),
          requestId: out.$metadata.requestId ?? null,
          callerIdentity: id.identity,
          endpoint: o.endpointUrl ?? null,
        },
      }, bytes);
      if (n > 0 && res.result && res.result.records === 0 && res.result.excluded === 0) {
        session.warnUnstored(
          `cloudtrail:GetQueryResults?queryId=${queryId}&page=${page}`,
          'lake-rows-not-events',
          `query rows are not whole CloudTrail events (no eventjson column or event fields): ${n} rows preserved as evidence, not imported as events`,
        );
      }
      const total = out.QueryStatistics?.TotalResultsCount ?? null;
      report({ phase: 'lake-results', done: rows, total, unit: 'rows', detail: `page ${page}, ${session.totals.events} events` });
      token = out.NextToken;
      if (!token) break;
    }
    store.appendCustody(session.actor, 'acquire.lake', { importId: session.importId, eventDataStore: eds, queryId, pages: page, rows, complete: !cancelled });
    return session.finish(cancelled ? 'cancelled' : 'completed');
  } catch (e) {
    return endFailedAcquisition(session, e, `CloudTrail Lake ${edsId}`, o);
  } finally {
    clients.destroy();
  }
}
