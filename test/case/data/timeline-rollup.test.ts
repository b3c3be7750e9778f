// The timeline rollups as case data (README.md, "Speed and size"): extended by the import's own
// commits, built in resumable steps for a case whose rollups are behind, and in
// every case equal, row for row, to a build from scratch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseStore } from '../../../electron/case/store.ts';
import { ensureTimelineRollup, timelineRollupStatus } from '../../../electron/case/data/timeline-rollup.ts';
import { importPaths } from '../../../electron/ingest/import-files.ts';
import { tempCase } from '../../support/case.ts';

const STRATUS = 'test/fixtures/stratus-red-team/detonation-logs';

const rows = (s: CaseStore) =>
  ['timeline_hour', 'timeline_day', 'timeline_ip_hour'].map((t) => s.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3, 4`).raw().all());

/** The rollups gone, as an import by an earlier version left a case. */
function forgetRollup(s: CaseStore): void {
  s.db.exec('DELETE FROM timeline_state; DELETE FROM timeline_hour; DELETE FROM timeline_day; DELETE FROM timeline_ip_hour;');
}

function fromScratch(s: CaseStore): unknown[] {
  const kept = rows(s);
  forgetRollup(s);
  ensureTimelineRollup(s, 'Test Examiner');
  const built = rows(s);
  assert.deepEqual(kept, built, 'the rollups equal a build from scratch');
  return built;
}

test('each import extends the rollups in its own commits: fresh after every import, equal to a build from scratch', async () => {
  const c = tempCase('rollup by import');
  try {
    const files = readdirSync(STRATUS).sort();
    // Five imports, each adding leaves (and hours, principals, addresses) to what the rollups already count.
    for (let i = 0; i < 5; i++) {
      await importPaths(c.store, c.signer, { sources: files.filter((_, k) => k % 5 === i).map((f) => join(STRATUS, f)) });
      const st = timelineRollupStatus(c.store);
      assert.equal(st.fresh, true, `fresh after import ${i + 1}`);
      const last = (c.store.db.prepare('SELECT max(leaf) AS m FROM events').get() as { m: number }).m;
      assert.equal(st.throughLeaf, last);
      const done = c.store.db.prepare("SELECT details FROM custody WHERE action = 'import.completed' ORDER BY seq DESC LIMIT 1").pluck().get() as string;
      assert.equal(JSON.parse(done).timeline.throughLeaf, last, "the import's custody entry says how far it took the rollups");
    }
    assert.equal((c.store.db.prepare('SELECT sum(n) AS n FROM timeline_hour WHERE kind = 4').get() as { n: number }).n, 310);
    assert.equal(c.store.db.prepare("SELECT count(*) FROM custody WHERE action = 'timeline.indexed'").pluck().get(), 0, 'no separate indexing was needed');
    fromScratch(c.store);
  } finally {
    c.cleanup();
  }
});

test('a case whose rollups are behind: imports leave them for timelineIndex, which builds them in resumable steps', async () => {
  const c = tempCase('rollup behind');
  try {
    const files = readdirSync(STRATUS).sort().map((f) => join(STRATUS, f));
    await importPaths(c.store, c.signer, { sources: files.slice(1) });
    forgetRollup(c.store);
    await importPaths(c.store, c.signer, { sources: files.slice(0, 1) });
    assert.equal(timelineRollupStatus(c.store).fresh, false, 'an import does not catch up a rollup that is behind');
    const done = c.store.db.prepare("SELECT details FROM custody WHERE action = 'import.completed' ORDER BY seq DESC LIMIT 1").pluck().get() as string;
    assert.equal(JSON.parse(done).timeline, undefined);
    assert.equal(c.store.db.prepare('SELECT count(*) FROM timeline_hour').pluck().get(), 0);
    // Two steps of 100 leaves, then stopped (as a closed window or a killed process would stop it).
    const part = ensureTimelineRollup(c.store, 'Test Examiner', { stepLeaves: 100, maxSteps: 2 });
    assert.deepEqual([part.fresh, part.throughLeaf], [false, 199]);
    // The rest, resumed from leaf 199 in steps: one custody entry per step, each with its range.
    const st = ensureTimelineRollup(c.store, 'Test Examiner', { stepLeaves: 100 });
    assert.deepEqual([st.fresh, st.throughLeaf], [true, 309]);
    const log = (c.store.db.prepare("SELECT details FROM custody WHERE action = 'timeline.indexed' ORDER BY seq").pluck().all() as string[]).map((d) => JSON.parse(d));
    assert.deepEqual(log.map((d) => [d.fromLeaf, d.throughLeaf, d.rebuilt]), [[-1, 99, false], [99, 199, false], [199, 299, false], [299, 309, false]]);
    const stepped = rows(c.store);
    assert.deepEqual(fromScratch(c.store), stepped, 'steps give the same rows as one pass');
  } finally {
    c.cleanup();
  }
});
