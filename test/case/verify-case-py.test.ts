// docs/verify-case.py, the independent verifier (docs/verification.md), against cases that
// TrailCase built (every record encoding, gzip, copies, odd but real values)
// and against forgeries that keep the file consistent with itself. Each
// forgery must also fail `trailcase verify`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { CaseStore } from '../../electron/case/store.ts';
import { verifyCase } from '../../electron/case/verify.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { tempDir, tempSigner } from '../support/case.ts';
import { flipEvidenceByte, forgeEventName, forgeRecordBytes, verifyCasePy } from '../support/forgery.ts';

const STRATUS = 'test/fixtures/stratus-red-team/detonation-logs';
const haveTools = verifyCasePy(['--help']).status === 0;
if (!haveTools) console.log('# verify-case.py tests skipped: python3 is not installed');

let dir: string;
let stratus: string;
let mixed: string;

/** Records with the odd values real exports carry; each exercises one rule of case-format.md. */
function oddRecords(): Record<string, unknown>[] {
  const base = (i: number, extra: Record<string, unknown>) => ({
    eventVersion: '1.08',
    eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    eventTime: '2026-03-02T10:00:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName: 'ListUsers',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15.0',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333', accessKeyId: 'AKIAEXAMPLE' },
    requestID: `${String(i).padStart(8, '0')}-aaaa-4bbb-8ccc-dddddddddddd`,
    recipientAccountId: '111122223333',
    ...extra,
  });
  return [
    base(1, {}),
    base(2, { eventTime: '2026-03-02 10:00:01', sourceIPAddress: '075.050.255.067', readOnly: 'true' }),
    base(3, { eventTime: '2026-03-02', sourceIPAddress: '2001:DB8::1', readOnly: false, eventName: 5 }),
    base(4, { eventTime: '2026-03-02T10:00:00.123456+02:00', sourceIPAddress: '::ffff:1.2.3.4', requestID: 'NOT-A-UUID' }),
    base(5, { eventTime: '2026-02-30T00:00:00Z', sourceIPAddress: 'AWS Internal', userIdentity: { type: 'AWSService', invokedBy: 'x', onBehalfOf: { userId: 'u-1' }, accountId: 9 } }),
    base(6, { eventTime: undefined, '@timestamp': '2026-03-02T11:00:00.5Z', recipientAccountId: undefined, userIdentity: { type: 'AssumedRole', accountId: '444455556666', userName: '', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::444455556666:role/r' } } } }),
    base(7, { eventID: undefined, eventTime: 1772445600, errorCode: 'AccessDenied', eventCategory: 'Management', 'ünï': 'ç \u2028' }),
    base(8, { eventTime: '2026-03-02T24:00:00Z', awsRegion: '', userAgent: '"><script>', sourceIPAddress: ' 10.0.0.1 ' }),
  ];
}

before(async () => {
  if (!haveTools) return;
  dir = tempDir('trailcase-pyverify-');
  const { signer } = tempSigner(dir);
  // The Stratus Red Team logs (real, gzip-free JSON: test/fixtures/stratus-red-team/SOURCE.md).
  stratus = join(dir, 'stratus.trailcase');
  const s = CaseStore.create(stratus, { title: 'stratus', examiner: signer.examiner }, signer);
  await importPaths(s, signer, { sources: [STRATUS] }, { workers: 1 });
  s.close();

  // Every container and record encoding, gzip, and copies (identical bytes, reformatted, conflicting).
  const src = join(dir, 'mixed');
  mkdirSync(src);
  const recs = oddRecords();
  const text = recs.map((r) => JSON.stringify(r));
  writeFileSync(join(src, 'a-s3.json.gz'), gzipSync(Buffer.from(`{"Records":[${text.slice(0, 4).join(',')}]}`)));
  writeFileSync(join(src, 'b-lookup.json'), JSON.stringify({ Events: [{ EventId: 'x', EventName: 'y', CloudTrailEvent: text[4] }, { EventId: 'x2', CloudTrailEvent: text[5] + '\ud800' }] }));
  const lakeColumns = [{ eventID: 'lake-cols-1' }, { eventTime: '2026-03-03T00:00:00Z' }, { '10': 'ten' }, { '2': 'two' }, { userIdentity: '{"type":"Root","arn":"arn:aws:iam::111122223333:root","n":1.50,"big":12345678901234567890}' }, { eventName: 'GetCallerIdentity' }, { eventSource: 'sts.amazonaws.com' }, { requestParameters: '[not json' }];
  writeFileSync(join(src, 'c-lake.json'), JSON.stringify({ QueryResultRows: [[{ eventJson: text[6] }], lakeColumns] }));
  // Two gzip members, the first longer than one 64 KiB read, then trailing bytes that are not gzip.
  const noise = randomBytes(60_000).toString('hex');
  const member1 = gzipSync(Buffer.from(`{"Records":[${JSON.stringify({ ...recs[0], eventID: 'multi-1', requestParameters: { noise } })}`));
  const member2 = gzipSync(Buffer.from(`,${JSON.stringify({ ...recs[0], eventID: 'multi-2' })}]}`));
  writeFileSync(join(src, 'e-multi.json.gz'), Buffer.concat([member1, member2, Buffer.from('trailing garbage')]));
  const reformatted = JSON.stringify(recs[0], null, 1);
  const conflicting = JSON.stringify({ ...recs[1], eventName: 'DeleteUser' });
  writeFileSync(join(src, 'd-lines.jsonl'), [text[7], text[2], reformatted.replace(/\n/g, ''), conflicting].join('\n') + '\n');
  mixed = join(dir, 'mixed.trailcase');
  const m = CaseStore.create(mixed, { title: 'mixed', examiner: signer.examiner }, signer);
  await importPaths(m, signer, { sources: [src] }, { workers: 1 });
  m.close();
});
after(() => dir && rmSync(dir, { recursive: true, force: true }));

function trailcaseVerify(path: string) {
  const s = CaseStore.open(path, { readonly: true });
  try {
    return verifyCase(s);
  } finally {
    s.close();
  }
}

function copy(from: string, name: string): string {
  const p = join(dir, `${name}.trailcase`);
  copyFileSync(from, p);
  return p;
}

test('genuine cases pass verify-case.py: real logs, and every encoding, gzip, copies and odd values', { skip: !haveTools && 'python3 missing' }, () => {
  for (const p of [stratus, mixed]) {
    assert.equal(trailcaseVerify(p).ok, true);
    const r = verifyCasePy([p]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /INTACT: 0 failure/);
  }
  const m = CaseStore.open(mixed, { readonly: true });
  try {
    const encs = (m.db.prepare('SELECT DISTINCT enc FROM events ORDER BY enc').all() as { enc: number }[]).map((r) => r.enc);
    assert.deepEqual(encs, [0, 1, 2, 3], 'every record encoding is exercised');
    const copies = (m.db.prepare('SELECT identical FROM event_copies ORDER BY identical').all() as { identical: number }[]).map((r) => r.identical);
    assert.deepEqual(copies, [0, 1, 2], 'a conflicting, an identical and a reformatted copy');
    const multi = m.db.prepare("SELECT count(*) AS n FROM events WHERE event_id IN ('multi-1', 'multi-2')").get() as { n: number };
    assert.equal(multi.n, 2, 'both gzip members imported');
  } finally {
    m.close();
  }
});

test('(a) record bytes edited with evidence hash, size and leaf hash fixed up, triggers re-created: caught by both', { skip: !haveTools && 'python3 missing' }, () => {
  const p = copy(stratus, 'forged-bytes');
  const f = forgeRecordBytes(p, 3);
  const v = trailcaseVerify(p);
  assert.equal(v.ok, false);
  assert.ok(v.problems.some((x) => /checkpoint:\d+/.test(x.where) && /root/.test(x.message)), JSON.stringify(v.problems));
  assert.ok(!v.problems.some((x) => x.where.startsWith('schema:trigger')), 'the triggers are byte-identical');
  const r = verifyCasePy([p]);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /FAIL checkpoints:seq \d+: signs event root [0-9a-f]{64}, the records give [0-9a-f]{64} for the first \d+ events/);
  assert.match(r.out, /FAIL checkpoints:seq \d+: signs evidence root [0-9a-f]{64} over \d+ items/);
  assert.ok(f.leaf >= 0);
});

test('(b) one normalised column pointed at another string: caught by both, naming the leaf, eventID and column', { skip: !haveTools && 'python3 missing' }, () => {
  const p = copy(stratus, 'forged-name');
  const f = forgeEventName(p, 17);
  const v = trailcaseVerify(p);
  assert.ok(v.problems.some((x) => x.where === 'event:17' && x.message.includes('eventName')), JSON.stringify(v.problems));
  const r = verifyCasePy([p]);
  assert.equal(r.status, 1, r.out);
  assert.ok(r.out.includes(`FAIL events:leaf 17: event ${f.eventId}: column name is ${JSON.stringify(f.to)}, the record gives ${JSON.stringify(f.from)}`), r.out);
});

test('(c) a failing evidence item that is not the last: caught by both, naming the item', { skip: !haveTools && 'python3 missing' }, () => {
  const p = copy(stratus, 'forged-item');
  flipEvidenceByte(p, 2);
  const v = trailcaseVerify(p);
  assert.ok(v.problems.some((x) => x.where === 'evidence:2'), JSON.stringify(v.problems));
  const r = verifyCasePy([p]);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /FAIL evidence:2: .*SHA-256 of the preserved bytes is [0-9a-f]{64}, the evidence row says [0-9a-f]{64}/);
  assert.doesNotMatch(r.out, /FAIL evidence:1:/);
});

test('verify-case.py: custody, checkpoint signature, copies, IP table and fingerprint forgeries are named', { skip: !haveTools && 'python3 missing' }, async () => {
  const cases: [string, (db: import('better-sqlite3').Database) => void, RegExp][] = [
    ['custody', (db) => db.prepare("UPDATE custody SET actor = 'mallory' WHERE seq = 1").run(), /FAIL custody:seq 1: case\.created: hash of its content is/],
    ['signature', (db) => db.prepare("UPDATE checkpoints SET signature = ? WHERE seq = 1").run(Buffer.alloc(64, 7).toString('base64')), /FAIL checkpoints:seq 1: the Ed25519 signature does not verify/],
    ['ips', (db) => db.prepare('UPDATE ips SET v4 = v4 + 1 WHERE v4 IS NOT NULL AND id = (SELECT min(id) FROM ips WHERE v4 IS NOT NULL)').run(), /FAIL ips:\d+: /],
    ['copy', (db) => db.prepare('UPDATE event_copies SET identical = 1 WHERE identical = 0').run(), /FAIL event_copies:\d+: identical is 1, the records give 0/],
    ['time', (db) => db.prepare('UPDATE events SET time_ms = time_ms + 1000 WHERE leaf = 2').run(), /FAIL events:leaf 2: event \S+: column time_ms is \d+, the record gives \d+/],
  ];
  const { withTriggersRecreated } = await import('../support/forgery.ts');
  for (const [name, edit, want] of cases) {
    const p = copy(mixed, `forged-${name}`);
    withTriggersRecreated(p, edit);
    assert.equal(trailcaseVerify(p).ok, false, name);
    const r = verifyCasePy([p]);
    assert.equal(r.status, 1, `${name}: ${r.out}`);
    assert.match(r.out, want, name);
  }
  const wrong = verifyCasePy([mixed, '--fingerprint', 'ab'.repeat(32)]);
  assert.equal(wrong.status, 1);
  assert.match(wrong.out, /not by the fingerprint given/);
  assert.equal(verifyCasePy([join(dir, 'nope.trailcase')]).status, 2, 'bad usage');
});
