// electron/ingest/formats/json-array.ts on a real Stratus Red Team detonation log (a plain array).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { jsonArray } from '../../../electron/ingest/formats/json-array.ts';
import { FORMATS } from '../../../electron/ingest/formats/index.ts';
import { parseFile } from '../../support/parse.ts';

const FILE = 'test/fixtures/stratus-red-team/detonation-logs/aws.execution.ssm-send-command.json';

test('json-array: every element is a record, raw, byte-exact, whatever the file is called', async () => {
  assert.equal(FORMATS.at('array'), jsonArray);
  const want = JSON.parse(readFileSync(FILE, 'utf8')) as { eventID: string }[];
  const p = await parseFile(FILE);
  assert.equal(p.result.format, 'json-array');
  assert.deepEqual(p.problems, []);
  assert.equal(p.records.length, want.length);
  p.records.forEach((r, i) => {
    assert.equal(r.enc, 0);
    assert.deepEqual(JSON.parse(p.recordText(r)), want[i]);
  });
});

test('json-array: an element that is not a CloudTrail event is named, not imported (Panther rule tests are not events)', async () => {
  const p = await parseFile('test/fixtures/panther-analysis/panther_cloudtrail_rule_tests.json');
  assert.equal(p.result.format, 'json-array');
  assert.equal(p.records.length, 0);
  assert.equal(p.result.rejected, p.problems.length);
  assert.ok(p.problems.length > 0 && p.problems.every((x) => x.code === 'not-cloudtrail'));
});
