// Shared set-up for the report tests: examiners with their own TRAILCASE_HOME,
// a case built from the Stratus Red Team detonation logs (test/fixtures/
// stratus-red-team, see SOURCE.md there), byte flips, the CLI, and the shell
// recipes of docs/verification.md.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKey, unlockKey, type Signer } from '../../electron/case/keys.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const STRATUS = join(ROOT, 'test', 'fixtures', 'stratus-red-team', 'detonation-logs');
export const PASS = 'correct horse battery';

export interface Examiner {
  name: string;
  home: string;
  signer: Signer;
}

export function examiner(name: string, dir: string): Examiner {
  const home = join(dir, `home-${name.replace(/\W+/g, '-')}`);
  const kf = generateKey(name, PASS, home);
  return { name, home, signer: unlockKey(kf, PASS) };
}

/** A case with the 35 Stratus detonation logs (310 events), an authorisation note and one tag. */
export async function stratusCase(path: string, ex: Examiner, sources = [STRATUS]): Promise<CaseStore> {
  const store = CaseStore.create(path, { title: 'Stratus detonations', examiner: ex.name, scope: { notes: 'report tests' } }, ex.signer);
  await importPaths(store, ex.signer, { sources }, { workers: 1 });
  store.db.transaction(() => store.appendCustody(ex.name, 'note', { target: 'authorisation', text: 'Engagement letter 2026-117 from the data owner' }))();
  const stop = store.db.prepare("SELECT event_id FROM events WHERE name = (SELECT id FROM strings WHERE s = 'StopLogging') LIMIT 1").get() as { event_id: string };
  store.db.transaction(() => store.appendCustody(ex.name, 'tag', { eventId: stop.event_id, tag: 'logging-disabled' }))();
  return store;
}

/** Flip one bit of the byte at `at` (default: the middle of the file). */
export function flipByte(path: string, at?: number): number {
  const b = readFileSync(path);
  const i = at ?? Math.floor(b.length / 2);
  b[i] ^= 0x01;
  writeFileSync(path, b);
  return i;
}

/** Change a preserved evidence byte behind TrailCase's back (as an attacker with sqlite3 would). */
export function alterEvidence(casePath: string, evidenceId = 1): void {
  const db = new Database(casePath);
  try {
    db.exec('DROP TRIGGER evidence_chunks_no_update');
    const row = db.prepare('SELECT id, data FROM evidence_chunks WHERE evidence_id = ? ORDER BY seq LIMIT 1').get(evidenceId) as { id: number; data: Buffer };
    const data = Buffer.from(row.data);
    // A digit inside the record text (e.g. of a source IP): still JSON, different bytes.
    const i = data.indexOf('"sourceIPAddress"');
    const at = data.indexOf('.', i);
    data[at - 1] = data[at - 1] === 0x31 ? 0x32 : 0x31;
    db.prepare('UPDATE evidence_chunks SET data = ? WHERE id = ?').run(data, row.id);
  } finally {
    db.close();
  }
}

export function cli(args: string[], env: Record<string, string>, cwd = ROOT): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'electron', 'cli', 'trailcase.js'), ...args], {
    cwd,
    env: { ...process.env, TRAILCASE_PASSPHRASE: PASS, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The `# recipe: NAME` shell blocks of docs/verification.md, as bash functions. */
export function recipes(): { names: string[]; script: string } {
  const doc = readFileSync(join(ROOT, 'docs', 'verification.md'), 'utf8');
  const names: string[] = [];
  const fns: string[] = [];
  for (const m of doc.matchAll(/```sh\n# recipe: (\w+)\n([\s\S]*?)```/g)) {
    names.push(m[1]);
    fns.push(`recipe_${m[1]}() {\n${m[2]}}\n`);
  }
  return { names, script: fns.join('\n') };
}

/** Run one recipe with bash -e -o pipefail in `cwd` with the given variables. */
export function runRecipe(name: string, cwd: string, vars: Record<string, string>): { status: number; out: string } {
  const { script } = recipes();
  const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', `${script}\nrecipe_${name}`], { cwd, env: { ...process.env, ...vars }, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

export function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}
