// npm install's postinstall (build/fetch-electron.mjs; docs/packaging.md, "Building
// without Electron's download"): Electron's runtime is fetched where it can be, and where it
// cannot the install goes on with one line saying why. Run against a stand-in
// electron package whose install.js fails the way GitHub being unreachable
// does, or succeeds by writing the binary; plus the package.json policy that
// keeps npm from running Electron's own script (which fails the install).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fetchElectron } from '../../build/fetch-electron.mjs';
import { ROOT } from '../../electron/version.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-fetch-electron-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A checkout with a stand-in node_modules/electron: index.js returns the binary path once install.js wrote it, as Electron's does. */
function fakeCheckout(name: string, installJs: string | null): string {
  const root = join(dir, name);
  const el = join(root, 'node_modules', 'electron');
  mkdirSync(el, { recursive: true });
  writeFileSync(join(root, 'package.json'), '{"name":"x","private":true}');
  writeFileSync(join(el, 'package.json'), JSON.stringify({ name: 'electron', version: '39.0.0-test', main: 'index.js' }));
  writeFileSync(
    join(el, 'index.js'),
    "const fs = require('fs'), p = require('path');\nconst t = p.join(__dirname, 'path.txt');\nif (!fs.existsSync(t)) throw new Error('Electron failed to install correctly');\nmodule.exports = p.join(__dirname, 'dist', fs.readFileSync(t, 'utf8'));\n",
  );
  if (installJs !== null) writeFileSync(join(el, 'install.js'), installJs);
  return root;
}

const OFFLINE = "console.error('RequestError: getaddrinfo ENOTFOUND github.com\\n    at ClientRequest.<anonymous> (got/index.js:970:111)'); process.exit(1);";
const ONLINE = "const fs = require('fs'); fs.mkdirSync(__dirname + '/dist', { recursive: true }); fs.writeFileSync(__dirname + '/dist/electron', ''); fs.writeFileSync(__dirname + '/path.txt', 'electron');";

const env = (extra: Record<string, string> = {}) => {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!('ELECTRON_SKIP_BINARY_DOWNLOAD' in extra)) delete e.ELECTRON_SKIP_BINARY_DOWNLOAD;
  return e;
};

test('download fails (no GitHub): reported in one line with the reason, not an error', () => {
  const r = fetchElectron(env(), fakeCheckout('offline', OFFLINE));
  assert.equal(r.ok, false);
  assert.ok(r.line && !r.line.includes('\n'), String(r.line));
  assert.match(r.line!, /^trailcase: Electron 39\.0\.0-test runtime not downloaded \(RequestError: getaddrinfo ENOTFOUND github\.com\); npm start will serve the UI in your browser instead/);
});

test('download works: the runtime is installed and said so; a second run has nothing to do', () => {
  const root = fakeCheckout('online', ONLINE);
  const r = fetchElectron(env(), root);
  assert.deepEqual(r, { ok: true, line: 'trailcase: Electron 39.0.0-test runtime installed.' });
  assert.deepEqual(fetchElectron(env(), root), { ok: true, line: null });
});

test('ELECTRON_SKIP_BINARY_DOWNLOAD: no attempt, one line; electron not installed (npm ci --omit=dev): silent', () => {
  const r = fetchElectron(env({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }), fakeCheckout('skip', "throw new Error('must not run')"));
  assert.equal(r.ok, false);
  assert.match(r.line!, /ELECTRON_SKIP_BINARY_DOWNLOAD is set/);
  const bare = join(dir, 'bare');
  mkdirSync(bare, { recursive: true });
  writeFileSync(join(bare, 'package.json'), '{}');
  assert.deepEqual(fetchElectron(env(), bare), { ok: true, line: null });
});

test('as the postinstall script it never fails the install', () => {
  const root = fakeCheckout('script', OFFLINE);
  mkdirSync(join(root, 'build'));
  writeFileSync(join(root, 'build', 'fetch-electron.mjs'), readFileSync(join(ROOT, 'build', 'fetch-electron.mjs')));
  const r = spawnSync(process.execPath, [join(root, 'build', 'fetch-electron.mjs')], { env: env(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /runtime not downloaded \(RequestError: getaddrinfo ENOTFOUND github\.com\)/);
});

test("package.json: npm never runs Electron's own download script; ours runs after install", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  // npm 11 honours an explicit false in allowScripts always (an unreviewed script would still run).
  assert.equal(pkg.allowScripts.electron, false);
  assert.equal(pkg.scripts.postinstall, 'node build/fetch-electron.mjs');
  assert.ok('electron' in pkg.devDependencies);
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  assert.deepEqual(lock.packages[''].devDependencies, pkg.devDependencies, 'package-lock.json matches package.json (npm install --package-lock-only)');
  assert.deepEqual(lock.packages[''].dependencies, pkg.dependencies);
});
