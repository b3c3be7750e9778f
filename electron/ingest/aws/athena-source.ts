// `trailcase import CASE athena:DATABASE.TABLE` (README.md, "Speed and size"): Amazon Athena
// picks the S3 objects that hold the scoped events, then those objects (the
// signed originals) and the digest files for the same account, Region and
// hours are acquired through the S3 source, so CloudTrail's own validation
// still applies. The events come from the original objects, never from
// Athena's rows.
//
// Steps: StartQueryExecution (an idempotency token, so a retried start does not
// run and bill the query twice), GetQueryExecution with backoff until
// SUCCEEDED / FAILED / CANCELLED, GetQueryResults page by page. The
// StartQueryExecution response, the final GetQueryExecution response (with
// the statistics: DataScannedInBytes is what Athena bills) and every result
// page are evidence items (kind api-page, raw response bytes, request and
// query ID in origin_meta). The query ID is in custody as soon as it exists,
// so an interrupted run continues: the same query (still running or done),
// the pages already preserved, then the objects not yet in the case (the S3
// source skips those present by key + ETag).
import { createHash, randomUUID } from 'node:crypto';
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type QueryExecution,
} from '@aws-sdk/client-athena';
import type { ImportSummary } from '../../../shared/types.ts';
import type { Signer } from '../../case/keys.ts';
import type { CaseStore } from '../../case/store.ts';
import { athenaQueryDetails, athenaQueryDone, athenaStoredPages } from '../../case/data/acquisition.ts';
import { evidenceBytes } from '../../case/evidence.ts';
import { UserError } from '../../errors.ts';
import { ImportSession } from '../session.ts';
import {
  athenaTableDdl,
  AthenaQueryError,
  buildAthenaQuery,
  checkUserSql,
  describeScan,
  estimateAthenaCost,
  ATHENA_USD_PER_TB,
  parseAthenaTable,
  PATH_COLUMN,
  type AthenaPartition,
  type AthenaTable,
  type BuiltAthenaQuery,
} from './athena-sql.ts';
import {
  abortError,
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
  type CallerIdentity,
} from './client.ts';
import { parseCloudTrailKey } from './digest.ts';
import { caseIocs } from './lake-source.ts';
import { LakeQueryError } from './lake-sql.ts';
import { storePublicKeysFile } from './public-keys-store.ts';
import { accountPrefix, daysBetween, inWindow, NAME_SKEW_MS } from './s3-scope.ts';
import { acquireObjects, listAll, type ListedObject, type S3ImportOptions } from './s3-source.ts';
import { storeOpaque } from './write.ts';

export { athenaTableDdl };
export const ATHENA_SOURCE_UNIT = { name: 'athena-acquisition', version: '1.0.0' } as const;

const HOUR_MS = 3_600_000;

export interface AthenaImportOptions extends S3ImportOptions {
  /** SQL as given (--sql); otherwise the builder runs on the case scope and options. */
  sql?: string;
  /** Add the case's enabled indicators (OR-ed). */
  useIocs?: boolean;
  workgroup?: string;
  /** Query result location (--output s3://…); else the workgroup's. */
  outputLocation?: string;
  /** Partition columns of the table (athena-sql.ts). */
  partitions?: AthenaPartition[];
  /** Rows per GetQueryResults page (Athena's maximum, 1000, when absent). */
  pageSize?: number;
  pollMs?: number;
  maxWaitMs?: number;
  /** A line for the examiner: what the query scanned and cost, before and after acquisition. */
  notice?: (line: string) => void;
}

/** The SQL an import would run: --sql as given (checked), else the builder over case scope, options and indicators. */
export function athenaQueryFor(store: CaseStore, t: AthenaTable, o: AthenaImportOptions): { sql: string; built: BuiltAthenaQuery | null } {
  try {
    if (o.sql !== undefined) return { sql: checkUserSql(o.sql), built: null };
    const scope = store.scope();
    const built = buildAthenaQuery({
      ...t,
      since: o.since ?? scope.since,
      until: o.until ?? scope.until,
      accounts: o.accounts?.length ? o.accounts : scope.accounts,
      regions: o.regions?.length ? o.regions : scope.regions,
      iocs: o.useIocs ? caseIocs(store) : undefined,
      partitions: o.partitions,
    });
    return { sql: built.sql, built };
  } catch (e) {
    if (e instanceof AthenaQueryError || e instanceof LakeQueryError) throw new UserError(`Athena query: ${e.message}`);
    throw e;
  }
}

interface QueryKey {
  sqlSha256: string;
  database: string;
  table: string;
  workgroup: string | null;
  account: string | null;
}

/** The query of an earlier run of this import whose objects were not all acquired: where this run continues. */
function unfinishedQuery(store: CaseStore, k: QueryKey): string | null {
  for (const details of athenaQueryDetails(store.reader)) {
    const d = JSON.parse(details);
    if (d.sqlSha256 !== k.sqlSha256 || d.database !== k.database || d.table !== k.table || (d.workgroup ?? null) !== k.workgroup || (d.account ?? null) !== k.account) continue;
    return athenaQueryDone(store.reader, d.queryId) ? null : d.queryId;
  }
  return null;
}

interface PageRef {
  page: number;
  nextToken: string | null;
  evidenceId: number;
}

/** Result pages of a query preserved in the case (as their own items or, when the bytes were already there, by custody). */
function storedPages(store: CaseStore, queryId: string): PageRef[] {
  const { own, duplicates: dup } = athenaStoredPages(store.reader, queryId);
  const byPage = new Map<number, PageRef>();
  for (const r of [...own, ...dup]) byPage.set(r.page, { page: r.page, nextToken: r.nextToken ?? null, evidenceId: r.id });
  return [...byPage.values()].sort((a, b) => a.page - b.page);
}

/**
 * "$path" values from result pages, and the sum of the `events` column when
 * the query has one (the builder's does). Athena's first row of the first
 * page repeats the column names.
 */
export function pathsFromPages(pages: Buffer[]): { paths: Set<string>; matched: number | null; columns: string[] } {
  const paths = new Set<string>();
  let matched: number | null = null;
  let columns: string[] = [];
  pages.forEach((bytes, i) => {
    const doc = JSON.parse(bytes.toString('utf8'));
    const info = (doc.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []) as { Name?: string }[];
    if (info.length) columns = info.map((c) => c.Name ?? '');
    const pi = columns.indexOf(PATH_COLUMN);
    if (pi < 0) {
      throw new UserError(
        `the Athena query does not return the "$path" column (it returns ${columns.map((c) => JSON.stringify(c)).join(', ') || 'no columns'}): ` +
          'select "$path" (the S3 object each row comes from), e.g. SELECT "$path", count(*) AS events ... GROUP BY "$path"',
      );
    }
    const ci = columns.indexOf('events');
    for (const [j, r] of ((doc.ResultSet?.Rows ?? []) as { Data?: { VarCharValue?: string }[] }[]).entries()) {
      const cells = (r.Data ?? []).map((d) => d.VarCharValue);
      if (i === 0 && j === 0 && cells.length === columns.length && cells.every((c, k) => c === columns[k])) continue;
      const p = cells[pi];
      if (typeof p !== 'string') continue;
      paths.add(p);
      const n = ci >= 0 ? Number(cells[ci]) : NaN;
      if (Number.isFinite(n)) matched = (matched ?? 0) + n;
    }
  });
  return { paths, matched, columns };
}

/** Overlapping or touching time windows joined, in time order. */
function mergeWindows(ws: { from: number; to: number }[]): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (const w of [...ws].sort((a, b) => a.from - b.from)) {
    const last = out.at(-1);
    if (last && w.from <= last.to) last.to = Math.max(last.to, w.to);
    else out.push({ ...w });
  }
  return out;
}

const S3_PATH_RE = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;

/**
 * The objects to acquire from the chosen paths: each log object with its S3
 * listing entry (ETag, size: the skip-if-present check needs them), plus the
 * digest files of the same account and Region whose periods cover those log
 * files (and the one before, for the chain's first link).
 */
async function planFromPaths(
  session: ImportSession,
  clients: AwsClients,
  paths: string[],
  o: AthenaImportOptions,
  signal: AbortSignal,
): Promise<{ byBucket: Map<string, ListedObject[]>; listings: number; logs: number; digests: number }> {
  const byBucket = new Map<string, Map<string, ListedObject>>();
  const wanted = new Map<string, Map<string, Set<string>>>(); // bucket -> folder -> keys
  const digestWindows = new Map<string, Map<string, { from: number; to: number }[]>>(); // bucket -> digest region folder -> windows
  for (const p of paths) {
    const m = S3_PATH_RE.exec(p);
    if (!m || m[1].includes('..')) {
      session.warnUnstored(`athena:${p.slice(0, 300)}`, 'athena-path-invalid', `the query returned ${JSON.stringify(p.slice(0, 300))}, not an s3://BUCKET/KEY path: not acquired`);
      continue;
    }
    const [, bucket, key] = m;
    const folder = key.slice(0, key.lastIndexOf('/') + 1);
    if (!wanted.has(bucket)) wanted.set(bucket, new Map());
    const f = wanted.get(bucket)!;
    if (!f.has(folder)) f.set(folder, new Set());
    f.get(folder)!.add(key);
    const info = parseCloudTrailKey(key);
    if (!info || info.kind !== 'log') {
      session.warnUnstored(p, 'athena-path-not-cloudtrail', `${p} does not have a CloudTrail log file name: acquired, but no digest covers it`);
      continue;
    }
    const base = `${accountPrefix({ basePrefix: info.prefix }, info.orgId ?? undefined, info.account, 'CloudTrail-Digest')}${info.region}/`;
    if (!digestWindows.has(bucket)) digestWindows.set(bucket, new Map());
    const w = digestWindows.get(bucket)!;
    // The digest of the hour the file was delivered in ends within about an hour of its name time; one more hour back for the previous link.
    if (!w.has(base)) w.set(base, []);
    w.get(base)!.push({ from: info.timeMs - HOUR_MS - NAME_SKEW_MS, to: info.timeMs + 2 * HOUR_MS });
  }
  let listings = 0;
  let logs = 0;
  let digests = 0;
  for (const [bucket, folders] of wanted) {
    const objs = new Map<string, ListedObject>();
    byBucket.set(bucket, objs);
    for (const [folder, keys] of [...folders].sort()) {
      const r = await listAll(clients, bucket, folder, false, o, signal);
      listings += r.calls;
      o.onProgress?.({ phase: 'listing', done: listings, total: null, unit: 'listings', detail: `s3://${bucket}/${folder}` });
      const listed = new Map(r.objects.map((x) => [x.key, x]));
      for (const k of keys) {
        // Not in the listing (deleted since the query ran?): still asked for, so the case records what happened to it.
        objs.set(k, listed.get(k) ?? { key: k, etag: null, size: 0, lastModified: null, storageClass: null, kind: parseCloudTrailKey(k)?.kind ?? 'other' });
        logs++;
      }
    }
    for (const [base, windows] of [...(digestWindows.get(bucket) ?? [])].sort()) {
      // Only the hours around the chosen files (not every hour between the first and the last), listed one day folder each.
      const merged = mergeWindows(windows);
      const days = [...new Set(merged.flatMap((x) => daysBetween(x.from, x.to)))];
      for (const day of days) {
        const r = await listAll(clients, bucket, `${base}${day}/`, false, o, signal);
        listings += r.calls;
        o.onProgress?.({ phase: 'listing', done: listings, total: null, unit: 'listings', detail: `s3://${bucket}/${base}${day}/` });
        for (const x of r.objects) {
          const info = parseCloudTrailKey(x.key);
          if (info?.kind === 'digest' && merged.some((win) => inWindow(info.timeMs, win)) && !objs.has(x.key)) {
            objs.set(x.key, x);
            digests++;
          }
        }
      }
    }
  }
  const out = new Map<string, ListedObject[]>();
  for (const [b, objs] of byBucket) out.set(b, [...objs.values()].sort((a, c) => (a.key < c.key ? -1 : a.key > c.key ? 1 : 0)));
  return { byBucket: out, listings, logs, digests };
}

export async function importAthena(store: CaseStore, signer: Signer, arg: string, o: AthenaImportOptions): Promise<ImportSummary> {
  if (!arg.replace(/^athena:/, '').trim()) throw new UserError('athena: needs the table, e.g. athena:default.cloudtrail_logs (trailcase athena-table prints a CREATE TABLE for one)');
  let t: AthenaTable;
  try {
    t = parseAthenaTable(arg);
  } catch (e) {
    throw new UserError(`athena: ${(e as Error).message}`);
  }
  if (o.workgroup !== undefined && !/^[A-Za-z0-9._-]{1,128}$/.test(o.workgroup)) throw new UserError(`--workgroup ${JSON.stringify(o.workgroup.slice(0, 80))} is not an Athena workgroup name`);
  if (o.outputLocation !== undefined && !/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(o.outputLocation)) {
    throw new UserError(`--output ${JSON.stringify(o.outputLocation.slice(0, 200))} is not an s3://BUCKET/PREFIX/ location`);
  }
  if (o.pageSize !== undefined && (!Number.isInteger(o.pageSize) || o.pageSize < 1 || o.pageSize > 1000)) throw new UserError('page size must be 1..1000 (GetQueryResults MaxResults)');
  const { sql, built } = athenaQueryFor(store, t, o);
  const sqlSha256 = createHash('sha256').update(sql, 'utf8').digest('hex');
  const region = o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const workgroup = o.workgroup ?? null;
  const caseScope = store.scope();
  const accounts = o.accounts?.length ? o.accounts : caseScope.accounts;
  const regions = o.regions?.length ? o.regions : caseScope.regions;
  const session = ImportSession.begin(store, signer, {
    sources: [arg],
    source: 'athena',
    database: t.database,
    table: t.table,
    workgroup,
    outputLocation: o.outputLocation ?? null,
    athenaRegion: region,
    sql,
    builder: built ? { conditions: built.conditions, skipped: built.skipped, partitions: o.partitions ?? null } : null,
    // The objects hold other events too: the case scope decides which of them are indexed, as for s3://.
    accounts,
    regions,
    since: o.since ?? caseScope.since,
    until: o.until ?? caseScope.until,
    profile: o.profile ?? null,
    endpointUrl: o.endpointUrl ?? null,
    s3EndpointUrl: o.s3EndpointUrl ?? null,
    publicKeysFile: o.publicKeysFile ?? null,
    tool: ATHENA_SOURCE_UNIT,
  });
  for (const s of built?.skipped ?? []) session.warnUnstored(`ioc:${s.ioc.type}:${s.ioc.value}`, 'ioc-not-queried', `indicator ${s.ioc.type} ${s.ioc.value} left out of the Athena query: ${s.reason}`);
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = ctl.signal;
  const clients = new AwsClients({ ...o, region });
  const athena = clients.athena(region);
  const report = o.onProgress ?? (() => {});
  const call = <T>(what: string, fn: () => Promise<T>) =>
    withRetry(fn, { ...o.retry, signal }).catch((e) => {
      if (isAbort(e)) throw e;
      const msg = describeAwsError(e, what, o);
      throw new AwsAcquisitionError(/output location/i.test(msg) ? `${msg}; give --output s3://BUCKET/PREFIX/ or a --workgroup that has a query result location` : msg, classifyAwsError(e));
    });
  try {
    report({ phase: 'identity', done: 0, total: null, unit: 'calls', detail: 'STS GetCallerIdentity' });
    const id = await callerIdentity(clients, signal);
    store.appendCustody(session.actor, 'acquire.identity', { importId: session.importId, source: 'athena', ...(id.identity ? { callerIdentity: id.identity } : { error: id.error }) });
    const identity: CallerIdentity | null = id.identity;
    const account = identity?.account ?? null;
    if (o.publicKeysFile) storePublicKeysFile(session, o.publicKeysFile);
    const common = { region, account, database: t.database, table: t.table, workgroup, sqlSha256, callerIdentity: identity, endpoint: o.endpointUrl ?? null };

    /** Preserve one Athena response; the same bytes already in the case are recorded by custody instead. */
    const preserve = (origin: string, meta: Record<string, unknown>, out: unknown): void => {
      const res = storeOpaque(session, { kind: 'api-page', origin, originMeta: { ...common, ...meta, httpStatus: rawStatus(out), requestId: (out as { $metadata?: { requestId?: string } }).$metadata?.requestId ?? null, receivedAt: new Date().toISOString() } }, rawBody(out), 'athena-json');
      if (res.skipped) store.appendCustody(session.actor, 'acquire.athena.page', { importId: session.importId, origin, ...common, ...meta, duplicateOf: res.duplicateOf });
    };

    const start = async (): Promise<string> => {
      report({ phase: 'athena-query', done: 0, total: null, unit: 'polls', detail: 'StartQueryExecution' });
      const request = {
        QueryString: sql,
        QueryExecutionContext: { Database: t.database },
        ...(workgroup ? { WorkGroup: workgroup } : {}),
        ...(o.outputLocation ? { ResultConfiguration: { OutputLocation: o.outputLocation } } : {}),
        // Idempotency: a start retried after a dropped response returns the same query instead of running (and billing) another.
        ClientRequestToken: randomUUID(),
      };
      const requestedAt = new Date().toISOString();
      const out = await call(`Athena StartQueryExecution on ${t.database}.${t.table}`, () => athena.send(new StartQueryExecutionCommand(request), { abortSignal: signal as any }));
      const qid = out.QueryExecutionId;
      if (!qid) throw new AwsAcquisitionError('Athena StartQueryExecution returned no QueryExecutionId', 'server');
      store.appendCustody(session.actor, 'acquire.athena.query', { importId: session.importId, queryId: qid, ...common, sql, outputLocation: o.outputLocation ?? null });
      preserve(`athena:StartQueryExecution?queryExecutionId=${qid}`, { api: 'StartQueryExecution', queryExecutionId: qid, request, requestedAt }, out);
      return qid;
    };

    /** Poll until the query is done; preserve the final response (its statistics are what Athena bills). */
    const waitFor = async (qid: string): Promise<QueryExecution> => {
      const t0 = Date.now();
      let wait = o.pollMs ?? 500;
      for (let polls = 1; ; polls++) {
        const requestedAt = new Date().toISOString();
        const out = await call(`Athena GetQueryExecution ${qid}`, () => athena.send(new GetQueryExecutionCommand({ QueryExecutionId: qid }), { abortSignal: signal as any }));
        const q = out.QueryExecution ?? {};
        const st = q.Status?.State ?? 'UNKNOWN';
        report({ phase: 'athena-query', done: polls, total: null, unit: 'polls', detail: `${st}, ${q.Statistics?.DataScannedInBytes ?? 0} bytes scanned` });
        if (st === 'SUCCEEDED' || st === 'FAILED' || st === 'CANCELLED') {
          preserve(`athena:GetQueryExecution?queryExecutionId=${qid}`, {
            api: 'GetQueryExecution',
            queryExecutionId: qid,
            request: { QueryExecutionId: qid },
            requestedAt,
            state: st,
            stateChangeReason: q.Status?.StateChangeReason ?? null,
            statistics: q.Statistics ?? null,
          }, out);
          return q;
        }
        if (Date.now() - t0 > (o.maxWaitMs ?? 3_600_000)) {
          throw new AwsAcquisitionError(`Athena query ${qid} still ${st} after ${Math.round((Date.now() - t0) / 1000)} s; run the same import again to continue with it`, 'other');
        }
        await sleep(wait, signal);
        wait = Math.min(wait * 2, 10_000);
      }
    };
    /** The examiner cancelled while the query runs: stop it (it is billed for what it scans) and do not continue it later. */
    const stopOnCancel = async (qid: string, e: unknown): Promise<never> => {
      if (isAbort(e) && o.signal?.aborted) {
        let stopped = false;
        try {
          await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: qid }), { abortSignal: AbortSignal.timeout(10_000) as any });
          stopped = true;
        } catch {
          /* best effort: the query ends on its own; custody says it was not stopped */
        }
        store.appendCustody(session.actor, 'acquire.athena.abandoned', { importId: session.importId, queryId: qid, state: 'CANCELLED', stopped });
      }
      throw e;
    };
    const failure = (qid: string, q: QueryExecution) =>
      new AwsAcquisitionError(
        `Athena query ${qid} on ${t.database}.${t.table} ${q.Status?.State}${q.Status?.StateChangeReason ? `: ${q.Status.StateChangeReason}` : ''}${q.Status?.State === 'CANCELLED' ? ` (${describeScan(q.Statistics?.DataScannedInBytes ?? null)})` : ''}`,
        'invalid',
      );

    const runNew = async (): Promise<{ qid: string; execution: QueryExecution }> => {
      const qid = await start();
      const execution = await waitFor(qid).catch((e) => stopOnCancel(qid, e));
      if (execution.Status?.State !== 'SUCCEEDED') {
        store.appendCustody(session.actor, 'acquire.athena.abandoned', { importId: session.importId, queryId: qid, state: execution.Status?.State ?? null });
        throw failure(qid, execution);
      }
      return { qid, execution };
    };
    /** An earlier run's query that cannot be continued: recorded, and the query is run again. */
    const abandon = (qid: string, code: string, message: string, state: string | null) => {
      session.warnUnstored(`athena:GetQueryExecution?queryExecutionId=${qid}`, code, message);
      store.appendCustody(session.actor, 'acquire.athena.abandoned', { importId: session.importId, queryId: qid, state });
    };
    const gone = (e: unknown) => !isAbort(e) && (e as AwsAcquisitionError).kind === 'invalid';

    /** The result pages: those preserved by an earlier run, then the rest. */
    const fetchPages = async (qid: string): Promise<number> => {
      const last = storedPages(store, qid).at(-1);
      let page = last?.page ?? 0;
      let token = last?.nextToken ?? undefined;
      let complete = last !== undefined && token === undefined;
      if (last && !complete) store.appendCustody(session.actor, 'acquire.athena.resume', { importId: session.importId, queryId: qid, page });
      while (!complete) {
        if (signal.aborted) throw abortError();
        const request = { QueryExecutionId: qid, NextToken: token, MaxResults: o.pageSize ?? 1000 };
        const requestedAt = new Date().toISOString();
        const out = await call(`Athena GetQueryResults ${qid} page ${page + 1}`, () => athena.send(new GetQueryResultsCommand(request), { abortSignal: signal as any }));
        page++;
        const rows = out.ResultSet?.Rows?.length ?? 0;
        preserve(`athena:GetQueryResults?queryExecutionId=${qid}&page=${page}`, {
          api: 'GetQueryResults',
          queryExecutionId: qid,
          page,
          pageToken: token ?? null,
          nextToken: out.NextToken ?? null,
          request: { ...request, NextToken: token ?? null },
          requestedAt,
          rows,
        }, out);
        report({ phase: 'athena-results', done: page, total: null, unit: 'pages', detail: `${rows} rows` });
        token = out.NextToken;
        complete = !token;
      }
      return page;
    };

    // 1. The query: the unfinished one of an earlier run (still running, done, or with some pages preserved), else a new one.
    let run: { qid: string; execution: QueryExecution } | null = null;
    const earlier = unfinishedQuery(store, { sqlSha256, database: t.database, table: t.table, workgroup, account });
    if (earlier) {
      store.appendCustody(session.actor, 'acquire.athena.resume', { importId: session.importId, queryId: earlier });
      try {
        const execution = await waitFor(earlier).catch((e) => stopOnCancel(earlier, e));
        if (execution.Status?.State === 'SUCCEEDED') run = { qid: earlier, execution };
        else abandon(earlier, 'resume-failed-query', `query ${earlier} of the interrupted run ended ${execution.Status?.State}; the query is run again`, execution.Status?.State ?? null);
      } catch (e) {
        if (!gone(e)) throw e;
        // Athena no longer knows the query (its history is kept 45 days).
        abandon(earlier, 'resume-expired', `query ${earlier} of the interrupted run is no longer available (${(e as Error).message}); the query is run again`, null);
      }
    }
    run ??= await runNew();
    // 2. Its result pages.
    let pages: number;
    try {
      pages = await fetchPages(run.qid);
    } catch (e) {
      if (run.qid !== earlier || !gone(e)) throw e;
      // The earlier query's results are gone (e.g. the result location's lifecycle removed them).
      abandon(run.qid, 'resume-expired', `results of query ${run.qid} of the interrupted run are no longer available (${(e as Error).message}); the query is run again`, 'SUCCEEDED');
      run = await runNew();
      pages = await fetchPages(run.qid);
    }
    const { qid } = run;
    const scanned = run.execution.Statistics?.DataScannedInBytes ?? null;
    const { paths, matched } = pathsFromPages(storedPages(store, qid).map((p) => evidenceBytes(store, p.evidenceId)));
    o.notice?.(`Athena query ${qid}: ${describeScan(scanned)}; ${paths.size} objects hold ${matched ?? 'an uncounted number of'} matching events`);

    // 3. The objects and their digests, through the S3 source.
    const plan = await planFromPaths(session, clients, [...paths].sort(), o, signal);
    if (paths.size === 0) session.warnUnstored(arg, 'no-objects', `the Athena query ${qid} found no objects holding matching events (${built?.conditions.join('; ') || 'the given SQL'})`);
    let processed = 0;
    let cancelled = false;
    let fatal: { key: string; bucket: string; error: unknown } | null = null;
    for (const [bucket, objects] of plan.byBucket) {
      const r = await acquireObjects({ session, clients, bucket, objects, identity, ctl, o });
      processed += r.processed;
      if (r.cancelled) cancelled = true;
      if (r.fatal) fatal = { key: r.fatal.obj.key, bucket, error: r.fatal.error };
      if (cancelled || fatal) break;
    }
    const cost = scanned !== null ? estimateAthenaCost(scanned) : null;
    store.appendCustody(session.actor, 'acquire.athena', {
      importId: session.importId,
      queryId: qid,
      ...common,
      pages,
      paths: paths.size,
      matchedEvents: matched,
      dataScannedInBytes: scanned,
      estimatedUsd: cost?.usd ?? null,
      usdPerTb: ATHENA_USD_PER_TB,
      listings: plan.listings,
      logObjects: plan.logs,
      digestObjects: plan.digests,
      processed,
      complete: !fatal && !cancelled,
      s3Endpoint: o.s3EndpointUrl ?? o.endpointUrl ?? null,
    });
    o.notice?.(
      `Athena acquisition: ${plan.logs} log objects chosen by query ${qid} and ${plan.digests} digest files, ${processed} processed` +
        `${fatal || cancelled ? ' (incomplete: run the same import again to continue)' : ''}; the query ${describeScan(scanned)}`,
    );
    if (fatal) {
      const msg = isAbort(fatal.error) ? 'cancelled' : describeAwsError(fatal.error, `s3://${fatal.bucket}/${fatal.key}`, o);
      throw new AwsAcquisitionError(msg, classifyAwsError(fatal.error));
    }
    return session.finish(cancelled ? 'cancelled' : 'completed');
  } catch (e) {
    return endFailedAcquisition(session, e, `Athena ${t.database}.${t.table}`, o);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    clients.destroy();
  }
}
