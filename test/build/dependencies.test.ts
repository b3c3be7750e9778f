// Honest dependency lists (docs/architecture.md): every
// package the app and the CLI import at run time is in package.json
// "dependencies" (so `npm ci --omit=dev` is enough to run them), and nothing
// that only builds or tests them is. "Run time" is read from esbuild itself:
// the bare imports of our own files in the bundles of every Node entry point
// (type-only imports are erased, as in the shipped bundles).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { build, type Metafile } from 'esbuild';
import { EXTERNAL, NODE_ENTRIES } from '../../build/bundle-app.ts';
import { ROOT } from '../../electron/version.ts';
import { importsOf, sourceFiles } from '../lint/layering.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

/** Reached at run time only in a checkout or supplied by the runtime, so rightly not in "dependencies". */
const NOT_SHIPPED: Readonly<Record<string, string>> = {
  electron: 'the runtime itself (the app is Electron); never imported by the CLI',
  esbuild: 'electron/host/bundle.ts builds the renderer only where its sources are (a checkout); a built CLI serves its prebuilt UI',
  '@electron/rebuild': 'npm start in a checkout (build/start.ts)',
};

const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
/** A package import (not relative, absolute or a Node built-in). */
const bare = (spec: string) => !/^[./#]/.test(spec) && !isBuiltin(spec);

async function runtimeImports(): Promise<Map<string, string>> {
  const r = await build({
    entryPoints: NODE_ENTRIES.map((e) => join(ROOT, e.src)),
    outdir: '/nonexistent-out',
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: EXTERNAL,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  const found = new Map<string, string>(); // package -> first importing file
  for (const [file, input] of Object.entries((r.metafile as Metafile).inputs)) {
    if (file.includes('node_modules/')) continue;
    for (const imp of input.imports) {
      const spec = imp.original ?? imp.path;
      if (!bare(spec)) continue;
      if (!found.has(packageOf(spec))) found.set(packageOf(spec), file);
    }
  }
  return found;
}

test('every package imported at run time is a dependency; build and test tools are not', async () => {
  const runtime = await runtimeImports();
  assert.ok(runtime.has('better-sqlite3') && runtime.has('zod'), `the scan sees the runtime imports: ${[...runtime.keys()].join(', ')}`);
  const undeclared = [...runtime].filter(([p]) => !(p in pkg.dependencies) && !(p in NOT_SHIPPED)).map(([p, f]) => `${p} (imported by ${f})`);
  assert.deepEqual(undeclared, [], 'imported at run time but not in package.json "dependencies"');
  const shippedTools = Object.keys(NOT_SHIPPED).filter((p) => p in pkg.dependencies);
  assert.deepEqual(shippedTools, [], 'reached only in a checkout: belongs in devDependencies');

  // A dependency that only build/ or renderer/ (bundled at build time) import is a build input; the tools that run
  // TypeScript, bundle, package or fake AWS never ship. (Tests may use run-time packages too: that proves nothing.)
  const buildUsers = new Map<string, string>();
  for (const d of ['build', 'renderer']) {
    for (const f of sourceFiles(join(ROOT, d), new Set(['node_modules', 'dist', 'resources']))) {
      for (const spec of importsOf(readFileSync(f, 'utf8'))) if (bare(spec)) buildUsers.set(packageOf(spec), relative(ROOT, f));
    }
  }
  const TOOLS = ['typescript', 'tsx', 'esbuild', 'electron', 'electron-builder', '@electron/fuses', 's3rver'];
  const misfiled = Object.keys(pkg.dependencies)
    .filter((p) => p.startsWith('@types/') || TOOLS.includes(p) || (buildUsers.has(p) && !runtime.has(p)))
    .map((p) => `${p}${buildUsers.has(p) ? ` (used by ${buildUsers.get(p)})` : ''}`);
  assert.deepEqual(misfiled, [], 'in "dependencies" but used only to build or test: move to devDependencies');
  for (const t of TOOLS) assert.ok(t in pkg.devDependencies, `${t} is a devDependency`);
});
