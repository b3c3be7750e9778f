// electron/ingest/formats/format.ts: the registry refuses ambiguous compositions,
// and a new format is a unit in a list: the splitter is not touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENC_RAW } from '../../../electron/case/encodings.ts';
import { FormatRegistry, type ImportFormat, type SourceFormat } from '../../../electron/ingest/formats/format.ts';
import { FORMATS } from '../../../electron/ingest/formats/index.ts';
import { parseBuffer } from '../../support/parse.ts';

const unit = (name: string, recordsAt: SourceFormat['recordsAt']): SourceFormat => ({ kind: 'source', name, version: '1.0.0', dataFormat: name, recordsAt, encodingOf: () => ENC_RAW });

test('the composed list: names unique, one format per place, the wrapper keys the splitter is given', () => {
  const names = FORMATS.all.map((f) => f.name);
  assert.equal(new Set(names).size, names.length);
  assert.deepEqual([...FORMATS.wrapperKeys].sort(), ['Events', 'QueryResultRows', 'Records']);
  for (const f of FORMATS.all) assert.match(f.version, /^\d+\.\d+\.\d+$/, f.name);
});

test('the registry refuses a name twice, a place twice, an unknown encoding, and a list without arrays or lines', () => {
  const base: ImportFormat[] = [unit('a', { elements: 'array' }), unit('l', { elements: 'lines' })];
  assert.throws(() => new FormatRegistry([...base, unit('a', { wrapper: 'X' })]), /name a is registered twice/);
  assert.throws(() => new FormatRegistry([...base, unit('b', { wrapper: 'array' })]), /both claim records at array/);
  assert.throws(() => new FormatRegistry([...base, unit('c', { wrapper: 'x'.repeat(65) })]), /longer than 64 bytes/);
  assert.throws(
    () => new FormatRegistry([...base, { kind: 'carrier', name: 'e', version: '1', dataFormat: 'e', sniff: () => true, encoding: 99, recordText: () => '', sourceNames: {} }]),
    /record encoding 99 is not in/,
  );
  assert.throws(() => new FormatRegistry([unit('a', { elements: 'array' })]), /no import format for records at object/);
  assert.throws(() => new FormatRegistry(base).at('Records'), /no import format for records at Records/);
});

test('a new wrapper format is one unit in the list: its records are found without touching the splitter', async () => {
  const items = unit('example-items', { wrapper: 'Items' });
  const ev = (i: number) => ({ eventVersion: '1.08', eventName: 'ListUsers', eventSource: 'iam.amazonaws.com', eventTime: '2024-01-01T00:00:00Z', eventID: `e${i}` });
  const doc = Buffer.from(JSON.stringify({ Count: 2, Items: [ev(1), ev(2)] }));
  // Without it the wrapper object is one JSON-lines record that is not an event.
  const before = await parseBuffer(doc);
  assert.deepEqual([before.result.format, before.records.length, before.problems.map((p) => p.code)], ['json-lines', 0, ['not-cloudtrail']]);
  const withIt = await parseBuffer(doc, { formats: new FormatRegistry([...FORMATS.all, items]) });
  assert.equal(withIt.result.format, 'example-items');
  assert.deepEqual(withIt.records.map((r) => r.n.eventId), ['e1', 'e2']);
  assert.deepEqual(withIt.problems, []);
});
