// CloudTrail Lake acquisition against the loopback CloudTrail JSON 1.1
// endpoint with the real @aws-sdk/client-cloudtrail (README.md, "Acquisition from AWS"): list event
// data stores; the query builder over case scope and IOC list; StartQuery,
// DescribeQuery until done, GetQueryResults page by page, each page evidence;
// rows with whole events imported; interruption resumed with the same query;
// expired results; a failed query; rows that are not events.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import '../../../electron/ingest/aws/index.ts';
import { importLake, listEventDataStores, type LakeImportOptions } from '../../../electron/ingest/aws/lake-source.ts';
import { addIoc } from '../../../electron/analysis/ioc.ts';
import { evidenceBytes } from '../../../electron/case/evidence.ts';
import { getEvent } from '../../../electron/case/queries.ts';
import { verifyCase, verifyExitCode } from '../../../electron/case/verify.ts';
import { startCloudTrailServer, type CloudTrailServer, type CloudTrailServerOptions } from '../../support/cloudtrail-server.ts';
import { tempCase, type TempCase } from '../../support/case.ts';
import { CaseStore } from '../../../electron/case/store.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const EDS_ID = 'EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE';
const EDS = `arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/${EDS_ID}`;
const STORES = [
  { EventDataStoreArn: EDS, Name: 'org-events', OrganizationEnabled: true },
  { EventDataStoreArn: 'arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/OTHER-0001', Name: 'data-events' },
];
const IDENTITY = { Account: '111122223333', Arn: 'arn:aws:sts::111122223333:assumed-role/ir/examiner', UserId: 'AROAEXAMPLE:examiner' };
const creds = { accessKeyId: 'AKIDLOOPBACKTEST', secretAccessKey: 'loopback-secret' };
const cases: TempCase[] = [];
const servers: CloudTrailServer[] = [];
after(async () => {
  for (const c of cases) c.cleanup();
  for (const s of servers) await s.close();
});

function record(i: number): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: 'arn:aws:iam::111122223333:user/mallory', accountId: '111122223333', accessKeyId: 'AKIAEXAMPLEKEY000001', userName: 'mallory' },
    eventTime: new Date(Date.UTC(2024, 2, 1, 0, 0, i)).toISOString().replace('.000Z', 'Z'),
    eventSource: 's3.amazonaws.com',
    eventName: i % 2 ? 'GetObject' : 'ListBuckets',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.9',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: { bucketName: 'payroll' },
    requestID: `req-${i}`,
    eventID: `lake-evt-${String(i).padStart(5, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: i % 2 === 0,
    recipientAccountId: '111122223333',
    eventCategory: i % 2 ? 'Data' : 'Management',
  };
}
const rows = (n: number) => Array.from({ length: n }, (_, i) => [{ eventjson: JSON.stringify(record(i)) }]);

async function server(opts: CloudTrailServerOptions): Promise<CloudTrailServer> {
  const s = await startCloudTrailServer({ identity: IDENTITY, eventDataStores: STORES, ...opts });
  servers.push(s);
  return s;
}
function newCase(scope: { since?: string; until?: string } = {}): TempCase {
  const c = tempCase('Lake');
  if (scope.since || scope.until) {
    // A case opened with a scope: recreate it with one.
    c.store.close();
    const path = `${c.path.replace(/\.trailcase$/, '')}-scoped.trailcase`;
    (c as { store: CaseStore }).store = CaseStore.create(path, { title: 'Lake', examiner: c.signer.examiner, scope }, c.signer);
  }
  cases.push(c);
  return c;
}
function opts(srv: CloudTrailServer, extra: Partial<LakeImportOptions> = {}): LakeImportOptions {
  return { endpointUrl: srv.url, credentials: creds, retry: { baseMs: 1, capMs: 5 }, pollMs: 1, ...extra };
}
const ops = (srv: CloudTrailServer, op: string) => srv.requests.filter((r) => r.op === op);

test('list event data stores of a Region', async () => {
  const srv = await server({});
  const items = await listEventDataStores({ region: 'eu-west-1', endpointUrl: srv.url, credentials: creds });
  assert.deepEqual(
    items.map((e) => [e.id, e.name, e.status, e.organization]),
    [
      [EDS_ID, 'org-events', 'ENABLED', true],
      ['OTHER-0001', 'data-events', 'ENABLED', false],
    ],
  );
  assert.equal(ops(srv, 'ListEventDataStores')[0].region, 'eu-west-1');
});

test('builder query from case scope and IOCs; results paged, each page evidence; whole events imported', async () => {
  let seenSql = '';
  const srv = await server({ lake: { run: (sql) => ((seenSql = sql), rows(2500)), runningPolls: 2, pageSize: 1000 } });
  const c = newCase({ since: '2024-03-01T00:00:00Z', until: '2024-03-02T00:00:00Z' });
  addIoc(c.store, 'Test Examiner', { type: 'ip', value: '203.0.113.9' });
  addIoc(c.store, 'Test Examiner', { type: 'access-key', value: 'AKIAEXAMPLEKEY000001' });
  const phases: string[] = [];
  const sum = await importLake(c.store, c.signer, `lake:${EDS}`, opts(srv, { useIocs: true, onProgress: (p) => phases.push(`${p.phase}:${p.detail}`) }));
  // The filter runs inside AWS.
  assert.match(seenSql, new RegExp(`FROM ${EDS_ID}\\nWHERE eventtime >= '2024-03-01 00:00:00\\.000'\\n  AND eventtime <= '2024-03-02 00:00:00\\.000'`));
  assert.match(seenSql, /sourceipaddress = '203\.0\.113\.9'\n    OR useridentity\.accesskeyid = 'AKIAEXAMPLEKEY000001'/);
  assert.equal(ops(srv, 'StartQuery')[0].region, 'eu-west-1', 'the Region comes from the ARN');
  assert.equal(ops(srv, 'DescribeQuery').length, 3, 'polled until FINISHED');
  assert.ok(phases.some((p) => p.startsWith('lake-query:RUNNING')), 'progress while the query runs');
  assert.equal(sum.events, 2500);
  assert.equal(sum.objects, 3);
  const pages = (c.store.db.prepare("SELECT * FROM evidence WHERE kind = 'api-page' ORDER BY id").all() as any[]).map((p) => ({ ...p, m: JSON.parse(p.origin_meta) }));
  assert.deepEqual(pages.map((p) => [p.m.page, p.m.rows]), [[1, 1000], [2, 1000], [3, 500]]);
  const qid = pages[0].m.queryId;
  assert.match(pages[0].origin, new RegExp(`^cloudtrail:GetQueryResults\\?eventDataStore=${EDS_ID}&queryId=${qid}&page=1$`));
  assert.equal(pages[1].m.pageToken, pages[0].m.nextToken);
  assert.equal(pages[2].m.nextToken, null);
  assert.equal(pages[0].format, 'cloudtrail-lake');
  assert.equal(pages[0].m.sqlSha256, createHash('sha256').update(seenSql).digest('hex'));
  assert.equal(createHash('sha256').update(evidenceBytes(c.store, pages[0].id)).digest('hex'), pages[0].sha256);
  const q = c.store.db.prepare("SELECT details FROM custody WHERE action = 'acquire.lake.query'").get() as { details: string };
  assert.equal(JSON.parse(q.details).sql, seenSql);
  const ev = getEvent(c.store, 'lake-evt-02499');
  assert.equal(ev.record, JSON.stringify(record(2499)));
  assert.equal(ev.summary.accessKeyId, 'AKIAEXAMPLEKEY000001');
  const v = verifyCase(c.store);
  assert.equal(v.ok, true, JSON.stringify(v.problems));
  assert.equal(verifyExitCode(v), 0);
});

test('an interrupted run continues the same query from the preserved token; expired results run the query again', async () => {
  const lake = { run: () => rows(2300), runningPolls: 0, pageSize: 1000 };
  const srv = await server({ lake, fault: (r) => (r.op === 'GetQueryResults' && r.n >= 2 ? { kind: 'drop' } : undefined) });
  const c = newCase();
  await assert.rejects(importLake(c.store, c.signer, `lake:${EDS}`, opts(srv, { sql: `SELECT eventjson FROM ${EDS_ID}` })), (e: Error) => {
    assert.match(e.message, /^CloudTrail Lake GetQueryResults [0-9a-f-]+ page 2: connection at http:\/\/127\.0\.0\.1:\d+ failed/);
    return true;
  });
  assert.equal((c.store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 1000);
  assert.equal(verifyCase(c.store).ok, true);
  srv.setFault(undefined);
  const sum = await importLake(c.store, c.signer, `lake:${EDS}`, opts(srv, { sql: `SELECT eventjson FROM ${EDS_ID}` }));
  assert.equal(ops(srv, 'StartQuery').length, 1, 'no new query: the preserved query ID and token are used');
  assert.equal(sum.events, 1300);
  assert.equal((c.store.db.prepare('SELECT count(*) AS n FROM event_copies').get() as { n: number }).n, 0);

  // A run interrupted again, then the server no longer has the query (results expired): the query runs again.
  const c2 = newCase();
  const served = ops(srv, 'GetQueryResults').length;
  srv.setFault((r) => (r.op === 'GetQueryResults' && r.n > served + 1 ? { kind: 'drop' } : undefined));
  await assert.rejects(importLake(c2.store, c2.signer, `lake:${EDS}`, opts(srv, { sql: `SELECT eventjson FROM ${EDS_ID}` })));
  const fresh = await server({ lake });
  const s2 = await importLake(c2.store, c2.signer, `lake:${EDS}`, opts(fresh, { sql: `SELECT eventjson FROM ${EDS_ID}` }));
  assert.equal(ops(fresh, 'StartQuery').length, 1);
  assert.equal(s2.events, 1300);
  assert.equal(s2.duplicates, 1000, 'events already in the case from the first pages are copies');
  const w = c2.store.db.prepare("SELECT message FROM warnings WHERE code = 'resume-expired'").get() as { message: string };
  assert.match(w.message, /QueryIdNotFoundException/);
  assert.equal(verifyCase(c2.store).ok, true);
});

test('a failed query, rows that are not events, and bad input', async () => {
  const srv = await server({ lake: { run: (sql): Record<string, string>[][] | { error: string } => (/GROUP BY/.test(sql) ? [[{ eventname: 'GetObject' }, { n: '12' }]] : { error: 'line 1:8: Column x cannot be resolved' }), runningPolls: 0 } });
  const c = newCase();
  await assert.rejects(importLake(c.store, c.signer, `lake:${EDS}`, opts(srv, { sql: `SELECT x FROM ${EDS_ID}` })), (e: Error) => {
    assert.match(e.message, /^CloudTrail Lake query [0-9a-f-]+ on EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE FAILED: line 1:8: Column x cannot be resolved$/);
    return true;
  });
  const s = await importLake(c.store, c.signer, `lake:${EDS}`, opts(srv, { sql: `SELECT eventname, count(*) AS n FROM ${EDS_ID} GROUP BY eventname` }));
  assert.equal(s.events, 0);
  assert.equal(s.objects, 1, 'the page is preserved');
  const w = c.store.db.prepare("SELECT message FROM warnings WHERE code = 'lake-rows-not-events'").get() as { message: string };
  assert.match(w.message, /not whole CloudTrail events .* 1 rows preserved as evidence/);
  await assert.rejects(importLake(c.store, c.signer, 'lake:', opts(srv)), /lake: needs the event data store/);
  await assert.rejects(importLake(c.store, c.signer, "lake:x' OR 1=1", opts(srv)), /is not an event data store ARN or ID/);
  await assert.rejects(importLake(c.store, c.signer, `lake:${EDS}`, opts(srv, { sql: 'DELETE FROM x' })), /--sql must be a SELECT/);
  await assert.rejects(importLake(c.store, c.signer, 'lake:SOME-ID', opts(srv)), /give the event data store ARN \(it names the Region\) or --region/);
  assert.equal(verifyCase(c.store).ok, true);
});
