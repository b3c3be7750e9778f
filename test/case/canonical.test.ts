// electron/case/canonical.ts directly: the canonical JSON of docs/case-format.md,
// its worked examples, and agreement with docs/verify-case.py on generated values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { canonicalJson, sha256Hex } from '../../electron/case/canonical.ts';

const DOC = readFileSync('docs/case-format.md', 'utf8');

test('the example in docs/case-format.md, read from the docs', () => {
  const m = /example: `(\{[^`]*\})` is `(\{[^`]*\})`\./.exec(DOC);
  assert.ok(m, 'the canonical JSON example is in docs/case-format.md');
  assert.equal(canonicalJson(JSON.parse(m[1])), m[2]);
});

test('the custody hash worked in docs/case-format.md', () => {
  const entry = { seq: 2, at: '2026-03-02T10:00:00.000Z', actor: 'Alice Examiner', action: 'note', details: { text: 'a note', tags: ['x'], n: 1.5, none: null }, toolVersion: '0.1.0' };
  const hash = sha256Hex('0'.repeat(64) + '\n' + canonicalJson(entry));
  assert.ok(DOC.includes(hash), `${hash} is the hash the docs give`);
  assert.equal(sha256Hex(Buffer.from('abc')), sha256Hex('abc'));
});

test('keys sort by UTF-16 code units (not code points), at every depth; arrays keep their order', () => {
  const v = { '\uffff': 1, '😀': 2, a: { z: 1, B: [3, { y: 0, x: 0 }] }, B: 4, é: 5, '': 6 };
  assert.equal(canonicalJson(v), '{"":6,"B":4,"a":{"B":[3,{"x":0,"y":0}],"z":1},"é":5,"😀":2,"\uffff":1}');
});

test('undefined and values JSON cannot hold: dropped keys, null in arrays and at the top, numbers as JavaScript prints them', () => {
  assert.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}');
  assert.equal(canonicalJson([undefined, NaN, Infinity, -0, 1e21, 1e-7, 0.1 + 0.2]), '[null,null,null,0,1e+21,1e-7,0.30000000000000004]');
  assert.equal(canonicalJson(undefined), 'null');
  assert.equal(canonicalJson('\ud800\u0007\u2028"\\'), '"\\ud800\\u0007\u2028\\"\\\\"');
});

test('agrees with docs/verify-case.py on generated values (keys, strings with surrogates and controls, numbers)', (t) => {
  if (spawnSync('python3', ['--version']).status !== 0) {
    t.skip('python3 is not installed: the cross-check with verify-case.py needs it');
    return;
  }
  let x = 20260303;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const CHARS = ['a', 'Z', 'é', '😀', '\u0000', '\u001f', '\u2028', '\ud800', '\udfff', '"', '\\', '/', '\uffff', '0', '9'];
  const str = () => Array.from({ length: Math.floor(rnd() * 5) }, () => CHARS[Math.floor(rnd() * CHARS.length)]).join('');
  const num = () => [0, -0, 1, -1, 0.5, 1e21, 1e-7, 123456789012, 2 ** 53, rnd() * 1e6, rnd() * 1e-9, -rnd() * 1e300, 5e-324][Math.floor(rnd() * 13)];
  const value = (d: number): unknown => {
    const k = Math.floor(rnd() * (d > 2 ? 4 : 6));
    if (k === 0) return str();
    if (k === 1) return num();
    if (k === 2) return [null, true, false][Math.floor(rnd() * 3)];
    if (k === 3) return str().length % 2 ? null : num();
    if (k === 4) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(d + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, () => [str(), value(d + 1)]));
  };
  const values = Array.from({ length: 300 }, () => value(0));
  const py = [
    'import importlib.util, json, sys',
    "spec = importlib.util.spec_from_file_location('vc', 'docs/verify-case.py')",
    'vc = importlib.util.module_from_spec(spec); spec.loader.exec_module(vc)',
    "for line in sys.stdin.read().split('\\n'):",
    "    sys.stdout.write(json.dumps(vc.canonical(vc.parse_json(line))) + '\\n')",
  ].join('\n');
  const r = spawnSync('python3', ['-c', py], { input: values.map((v) => JSON.stringify(v)).join('\n'), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const theirs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as string);
  assert.equal(theirs.length, values.length);
  values.forEach((v, i) => assert.equal(theirs[i], canonicalJson(v), JSON.stringify(v)));
});
