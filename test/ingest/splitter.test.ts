// electron/ingest/splitter.ts directly: every place records sit, fed whole and
// cut at every byte offset (and into random pieces, and byte by byte), must give
// the same spans and the same problems. The documents carry multi-byte UTF-8,
// escaped quotes and backslash runs so that chunk edges fall inside them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordSplitter, type SplitProblem, type SplitRecord } from '../../electron/ingest/splitter.ts';

const KEYS = new Set(['Records', 'Events', 'QueryResultRows']);

interface Out {
  records: { offset: number; container: string; index: number; text: string }[];
  problems: SplitProblem[];
}

function split(chunks: Buffer[], opts: { maxRecordBytes?: number; keys?: ReadonlySet<string> } = {}): Out {
  const out: Out = { records: [], problems: [] };
  const s = new RecordSplitter(
    (r: SplitRecord) => out.records.push({ offset: r.offset, container: r.container, index: r.index, text: r.bytes.toString('utf8') }),
    (p) => out.problems.push(p),
    { wrapperKeys: opts.keys ?? KEYS, maxRecordBytes: opts.maxRecordBytes },
  );
  // The caller's stream reuses its buffers: hand over copies and scribble on them afterwards.
  for (const c of chunks) {
    const copy = Buffer.from(c);
    s.push(copy);
    copy.fill(0x21);
  }
  s.end();
  return out;
}

/** A document assembled from pieces, with the offset of every record piece known. */
function doc(parts: (string | { rec: string })[]): { bytes: Buffer; spans: { offset: number; text: string }[] } {
  let offset = 0;
  const spans: { offset: number; text: string }[] = [];
  const bufs: Buffer[] = [];
  for (const p of parts) {
    const text = typeof p === 'string' ? p : p.rec;
    const b = Buffer.from(text, 'utf8');
    if (typeof p !== 'string') spans.push({ offset, text });
    bufs.push(b);
    offset += b.length;
  }
  return { bytes: Buffer.concat(bufs), spans };
}

// Records chosen to put awkward bytes everywhere: 2-, 3- and 4-byte UTF-8, escaped quotes, backslash runs, braces in strings.
const R = [
  '{"eventName":"Pé€😀","k":"a\\"b","n":1}',
  '{"eventName":"x","p":"\\\\","q":"\\\\\\"}{[","arr":[1,{"a":"]"}]}',
  '{"userAgent":"Ünïcødé ☃ \\u00e9","e":{},"z":[]}',
];

const SHAPES: [string, string, ReturnType<typeof doc>][] = [
  ['Records', 'Records', doc(['{"Records":[', { rec: R[0] }, ',', { rec: R[1] }, ',\n  ', { rec: R[2] }, ']}'])],
  ['Events', 'Events', doc(['\ufeff {"NextToken":"é","Events": [ ', { rec: R[0] }, ' , ', { rec: R[1] }, ']}'])],
  ['QueryResultRows', 'QueryResultRows', doc(['{"QueryStatus":"FINISHED","QueryResultRows":[', { rec: '[{"eventjson":"{\\"é\\":1}"}]' }, ',', { rec: '[{"a":"😀"},{"b":"\\\\"}]' }, ']}'])],
  ['array', 'array', doc(['  [', { rec: R[0] }, ',', { rec: R[1] }, ',', { rec: R[2] }, ']\n'])],
  ['JSON lines', 'object', doc([{ rec: R[0] }, '\r\n', { rec: R[1] }, '\n', { rec: R[2] }, '\n'])],
  ['pretty objects one after another', 'object', doc([{ rec: '{\n  "a": "é",\n  "b": [1,\n 2]\n}' }, '\n', { rec: '{\n "c": "\\"}"\n}' }])],
];

function everyCut(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let i = 0; i <= bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  return out;
}

function randomCuts(bytes: Buffer, seed: number, n: number): Buffer[][] {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const out: Buffer[][] = [];
  for (let k = 0; k < n; k++) {
    const cuts = [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => Math.floor(rnd() * bytes.length)))].sort((a, b) => a - b);
    const pieces: Buffer[] = [];
    let from = 0;
    for (const c of [...cuts, bytes.length]) {
      pieces.push(bytes.subarray(from, c));
      from = c;
    }
    out.push(pieces);
  }
  return out;
}

const bytewise = (b: Buffer) => [...b].map((x) => Buffer.from([x]));

for (const [label, container, d] of SHAPES) {
  test(`splitter, ${label}: spans, place and index exact, whole and at every chunk edge`, () => {
    const whole = split([d.bytes]);
    assert.deepEqual(whole.problems, []);
    assert.deepEqual(
      whole.records,
      d.spans.map((s, index) => ({ offset: s.offset, container, index, text: s.text })),
    );
    for (const chunks of [...everyCut(d.bytes), ...randomCuts(d.bytes, d.bytes.length, 200), bytewise(d.bytes)]) {
      assert.deepEqual(split(chunks), whole, `cut at ${chunks.map((c) => c.length).join('+')}`);
    }
  });
}

const PROBLEMS: [string, Buffer, string[]][] = [
  ['a broken JSON line (raw newline in a string)', Buffer.from(`${R[0]}\n{"a":"é\n${R[2]}\n`), ['malformed-json']],
  ['a JSON line ending before its object does', Buffer.from(`${R[0]}\n{"a":[1,\n${R[2]}\n`), ['malformed-json']],
  ['a truncated wrapper', Buffer.from(`{"Records":[${R[0]},${R[1].slice(0, 30)}`), ['truncated']],
  ['a string among records', Buffer.from(`[${R[0]},"é",${R[2]}]`), ['not-an-object']],
  ['a number and a literal among records', Buffer.from(`{"Records":[${R[0]}, 12.5e3 ,true,${R[2]}]}`), ['not-an-object', 'not-an-object']],
  ['trailing data after an array', Buffer.from(`[${R[0]}] é`), ['trailing-data']],
  ['a string after an array', Buffer.from(`[${R[0]}]\n"é"`), ['trailing-data']],
  ['two byte-order marks', Buffer.from('\ufeff \ufeff[]'), ['not-json']],
  ['half a byte-order mark', Buffer.from([0x20, 0xef, 0xbb]), ['not-json']],
  ['0xef that starts no mark', Buffer.from([0xef, 0x7b, 0x7d]), ['not-json']],
  ['trailing data after an object', Buffer.from(`${R[0]}\n]junk`), ['trailing-data']],
  ['not JSON at all', Buffer.from('é not json'), ['not-json']],
  ['nothing but white space', Buffer.from(' \r\n\t'), ['empty']],
];

for (const [label, bytes, codes] of PROBLEMS) {
  test(`splitter, ${label}: the same problem and the same surviving records at every chunk edge`, () => {
    const whole = split([bytes]);
    assert.deepEqual(whole.problems.map((p) => p.code), codes);
    for (const chunks of [...everyCut(bytes), bytewise(bytes)]) assert.deepEqual(split(chunks), whole, `cut at ${chunks[0].length}`);
  });
}

test('splitter: elements that are not objects keep their index, so the records after them keep theirs', () => {
  const out = split([Buffer.from(`[${R[0]},"é",7,${R[2]}]`)]);
  assert.deepEqual(out.records.map((r) => [r.index, r.text]), [[0, R[0]], [3, R[2]]]);
  assert.deepEqual(out.problems.map((p) => [p.code, p.index, p.offset]), [['not-an-object', 1, Buffer.byteLength(R[0]) + 2], ['not-an-object', 2, Buffer.byteLength(R[0]) + 7]]);
});

test('splitter: a byte-order mark is skipped once, wherever the chunk edges fall', () => {
  const bytes = Buffer.from(`\ufeff[${R[0]}]`);
  const whole = split([bytes]);
  assert.deepEqual(whole.records.map((r) => [r.offset, r.text]), [[4, R[0]]]);
  for (const chunks of everyCut(bytes)) assert.deepEqual(split(chunks), whole);
  assert.match(split([Buffer.from([0xef, 0x7b])]).problems[0].message, /byte 0xef/);
});

test('splitter: the records around a broken line survive, numbered in order', () => {
  const out = split([Buffer.from(`${R[0]}\n{"a":"é\n${R[2]}\n`)]);
  assert.deepEqual(out.records.map((r) => [r.index, r.text]), [[0, R[0]], [2, R[2]]]);
  assert.equal(out.problems[0].index, 1);
});

test('splitter: a record over the size limit is reported with its size, the next one still delivered, at every edge', () => {
  const big = `{"eventName":"${'é'.repeat(40)}"}`;
  const bytes = Buffer.from(`{"Records":[${big},${R[0]}]}`);
  const whole = split([bytes], { maxRecordBytes: 60 });
  assert.deepEqual(whole.problems.map((p) => [p.code, p.index]), [['record-too-large', 0]]);
  assert.match(whole.problems[0].message, new RegExp(`${Buffer.byteLength(big)} bytes, over the 60-byte limit`));
  assert.deepEqual(whole.records.map((r) => [r.index, r.text]), [[1, R[0]]]);
  for (const chunks of everyCut(bytes)) assert.deepEqual(split(chunks, { maxRecordBytes: 60 }), whole);
});

test('splitter: a wrapper key it is not given is just a record (the formats decide the keys)', () => {
  const bytes = Buffer.from(`{"Items":[${R[0]}]}`);
  assert.deepEqual(split([bytes]).records.map((r) => [r.container, r.text]), [['object', bytes.toString()]]);
  assert.deepEqual(split([bytes], { keys: new Set(['Items']) }).records.map((r) => [r.container, r.text]), [['Items', R[0]]]);
});
