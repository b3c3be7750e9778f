// A Sigma rule that matches much of a case builds its finding through a TEMP
// table SQLite sorts (electron/analysis/sigma/hits.ts, docs/analysis.md
// "Memory"). The finding must be exactly the one built in memory from whole
// events: same id, listed events, artefacts, times and explanation, also with
// hostile eventIDs (non-ASCII, where SQLite's byte order and JavaScript's
// UTF-16 order differ) and an eventID imported twice at different times. A
// finding resting on more than FINDING_EVENT_LIST_LIMIT events lists the first
// ones and says how many.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FINDING_EVENT_LIST_LIMIT, findingEventCount, type AnalysisEvent } from '../../shared/analysis/findings.ts';
import { analyseCase } from '../../electron/analysis/run.ts';
import { compileSigmaCollection, matchSigma } from '../../electron/analysis/sigma/engine.ts';
import { sigmaFinding, sigmaFindingId } from '../../electron/analysis/sigma/bundled.ts';
import { scanPages } from '../../electron/analysis/records.ts';
import { caseWith, tempDir } from './support.ts';
import { CaseStore } from '../../electron/case/store.ts';

const RULE = `
title: Bucket listing (test)
id: 6d3f3a38-8a61-4f0b-9d8e-0c7c3e3b0a11
status: test
description: ListBuckets by anyone
author: TrailCase tests
date: 2026-12-03
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { eventSource: s3.amazonaws.com, eventName: ListBuckets }
  condition: selection
level: low
tags: [attack.discovery, attack.t1619]
`;

const T0 = Date.parse('2024-05-01T10:00:00Z');

function record(i: number, over: { id?: string; sec?: number | null; name?: string; ip?: string; user?: string } = {}) {
  const sec = over.sec === undefined ? Math.floor(i / 3) : over.sec; // three events a second: ties on time everywhere
  return {
    eventVersion: '1.08',
    ...(sec === null ? {} : { eventTime: new Date(T0 + sec * 1000).toISOString().replace('.000Z', 'Z') }),
    eventSource: 's3.amazonaws.com',
    eventName: over.name ?? 'ListBuckets',
    awsRegion: 'us-east-1',
    sourceIPAddress: over.ip ?? `198.51.100.${i % 7}`,
    userAgent: 'aws-cli/2.15',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: `arn:aws:iam::111122223333:user/${over.user ?? `u${i % 5}`}`, accountId: '111122223333', userName: over.user ?? `u${i % 5}` },
    requestParameters: null,
    responseElements: null,
    // Not in time order of id: the ids sort differently from the times.
    eventID: over.id ?? `${String((i * 7919) % 100_000).padStart(5, '0')}-0000-4000-8000-${String(i).padStart(12, '0')}`,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
  };
}

async function caseOf(records: Record<string, unknown>[]) {
  const dir = tempDir('trailcase-spill-');
  const file = join(dir, 'trail.json');
  writeFileSync(file, JSON.stringify({ Records: records }));
  return caseWith([file]);
}

const rule = () => {
  const r = compileSigmaCollection([{ file: 'test.yml', text: RULE }]);
  assert.deepEqual(r.unsupported, []);
  return r.rules;
};

function allEvents(store: Parameters<typeof scanPages>[0]): AnalysisEvent[] {
  return [...scanPages(store)].flat();
}

test('a rule matching many events: the finding built through SQLite equals the one built in memory', async () => {
  const records: Record<string, unknown>[] = [];
  for (let i = 0; i < 600; i++) records.push(record(i, { name: i % 4 === 3 ? 'GetObject' : 'ListBuckets' }));
  // Hostile ids at one second: non-ASCII characters SQLite and JavaScript order differently
  // (a character above U+E000 against one outside the BMP), and ids that differ only there.
  const at = 90;
  for (const [k, id] of ['\uff21-evt', '\u{1F600}-evt', '\uff21-evu', '\u{1F600}-evs', 'ascii-evt', '\u00e9-evt'].entries()) records.push(record(700 + k, { id, sec: at }));
  // The same eventID at two different times (imported twice), and events without a time.
  records.push(record(800, { id: 'dup-0000', sec: 10 }), record(801, { id: 'dup-0000', sec: 150 }));
  records.push(record(802, { sec: null }), record(803, { sec: null, id: '\uff21-untimed' }), record(804, { sec: null, id: '\u{1F600}-untimed' }));
  const c = await caseOf(records);
  try {
    const rules = rule();
    const held = await analyseCase(c.store, { checks: [], sigma: { rules, unsupported: [] } });
    const spilled = await analyseCase(c.store, { checks: [], sigma: { rules, unsupported: [] }, sigmaSpillAt: 0 });
    assert.equal(held.findings.length, 1);
    assert.deepEqual(spilled.findings, held.findings);
    assert.deepEqual(spilled.warnings, held.warnings);
    // And both equal the finding built from whole events, with JavaScript's own sort.
    const events = allEvents(c.store).filter((e) => matchSigma(rules[0], e.record));
    assert.deepEqual(held.findings[0], sigmaFinding(rules[0], events));
    const f = held.findings[0];
    assert.equal(f.eventIds.filter((id) => id === 'dup-0000').length, 1, 'an eventID imported twice counts once');
    assert.equal(f.eventCount, undefined, 'eventCount only when the list is cut');
    // The order the test was written for: the non-ASCII ids at one second in JavaScript's order.
    const hostile = f.eventIds.filter((id) => /-ev[stu]$/.test(id));
    assert.deepEqual(hostile, [...hostile].sort());
    assert.notDeepEqual(hostile, [...hostile].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))), 'the fixture must hold ids SQLite orders differently');
  } finally {
    c.cleanup();
  }
});

test('on a case opened read-only the matches spill too (its TEMP table), with the same finding and no warnings', async () => {
  const records: Record<string, unknown>[] = [];
  for (let i = 0; i < 300; i++) records.push(record(i));
  const c = await caseOf(records);
  try {
    const rules = rule();
    const held = await analyseCase(c.store, { checks: [], sigma: { rules, unsupported: [] } });
    const ro = CaseStore.open(c.store.path, { readonly: true });
    try {
      assert.equal(ro.db.pragma('query_only', { simple: true }), 1, 'a read-only store refuses writes');
      const spilled = await analyseCase(ro, { checks: [], sigma: { rules, unsupported: [] }, sigmaSpillAt: 0 });
      assert.deepEqual(spilled.findings, held.findings);
      assert.deepEqual(spilled.warnings, []);
      assert.equal(ro.db.pragma('query_only', { simple: true }), 1, 'and still refuses them after');
      assert.throws(() => ro.db.exec("INSERT INTO case_meta(key, value) VALUES ('x', 'y')"), /readonly|query_only|attempt to write/i);
    } finally {
      ro.close();
    }
  } finally {
    c.cleanup();
  }
});

test(`a finding resting on more than ${FINDING_EVENT_LIST_LIMIT} events lists the first ones and counts them all`, async () => {
  const n = FINDING_EVENT_LIST_LIMIT + 37;
  const records: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) records.push(record(i));
  const c = await caseOf(records);
  try {
    const rules = rule();
    const spilled = await analyseCase(c.store, { checks: [], sigma: { rules, unsupported: [] }, sigmaSpillAt: 0 });
    const held = await analyseCase(c.store, { checks: [], sigma: { rules, unsupported: [] }, sigmaSpillAt: Number.MAX_SAFE_INTEGER });
    assert.deepEqual(spilled.findings, held.findings);
    const f = spilled.findings[0];
    assert.equal(f.eventIds.length, FINDING_EVENT_LIST_LIMIT);
    assert.equal(f.eventCount, n);
    assert.equal(findingEventCount(f), n);
    // The id covers every event, not only the listed ones.
    const all = allEvents(c.store);
    assert.equal(f.id, sigmaFindingId(f.checkId, all.map((e) => e.eventId)));
    // The listed ones are the earliest, in time order.
    const inOrder = sigmaFinding(rules[0], all);
    assert.deepEqual(f.eventIds, inOrder.eventIds);
    assert.match(f.explanation, new RegExp(`matched ${n} events`));
  } finally {
    c.cleanup();
  }
});

test('a correlation window read back through SQLite equals the one read back in memory (and the whole events)', async () => {
  const corr = `title: Listing burst per user (test)
id: 7e0c1f52-3d1a-4b7e-8f0e-2a9c5d4b6e01
status: test
author: TrailCase tests
date: 2026-12-03
correlation:
  type: event_count
  rules:
    - bucket_listing
  group-by:
    - userIdentity.arn
  timespan: 10m
  condition:
    gte: 20
---
title: Bucket listing (base)
id: 7e0c1f52-3d1a-4b7e-8f0e-2a9c5d4b6e02
name: bucket_listing
status: test
author: TrailCase tests
date: 2026-12-03
logsource: { product: aws, service: cloudtrail }
detection:
  selection: { eventName: ListBuckets }
  condition: selection
level: low
`;
  const r = compileSigmaCollection([{ file: 'corr.yml', text: corr }]);
  assert.deepEqual(r.unsupported, []);
  const records: Record<string, unknown>[] = [];
  for (let i = 0; i < 400; i++) records.push(record(i, { name: i % 4 === 3 ? 'GetObject' : 'ListBuckets' }));
  for (const [k, id] of ['\uff21-c', '\u{1F600}-c', '\uff21-d', '\u{1F600}-b'].entries()) records.push(record(500 + k, { id, sec: 20, user: 'u0' }));
  const c = await caseOf(records);
  try {
    const sigma = { rules: r.rules, unsupported: [] };
    const held = await analyseCase(c.store, { checks: [], sigma });
    const spilled = await analyseCase(c.store, { checks: [], sigma, sigmaSpillAt: 0 });
    assert.ok(held.findings.length >= 3, `expected a window per user, got ${held.findings.length}`);
    assert.deepEqual(spilled.findings, held.findings);
    // The events of each window, read back whole: the same finding.
    const byId = new Map(allEvents(c.store).map((e) => [e.eventId, e]));
    for (const f of held.findings) {
      const again = sigmaFinding(r.rules[0], f.eventIds.map((id) => byId.get(id)!));
      assert.equal(again.id, f.id);
      assert.deepEqual(again.artefacts, f.artefacts);
    }
  } finally {
    c.cleanup();
  }
});
