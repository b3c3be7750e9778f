// The case process (electron/main/case-service.ts, case-process.ts) driven
// through the main-process bridge (case-bridge.ts) exactly as the shell does,
// with a worker thread standing in for Electron's utilityProcess: the key is
// unlocked there, a case created, Stratus logs imported as a background job
// while the process keeps answering, a case reopened unchanged is not
// re-verified, one from elsewhere is verified (and custody-logged) before
// use, and an altered one opens read-only with the problems.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { generateKey } from '../../electron/case/keys.ts';
import { CaseBridge } from '../../electron/main/case-bridge.ts';
import type { OpenedCase } from '../../electron/main/case-service.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-caseproc-'));
const home = join(dir, 'home');
const PASS = 'case-process-pass';
generateKey('Process Examiner', PASS, home);
process.env.TRAILCASE_HOME = home; // the worker copies the environment when it starts
delete process.env.TRAILCASE_EXAMINER;
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'stratus-red-team', 'detonation-logs');

// A worker thread in place of Electron's utilityProcess (kill = terminate).
const bridge = new CaseBridge(() => {
  const w = new Worker(new URL('../../electron/main/case-process-boot.js', import.meta.url));
  return Object.assign(w, { kill: () => w.terminate() });
});
after(async () => {
  await bridge.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function waitJob(jobId: string): Promise<any> {
  for (;;) {
    const s = (await bridge.call('jobStatus', { id: jobId })) as { state: string };
    if (s.state !== 'running') return s;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('create, import as a job, reopen unchanged, reopen from elsewhere, altered case read-only', async () => {
  await assert.rejects(bridge.call('caseInfo', {}), /no case is open/);
  const path = join(dir, 'desk.trailcase');
  await assert.rejects(bridge.create(path, 'Desk case'), /examiner key is locked/);
  await assert.rejects(bridge.unlock('wrong-passphrase'), /wrong passphrase/);
  assert.deepEqual((await bridge.unlock(PASS)).examiner, 'Process Examiner');

  const created = await bridge.create(path, 'Desk case', { notes: 'from the test' });
  assert.equal(created.result.verification, 'created');
  assert.equal(created.result.readonly, false);
  assert.equal(created.head.title, 'Desk case');

  // Import runs as a job in the case process; the process answers meanwhile.
  const { jobId } = (await bridge.call('importPaths', { paths: [fixtures] })) as { jobId: string };
  const info = (await bridge.call('caseInfo', {})) as { title: string };
  assert.equal(info.title, 'Desk case');
  const done = await waitJob(jobId);
  assert.equal(done.state, 'done', JSON.stringify(done).slice(0, 300));
  const found = (await bridge.call('searchEvents', { filter: { eventNames: ['StopLogging'] } })) as { total: number };
  assert.ok(found.total >= 1, 'StopLogging from the Stratus detonation is in the case');
  const all = (await bridge.call('searchEvents', { limit: 1 })) as { total: number };
  assert.ok(all.total > 100);
  // Arguments are validated in the case process too.
  await assert.rejects(bridge.call('searchEvents', { limit: 0 }), (e: Error & { code?: string }) => e.code === 'bad-request');
  await assert.rejects(bridge.call('noSuchMethod', {}), (e: Error & { code?: string }) => e.code === 'bad-request');

  // A query runs as a job; the case process keeps the query database open between queries
  // (its spill directory shows it), keeps the runs' rows for paging, and lets go of both when the
  // case is closed.
  const spills = () => readdirSync(dir).filter((f) => f.startsWith('desk.trailcase-query.spill-'));
  const kept = () => readdirSync(dir).filter((f) => f.startsWith('desk.trailcase-query.results-'));
  for (let k = 0; k < 2; k++) {
    const q = (await bridge.call('runQuery', { text: "SELECT count(*) FROM events WHERE eventName = 'StopLogging'" })) as { jobId: string };
    const qd = await waitJob(q.jobId);
    assert.equal(qd.state, 'done', JSON.stringify(qd).slice(0, 300));
    assert.deepEqual(qd.result.rows, [[found.total]]);
    assert.equal(spills().length, 1, 'one kept instance');
    assert.deepEqual(((await bridge.call('queryResultPage', { custodySeq: qd.result.custodySeq, offset: 0, limit: 10 })) as { rows: unknown[] }).rows, [[found.total]]);
  }
  assert.equal(kept().length, 1, 'one directory of kept results');

  // Close: the head the app records; reopening with it skips verification.
  const head = (await bridge.close())!;
  assert.deepEqual(spills(), [], 'closing the case let go of the query database');
  assert.deepEqual(kept(), [], 'and of the kept results');
  assert.ok(head.custodySeq > 2);
  const again = await bridge.open(path, head);
  assert.equal(again.result.verification, 'known-unchanged');
  assert.equal(again.result.verify, undefined);
  // This first reopen may extend the timeline index (custody-logged); a second one has nothing left to write.
  const head2 = (await bridge.close())!;
  assert.equal((await bridge.open(path, head2)).result.verification, 'known-unchanged');
  const head3 = (await bridge.close())!;
  assert.deepEqual(head3, head2, 'opening and closing an unchanged, indexed case writes nothing');

  // No expectation (came from elsewhere): fully verified first, and the check is in custody.
  const fromElsewhere: OpenedCase = await bridge.open(path, null);
  assert.equal(fromElsewhere.result.verification, 'verified');
  assert.equal(fromElsewhere.result.verify!.ok, true);
  assert.equal(fromElsewhere.result.verify!.counts.events, all.total);
  const custody = (await bridge.call('custodyLog', { limit: 1000 })) as { items: { action: string; actor: string; details: any }[] };
  const last = custody.items[custody.items.length - 1];
  assert.equal(last.action, 'verify');
  assert.equal(last.actor, 'Process Examiner');
  assert.match(last.details.reason, /opened in the desktop app/);
  // A different head expected (the file changed since): verified again.
  await bridge.close();
  assert.equal((await bridge.open(path, { ...head, custodyHash: 'f'.repeat(64) })).result.verification, 'verified');
  await bridge.close();

  // Altered behind the app's back: an append-only trigger dropped and an event rewritten.
  const db = new Database(path);
  db.exec('DROP TRIGGER IF EXISTS events_no_update');
  const triggers = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[];
  for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
  db.prepare('UPDATE events SET time_ms = time_ms + 1000 WHERE leaf = (SELECT min(leaf) FROM events)').run();
  db.close();
  const altered = await bridge.open(path, null);
  assert.equal(altered.result.verification, 'failed');
  assert.equal(altered.result.readonly, true);
  assert.equal(altered.result.verify!.ok, false);
  assert.ok(altered.result.verify!.problems.length > 0);
  // Read-only: the examiner can look, nothing can be written.
  assert.ok(((await bridge.call('caseInfo', {})) as { counts: { events: number } }).counts.events > 0);
  await assert.rejects(bridge.call('addNote', { text: 'should not be written' }), /readonly|read-only/i);
  await bridge.close();
});
