// The bundled demo tells the story it claims: built from scratch, analysed, and
// from the reported leaked key a pivot reaches the attacker's backdoor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { ensureDemoCase } from '../electron/demo/demo.ts';
import { ATTACKER } from '../electron/demo/synth.ts';
import { CaseStore } from '../electron/case/store.ts';
import { verifyCase } from '../electron/case/verify.ts';
import { latestRun } from '../electron/analysis/runs.ts';
import { pivot } from '../electron/analysis/pivot/index.ts';
import { tempDir } from './support/case.ts';

test('the demo case is built on first use, verifies, and shows the compromise', async () => {
  const dir = tempDir('trailcase-demo-');
  const before = process.env.TRAILCASE_HOME;
  process.env.TRAILCASE_HOME = dir;
  try {
    const demo = await ensureDemoCase({ events: 4000 });
    assert.equal(demo.built, true);
    assert.equal((await ensureDemoCase({ events: 4000 })).built, false, 'built once');
    const store = CaseStore.open(demo.path);
    try {
      assert.deepEqual(verifyCase(store).problems, []);
      const run = latestRun(store);
      assert.ok(run, 'analysis ran at build time');
      const ids = new Set(run!.findings.map((f) => f.checkId));
      for (const id of ['persistence.iam-user-created', 'privilege-escalation.iam-admin-policy-attached', 'defense-evasion.cloudtrail-stopped', 'exfiltration.ebs-snapshot-shared']) {
        assert.ok(ids.has(id), `finding ${id} (have ${[...ids].join(', ')})`);
      }
      const p = pivot(store, { key: ATTACKER.leakedKey });
      const found = new Set(p.indicators.map((i) => i.value));
      assert.ok(found.has(ATTACKER.backdoorKey), 'the backdoor user key created with the leaked key');
      assert.ok(found.has(ATTACKER.ip), 'the attacker address');
    } finally {
      store.close();
    }
  } finally {
    if (before === undefined) delete process.env.TRAILCASE_HOME;
    else process.env.TRAILCASE_HOME = before;
    rmSync(dir, { recursive: true, force: true });
  }
});
