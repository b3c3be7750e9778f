// Unit tests for the AWS access layer (README.md, "Acquisition from AWS"): rate limiting, retry policy,
// error classification and messages, raw response capture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import {
  AwsClients,
  classifyAwsError,
  describeAwsError,
  isRetryable,
  RateLimiter,
  rawBody,
  withRetry,
} from '../../../electron/ingest/aws/client.ts';
import { startCloudTrailServer } from '../../support/cloudtrail-server.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

function sdkError(name: string, status?: number, message = name): Error {
  const e = new Error(message) as Error & { $metadata?: unknown };
  e.name = name;
  if (status !== undefined) e.$metadata = { httpStatusCode: status };
  return e;
}

test('rate limiter spaces requests per key at the configured rate, without real time', async () => {
  let now = 1_000_000;
  const waits: number[] = [];
  const lim = new RateLimiter(2, () => now, async (ms) => {
    waits.push(ms);
    now += ms;
  });
  const a: number[] = [];
  for (let i = 0; i < 5; i++) {
    await lim.take('acct/us-east-1');
    a.push(now);
  }
  // 2 per second: starts 500 ms apart.
  assert.deepEqual(a.map((t) => t - a[0]), [0, 500, 1000, 1500, 2000]);
  // Another Region has its own budget.
  const before = now;
  await lim.take('acct/eu-west-1');
  assert.equal(now, before);
  // After idling, no waiting.
  now += 10_000;
  const w = waits.length;
  await lim.take('acct/us-east-1');
  assert.equal(waits.length, w);
});

test('classification: throttling as HTTP 400, 5xx and dropped connections are retried; denial and credentials are not', () => {
  assert.equal(classifyAwsError(sdkError('ThrottlingException', 400)), 'throttled');
  assert.equal(isRetryable(sdkError('ThrottlingException', 400)), true);
  assert.equal(isRetryable(sdkError('InternalFailure', 500)), true);
  assert.equal(isRetryable(sdkError('SlowDown', 503)), true);
  const reset = new Error('socket hang up') as Error & { code: string };
  reset.code = 'ECONNRESET';
  assert.equal(classifyAwsError(reset), 'network');
  assert.equal(isRetryable(reset), true);
  const nx = new Error('getaddrinfo ENOTFOUND cloudtrail.xx-nowhere-1.amazonaws.com') as Error & { code: string };
  nx.code = 'ENOTFOUND';
  assert.equal(isRetryable(nx), false);
  assert.equal(classifyAwsError(sdkError('AccessDenied', 403)), 'access-denied');
  assert.equal(isRetryable(sdkError('AccessDenied', 403)), false);
  assert.equal(classifyAwsError(sdkError('ExpiredTokenException', 400)), 'credentials');
  assert.equal(classifyAwsError(sdkError('CredentialsProviderError')), 'credentials');
  assert.equal(classifyAwsError(sdkError('PermanentRedirect', 301)), 'wrong-region');
  assert.equal(classifyAwsError(sdkError('NoSuchBucket', 404)), 'not-found');
});

test('messages name what failed and how to continue', () => {
  const m1 = describeAwsError(sdkError('AccessDenied', 403, 'Access Denied'), 'listing s3://b/AWSLogs/');
  assert.match(m1, /^listing s3:\/\/b\/AWSLogs\/: access denied \(AccessDenied \(HTTP 403\): Access Denied\)/);
  const m2 = describeAwsError(sdkError('ExpiredToken', 400, 'The provided token has expired.'), 's3://b/k', { profile: 'ir' });
  assert.match(m2, /credentials are missing, invalid or expired/);
  assert.match(m2, /aws sso login --profile ir/);
  assert.match(m2, /continues where it stopped/);
  const redirect = sdkError('PermanentRedirect', 301) as Error & { $response?: unknown };
  redirect.$response = { headers: { 'x-amz-bucket-region': 'eu-west-1' } };
  assert.match(describeAwsError(redirect, 'listing s3://b/'), /--region eu-west-1/);
  const nx = Object.assign(new Error('getaddrinfo ENOTFOUND cloudtrail.us-east-9.amazonaws.com'), { code: 'ENOTFOUND' });
  assert.match(describeAwsError(nx, 'LookupEvents in us-east-9'), /^LookupEvents in us-east-9: the host does not resolve .*: a wrong Region name or --endpoint-url\?$/);
});

test('withRetry: retries retryable errors with growing backoff, gives up after the attempts, stops at once on others', async () => {
  let n = 0;
  const waits: number[] = [];
  const out = await withRetry(
    async () => {
      n++;
      if (n < 3) throw sdkError('ThrottlingException', 400);
      return 'ok';
    },
    { baseMs: 1, capMs: 4, random: () => 1, onRetry: (r) => waits.push(r.waitMs) },
  );
  assert.equal(out, 'ok');
  assert.equal(n, 3);
  assert.deepEqual(waits, [1, 2]);

  n = 0;
  await assert.rejects(
    withRetry(async () => {
      n++;
      throw sdkError('InternalFailure', 500);
    }, { attempts: 4, baseMs: 1 }),
    (e: any) => e.name === 'InternalFailure' && e.$metadata.attempts === 4,
  );
  assert.equal(n, 4);

  n = 0;
  await assert.rejects(
    withRetry(async () => {
      n++;
      throw sdkError('AccessDeniedException', 400);
    }, { baseMs: 1 }),
    /AccessDeniedException/,
  );
  assert.equal(n, 1);
});

test('raw response bytes are captured exactly as the server sent them', async () => {
  const events = [
    { eventVersion: '1.08', eventID: 'a-1', eventTime: '2024-03-01T00:01:00Z', eventName: 'ListUsers', eventSource: 'iam.amazonaws.com', awsRegion: 'us-east-1' },
  ];
  const srv = await startCloudTrailServer({ events: { 'us-east-1': events } });
  const clients = new AwsClients({ endpointUrl: srv.url, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' } });
  try {
    const out = await clients.cloudtrail('us-east-1').send(new LookupEventsCommand({ MaxResults: 50 }));
    const raw = rawBody(out);
    const parsed = JSON.parse(raw.toString('utf8'));
    assert.equal(parsed.Events.length, 1);
    assert.equal(parsed.Events[0].CloudTrailEvent, JSON.stringify(events[0]));
    assert.equal(out.Events?.[0]?.EventId, 'a-1');
    // The raw text is the server's own serialisation (the SDK's output would be re-encoded).
    assert.ok(raw.toString('utf8').startsWith('{"Events":[{"EventId":"a-1"'), 'raw.toString(\'utf8\').startsWith(\'{"Events":[{"EventId":"a-1"\')');
  } finally {
    clients.destroy();
    await srv.close();
  }
});

test('endpoints: --endpoint-url alone serves S3 too (path-style); --s3-endpoint-url takes S3 alone; bad URLs refused', async () => {
  const creds = { accessKeyId: 'AKIDLOOPBACKTEST', secretAccessKey: 'loopback-secret' };
  const endpointOf = async (c: { config: { endpoint?: () => Promise<{ hostname: string; port?: number }> } }) => {
    const e = await c.config.endpoint!();
    return `${e.hostname}:${e.port}`;
  };
  const one = new AwsClients({ endpointUrl: 'http://127.0.0.1:4001', credentials: creds });
  assert.equal(await endpointOf(one.s3() as any), '127.0.0.1:4001');
  assert.equal(one.s3().config.forcePathStyle, true);
  assert.equal(await endpointOf(one.athena('eu-west-1') as any), '127.0.0.1:4001');
  one.destroy();
  const two = new AwsClients({ endpointUrl: 'http://127.0.0.1:4001', s3EndpointUrl: 'http://127.0.0.1:4002', credentials: creds });
  assert.equal(await endpointOf(two.s3() as any), '127.0.0.1:4002');
  assert.equal(two.s3().config.forcePathStyle, true);
  assert.equal(await endpointOf(two.athena('eu-west-1') as any), '127.0.0.1:4001');
  assert.equal(await endpointOf(two.stsClient() as any), '127.0.0.1:4001');
  two.destroy();
  const none = new AwsClients({ credentials: creds });
  assert.equal(none.s3().config.forcePathStyle, false);
  none.destroy();
  assert.throws(() => new AwsClients({ s3EndpointUrl: 'ftp://x', credentials: creds }).s3(), /--s3-endpoint-url ftp:\/\/x: only http and https are supported/);
});
