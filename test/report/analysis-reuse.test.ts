// The report takes the case's stored analysis run when it still describes the
// verified case (docs/architecture.md: "the report reusing a stored analysis run that is not
// stale"), analyses again otherwise and says why; and a checkpoint signed for a
// report is checked against the one verification instead of a second one.
// Model level: no Chromium needed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyseCase } from '../../electron/analysis/run.ts';
import { recordRun } from '../../electron/analysis/runs.ts';
import { verifyCase } from '../../electron/case/verify.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { analysisForReport } from '../../electron/report/analysis-bridge.ts';
import { withFreshCheckpoint } from '../../electron/report/generate.ts';
import { readCheckpoint } from '../../electron/report/model.ts';
import { examiner, stratusCase } from './helpers.ts';
import { UserError } from '../../electron/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-report-reuse-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const OTRF = join(import.meta.dirname, '..', 'fixtures', 'otrf-security-datasets');

test('the stored run is used while it describes the verified case; otherwise the analysis runs again and says why', async () => {
  const a = examiner('Reuse Examiner', dir);
  const store = await stratusCase(join(dir, 'r.trailcase'), a);
  try {
    let v = verifyCase(store);
    const current = () => ({ treeSize: v.treeSize, root: v.root });
    const none = await analysisForReport(store, { current: current() });
    assert.equal(none.run.source, 'computed');
    assert.match(none.run.reason ?? '', /no analysis run is stored/);

    const run = recordRun(store, a.name, await analyseCase(store));
    const reused = await analysisForReport(store, { current: current() });
    assert.equal(reused.run.source, 'stored');
    assert.equal(reused.run.runId, run.runId);
    assert.equal(reused.run.treeSize, v.treeSize);
    assert.equal(reused.run.root, v.root);
    assert.equal(reused.run.reason, null);
    // The same content as analysing again: findings, checks and rules, units, warnings (gaps carry their own run time).
    const content = (x: typeof none) => JSON.parse(JSON.stringify({ ...x, run: null, gaps: null }));
    assert.ok(reused.findings.items.length > 0);
    assert.deepEqual(content(reused), content(none));

    // A root the verification computed that is not the run's: analysed again.
    const other = await analysisForReport(store, { current: { treeSize: v.treeSize, root: '00'.repeat(32) } });
    assert.equal(other.run.source, 'computed');
    assert.match(other.run.reason ?? '', new RegExp(`stored run #${run.runId} saw ${v.treeSize} events`));

    // More events since the run: stale, analysed again over all of them.
    await importPaths(store, a.signer, { sources: [OTRF] }, { workers: 1 });
    v = verifyCase(store);
    const grown = await analysisForReport(store, { current: current() });
    assert.equal(grown.run.source, 'computed');
    assert.match(grown.run.reason ?? '', /is stale: the case has \d+ events, the run saw \d+/);
    assert.equal(grown.run.treeSize, v.treeSize);
  } finally {
    store.close();
  }
});

test('a checkpoint signed after the verification is checked against it, not verified again', async () => {
  const a = examiner('Checkpoint Examiner', dir);
  const store = await stratusCase(join(dir, 'c.trailcase'), a);
  try {
    const v = verifyCase(store);
    assert.equal(v.ok, true, JSON.stringify(v.problems));
    store.checkpoint(a.signer, 'test: for a report');
    const cp = readCheckpoint(store)!;
    const after = withFreshCheckpoint(v, cp, a.signer);
    assert.equal(after.counts.checkpoints, v.counts.checkpoints + 1);
    assert.ok(!after.warnings.some((w) => w.where === 'checkpoint'));
    // What a full second verification says about the same state.
    const again = verifyCase(store);
    assert.deepEqual({ ...after, checkedAt: '' }, { ...again, checkedAt: '' });

    // A checkpoint that does not commit to the verified root, or is not signed by the key, is refused.
    assert.throws(() => withFreshCheckpoint(v, { ...cp, root: '11'.repeat(32) }, a.signer), (e: Error) => e instanceof UserError && /does not match the verified case/.test(e.message));
    const b = examiner('Someone Else', dir);
    assert.throws(() => withFreshCheckpoint(v, cp, b.signer), /signature does not verify/);
  } finally {
    store.close();
  }
});
