// The installed app's `trailcase` command (docs/architecture.md): launchers copied to resources/bin (build/resources/cli/,
// electron-builder extraResources) run `<app executable> --cli COMMAND …`, and
// the app's main process (electron/main/main.ts) then runs its bundled CLI
// (electron/cli.mjs) and nothing of the desktop app. No real Electron here:
// the staged main.mjs runs on Node against a stand-in `electron` module that
// reports any desktop API use, and the shell launcher runs against a stand-in
// executable in the Linux and macOS layouts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { bundleApp } from '../../build/bundle-app.ts';
import { ROOT } from '../../electron/version.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-app-cli-'));
const appDir = join(dir, 'app');
after(() => rmSync(dir, { recursive: true, force: true }));

// Every export is a function-like proxy that writes one line when desktop code touches it.
const FAKE_ELECTRON = `
const touched = (what) => { process.stderr.write('desktop API used: ' + what + '\\n'); return stub; };
const stub = new Proxy(function () {}, { get: (t, k) => (k === 'then' ? undefined : touched(String(k))), apply: () => touched('call'), construct: () => touched('new') });
export const app = new Proxy({ isPackaged: true, dock: { hide() {} } }, { get: (t, k) => (k in t ? t[k] : touched('app.' + String(k))) });
export const BrowserWindow = stub, dialog = stub, ipcMain = stub, Menu = stub, protocol = stub, safeStorage = stub, session = stub, shell = stub, utilityProcess = stub, net = stub, webContents = stub, nativeTheme = stub;
`;

before(async () => {
  await bundleApp({ outDir: appDir });
  const el = join(dir, 'node_modules', 'electron');
  mkdirSync(el, { recursive: true });
  writeFileSync(join(el, 'package.json'), '{"name":"electron","type":"module","main":"index.js"}');
  writeFileSync(join(el, 'index.js'), FAKE_ELECTRON);
});

const env = (home: string): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: home, TRAILCASE_HOME: home, TRAILCASE_PASSPHRASE: 'app-cli-pass-1' });

test('`TrailCase --cli …`: the main process runs the bundled CLI, exit codes included, and no desktop code', () => {
  const home = join(dir, 'home');
  const main = (...args: string[]) => spawnSync(process.execPath, [join(appDir, 'electron', 'main.mjs'), ...args], { cwd: dir, env: env(home), encoding: 'utf8' });
  const v = main('--cli', '--version');
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /^TrailCase \d+\.\d+\.\d+\n$/);
  assert.equal(v.stderr, '');
  assert.equal(main('--cli', 'keygen', '--examiner', 'App CLI').status, 0);
  const kase = join(dir, 'a b.trailcase');
  const created = main('--cli', 'new', kase, '--title', 'From the app');
  assert.equal(created.status, 0, created.stderr);
  const verify = main('--cli', 'verify', kase);
  assert.equal(verify.status, 0, verify.stderr);
  assert.match(verify.stdout, /^INTACT: /m);
  assert.doesNotMatch(verify.stderr, /desktop API used/);
  const bad = main('--cli', 'verify', join(dir, 'missing.trailcase'));
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /^trailcase verify: error: /m);
  // Without --cli the same file is the desktop app (the stand-in reports its API use).
  assert.match(main().stderr, /desktop API used/);
});

test('electron-builder ships the launchers in resources/bin', () => {
  const c = parse(readFileSync(join(ROOT, 'build/electron-builder.yml'), 'utf8'));
  assert.deepEqual(c.extraResources, [{ from: 'build/resources/cli', to: 'bin' }]);
  assert.ok(statSync(join(ROOT, 'build/resources/cli/trailcase')).mode & 0o111, 'the shell launcher is executable');
  const cmd = readFileSync(join(ROOT, 'build/resources/cli/trailcase.cmd'), 'utf8');
  assert.ok(cmd.split('\n').slice(0, -1).every((l) => l.endsWith('\r')), 'CRLF line endings for cmd.exe');
  assert.match(cmd, /^"%~dp0\.\.\\\.\.\\TrailCase\.exe" --cli %\*\r$/m);
  assert.match(cmd, /^set ELECTRON_RUN_AS_NODE=\r$/m);
});

test('the shell launcher finds the app executable (Linux and macOS layouts, through a symlink) and passes arguments and exit code', () => {
  // A stand-in executable that prints its arguments one per line and what ELECTRON_RUN_AS_NODE was.
  const fakeExe = '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\necho "RUN_AS_NODE=${ELECTRON_RUN_AS_NODE-unset}"\nexit 3\n';
  const layouts = {
    linux: { exe: 'opt/TrailCase/trailcase', bin: 'opt/TrailCase/resources/bin' },
    mac: { exe: 'TrailCase.app/Contents/MacOS/TrailCase', bin: 'TrailCase.app/Contents/Resources/bin' },
  };
  for (const [name, l] of Object.entries(layouts)) {
    const base = join(dir, name);
    mkdirSync(join(base, l.bin), { recursive: true });
    mkdirSync(join(base, l.exe, '..'), { recursive: true });
    writeFileSync(join(base, l.exe), fakeExe);
    chmodSync(join(base, l.exe), 0o755);
    cpSync(join(ROOT, 'build/resources/cli/trailcase'), join(base, l.bin, 'trailcase'));
    const link = join(base, 'trailcase-on-path');
    symlinkSync(join(base, l.bin, 'trailcase'), link);
    for (const launcher of [join(base, l.bin, 'trailcase'), link]) {
      const r = spawnSync(launcher, ['verify', 'my case.trailcase', '--json'], { env: { ...env(base), ELECTRON_RUN_AS_NODE: '1' }, encoding: 'utf8' });
      assert.equal(r.status, 3, `${name}: ${r.stderr}`);
      assert.equal(r.stdout, '--cli\nverify\nmy case.trailcase\n--json\nRUN_AS_NODE=unset\n', name);
    }
  }
  const lonely = join(dir, 'lonely');
  mkdirSync(lonely);
  cpSync(join(ROOT, 'build/resources/cli/trailcase'), join(lonely, 'trailcase'));
  const r = spawnSync(join(lonely, 'trailcase'), ['info'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^trailcase: the TrailCase executable was not found beside /);
});
