// Stage the desktop app for Electron (docs/packaging.md): esbuild bundles of
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
//   electron/cli.mjs              electron/cli/main.ts (`TrailCase --cli COMMAND …`; build/bundle-cli.ts stages it alone)
//   electron/case-process.mjs     electron/main/case-process.ts (utilityProcess)
//   electron/worker-boot.js       electron/ingest/parse-worker.ts (import-files.ts: new URL('./worker-boot.js', import.meta.url))
//   electron/object-worker-boot.js electron/ingest/aws/object-parse-worker.ts (parse-pool.ts, same pattern)
//   electron/verify-worker-boot.js electron/case/verify-worker.ts (case/verify.ts, same pattern)
//   electron/rules/               Sigma rules (sigma/bundled.ts: <dir of the module>/rules)
//   electron/enrich/              address databases and the AWS ranges snapshot (analysis/enrich/databases.ts: <dir of the module>/enrich)
//   build/report-certification-template.md (report/certification.ts: ROOT/build/...)
//   renderer/                     the UI (buildRenderer)
//   shell/                        the start page (electron/main/launcher/)
//   node_modules/better-sqlite3 (+ bindings, file-uri-to-path): native, rebuilt for Electron's ABI
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api } from '../shared/api/index.ts';
import { buildRenderer } from '../electron/host/bundle.ts';
import { buildHash, ROOT, TOOL_VERSION } from '../electron/version.ts';
import { AWS_SNAPSHOT_FILE, BUNDLED as BUNDLED_DATABASES } from '../electron/analysis/enrich/databases.ts';

export const DEFAULT_APP_DIR = join(ROOT, 'dist', 'app');

/** Electron 39 runs Node 22. */
const NODE_TARGET = 'node22';

/** Entry points of the staged app: [output file under electron/, source]. */
export const NODE_ENTRIES: readonly { out: string; src: string; format: 'esm' | 'cjs' }[] = [
  { out: 'main.mjs', src: 'electron/main/main.ts', format: 'esm' },
  { out: 'case-process.mjs', src: 'electron/main/case-process.ts', format: 'esm' },
  { out: 'worker-boot.js', src: 'electron/ingest/parse-worker.ts', format: 'esm' },
  { out: 'object-worker-boot.js', src: 'electron/ingest/aws/object-parse-worker.ts', format: 'esm' },
  { out: 'verify-worker-boot.js', src: 'electron/case/verify-worker.ts', format: 'esm' },
  { out: 'preload.cjs', src: 'electron/main/preload.ts', format: 'cjs' },
  // The command line (build/bundle-cli.ts stages it alone; the app runs it for `TrailCase --cli …`, electron/main/main.ts).
  { out: 'cli.mjs', src: 'electron/cli/main.ts', format: 'esm' },
];

/**
 * Source files that find files relative to themselves (import.meta.url) and
 * how the staged layout satisfies each. test/shell/packaging.test.ts fails when
 * a new one appears, so the package cannot silently lose a file.
 */
export const RUNTIME_PATH_USERS: Readonly<Record<string, string>> = {
  'electron/version.ts': 'ROOT = the staged folder: package.json is written there (and docs/verify-case.py, read by electron/report/manifest.ts)',
  'electron/analysis/sigma/bundled.ts': 'rules copied to electron/rules',
  'electron/query/duckdb.ts': 'requires @duckdb/node-api on first use: external, resolved from node_modules (STAGED_PACKAGES in the app)',
  'electron/analysis/enrich/databases.ts': 'database packages and the AWS snapshot copied to electron/enrich',
  'electron/ingest/import-files.ts': 'worker-boot.js bundled next to case-process.mjs',
  'electron/ingest/aws/parse-pool.ts': 'object-worker-boot.js bundled next to case-process.mjs',
  'electron/case/verify.ts': 'verify-worker-boot.js bundled next to case-process.mjs and cli.mjs',
  'electron/report/certification.ts': 'build/report-certification-template.md copied',
  'electron/host/bundle.ts': 'build time only (the renderer bundle); not in the app',
  'electron/main/main.ts': 'preload.cjs, case-process.mjs, renderer/ and shell/ staged beside it',
  'electron/cli/trailcase.js': "the checkout's bin launcher: finds dist/cli/ (build/bundle-cli.ts); not in the app",
};

/**
 * Packages that stay outside every bundle (the app's and the CLI's,
 * build/bundle-cli.ts) and are resolved from node_modules at run time:
 * Electron itself; native modules, whose binaries are found relative to their
 * package (better-sqlite3, DuckDB); packages that read their own files at run
 * time (playwright-core); and build tools reached only in a checkout (esbuild
 * by electron/host/bundle.ts when the renderer sources are there,
 * @electron/rebuild by npm start). A new native or file-reading package is
 * added here and, if the installed app needs it, to STAGED_PACKAGES
 * (docs/packaging.md, "Adding a runtime file or a native package").
 */
export const EXTERNAL = [
  'electron',
  'better-sqlite3',
  '@duckdb/node-api',
  '@duckdb/node-bindings',
  'playwright-core',
  'esbuild',
  'tsx',
  'typescript',
  '@electron/rebuild',
];

/**
 * Packages of node_modules the staged app carries, with what they need at
 * run time (better-sqlite3's sources too: electron-builder rebuilds it for
 * Electron). An external package the installed app reaches, or one whose data
 * files the code resolves from node_modules, is listed here.
 */
// DuckDB (the query engine, docs/queries.md) is Node-API: its prebuilt binary for this platform is carried as is, no rebuild.
export const STAGED_PACKAGES = ['better-sqlite3', 'bindings', 'file-uri-to-path', '@duckdb/node-api', '@duckdb/node-bindings', 'detect-libc', `@duckdb/node-bindings-${process.platform}-${process.arch}`];

// ESM bundles of CommonJS dependencies need require/__dirname/__filename.
export const ESM_BANNER = [
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

  await bundleNodeEntries(dir, NODE_ENTRIES, { production, define: { __TRAILCASE_METHODS__: JSON.stringify(methods), __TRAILCASE_BUILD_HASH__: JSON.stringify(hash) } });

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

  copyRuntimeFiles(dir);
  // The address databases (README.md, "Addresses and profiles"), whole packages with their licence files: the CLI bundle
  // resolves them from node_modules (they are dependencies), the app carries them.
  for (const b of BUNDLED_DATABASES) {
    const from = join(ROOT, 'node_modules', b.pkg);
    for (const f of readdirSync(from)) if (b.files.includes(f) || /^(package\.json|README\.md|MODIFICATIONS)$|LICENSE$/.test(f)) cpSync(join(from, f), join(dir, 'electron', 'enrich', b.pkg, f));
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
    for (const p of STAGED_PACKAGES) {
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

/**
 * esbuild bundles of Node entry points into DIR/electron/, each self-contained
 * except EXTERNAL. Returns the source files that went in (relative to ROOT).
 */
export async function bundleNodeEntries(
  dir: string,
  entries: readonly { out: string; src: string; format: 'esm' | 'cjs' }[],
  opts: { production: boolean; define: Record<string, string> },
): Promise<string[]> {
  const inputs = new Set<string>();
  for (const e of entries) {
    const r = await build({
      entryPoints: [join(ROOT, e.src)],
      outfile: join(dir, 'electron', e.out),
      bundle: true,
      platform: 'node',
      format: e.format,
      target: NODE_TARGET,
      external: EXTERNAL,
      minify: opts.production,
      sourcemap: opts.production ? false : 'linked',
      legalComments: 'linked',
      logLevel: 'silent',
      metafile: true,
      banner: e.format === 'esm' ? { js: ESM_BANNER } : undefined,
      define: opts.define,
      absWorkingDir: ROOT,
    });
    for (const f of Object.keys(r.metafile.inputs)) if (!f.includes('node_modules/')) inputs.add(f);
  }
  return [...inputs].sort();
}

/** Files the code reads at run time, copied where RUNTIME_PATH_USERS says (DIR is the staged ROOT). */
export function copyRuntimeFiles(dir: string): void {
  cpSync(join(ROOT, 'electron/analysis/sigma/rules'), join(dir, 'electron', 'rules'), { recursive: true });
  // The independent verifier copied into every report folder and beside every handoff (electron/report/manifest.ts).
  mkdirSync(join(dir, 'docs'), { recursive: true });
  cpSync(join(ROOT, 'docs', 'verify-case.py'), join(dir, 'docs', 'verify-case.py'));
  // The dated AWS ranges snapshot (electron/analysis/enrich/databases.ts looks in <module dir>/enrich).
  mkdirSync(join(dir, 'electron', 'enrich'), { recursive: true });
  for (const f of [AWS_SNAPSHOT_FILE, join(dirname(AWS_SNAPSHOT_FILE), 'SOURCE.md')]) cpSync(f, join(dir, 'electron', 'enrich', basename(f)));
  const template = join(ROOT, 'build', 'report-certification-template.md');
  if (existsSync(template)) {
    mkdirSync(join(dir, 'build'), { recursive: true });
    cpSync(template, join(dir, 'build', 'report-certification-template.md'));
  }
}

export function listFiles(dir: string, base = dir, out: string[] = []): string[] {
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
