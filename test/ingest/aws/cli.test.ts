// The acquisition CLI end to end (README.md, "Acquisition from AWS"): `trailcase import CASE s3://...`
// with credentials from the environment through the standard provider chain
// and --endpoint-url for every call; `verify` exit 3 naming the failing
// object; `validate`; `public-keys`; `lake-sql`; one-line errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTrail, generateSigningKey } from '../../support/cloudtrail-signer.ts';
import { startCloudTrailServer, type CloudTrailServer } from '../../support/cloudtrail-server.ts';
import { startS3, type S3Server } from '../../support/s3.ts';
import { tempDir } from '../../support/case.ts';
import { rmSync } from 'node:fs';

const CLI = join(import.meta.dirname, '../../../electron/cli/trailcase.js');
let s3: S3Server;
let ep: CloudTrailServer;
let dir: string;
let env: NodeJS.ProcessEnv;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const key = generateSigningKey();
const trail = generateTrail({ key, bucket: 'cli-trail', hours: 3, seed: 31, alterLogs: [{ hour: 1, index: 1 }] });

before(async () => {
  s3 = await startS3();
  await s3.createBucket(s3.bucketName('cli-trail'));
  await s3.put(s3.bucketName('cli-trail'), trail.files);
  ep = await startCloudTrailServer({ proxyTo: s3.endpoint, identity: { Account: '999988887777', Arn: 'arn:aws:iam::999988887777:user/examiner', UserId: 'AIDAEXAMPLE' }, publicKeys: trail.publicKeys });
  dir = tempDir('trailcase-acq-cli-');
  env = {
    PATH: process.env.PATH,
    HOME: dir,
    TRAILCASE_HOME: join(dir, 'home'),
    TRAILCASE_PASSPHRASE: 'cli-passphrase-1',
    // The standard chain: environment credentials (never in the case); no shared config files under this HOME.
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // The SDKs' own setting, honoured by TrailCase's retry loop: a refused connection fails after 2 attempts, not 8.
    AWS_MAX_ATTEMPTS: '2',
  };
  assert.equal((await run(['keygen', '--examiner', 'CLI Examiner'])).code, 0);
});

after(async () => {
  await ep?.close();
  await s3?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('import s3:// from the CLI, then verify exits 3 naming the altered object, validate details it', async () => {
  const c = join(dir, 'a.trailcase');
  assert.equal((await run(['new', c, '--title', 'CLI'])).code, 0);
  const imp = await run(['import', c, `s3://${s3.bucketName('cli-trail')}`, '--endpoint-url', ep.url, '--since', '2024-03-01T00:00:00Z', '--until', '2024-03-01T03:00:00Z', '--json']);
  assert.equal(imp.code, 0, imp.stderr);
  const sum = JSON.parse(imp.stdout);
  assert.equal(sum.events, 3 * 2 * 3);
  assert.equal(sum.objects, trail.files.length + 1);
  const v = await run(['verify', c]);
  assert.equal(v.code, 3, v.stdout + v.stderr);
  assert.match(v.stdout, /^INTACT: /);
  const altered = trail.hours[1].logKeys[1];
  // Grouped by result: the failure heading, then the object it names.
  assert.match(v.stdout, /FAILED hash-mismatch: 1 object\n {4}s3:\/\//, v.stdout);
  assert.ok(v.stdout.includes(`    s3://${s3.bucketName('cli-trail')}/${altered} (`), v.stdout);
  const val = await run(['validate', c, '--json']);
  assert.equal(val.code, 3);
  const r = JSON.parse(val.stdout);
  assert.equal(r.failures, 1);
  assert.equal(r.objects[0].key, altered);
});

test('public-keys, lake-sql, and one-line errors', async () => {
  const c = join(dir, 'a.trailcase');
  writeFileSync(join(dir, 'keys.json'), trail.publicKeys);
  const pk = await run(['public-keys', c, join(dir, 'keys.json')]);
  assert.equal(pk.code, 0, pk.stderr);
  // A file of list-public-keys output is other bytes than the API response captured during the S3 import: kept too.
  assert.match(pk.stdout, /^Public keys preserved as evidence \(import \d+\)$/m);

  const sql = await run(['lake-sql', c, 'lake:arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EDS-0001', '--since', '2024-03-01T00:00:00Z', '--account', '111122223333']);
  assert.equal(sql.code, 0, sql.stderr);
  assert.match(sql.stdout, /FROM EDS-0001\nWHERE eventtime >= '2024-03-01 00:00:00\.000'\n  AND recipientaccountid = '111122223333'/);

  const bad = await run(['import', c, 's3://Not_A_Bucket/x']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /^trailcase import: error: s3:\/\/Not_A_Bucket\/x: "Not_A_Bucket" is not a valid S3 bucket name$/m);
  const refused = await run(['import', c, 'lookup:', '--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9', '--since', '2024-03-01']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^trailcase import: error: CloudTrail LookupEvents in us-east-1 \(page 1\): connection at http:\/\/127\.0\.0\.1:9 failed \(.*ECONNREFUSED.*\); run the same import again/);
});
