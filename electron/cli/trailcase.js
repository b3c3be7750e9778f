#!/usr/bin/env node
// Launcher for `trailcase` (package.json "bin"). Runs the compiled CLI
// (dist/cli/, `npm run build:cli`, build/bundle-cli.ts) when it was built from
// the sources as they are now; otherwise, in a development checkout, the
// TypeScript sources through tsx. So `npx trailcase …` works right after
// `npm install` (no build step on install: CI and every developer install stay
// fast, and an edited source is never shadowed by an old bundle), and after
// `npm run build:cli` + `npm ci --omit=dev` the CLI runs without tsx.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bundle = join(root, 'dist', 'cli', 'electron', 'cli.mjs');

/** Why the bundle cannot be used as the build of these sources, or null when it can. */
function bundleStale() {
  if (!existsSync(bundle)) return 'not built';
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, 'dist', 'cli', 'build.json'), 'utf8'));
  } catch {
    return 'no build stamp';
  }
  for (const rel of stamp.inputs ?? []) {
    let m;
    try {
      m = statSync(join(root, rel)).mtimeMs;
    } catch {
      continue; // sources not shipped with this copy: the bundle is all there is
    }
    if (m > stamp.builtAt) return `${rel} changed since the build`;
  }
  return null;
}

async function tsxAvailable() {
  try {
    return await import('tsx/esm/api');
  } catch {
    return null;
  }
}

const stale = bundleStale();
const tsx = stale === null ? null : await tsxAvailable();
if (stale !== null && tsx) {
  tsx.register();
  await import('./main.ts');
} else if (existsSync(bundle)) {
  await import(pathToFileURL(bundle).href);
} else {
  process.stderr.write('trailcase: the compiled CLI (dist/cli/) is missing and tsx is not installed: run `npm install && npm run build:cli`\n');
  process.exit(1);
}
