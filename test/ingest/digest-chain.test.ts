// validateCloudTrail on synthetic trails really signed by
// test/support/cloudtrail-signer.ts: a valid chain validates, and each
// breakage yields exactly the expected per-file results.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { after, test } from 'node:test';
import {
  parseCloudTrailKey,
  parsePublicKeys,
  validateCloudTrail,
  type DigestInput,
  type LogFileStatus,
  type LogInput,
  type ValidateInput,
  type ValidationResult,
} from '../../electron/ingest/aws/digest.ts';
import { generateSigningKey, generateTrail, trailToValidateInput, writeTrailToFolder, type Trail, type TrailOptions } from '../support/cloudtrail-signer.ts';

// One key for the file: RSA key generation is the slow part.
const KEY = generateSigningKey();
const trail = (o: TrailOptions = {}) => generateTrail({ key: KEY, ...o });

const tmpDirs: string[] = [];
after(async () => {
  for (const d of tmpDirs) await rm(d, { recursive: true, force: true });
});

/** Expected status per log key: everything 'valid' unless overridden. */
function expectLogs(t: Trail, r: ValidationResult, overrides: Record<string, LogFileStatus> = {}): void {
  const got = Object.fromEntries(r.logs.map((l) => [l.key, l.status]));
  const want: Record<string, LogFileStatus> = {};
  for (const f of t.files) if (f.kind === 'log') want[f.key] = overrides[f.key] ?? 'valid';
  for (const [k, v] of Object.entries(overrides)) want[k] = v;
  assert.deepEqual(got, want);
}

const logKey = (t: Trail, hour: number, index = 0) => t.hours[hour].logKeys[index];
const digestOf = (r: ValidationResult, t: Trail, hour: number) => {
  const d = r.digests.find((x) => x.key === t.hours[hour].digestKey);
  assert.ok(d, `digest of hour ${hour} in result`);
  return d;
};
const codes = (issues: { code: string; file: string }[]) => issues.map((i) => `${i.code} ${i.file}`).sort();

/** Read a folder as `aws s3 sync` left it: keys are paths relative to the folder, no metadata. */
async function readFolder(dir: string, publicKeys: string): Promise<ValidateInput> {
  const digests: DigestInput[] = [];
  const logs: LogInput[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        const key = relative(dir, p).split(sep).join('/');
        const kind = parseCloudTrailKey(key)?.kind;
        if (kind === 'digest') digests.push({ key, bytes: await readFile(p) });
        else logs.push({ key, bytes: await readFile(p) });
      }
    }
  };
  await walk(dir);
  return { digests, logs, publicKeys: parsePublicKeys(publicKeys, 'keys.json') };
}

test('a valid signed chain validates: every digest and log file', () => {
  const t = trail({ hours: 4, emptyHours: [2] });
  const r = validateCloudTrail(trailToValidateInput(t));
  assert.equal(r.ok, true, JSON.stringify(r.failures));
  assert.deepEqual(r.failures, []);
  assert.deepEqual(r.warnings, []);
  expectLogs(t, r);
  assert.equal(r.logs.length, 6);
  assert.deepEqual(r.digests.map((d) => [d.status, d.signature, d.signatureSource, d.chain]), [
    ['valid', 'valid', 'metadata', 'start'],
    ['valid', 'valid', 'metadata', 'ok'],
    ['valid', 'valid', 'metadata', 'ok'], // the "empty" digest
    ['valid', 'valid', 'metadata', 'ok'],
  ]);
  assert.equal(digestOf(r, t, 2).logFilesListed, 0);
  assert.equal(r.counts.logs.valid, 6);
  assert.equal(r.counts.digests.valid, 4);
  assert.deepEqual(r.validator, { name: 'cloudtrail-digest-validator', version: '1.0.0' });
  for (const l of r.logs) assert.equal(l.actualSha256, l.expectedSha256);
});

test('folder mode (aws s3 sync, no metadata): hashes and chain verified, signatures from the next digest, newest unavailable', async () => {
  const t = trail({ hours: 3, prefix: 'org/audit', region: 'eu-west-1', homeRegion: 'us-east-1' });
  const dir = await mkdtemp(join(tmpdir(), 'trailcase-digest-'));
  tmpDirs.push(dir);
  // Synced from s3://bucket/org/audit/ so the local keys start at AWSLogs/.
  await writeTrailToFolder(t.files.map((f) => ({ ...f, key: f.key.replace(/^org\/audit\//, '') })), dir);
  const r = validateCloudTrail(await readFolder(dir, t.publicKeys));
  assert.equal(r.ok, true, JSON.stringify(r.failures));
  const newest = t.hours[2];
  const localKey = (k: string) => k.replace(/^org\/audit\//, '');
  const got = Object.fromEntries(r.logs.map((l) => [l.key, l.status]));
  const want = Object.fromEntries(t.files.filter((f) => f.kind === 'log').map((f) => [localKey(f.key), f.hour === 2 ? 'signature-unavailable' : 'valid']));
  assert.deepEqual(got, want);
  const byKey = new Map(r.digests.map((d) => [d.key, d]));
  for (const h of [0, 1]) {
    const d = byKey.get(localKey(t.hours[h].digestKey))!;
    assert.equal(d.signature, 'valid');
    assert.equal(d.signatureSource, 'next-digest');
  }
  const last = byKey.get(localKey(newest.digestKey))!;
  assert.equal(last.status, 'signature-unavailable');
  assert.equal(last.chain, 'ok');
  assert.deepEqual(codes(r.warnings), [`signature-unavailable ${localKey(newest.digestKey)}`]);
  // Without the key list, every signature is "no key" but hashes and chain still hold.
  const noKeys = validateCloudTrail({ ...(await readFolder(dir, t.publicKeys)), publicKeys: [] });
  assert.equal(noKeys.ok, true);
  assert.deepEqual([...new Set(noKeys.logs.filter((l) => !l.key.includes('T03')).map((l) => l.status))].sort(), ['no-public-key', 'signature-unavailable']);
});

test('altered log object: exactly that file is hash-mismatch', () => {
  const t = trail({ hours: 3, alterLogs: [{ hour: 1, index: 1 }] });
  const r = validateCloudTrail(trailToValidateInput(t));
  const bad = logKey(t, 1, 1);
  expectLogs(t, r, { [bad]: 'hash-mismatch' });
  assert.equal(r.ok, false);
  assert.deepEqual(codes(r.failures), [`hash-mismatch ${bad}`]);
  const res = r.logs.find((l) => l.key === bad)!;
  assert.notEqual(res.actualSha256, res.expectedSha256);
  assert.match(res.detail, /altered/);
  assert.ok(r.digests.every((d) => d.status === 'valid'));
});

test('dropped digest hour: chain broken with a gap, its log files digest-missing', () => {
  const t = trail({ hours: 4, dropDigestHours: [2] });
  const r = validateCloudTrail(trailToValidateInput(t));
  expectLogs(t, r, { [logKey(t, 2, 0)]: 'digest-missing', [logKey(t, 2, 1)]: 'digest-missing' });
  assert.equal(r.digests.length, 3);
  const next = digestOf(r, t, 3);
  assert.equal(next.chain, 'broken');
  assert.equal(next.status, 'chain-broken');
  assert.equal(next.signature, 'valid');
  assert.deepEqual(next.gapBefore, { from: t.hours[1].end, to: t.hours[3].start, reason: 'previous-digest-missing' });
  assert.match(next.chainDetail, new RegExp(t.hours[2].digestKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.deepEqual(codes(r.failures), [
    `chain-broken ${t.hours[3].digestKey}`,
    `digest-missing ${logKey(t, 2, 0)}`,
    `digest-missing ${logKey(t, 2, 1)}`,
  ].sort());
  assert.equal(digestOf(r, t, 1).status, 'valid');
});

test('broken signature: that digest is signature-invalid and its logs digest-signature-invalid (with metadata and in folder mode)', () => {
  const t = trail({ hours: 3, breakSignatureHours: [1] });
  for (const withMetadata of [true, false]) {
    const r = validateCloudTrail(trailToValidateInput(t, { withMetadata }));
    // In folder mode the newest digest has no signature source at all.
    const newest: Record<string, LogFileStatus> = withMetadata ? {} : { [logKey(t, 2, 0)]: 'signature-unavailable', [logKey(t, 2, 1)]: 'signature-unavailable' };
    expectLogs(t, r, { [logKey(t, 1, 0)]: 'digest-signature-invalid', [logKey(t, 1, 1)]: 'digest-signature-invalid', ...newest });
    const d = digestOf(r, t, 1);
    assert.equal(d.status, 'signature-invalid');
    assert.equal(d.signatureSource, withMetadata ? 'metadata' : 'next-digest');
    // CloudTrail chained the same (bad) signature, so the chain itself holds.
    assert.equal(digestOf(r, t, 2).chain, 'ok');
    assert.equal(r.ok, false);
    assert.ok(r.failures.some((f) => f.code === 'digest-signature-invalid' && f.file === t.hours[1].digestKey));
  }
});

test('wrong key (claims the real fingerprint): digest-signature-invalid', () => {
  const t = trail({ hours: 3, wrongKeyHours: [2] });
  const r = validateCloudTrail(trailToValidateInput(t));
  expectLogs(t, r, { [logKey(t, 2, 0)]: 'digest-signature-invalid', [logKey(t, 2, 1)]: 'digest-signature-invalid' });
  assert.equal(digestOf(r, t, 2).signature, 'invalid');
  assert.equal(r.ok, false);
});

test('unknown key (fingerprint not in the key list): no-public-key, a warning', () => {
  const t = trail({ hours: 3, unknownKeyHours: [1] });
  const r = validateCloudTrail(trailToValidateInput(t));
  expectLogs(t, r, { [logKey(t, 1, 0)]: 'no-public-key', [logKey(t, 1, 1)]: 'no-public-key' });
  const d = digestOf(r, t, 1);
  assert.equal(d.status, 'no-public-key');
  assert.equal(d.keyFingerprint, t.rogueKey!.fingerprint);
  assert.equal(r.ok, true);
  assert.deepEqual(codes(r.warnings), [`no-public-key ${t.hours[1].digestKey}`]);
  // With the other key listed, it verifies.
  const both = trailToValidateInput(t);
  const rogueList = JSON.stringify({ PublicKeyList: [{ Value: t.rogueKey!.der.toString('base64') }] });
  const r2 = validateCloudTrail({ ...both, publicKeys: [...both.publicKeys, ...parsePublicKeys(rogueList)] });
  expectLogs(t, r2);
});

test('key validity window must cover digestEndTime', () => {
  const t = trail({ hours: 2, keyValidity: { start: '2023-01-01T00:00:00Z', end: '2024-03-01T01:30:00Z' } });
  const r = validateCloudTrail(trailToValidateInput(t));
  expectLogs(t, r, { [logKey(t, 1, 0)]: 'no-public-key', [logKey(t, 1, 1)]: 'no-public-key' });
  assert.match(digestOf(r, t, 1).signatureDetail, /does not include digestEndTime 2024-03-01T02:07:13Z/);
  // A key that only becomes valid after the digest ended does not count either.
  const late = trail({ hours: 2, keyValidity: { start: '2024-03-01T01:30:00Z', end: '2025-01-01T00:00:00Z' } });
  const r2 = validateCloudTrail(trailToValidateInput(late));
  expectLogs(late, r2, { [logKey(late, 0, 0)]: 'no-public-key', [logKey(late, 0, 1)]: 'no-public-key' });
});

test('data appended after the gzip end of a log file: bad-gzip', () => {
  const t = trail({ hours: 2, appendAfterGzip: [{ hour: 0, index: 1 }] });
  const r = validateCloudTrail(trailToValidateInput(t));
  const bad = logKey(t, 0, 1);
  expectLogs(t, r, { [bad]: 'bad-gzip' });
  assert.match(r.logs.find((l) => l.key === bad)!.detail, /non-gzip data after the end of the gzip stream/);
  assert.deepEqual(codes(r.failures), [`bad-gzip ${bad}`]);
});

test('data appended after the gzip end of a digest: unreadable, its hour digest-missing, next link broken', () => {
  const t = trail({ hours: 3, appendAfterGzipDigestHours: [1] });
  const r = validateCloudTrail(trailToValidateInput(t));
  expectLogs(t, r, { [logKey(t, 1, 0)]: 'digest-missing', [logKey(t, 1, 1)]: 'digest-missing' });
  assert.equal(digestOf(r, t, 1).status, 'unreadable');
  assert.equal(digestOf(r, t, 2).chain, 'broken');
  assert.match(digestOf(r, t, 2).chainDetail, /unreadable/);
  assert.ok(r.failures.some((f) => f.code === 'bad-gzip' && f.file === t.hours[1].digestKey));
});

test('tampered digest (a log entry removed): signature invalid, next link hash mismatch, removed log unlisted', () => {
  const t = trail({ hours: 3, tamperDigestHours: [1] });
  const r = validateCloudTrail(trailToValidateInput(t));
  expectLogs(t, r, { [logKey(t, 1, 0)]: 'not-in-any-digest', [logKey(t, 1, 1)]: 'digest-signature-invalid' });
  assert.equal(digestOf(r, t, 1).status, 'signature-invalid');
  const next = digestOf(r, t, 2);
  assert.equal(next.chain, 'broken');
  assert.match(next.chainDetail, /previousDigestHashValue .* differs/);
  // The unlisted file lies inside a present digest's hour: a failure, not just a warning.
  assert.ok(r.failures.some((f) => f.code === 'not-in-any-digest' && f.file === logKey(t, 1, 0)));
});

test('range edges: chain continuing before the input is "edge", logs outside any digest are warnings', () => {
  const t = trail({ hours: 2, chainStartsBefore: true });
  const input = trailToValidateInput(t);
  const late = generateTrail({ key: KEY, hours: 1, start: '2024-03-01T05:07:13Z', seed: 9 }).files.find((f) => f.kind === 'log')!;
  input.logs.push({ key: late.key, bucket: t.bucket, bytes: late.bytes });
  const r = validateCloudTrail(input);
  assert.equal(r.ok, true, JSON.stringify(r.failures));
  assert.equal(digestOf(r, t, 0).chain, 'edge');
  expectLogs(t, r, { [late.key]: 'not-in-any-digest' });
  assert.deepEqual(codes(r.warnings), [`not-in-any-digest ${late.key}`]);
});

test('chain restart after a pause is a gap warning, not a failure', () => {
  const a = trail({ hours: 2 });
  const b = trail({ hours: 2, start: '2024-03-01T06:07:13Z', seed: 5 });
  const ia = trailToValidateInput(a);
  const ib = trailToValidateInput(b);
  const r = validateCloudTrail({ digests: [...ib.digests, ...ia.digests], logs: [...ia.logs, ...ib.logs], publicKeys: ia.publicKeys });
  assert.equal(r.ok, true, JSON.stringify(r.failures));
  const restart = r.digests.find((d) => d.key === b.hours[0].digestKey)!;
  assert.equal(restart.chain, 'start');
  assert.deepEqual(restart.gapBefore, { from: a.hours[1].end, to: b.hours[0].start, reason: 'chain-restart' });
  assert.deepEqual(codes(r.warnings), [`gap ${b.hours[0].digestKey}`]);
  assert.ok(r.logs.every((l) => l.status === 'valid'));
});

test('digest stored under another name is "moved"; an injected log inside a digested hour is a failure', () => {
  const t = trail({ hours: 3 });
  const input = trailToValidateInput(t);
  const d1 = input.digests[1];
  d1.key = d1.key.replace('case-trail', 'other-trail');
  const extra = generateTrail({ key: KEY, hours: 1, start: '2024-03-01T02:07:13Z', seed: 77 }).files.find((f) => f.kind === 'log')!;
  input.logs.push({ key: extra.key, bucket: t.bucket, bytes: extra.bytes });
  const r = validateCloudTrail(input);
  assert.equal(r.digests.find((d) => d.key === d1.key)!.status, 'moved');
  assert.ok(r.failures.some((f) => f.code === 'digest-moved' && f.file === d1.key));
  // The moved copy is still authentic content, so its logs verify; the hour-2 digest's link finds no digest at the expected name.
  expectLogs(t, r, { [extra.key]: 'not-in-any-digest' });
  assert.ok(r.failures.some((f) => f.code === 'not-in-any-digest' && f.file === extra.key));
  assert.equal(digestOf(r, t, 2).chain, 'broken');
});

test('log files listed in a digest but absent: warning by default, failure on request', () => {
  const t = trail({ hours: 2 });
  const input = trailToValidateInput(t);
  const gone = input.logs.shift()!;
  const r = validateCloudTrail(input);
  assert.equal(r.ok, true);
  assert.deepEqual(r.missingLogs, [{ bucket: t.bucket, key: gone.key, digestKey: t.hours[0].digestKey }]);
  assert.deepEqual(codes(r.warnings), [`missing-log ${t.hours[0].digestKey}`]);
  assert.equal(digestOf(r, t, 0).logFilesPresent, 1);
  const strict = validateCloudTrail({ ...input, options: { missingLogs: 'fail' } });
  assert.equal(strict.ok, false);
  assert.deepEqual(codes(strict.failures), [`missing-log ${t.hours[0].digestKey}`]);
});

test('bucket is honoured when both sides know it; unsupported signature algorithm is invalid', () => {
  const t = trail({ hours: 2 });
  const input = trailToValidateInput(t);
  for (const l of input.logs) l.bucket = 'some-other-bucket';
  const r = validateCloudTrail(input);
  assert.ok(r.logs.every((l) => l.status === 'not-in-any-digest'));
  const input2 = trailToValidateInput(t);
  input2.digests[0].signatureAlgorithm = 'SHA1withRSA';
  const r2 = validateCloudTrail(input2);
  assert.equal(r2.digests[0].signature, 'invalid');
  assert.match(r2.digests[0].signatureDetail, /SHA1withRSA/);
});

test('a log re-stored as multi-member gzip still validates (same decompressed bytes)', async () => {
  const { gunzipSync, gzipSync } = await import('node:zlib');
  const t = trail({ hours: 2 });
  const input = trailToValidateInput(t);
  const body = gunzipSync(input.logs[0].bytes);
  const cut = Math.floor(body.length / 2);
  input.logs[0].bytes = Buffer.concat([gzipSync(body.subarray(0, cut)), gzipSync(body.subarray(cut))]);
  const r = validateCloudTrail(input);
  expectLogs(t, r);
  assert.equal(r.ok, true);
});
