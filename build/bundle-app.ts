// Stage the desktop app for Electron (issue 8, "Packaging"): esbuild bundles of
// the main process, the preload, the case process and the import workers, the
// renderer bundle (electron/host/bundle.ts, the UI engineer's), the shell's
// start page and the files the code reads at run time, plus a small
// package.json - into one folder (default dist/app/) that `electron dist/app`
// runs and electron-builder packs (build/electron-builder.yml: directories.app).
// Nothing in it needs tsx or TypeScript.
//
//   node --import tsx build/bundle-app.ts [--out DIR] [--production]
//
// Layout (every path below is relative to the staged folder):
//   package.json                  name, version, main, type: module, better-sqlite3
//   electron/main.mjs             electron/main/main.ts
//   electron/preload.cjs          electron/main/preload.ts (sandboxed preloads are CommonJS)
//   electron/case-process.mjs     electron/main/case-process.ts (utilityProcess)
//   electron/worker-boot.js       electron/ingest/parse-worker.ts (import-files.ts: new URL('./worker-boot.js', import.meta.url))
//   electron/object-worker-boot.js electron/ingest/aws/object-parse-worker.ts (parse-pool.ts, same pattern)
//   electron/rules/               Sigma rules (sigma/bundled.ts: <dir of the module>/rules)
//   build/report-certification-template.md (report/certification.ts: ROOT/build/...)
//   renderer/                     the UI (buildRenderer)
//   shell/                        the start page (electron/main/launcher/)
//   node_modules/better-sqlite3 (+ bindings, file-uri-to-path): native, rebuilt for Electron's ABI
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api } from '../shared/api/index.ts';
import { buildRenderer } from '../electron/host/bundle.ts';
import { buildHash, ROOT, TOOL_VERSION } from '../electron/version.ts';

export const DEFAULT_APP_DIR = join(ROOT, 'dist', 'app');

/** Electron 39 runs Node 22. */
const NODE_TARGET = 'node22';

/** Entry points of the staged app: [output file under electron/, source]. */
export const NODE_ENTRIES: readonly { out: string; src: string; format: 'esm' | 'cjs' }[] = [
  { out: 'main.mjs', src: 'electron/main/main.ts', format: 'esm' },
  { out: 'case-process.mjs', src: 'electron/main/case-process.ts', format: 'esm' },
  { out: 'worker-boot.js', src: 'electron/ingest/parse-worker.ts', format: 'esm' },
  { out: 'object-worker-boot.js', src: 'electron/ingest/aws/object-parse-worker.ts', format: 'esm' },
  { out: 'preload.cjs', src: 'electron/main/preload.ts', format: 'cjs' },
];

/**
 * Source files that find files relative to themselves (import.meta.url) and
 * how the staged layout satisfies each. test/shell/packaging.test.ts fails when
 * a new one appears, so the package cannot silently lose a file.
 */
export const RUNTIME_PATH_USERS: Readonly<Record<string, string>> = {
  'electron/version.ts': 'ROOT = the staged folder: package.json is written there',
  'electron/analysis/sigma/bundled.ts': 'rules copied to electron/rules',
  'electron/ingest/import-files.ts': 'worker-boot.js bundled next to case-process.mjs',
  'electron/ingest/aws/parse-pool.ts': 'object-worker-boot.js bundled next to case-process.mjs',
  'electron/report/certification.ts': 'build/report-certification-template.md copied',
  'electron/host/bundle.ts': 'build time only (the renderer bundle); not in the app',
  'electron/main/main.ts': 'preload.cjs, case-process.mjs, renderer/ and shell/ staged beside it',
  'electron/main/start.ts': 'npm start in a checkout (stages the app); not in the app',
};

/** Packages that stay outside the bundles: Electron itself, the native SQLite binding, and build/test-only tools never reached at run time. */
export const EXTERNAL = ['electron', 'better-sqlite3', '@duckdb/node-api', 'playwright-core', 'esbuild', 'tsx', 'typescript'];

/** Files of node_modules the staged app carries (better-sqlite3's sources too: electron-builder rebuilds it for Electron). */
// DuckDB (the query engine, issue 14) is Node-API: its prebuilt binary for this platform is carried as is, no rebuild.
const NATIVE_PACKAGES = ['better-sqlite3', 'bindings', 'file-uri-to-path', '@duckdb/node-api', '@duckdb/node-bindings', 'detect-libc', `@duckdb/node-bindings-${process.platform}-${process.arch}`];

// ESM bundles of CommonJS dependencies need require/__dirname/__filename.
const ESM_BANNER = [
  "import { createRequire as __tcCreateRequire } from 'node:module';",
  "import { fileURLToPath as __tcFileURLToPath } from 'node:url';",
  "import { dirname as __tcDirname } from 'node:path';",
  'const require = __tcCreateRequire(import.meta.url);',
  'const __filename = __tcFileURLToPath(import.meta.url);',
  'const __dirname = __tcDirname(__filename);',
].join('\n');

export interface BundleAppOptions {
  outDir?: string;
  /** Minify and drop source maps (packaging); development keeps them readable. */
  production?: boolean;
  /** Skip copying node_modules (tests that only inspect the bundles). */
  skipNativeModules?: boolean;
  log?: (line: string) => void;
}

export interface BundleAppResult {
  dir: string;
  version: string;
  buildHash: string;
  methods: string[];
  files: string[];
  seconds: number;
}

export async function bundleApp(opts: BundleAppOptions = {}): Promise<BundleAppResult> {
  const t0 = performance.now();
  const dir = opts.outDir ?? DEFAULT_APP_DIR;
  const log = opts.log ?? (() => {});
  const production = !!opts.production;
  const methods = Object.keys(api);
  const hash = buildHash();
  rmSync(join(dir, 'electron'), { recursive: true, force: true });
  rmSync(join(dir, 'shell'), { recursive: true, force: true });
  mkdirSync(join(dir, 'electron'), { recursive: true });

  for (const e of NODE_ENTRIES) {
    await build({
      entryPoints: [join(ROOT, e.src)],
      outfile: join(dir, 'electron', e.out),
      bundle: true,
      platform: 'node',
      format: e.format,
      target: NODE_TARGET,
      external: EXTERNAL,
      minify: production,
      sourcemap: production ? false : 'linked',
      legalComments: 'linked',
      logLevel: 'silent',
      banner: e.format === 'esm' ? { js: ESM_BANNER } : undefined,
      define: {
        __TRAILCASE_METHODS__: JSON.stringify(methods),
        __TRAILCASE_BUILD_HASH__: JSON.stringify(hash),
      },
      absWorkingDir: ROOT,
    });
  }

  // The shell's start page (browser code; same CSP as the UI).
  const shellDir = join(dir, 'shell');
  await build({
    entryPoints: [join(ROOT, 'electron/main/launcher/launcher.ts')],
    outfile: join(shellDir, 'launcher.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome120',
    minify: production,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  for (const f of ['index.html', 'launcher.css']) cpSync(join(ROOT, 'electron/main/launcher', f), join(shellDir, f));

  // The UI.
  const r = await buildRenderer({ outDir: join(dir, 'renderer'), minify: true });
  log(`renderer: ${r.rebuilt ? `bundled (${r.reason})` : 'up to date'}`);

  // Files read at run time.
  cpSync(join(ROOT, 'electron/analysis/sigma/rules'), join(dir, 'electron', 'rules'), { recursive: true });
  const template = join(ROOT, 'build', 'report-certification-template.md');
  if (existsSync(template)) {
    mkdirSync(join(dir, 'build'), { recursive: true });
    cpSync(template, join(dir, 'build', 'report-certification-template.md'));
  }

  const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, any>;
  const sqliteVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string }).version;
  const appPkg = {
    name: 'trailcase',
    productName: 'TrailCase',
    version: TOOL_VERSION,
    description: rootPkg.description,
    license: rootPkg.license,
    author: { name: 'TrailCase' },
    homepage: 'https://github.com/trailcase/trailcase',
    private: true,
    type: 'module',
    main: 'electron/main.mjs',
    dependencies: { 'better-sqlite3': sqliteVersion, '@duckdb/node-api': (JSON.parse(readFileSync(join(ROOT, 'node_modules/@duckdb/node-api/package.json'), 'utf8')) as { version: string }).version },
    trailcase: { buildHash: hash },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(appPkg, null, 2) + '\n');

  if (!opts.skipNativeModules) {
    for (const p of NATIVE_PACKAGES) {
      const from = join(ROOT, 'node_modules', p);
      const to = join(dir, 'node_modules', p);
      if (!existsSync(from)) throw new Error(`node_modules/${p} is missing: run npm install first`);
      rmSync(to, { recursive: true, force: true });
      cpSync(from, to, {
        recursive: true,
        // The Node build's objects are not Electron's; electron-builder/@electron/rebuild rebuilds from the sources.
        filter: (src) => !/[\\/]build[\\/]Release[\\/](obj|obj\.target|\.deps)([\\/]|$)|[\\/]test_extension\.node$|\.a$/.test(src),
      });
    }
  }

  const files = listFiles(dir).filter((f) => !f.startsWith('node_modules/'));
  const seconds = (performance.now() - t0) / 1000;
  log(`staged ${files.length} files in ${relative(process.cwd(), dir) || dir} (${seconds.toFixed(1)} s)`);
  return { dir, version: TOOL_VERSION, buildHash: hash, methods, files, seconds };
}

function listFiles(dir: string, base = dir, out: string[] = []): string[] {
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) listFiles(p, base, out);
    else out.push(relative(base, p).split('\\').join('/'));
  }
  return out.sort();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  bundleApp({
    outDir: outAt >= 0 ? args[outAt + 1] : undefined,
    production: args.includes('--production'),
    log: (s) => process.stderr.write(s + '\n'),
  }).then(
    (r) => process.stdout.write(`${r.dir}\n`),
    (e: Error) => {
      process.stderr.write(`bundle-app: ${e.message}\n`);
      process.exit(1);
    },
  );
}
