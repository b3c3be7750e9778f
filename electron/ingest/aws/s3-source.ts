// `trailcase import CASE s3://BUCKET/PREFIX` (README.md, "Acquisition from AWS"): acquire CloudTrail log
// and digest objects from S3 with provenance. Lists only the account/Region
// and date prefixes the scope needs (one listing per date folder: s3rver and
// some S3-compatible servers mis-order listings across sibling prefixes such
// as CloudTrail/ and CloudTrail-Digest/, and real scoping lists per date
// anyway); downloads with bounded parallelism; parses in a thread pool;
// writes strictly in key order (same input, same leaves, same root); skips
// objects already in the case by key + ETag (no download) and by SHA-256
// (after download); retries with backoff; stops on a fatal error with one
// message, leaving what was acquired valid and signed (session.finish).
import { GetObjectCommand, ListObjectsV2Command, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import type { ImportSummary, Progress } from '../../../shared/types.ts';
import { parseTime } from '../../../shared/time.ts';
import type { Signer } from '../../case/keys.ts';
import type { CaseStore } from '../../case/store.ts';
import { custodyDetailsOf } from '../../case/data/acquisition.ts';
import { s3ObjectsOfBucket } from '../../case/data/evidence.ts';
import { UserError } from '../../errors.ts';
import { beginBulk, defaultWorkers, endBulk } from '../import-files.ts';
import { ImportSession } from '../session.ts';
import {
  abortError,
  AwsAcquisitionError,
  AwsClients,
  callerIdentity,
  classifyAwsError,
  describeAwsError,
  endFailedAcquisition,
  isAbort,
  withRetry,
  type AwsOptions,
  type CallerIdentity,
} from './client.ts';
import { parseCloudTrailKey } from './digest.ts';
import { ObjectParsePool, type ParsedObject } from './parse-pool.ts';
import { fetchPublicKeys, storePublicKeysFile } from './public-keys-store.ts';
import {
  accountPrefix,
  daysBetween,
  digestNameWindow,
  folderInWindow,
  inWindow,
  logNameWindow,
  parseS3Url,
  type S3Target,
} from './s3-scope.ts';
import { S3_DUPLICATE_ACTION } from './validation.ts';
import { writeParsed } from './write.ts';

export const S3_SOURCE_UNIT = { name: 's3-acquisition', version: '1.0.0' } as const;

export interface S3ImportOptions extends AwsOptions {
  accounts?: string[];
  regions?: string[];
  since?: string;
  until?: string;
  /** `aws cloudtrail list-public-keys` output; when given, ListPublicKeys is not called. */
  publicKeysFile?: string;
  /** Parallel downloads (default 8). */
  concurrency?: number;
  /** Parser threads; default: none for a handful of objects, else as file import. */
  workers?: number;
  /** Skip the ListPublicKeys call (offline key file only, or none). */
  skipPublicKeys?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface ListedObject {
  key: string;
  etag: string | null;
  size: number;
  lastModified: string | null;
  storageClass: string | null;
  kind: 'log' | 'digest' | 'other';
}

export interface S3Plan {
  objects: ListedObject[];
  listings: number;
  accounts: string[];
  regions: string[];
  prefixes: string[];
}

// ------------------------------------------------------------------ listing

export async function listAll(
  clients: AwsClients,
  bucket: string,
  prefix: string,
  delimiter: boolean,
  o: S3ImportOptions,
  signal: AbortSignal,
): Promise<{ prefixes: string[]; objects: ListedObject[]; calls: number }> {
  const prefixes: string[] = [];
  const objects: ListedObject[] = [];
  let token: string | undefined;
  let calls = 0;
  do {
    let out: ListObjectsV2CommandOutput;
    try {
      out = await withRetry(
        () =>
          clients.s3().send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: delimiter ? '/' : undefined, ContinuationToken: token, MaxKeys: 1000 }),
            { abortSignal: signal as any },
          ),
        { ...o.retry, signal },
      );
    } catch (e) {
      if (isAbort(e)) throw e;
      throw new AwsAcquisitionError(describeAwsError(e, `listing s3://${bucket}/${prefix}`, o), classifyAwsError(e));
    }
    calls++;
    for (const p of out.CommonPrefixes ?? []) if (p.Prefix) prefixes.push(p.Prefix);
    for (const c of out.Contents ?? []) {
      if (!c.Key || c.Key.endsWith('/')) continue;
      const info = parseCloudTrailKey(c.Key);
      objects.push({
        key: c.Key,
        etag: c.ETag ?? null,
        size: c.Size ?? 0,
        lastModified: c.LastModified ? c.LastModified.toISOString() : null,
        storageClass: c.StorageClass ?? null,
        kind: info?.kind ?? 'other',
      });
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
    if (out.IsTruncated && !token) throw new AwsAcquisitionError(`listing s3://${bucket}/${prefix}: truncated listing without a continuation token`, 'server');
  } while (token);
  return { prefixes, objects, calls };
}

/** Run fns with at most n at a time, results in input order. */
async function mapLimit<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let i = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (i < items.length && failed === null) {
      const k = i++;
      try {
        out[k] = await fn(items[k]);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  if (failed !== null) throw failed;
  return out;
}

const lastSegment = (p: string) => p.replace(/\/$/, '').split('/').pop()!;

/**
 * Find the objects in scope: accounts under AWSLogs/ (and organization
 * folders), Regions under each account's CloudTrail/ and CloudTrail-Digest/,
 * then date folders inside the time window only.
 */
export async function planS3(
  clients: AwsClients,
  target: S3Target,
  scope: { accounts?: string[]; regions?: string[]; sinceMs?: number; untilMs?: number },
  o: S3ImportOptions,
  signal: AbortSignal,
  progress: (listings: number) => void,
): Promise<S3Plan> {
  let listings = 0;
  const list = async (prefix: string, delimiter: boolean) => {
    const r = await listAll(clients, target.bucket, prefix, delimiter, o, signal);
    listings += r.calls;
    progress(listings);
    return r;
  };
  // Some S3-compatible servers (s3rver among them) return no CommonPrefixes for keys nested deeper than one level.
  // Detected once: an empty delimiter listing of a prefix that does hold objects. Then child folders are found by
  // "skip-scanning": the first key after each folder found (StartAfter), one request per folder. Safe for the
  // levels walked here (account IDs, organization IDs, Regions, YYYY, MM, DD: no name is a prefix of a sibling).
  let delimiterWorks: boolean | null = null;
  const skipScan = async (prefix: string): Promise<{ prefixes: string[]; keys: string[] }> => {
    const out: string[] = [];
    const keys: string[] = [];
    let after: string | undefined;
    // Objects directly at a folder level are not CloudTrail's layout; a few are reported, the scan does not walk thousands.
    while (keys.length < 20) {
      let r: ListObjectsV2CommandOutput;
      try {
        r = await withRetry(
          () => clients.s3().send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: prefix, MaxKeys: 1, StartAfter: after }), { abortSignal: signal as any }),
          { ...o.retry, signal },
        );
      } catch (e) {
        if (isAbort(e)) throw e;
        throw new AwsAcquisitionError(describeAwsError(e, `listing s3://${target.bucket}/${prefix}`, o), classifyAwsError(e));
      }
      listings++;
      progress(listings);
      const k = r.Contents?.[0]?.Key;
      if (!k) return { prefixes: out, keys };
      const rest = k.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) {
        keys.push(k);
        after = k;
        continue;
      }
      const child = prefix + rest.slice(0, slash + 1);
      out.push(child);
      after = `${child}\u{10FFFF}`;
    }
    return { prefixes: out, keys };
  };
  const children = async (prefix: string): Promise<{ prefixes: string[]; objects: ListedObject[] }> => {
    const asListed = (x: { prefixes: string[]; keys: string[] }) => ({
      prefixes: x.prefixes,
      objects: x.keys.map((key): ListedObject => ({ key, etag: null, size: 0, lastModified: null, storageClass: null, kind: 'other' })),
    });
    if (delimiterWorks === false) return asListed(await skipScan(prefix));
    const r = await list(prefix, true);
    if (delimiterWorks === null && r.prefixes.length === 0) {
      const probe = await skipScan(prefix);
      if (probe.prefixes.length) {
        delimiterWorks = false;
        return asListed(probe);
      }
    } else if (r.prefixes.length) delimiterWorks = true;
    return r;
  };
  const root = `${target.basePrefix}AWSLogs/`;
  // 1. Accounts, directly or under organization IDs.
  let owners: { orgId?: string; account: string }[] = [];
  if (target.account) owners = [{ orgId: target.orgId, account: target.account }];
  else if (target.orgId) {
    owners = (await children(`${root}${target.orgId}/`)).prefixes.map((p) => lastSegment(p)).filter((a) => /^\d{12}$/.test(a)).map((account) => ({ orgId: target.orgId, account }));
  } else {
    const top = await children(root);
    if (top.prefixes.length === 0) {
      const peek = await children(target.basePrefix);
      const seen = [...peek.prefixes, ...peek.objects.map((x) => x.key)].slice(0, 5);
      throw new AwsAcquisitionError(
        `s3://${target.bucket}/${target.basePrefix}: not a CloudTrail location: no ${root} folder${seen.length ? ` (it holds ${seen.join(', ')}${peek.prefixes.length + peek.objects.length > 5 ? ', ...' : ''})` : ' (it is empty)'}; give the trail's S3 prefix, e.g. s3://${target.bucket}/PREFIX/`,
        'invalid',
      );
    }
    for (const p of top.prefixes) {
      const seg = lastSegment(p);
      if (/^\d{12}$/.test(seg)) owners.push({ account: seg });
      else if (/^o-[a-z0-9]{10,32}$/.test(seg)) {
        for (const q of (await children(p)).prefixes) {
          const a = lastSegment(q);
          if (/^\d{12}$/.test(a)) owners.push({ orgId: seg, account: a });
        }
      }
    }
  }
  const allAccounts = [...new Set(owners.map((x) => x.account))];
  if (scope.accounts?.length) owners = owners.filter((x) => scope.accounts!.includes(x.account));
  // 2. Regions per account and kind; 3. date folders in the window.
  const logWin = logNameWindow(scope);
  const digWin = digestNameWindow(scope);
  const dayPrefixes: { prefix: string; kind: 'log' | 'digest'; win: { from?: number; to?: number } }[] = [];
  const regionsSeen = new Set<string>();
  await mapLimit(
    owners.flatMap((ow) => (['CloudTrail', 'CloudTrail-Digest'] as const).map((kind) => ({ ...ow, kind }))),
    8,
    async ({ orgId, account, kind }) => {
      const base = accountPrefix(target, orgId, account, kind);
      let regions = target.region ? [target.region] : (await children(base)).prefixes.map(lastSegment);
      for (const r of regions) regionsSeen.add(r);
      if (scope.regions?.length) regions = regions.filter((r) => scope.regions!.includes(r));
      const isLog = kind === 'CloudTrail';
      const win = isLog ? logWin : digWin;
      for (const region of regions) {
        const rp = `${base}${region}/`;
        if (win.from !== undefined && win.to !== undefined) {
          for (const d of daysBetween(win.from, win.to)) dayPrefixes.push({ prefix: `${rp}${d}/`, kind: isLog ? 'log' : 'digest', win });
          continue;
        }
        // Open range: walk year / month / day folders, pruning the ones outside the window.
        for (const yp of (await children(rp)).prefixes) {
          const y = Number(lastSegment(yp));
          if (!Number.isInteger(y) || !folderInWindow([y], win)) continue;
          for (const mp of (await children(yp)).prefixes) {
            const m = Number(lastSegment(mp));
            if (!Number.isInteger(m) || !folderInWindow([y, m], win)) continue;
            for (const dp of (await children(mp)).prefixes) {
              const d = Number(lastSegment(dp));
              if (!Number.isInteger(d) || !folderInWindow([y, m, d], win)) continue;
              dayPrefixes.push({ prefix: dp, kind: isLog ? 'log' : 'digest', win });
            }
          }
        }
      }
    },
  );
  dayPrefixes.sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  const found = await mapLimit(dayPrefixes, 8, async (dp) => {
    const r = await list(dp.prefix, false);
    return r.objects.filter((x) => {
      const info = parseCloudTrailKey(x.key);
      // Objects with CloudTrail names are taken by their name time; anything else in the folder is kept (and reported if it is not CloudTrail).
      return !info || inWindow(info.timeMs, dp.win);
    });
  });
  const seen = new Set<string>();
  const objects = found.flat().filter((x) => (seen.has(x.key) ? false : (seen.add(x.key), true)));
  objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (owners.length === 0 && allAccounts.length) {
    throw new AwsAcquisitionError(`s3://${target.bucket}/${root}: no folder for account ${scope.accounts!.join(', ')} (the bucket has ${allAccounts.slice(0, 10).join(', ')})`, 'not-found');
  }
  return { objects, listings, accounts: [...new Set(owners.map((x) => x.account))], regions: [...regionsSeen].sort(), prefixes: dayPrefixes.map((d) => d.prefix) };
}

// ------------------------------------------------------------------ download

interface Downloaded {
  bytes: Buffer;
  etag: string | null;
  versionId: string | null;
  lastModified: string | null;
  contentLength: number | null;
  contentType: string | null;
  metadata: Record<string, string>;
}

class TruncatedBody extends Error {
  code = 'ECONNRESET';
  constructor(message: string) {
    super(message);
    this.name = 'TruncatedBody';
  }
}

async function download(clients: AwsClients, bucket: string, key: string, signal: AbortSignal): Promise<Downloaded> {
  const out = await clients.s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal as any });
  if (!out.Body) throw new TruncatedBody(`s3://${bucket}/${key}: response without a body`);
  let bytes: Buffer;
  try {
    bytes = Buffer.from(await out.Body.transformToByteArray());
  } catch (e) {
    if (signal.aborted) throw abortError();
    throw new TruncatedBody(`s3://${bucket}/${key}: connection dropped while reading the object (${(e as Error).message})`);
  }
  if (out.ContentLength !== undefined && bytes.length !== out.ContentLength) {
    throw new TruncatedBody(`s3://${bucket}/${key}: received ${bytes.length} of ${out.ContentLength} bytes`);
  }
  return {
    bytes,
    etag: out.ETag ?? null,
    versionId: out.VersionId ?? null,
    lastModified: out.LastModified ? out.LastModified.toISOString() : null,
    contentLength: out.ContentLength ?? null,
    contentType: out.ContentType ?? null,
    metadata: out.Metadata ?? {},
  };
}

/** Objects of this bucket already preserved from S3: key -> ETag. */
function preservedObjects(store: CaseStore, bucket: string): Map<string, { etag: string | null; id: number }> {
  const m = new Map<string, { etag: string | null; id: number }>();
  for (const r of s3ObjectsOfBucket(store.reader, bucket)) m.set(r.key, { etag: r.etag, id: r.id });
  // Objects whose bytes were already in the case from another copy (custody records their S3 identity).
  for (const details of custodyDetailsOf(store.reader, S3_DUPLICATE_ACTION)) {
    try {
      const d = JSON.parse(details);
      if (d.bucket === bucket && typeof d.key === 'string' && !m.has(d.key)) m.set(d.key, { etag: d.etag ?? null, id: d.evidenceId });
    } catch {
      /* ignore */
    }
  }
  return m;
}

type Prepared =
  | { kind: 'skip'; obj: ListedObject; existing: number }
  | { kind: 'ok'; obj: ListedObject; got: Downloaded; parsed: ParsedObject; attempts: number }
  | { kind: 'warn'; obj: ListedObject; code: string; message: string }
  | { kind: 'fatal'; obj: ListedObject; error: unknown };

function fmtScope(s: { accounts?: string[]; regions?: string[]; since?: string; until?: string }): string {
  return `accounts ${s.accounts?.join(',') || 'all'}, regions ${s.regions?.join(',') || 'all'}, ${s.since ?? 'start'} .. ${s.until ?? 'now'}`;
}

/** What acquireObjects needs from the import that chose the objects (the S3 listing, an Athena query). */
export interface ObjectAcquisition {
  session: ImportSession;
  clients: AwsClients;
  bucket: string;
  /** In key order: the case is written in this order. */
  objects: ListedObject[];
  identity: CallerIdentity | null;
  /** Aborted on cancel or a fatal error here: stops the downloads in flight. */
  ctl: AbortController;
  o: S3ImportOptions;
}

export interface ObjectAcquisitionResult {
  processed: number;
  cancelled: boolean;
  fatal: { obj: ListedObject; error: unknown } | null;
}

/**
 * Download, parse and write objects in key order, skipping those already in
 * the case (key + ETag, then SHA-256); digests' public keys fetched first
 * unless a key file was given. Shared by the S3 and Athena sources.
 */
export async function acquireObjects(a: ObjectAcquisition): Promise<ObjectAcquisitionResult> {
  const { session, clients, bucket, objects, identity, ctl, o } = a;
  const store = session.store;
  const report = (p: Progress) => o.onProgress?.(p);
  const digests = objects.filter((x) => x.kind === 'digest');
  const concurrency = Math.max(1, Math.min(64, o.concurrency ?? 8));
  let bulk = false;
  let pool: ObjectParsePool | null = null;
  let ended = false;
  try {
    // Keys for the digests' time range, from each digest's home Region (the Region whose key signs it).
    if (!o.publicKeysFile && !o.skipPublicKeys && digests.length) {
      const homes = new Map<string, { min: number; max: number }>();
      for (const d of digests) {
        const info = parseCloudTrailKey(d.key)!;
        const r = info.homeRegion ?? info.region;
        const cur = homes.get(r) ?? { min: info.timeMs, max: info.timeMs };
        homes.set(r, { min: Math.min(cur.min, info.timeMs), max: Math.max(cur.max, info.timeMs) });
      }
      for (const [region, t] of [...homes].sort()) {
        const r = await fetchPublicKeys(session, clients, region, { startMs: t.min - 3_600_000, endMs: t.max }, identity, ctl.signal);
        if ('error' in r) session.warnUnstored(`cloudtrail:ListPublicKeys?region=${region}`, 'no-public-keys', `${r.error}; digest signatures cannot be checked offline unless keys are loaded with --public-keys FILE`);
      }
    }

    // Many objects into a small case: sort the indexes in at the end (as a file import does).
    bulk = beginBulk(session, objects.reduce((a, x) => a + (x.kind === 'digest' ? 0 : x.size), 0));
    const preserved = preservedObjects(store, bucket);
    const workers = o.workers ?? (objects.length >= 32 ? defaultWorkers() : 0);
    pool = new ObjectParsePool(workers, session.scope);
    const totalObjects = objects.length;
    let done = 0;
    let bytesDone = 0;

    const prepare = async (obj: ListedObject): Promise<Prepared> => {
      const have = preserved.get(obj.key);
      if (have && obj.etag !== null && have.etag === obj.etag) return { kind: 'skip', obj, existing: have.id };
      let attempts = 0;
      try {
        const got = await withRetry(
          (n) => {
            attempts = n;
            return download(clients, bucket, obj.key, ctl.signal);
          },
          { ...o.retry, signal: ctl.signal },
        );
        const parsed = await pool!.parse(got.bytes);
        return { kind: 'ok', obj, got, parsed, attempts };
      } catch (e) {
        if (isAbort(e)) return { kind: 'fatal', obj, error: e };
        const k = classifyAwsError(e);
        const name = (e as Error).name;
        // Gone since listing, or archived (Glacier): this object only, the rest continues.
        if (name === 'NoSuchKey' || name === 'InvalidObjectState' || k === 'not-found') {
          return { kind: 'warn', obj, code: name === 'InvalidObjectState' ? 'archived' : 'gone', message: describeAwsError(e, `s3://${bucket}/${obj.key}`, o) };
        }
        return { kind: 'fatal', obj, error: e };
      }
    };

    // Sliding window: downloads and parses run ahead (bounded), writes happen in key order.
    const windowSize = Math.max(concurrency, workers) * 2;
    const inflight: Promise<Prepared>[] = [];
    let next = 0;
    let active = 0;
    const waiters: (() => void)[] = [];
    const gate = async <T>(fn: () => Promise<T>): Promise<T> => {
      while (active >= concurrency) await new Promise<void>((r) => waiters.push(r));
      active++;
      try {
        return await fn();
      } finally {
        active--;
        waiters.shift()?.();
      }
    };
    const fill = () => {
      while (inflight.length < windowSize && next < objects.length) {
        const obj = objects[next++];
        inflight.push(gate(() => prepare(obj)));
      }
    };
    let cancelled = false;
    let fatal: { obj: ListedObject; error: unknown } | null = null;
    fill();
    while (inflight.length) {
      if (o.signal?.aborted) {
        cancelled = true;
        break;
      }
      const p = await inflight.shift()!;
      fill();
      done++;
      if (p.kind === 'fatal') {
        if (isAbort(p.error) && o.signal?.aborted) cancelled = true;
        else fatal = p;
        break;
      }
      if (p.kind === 'skip') {
        session.totals.skippedObjects++;
      } else if (p.kind === 'warn') {
        session.warnUnstored(`s3://${bucket}/${p.obj.key}`, p.code, p.message);
      } else {
        const g = p.got;
        const origin = `s3://${bucket}/${p.obj.key}`;
        const meta = {
          bucket: bucket,
          key: p.obj.key,
          etag: g.etag ?? p.obj.etag,
          versionId: g.versionId,
          lastModified: g.lastModified ?? p.obj.lastModified,
          size: g.bytes.length,
          contentLength: g.contentLength,
          contentType: g.contentType,
          storageClass: p.obj.storageClass,
          metadata: g.metadata,
          callerIdentity: identity,
          endpoint: o.s3EndpointUrl ?? o.endpointUrl ?? null,
          attempts: p.attempts,
        };
        const out = writeParsed(session, { kind: 's3-object', origin, originMeta: meta }, g.bytes, p.parsed);
        if (out.skipped && out.duplicateOf !== undefined) {
          // Same bytes already preserved (e.g. from an `aws s3 sync` folder): record this object's S3 identity, which
          // carries the digest signature the folder copy lacks (used by validation).
          store.appendCustody(session.actor, S3_DUPLICATE_ACTION, { importId: session.importId, evidenceId: out.duplicateOf, origin, ...meta });
        } else {
          const fmt = p.parsed.result.format;
          const expected = p.obj.kind === 'log' ? 'cloudtrail-s3' : p.obj.kind === 'digest' ? 'cloudtrail-digest' : null;
          if (expected !== null ? fmt !== expected : fmt !== 'cloudtrail-s3' && fmt !== 'cloudtrail-digest') {
            session.warnUnstored(
              origin,
              'not-cloudtrail-object',
              `${origin} is not a CloudTrail ${p.obj.kind === 'digest' ? 'digest' : 'log'} file (content: ${fmt}${p.parsed.result.rejected ? `, ${p.parsed.result.rejected} records rejected` : ''}); preserved as evidence ${out.evidenceId}, ${out.events} events from it`,
            );
          }
        }
        bytesDone += g.bytes.length;
      }
      report({ phase: 'download', done, total: totalObjects, unit: 'objects', detail: `${(bytesDone / 1048576).toFixed(1)} MiB, ${session.totals.events} events` });
    }
    if (fatal || cancelled) {
      ctl.abort();
      await Promise.allSettled(inflight);
    }
    ended = true;
    return { processed: done, cancelled, fatal };
  } finally {
    await pool?.close();
    if (bulk) {
      report({ phase: 'index', done: 0, total: null, unit: 'indexes', detail: `${session.totals.events} events` });
      try {
        await endBulk(session);
      } catch (e) {
        // The indexes are rebuilt when the case is next opened; a failure here must not hide an error already on its way.
        if (ended) throw e;
      }
    }
  }
}

// ------------------------------------------------------------------ import

export async function importS3(store: CaseStore, signer: Signer, arg: string, o: S3ImportOptions): Promise<ImportSummary> {
  const target = parseS3Url(arg);
  const caseScope = store.scope();
  const accounts = o.accounts?.length ? o.accounts : target.account ? [target.account] : caseScope.accounts;
  const regions = o.regions?.length ? o.regions : target.region ? [target.region] : caseScope.regions;
  const since = o.since ?? caseScope.since;
  const until = o.until ?? caseScope.until;
  for (const a of accounts ?? []) if (!/^\d{12}$/.test(a)) throw new UserError(`--account ${a} is not a 12-digit AWS account ID`);
  const concurrency = Math.max(1, Math.min(64, o.concurrency ?? 8));
  const session = ImportSession.begin(store, signer, {
    sources: [arg],
    accounts,
    regions,
    since,
    until,
    source: 's3',
    profile: o.profile ?? null,
    endpointUrl: o.endpointUrl ?? null,
    publicKeysFile: o.publicKeysFile ?? null,
    concurrency,
    tool: S3_SOURCE_UNIT,
  });
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const clients = new AwsClients(o);
  const report = (p: Progress) => o.onProgress?.(p);
  try {
    report({ phase: 'identity', done: 0, total: null, unit: 'calls', detail: 'STS GetCallerIdentity' });
    const id = await callerIdentity(clients, ctl.signal);
    store.appendCustody(session.actor, 'acquire.identity', { importId: session.importId, source: 's3', ...(id.identity ? { callerIdentity: id.identity } : { error: id.error }) });
    const identity: CallerIdentity | null = id.identity;

    if (o.publicKeysFile) storePublicKeysFile(session, o.publicKeysFile);

    const sinceMs = since !== undefined ? parseTime(since) ?? undefined : undefined;
    const untilMs = until !== undefined ? parseTime(until) ?? undefined : undefined;
    const plan = await planS3(clients, target, { accounts, regions, sinceMs, untilMs }, o, ctl.signal, (n) =>
      report({ phase: 'listing', done: n, total: null, unit: 'listings', detail: `s3://${target.bucket}/${target.basePrefix}` }),
    );
    const digests = plan.objects.filter((x) => x.kind === 'digest');
    if (plan.objects.length === 0) {
      session.warnUnstored(arg, 'no-objects', `no CloudTrail objects in scope (${fmtScope({ accounts, regions, since, until })}); account folders: ${plan.accounts.join(', ') || 'none'}, Regions: ${plan.regions.join(', ') || 'none'}`);
    }

    const { processed: done, cancelled, fatal } = await acquireObjects({ session, clients, bucket: target.bucket, objects: plan.objects, identity, ctl, o });
    store.appendCustody(session.actor, 'acquire.s3', {
      importId: session.importId,
      bucket: target.bucket,
      prefix: target.basePrefix,
      scope: { accounts: accounts ?? null, regions: regions ?? null, since: since ?? null, until: until ?? null },
      listings: plan.listings,
      datePrefixes: plan.prefixes.length,
      listed: plan.objects.length,
      digestsListed: digests.length,
      processed: done,
      complete: !fatal && !cancelled,
      endpoint: o.endpointUrl ?? null,
    });
    if (fatal) {
      const msg = isAbort(fatal.error) ? 'cancelled' : describeAwsError(fatal.error, `s3://${target.bucket}/${fatal.obj.key}`, o);
      throw new AwsAcquisitionError(msg, classifyAwsError(fatal.error));
    }
    return session.finish(cancelled ? 'cancelled' : 'completed');
  } catch (e) {
    return endFailedAcquisition(session, e, `s3://${target.bucket}/${target.basePrefix}`, o);
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    clients.destroy();
  }
}
