// One door per operation (docs/architecture.md): the same operation done from the command
// line and from the desktop app's case process (the path IPC takes) goes
// through the same method, so it leaves the same custody entries, apart from
// when (at, and durations), who (actor) and what follows from them (each
// entry's hash; the random case id). Here: creating a case and importing the
// Stratus Red Team logs into it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { after, test } from 'node:test';
import { generateKey } from '../../electron/case/keys.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { CaseBridge } from '../../electron/main/case-bridge.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-parity-'));
const home = join(dir, 'home');
const PASS = 'parity-passphrase';
generateKey('Parity Examiner', PASS, home);
process.env.TRAILCASE_HOME = home; // the case process (a worker) copies the environment when it starts
delete process.env.TRAILCASE_EXAMINER;
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'stratus-red-team', 'detonation-logs');
const root = join(import.meta.dirname, '..', '..');

const bridge = new CaseBridge(() => {
  const w = new Worker(new URL('../../electron/main/case-process-boot.js', import.meta.url));
  return Object.assign(w, { kill: () => w.terminate() });
});
after(async () => {
  await bridge.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[]): void {
  const r = spawnSync(process.execPath, ['electron/cli/trailcase.js', ...args], {
    cwd: root,
    env: { ...process.env, TRAILCASE_HOME: home, TRAILCASE_PASSPHRASE: PASS },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `trailcase ${args[0]}: ${r.stderr}`);
}

/** Keys whose values are the time of an entry, how long it took, or the random case id. */
const WHEN = new Set(['at', 'createdAt', 'startedAt', 'finishedAt', 'seconds', 'ms', 'caseId']);

function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !WHEN.has(k)).map(([k, x]) => [k, strip(x)]));
  return v;
}

type Entry = { seq: number; action: string; details: unknown };

function custody(path: string): Entry[] {
  const s = CaseStore.open(path, { readonly: true });
  try {
    return (s.db.prepare('SELECT seq, action, details FROM custody ORDER BY seq').all() as { seq: number; action: string; details: string }[]).map((r) => ({
      seq: r.seq,
      action: r.action,
      details: strip(JSON.parse(r.details)),
    }));
  } finally {
    s.close();
  }
}

test('new + import from the CLI and from the app leave the same custody entries (apart from time and actor)', async () => {
  const byCli = join(dir, 'cli.trailcase');
  cli(['new', byCli, '--title', 'Parity case', '--notes', 'same operation, two doors']);
  const afterCreateCli = custody(byCli).length;
  cli(['import', byCli, fixtures]);

  const byApp = join(dir, 'app.trailcase');
  await bridge.unlock(PASS);
  await bridge.create(byApp, 'Parity case', { notes: 'same operation, two doors' });
  // Opening a case in the app also extends the timeline index (derived data, its own entry): not part of the operation.
  const createdApp = custody(byApp).filter((e) => e.action !== 'timeline.indexed');
  const { jobId } = (await bridge.call('importPaths', { paths: [fixtures] })) as { jobId: string };
  for (;;) {
    const s = (await bridge.call('jobStatus', { id: jobId })) as { state: string; error?: string };
    if (s.state === 'done') break;
    assert.equal(s.state, 'running', s.error);
    await new Promise((r) => setTimeout(r, 50));
  }
  await bridge.close();

  const cliAll = custody(byCli);
  const appAll = custody(byApp);
  const appHead = appAll.filter((e) => e.seq <= createdApp[createdApp.length - 1].seq);
  const withoutSeq = (l: Entry[]) => l.map(({ action, details }) => ({ action, details }));
  // The creation: same entries.
  assert.deepEqual(withoutSeq(createdApp), withoutSeq(cliAll.slice(0, afterCreateCli)));
  // The import: the entries it appended, the same in both cases (in the app, after the timeline index entry).
  const importCli = cliAll.slice(afterCreateCli);
  const importApp = appAll.slice(appHead.length).filter((e) => e.action !== 'timeline.indexed');
  assert.ok(importCli.some((e) => e.action === 'import.completed'), JSON.stringify(importCli.map((e) => e.action)));
  assert.deepEqual(withoutSeq(importApp), withoutSeq(importCli));
});
