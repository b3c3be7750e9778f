// Digest parsing and key handling on the real / documented samples in
// test/fixtures/cloudtrail-digest-samples (see SOURCE.md there).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  cloudTrailKeyPath,
  DigestFormatError,
  digestSigningString,
  parseCloudTrailKey,
  parseDigest,
  parsePublicKeys,
  publicKeyFingerprint,
  PublicKeyListError,
  validateCloudTrail,
} from '../../electron/ingest/aws/digest.ts';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'cloudtrail-digest-samples');
const read = (name: string) => readFileSync(join(DIR, name));
const REAL = 'real_digest_llm_guard_20231015T230404Z.json';

test('real CloudTrail digest (llm-guard) parses with every field', () => {
  const bytes = read(REAL);
  const p = parseDigest(bytes, REAL);
  const d = p.digest;
  assert.equal(d.awsAccountId, '327878933619');
  assert.equal(d.digestStartTime, '2023-10-15T22:04:04Z');
  assert.equal(d.digestEndTime, '2023-10-15T23:04:04Z');
  assert.equal(d.digestS3Bucket, 'llm-guard-trail');
  // "\/" in the delivered JSON is an escaped "/".
  assert.equal(
    d.digestS3Object,
    'AWSLogs/327878933619/CloudTrail-Digest/ap-northeast-1/2023/10/15/327878933619_CloudTrail-Digest_ap-northeast-1_llm-guard-trail_us-west-2_20231015T230404Z.json.gz',
  );
  assert.equal(d.digestPublicKeyFingerprint, 'be2f0b997552f44942837300ba1aba9d');
  assert.equal(d.digestSignatureAlgorithm, 'SHA256withRSA');
  assert.equal(d.previousDigestHashAlgorithm, 'SHA-256');
  assert.equal(d.previousDigestHashValue, '8f953371d3e85eddb89b05ed6b9e680791055315c73e1025ab5dba7bb2aee189');
  assert.equal(d.previousDigestSignature?.length, 512); // RSA-2048 signature in hex
  assert.match(d.previousDigestS3Object ?? '', /_20231015T220404Z\.json\.gz$/);
  assert.equal(d.logFiles.length, 5);
  for (const f of d.logFiles) {
    assert.equal(f.s3Bucket, 'llm-guard-trail');
    assert.equal(f.hashAlgorithm, 'SHA-256');
    assert.match(f.hashValue, /^[0-9a-f]{64}$/);
    const k = parseCloudTrailKey(f.s3Object);
    assert.ok(k, f.s3Object);
    assert.equal(k.kind, 'log');
    assert.equal(k.account, '327878933619');
    assert.equal(k.region, 'ap-northeast-1');
  }
  assert.equal(p.startMs, Date.parse('2023-10-15T22:04:04Z'));
  assert.equal(p.sha256, createHash('sha256').update(bytes).digest('hex'));

  // Multi-region trail: delivered from ap-northeast-1, home region us-west-2.
  const k = parseCloudTrailKey(d.digestS3Object);
  assert.ok(k);
  assert.equal(k.kind, 'digest');
  assert.equal(k.region, 'ap-northeast-1');
  assert.equal(k.trailName, 'llm-guard-trail');
  assert.equal(k.homeRegion, 'us-west-2');
  assert.equal(k.timeMs, Date.parse(d.digestEndTime));
  assert.equal(k.backfill, false);
  const prevKey = parseCloudTrailKey(d.previousDigestS3Object!);
  assert.equal(prevKey?.timeMs, Date.parse(d.digestStartTime));

  // Same digest gzip-compressed (as stored in S3): identical content hash.
  assert.equal(parseDigest(gzipSync(bytes), 'gz').sha256, p.sha256);

  // The exact signing string (aws-cli _create_string_to_sign).
  assert.equal(
    digestSigningString(d, p.sha256),
    `2023-10-15T23:04:04Z\nllm-guard-trail/${d.digestS3Object}\n${p.sha256}\n${d.previousDigestSignature}`,
  );
});

test('empty digest and the documented sample digest parse', () => {
  const e = parseDigest(read('aws_docs_empty_digest.json'), 'empty').digest;
  assert.deepEqual(e.logFiles, []);
  assert.equal(e.newestEventTime, null);
  assert.equal(e.oldestEventTime, null);
  assert.equal(e.previousDigestHashValue, 'ed96c4bac9eaa8fe9716ca0e515da51938be651b1db31d781956416a9d05cdfa');
  const s = parseDigest(read('aws_docs_sample_digest.json'), 'sample').digest;
  assert.equal(s.logFiles.length, 1);
  assert.equal(s.logFiles[0].hashValue, '9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6');
  assert.equal(s.digestPublicKeyFingerprint, '31e8b5433410dfb61a9dc45cc65b22ff');
});

test('a starting digest signs the literal "null" as previous signature', () => {
  const json = JSON.parse(read('aws_docs_empty_digest.json').toString('utf8'));
  for (const f of ['previousDigestS3Bucket', 'previousDigestS3Object', 'previousDigestHashValue', 'previousDigestHashAlgorithm', 'previousDigestSignature']) json[f] = null;
  const p = parseDigest(Buffer.from(JSON.stringify(json)), 'start');
  assert.equal(p.digest.previousDigestSignature, null);
  assert.ok(digestSigningString(p.digest, p.sha256).endsWith(`\n${p.sha256}\nnull`));
});

test('list-public-keys sample: all 3 fingerprints are the MD5 of the DER, PKCS#1 and SPKI both load', () => {
  const raw = JSON.parse(read('aws_docs_list_public_keys_sample.json').toString('utf8'));
  const keys = parsePublicKeys(read('aws_docs_list_public_keys_sample.json').toString('utf8'), 'sample');
  assert.equal(keys.length, 3);
  keys.forEach((k, i) => {
    assert.equal(k.fingerprint, raw.PublicKeyList[i].Fingerprint);
    assert.equal(k.fingerprint, raw.PublicKeyList[i]._computed_md5_of_DER);
    assert.equal(publicKeyFingerprint(Buffer.from(raw.PublicKeyList[i].Value, 'base64')), raw.PublicKeyList[i].Fingerprint);
    assert.equal(k.key.asymmetricKeyType, 'rsa');
    assert.equal(k.key.asymmetricKeyDetails?.modulusLength, 2048);
  });
  assert.deepEqual(keys.map((k) => k.format), ['pkcs1', 'pkcs1', 'spki']);
  assert.equal(keys[0].validityStart, 1436317441000);
  assert.equal(keys[0].validityEnd, 1438909441000);
});

test('public keys in SDK shapes (bytes, Date) and the docs lower-case list name', () => {
  const raw = JSON.parse(read('aws_docs_list_public_keys_sample.json').toString('utf8'));
  const first = raw.PublicKeyList[0];
  const der = Buffer.from(first.Value, 'base64');
  const sdkObject = { PublicKeyList: [{ Value: new Uint8Array(der), ValidityStartTime: new Date(1436317441000), ValidityEndTime: new Date(1438909441000), Fingerprint: first.Fingerprint }] };
  const viaJson = JSON.stringify({ PublicKeyList: [{ ...sdkObject.PublicKeyList[0] }] }); // Uint8Array -> {"0":..}, Date -> ISO
  const bufferJson = JSON.stringify({ publicKeyList: [{ Value: der, Fingerprint: first.Fingerprint }] }); // Buffer -> {type,data}
  const arrayJson = JSON.stringify([{ Value: [...der] }]);
  for (const [what, input] of [['object', sdkObject], ['json', viaJson], ['buffer-json', bufferJson], ['array', arrayJson]] as const) {
    const [k] = parsePublicKeys(input, what);
    assert.equal(k.fingerprint, first.Fingerprint, what);
    assert.deepEqual(k.der, der, what);
  }
  assert.equal(parsePublicKeys(viaJson)[0].validityStart, 1436317441000);
});

test('bad key lists give errors naming the entry', () => {
  const raw = JSON.parse(read('aws_docs_list_public_keys_sample.json').toString('utf8'));
  raw.PublicKeyList[1].Fingerprint = '00000000000000000000000000000000';
  assert.throws(() => parsePublicKeys(JSON.stringify(raw), 'keys.json'), (e: Error) => e instanceof PublicKeyListError && /keys\.json PublicKeyList\[1\].*not the MD5/.test(e.message));
  assert.throws(() => parsePublicKeys('{"PublicKeyList":[{"Value":"not base64!"}]}', 'k'), /PublicKeyList\[0\]: Value is not base64/);
  assert.throws(() => parsePublicKeys('{"PublicKeyList":[{"Value":"AAAA"}]}', 'k'), /PublicKeyList\[0\]: Value is not a DER RSA public key/);
  assert.throws(() => parsePublicKeys('{"PublicKeyList":[{"Value":"' + raw.PublicKeyList[0].Value + '","ValidityStartTime":"soon"}]}', 'k'), /ValidityStartTime "soon" is not a time/);
  assert.throws(() => parsePublicKeys('{oops', 'k.json'), /k\.json: not JSON/);
  assert.throws(() => parsePublicKeys('{"Keys":[]}', 'k.json'), /expected \{"PublicKeyList"/);
});

test('the documented sample digest names key #3, whose validity window ended before the digest', () => {
  const keys = parsePublicKeys(read('aws_docs_list_public_keys_sample.json').toString('utf8'), 'sample');
  const sample = read('aws_docs_sample_digest.json');
  const sigLine = read('aws_docs_x-amz-meta.txt').toString('utf8').split('\n').find((l) => /^[0-9a-f]{64,}$/.test(l))!;
  const r = validateCloudTrail({
    digests: [{ key: parseDigest(sample).digest.digestS3Object, bytes: sample, signature: sigLine, signatureAlgorithm: 'SHA256withRSA' }],
    logs: [],
    publicKeys: keys,
  });
  const d = r.digests[0];
  assert.equal(d.signature, 'no-key');
  assert.equal(d.status, 'no-public-key');
  assert.match(d.signatureDetail, /valid from 2015-06-18T01:02:50Z to 2015-07-18T01:02:50Z.*2015-08-17T15:01:31Z/);
  // Key #3 covering the digest's time, the (unrelated) docs signature must fail to verify.
  keys[2].validityEnd = null;
  const r2 = validateCloudTrail({
    digests: [{ key: parseDigest(sample).digest.digestS3Object, bytes: sample, signature: sigLine }],
    logs: [],
    publicKeys: keys,
  });
  assert.equal(r2.digests[0].signature, 'invalid');
  assert.equal(r2.ok, false);
  assert.ok(r2.failures.some((f) => f.code === 'digest-signature-invalid'));
});

test('bad digests are clear DigestFormatErrors naming the file, and never crash validation', () => {
  const good = JSON.parse(read(REAL).toString('utf8'));
  const cases: [string, Buffer, RegExp][] = [
    ['truncated.json', read(REAL).subarray(0, 200), /truncated\.json: not JSON/],
    ['array.json', Buffer.from('[1,2]'), /not an object/],
    ['nofp.json', Buffer.from(JSON.stringify({ ...good, digestPublicKeyFingerprint: undefined })), /digestPublicKeyFingerprint is missing/],
    ['time.json', Buffer.from(JSON.stringify({ ...good, digestEndTime: 'yesterday' })), /digestEndTime "yesterday" is not a UTC ISO-8601 time/],
    ['noprev.json', Buffer.from(JSON.stringify({ ...good, previousDigestSignature: undefined })), /previousDigestSignature is missing/],
    ['logs.json', Buffer.from(JSON.stringify({ ...good, logFiles: {} })), /logFiles is missing or not an array/],
    ['entry.json', Buffer.from(JSON.stringify({ ...good, logFiles: [{ ...good.logFiles[0], hashValue: 42 }] })), /logFiles\[0\]\.hashValue is number/],
    ['algo.json', Buffer.from(JSON.stringify({ ...good, logFiles: [{ ...good.logFiles[0], hashAlgorithm: 'MD5' }] })), /logFiles\[0\]\.hashAlgorithm "MD5" is not SHA-256/],
    ['appended.json.gz', Buffer.concat([gzipSync(read(REAL)), Buffer.from('garbage')]), /appended\.json\.gz: not a clean gzip file: .*after the end of the gzip stream/],
    ['binary.bin', Buffer.from([0, 1, 2, 3]), /neither gzip/],
  ];
  for (const [name, bytes, pattern] of cases) {
    assert.throws(() => parseDigest(bytes, name), (e: Error) => e instanceof DigestFormatError && pattern.test(e.message), name);
  }
  const r = validateCloudTrail({ digests: cases.map(([key, bytes]) => ({ key, bytes })), logs: [], publicKeys: [] });
  assert.equal(r.ok, false);
  assert.equal(r.digests.length, cases.length);
  assert.ok(r.digests.every((d) => d.status === 'unreadable' && d.chain === 'unchecked'));
  // appended.json.gz and binary.bin are not clean gzip; the rest are bad JSON / bad fields.
  assert.deepEqual(r.failures.filter((f) => f.code === 'bad-gzip').map((f) => f.file), ['appended.json.gz', 'binary.bin']);
  assert.equal(r.failures.filter((f) => f.code === 'digest-unreadable').length, cases.length - 2);
});

test('key paths: S3 prefixes, local folders, Windows separators, organization trails', () => {
  const rel = 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_20240301T0025Z_AbCdEfGhIjKlMnOp.json.gz';
  assert.equal(cloudTrailKeyPath(`my/prefix/${rel}`), rel);
  assert.equal(cloudTrailKeyPath(`C:\\cases\\c1\\${rel.replace(/\//g, '\\')}`), rel);
  assert.equal(parseCloudTrailKey(`my/prefix/${rel}`)?.prefix, 'my/prefix/');
  assert.equal(parseCloudTrailKey(rel)?.timeMs, Date.parse('2024-03-01T00:25:00Z'));
  const org = `AWSLogs/o-exampleorgid/111122223333/CloudTrail-Digest/eu-west-1/2024/03/01/111122223333_CloudTrail-Digest_eu-west-1_org_trail_with_underscores_us-east-1_20240301T010713Z.json.gz`;
  const k = parseCloudTrailKey(org);
  assert.equal(k?.orgId, 'o-exampleorgid');
  assert.equal(k?.trailName, 'org_trail_with_underscores');
  assert.equal(k?.homeRegion, 'us-east-1');
  assert.equal(parseCloudTrailKey(org.replace('.json.gz', '_backfill.json.gz'))?.backfill, true);
  // Account in the file name must match the folder.
  assert.equal(parseCloudTrailKey(rel.replace('/111122223333_CloudTrail', '/999999999999_CloudTrail')), null);
  assert.equal(parseCloudTrailKey('notes/readme.txt'), null);
});
