// `npm install`'s postinstall: fetch Electron's runtime where it can be
// fetched, and say in one line why not where it cannot, without failing the
// install.
//
// Electron's own install script (node_modules/electron/install.js) downloads
// the runtime from GitHub and exits 1 when it cannot; npm 11 runs it (the
// `allowScripts` policy is advisory there) and then fails the whole install,
// so `npm install && npm start` broke on any machine that reaches only an npm
// registry. package.json therefore denies that script (`allowScripts`:
// `"electron": false`, which npm always honours) and this script runs the same
// download itself. Plain JavaScript: it runs before anything is built and with
// `npm ci --omit=dev`, where Electron is not installed at all.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The Electron binary's path as node_modules/electron reports it, or null when the runtime is not there. */
export function electronBinary(root = ROOT) {
  const require = createRequire(join(root, 'package.json'));
  try {
    const p = require('electron');
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

/** Run Electron's download; returns whether the runtime is there and one line for the log (null: nothing to say). */
export function fetchElectron(env = process.env, root = ROOT) {
  const require = createRequire(join(root, 'package.json'));
  let dir;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { ok: true, line: null }; // not installed (npm ci --omit=dev): nothing to fetch
  }
  const version = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  if (electronBinary(root)) return { ok: true, line: null };
  if (env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    return { ok: false, line: `trailcase: Electron ${version} runtime not downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD is set); npm start will serve the UI in your browser instead.` };
  }
  // Same script, same environment (ELECTRON_MIRROR, electron_config_cache, ... apply as documented by Electron).
  const r = spawnSync(process.execPath, [join(dir, 'install.js')], {
    cwd: dir,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    // A network that drops packets instead of refusing them must not hang npm install for ever.
    timeout: Number(env.TRAILCASE_ELECTRON_FETCH_TIMEOUT_MS) || 15 * 60_000,
  });
  if (r.status === 0 && electronBinary(root)) return { ok: true, line: `trailcase: Electron ${version} runtime installed.` };
  const why = r.error ? r.error.message : (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n')[0];
  return {
    ok: false,
    line: `trailcase: Electron ${version} runtime not downloaded (${why}); npm start will serve the UI in your browser instead (docs/packaging.md: fetching it later).`,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { line } = fetchElectron();
  if (line) process.stderr.write(line.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?') + '\n');
  // Never fail the install: everything but the desktop window works without the runtime.
  process.exit(0);
}
