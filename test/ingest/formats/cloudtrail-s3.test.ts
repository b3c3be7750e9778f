// electron/ingest/formats/cloudtrail-s3.ts on a real log file (OTRF Security-Datasets, normalised to the S3 shape).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cloudTrailS3 } from '../../../electron/ingest/formats/cloudtrail-s3.ts';
import { FORMATS } from '../../../electron/ingest/formats/index.ts';
import { parseFile } from '../../support/parse.ts';

const FILE = 'test/fixtures/otrf-security-datasets/ec2_proxy_s3_exfiltration.normalized.Records.json';

test('cloudtrail-s3: every element of Records is a record, raw, byte-exact', async () => {
  assert.equal(FORMATS.at('Records'), cloudTrailS3);
  assert.ok(FORMATS.wrapperKeys.has('Records'));
  const want = JSON.parse(readFileSync(FILE, 'utf8')).Records as { eventID: string }[];
  const p = await parseFile(FILE);
  assert.equal(p.result.format, 'cloudtrail-s3');
  assert.deepEqual(p.problems, []);
  assert.equal(p.records.length, want.length);
  p.records.forEach((r, i) => {
    assert.equal(r.enc, 0);
    assert.equal(r.index, i);
    assert.deepEqual(JSON.parse(p.recordText(r)), want[i]);
    assert.equal(r.n.eventId, want[i].eventID);
  });
});
