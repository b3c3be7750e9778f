// The SQL-backed runner (docs/analysis.md): analyseCase on the Stratus Red Team case
// gives the same findings as the checks' in-memory reference runner and as
// matching every Sigma rule on every record; the pass counting, the memory
// budget path, stored runs, staleness and finding decisions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisEvent } from '../../shared/analysis/findings.ts';
import { normalizeRecord } from '../../shared/record.ts';
import { allChecks, runChecks } from '../../electron/analysis/checks/index.ts';
import { matchSigma } from '../../electron/analysis/sigma/engine.ts';
import { sigmaFinding } from '../../electron/analysis/sigma/bundled.ts';
import { analyseCase, bundledSigma } from '../../electron/analysis/run.ts';
import { decideFinding, latestRun, listFindings, recordRun } from '../../electron/analysis/runs.ts';
import { refsState } from '../../electron/analysis/refs.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { verifyCase } from '../../electron/case/verify.ts';
import { caseWith } from './support.ts';

const STRATUS = 'test/fixtures/stratus-red-team/detonation-logs';
const OTRF = 'test/fixtures/otrf-security-datasets/ec2_proxy_s3_exfiltration.normalized.Records.json';

/** Every case event as the reference runner sees it, straight from the case's records. */
function allEvents(store: import('../../electron/case/store.ts').CaseStore): AnalysisEvent[] {
  const rows = store.db.prepare('SELECT leaf, event_id, time_ms FROM events ORDER BY leaf').all() as any[];
  const files = readdirSync(STRATUS).map((f) => join(STRATUS, f));
  const byId = new Map<string, any>();
  for (const f of files) {
    const doc = JSON.parse(readFileSync(f, 'utf8'));
    for (const r of Array.isArray(doc) ? doc : doc.Records) byId.set(r.eventID, r);
  }
  return rows.map((r) => {
    const rec = byId.get(r.event_id);
    assert.ok(rec, `event ${r.event_id} not in the fixture files`);
    return { leaf: r.leaf, eventId: r.event_id, timeMs: r.time_ms, record: rec, n: normalizeRecord(rec)! };
  });
}

test('analyseCase on the Stratus detonations: findings with real eventIDs, equal to the reference runners, in one pass', async () => {
  const c = await caseWith([STRATUS]);
  try {
    const r = await analyseCase(c.store);
    assert.ok(r.findings.length >= 40, `expected many findings, got ${r.findings.length}`);
    const ids = new Set((c.store.db.prepare('SELECT event_id FROM events').all() as any[]).map((x) => x.event_id));
    for (const f of r.findings) {
      assert.ok(f.eventIds.length > 0, `${f.checkId} has no eventIDs`);
      for (const id of f.eventIds) assert.ok(ids.has(id), `${f.checkId} cites ${id}, not in the case`);
      assert.ok(f.firstSeen && f.lastSeen && f.firstSeen <= f.lastSeen, `${f.checkId} time span`);
    }
    assert.equal(r.checksRun.length, allChecks().length);
    assert.equal(r.sigmaRun.length, bundledSigma().rules.length);
    assert.ok(r.sigmaUnsupported.length > 0 && r.sigmaUnsupported.every((u) => u.reason.length > 10), 'unsupported rules listed with reasons');
    assert.deepEqual(r.warnings, []);
    // One full pass: each record read once (the rules without a SQL prefilter need every event).
    assert.equal(r.treeSize, 310);
    assert.equal(r.eventsRead, 310);
    assert.equal(r.passes, 1);

    // Reference: the checks' own in-memory runner on the same events.
    const events = allEvents(c.store);
    const ref = runChecks(events);
    const mine = r.findings.filter((f) => f.source === 'check');
    assert.deepEqual(mine.map((f) => f.id).sort(), ref.map((f) => f.id).sort());
    const refById = new Map(ref.map((f) => [f.id, f]));
    for (const f of mine) assert.deepEqual(f, refById.get(f.id));
    // Reference: every rule on every record, no prefilter.
    const sigmaRef = new Map<string, string[]>();
    // Correlation rules fire on windows of events, not per event: sigma-correlation.test.ts compares them with their own reference.
    for (const rule of bundledSigma().rules.filter((x) => !x.correlation)) {
      const hits = events.filter((e) => matchSigma(rule, e.record)).map((e) => e.eventId).sort();
      if (hits.length) sigmaRef.set(`sigma:${rule.id}`, hits);
    }
    const correlated = new Set(bundledSigma().rules.filter((x) => x.correlation).map((x) => `sigma:${x.id}`));
    const sigmaMine = new Map(r.findings.filter((f) => f.source === 'sigma' && !correlated.has(f.checkId)).map((f) => [f.checkId, [...f.eventIds].sort()]));
    assert.deepEqual(sigmaMine, sigmaRef);
    // The runner keeps Sigma hits without their records: the findings must equal those built from whole events.
    for (const rule of bundledSigma().rules.filter((x) => !x.correlation)) {
      const hits = events.filter((e) => matchSigma(rule, e.record));
      if (hits.length) assert.deepEqual(r.findings.find((f) => f.checkId === `sigma:${rule.id}`), sigmaFinding(rule, hits));
    }
    assert.ok(sigmaMine.size >= 10, `expected Sigma hits on the detonations, got ${sigmaMine.size}`);

    // A tiny memory budget sends every check through its own SQL selection: same findings, more reads.
    const small = await analyseCase(c.store, { memoryBudgetEvents: 1 });
    assert.deepEqual(small.findings.map((f) => f.id), r.findings.map((f) => f.id));
    assert.ok(small.eventsRead > r.eventsRead, `${small.eventsRead} > ${r.eventsRead}`);
    // Progress and cancellation.
    const phases = new Set<string>();
    await analyseCase(c.store, { onProgress: (p) => phases.add(p.phase) });
    assert.deepEqual([...phases].sort(), ['checks', 'prepare', 'scan']);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(analyseCase(c.store, { signal: ac.signal }), /cancelled/);
  } finally {
    c.cleanup();
  }
});

test('a stored run: custody entry, findings hash, decisions kept across re-runs, stale after an import', async () => {
  const c = await caseWith([STRATUS]);
  try {
    assert.equal(listFindings(c.store).run, null);
    assert.equal(refsState(c.store).upToDate, false);
    const r = await analyseCase(c.store, { buildRefs: { actor: 'Runner' } });
    assert.equal(refsState(c.store).upToDate, true, 'the event index was built in the same pass');
    const s = recordRun(c.store, 'Runner', r);
    assert.equal(s.runId, 1);
    const cust = c.store.db.prepare("SELECT details FROM custody WHERE action = 'analysis.run'").all() as any[];
    assert.equal(cust.length, 1);
    assert.equal(JSON.parse(cust[0].details).findings, r.findings.length);
    const list = listFindings(c.store);
    assert.equal(list.stale, false);
    assert.equal(list.total, r.findings.length);
    assert.ok(list.items.every((f) => f.decision === 'open'), 'all open');

    const f = list.items.find((x) => x.checkId === 'defense-evasion.cloudtrail-stopped')!;
    assert.ok(f, 'StopLogging finding');
    assert.throws(() => decideFinding(c.store, 'Runner', f.id, 'dismissed'), /needs a note/);
    assert.throws(() => decideFinding(c.store, 'Runner', 'nope', 'accepted'), /no finding nope/);
    decideFinding(c.store, 'Runner', f.id, 'accepted', 'confirmed with the account owner');
    assert.equal(listFindings(c.store, { decision: ['accepted'] }).items[0].id, f.id);
    assert.equal(listFindings(c.store, { decision: ['accepted'] }).items[0].decisionNote, 'confirmed with the account owner');
    // Same events, same checks: same finding ids, so the decision holds for the new run.
    recordRun(c.store, 'Runner', await analyseCase(c.store));
    assert.equal(latestRun(c.store)!.summary.runId, 2);
    assert.equal(listFindings(c.store, { decision: ['accepted'] }).total, 1);
    assert.throws(() => c.store.db.prepare('DELETE FROM analysis_runs').run(), /append-only/);

    // New events: the stored run is stale until re-run.
    await importPaths(c.store, c.signer, { sources: [OTRF] }, { workers: 1 });
    const after = listFindings(c.store);
    assert.equal(after.stale, true);
    assert.match(after.staleReason ?? '', /the case has 413 events, the run saw 310/);
    const r3 = await analyseCase(c.store, { buildRefs: { actor: 'Runner' } });
    assert.equal(r3.eventsRead, 413);
    recordRun(c.store, 'Runner', r3);
    assert.equal(listFindings(c.store).stale, false);
    assert.deepEqual(verifyCase(c.store).problems, []);
    // A stored run whose findings were altered is refused.
    c.store.db.exec('DROP TRIGGER analysis_runs_no_update');
    c.store.db.prepare("UPDATE analysis_runs SET findings = '[]' WHERE id = 3").run();
    assert.throws(() => listFindings(c.store), /altered/);
  } finally {
    c.cleanup();
  }
});
