// electron/ingest/formats/json-lines.ts on a real JSON-lines export (OTRF Security-Datasets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { jsonLines } from '../../../electron/ingest/formats/json-lines.ts';
import { FORMATS } from '../../../electron/ingest/formats/index.ts';
import { parseBuffer, parseFile } from '../../support/parse.ts';

const FILE = 'test/fixtures/otrf-security-datasets/ec2_proxy_s3_exfiltration_2020-09-14011940.json';

test('json-lines: every line is a record, raw, byte-exact', async () => {
  assert.equal(FORMATS.at('object'), jsonLines);
  const lines = readFileSync(FILE, 'utf8').split('\n').filter((l) => l.trim());
  const p = await parseFile(FILE);
  assert.equal(p.result.format, 'json-lines');
  assert.deepEqual(p.problems, []);
  assert.equal(p.records.length, lines.length);
  p.records.forEach((r, i) => {
    assert.equal(r.enc, 0);
    assert.equal(p.recordText(r), lines[i].replace(/\r$/, ''));
  });
});

test('json-lines: a line cut in two is reported with its index and the lines around it still import', async () => {
  const lines = readFileSync(FILE, 'utf8').split('\n').filter((l) => l.trim()).slice(0, 3);
  const broken = [lines[0], lines[1].slice(0, 40), lines[2]].join('\n') + '\n';
  const p = await parseBuffer(Buffer.from(broken));
  assert.equal(p.result.format, 'json-lines');
  assert.deepEqual(p.records.map((r) => r.index), [0, 2]);
  assert.deepEqual(p.problems.map((x) => [x.code, x.index]), [['malformed-json', 1]]);
});
