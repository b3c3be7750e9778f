// electron/ingest/formats/cloudtrail-digest.ts on real digest files (AWS documentation
// samples and a real digest): a digest file is named as such and imports no events;
// a digest record among events is named, kept in the evidence and not imported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cloudTrailDigest } from '../../../electron/ingest/formats/cloudtrail-digest.ts';
import { FORMATS } from '../../../electron/ingest/formats/index.ts';
import { parseBuffer, parseFile } from '../../support/parse.ts';

const DIR = 'test/fixtures/cloudtrail-digest-samples';
const DIGESTS = ['aws_docs_sample_digest.json', 'aws_docs_empty_digest.json', 'real_digest_llm_guard_20231015T230404Z.json'];

test('cloudtrail-digest: a digest file is the source format, with no events and no warnings', async () => {
  for (const f of DIGESTS) {
    const text = readFileSync(`${DIR}/${f}`, 'utf8');
    assert.equal(FORMATS.claimHead(text.slice(0, 4096)), cloudTrailDigest, f);
    const p = await parseFile(`${DIR}/${f}`);
    assert.equal(p.result.format, 'cloudtrail-digest', f);
    assert.deepEqual([p.records.length, p.problems], [0, []], f);
  }
});

test('cloudtrail-digest: a digest record first or among events is named with its line; the events import', async () => {
  const digest = JSON.stringify(JSON.parse(readFileSync(`${DIR}/${DIGESTS[2]}`, 'utf8')));
  const events = (JSON.parse(readFileSync('test/fixtures/stratus-red-team/detonation-logs/aws.persistence.iam-create-admin-user.json', 'utf8')) as unknown[]).map((e) => JSON.stringify(e));
  for (const [lines, at] of [[[digest, ...events], 0], [[events[0], digest, ...events.slice(1)], 1]] as const) {
    const p = await parseBuffer(Buffer.from(lines.join('\n') + '\n'));
    assert.equal(p.result.format, 'json-lines');
    assert.equal(p.records.length, events.length);
    assert.deepEqual(p.problems.map((x) => [x.code, x.index]), [['digest-record', at]]);
    assert.match(p.problems[0].message, new RegExp(`record ${at} \\(line ${at + 1}\\) is a CloudTrail digest record`));
  }
});

test('cloudtrail-digest: the head sniff is cheap and only provisional; the element sniff decides', async () => {
  assert.equal(FORMATS.claim({ digestStartTime: 'x', logFiles: [] }, false), cloudTrailDigest);
  assert.equal(FORMATS.claim({ digestStartTime: 'x' }, false), null);
  // An event whose text mentions a digest key: the head sniff claims the file, the record says otherwise.
  const ev = { eventVersion: '1.08', eventName: 'GetObject', eventSource: 's3.amazonaws.com', eventTime: '2024-01-01T00:00:00Z', requestParameters: { digestStartTime: 'x' } };
  const line = JSON.stringify(ev);
  assert.equal(FORMATS.claimHead(line), cloudTrailDigest);
  const p = await parseBuffer(Buffer.from(line + '\n'));
  assert.equal(p.result.format, 'json-lines');
  assert.deepEqual([p.records.length, p.problems], [1, []]);
});
