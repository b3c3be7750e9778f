// shared/text/csv.ts: the one CSV writer (RFC 4180 + OWASP CSV injection), and its inverse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, csvDocument, csvLine, csvNeutralise, csvUnneutralise } from '../../../shared/text/csv.ts';

test('RFC 4180 quoting', () => {
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(undefined), '');
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell(' padded '), '" padded "');
  assert.equal(csvCell(42), '42');
  assert.equal(csvCell({ a: 1 }), '"{""a"":1}"');
  assert.equal(csvLine(['a', 'b,c', null]), 'a,"b,c",\r\n');
  assert.equal(csvDocument(['h1', 'h2'], [['1', '2']]), 'h1,h2\r\n1,2\r\n');
});

test('formula-like cells are neutralised with an apostrophe (= + - @ tab CR)', () => {
  assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  assert.equal(csvCell('+1'), "'+1");
  assert.equal(csvCell('-2+3'), "'-2+3");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\t=1'), "'\t=1");
  assert.equal(csvCell('\r=1'), `"'\r=1"`);
  assert.equal(csvCell('a=1'), 'a=1');
  assert.equal(csvCell(-5), "'-5");
});

test('neutralising is reversible: exactly one apostrophe is removed, only where one was added', () => {
  const values = ['=1', "'=1", "''+x", "'plain", 'plain', '-', "'", "'@", '@', '\tx', "it's", ''];
  for (const v of values) assert.equal(csvUnneutralise(csvNeutralise(v)), v, JSON.stringify(v));
  assert.equal(csvNeutralise("'=1"), "''=1");
  assert.equal(csvNeutralise("'plain"), "'plain");
  assert.equal(csvUnneutralise("'plain"), "'plain");
});
