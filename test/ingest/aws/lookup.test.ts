// LookupEvents acquisition against a loopback server speaking CloudTrail's
// JSON 1.1 protocol, driven by the real @aws-sdk/client-cloudtrail through the
// endpoint setting (README.md, "Acquisition from AWS"): paging, throttling (HTTP 400
// ThrottlingException), a 500, an interrupted run resumed from the preserved
// page token, expired credentials, raw page bytes as evidence.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import '../../../electron/ingest/aws/index.ts';
import { RateLimiter } from '../../../electron/ingest/aws/client.ts';
import { importLookup, type LookupImportOptions } from '../../../electron/ingest/aws/lookup-source.ts';
import { evidenceBytes } from '../../../electron/case/evidence.ts';
import { verifyCase, verifyExitCode } from '../../../electron/case/verify.ts';
import { getEvent } from '../../../electron/case/queries.ts';
import { startCloudTrailServer, type CloudTrailServer, type RequestInfo } from '../../support/cloudtrail-server.ts';
import { tempCase, type TempCase } from '../../support/case.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const IDENTITY = { Account: '111122223333', Arn: 'arn:aws:sts::111122223333:assumed-role/ir/examiner', UserId: 'AROAEXAMPLE:examiner' };
const cases: TempCase[] = [];
const servers: CloudTrailServer[] = [];
after(async () => {
  for (const c of cases) c.cleanup();
  for (const s of servers) await s.close();
});

/** n management events in a region, one per minute from 2024-03-01T00:00Z. */
function events(region: string, n: number, names = ['ListUsers', 'CreateAccessKey', 'GetCallerIdentity']): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::111122223333:user/mallory', accountId: '111122223333', accessKeyId: 'AKIAEXAMPLEKEY000001', userName: 'mallory' },
    eventTime: new Date(Date.UTC(2024, 2, 1, 0, i)).toISOString().replace('.000Z', 'Z'),
    eventSource: 'iam.amazonaws.com',
    eventName: names[i % names.length],
    awsRegion: region,
    sourceIPAddress: '203.0.113.9',
    userAgent: 'aws-cli/2.15.0',
    requestID: `req-${region}-${i}`,
    eventID: `${region}-evt-${String(i).padStart(4, '0')}`,
    readOnly: i % 3 !== 1,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
  }));
}

async function server(opts: Parameters<typeof startCloudTrailServer>[0]): Promise<CloudTrailServer> {
  const s = await startCloudTrailServer({ identity: IDENTITY, ...opts });
  servers.push(s);
  return s;
}

function newCase(): TempCase {
  const c = tempCase('LookupEvents');
  cases.push(c);
  return c;
}

const creds = { accessKeyId: 'AKIDLOOPBACKTEST', secretAccessKey: 'loopback-secret' };
function opts(srv: CloudTrailServer, extra: Partial<LookupImportOptions> = {}): LookupImportOptions {
  return {
    endpointUrl: srv.url,
    credentials: creds,
    retry: { baseMs: 1, capMs: 5 },
    // 2/s is the real quota; the tests check the spacing with a fake clock instead of waiting.
    limiter: new RateLimiter(1000),
    since: '2024-03-01T00:00:00Z',
    until: '2024-03-02T00:00:00Z',
    ...extra,
  };
}

const lookups = (srv: CloudTrailServer) => srv.requests.filter((r) => r.op === 'LookupEvents');

test('pages of 50, each an evidence item with its raw response bytes, request and tokens; events from CloudTrailEvent', async () => {
  const srv = await server({ events: { 'us-east-1': events('us-east-1', 120), 'eu-west-1': events('eu-west-1', 7) } });
  const c = newCase();
  const progress: { done: number; detail?: string }[] = [];
  const sum = await importLookup(c.store, c.signer, 'lookup:', opts(srv, { regions: ['us-east-1', 'eu-west-1'], onProgress: (p) => progress.push(p) }));
  assert.equal(sum.events, 127);
  assert.equal(sum.objects, 3 + 1);
  const reqs = lookups(srv);
  assert.equal(reqs.filter((r) => r.region === 'us-east-1').length, 3);
  assert.ok(reqs.every((r) => r.body.MaxResults === 50 && r.body.StartTime === Date.parse('2024-03-01T00:00:00Z') / 1000), 'reqs.every((r) => r.body.MaxResults === 50 && r.body.StartTime === Date.parse(\'2024-03-01T00:00:00Z\'');
  const pages = c.store.db.prepare("SELECT * FROM evidence WHERE kind = 'api-page' ORDER BY id").all() as any[];
  assert.equal(pages.length, 4);
  const us = pages.map((p) => ({ ...p, m: JSON.parse(p.origin_meta) })).filter((p) => p.m.region === 'us-east-1');
  assert.deepEqual(us.map((p) => p.m.page), [1, 2, 3]);
  assert.equal(us[0].m.pageToken, null);
  assert.equal(us[1].m.pageToken, us[0].m.nextToken);
  assert.equal(us[2].m.nextToken, null);
  assert.match(us[0].origin, /^cloudtrail:LookupEvents\?region=us-east-1&query=[0-9a-f]{16}&page=1$/);
  assert.equal(us[0].m.request.StartTime, '2024-03-01T00:00:00.000Z');
  assert.equal(us[0].m.request.MaxResults, 50);
  assert.equal(us[0].m.callerIdentity.arn, IDENTITY.Arn);
  assert.equal(us[0].m.httpStatus, 200);
  assert.equal(us[0].format, 'lookup-events');
  // The preserved bytes are the response as sent, and hash to the recorded SHA-256.
  const bytes = evidenceBytes(c.store, us[0].id);
  assert.equal(createHash('sha256').update(bytes).digest('hex'), us[0].sha256);
  const body = JSON.parse(bytes.toString('utf8'));
  assert.equal(body.Events.length, 50);
  assert.equal(body.NextToken, us[0].m.nextToken);
  // Events are the CloudTrailEvent records, verbatim.
  const ev = getEvent(c.store, 'us-east-1-evt-0118');
  assert.equal(ev.record, JSON.stringify(events('us-east-1', 120)[118]));
  assert.equal(ev.summary.eventName, 'CreateAccessKey');
  // Progress goes to the end of the time range, with an estimate of the time left while running.
  assert.equal(progress[progress.length - 1].done, 1000);
  assert.ok(progress.some((p) => /left/.test(p.detail ?? '')) || progress.length <= 2, 'progress.some((p) => /left/.test(p.detail ?? \'\')) || progress.length <= 2');
  const v = verifyCase(c.store);
  assert.equal(v.ok, true, JSON.stringify(v.problems));
  assert.equal(verifyExitCode(v), 0);
  // Credentials never reach the case.
  const dump = JSON.stringify([c.store.db.prepare('SELECT details FROM custody').all(), c.store.db.prepare('SELECT origin_meta FROM evidence').all(), c.store.db.prepare('SELECT params FROM imports').all()]);
  for (const secret of [creds.accessKeyId, creds.secretAccessKey]) assert.ok(!dump.includes(secret), 'a credential reached the case');
  assert.equal(srv.requests[1].accessKeyId, creds.accessKeyId, 'the requests were signed with them');
});

test('throttling (HTTP 400 ThrottlingException) and a 500 are retried with backoff; the attribute filter is sent', async () => {
  const srv = await server({
    events: { 'us-east-1': events('us-east-1', 450) },
    fault: (r: RequestInfo) => {
      if (r.op !== 'LookupEvents') return undefined;
      if (r.n === 2 || r.n === 3) return { kind: 'throttle' };
      if (r.n === 5) return { kind: 'status', status: 500, code: 'InternalFailure', message: 'We encountered an internal error.' };
      return undefined;
    },
  });
  const c = newCase();
  const details: string[] = [];
  const sum = await importLookup(c.store, c.signer, 'lookup:', opts(srv, { regions: ['us-east-1'], attribute: 'EventName=CreateAccessKey', onProgress: (p) => details.push(p.detail ?? '') }));
  assert.equal(sum.events, 150, 'one in three of 450 events is CreateAccessKey');
  assert.ok(details.some((d) => /ThrottlingException \(throttled\), retry 1/.test(d)), 'details.some((d) => /ThrottlingException \\(throttled\\), retry 1/.test(d))');
  assert.ok(details.some((d) => /InternalFailure \(server\), retry 1/.test(d)), 'details.some((d) => /InternalFailure \\(server\\), retry 1/.test(d))');
  assert.deepEqual(lookups(srv)[0].body.LookupAttributes, [{ AttributeKey: 'EventName', AttributeValue: 'CreateAccessKey' }]);
  const log = c.store.db.prepare("SELECT details FROM custody WHERE action = 'acquire.lookup'").get() as { details: string };
  assert.equal(JSON.parse(log.details).retries, 3);
});

test('the self-imposed rate: two requests per second per account and Region', async () => {
  let now = 0;
  const starts: number[] = [];
  const limiter = new RateLimiter(2, () => now, async (ms) => {
    now += ms;
  });
  const srv = await server({ events: { 'us-east-1': events('us-east-1', 200) }, fault: () => { starts.push(now); return undefined; } });
  const c = newCase();
  await importLookup(c.store, c.signer, 'lookup:', opts(srv, { regions: ['us-east-1'], limiter }));
  const ct = starts.slice(1); // the first request is STS
  assert.equal(ct.length, 4);
  for (let i = 1; i < ct.length; i++) assert.ok(ct[i] - ct[i - 1] >= 500, `request ${i} came ${ct[i] - ct[i - 1]} ms after the one before`);
});

test('interrupted run (connection dropping, then expired credentials) resumes from the preserved page token', async () => {
  const srv = await server({ events: { 'us-east-1': events('us-east-1', 230) } });
  srv.setFault((r) => (r.op === 'LookupEvents' && r.n >= 3 ? { kind: 'drop' } : undefined));
  const c = newCase();
  await assert.rejects(importLookup(c.store, c.signer, 'lookup:', opts(srv, { regions: ['us-east-1'], until: undefined })), (e: Error) => {
    assert.match(e.message, /^CloudTrail LookupEvents in us-east-1 \(page 3\): connection at http:\/\/127\.0\.0\.1:\d+ failed .*continues where it stopped/);
    return true;
  });
  assert.equal((c.store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 100);
  assert.equal(verifyCase(c.store).ok, true, 'what was acquired stays valid and signed');
  const firstRunLookups = lookups(srv).length;

  // Second attempt: credentials expire after one more page.
  srv.setFault((r) => (r.op === 'LookupEvents' && r.n >= firstRunLookups + 2 ? { kind: 'status', status: 400, code: 'ExpiredTokenException', message: 'The security token included in the request is expired' } : undefined));
  await assert.rejects(importLookup(c.store, c.signer, 'lookup:', opts(srv, { regions: ['us-east-1'], until: undefined })), (e: Error) => {
    assert.match(e.message, /AWS credentials are missing, invalid or expired \(ExpiredTokenException \(HTTP 400\): The security token included in the request is expired\)/);
    return true;
  });
  const second = lookups(srv).slice(firstRunLookups);
  assert.ok(second[0].body.NextToken, 'the second run starts from the token of the last preserved page');
  assert.equal((c.store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 150);

  // Third attempt completes, continuing again; nothing is fetched twice.
  srv.setFault(undefined);
  const before = lookups(srv).length;
  const sum = await importLookup(c.store, c.signer, 'lookup:', opts(srv, { regions: ['us-east-1'], until: undefined }));
  assert.equal(sum.events, 80);
  assert.equal(lookups(srv).length - before, 2);
  assert.equal((c.store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 230);
  assert.equal((c.store.db.prepare('SELECT count(*) AS n FROM event_copies').get() as { n: number }).n, 0);
  const pages = (c.store.db.prepare("SELECT origin_meta FROM evidence WHERE kind = 'api-page' ORDER BY id").all() as any[]).map((r) => JSON.parse(r.origin_meta));
  assert.deepEqual(pages.map((p) => p.page), [1, 2, 3, 4, 5]);
  // The resumed chain keeps the interrupted run's time range (its tokens are only valid for it).
  assert.equal(new Set(pages.map((p) => p.request.EndTime)).size, 1);
  const actions = (c.store.db.prepare('SELECT action FROM custody ORDER BY seq').all() as { action: string }[]).map((x) => x.action);
  assert.equal(actions.filter((a) => a === 'import.failed').length, 2);
  assert.equal(actions.filter((a) => a === 'acquire.lookup.resume').length, 2);
  const v = verifyCase(c.store);
  assert.equal(v.ok, true);
});

test('--region all: every Region asked, Regions not enabled for the account reported and skipped', async () => {
  const srv = await server({
    events: { 'us-east-1': events('us-east-1', 3), 'ap-southeast-2': events('ap-southeast-2', 2) },
    fault: (r) => (r.op === 'LookupEvents' && r.region === 'me-south-1' ? { kind: 'status', status: 400, code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' } : undefined),
  });
  const c = newCase();
  const sum = await importLookup(c.store, c.signer, 'lookup:', opts(srv, { regions: ['all'] }));
  assert.equal(sum.events, 5);
  const asked = new Set(lookups(srv).map((r) => r.region));
  assert.ok(asked.has('eu-north-1') && asked.has('sa-east-1') && asked.size >= 30, `${asked.size} Regions asked`);
  const w = c.store.db.prepare("SELECT origin, message FROM warnings WHERE code = 'region-unavailable'").all() as any[];
  assert.equal(w.length, 1);
  assert.match(w[0].message, /^me-south-1 skipped: it rejected the credentials \(UnrecognizedClientException: The security token included in the request is invalid\.\); the Region is probably not enabled for this account$/);
  assert.equal(verifyCase(c.store).ok, true);
});

test('bad input: no Region, a malformed Region, an unknown attribute, --since after --until', async () => {
  const c = newCase();
  const srv = await server({});
  await assert.rejects(importLookup(c.store, c.signer, 'lookup:', opts(srv, { regions: [] })), /needs --region R/);
  await assert.rejects(importLookup(c.store, c.signer, 'lookup:', opts(srv, { regions: ['us-east-1; rm'] })), /is not an AWS Region name/);
  await assert.rejects(importLookup(c.store, c.signer, 'lookup:', opts(srv, { regions: ['us-east-1'], attribute: 'Colour=red' })), /LookupEvents accepts EventId, EventName/);
  await assert.rejects(importLookup(c.store, c.signer, 'lookup:', opts(srv, { regions: ['us-east-1'], since: '2024-03-02', until: '2024-03-01' })), /--since is after --until/);
  await assert.rejects(importLookup(c.store, c.signer, 'lookup:x', opts(srv, { regions: ['us-east-1'] })), /takes no argument/);
  // Access denied: one message, nothing half-written.
  srv.setFault((r) => (r.op === 'LookupEvents' ? { kind: 'status', status: 400, code: 'AccessDeniedException', message: 'User is not authorized to perform: cloudtrail:LookupEvents' } : undefined));
  await assert.rejects(importLookup(c.store, c.signer, 'lookup:', opts(srv, { regions: ['us-east-1'] })), (e: Error) => /^CloudTrail LookupEvents in us-east-1 \(page 1\): access denied \(AccessDeniedException/.test(e.message));
  assert.equal(verifyCase(c.store).ok, true);
});
