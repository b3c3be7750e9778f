// SIGKILL in the middle of an import, with a real child process: the case must
// open and verify, and running the same import again completes it with no duplicates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateTrail } from '../../electron/demo/synth.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { verifyCase } from '../../electron/case/verify.ts';
import { timelineRollupStatus } from '../../electron/case/data/timeline-rollup.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { PASSPHRASE, tempCase } from '../support/case.ts';

test('an import killed with SIGKILL leaves a valid case; the same import again completes it', async () => {
  const c = tempCase('interrupted');
  try {
    const trail = join(c.dir, 'trail');
    const gen = generateTrail({ outDir: trail, totalEvents: 40_000, eventsPerFile: 500, seed: 7 });
    c.store.close();

    const child = spawn(process.execPath, ['electron/cli/trailcase.js', 'import', c.path, trail, '--workers', '1'], {
      env: { ...process.env, TRAILCASE_HOME: c.home, TRAILCASE_PASSPHRASE: PASSPHRASE, TRAILCASE_COMMIT_EVERY: '1000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code, sig) => r(sig ? -1 : code)));
    // Wait until some events are committed, then kill without warning.
    let seen = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      try {
        const db = new Database(c.path, { readonly: true, fileMustExist: true });
        seen = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
        db.close();
      } catch {
        /* the writer may hold a lock for a moment */
      }
      if (seen > 0) break;
    }
    child.kill('SIGKILL');
    const code = await exited;
    assert.equal(code, -1, `the child was killed mid-import (stderr: ${stderr.slice(0, 300)})`);
    assert.ok(seen > 0 && seen < gen.events, `killed part-way (${seen} of ${gen.events} events committed)`);

    // The case opens and verifies; the interruption is reported, not hidden.
    const s1 = CaseStore.open(c.path);
    const partial = (s1.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    assert.ok(partial < gen.events);
    const v1 = verifyCase(s1);
    assert.deepEqual(v1.problems, []);
    // The timeline rollups were extended in the same transactions as the events: they count exactly what was committed.
    assert.equal(timelineRollupStatus(s1).fresh, true);
    assert.equal(s1.db.prepare('SELECT sum(n) FROM timeline_hour WHERE kind = 4').pluck().get(), partial);
    assert.ok(v1.warnings.some((w) => /started but never finished/.test(w.message)), JSON.stringify(v1.warnings));

    // Running the same import again completes it, with no duplicates.
    const sum = await importPaths(s1, c.signer, { sources: [trail] });
    assert.equal(sum.duplicates, 0);
    assert.equal(sum.conflicts, 0);
    const n = (s1.db.prepare('SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events').get() as { n: number; d: number });
    assert.equal(n.n, gen.events);
    assert.equal(n.d, gen.events);
    assert.equal((s1.db.prepare('SELECT count(*) AS n FROM event_copies').get() as { n: number }).n, 0);
    assert.equal(timelineRollupStatus(s1).fresh, true);
    assert.equal(s1.db.prepare('SELECT sum(n) FROM timeline_hour WHERE kind = 4').pluck().get(), gen.events);
    const v2 = verifyCase(s1);
    assert.deepEqual(v2.problems, []);
    assert.ok(!v2.warnings.some((w) => /after the last signed checkpoint/.test(w.message)), 'the new checkpoint covers everything');
    s1.close();
  } finally {
    c.cleanup();
  }
});
