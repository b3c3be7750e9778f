// electron/case/encodings.ts: the numbers stored in cases keep their meaning, each
// is documented in docs/case-format.md, and every decoder fails cleanly on a slice that does not fit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ENCODING_NAMES, ENCODINGS, RecordDecodeError, recordBytes } from '../../electron/case/encodings.ts';

test('encoding numbers are stable: cases already hold them (never renumber, never reuse)', () => {
  assert.deepEqual(ENCODING_NAMES, { 0: 'raw', 1: 'lookup-events:CloudTrailEvent', 2: 'lake-row:eventJson', 3: 'lake-row:columns' });
  ENCODINGS.forEach((e, i) => assert.equal(e.id, i));
});

test('every encoding is in docs/case-format.md "Record encodings", and the docs name no other', () => {
  const doc = readFileSync('docs/case-format.md', 'utf8');
  const section = doc.slice(doc.indexOf('**Record encodings**'), doc.indexOf('**Decompression**'));
  const documented = [...section.matchAll(/^\| `(\d+)` \| `([^`]+)` \|/gm)].map((m) => [Number(m[1]), m[2]]);
  assert.deepEqual(documented, ENCODINGS.map((e) => [e.id, e.name]));
});

test('decoders: the record for each encoding, and a clear error for a slice that does not fit', () => {
  const rec = '{"eventName":"X","n":"é"}';
  assert.equal(recordBytes(0, Buffer.from('[1]')).toString(), '[1]');
  assert.equal(recordBytes(1, Buffer.from(JSON.stringify({ EventId: 'e', CloudTrailEvent: rec }))).toString(), rec);
  assert.equal(recordBytes(2, Buffer.from(JSON.stringify([{ EventJSON: rec }, { eventjson: 'later' }]))).toString(), rec);
  assert.equal(recordBytes(3, Buffer.from(JSON.stringify([{ b: '{"x":1}' }, { a: '[oops' }, { b: 2 }]))).toString(), '{"b":2,"a":"[oops"}');
  assert.throws(() => recordBytes(1, Buffer.from('{"EventId":"e"}')), RecordDecodeError);
  assert.throws(() => recordBytes(2, Buffer.from('[{"eventName":"x"}]')), /no eventJson string/);
  assert.throws(() => recordBytes(3, Buffer.from('{"not":"a row"}')), /not an array of columns/);
  assert.throws(() => recordBytes(3, Buffer.from('[1]')), /cell is not an object/);
  assert.throws(() => recordBytes(4, Buffer.from('{}')), /unknown record encoding 4/);
  assert.throws(() => recordBytes(-1, Buffer.from('{}')), /unknown record encoding -1/);
});
