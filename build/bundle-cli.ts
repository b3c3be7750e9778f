// The compiled `trailcase` command line: esbuild bundles of the CLI and its
// import workers, with the files they read at run time, staged like the app
// (build/bundle-app.ts: the same entry list, externals and runtime-path
// bookkeeping) into one folder (default dist/cli/) that runs on plain Node,
// without tsx or TypeScript, after `npm ci --omit=dev`.
//
//   npm run build:cli            (node --import tsx build/bundle-cli.ts [--out DIR] [--production])
//
// Layout (relative to the staged folder, which is electron/version.ts's ROOT):
//   trailcase.mjs                 `node dist/cli/trailcase.mjs …` (imports electron/cli.mjs)
//   package.json                  name, version, type: module, build hash
//   build.json                    when it was built and from which sources (electron/cli/trailcase.js checks it)
//   electron/cli.mjs              electron/cli/main.ts
//   electron/worker-boot.js, electron/object-worker-boot.js, electron/rules/, build/…  as in the app
//   renderer/                     the prebuilt UI for `trailcase serve` (electron/host/bundle.ts serves it as it is)
// Packages in EXTERNAL (native modules, playwright-core) are resolved from the
// node_modules above the folder: the checkout's own, or the one next to a copy.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRenderer } from '../electron/host/bundle.ts';
import { buildHash, ROOT, TOOL_VERSION } from '../electron/version.ts';
import { bundleNodeEntries, copyRuntimeFiles, EXTERNAL, listFiles, NODE_ENTRIES } from './bundle-app.ts';

export const DEFAULT_CLI_DIR = join(ROOT, 'dist', 'cli');

/** The CLI's entries: the command line itself and the import workers it starts (found next to it at run time). */
export const CLI_ENTRIES = NODE_ENTRIES.filter((e) => e.out === 'cli.mjs' || e.out.endsWith('worker-boot.js'));

export interface BundleCliResult {
  dir: string;
  version: string;
  buildHash: string;
  /** Source files bundled (relative to the checkout). */
  inputs: string[];
  files: string[];
  seconds: number;
}

export async function bundleCli(opts: { outDir?: string; production?: boolean; log?: (s: string) => void } = {}): Promise<BundleCliResult> {
  const t0 = performance.now();
  const dir = opts.outDir ?? DEFAULT_CLI_DIR;
  const log = opts.log ?? (() => {});
  const hash = buildHash();
  const builtAt = Date.now();
  for (const d of ['electron', 'build', 'renderer']) rmSync(join(dir, d), { recursive: true, force: true });
  mkdirSync(join(dir, 'electron'), { recursive: true });
  const inputs = await bundleNodeEntries(dir, CLI_ENTRIES, {
    production: !!opts.production,
    define: { __TRAILCASE_BUILD_HASH__: JSON.stringify(hash) },
  });
  copyRuntimeFiles(dir);
  const r = await buildRenderer({ minify: true });
  cpSync(r.dir, join(dir, 'renderer'), { recursive: true, filter: (f) => !f.endsWith('.map') && !f.endsWith('build.json') });
  writeFileSync(join(dir, 'trailcase.mjs'), "#!/usr/bin/env node\n// The compiled TrailCase command line (build/bundle-cli.ts).\nimport './electron/cli.mjs';\n");

  const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { description: string; license: string; dependencies: Record<string, string> };
  const externals = Object.fromEntries(Object.entries(rootPkg.dependencies).filter(([n]) => EXTERNAL.includes(n)));
  const pkg = {
    name: 'trailcase-cli',
    version: TOOL_VERSION,
    description: rootPkg.description,
    license: rootPkg.license,
    private: true,
    type: 'module',
    bin: { trailcase: 'trailcase.mjs' },
    // What the bundles still import from node_modules.
    dependencies: externals,
    trailcase: { buildHash: hash },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  // Read by electron/cli/trailcase.js: the bundle runs only while no input is newer than the build.
  writeFileSync(join(dir, 'build.json'), JSON.stringify({ builtAt, buildHash: hash, inputs }, null, 1) + '\n');
  const files = listFiles(dir);
  const seconds = (performance.now() - t0) / 1000;
  log(`CLI staged: ${files.length} files in ${relative(process.cwd(), dir) || dir} (${seconds.toFixed(1)} s)`);
  return { dir, version: TOOL_VERSION, buildHash: hash, inputs, files, seconds };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  bundleCli({ outDir: outAt >= 0 ? args[outAt + 1] : undefined, production: args.includes('--production'), log: (s) => process.stderr.write(s + '\n') }).then(
    (r) => process.stdout.write(`${r.dir}\n`),
    (e: Error) => {
      process.stderr.write(`bundle-cli: ${e.message}\n`);
      process.exit(1);
    },
  );
}
