// Parser ambiguities and real formats (README.md, "Importing"):
// duplicate keys, lone surrogates and lost precision warned per record (and shown
// with the event); lookup-events elements written one per line; a digest record
// among events; what `validate` says about a case whose files cannot be validated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { findAmbiguities, lostPrecision } from '../../electron/ingest/ambiguity.ts';
import { getEvent, searchEvents } from '../../electron/case/queries.ts';
import { verifyCase } from '../../electron/case/verify.ts';
import { cloudTrailValidationReport } from '../../electron/api/acquire-handlers.ts';
import { validationSummary } from '../../electron/ingest/aws/validation.ts';
import { tempCase } from '../support/case.ts';

const LOOKUP_LINES = 'test/fixtures/lookup-events-lines/lookup-events-lines.jsonl';
const STRATUS_STEAL = 'test/fixtures/stratus-red-team/detonation-logs/aws.credential-access.ec2-steal-instance-credentials.json';
const REAL_DIGEST = 'test/fixtures/cloudtrail-digest-samples/real_digest_llm_guard_20231015T230404Z.json';

function rec(i: number, extra: Record<string, unknown> = {}) {
  return {
    eventVersion: '1.08',
    eventTime: `2024-05-01T10:${String(i % 60).padStart(2, '0')}:00Z`,
    eventSource: 'iam.amazonaws.com',
    eventName: 'ListUsers',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', userName: 'alice', accountId: '111122223333' },
    recipientAccountId: '111122223333',
    ...extra,
  };
}

type Warn = { code: string; message: string; record_index: number | null; origin: string };
const warnings = (c: ReturnType<typeof tempCase>): Warn[] => c.store.db.prepare('SELECT code, message, record_index, origin FROM warnings ORDER BY id').all() as Warn[];

test('a duplicate key is warned per record with its path and every value; TrailCase uses the last, as JSON.parse does', async () => {
  const c = tempCase();
  const dir = join(c.dir, 'dup');
  mkdirSync(dir);
  try {
    const clean = JSON.stringify(rec(1));
    // The same key twice at the top and inside userIdentity; written by hand, as an altered file would be.
    const dup = JSON.stringify(rec(2, { eventName: 'DeleteTrail' })).replace(
      '"eventName":"DeleteTrail"',
      '"eventName":"DeleteTrail","eventName":"ListBuckets"',
    ).replace('"userName":"alice"', '"userName":"alice","userName":"mallory"');
    writeFileSync(join(dir, 'lines.jsonl'), `${clean}\n${dup}\n`);
    const s = await importPaths(c.store, c.signer, { sources: [dir] });
    assert.equal(s.events, 2);
    const w = warnings(c).filter((x) => x.code === 'duplicate-key');
    assert.equal(w.length, 2, JSON.stringify(warnings(c)));
    const top = w.find((x) => x.message.includes('key eventName '))!;
    assert.equal(top.record_index, 1);
    assert.match(top.message, /line 2/);
    assert.match(top.message, /appears 2 times with values "DeleteTrail", "ListBuckets"/);
    assert.match(top.message, /TrailCase uses the last \("ListBuckets"\)/);
    assert.ok(w.some((x) => /key userIdentity\.userName appears 2 times with values "alice", "mallory"/.test(x.message)));
    // The normalised columns hold the last value, and the inspector's event detail carries the warnings.
    const ev = getEvent(c.store, rec(2).eventID);
    assert.equal(ev.summary.eventName, 'ListBuckets');
    assert.equal(ev.summary.userName, 'mallory');
    assert.deepEqual(ev.warnings.map((x) => x.code).sort(), ['duplicate-key', 'duplicate-key']);
    assert.deepEqual(getEvent(c.store, rec(1).eventID).warnings, []);
    // The verbatim record keeps both.
    assert.ok(ev.record.includes('"eventName":"DeleteTrail","eventName":"ListBuckets"'));
    assert.deepEqual(verifyCase(c.store).problems, []);
  } finally {
    c.cleanup();
  }
  // Record text quoted in the warning cannot reorder or hide: bidi and zero-width characters are shown as escapes.
  const t = '{"user\u202eName":"a","user\u202eName":"b\u200bc"}';
  const [w] = findAmbiguities(t, JSON.parse(t));
  assert.equal(w.message.includes('\u202e') || w.message.includes('\u200b'), false);
  assert.match(w.message, /key \["user⟨U\+202E⟩Name"\] appears 2 times with values "a", "b⟨U\+200B⟩c"/);
});

test('an unpaired UTF-16 surrogate in an escape is warned with its path; a paired one is not', async () => {
  const c = tempCase();
  const dir = join(c.dir, 'sur');
  mkdirSync(dir);
  try {
    const lone = JSON.stringify(rec(1)).replace('"userName":"alice"', '"userName":"ali\\ud800ce"');
    const paired = JSON.stringify(rec(2)).replace('"userName":"alice"', '"userName":"ali\\ud83d\\ude00ce"');
    writeFileSync(join(dir, 'lines.jsonl'), `${lone}\n${paired}\n`);
    const s = await importPaths(c.store, c.signer, { sources: [dir] });
    assert.equal(s.events, 2);
    const w = warnings(c).filter((x) => x.code === 'lone-surrogate');
    assert.equal(w.length, 1, JSON.stringify(warnings(c)));
    assert.equal(w[0].record_index, 0);
    assert.match(w[0].message, /userIdentity\.userName holds an unpaired UTF-16 surrogate \\uD800/);
    assert.deepEqual(getEvent(c.store, rec(1).eventID).warnings.map((x) => x.code), ['lone-surrogate']);
    assert.deepEqual(getEvent(c.store, rec(2).eventID).warnings, []);
  } finally {
    c.cleanup();
  }
  // A lone surrogate in a key and a reversed pair are found too.
  const t = '{"k\\udc00":1,"v":"\\ude00\\ud83d"}';
  assert.equal(findAmbiguities(t, JSON.parse(t)).filter((x) => x.code === 'lone-surrogate').length, 2);
});

test('numbers a double cannot hold are warned with what is written and what is read', async () => {
  assert.equal(lostPrecision('9007199254740993'), '9007199254740992');
  assert.equal(lostPrecision('9007199254740991'), null);
  assert.equal(lostPrecision('0.1'), null);
  assert.equal(lostPrecision('1.50'), null);
  assert.equal(lostPrecision('1e400'), 'Infinity');
  assert.equal(lostPrecision('1e-400'), '0');
  assert.equal(lostPrecision('123456789.123456789'), '123456789.12345679');
  const c = tempCase();
  const dir = join(c.dir, 'num');
  mkdirSync(dir);
  try {
    const big = JSON.stringify(rec(1, { requestParameters: { durationSeconds: 3600, snapshotId: 0 } })).replace('"snapshotId":0', '"snapshotId":12345678901234567890');
    writeFileSync(join(dir, 'records.json'), `{"Records":[${big},${JSON.stringify(rec(2, { requestParameters: { ratio: 0.25, n: 42 } }))}]}`);
    const s = await importPaths(c.store, c.signer, { sources: [dir] });
    assert.equal(s.events, 2);
    const w = warnings(c).filter((x) => x.code === 'number-precision');
    assert.equal(w.length, 1, JSON.stringify(warnings(c)));
    assert.match(w[0].message, /requestParameters\.snapshotId is 12345678901234567890 in the record but reads as 12345678901234567000/);
    assert.deepEqual(getEvent(c.store, rec(1).eventID).warnings.map((x) => x.code), ['number-precision']);
  } finally {
    c.cleanup();
  }
});

test('lookup-events elements written one per line (jq -c .Events[]) import like the wrapped form, times from the record', async () => {
  const c = tempCase();
  const dir = join(c.dir, 'lookup');
  mkdirSync(dir);
  try {
    const lines = readFileSync(LOOKUP_LINES, 'utf8').trimEnd().split('\n');
    const stratus = JSON.parse(readFileSync(STRATUS_STEAL, 'utf8')).slice(0, 8) as { eventID: string; eventTime: string }[];
    // One more element whose EventTime disagrees with its record: imported, with a warning.
    const bad = JSON.parse(lines[0]);
    const inner = JSON.parse(bad.CloudTrailEvent);
    inner.eventID = 'ffffffff-0000-4000-8000-000000000001';
    bad.EventId = inner.eventID;
    bad.CloudTrailEvent = JSON.stringify(inner);
    bad.EventTime = '2024-08-02T08:23:24+11:00'; // written as if UTC, labelled +11:00: 11 hours off
    writeFileSync(join(dir, 'events.jsonl'), [...lines, JSON.stringify(bad)].join('\n') + '\n');
    const s = await importPaths(c.store, c.signer, { sources: [dir] });
    assert.equal(s.events, 9);
    const w = warnings(c);
    assert.deepEqual(w.map((x) => x.code), ['lookup-time-mismatch'], JSON.stringify(w));
    assert.match(w[0].message, /EventTime "2024-08-02T08:23:24\+11:00" \(2024-08-01T21:23:24\.000Z\) differs from the record's eventTime \(2024-08-02T08:23:24\.000Z\)/);
    assert.equal((c.store.db.prepare('SELECT format FROM evidence').get() as { format: string }).format, 'lookup-events-lines');
    for (const [i, r] of stratus.entries()) {
      const ev = getEvent(c.store, r.eventID);
      // The record's own eventTime (UTC), which the element's EventTime (+11:00 or epoch seconds) agrees with.
      assert.equal(Date.parse(ev.summary.eventTime!), Date.parse(r.eventTime));
      const el = JSON.parse(lines[i]);
      const outer = typeof el.EventTime === 'number' ? el.EventTime * 1000 : Date.parse(el.EventTime);
      assert.equal(outer, Date.parse(r.eventTime));
      assert.equal(ev.record, el.CloudTrailEvent);
      assert.equal(ev.provenance[0].encoding, 'lookup-events:CloudTrailEvent');
    }
    assert.equal(searchEvents(c.store, { eventNames: ['GetCallerIdentity'] }).total, 1);
    assert.deepEqual(verifyCase(c.store).problems, []);
  } finally {
    c.cleanup();
  }
});

test('a CloudTrail digest record among events is named as a digest with its file and line, never silently dropped', async () => {
  const c = tempCase();
  const dir = join(c.dir, 'digest');
  mkdirSync(dir);
  try {
    const digest = JSON.stringify(JSON.parse(readFileSync(REAL_DIGEST, 'utf8')));
    // In the middle of JSON lines, first in JSON lines (the head sniff must not take the whole file for a digest), in Records.
    writeFileSync(join(dir, 'middle.jsonl'), [JSON.stringify(rec(1)), digest, JSON.stringify(rec(2))].join('\n') + '\n');
    writeFileSync(join(dir, 'first.jsonl'), [digest, JSON.stringify(rec(3)), JSON.stringify(rec(4))].join('\n') + '\n');
    writeFileSync(join(dir, 'records.json'), `{"Records":[${JSON.stringify(rec(5))},${digest}]}`);
    // A digest file on its own is still a digest file, without a warning.
    writeFileSync(join(dir, 'alone.json'), readFileSync(REAL_DIGEST));
    const s = await importPaths(c.store, c.signer, { sources: [dir] });
    assert.equal(s.events, 5);
    const w = warnings(c);
    assert.deepEqual(w.map((x) => x.code), ['digest-record', 'digest-record', 'digest-record'], JSON.stringify(w));
    const by = (f: string) => w.find((x) => x.origin.endsWith(f))!;
    assert.match(by('middle.jsonl').message, /^record 1 \(line 2\) is a CloudTrail digest record/);
    assert.match(by('first.jsonl').message, /^record 0 \(line 1\) is a CloudTrail digest record/);
    assert.match(by('records.json').message, /^record 1 is a CloudTrail digest record/);
    const formats = Object.fromEntries((c.store.db.prepare('SELECT origin, format FROM evidence').all() as { origin: string; format: string }[]).map((r) => [r.origin.split('/').pop(), r.format]));
    assert.deepEqual(formats, { 'alone.json': 'cloudtrail-digest', 'first.jsonl': 'json-lines', 'middle.jsonl': 'json-lines', 'records.json': 'cloudtrail-s3' });
    assert.deepEqual(verifyCase(c.store).problems, []);
  } finally {
    c.cleanup();
  }
});

test('validate says what the case holds: log files without digests, digests without logs, both outside the S3 layout', async () => {
  const p = (logFiles: number, digestFiles: number, logFilesInLayout = 0, digestFilesInLayout = 0, otherSources = 0) => ({ logFiles, digestFiles, logFilesInLayout, digestFilesInLayout, otherSources });
  assert.equal(validationSummary(p(0, 0), {}), 'no CloudTrail log or digest files in the case');
  assert.equal(validationSummary(p(0, 0, 0, 0, 2), {}), 'no CloudTrail log or digest files in the case; 2 other sources (lookup-events, Lake, arrays, JSON lines) that CloudTrail digests never cover');
  assert.match(validationSummary(p(3120, 0), {}), /^3,120 log files, no digest files, so none can be validated; 3,120 log files not under the S3 key layout/);
  assert.match(validationSummary(p(1, 0), {}), /^1 log file, no digest files, so it cannot be validated/);
  assert.match(validationSummary(p(0, 4), {}), /^no log files, 4 digest files, so no log file can be validated/);
  assert.match(validationSummary(p(10, 2), {}), /^10 log files, 2 digest files, but digests are matched to log files by their S3 keys, so none can be validated/);
  assert.equal(validationSummary(p(10, 2, 10, 2), { valid: 12 }), '10 log files, 2 digest files; results: 12 valid');
  assert.equal(validationSummary(p(10, 2, 8, 2), { valid: 10 }), `10 log files, 2 digest files; 2 log files not under the S3 key layout (AWSLogs/<account>/CloudTrail[-Digest]/<region>/<yyyy>/<mm>/<dd>/) and so not matched; results: 10 valid`);

  // End to end: Records files from a plain folder (no AWSLogs/ layout).
  const c = tempCase();
  const dir = join(c.dir, 'flat');
  mkdirSync(dir);
  try {
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, `log-${i}.json`), JSON.stringify({ Records: [rec(i)] }));
    await importPaths(c.store, c.signer, { sources: [dir] });
    const r = cloudTrailValidationReport(c.store);
    assert.deepEqual(r.population, { logFiles: 3, digestFiles: 0, logFilesInLayout: 0, digestFilesInLayout: 0, otherSources: 0 });
    assert.match(r.summary, /^3 log files, no digest files, so none can be validated/);
  } finally {
    c.cleanup();
  }
});
