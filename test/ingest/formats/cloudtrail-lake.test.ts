// electron/ingest/formats/cloudtrail-lake.ts: GetQueryResults pages built from
// real records (Stratus Red Team): rows with the eventJson column (encoding 2)
// and rows of plain columns (encoding 3), as CloudTrail Lake returns them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cloudTrailLake } from '../../../electron/ingest/formats/cloudtrail-lake.ts';
import { FORMATS } from '../../../electron/ingest/formats/index.ts';
import { parseBuffer } from '../../support/parse.ts';

const records = JSON.parse(readFileSync('test/fixtures/stratus-red-team/detonation-logs/aws.credential-access.ec2-steal-instance-credentials.json', 'utf8')) as Record<string, unknown>[];

test('cloudtrail-lake: a row with eventJson is that event, byte for byte (encoding 2)', async () => {
  assert.equal(FORMATS.at('QueryResultRows'), cloudTrailLake);
  const rows = records.map((r) => [{ eventjson: JSON.stringify(r) }, { eventTime: String(r.eventTime) }]);
  const p = await parseBuffer(Buffer.from(JSON.stringify({ QueryStatus: 'FINISHED', QueryResultRows: rows, NextToken: 'n' })));
  assert.equal(p.result.format, 'cloudtrail-lake');
  assert.deepEqual(p.problems, []);
  assert.equal(p.records.length, records.length);
  p.records.forEach((r, i) => {
    assert.equal(r.enc, 2);
    assert.equal(p.recordText(r), JSON.stringify(records[i]));
  });
});

test('cloudtrail-lake: a row of columns is one object, nested JSON text parsed (encoding 3); a row that is not cells is named', async () => {
  const cols = (r: Record<string, unknown>) =>
    Object.entries(r).map(([k, v]) => ({ [k]: v !== null && typeof v === 'object' ? JSON.stringify(v) : v }));
  const p = await parseBuffer(Buffer.from(JSON.stringify({ QueryResultRows: [cols(records[0]), ['not a cell'], cols(records[1])] })));
  assert.deepEqual(p.records.map((r) => [r.index, r.enc]), [[0, 3], [2, 3]]);
  assert.deepEqual(JSON.parse(p.recordText(p.records[0])), records[0]);
  assert.deepEqual(p.problems.map((x) => [x.code, x.index]), [['bad-record', 1]]);
  assert.match(p.problems[0].message, /Lake result cell is not an object/);
});
