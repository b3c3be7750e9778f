// The desktop app's controller (electron/main/app-controller.ts) end to end
// without Electron: scripted native dialogs, a fake OS keychain, and the real
// case process in a worker thread. First use creates the key; a new case is
// created through the save dialog and imported into; a reopened unchanged case
// is not re-verified; the renderer cannot open paths it was not given; a
// handoff exported by one examiner is received (verified, receipt signed) by
// another; a crashed case process is noticed and replaced; the next start
// unlocks from the keychain without asking.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { after, test } from 'node:test';
import type { OpenCaseResult } from '../../shared/api/app.ts';
import { AppController } from '../../electron/main/app-controller.ts';
import { CaseBridge } from '../../electron/main/case-bridge.ts';
import type { Dialogs } from '../../electron/main/dialogs.ts';
import { KeyVault, type SafeStorageLike } from '../../electron/main/key-vault.ts';
import { RecentCases } from '../../electron/main/recent.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-controller-'));
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'stratus-red-team', 'detonation-logs');
delete process.env.TRAILCASE_EXAMINER;
const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const s of stops) await s().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const keychain: SafeStorageLike = {
  isEncryptionAvailable: () => true,
  getSelectedStorageBackend: () => 'gnome_libsecret',
  encryptString: (s) => Buffer.from(s, 'utf8').reverse(),
  decryptString: (b) => Buffer.from(b).reverse().toString('utf8'),
};

/** Dialog answers queued by the test; an unexpected dialog fails it. */
function scriptedDialogs() {
  const queue: unknown[] = [];
  const messages: string[] = [];
  const next = () => {
    if (!queue.length) throw new Error('unexpected dialog');
    return queue.shift();
  };
  const dialogs: Dialogs = {
    openCase: async () => next() as string | null,
    saveCase: async (suggested) => {
      const v = next() as string | null;
      assert.match(suggested, /\.trailcase$/);
      return v === null ? null : v.endsWith('.trailcase') ? v : v + '.trailcase';
    },
    importSources: async () => next() as string[],
    reportFolder: async () => next() as string | null,
    message: async (_k, title, detail) => void messages.push(`${title}: ${detail}`),
  };
  return { dialogs, queue, messages };
}

function workstation(name: string) {
  const home = join(dir, name, 'home');
  const userData = join(dir, name, 'userData');
  mkdirSync(userData, { recursive: true });
  const workers: Worker[] = [];
  const bridge = new CaseBridge(() => {
    // Each workstation's case process sees its own TRAILCASE_HOME, as the utility process would.
    const w = new Worker(new URL('../../electron/main/case-process-boot.js', import.meta.url), { env: { ...process.env, TRAILCASE_HOME: home } });
    workers.push(w);
    return Object.assign(w, { kill: () => w.terminate() });
  });
  const { dialogs, queue } = scriptedDialogs();
  const changes: (OpenCaseResult | null)[] = [];
  const opened: string[] = [];
  const make = () =>
    new AppController({
      bridge,
      recent: new RecentCases(userData),
      vault: new KeyVault({ home, userData, safeStorage: keychain, platform: 'linux' }),
      dialogs,
      openExternal: async (url) => {
        opened.push(url);
        return url.startsWith('https://github.com/');
      },
      onCaseChanged: (c) => changes.push(c),
    });
  const ctl = make();
  stops.push(() => ctl.shutdown());
  return { ctl, make, bridge, queue, changes, workers, home, userData };
}

async function waitJob(ctl: AppController, id: string): Promise<any> {
  for (;;) {
    const s = (await ctl.call('jobStatus', { id })) as { state: string };
    if (s.state !== 'running') return s;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('first use, new case, import, reopen, refusals, handoff to a second examiner, crash, next start', async () => {
  const a = workstation('alice');
  let st = await a.ctl.startup();
  assert.deepEqual([st.exists, st.unlocked], [false, false]);
  await assert.rejects(a.ctl.call('openCaseDialog', {}), /unlock \(or create\) the examiner key first/);
  await assert.rejects(a.ctl.callChecked('createKey', { examiner: 'Alice', passphrase: 'short' }), /bad arguments/);
  st = (await a.ctl.callChecked('createKey', { examiner: 'Alice Examiner', passphrase: 'alice-passphrase', remember: true })) as typeof st;
  assert.deepEqual([st.exists, st.unlocked, st.remembered, st.examiner], [true, true, true, 'Alice Examiner']);
  await assert.rejects(a.ctl.call('caseInfo', {}), /no case is open/);

  // New case: the save dialog picks the file; cancelling does nothing.
  a.queue.push(null);
  assert.deepEqual(await a.ctl.callChecked('newCase', { title: 'Stratus review' }), { cancelled: true });
  const casePath = join(dir, 'alice', 'stratus');
  a.queue.push(casePath);
  const created = (await a.ctl.callChecked('newCase', { title: 'Stratus review', scope: { notes: 'desktop test' } })) as OpenCaseResult;
  assert.equal(created.verification, 'created');
  assert.equal(created.path, casePath + '.trailcase');
  assert.equal(a.changes.at(-1)?.caseId, created.caseId);

  // Choose sources with the dialog, import them as a job.
  a.queue.push([fixtures]);
  const { paths } = (await a.ctl.callChecked('chooseImportSources', { folders: true })) as { paths: string[] };
  const { jobId } = (await a.ctl.callChecked('importPaths', { paths })) as { jobId: string };
  assert.equal((await waitJob(a.ctl, jobId)).state, 'done');
  const total = ((await a.ctl.callChecked('searchEvents', { limit: 1 })) as { total: number }).total;
  assert.ok(total > 100);

  // Close; reopen from the recent list: known and unchanged, not re-verified.
  assert.deepEqual(await a.ctl.callChecked('closeCase', {}), { closed: true });
  assert.equal(a.changes.at(-1), null);
  const recent = (await a.ctl.callChecked('recentCases', {})) as { items: { path: string; exists: boolean }[] };
  assert.equal(recent.items[0].path, created.path);
  const reopened = (await a.ctl.callChecked('openCase', { path: created.path })) as OpenCaseResult;
  assert.equal(reopened.verification, 'known-unchanged');

  // The renderer cannot open a path it was not given by a dialog or the recent list.
  await assert.rejects(a.ctl.callChecked('openCase', { path: join(dir, 'elsewhere.trailcase') }), (e: Error & { code?: string }) => e.code === 'forbidden');
  await assert.rejects(a.ctl.callChecked('openCase', { path: '/etc/passwd' }), /not on the recent list/);
  assert.equal(((await a.ctl.callChecked('currentCase', {})) as { case: OpenCaseResult | null }).case?.path, created.path, 'still open');
  assert.deepEqual(await a.ctl.callChecked('openExternal', { url: 'https://github.com/SigmaHQ/sigma' }), { opened: true });

  // Hand the case off to a second examiner on another workstation.
  const handoff = join(dir, 'to-bob.trailcase');
  const exp = (await a.ctl.callChecked('exportCase', { out: handoff, to: 'Bob Examiner', reason: 'second opinion' })) as { jobId: string };
  const expDone = await waitJob(a.ctl, exp.jobId);
  assert.equal(expDone.state, 'done', JSON.stringify(expDone).slice(0, 300));
  await a.ctl.shutdown();

  const b = workstation('bob');
  await b.ctl.startup();
  await b.ctl.callChecked('createKey', { examiner: 'Bob Examiner', passphrase: 'bob-passphrase-1', remember: false });
  b.queue.push(handoff);
  const received = (await b.ctl.callChecked('openCaseDialog', {})) as OpenCaseResult;
  assert.equal(received.verification, 'received', JSON.stringify(received).slice(0, 400));
  assert.equal(received.readonly, false);
  assert.equal(received.receipt?.from?.examiner, 'Alice Examiner');
  assert.equal(received.receipt?.verified.events, total);
  const log = (await b.ctl.callChecked('custodyLog', { limit: 10_000 })) as { items: { action: string; actor: string }[] };
  assert.ok(log.items.some((e) => e.action === 'handoff.received' && e.actor === 'Bob Examiner'));

  // The case process dies: the app notices, forgets the open case, and a new process is unlocked on the next open.
  const changesBefore = b.changes.length;
  await b.workers.at(-1)!.terminate();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(b.ctl.openCase, null);
  assert.equal(b.changes.length, changesBefore + 1);
  await assert.rejects(b.ctl.call('caseInfo', {}), /no case is open/);
  // Bob's file was never closed cleanly after the crash: reopening verifies it again.
  const afterCrash = (await b.ctl.callChecked('openCase', { path: handoff })) as OpenCaseResult;
  assert.equal(afterCrash.verification, 'verified');
  await b.ctl.callChecked('addNote', { text: 'written by the new case process, signed by Bob' });
  await b.ctl.shutdown();

  // Next start on Alice's workstation: the keychain unlocks the key without asking.
  const a2 = a.make();
  stops.push(() => a2.shutdown());
  const st2 = await a2.startup();
  assert.deepEqual([st2.unlocked, st2.remembered], [true, true]);
  const again = (await a2.callChecked('openCase', { path: created.path })) as OpenCaseResult;
  assert.equal(again.verification, 'known-unchanged');
  await a2.shutdown();
});
