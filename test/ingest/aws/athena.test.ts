// Athena-scoped acquisition (README.md, "Speed and size") against the loopback Athena endpoint
// (test/support/athena-server.ts: Athena's JSON 1.1 protocol, queries run by
// DuckDB over the bucket's real objects) with the real @aws-sdk/client-athena
// through --endpoint-url, and s3rver with a signed CloudTrail trail through
// --s3-endpoint-url. The objects chosen must be exactly those an independent
// reading of the trail says hold scoped, matching events; each Athena response
// is evidence; digests for the same hours come along and CloudTrail validation
// and verify pass. Also: paging, a failed query, a result without "$path",
// throttling, interruption and resume (after the query, during the objects),
// and the CLI end to end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import '../../../electron/ingest/aws/index.ts';
import { importAthena, type AthenaImportOptions } from '../../../electron/ingest/aws/athena-source.ts';
import { validateCase } from '../../../electron/ingest/aws/validation.ts';
import { addIoc } from '../../../electron/analysis/ioc.ts';
import { evidenceBytes } from '../../../electron/case/evidence.ts';
import { verifyCase, verifyExitCode } from '../../../electron/case/verify.ts';
import { generateSigningKey, generateTrail, type SigningKey, type Trail } from '../../support/cloudtrail-signer.ts';
import { startCloudTrailServer, type CloudTrailServer } from '../../support/cloudtrail-server.ts';
import { startAthenaServer, type AthenaServer } from '../../support/athena-server.ts';
import { startS3, type S3Server } from '../../support/s3.ts';
import { tempCase, tempDir, type TempCase } from '../../support/case.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const A = '111122223333';
const B = '444455556666';
const TABLE = 'athena:trail_db.cloudtrail_logs';
const IDENTITY = { Account: '999988887777', Arn: 'arn:aws:iam::999988887777:role/ir-acquisition', UserId: 'AROAEXAMPLE:examiner' };
const SCOPE = { since: '2024-03-01T01:00:00Z', until: '2024-03-01T03:30:00Z', accounts: [A], regions: ['us-east-2'] };

let s3: S3Server;
let key: SigningKey;
let bucket: string;
let trails: Trail[];
let keysFile: string;
let dir: string;
const cases: TempCase[] = [];
const servers: { close(): Promise<void> }[] = [];

interface Rec {
  key: string;
  account: string;
  region: string;
  r: any;
}
let records: Rec[];

before(async () => {
  s3 = await startS3();
  key = generateSigningKey();
  bucket = s3.bucketName('org-trail');
  trails = [
    generateTrail({ key, bucket, prefix: 'org', account: A, region: 'us-east-2', hours: 5, seed: 11 }),
    generateTrail({ key, bucket, prefix: 'org', account: A, region: 'eu-west-1', hours: 3, seed: 12 }),
    generateTrail({ key, bucket, prefix: 'org', account: B, region: 'us-east-2', hours: 3, seed: 13 }),
  ];
  await s3.createBucket(bucket);
  for (const t of trails) await s3.put(bucket, t.files);
  dir = tempDir('trailcase-athena-');
  keysFile = join(dir, 'public-keys.json');
  writeFileSync(keysFile, generateTrail({ hours: 1, key, seed: 99 }).publicKeys);
  records = trails.flatMap((t) =>
    t.files.filter((f) => f.kind === 'log').flatMap((f) => JSON.parse(gunzipSync(f.bytes).toString('utf8')).Records.map((r: any) => ({ key: f.key, account: t.account, region: t.region, r }))),
  );
});

after(async () => {
  for (const c of cases) c.cleanup();
  for (const s of servers) await s.close();
  await s3?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function athenaServer(extra: Partial<Parameters<typeof startAthenaServer>[0]> = {}): Promise<AthenaServer> {
  const srv = await startAthenaServer({
    s3: { endpoint: s3.endpoint, region: s3.region, credentials: s3.credentials },
    tables: { 'trail_db.cloudtrail_logs': { bucket, prefix: 'org' } },
    identity: IDENTITY,
    ...extra,
  });
  servers.push(srv);
  return srv;
}

function newCase(): TempCase {
  const c = tempCase('Athena acquisition');
  cases.push(c);
  return c;
}

function opts(srv: AthenaServer, extra: Partial<AthenaImportOptions> = {}): AthenaImportOptions {
  return {
    endpointUrl: srv.url,
    s3EndpointUrl: s3.endpoint,
    credentials: s3.credentials,
    region: 'us-east-1',
    retry: { baseMs: 1, capMs: 5 },
    pollMs: 1,
    publicKeysFile: keysFile,
    ...SCOPE,
    ...extra,
  };
}

const ops = (srv: AthenaServer, op: string) => srv.requests.filter((r) => r.op === op);
const objectKeys = (c: TempCase, kind?: 'log' | 'digest') =>
  (c.store.db.prepare("SELECT json_extract(origin_meta, '$.key') AS k, format FROM evidence WHERE kind = 's3-object' ORDER BY k").all() as { k: string; format: string }[])
    .filter((x) => !kind || x.format === (kind === 'log' ? 'cloudtrail-s3' : 'cloudtrail-digest'))
    .map((x) => x.k);

/** The log objects holding events in SCOPE that match one of the predicates, read from the trail itself. */
function expectedLogs(match: (r: any) => boolean): string[] {
  return [
    ...new Set(
      records
        .filter((x) => SCOPE.accounts.includes(x.account) && SCOPE.regions.includes(x.region))
        .filter((x) => x.r.eventTime >= SCOPE.since.replace('.000', '') && x.r.eventTime <= SCOPE.until)
        .filter((x) => match(x.r))
        .map((x) => x.key),
    ),
  ].sort();
}

test('the query from scope and IOCs (hostile values quoted), paged results, exactly the matching objects and their digests, evidence, validation', async () => {
  const srv = await athenaServer();
  const c = newCase();
  // Indicators taken from events inside the scope, one from another Region (must not widen the result), and hostile text.
  const inScope = records.filter((x) => x.account === A && x.region === 'us-east-2' && x.r.eventTime >= '2024-03-01T01:30:00Z' && x.r.eventTime <= '2024-03-01T03:00:00Z');
  const ip = inScope[0].r.sourceIPAddress;
  const accessKey = inScope[inScope.length - 1].r.userIdentity.accessKeyId;
  const elsewhere = records.find((x) => x.region === 'eu-west-1')!.r.userIdentity.accessKeyId;
  addIoc(c.store, 'Test Examiner', { type: 'ip', value: ip });
  addIoc(c.store, 'Test Examiner', { type: 'access-key', value: accessKey });
  addIoc(c.store, 'Test Examiner', { type: 'access-key', value: elsewhere });
  addIoc(c.store, 'Test Examiner', { type: 'user-agent', value: "x' OR '1'='1" });
  addIoc(c.store, 'Test Examiner', { type: 'user-agent', value: '%' });
  addIoc(c.store, 'Test Examiner', { type: 'user-agent', value: 'a"b\\' });
  const notices: string[] = [];
  const sum = await importAthena(c.store, c.signer, TABLE, opts(srv, { useIocs: true, pageSize: 2, notice: (l) => notices.push(l) }));

  const sql = srv.statements()[0];
  assert.match(sql, /^SELECT "\$path", count\(\*\) AS events\nFROM "trail_db"\."cloudtrail_logs"\nWHERE "timestamp" BETWEEN '2024\/03\/01' AND '2024\/03\/02'\n/);
  assert.match(sql, /\n  AND eventtime >= '2024-03-01T01:00:00Z'\n  AND eventtime <= '2024-03-01T03:30:00Z'\n  AND account = '111122223333'\n  AND region = 'us-east-2'\n/);
  assert.ok(sql.includes(`useragent LIKE '%x'' OR ''1''=''1%' ESCAPE '\\'`), sql);
  assert.ok(sql.includes(`useragent LIKE '%\\%%' ESCAPE '\\'`), sql);
  assert.ok(sql.includes(`useragent LIKE '%a"b\\\\%' ESCAPE '\\'`), sql);
  assert.match(sql, /\nGROUP BY "\$path"\nORDER BY "\$path"$/);
  assert.equal(ops(srv, 'StartQueryExecution')[0].body.QueryExecutionContext.Database, 'trail_db');
  assert.match(ops(srv, 'StartQueryExecution')[0].body.ClientRequestToken, /^[0-9a-f-]{36}$/);
  assert.ok(ops(srv, 'GetQueryExecution').length >= 3, 'polled through QUEUED and RUNNING');

  // Exactly the objects an independent reading of the trail gives; a real subset, so the test can fail.
  const want = expectedLogs((r) => r.sourceIPAddress === ip || r.userIdentity.accessKeyId === accessKey);
  const allLogs = trails.flatMap((t) => t.files.filter((f) => f.kind === 'log').map((f) => f.key));
  assert.ok(want.length >= 2 && want.length < allLogs.length / 3, `${want.length} of ${allLogs.length}`);
  assert.deepEqual(objectKeys(c, 'log'), want);

  // Digests of the same account and Region around those hours (the one before included), signed: validation applies.
  const digests = objectKeys(c, 'digest');
  assert.ok(digests.length >= 2);
  for (const d of digests) assert.match(d, new RegExp(`^org/AWSLogs/${A}/CloudTrail-Digest/us-east-2/`));
  // Only digests of the hours around the chosen files: each ends within an hour and a quarter before to two hours after one of them.
  const nameTime = (k: string) => Date.parse(/_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?Z/.exec(k)!.slice(1, 7).map((x, i) => (x ?? '00') + ['-', '-', 'T', ':', ':', 'Z'][i]).join(''));
  for (const d of digests) assert.ok(want.some((k) => nameTime(d) >= nameTime(k) - 75 * 60_000 && nameTime(d) <= nameTime(k) + 120 * 60_000), d);
  const results = validateCase(c.store);
  assert.equal(results.failures, 0, JSON.stringify(results.issues.failures));
  for (const k of want) assert.equal(results.objects.find((o) => o.key === k)?.result, 'valid', k);
  const v = verifyCase(c.store);
  assert.equal(v.ok, true, JSON.stringify(v.problems));
  assert.equal(verifyExitCode(v), 0);

  // Every Athena response is evidence: the start, the final execution (statistics), each result page.
  const pages = (c.store.db.prepare("SELECT * FROM evidence WHERE kind = 'api-page' AND origin LIKE 'athena:%' ORDER BY id").all() as any[]).map((p) => ({ ...p, m: JSON.parse(p.origin_meta) }));
  const qid = pages[0].m.queryExecutionId;
  assert.deepEqual(pages.map((p) => p.m.api).slice(0, 2), ['StartQueryExecution', 'GetQueryExecution']);
  const results1 = pages.filter((p) => p.m.api === 'GetQueryResults');
  assert.equal(results1.length, Math.ceil((want.length + 1) / 2), 'pages of 2 rows, the header row included');
  assert.deepEqual(results1.map((p) => p.m.page), results1.map((_, i) => i + 1));
  assert.equal(results1[1].m.pageToken, results1[0].m.nextToken);
  assert.equal(results1.at(-1).m.nextToken, null);
  assert.equal(pages[0].m.request.QueryString, sql);
  assert.equal(pages[0].m.sqlSha256, createHash('sha256').update(sql).digest('hex'));
  assert.equal(pages[1].m.state, 'SUCCEEDED');
  assert.ok(pages[1].m.statistics.DataScannedInBytes > 0);
  for (const p of pages) {
    assert.equal(createHash('sha256').update(evidenceBytes(c.store, p.id)).digest('hex'), p.sha256);
    assert.deepEqual(p.m.callerIdentity, { account: IDENTITY.Account, arn: IDENTITY.Arn, userId: IDENTITY.UserId });
  }
  assert.equal(JSON.parse(evidenceBytes(c.store, results1[0].id).toString()).ResultSet.Rows[0].Data[0].VarCharValue, '$path');
  const done = JSON.parse((c.store.db.prepare("SELECT details FROM custody WHERE action = 'acquire.athena'").get() as { details: string }).details);
  assert.equal(done.queryId, qid);
  assert.equal(done.complete, true);
  assert.equal(done.paths, want.length);
  assert.equal(done.usdPerTb, 5);

  // What was scanned and its estimated cost, before and after acquisition.
  assert.equal(notices.length, 2);
  assert.match(notices[0], new RegExp(`^Athena query ${qid}: scanned .*DataScannedInBytes ${pages[1].m.statistics.DataScannedInBytes}\\), estimated cost \\$0\\.000050 at \\$5/TB, 10 MB minimum`));
  assert.match(notices[0], new RegExp(`; ${want.length} objects hold \\d+ matching events$`));
  assert.match(notices[1], /^Athena acquisition: \d+ log objects chosen by query .* digest files/);
  // Events come from the original objects (scope applies), never from Athena rows.
  assert.ok(sum.events > 0);
  assert.equal((c.store.db.prepare("SELECT count(*) AS n FROM evidence WHERE format = 'cloudtrail-s3'").get() as { n: number }).n, want.length);
});

test('partition columns as the table has them; --sql must return "$path"; a failed query leaves a valid case', async () => {
  const srv = await athenaServer();
  const c = newCase();
  // A table without partitions: the builder filters on the record columns, and the same objects come back.
  await importAthena(c.store, c.signer, TABLE, opts(srv, { partitions: [] }));
  const stmt = srv.statements()[0];
  assert.ok(!stmt.includes('"timestamp"') && stmt.includes("recipientaccountid = '111122223333'") && stmt.includes("awsregion = 'us-east-2'"), stmt);
  assert.deepEqual(objectKeys(c, 'log'), expectedLogs(() => true));

  await assert.rejects(importAthena(c.store, c.signer, TABLE, opts(srv, { sql: 'SELECT eventname FROM cloudtrail_logs' })), /--sql must return the "\$path" column/);
  await assert.rejects(importAthena(c.store, c.signer, TABLE, opts(srv, { sql: 'DROP TABLE cloudtrail_logs' })), /--sql must be a SELECT/);
  // Names "$path" only in a comment: caught when the result comes back.
  await assert.rejects(importAthena(c.store, c.signer, TABLE, opts(srv, { sql: 'SELECT eventname, count(*) AS n FROM cloudtrail_logs GROUP BY eventname -- "$path"' })), (e: Error) => {
    assert.match(e.message, /does not return the "\$path" column \(it returns "eventname", "n"\)/);
    return true;
  });
  // An engine error: the query FAILED with Athena's reason; the execution is evidence.
  await assert.rejects(importAthena(c.store, c.signer, TABLE, opts(srv, { sql: 'SELECT "$path", nosuchcolumn FROM cloudtrail_logs' })), (e: Error) => {
    assert.match(e.message, /^Athena query [0-9a-f-]+ on trail_db\.cloudtrail_logs FAILED: .*nosuchcolumn/);
    return true;
  });
  const failed = c.store.db.prepare("SELECT origin_meta FROM evidence WHERE json_extract(origin_meta, '$.state') = 'FAILED'").all();
  assert.ok(failed.length >= 1);
  // A bad table name or option never reaches Athena.
  const before = srv.requests.length;
  await assert.rejects(importAthena(c.store, c.signer, 'athena:trail_db.x"; DROP', opts(srv)), /is not an Athena database or table name/);
  await assert.rejects(importAthena(c.store, c.signer, 'athena:', opts(srv)), /athena: needs the table/);
  await assert.rejects(importAthena(c.store, c.signer, TABLE, opts(srv, { outputLocation: 'http://x' })), /--output .* is not an s3:\/\/BUCKET/);
  assert.equal(srv.requests.length, before);
  // A workgroup without a result location and no --output: Athena's error, with what to do.
  const noOut = await athenaServer({ workgroupOutput: null });
  await assert.rejects(importAthena(c.store, c.signer, TABLE, opts(noOut)), /No output location provided.*give --output s3:\/\/BUCKET\/PREFIX\//);
  const v = verifyCase(c.store);
  assert.equal(v.ok, true, JSON.stringify(v.problems));
});

test('throttling (ThrottlingException, TooManyRequestsException) is retried', async () => {
  const srv = await athenaServer({
    fault: (r) =>
      r.op === 'GetQueryExecution' && r.n <= 2 ? { kind: 'throttle' } : r.op === 'GetQueryResults' && r.n <= 2 ? { kind: 'too-many-requests' } : r.op === 'StartQueryExecution' && r.n === 1 ? { kind: 'drop' } : undefined,
  });
  const c = newCase();
  const sum = await importAthena(c.store, c.signer, TABLE, opts(srv, { sql: `SELECT "$path", count(*) AS events FROM cloudtrail_logs WHERE region = 'us-east-2' AND account = '${B}' GROUP BY "$path"` }));
  assert.equal(srv.statements().length, 1, 'the start retried after a dropped response ran the query once (same ClientRequestToken)');
  assert.equal(ops(srv, 'StartQueryExecution').length, 2);
  assert.equal(new Set(ops(srv, 'StartQueryExecution').map((r) => r.body.ClientRequestToken)).size, 1);
  assert.ok(ops(srv, 'GetQueryResults').length >= 3);
  const want = [...new Set(records.filter((x) => x.account === B).map((x) => x.key))].sort();
  assert.deepEqual(objectKeys(c, 'log'), want);
  assert.ok(sum.objects > want.length);
  assert.equal(verifyCase(c.store).ok, true);
});

test('cancelled while the query runs: the query is stopped, the case stays valid, the next run starts a new query', async () => {
  const ac = new AbortController();
  const srv = await athenaServer({
    runningPolls: 1_000_000,
    fault: (r) => {
      if (r.op === 'GetQueryExecution' && r.n === 3) ac.abort();
      return undefined;
    },
  });
  const c = newCase();
  await assert.rejects(importAthena(c.store, c.signer, TABLE, opts(srv, { signal: ac.signal })), /cancelled/);
  assert.equal(ops(srv, 'StopQueryExecution').length, 1);
  assert.equal(ops(srv, 'StopQueryExecution')[0].body.QueryExecutionId, ops(srv, 'GetQueryExecution')[0].body.QueryExecutionId);
  const abandoned = JSON.parse((c.store.db.prepare("SELECT details FROM custody WHERE action = 'acquire.athena.abandoned'").get() as { details: string }).details);
  assert.deepEqual([abandoned.state, abandoned.stopped], ['CANCELLED', true]);
  assert.ok(c.store.db.prepare("SELECT 1 FROM custody WHERE action = 'import.cancelled'").get(), 'the import is recorded as cancelled');
  assert.equal(verifyCase(c.store).ok, true);
  srv.setFault(undefined);
  await assert.rejects(importAthena(c.store, c.signer, TABLE, opts(srv, { maxWaitMs: 0 })), /still QUEUED after \d+ s; run the same import again to continue with it$/);
  assert.equal(srv.statements().length, 2, 'a cancelled query is not continued');
});

test('interrupted after the query: the same query and its pages are used; interrupted during the objects: the rest are fetched', async () => {
  const srv = await athenaServer({ fault: (r) => (r.op === 'GetQueryResults' && r.n >= 2 ? { kind: 'drop' } : undefined) });
  const c = newCase();
  const o = opts(srv, { pageSize: 2, retry: { attempts: 2, baseMs: 1, capMs: 2 } });
  await assert.rejects(importAthena(c.store, c.signer, TABLE, o), /GetQueryResults [0-9a-f-]+ page 2: connection at http:\/\/127\.0\.0\.1:\d+ failed/);
  assert.equal(objectKeys(c).length, 0);
  assert.equal(verifyCase(c.store).ok, true);
  srv.setFault(undefined);

  // Objects through a proxy that drops the connection on the third log object.
  const proxy: CloudTrailServer = await startCloudTrailServer({ proxyTo: s3.endpoint, identity: IDENTITY });
  servers.push(proxy);
  let gets = 0;
  proxy.setFault((r) => (r.service === 's3' && r.method === 'GET' && /_CloudTrail_.*\.json\.gz$/.test(r.op) && ++gets >= 3 ? { kind: 'drop' } : undefined));
  await assert.rejects(importAthena(c.store, c.signer, TABLE, { ...o, s3EndpointUrl: proxy.url, concurrency: 1 }), /connection .*failed/);
  assert.equal(ops(srv, 'StartQueryExecution').length, 1, 'no new query: the interrupted one continues');
  const pagesAfter2 = c.store.db.prepare("SELECT json_extract(origin_meta, '$.page') AS p FROM evidence WHERE json_extract(origin_meta, '$.api') = 'GetQueryResults' ORDER BY 1").all() as { p: number }[];
  assert.deepEqual(pagesAfter2.map((x) => x.p), pagesAfter2.map((_, i) => i + 1), 'pages continue from the preserved token, none twice');
  const partial = objectKeys(c).length;
  assert.ok(partial > 0);
  assert.equal(verifyCase(c.store).ok, true);

  proxy.setFault(undefined);
  const served = ops(srv, 'GetQueryResults').length;
  const before = proxy.requests.length;
  await importAthena(c.store, c.signer, TABLE, { ...o, s3EndpointUrl: proxy.url });
  assert.equal(ops(srv, 'StartQueryExecution').length, 1);
  assert.equal(ops(srv, 'GetQueryResults').length, served, 'the preserved pages are used, not fetched again');
  const refetched = proxy.requests.slice(before).filter((r) => r.method === 'GET' && /\.json\.gz$/.test(r.op)).map((r) => r.op);
  assert.ok(refetched.length > 0 && refetched.length < objectKeys(c).length, `${refetched.length} fetched, ${objectKeys(c).length} in the case`);
  const want = expectedLogs(() => true);
  assert.deepEqual(objectKeys(c, 'log'), want);
  assert.equal(verifyCase(c.store).ok, true);

  // Done: the same import again runs a new query (new objects may exist) and downloads nothing already held.
  await importAthena(c.store, c.signer, TABLE, { ...o, s3EndpointUrl: proxy.url });
  assert.equal(ops(srv, 'StartQueryExecution').length, 2);

  // Athena forgot the query of an interrupted run (history expired): it is run again.
  const c2 = newCase();
  srv.setFault((r) => (r.op === 'GetQueryResults' ? { kind: 'drop' } : undefined));
  await assert.rejects(importAthena(c2.store, c2.signer, TABLE, o));
  srv.setFault(undefined);
  srv.forgetQueries();
  await importAthena(c2.store, c2.signer, TABLE, o);
  assert.match((c2.store.db.prepare("SELECT message FROM warnings WHERE code = 'resume-expired'").get() as { message: string }).message, /was not found/);
  assert.deepEqual(objectKeys(c2, 'log'), want);
  assert.equal(verifyCase(c2.store).ok, true);
  // The query is known but its results are gone (the result location's lifecycle): it is run again too.
  const c3 = newCase();
  srv.setFault((r) => (r.op === 'GetQueryResults' && r.body.NextToken ? { kind: 'drop' } : undefined));
  await assert.rejects(importAthena(c3.store, c3.signer, TABLE, o));
  srv.setFault(undefined);
  srv.forgetResults();
  const starts = ops(srv, 'StartQueryExecution').length;
  await importAthena(c3.store, c3.signer, TABLE, o);
  assert.equal(ops(srv, 'StartQueryExecution').length, starts + 1);
  assert.match((c3.store.db.prepare("SELECT message FROM warnings WHERE code = 'resume-expired'").get() as { message: string }).message, /results of query .* are no longer available .*NoSuchKey/);
  assert.deepEqual(objectKeys(c3, 'log'), want);
  assert.equal(verifyCase(c3.store).ok, true);
});

const ath = (srv: AthenaServer) => srv.requests.filter((r) => r.service === 'athena').length;

test('CLI: trailcase import athena: with --endpoint-url and --s3-endpoint-url, then validate and verify', async () => {
  const srv = await athenaServer();
  const home = join(dir, 'cli');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    TRAILCASE_HOME: join(home, 'tc'),
    TRAILCASE_PASSPHRASE: 'cli-passphrase-1',
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const cli = join(import.meta.dirname, '../../../electron/cli/trailcase.js');
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  assert.equal((await run(['keygen', '--examiner', 'CLI Examiner'])).code, 0);
  const casePath = join(home, 'a.trailcase');
  assert.equal((await run(['new', casePath, '--title', 'Athena CLI'])).code, 0);
  // The statement can be read before anything is run (or billed).
  const preview = await run(['athena-sql', casePath, TABLE, '--since', SCOPE.since, '--account', A, '--partitions', 'timestamp']);
  assert.equal(preview.code, 0, preview.stderr);
  assert.match(preview.stdout, /^SELECT "\$path", count\(\*\) AS events\nFROM "trail_db"\."cloudtrail_logs"\nWHERE "timestamp" >= '2024\/03\/01'\n  AND eventtime >= '2024-03-01T01:00:00Z'\n  AND recipientaccountid = '111122223333'\n/);
  assert.match(preview.stdout, /\n-- filters: since 2024-03-01T01:00:00Z; accounts 111122223333\n$/);
  assert.equal(ath(srv), 0, 'nothing sent to Athena');
  const badTable = await run(['athena-sql', casePath, 'athena:db.t;x']);
  assert.notEqual(badTable.code, 0);
  assert.match(badTable.stderr, /athena: "db\.t;x" is not DATABASE\.TABLE|is not an Athena database or table name/);
  const r = await run([
    'import', casePath, TABLE,
    '--since', SCOPE.since, '--until', SCOPE.until, '--account', A, '--region', 'us-east-2',
    '--endpoint-url', srv.url, '--s3-endpoint-url', s3.endpoint, '--public-keys', keysFile, '--workgroup', 'primary',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Athena query [0-9a-f-]+: scanned .* estimated cost \$[\d.]+ at \$5\/TB/);
  assert.match(r.stderr, /Athena acquisition: \d+ log objects chosen/);
  assert.match(r.stdout, /^Import \d+: \d+ objects/);
  const val = await run(['validate', casePath]);
  assert.equal(val.code, 0, val.stdout + val.stderr);
  const ver = await run(['verify', casePath]);
  assert.equal(ver.code, 0, ver.stdout + ver.stderr);
  const ddl = await run(['athena-table', '--bucket', bucket, '--prefix', 'org', '--accounts', `${A},${B}`, '--regions', 'us-east-2,eu-west-1']);
  assert.equal(ddl.code, 0, ddl.stderr);
  assert.match(ddl.stdout, new RegExp(`'storage.location.template'='s3://${bucket}/org/AWSLogs/\\$\\{account\\}/CloudTrail/\\$\\{region\\}/\\$\\{timestamp\\}'`));
  const bad = await run(['athena-table', '--bucket', bucket, '--accounts', "1234' OR", '--regions', 'us-east-2']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--accounts "1234' OR" is not a 12-digit account ID/);
});
