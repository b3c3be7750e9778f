// The compiled CLI (build/bundle-cli.ts; docs/packaging.md, "The compiled
// command line"): staged into a temp folder whose node_modules holds only the native
// packages the bundles leave external - no tsx, no TypeScript, no sources -
// it runs --help, keygen, new, a folder import (the parse workers started from
// the bundle by their URL), info and verify. The checkout's bin launcher runs
// it from dist/cli/ where tsx is absent, and says what to do when neither is there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { STAGED_PACKAGES } from '../../build/bundle-app.ts';
import { bundleCli, type BundleCliResult } from '../../build/bundle-cli.ts';
import { buildHash, ROOT } from '../../electron/version.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-cli-bundle-'));
const cliDir = join(dir, 'cli');
let staged: BundleCliResult;
before(async () => {
  staged = await bundleCli({ outDir: cliDir });
  // What `npm ci --omit=dev` leaves that the bundle needs: the native packages the bundles leave
  // external (SQLite and its loader, DuckDB and this platform's binary), as the installed app carries them.
  mkdirSync(join(dir, 'node_modules', '@duckdb'), { recursive: true });
  for (const p of STAGED_PACKAGES) symlinkSync(join(ROOT, 'node_modules', p), join(dir, 'node_modules', p), 'dir');
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The bundle on plain Node: no loader flags, no NODE_PATH, a fresh key home. */
function run(args: string[], home: string, cwd = dir) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, TRAILCASE_HOME: home, TRAILCASE_PASSPHRASE: 'bundle-pass-1' };
  return spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8' });
}

test('staged layout; the bundles carry the build hash of these sources and need no tsx', () => {
  for (const f of ['trailcase.mjs', 'package.json', 'build.json', 'electron/cli.mjs', 'electron/worker-boot.js', 'electron/object-worker-boot.js', 'electron/verify-worker-boot.js', 'build/report-certification-template.md', 'renderer/index.html', 'renderer/app.js']) {
    assert.ok(existsSync(join(cliDir, f)), f);
  }
  const pkg = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8'));
  assert.equal(pkg.trailcase.buildHash, buildHash());
  assert.deepEqual(Object.keys(pkg.dependencies).sort(), ['@duckdb/node-api', 'better-sqlite3', 'playwright-core'].filter((p) => p in pkg.dependencies).sort());
  assert.ok('better-sqlite3' in pkg.dependencies);
  for (const f of ['electron/cli.mjs', 'electron/worker-boot.js', 'electron/object-worker-boot.js', 'electron/verify-worker-boot.js']) {
    const src = readFileSync(join(cliDir, f), 'utf8');
    assert.ok(!/from\s*["']tsx|import\(\s*["']tsx|["']typescript["']/.test(src), `${f} loads tsx or TypeScript`);
    assert.ok(!/\.ts["']\s*\)/.test(src.replace(/\/\/.*$/gm, '')), `${f} imports a .ts file at run time`);
  }
  // Reports record the build of the sources (electron/version.ts), not a hash of the bundle's own files.
  assert.ok(readFileSync(join(cliDir, 'electron/cli.mjs'), 'utf8').includes(JSON.stringify(buildHash())), 'the build hash is compiled in');
  assert.ok(staged.inputs.includes('electron/cli/main.ts') && staged.inputs.every((f) => !f.includes('node_modules')));
  // Where it runs, tsx cannot be found: the commands below prove the bundle runs alone.
  assert.throws(() => createRequire(join(cliDir, 'electron', 'cli.mjs')).resolve('tsx'), /Cannot find module/);
});

test('--help, --version, keygen, new, folder import through the bundled workers, info, verify', () => {
  const home = join(dir, 'home');
  const help = run([join(cliDir, 'trailcase.mjs'), '--help'], home);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^TrailCase \d+\.\d+\.\d+: /);
  assert.match(help.stdout, /^\s+verify\s/m);
  const version = run([join(cliDir, 'electron', 'cli.mjs'), '--version'], home);
  assert.equal(version.stdout.trim(), `TrailCase ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}`);

  const cli = (...a: string[]) => run([join(cliDir, 'trailcase.mjs'), ...a], home);
  const ok = (r: ReturnType<typeof cli>) => {
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  ok(cli('keygen', '--examiner', 'Bundle Examiner'));
  const kase = join(dir, 'b.trailcase');
  ok(cli('new', kase, '--title', 'Bundled CLI'));
  const imp = JSON.parse(ok(cli('import', kase, join(ROOT, 'test/fixtures/stratus-red-team/detonation-logs'), '--json')));
  assert.ok(imp.events > 100, JSON.stringify(imp));
  assert.equal(imp.warnings, 0);
  const info = JSON.parse(ok(cli('info', kase, '--json')));
  assert.equal(info.events ?? info.counts?.events, imp.events);
  const verify = cli('verify', kase);
  assert.equal(verify.status, 0, verify.stderr);
  assert.match(verify.stdout, /^INTACT: /m);
});

test("the checkout's bin launcher runs the built CLI without tsx, and says what to do when there is none", () => {
  const co = join(dir, 'checkout');
  mkdirSync(join(co, 'electron', 'cli'), { recursive: true });
  cpSync(join(ROOT, 'electron', 'cli', 'trailcase.js'), join(co, 'electron', 'cli', 'trailcase.js'));
  const home = join(dir, 'home-launcher');
  const missing = run([join(co, 'electron', 'cli', 'trailcase.js'), '--version'], home, co);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, 'trailcase: the compiled CLI (dist/cli/) is missing and tsx is not installed: run `npm install && npm run build:cli`\n');
  cpSync(cliDir, join(co, 'dist', 'cli'), { recursive: true });
  symlinkSync(join(dir, 'node_modules'), join(co, 'node_modules'), 'dir');
  const r = run([join(co, 'electron', 'cli', 'trailcase.js'), '--help'], home, co);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Usage: trailcase COMMAND/);
});
