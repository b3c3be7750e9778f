// `npm start` (docs/packaging.md): the desktop app when the Electron runtime is
// installed; otherwise one line saying so, and the same UI in a browser
// through `trailcase serve` on the demo case (the loopback host), with its URL.
//
// With Electron: the app is staged by build/bundle-app.ts into dist/app/ (the
// same layout the installers carry), better-sqlite3 there is rebuilt once for
// Electron's ABI (@electron/rebuild; the checkout's copy stays built for Node,
// which the CLI and tests use), and Electron runs dist/app.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The Electron binary from node_modules/electron, or why there is none. */
export function electronRuntime(): { path: string; version: string } | { missing: string } {
  let version = '?';
  try {
    version = (require('electron/package.json') as { version: string }).version;
  } catch {
    return { missing: 'the electron package is not installed (npm install)' };
  }
  let path: string;
  try {
    // index.js returns the binary path, or throws when the download never happened (ELECTRON_SKIP_BINARY_DOWNLOAD).
    path = require('electron') as string;
  } catch {
    return { missing: `the Electron ${version} runtime was not downloaded (node_modules/electron has no binary)` };
  }
  if (typeof path !== 'string' || !existsSync(path)) return { missing: `the Electron ${version} runtime is missing at ${String(path)}` };
  return { path, version };
}

const STAMP = '.trailcase-electron-abi';

/** Rebuild the staged better-sqlite3 for this Electron, once per Electron version. */
export async function ensureNativeForElectron(appDir: string, electronVersion: string, log: (s: string) => void): Promise<void> {
  const stamp = join(appDir, 'node_modules', STAMP);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === electronVersion) return;
  log(`rebuilding better-sqlite3 for Electron ${electronVersion} (once; needs Electron's headers or a prebuilt binary, see docs/packaging.md)…`);
  const { rebuild } = (await import('@electron/rebuild')) as typeof import('@electron/rebuild');
  await rebuild({ buildPath: appDir, electronVersion, onlyModules: ['better-sqlite3'], force: true });
  writeFileSync(stamp, electronVersion + '\n');
}

export async function startDesktop(argv: string[]): Promise<number> {
  const rt = electronRuntime();
  const log = (s: string) => process.stderr.write(s + '\n');
  if ('missing' in rt) {
    // The one line the issue asks for; the rest is the browser host's own output.
    process.stdout.write(`TrailCase desktop not started: ${rt.missing}; serving the same UI in your browser instead (trailcase serve on the demo case).\n`);
    return serveDemo(log);
  }
  const { bundleApp, DEFAULT_APP_DIR } = await import('./bundle-app.ts');
  const stamp = join(DEFAULT_APP_DIR, 'node_modules', STAMP);
  const keepNative = existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === rt.version;
  await bundleApp({ outDir: DEFAULT_APP_DIR, skipNativeModules: keepNative, log });
  await ensureNativeForElectron(DEFAULT_APP_DIR, rt.version, log);
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(rt.path, [DEFAULT_APP_DIR, ...argv], { stdio: 'inherit', env });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

async function serveDemo(log: (s: string) => void): Promise<number> {
  const { ensureDemoCase } = await import('../electron/demo/demo.ts');
  const { startHost } = await import('../electron/host/server.ts');
  const demo = await ensureDemoCase({ log });
  const host = await startHost({ casePath: demo.path, signer: demo.signer, log });
  process.stdout.write(`Open ${host.url}\n`);
  log(`(demo case ${demo.path}; loopback only; Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await host.close();
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  startDesktop(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`npm start: ${e.message}\n`);
      process.exit(1);
    },
  );
}
