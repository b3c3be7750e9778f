// `npm run dist [-- ELECTRON-BUILDER ARGS]` (docs/packaging.md): stage the app for
// production (build/bundle-app.ts), run electron-builder with
// build/electron-builder.yml for this platform's targets (or the targets given,
// e.g. `npm run dist -- --linux AppImage deb`), then write SHA256SUMS next to
// the installers for carrying them to an isolated workstation
// (docs/packaging.md).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleApp } from './bundle-app.ts';
import { ROOT } from '../electron/version.ts';

export const INSTALLERS_DIR = join(ROOT, 'dist', 'installers');
const ARTIFACT = /\.(AppImage|deb|exe|dmg|zip|tar\.gz)$/;

/** SHA256SUMS in the `sha256sum -c` format, for every installer in dir. */
export function writeChecksums(dir: string): string[] {
  const lines: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (!statSync(p).isFile() || !ARTIFACT.test(name)) continue;
    lines.push(`${createHash('sha256').update(readFileSync(p)).digest('hex')}  ${name}`);
  }
  writeFileSync(join(dir, 'SHA256SUMS'), lines.join('\n') + (lines.length ? '\n' : ''));
  return lines;
}

async function main(args: string[]): Promise<number> {
  const electronVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
  const staged = await bundleApp({ production: true, log: (s) => process.stderr.write(s + '\n') });
  process.stderr.write(`staged TrailCase ${staged.version} (build ${staged.buildHash.slice(0, 12)}) for Electron ${electronVersion}\n`);
  const cli = join(ROOT, 'node_modules', 'electron-builder', 'cli.js');
  if (!existsSync(cli)) {
    process.stderr.write('electron-builder is not installed (npm install)\n');
    return 1;
  }
  const r = spawnSync(
    process.execPath,
    [cli, '--config', join(ROOT, 'build', 'electron-builder.yml'), `-c.electronVersion=${electronVersion}`, '--publish', 'never', ...args],
    { cwd: ROOT, stdio: 'inherit', env: process.env },
  );
  if (r.status !== 0) return r.status ?? 1;
  const sums = writeChecksums(INSTALLERS_DIR);
  process.stderr.write(`${sums.length} installers; checksums in ${join(INSTALLERS_DIR, 'SHA256SUMS')}\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`npm run dist: ${e.message}\n`);
      process.exit(1);
    },
  );
}
