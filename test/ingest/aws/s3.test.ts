// S3 acquisition against a real S3-protocol server (s3rver, child process on
// 127.0.0.1) with the real @aws-sdk/client-s3, behind the loopback endpoint
// that also answers STS and CloudTrail (one --endpoint-url for the whole
// import). Fixtures are signed trails from test/support/cloudtrail-signer.ts.
// Covers: scoping, provenance, >1000 keys under one prefix, interruption and
// resume, an altered log, a missing digest hour, a broken signature, a wrong
// key, a folder copy without signatures, and the faults of a real bucket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import '../../../electron/ingest/aws/index.ts';
import { importS3, type S3ImportOptions } from '../../../electron/ingest/aws/s3-source.ts';
import { validateCase } from '../../../electron/ingest/aws/validation.ts';
import { importPublicKeysFile } from '../../../electron/ingest/aws/public-keys-store.ts';
import { importPaths } from '../../../electron/ingest/import-files.ts';
import { verifyCase, verifyExitCode } from '../../../electron/case/verify.ts';
import { generateSigningKey, generateTrail, writeTrailToFolder, type SigningKey, type Trail } from '../../support/cloudtrail-signer.ts';
import { startCloudTrailServer, type CloudTrailServer, type Fault, type RequestInfo } from '../../support/cloudtrail-server.ts';
import { startS3, type S3Server } from '../../support/s3.ts';
import { tempCase, tempDir, type TempCase } from '../../support/case.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const IDENTITY = { Account: '999988887777', Arn: 'arn:aws:iam::999988887777:role/ir-acquisition', UserId: 'AROAEXAMPLE:examiner' };
let s3: S3Server;
let ep: CloudTrailServer;
let key: SigningKey;
const cases: TempCase[] = [];

function newCase(): TempCase {
  const c = tempCase('S3 acquisition');
  cases.push(c);
  return c;
}

function opts(extra: Partial<S3ImportOptions> = {}): S3ImportOptions {
  return { endpointUrl: ep.url, credentials: s3.credentials, region: s3.region, retry: { baseMs: 1, capMs: 5 }, ...extra };
}

async function upload(trail: Trail, bucket: string): Promise<void> {
  await s3.createBucket(bucket);
  await s3.put(bucket, trail.files);
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function results(c: TempCase): Map<string, string> {
  const m = new Map<string, string>();
  for (const o of validateCase(c.store).objects) m.set(o.key, o.result);
  return m;
}

const gets = (rs: RequestInfo[]) => rs.filter((r) => r.service === 's3' && r.method === 'GET' && !r.path.includes('list-type') && !r.path.includes('delimiter') && /\.json(\.gz)?(\?|$)/.test(r.path));
const lists = (rs: RequestInfo[]) => rs.filter((r) => r.service === 's3' && r.method === 'GET' && r.path.includes('list-type=2'));

before(async () => {
  s3 = await startS3();
  key = generateSigningKey();
  // Keys for every trail below (all signed with `key`), as list-public-keys would give them.
  const keyList = generateTrail({ hours: 1, key, seed: 99 }).publicKeys;
  ep = await startCloudTrailServer({ proxyTo: s3.endpoint, identity: IDENTITY, publicKeys: keyList });
});

after(async () => {
  for (const c of cases) c.cleanup();
  await ep?.close();
  await s3?.close();
});

test('scoped acquisition: only the needed prefixes, provenance per object, keys captured, everything validates', async () => {
  const bucket = s3.bucketName('scoped-trail');
  const target = generateTrail({ key, bucket, prefix: 'org/prod', account: '111122223333', region: 'us-east-2', hours: 4, seed: 1 });
  const otherAccount = generateTrail({ key, bucket, prefix: 'org/prod', account: '444455556666', region: 'us-east-2', hours: 2, seed: 2 });
  const otherRegion = generateTrail({ key, bucket, prefix: 'org/prod', account: '111122223333', region: 'eu-west-1', hours: 2, seed: 3 });
  const later = generateTrail({ key, bucket, prefix: 'org/prod', account: '111122223333', region: 'us-east-2', start: '2024-03-20T00:07:13Z', hours: 2, seed: 4 });
  await s3.createBucket(bucket);
  for (const t of [target, otherAccount, otherRegion, later]) await s3.put(bucket, t.files);
  const c = newCase();
  const before = ep.requests.length;
  const progress: string[] = [];
  const sum = await importS3(c.store, c.signer, `s3://${bucket}/org/prod`, opts({
    accounts: ['111122223333'],
    regions: ['us-east-2'],
    since: '2024-03-01T00:00:00Z',
    until: '2024-03-01T04:00:00Z',
    onProgress: (p) => progress.push(`${p.phase} ${p.done}/${p.total}`),
  }));
  const reqs = ep.requests.slice(before);
  // Listings stay inside the scope: no other account, no other Region, no March 20.
  for (const r of lists(reqs)) {
    const prefix = decodeURIComponent(/prefix=([^&]*)/.exec(r.path)?.[1] ?? '');
    assert.ok(!prefix.includes('444455556666'), prefix);
    assert.ok(!prefix.includes('eu-west-1'), prefix);
    assert.ok(!prefix.includes('2024/03/20'), prefix);
  }
  assert.equal(sum.objects, target.files.length + 1, 'all objects of the scope + the ListPublicKeys page');
  assert.equal(sum.events, 4 * 2 * 3);
  assert.equal(gets(reqs).length, target.files.length);
  assert.ok(progress.some((p) => p === `download ${target.files.length}/${target.files.length}`), 'progress.some((p) => p === `download ${target.files.length}/${target.files.length}`)');

  // Provenance: original bytes, S3 identity and caller per object.
  const rows = c.store.db.prepare("SELECT * FROM evidence WHERE kind = 's3-object' ORDER BY id").all() as any[];
  assert.equal(rows.length, target.files.length);
  const byKey = new Map(target.files.map((f) => [f.key, f]));
  for (const r of rows) {
    const m = JSON.parse(r.origin_meta);
    const f = byKey.get(m.key)!;
    assert.ok(f, m.key);
    assert.equal(r.origin, `s3://${bucket}/${f.key}`);
    assert.equal(r.sha256, sha(f.bytes));
    assert.equal(m.size, f.bytes.length);
    assert.match(m.etag, /^"[0-9a-f]{32}"$/);
    assert.ok(m.lastModified, 'm.lastModified');
    assert.ok('versionId' in m, '\'versionId\' in m');
    assert.deepEqual(m.callerIdentity, { account: IDENTITY.Account, arn: IDENTITY.Arn, userId: IDENTITY.UserId });
    if (f.kind === 'digest') {
      assert.equal(m.metadata.signature, f.metadata.signature);
      assert.equal(m.metadata['signature-algorithm'], 'SHA256withRSA');
      assert.equal(r.format, 'cloudtrail-digest');
    } else assert.equal(r.format, 'cloudtrail-s3');
  }
  const keysPage = c.store.db.prepare("SELECT origin, origin_meta FROM evidence WHERE kind = 'api-page'").get() as any;
  assert.match(keysPage.origin, /^cloudtrail:ListPublicKeys\?region=us-east-2/);
  assert.equal(JSON.parse(keysPage.origin_meta).keys[0].fingerprint, key.fingerprint);
  const custody = c.store.db.prepare('SELECT action, details FROM custody ORDER BY seq').all() as any[];
  assert.ok(custody.some((x) => x.action === 'acquire.identity' && JSON.parse(x.details).callerIdentity.arn === IDENTITY.Arn), 'custody.some((x) => x.action === \'acquire.identity\' && JSON.parse(x.details).callerIdentity.arn === ');
  // No credential ever reaches the case.
  const dump = JSON.stringify([custody, c.store.db.prepare('SELECT origin_meta FROM evidence').all(), c.store.db.prepare('SELECT params FROM imports').all()]);
  for (const secret of [s3.credentials.secretAccessKey, s3.credentials.accessKeyId]) assert.ok(!dump.includes(secret), 'a credential reached the case');

  const v = verifyCase(c.store);
  assert.equal(v.ok, true, JSON.stringify(v.problems));
  assert.equal(v.sourceValidation.length, target.files.length);
  assert.ok(v.sourceValidation.every((s) => s.result === 'valid'), JSON.stringify(v.sourceValidation.filter((s) => s.result !== 'valid')));
  assert.equal(verifyExitCode(v), 0);

  // Running it again downloads nothing: every object is in the case by key + ETag.
  const b2 = ep.requests.length;
  const again = await importS3(c.store, c.signer, `s3://${bucket}/org/prod`, opts({ accounts: ['111122223333'], regions: ['us-east-2'], since: '2024-03-01T00:00:00Z', until: '2024-03-01T04:00:00Z' }));
  assert.equal(gets(ep.requests.slice(b2)).length, 0);
  assert.equal(again.objects, 0);
  assert.equal(again.skippedObjects, target.files.length + 1);
});

test('open time ranges walk year/month/day folders, pruned; organization trails are found under AWSLogs/o-*/', async () => {
  const bucket = s3.bucketName('open-range');
  const old = generateTrail({ key, bucket, start: '2023-11-30T22:07:13Z', hours: 3, seed: 14 });
  const recent = generateTrail({ key, bucket, start: '2024-02-29T23:07:13Z', hours: 2, seed: 15 });
  await s3.createBucket(bucket);
  await s3.put(bucket, [...old.files, ...recent.files]);
  const c = newCase();
  const before = ep.requests.length;
  const sum = await importS3(c.store, c.signer, `s3://${bucket}`, opts({ since: '2024-01-01T00:00:00Z' }));
  assert.equal(sum.events, 2 * 2 * 3);
  assert.equal(sum.objects, recent.files.length + 1);
  const listed = lists(ep.requests.slice(before)).map((r) => decodeURIComponent(/prefix=([^&]*)/.exec(r.path)?.[1] ?? ''));
  // Only the days next to the start of the range are entered (the window reaches back a little for the digest chain).
  assert.ok(!listed.some((p) => p.includes('/2023/11/') || p.includes('/2023/12/01/')), listed.filter((p) => p.includes('/2023/')).join(' '));
  assert.ok(listed.some((p) => p.includes('/2024/02/29/')), 'the days in range are listed');
  assert.equal(validateCase(c.store).failures, 0);
  // No range at all: everything.
  const c2 = newCase();
  assert.equal((await importS3(c2.store, c2.signer, `s3://${bucket}`, opts())).events, 5 * 2 * 3);

  // Organization trail layout: AWSLogs/<org-id>/<account>/CloudTrail/...
  const org = s3.bucketName('org-trail');
  await s3.createBucket(org);
  const members = [generateTrail({ key, bucket: org, account: '111122223333', hours: 1, seed: 16 }), generateTrail({ key, bucket: org, account: '444455556666', hours: 1, seed: 17 })];
  await s3.put(org, members.flatMap((t) => t.files.map((f) => ({ ...f, key: f.key.replace('AWSLogs/', 'AWSLogs/o-abcdefghij/') }))));
  const c3 = newCase();
  const s3sum = await importS3(c3.store, c3.signer, `s3://${org}`, opts({ accounts: ['444455556666'], since: '2024-03-01T00:00:00Z', until: '2024-03-01T01:00:00Z' }));
  assert.equal(s3sum.events, 2 * 3);
  const keys = (c3.store.db.prepare("SELECT json_extract(origin_meta, '$.key') AS k FROM evidence WHERE kind = 's3-object'").all() as { k: string }[]).map((r) => r.k);
  assert.ok(keys.length === 3 && keys.every((k) => k.startsWith('AWSLogs/o-abcdefghij/444455556666/')), keys.join(' '));
});

test('more than 1,000 keys under one date prefix: listing pages through all of them', async () => {
  const bucket = s3.bucketName('many-keys');
  const trail = generateTrail({ key, bucket, hours: 1, logsPerHour: 1010, eventsPerLog: 1, seed: 5 });
  await upload(trail, bucket);
  const c = newCase();
  const before = ep.requests.length;
  const sum = await importS3(c.store, c.signer, `s3://${bucket}`, opts({ since: '2024-03-01T00:00:00Z', until: '2024-03-01T01:00:00Z' }));
  const dayLists = lists(ep.requests.slice(before)).filter((r) => r.path.includes(encodeURIComponent('CloudTrail/us-east-2/2024/03/01/')) || r.path.includes('CloudTrail%2Fus-east-2%2F2024%2F03%2F01%2F'));
  assert.ok(dayLists.length >= 2, `expected a continued listing, got ${dayLists.length}`);
  assert.equal(sum.events, 1010);
  const r = validateCase(c.store);
  assert.equal(r.counts.valid, 1011);
  assert.equal(r.failures, 0);
});

test('interrupted by a dropped connection, then resumed: nothing lost, nothing twice, all valid', async () => {
  const bucket = s3.bucketName('interrupted');
  const trail = generateTrail({ key, bucket, hours: 6, logsPerHour: 2, eventsPerLog: 2, seed: 6 });
  await upload(trail, bucket);
  const c = newCase();
  let getsSeen = 0;
  ep.setFault((r) => {
    if (r.service === 's3' && r.method === 'GET' && /\.json\.gz$/.test(r.path.split('?')[0])) {
      getsSeen++;
      if (getsSeen > 5) return { kind: 'drop' } as Fault;
    }
    return undefined;
  });
  let msg = '';
  try {
    await importS3(c.store, c.signer, `s3://${bucket}`, opts({ concurrency: 2, since: '2024-03-01T00:00:00Z', until: '2024-03-01T06:00:00Z' }));
  } catch (e) {
    msg = (e as Error).message;
  } finally {
    ep.setFault(undefined);
  }
  assert.match(msg, new RegExp(`^s3://${bucket}/AWSLogs/111122223333/CloudTrail.*: connection at ${ep.url.replace(/[.]/g, '\\.')} failed .*continues where it stopped`));
  const part = (c.store.db.prepare("SELECT count(*) AS n FROM evidence WHERE kind = 's3-object'").get() as { n: number }).n;
  assert.ok(part >= 1 && part <= 5, `partial acquisition holds ${part} objects`);
  // What was acquired is valid and signed.
  const v1 = verifyCase(c.store);
  assert.equal(v1.ok, true, JSON.stringify(v1.problems));
  assert.ok(v1.sourceValidation.every((s) => s.result === 'valid' || s.result === 'digest-missing'), JSON.stringify(v1.sourceValidation));
  assert.equal(verifyExitCode(v1), 0);
  const actions = (c.store.db.prepare('SELECT action FROM custody ORDER BY seq').all() as { action: string }[]).map((x) => x.action);
  assert.equal(actions.filter((a) => a === 'import.failed').length, 1);

  const sum = await importS3(c.store, c.signer, `s3://${bucket}`, opts({ since: '2024-03-01T00:00:00Z', until: '2024-03-01T06:00:00Z' }));
  assert.equal(sum.skippedObjects, part + 1, 'objects of the first run (and its key page) skipped');
  assert.equal(sum.objects, trail.files.length - part);
  assert.equal((c.store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 6 * 2 * 2);
  assert.equal((c.store.db.prepare("SELECT count(*) AS n FROM evidence WHERE kind = 's3-object'").get() as { n: number }).n, trail.files.length);
  const v2 = verifyCase(c.store);
  assert.equal(v2.ok, true);
  assert.ok(v2.sourceValidation.every((s) => s.result === 'valid'), JSON.stringify(v2.sourceValidation.filter((s) => s.result !== 'valid')));
  assert.equal(verifyExitCode(v2), 0);
});

test('CloudTrail validation on acquired copies: altered log, missing digest hour, broken signature, wrong key, unknown key', async () => {
  const bucket = s3.bucketName('tampered');
  const scenarios = {
    altered: generateTrail({ key, bucket, prefix: 'altered', hours: 3, seed: 7, alterLogs: [{ hour: 1, index: 0 }] }),
    dropped: generateTrail({ key, bucket, prefix: 'dropped', hours: 4, seed: 8, dropDigestHours: [2] }),
    badsig: generateTrail({ key, bucket, prefix: 'badsig', hours: 3, seed: 9, breakSignatureHours: [1] }),
    wrongkey: generateTrail({ key, bucket, prefix: 'wrongkey', hours: 3, seed: 10, wrongKeyHours: [2] }),
    unknownkey: generateTrail({ key, bucket, prefix: 'unknownkey', hours: 3, seed: 11, unknownKeyHours: [1] }),
  };
  await s3.createBucket(bucket);
  for (const t of Object.values(scenarios)) await s3.put(bucket, t.files);
  const run = async (name: keyof typeof scenarios) => {
    const c = newCase();
    await importS3(c.store, c.signer, `s3://${bucket}/${name}`, opts({ since: '2024-03-01T00:00:00Z', until: '2024-03-01T04:00:00Z' }));
    const v = verifyCase(c.store);
    assert.equal(v.ok, true, `${name}: the case itself is intact`);
    return { c, v, res: results(c), trail: scenarios[name] };
  };

  {
    const { v, res, trail } = await run('altered');
    const altered = trail.hours[1].logKeys[0];
    assert.equal(res.get(altered), 'hash-mismatch');
    assert.equal([...res.values()].filter((x) => x !== 'valid').length, 1);
    assert.equal(verifyExitCode(v), 3);
    assert.match(v.sourceValidation.find((s) => s.result === 'hash-mismatch')!.origin, new RegExp(`${altered.replace(/[.]/g, '\\.')}$`));
  }
  {
    const { v, res, trail } = await run('dropped');
    for (const k of trail.hours[2].logKeys) assert.equal(res.get(k), 'digest-missing', k);
    assert.equal(res.get(trail.hours[3].digestKey), 'digest-missing', 'the digest after the gap');
    assert.equal(res.get(trail.hours[1].digestKey), 'valid');
    // A gap is a warning: the case and every present file validate.
    assert.equal(verifyExitCode(v), 0);
  }
  {
    const { v, res, trail } = await run('badsig');
    assert.equal(res.get(trail.hours[1].digestKey), 'digest-signature-invalid');
    for (const k of trail.hours[1].logKeys) assert.equal(res.get(k), 'digest-signature-invalid');
    assert.equal(res.get(trail.hours[0].digestKey), 'valid');
    assert.equal(verifyExitCode(v), 3);
  }
  {
    const { v, res, trail } = await run('wrongkey');
    assert.equal(res.get(trail.hours[2].digestKey), 'digest-signature-invalid');
    assert.equal(verifyExitCode(v), 3);
  }
  {
    const { v, res, trail } = await run('unknownkey');
    assert.equal(res.get(trail.hours[1].digestKey), 'no-public-key');
    for (const k of trail.hours[1].logKeys) assert.equal(res.get(k), 'no-public-key');
    assert.equal(verifyExitCode(v), 0, 'a missing key is a warning');
  }
});

test('a folder from aws s3 sync validates hashes and chain without signatures; the S3 copy adds them', async () => {
  const bucket = s3.bucketName('synced');
  const trail = generateTrail({ key, bucket, hours: 3, seed: 12 });
  await upload(trail, bucket);
  const c = newCase();
  const dir = tempDir('trailcase-sync-');
  await writeTrailToFolder(trail.files, join(dir, 'copy'));
  const keysFile = join(dir, 'keys.json');
  writeFileSync(keysFile, trail.publicKeys);
  await importPaths(c.store, c.signer, { sources: [join(dir, 'copy')] });
  // Without keys: hashes and chain checked; nothing can be said of signatures.
  let res = results(c);
  assert.equal(res.size, trail.files.length);
  const last = trail.hours[2];
  for (const [k, r] of res) {
    const inLastHour = k === last.digestKey || last.logKeys.includes(k);
    assert.equal(r, inLastHour ? 'signature-unavailable' : 'no-public-key', k);
  }
  let v = verifyCase(c.store);
  assert.equal(verifyExitCode(v), 0);
  // With the keys: each digest's signature is its successor's previousDigestSignature; the newest has none.
  importPublicKeysFile(c.store, c.signer, keysFile);
  res = results(c);
  for (const [k, r] of res) {
    const inLastHour = k === last.digestKey || last.logKeys.includes(k);
    assert.equal(r, inLastHour ? 'signature-unavailable' : 'valid', k);
  }
  v = verifyCase(c.store);
  assert.equal(verifyExitCode(v), 0);
  assert.match(v.sourceValidation.find((s) => s.origin.endsWith(last.digestKey))!.detail!, /signatures were unavailable/);

  // The same objects from S3: bytes already preserved, their S3 identity (with the signature) recorded in custody.
  const sum = await importS3(c.store, c.signer, `s3://${bucket}`, opts({ publicKeysFile: keysFile, since: '2024-03-01T00:00:00Z', until: '2024-03-01T03:00:00Z' }));
  assert.equal(sum.skippedObjects, trail.files.length + 1, 'every object and the key file were already in the case');
  res = results(c);
  assert.ok([...res.values()].every((x) => x === 'valid'), JSON.stringify([...res]));
  v = verifyCase(c.store);
  assert.equal(v.ok, true);
  assert.equal(verifyExitCode(v), 0);
});

test('faults: not a CloudTrail bucket, a non-CloudTrail object, access denied, credentials expiring mid-run', async () => {
  // Not a CloudTrail location.
  const plain = s3.bucketName('holiday-photos');
  await s3.createBucket(plain);
  await s3.put(plain, [{ key: 'photos/beach.jpg', bytes: Buffer.from('JFIF') }, { key: 'notes.txt', bytes: Buffer.from('hello') }]);
  const c1 = newCase();
  await assert.rejects(importS3(c1.store, c1.signer, `s3://${plain}`, opts()), (e: Error) => {
    assert.match(e.message, new RegExp(`^s3://${plain}/: not a CloudTrail location: no AWSLogs/ folder \\(it holds photos/, notes\\.txt\\)`));
    return true;
  });
  assert.equal(verifyCase(c1.store).ok, true);
  assert.ok((c1.store.db.prepare("SELECT 1 FROM custody WHERE action = 'import.failed'").get()), '(c1.store.db.prepare("SELECT 1 FROM custody WHERE action = \'import.failed\'").get())');

  // An object that is not CloudTrail JSON in a CloudTrail folder: preserved, reported, the rest imported.
  const mixed = s3.bucketName('mixed');
  const trail = generateTrail({ key, bucket: mixed, hours: 1, seed: 13 });
  await upload(trail, mixed);
  const junkKey = trail.hours[0].logKeys[0].replace(/_[A-Za-z0-9]+\.json\.gz$/, '_JUNKJUNKJUNKJUNK.json.gz');
  await s3.client.send(new PutObjectCommand({ Bucket: mixed, Key: junkKey, Body: Buffer.from('<html>not json</html>') }));
  const c2 = newCase();
  const s2 = await importS3(c2.store, c2.signer, `s3://${mixed}`, opts({ since: '2024-03-01T00:00:00Z', until: '2024-03-01T01:00:00Z' }));
  assert.equal(s2.events, 2 * 3);
  const w = c2.store.db.prepare("SELECT origin, message FROM warnings WHERE code = 'not-cloudtrail-object'").all() as any[];
  assert.equal(w.length, 1);
  assert.equal(w[0].origin, `s3://${mixed}/${junkKey}`);
  // Named like a log file but not gzip or JSON: CloudTrail validation fails it.
  assert.equal(results(c2).get(junkKey), 'bad-gzip');

  // Access denied on listing: one message naming what failed; the case stays valid.
  const c3 = newCase();
  ep.setFault((r) => (r.service === 's3' && r.path.includes('list-type=2') ? { kind: 'status', status: 403, code: 'AccessDenied', message: 'Access Denied' } : undefined));
  try {
    await assert.rejects(importS3(c3.store, c3.signer, `s3://${mixed}`, opts()), (e: Error) => {
      assert.match(e.message, /^listing s3:\/\/[^ ]+\/AWSLogs\/: access denied \(AccessDenied \(HTTP 403\): Access Denied\)/);
      return true;
    });
  } finally {
    ep.setFault(undefined);
  }
  assert.equal(verifyCase(c3.store).ok, true);

  // Credentials that stop refreshing mid-run; fresh credentials continue where it stopped.
  const c4 = newCase();
  let calls = 0;
  const expiring = async () => {
    calls++;
    if (calls > 24) throw Object.assign(new Error('Token is expired. To refresh this SSO session run aws sso login'), { name: 'CredentialsProviderError' });
    return { ...s3.credentials, expiration: new Date(Date.now() + 1000) };
  };
  await assert.rejects(importS3(c4.store, c4.signer, `s3://${mixed}`, opts({ credentials: expiring, concurrency: 1, since: '2024-03-01T00:00:00Z', until: '2024-03-01T01:00:00Z' })), (e: Error) => {
    assert.match(e.message, /AWS credentials are missing, invalid or expired \(CredentialsProviderError: Token is expired/);
    return true;
  });
  assert.equal(verifyCase(c4.store).ok, true);
  const got = (c4.store.db.prepare("SELECT count(*) AS n FROM evidence WHERE kind = 's3-object'").get() as { n: number }).n;
  assert.ok(got >= 1 && got < trail.files.length, `expired mid-run after ${got} objects`);
  const s4 = await importS3(c4.store, c4.signer, `s3://${mixed}`, opts({ since: '2024-03-01T00:00:00Z', until: '2024-03-01T01:00:00Z' }));
  assert.equal(s4.objects + got, trail.files.length + 1, 'every object (and the junk one) exactly once; the key page of the first run is not fetched twice');
  assert.equal(s4.skippedObjects, got + 1);
});
