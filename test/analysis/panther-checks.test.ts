// Agreement of the built-in checks with Panther's own rule tests
// (test/fixtures/panther-analysis, Apache-2.0). Each mapped Panther rule's test
// event is analysed alone; a mapped check must fire exactly when Panther
// expects an alert. Cases that depend on Panther mocks (lookup tables, counters)
// are reported separately and not asserted. Single events cannot exercise our
// volume checks; those Panther rules are listed in PANTHER_NOT_MAPPED instead.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { AnalysisEvent } from '../../shared/analysis/findings.ts';
import { normalizeRecord } from '../../shared/record.ts';
import { getCheck, runChecks } from '../../electron/analysis/checks/index.ts';
import { PANTHER_MAP, PANTHER_NOT_MAPPED } from '../../electron/analysis/checks/panther-map.ts';

interface PantherCase { rule_id: string; test_name: string; expected_result: boolean; has_mocks: boolean; log: Record<string, any> }

const cases = JSON.parse(readFileSync(new URL('../fixtures/panther-analysis/panther_cloudtrail_rule_tests.json', import.meta.url), 'utf8')) as PantherCase[];

function toEvent(c: PantherCase, i: number): AnalysisEvent {
  const n = normalizeRecord(c.log);
  if (!n) throw new Error(`Panther case ${c.rule_id} / ${c.test_name}: log is not a JSON object`);
  return { leaf: i, eventId: n.eventId ?? `${c.rule_id}#${i}`, timeMs: n.timeMs, record: c.log, n };
}

test('Panther mapping is explicit, complete enough and refers to real rules and checks', () => {
  assert.equal(cases.length, 464);
  const ruleIds = new Set(cases.map((c) => c.rule_id));
  const mapped = new Set<string>();
  for (const m of PANTHER_MAP) {
    assert.ok(ruleIds.has(m.rule), `mapped rule ${m.rule} has no test cases`);
    assert.ok(!mapped.has(m.rule), `rule ${m.rule} mapped twice`);
    mapped.add(m.rule);
    assert.ok(m.checks.length > 0);
    for (const id of m.checks) assert.ok(getCheck(id), `${m.rule} maps to unknown check ${id}`);
  }
  for (const r of Object.keys(PANTHER_NOT_MAPPED)) {
    assert.ok(ruleIds.has(r), `not-mapped rule ${r} has no test cases`);
    assert.ok(!mapped.has(r), `${r} is both mapped and listed as not mapped`);
  }
  assert.ok(mapped.size >= 40, `only ${mapped.size} Panther rules mapped`);
});

test('Panther: mapped checks agree with expected results on >= 95% of non-mock cases', () => {
  const lines: string[] = [];
  let agree = 0, total = 0, mockAgree = 0, mockTotal = 0, positives = 0, negatives = 0;
  for (const m of PANTHER_MAP) {
    const checks = m.checks.map((id) => getCheck(id)!);
    let a = 0, t = 0, ma = 0, mt = 0;
    const misses: string[] = [];
    for (const [i, c] of cases.entries()) {
      if (c.rule_id !== m.rule) continue;
      const fired = runChecks([toEvent(c, i)], checks).length > 0;
      const ok = fired === c.expected_result;
      if (c.has_mocks) { mt++; if (ok) ma++; continue; }
      t++;
      if (c.expected_result) positives++; else negatives++;
      if (ok) a++; else misses.push(`"${c.test_name}" expected ${c.expected_result}`);
    }
    agree += a; total += t; mockAgree += ma; mockTotal += mt;
    lines.push(`${m.rule.padEnd(50)} ${`${a}/${t}`.padStart(6)}${mt ? `  (mocked: ${ma}/${mt})` : ''}${misses.length ? `  disagree: ${misses.join('; ')}` : ''}`);
  }
  const pct = (100 * agree) / total;
  console.log(`\nPanther rule -> agreement on non-mock cases:\n${lines.join('\n')}`);
  console.log(`overall ${agree}/${total} = ${pct.toFixed(1)}% over ${PANTHER_MAP.length} mapped rules (${positives} expected alerts, ${negatives} expected silences); mock-dependent cases ${mockAgree}/${mockTotal} (not asserted)`);
  assert.ok(total >= 100, `only ${total} non-mock cases exercised`);
  assert.ok(positives > 0 && negatives > 0);
  assert.ok(pct >= 95, `agreement ${pct.toFixed(1)}% < 95%`);
});
