// AWS access for acquisition (README.md, "Acquisition from AWS"): the standard credential chain, one
// endpoint override for every call of an import, raw response bytes for API
// pages, the caller identity, our own retry/backoff and rate limiting, and one
// clear message per failure.
//
// Why our own retry loop instead of the SDK's: every attempt, wait and give-up
// must be visible (progress, custody, the final message), LookupEvents needs a
// self-imposed 2 requests/s per account and Region on top of retries
// (CloudTrail API reference, LookupEvents: "rate of lookup requests is limited
// to two per second, per account, per Region"; throttling arrives as HTTP 400
// ThrottlingException, not 429), and a download whose body stream breaks must
// be retried as a whole, which the SDK does not do. So SDK clients are built
// with maxAttempts 1.
//
// Credentials: never read, copied, logged or stored here; the provider object
// is handed to the SDK clients only. Import parameters recorded in custody
// name the profile and endpoint, never keys.
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { UserError } from '../../errors.ts';

export const AWS_CLIENT_UNIT = { name: 'aws-acquisition-client', version: '1.0.0' } as const;

export interface AwsOptions {
  /** Named profile of the shared config/credentials files (--profile). */
  profile?: string;
  /** Send every AWS call of this import here (--endpoint-url); S3 then uses path-style addressing. */
  endpointUrl?: string;
  /** Send the S3 calls here instead (--s3-endpoint-url, path-style): Athena/STS and S3 behind different endpoints (VPC endpoints, tests). */
  s3EndpointUrl?: string;
  /** Region for clients that need one (S3 listing, STS); LookupEvents/Lake pass their own. */
  region?: string;
  /** Credentials or a provider; default: the SDK's Node provider chain (env, SSO, shared files, IMDS...). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** HTTP timeouts, ms. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Retry policy of our own loop (see withRetry). */
  retry?: Partial<RetryPolicy>;
}

const DEFAULT_REGION = 'us-east-1';

/** The same credential provider for all clients of one import (one SSO login, one refresh). */
export function credentialProvider(o: AwsOptions): AwsCredentialIdentity | AwsCredentialIdentityProvider {
  return o.credentials ?? fromNodeProviderChain(o.profile ? { profile: o.profile } : {});
}

function endpointConfig(url: string | undefined, option = '--endpoint-url'): { endpoint?: string } {
  if (!url) return {};
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`${option} ${url} is not a URL (e.g. http://127.0.0.1:9000)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UserError(`${option} ${url}: only http and https are supported`);
  return { endpoint: url };
}

function common(o: AwsOptions, region: string | undefined, creds: AwsCredentialIdentity | AwsCredentialIdentityProvider, endpoint = endpointConfig(o.endpointUrl)) {
  return {
    region: region ?? o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? DEFAULT_REGION,
    credentials: creds,
    maxAttempts: 1,
    ...(o.profile ? { profile: o.profile } : {}),
    ...endpoint,
    requestHandler: { connectionTimeout: o.connectionTimeoutMs ?? 10_000, requestTimeout: o.requestTimeoutMs ?? 120_000 },
  };
}

/** Clients of one import, sharing one credential provider. */
export class AwsClients {
  readonly creds: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  private s3ByRegion = new Map<string, S3Client>();
  private ctByRegion = new Map<string, CloudTrailClient>();
  private athenaByRegion = new Map<string, AthenaClient>();
  private sts: STSClient | null = null;

  constructor(readonly options: AwsOptions) {
    this.creds = credentialProvider(options);
  }

  s3(region?: string): S3Client {
    const key = region ?? '';
    let c = this.s3ByRegion.get(key);
    if (!c) {
      // Path-style with an endpoint override (MinIO, LocalStack, s3rver, a VPC endpoint): the issue asks for it, and
      // virtual-host addressing needs DNS for bucket.host that loopback endpoints do not have.
      // --s3-endpoint-url, when given, takes the S3 calls alone; without it S3 follows --endpoint-url as before.
      const s3Endpoint = this.options.s3EndpointUrl ? endpointConfig(this.options.s3EndpointUrl, '--s3-endpoint-url') : endpointConfig(this.options.endpointUrl);
      c = new S3Client({ ...common(this.options, region, this.creds, s3Endpoint), forcePathStyle: !!s3Endpoint.endpoint, followRegionRedirects: false });
      this.s3ByRegion.set(key, c);
    }
    return c;
  }

  /** CloudTrail client whose command outputs carry the raw HTTP response body (rawBody()). */
  cloudtrail(region: string): CloudTrailClient {
    let c = this.ctByRegion.get(region);
    if (!c) {
      c = new CloudTrailClient(common(this.options, region, this.creds));
      addRawBodyCapture(c);
      this.ctByRegion.set(region, c);
    }
    return c;
  }

  /** Athena client whose command outputs carry the raw HTTP response body (rawBody()). */
  athena(region: string): AthenaClient {
    let c = this.athenaByRegion.get(region);
    if (!c) {
      c = new AthenaClient(common(this.options, region, this.creds));
      addRawBodyCapture(c);
      this.athenaByRegion.set(region, c);
    }
    return c;
  }

  stsClient(): STSClient {
    this.sts ??= new STSClient(common(this.options, undefined, this.creds));
    return this.sts;
  }

  destroy(): void {
    for (const c of this.s3ByRegion.values()) c.destroy();
    for (const c of this.ctByRegion.values()) c.destroy();
    for (const c of this.athenaByRegion.values()) c.destroy();
    this.sts?.destroy();
  }
}

// ---------------------------------------------------------------- raw bytes

const RAW = Symbol.for('trailcase.rawBody');
const RAW_STATUS = Symbol.for('trailcase.rawStatus');

interface RawCarrier {
  [RAW]?: Buffer;
  [RAW_STATUS]?: number;
}

/**
 * Evidence must be the response exactly as received, not the SDK's re-encoding
 * of its parsed output. The innermost deserialize middleware reads the body
 * stream into a buffer (handing the deserializer an identical stream), and an
 * initialize middleware attaches those bytes to the command's output.
 */
function addRawBodyCapture(client: { middlewareStack: { add: (mw: any, opts: any) => void } }): void {
  client.middlewareStack.add(
    (next: any) => async (args: any) => {
      const r = await next(args);
      const res = r.response as { body?: unknown; statusCode?: number } | undefined;
      if (res && res.body && typeof (res.body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
        const parts: Buffer[] = [];
        for await (const c of res.body as AsyncIterable<Uint8Array | string>) parts.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
        const bytes = Buffer.concat(parts);
        (res as RawCarrier)[RAW] = bytes;
        (res as RawCarrier)[RAW_STATUS] = res.statusCode;
        // The deserializer accepts a Uint8Array body (smithy collectBody) and reads exactly these bytes.
        res.body = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } else if (res && res.body instanceof Uint8Array) {
        (res as RawCarrier)[RAW] = Buffer.from(res.body);
        (res as RawCarrier)[RAW_STATUS] = res.statusCode;
      }
      return r;
    },
    { step: 'deserialize', priority: 'low', name: 'trailcaseRawBodyCapture' },
  );
  client.middlewareStack.add(
    (next: any) => async (args: any) => {
      const r = await next(args);
      const raw = (r.response as RawCarrier | undefined)?.[RAW];
      if (raw && r.output && typeof r.output === 'object') {
        Object.defineProperty(r.output, RAW, { value: raw, enumerable: false });
        Object.defineProperty(r.output, RAW_STATUS, { value: (r.response as RawCarrier)[RAW_STATUS], enumerable: false });
      }
      return r;
    },
    { step: 'initialize', priority: 'high', name: 'trailcaseRawBodyAttach' },
  );
}

/** The HTTP response body, byte for byte, of a command sent with a client from AwsClients.cloudtrail() or .athena(). */
export function rawBody(output: unknown): Buffer {
  const b = (output as RawCarrier | null)?.[RAW];
  if (!b) throw new Error('raw response body was not captured (client not built by AwsClients?)');
  return b;
}

export function rawStatus(output: unknown): number | null {
  return (output as RawCarrier | null)?.[RAW_STATUS] ?? null;
}

// ---------------------------------------------------------------- identity

export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

/**
 * STS GetCallerIdentity: who acquired. Recorded in every item's origin meta
 * and in custody. Null (with the reason) when it cannot be had: that alone
 * must not stop an acquisition (a restricted role may lack sts access via a
 * VPC endpoint), the reason is recorded instead.
 */
export async function callerIdentity(clients: AwsClients, signal?: AbortSignal): Promise<{ identity: CallerIdentity | null; error: string | null }> {
  try {
    const out = await withRetry(() => clients.stsClient().send(new GetCallerIdentityCommand({}), { abortSignal: signal as any }), {
      ...clients.options.retry,
      // Only the record of who acquired depends on it: do not hold the acquisition for long.
      attempts: Math.min(3, clients.options.retry?.attempts ?? defaultAttempts()),
      signal,
      what: 'STS GetCallerIdentity',
    });
    if (!out.Account || !out.Arn) return { identity: null, error: 'GetCallerIdentity returned no account/ARN' };
    return { identity: { account: out.Account, arn: out.Arn, userId: out.UserId ?? '' }, error: null };
  } catch (e) {
    const err = e as Error;
    if (isCredentialError(err)) throw new AwsAcquisitionError(describeAwsError(err, 'STS GetCallerIdentity', clients.options), 'credentials');
    return { identity: null, error: describeAwsError(err, 'STS GetCallerIdentity', clients.options) };
  }
}

// ---------------------------------------------------------------- errors

/** A failure that ends an acquisition; message is one line naming what failed. */
export class AwsAcquisitionError extends UserError {
  constructor(message: string, readonly kind: AwsErrorKind) {
    super(message);
    this.name = 'AwsAcquisitionError';
  }
}

export type AwsErrorKind = 'access-denied' | 'credentials' | 'wrong-region' | 'not-found' | 'throttled' | 'network' | 'server' | 'invalid' | 'other';

interface SdkErrorShape extends Error {
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $response?: { headers?: Record<string, string> };
  Code?: string;
  code?: string;
  errno?: string;
  $fault?: string;
}

function errName(e: SdkErrorShape): string {
  return e.name && e.name !== 'Error' ? e.name : e.Code ?? e.code ?? 'Error';
}

function statusOf(e: SdkErrorShape): number | undefined {
  return e.$metadata?.httpStatusCode;
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'RequestExpired',
  'InvalidToken',
]);
const ACCESS_ERRORS = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AllAccessDisabled', 'NotAuthorized']);
const REGION_ERRORS = new Set(['PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException', 'Redirect']);
const THROTTLE_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE']);

export function isCredentialError(e: unknown): boolean {
  const err = e as SdkErrorShape;
  return CREDENTIAL_ERRORS.has(errName(err)) || /credential/i.test(errName(err));
}

function isNetworkError(e: SdkErrorShape): boolean {
  const code = e.code ?? e.errno ?? (e as any).cause?.code;
  if (code && NETWORK_CODES.has(code)) return true;
  if (e.name === 'TimeoutError' || e.name === 'RequestTimeout') return true;
  return /socket hang up|ECONNRESET|premature close|aborted|other side closed|terminated/i.test(e.message ?? '');
}

export function classifyAwsError(e: unknown): AwsErrorKind {
  const err = e as SdkErrorShape;
  const name = errName(err);
  const status = statusOf(err);
  if (isCredentialError(err)) return 'credentials';
  if (ACCESS_ERRORS.has(name) || status === 403) return 'access-denied';
  if (REGION_ERRORS.has(name) || status === 301) return 'wrong-region';
  if (THROTTLE_ERRORS.has(name) || status === 429) return 'throttled';
  if (name === 'NoSuchBucket' || name === 'NoSuchKey' || name === 'NotFound' || name.endsWith('NotFoundException') || status === 404) return 'not-found';
  if (isNetworkError(err)) return 'network';
  if ((status !== undefined && status >= 500) || err.$fault === 'server' || name === 'InternalFailure' || name === 'ServiceUnavailable' || name === 'InternalError') return 'server';
  if (status !== undefined && status >= 400) return 'invalid';
  return 'other';
}

export function isRetryable(e: unknown): boolean {
  const k = classifyAwsError(e);
  const err = e as SdkErrorShape;
  // A host that does not exist (a mistyped Region or endpoint) will not appear by waiting.
  if (k === 'network' && (err.code ?? (err as any).cause?.code) === 'ENOTFOUND') return false;
  return k === 'throttled' || k === 'network' || k === 'server';
}

/** One line naming what failed and what to do about it. Never includes credentials (the SDK's messages do not either). */
/**
 * Ends a remote acquisition that threw (every AWS source): the import session is
 * finished as cancelled or failed with one clear message naming `what`, so the
 * case stays valid with everything acquired so far, and the error is rethrown
 * as the CLI and the UI show it (a UserError as it is).
 */
export function endFailedAcquisition(session: { finish(status: 'cancelled' | 'failed', message: string): unknown }, e: unknown, what: string, o: AwsOptions = {}): never {
  const msg = e instanceof UserError ? e.message : isAbort(e) ? 'cancelled' : describeAwsError(e, what, o);
  try {
    session.finish(isAbort(e) ? 'cancelled' : 'failed', msg);
  } catch {
    /* already finished */
  }
  if (e instanceof UserError) throw e;
  throw new AwsAcquisitionError(msg, classifyAwsError(e));
}

export function describeAwsError(e: unknown, what: string, o: AwsOptions = {}): string {
  const err = e as SdkErrorShape;
  const name = errName(err);
  const status = statusOf(err);
  const msg = (err.message ?? '').split('\n')[0].slice(0, 300);
  const code = `${name}${status ? ` (HTTP ${status})` : ''}${msg && msg !== name ? `: ${msg}` : ''}`;
  const where = o.endpointUrl ? ` at ${o.endpointUrl}` : '';
  switch (classifyAwsError(e)) {
    case 'credentials':
      return `${what}: AWS credentials are missing, invalid or expired (${code}). Refresh them (e.g. aws sso login${o.profile ? ` --profile ${o.profile}` : ''}) and run the same import again: it continues where it stopped`;
    case 'access-denied':
      return `${what}: access denied (${code}). The identity used lacks permission for this call`;
    case 'wrong-region': {
      const region = err.$response?.headers?.['x-amz-bucket-region'];
      return `${what}: wrong Region (${code})${region ? `; the bucket is in ${region}: add --region ${region}` : '; give the right --region'}`;
    }
    case 'not-found':
      return `${what}: not found (${code})`;
    case 'throttled':
      return `${what}: still throttled by AWS after ${err.$metadata?.attempts ?? 'several'} attempts (${code}); run the same import again later: it continues where it stopped`;
    case 'network':
      if ((err.code ?? (err as any).cause?.code) === 'ENOTFOUND' || /ENOTFOUND/.test(msg)) {
        return `${what}: the host${where} does not resolve (${code}): a wrong Region name or --endpoint-url?`;
      }
      return `${what}: connection${where} failed (${code}); run the same import again: it continues where it stopped`;
    case 'server':
      return `${what}: AWS server error${where} (${code}); run the same import again: it continues where it stopped`;
    default:
      return `${what}: ${code}`;
  }
}

// ---------------------------------------------------------------- retry

export interface RetryPolicy {
  /** Total attempts, first included. */
  attempts: number;
  /** First backoff, ms; doubles each retry, with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseMs: 500, capMs: 20_000 };

/** Attempts: AWS_MAX_ATTEMPTS (the SDKs' and CLI's own setting) when set, else 8. */
export function defaultAttempts(): number {
  const n = Number(process.env.AWS_MAX_ATTEMPTS);
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_RETRY.attempts;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortError(): Error {
  const e = new Error('cancelled');
  e.name = 'AbortError';
  return e;
}

export function isAbort(e: unknown): boolean {
  return (e as Error)?.name === 'AbortError';
}

export interface RetryInfo {
  attempt: number;
  waitMs: number;
  error: Error;
  kind: AwsErrorKind;
}

/**
 * Run fn until it succeeds, a non-retryable error occurs, or attempts run out.
 * Retryable: throttling (incl. HTTP 400 ThrottlingException), 5xx, dropped
 * connections. The thrown error carries $metadata.attempts for the message.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  o: Partial<RetryPolicy> & { signal?: AbortSignal; what?: string; onRetry?: (r: RetryInfo) => void; random?: () => number } = {},
): Promise<T> {
  const p = { ...DEFAULT_RETRY, attempts: defaultAttempts(), ...o };
  const rand = o.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    if (o.signal?.aborted) throw abortError();
    try {
      return await fn(attempt);
    } catch (e) {
      const err = e as SdkErrorShape;
      if (isAbort(err) || o.signal?.aborted) throw o.signal?.aborted ? abortError() : err;
      if (!isRetryable(err) || attempt >= p.attempts) {
        if (err && typeof err === 'object') {
          err.$metadata = { ...(err.$metadata ?? {}), attempts: attempt };
        }
        throw err;
      }
      const waitMs = Math.round(rand() * Math.min(p.capMs, p.baseMs * 2 ** (attempt - 1)));
      o.onRetry?.({ attempt, waitMs, error: err, kind: classifyAwsError(err) });
      await sleep(waitMs, o.signal);
    }
  }
}

// ---------------------------------------------------------------- rate limit

/**
 * At most `perSecond` starts per key (account/Region), spaced evenly: the
 * CloudTrail LookupEvents quota is 2 per second per account per Region.
 * The clock and sleep are injectable so the spacing is unit-tested without timing.
 */
export class RateLimiter {
  private next = new Map<string, number>();
  constructor(
    readonly perSecond: number,
    private readonly now: () => number = Date.now,
    private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
  ) {
    if (!(perSecond > 0)) throw new Error('rate must be positive');
  }

  /** Resolves when the caller may send its next request for this key; returns the ms waited. */
  async take(key: string, signal?: AbortSignal): Promise<number> {
    const interval = 1000 / this.perSecond;
    const t = this.now();
    const at = Math.max(t, this.next.get(key) ?? t);
    this.next.set(key, at + interval);
    const waitMs = at - t;
    if (waitMs > 0) await this.wait(waitMs, signal);
    return waitMs;
  }
}

/** Parse `--attribute Name=Value` and similar KEY=VALUE options. */
export function splitKeyValue(s: string, what: string): [string, string] {
  const i = s.indexOf('=');
  if (i <= 0) throw new UserError(`${what} ${JSON.stringify(s)} must be NAME=VALUE`);
  return [s.slice(0, i).trim(), s.slice(i + 1)];
}
