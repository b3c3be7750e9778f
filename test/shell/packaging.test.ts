// The staged desktop app (build/bundle-app.ts) without Electron: the bundles
// exist with the expected shape (main process free of SQLite, preload free of
// schemas and exposing only window.trailcase), every source that finds files
// relative to itself is accounted for, and the bundled case process - the very
// file the utility process runs, no tsx - works in a worker thread: key,
// case, import through the bundled parse workers, Sigma rules from the staged
// folder, and a signed report whose PDF is printed through the rpc to the
// "main process" (here playwright's Chromium, as Electron's printToPDF would).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import { after, before, test } from 'node:test';
import { api } from '../../shared/api/index.ts';
import { bundleApp, RUNTIME_PATH_USERS, type BundleAppResult } from '../../build/bundle-app.ts';
import { ROOT } from '../../electron/version.ts';
import { generateKey } from '../../electron/case/keys.ts';
import { CaseBridge } from '../../electron/main/case-bridge.ts';
import { chromiumPrinter, chromiumUnavailableReason, type PdfPrintOptions } from '../../electron/report/pdf.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-pack-'));
const appDir = join(dir, 'app');
let staged: BundleAppResult;
before(async () => {
  staged = await bundleApp({ outDir: appDir });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function sources(d: string, out: string[] = []): string[] {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (n === 'node_modules' || n === 'rules') continue;
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(ts|js|mjs)$/.test(n)) out.push(relative(ROOT, p).split('\\').join('/'));
  }
  return out;
}

test('staged layout: entry points, assets, package.json', () => {
  for (const f of [
    'package.json',
    'electron/main.mjs',
    'electron/preload.cjs',
    'electron/case-process.mjs',
    'electron/worker-boot.js',
    'electron/object-worker-boot.js',
    'electron/verify-worker-boot.js',
    'shell/index.html',
    'shell/launcher.js',
    'shell/launcher.css',
    'renderer/index.html',
    'renderer/app.js',
    'build/report-certification-template.md',
    'docs/verify-case.py',
    'node_modules/better-sqlite3/package.json',
    'node_modules/@duckdb/node-api/package.json',
    `node_modules/@duckdb/node-bindings-${process.platform}-${process.arch}/duckdb.node`,
  ]) {
    assert.ok(existsSync(join(appDir, f)), f);
  }
  assert.ok(readdirSync(join(appDir, 'electron/rules'), { recursive: true }).some((f) => String(f).endsWith('.yml')), 'Sigma rules staged');
  const pkg = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8'));
  assert.equal(pkg.main, 'electron/main.mjs');
  assert.equal(pkg.type, 'module');
  // The two native modules: SQLite (the case) and DuckDB (the query engine, docs/queries.md).
  assert.deepEqual(Object.keys(pkg.dependencies), ['better-sqlite3', '@duckdb/node-api']);
  assert.equal(pkg.trailcase.buildHash, staged.buildHash);
  assert.match(staged.buildHash, /^[0-9a-f]{64}$/);
});

test('main process bundle never loads SQLite; preload carries the method list and only exposes window.trailcase', () => {
  const main = readFileSync(join(appDir, 'electron/main.mjs'), 'utf8');
  assert.ok(!/from ["']better-sqlite3["']|require\(["']better-sqlite3["']\)/.test(main), 'main.mjs imports better-sqlite3');
  assert.ok(main.includes('__shell'), 'the launcher mount');
  const preload = readFileSync(join(appDir, 'electron/preload.cjs'), 'utf8');
  assert.equal((preload.match(/exposeInMainWorld\(/g) ?? []).length, 1);
  assert.match(preload, /exposeInMainWorld\(\s*"trailcase"/);
  assert.ok(!/zod/i.test(preload), 'no schemas in the preload');
  const list = JSON.parse(/var define_TRAILCASE_METHODS_default = (\[[^\]]*\]);/.exec(preload)![1]) as string[];
  assert.deepEqual(list, Object.keys(api));
  // ipcRenderer is used, never handed to the page.
  assert.ok(!/exposeInMainWorld\([^)]*ipcRenderer\s*[,)]/.test(preload));
});

test('every source that finds files relative to itself is handled by the bundler', () => {
  const users = sources(join(ROOT, 'electron')).filter((f) => /import\.meta\.(url|dirname|filename)/.test(readFileSync(join(ROOT, f), 'utf8')));
  const boots = users.filter((f) => f.endsWith('-boot.js')); // tsx loaders for the sources; the bundle replaces them
  const unhandled = users.filter((f) => !boots.includes(f) && !(f in RUNTIME_PATH_USERS));
  assert.deepEqual(unhandled, [], 'add each to RUNTIME_PATH_USERS in build/bundle-app.ts and stage what it needs');
  // Every worker the code starts by URL is bundled under that name.
  for (const f of sources(join(ROOT, 'electron'))) {
    for (const m of readFileSync(join(ROOT, f), 'utf8').matchAll(/new Worker\(new URL\('\.\/([^']+)', import\.meta\.url\)/g)) {
      if (f.startsWith('electron/main/')) continue;
      assert.ok(existsSync(join(appDir, 'electron', m[1])), `${f} starts worker ${m[1]}, which is not staged`);
    }
  }
});

test('the bundled case process works without tsx: import, Sigma, report printed through the main process', async (t) => {
  const home = join(dir, 'home');
  generateKey('Bundle Examiner', 'bundle-pass-1', home);
  const printed: number[] = [];
  const chromiumMissing = chromiumUnavailableReason();
  const printer = chromiumMissing ? null : chromiumPrinter();
  const bridge = new CaseBridge(
    () => {
      const w = new Worker(join(appDir, 'electron/case-process.mjs'), {
        env: { ...process.env, TRAILCASE_HOME: home, TRAILCASE_PDF_PRINTER_NAME: 'test printer via rpc' },
      });
      return Object.assign(w, { kill: () => w.terminate() });
    },
    async (kind, payload) => {
      assert.equal(kind, 'printPdf');
      if (!printer) throw new Error(chromiumMissing!);
      const pdf = await printer.print(String(payload.html), payload.options as PdfPrintOptions);
      printed.push(pdf.length);
      return pdf;
    },
  );
  try {
    await bridge.unlock('bundle-pass-1');
    await bridge.create(join(dir, 'bundled.trailcase'), 'Bundled');
    const wait = async (id: string) => {
      for (;;) {
        const s = (await bridge.call('jobStatus', { id })) as { state: string; error?: string; result?: any };
        if (s.state !== 'running') return s;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const imp = (await bridge.call('importPaths', { paths: [join(ROOT, 'test/fixtures/stratus-red-team/detonation-logs')] })) as { jobId: string };
    const impDone = await wait(imp.jobId);
    assert.equal(impDone.state, 'done', impDone.error);
    assert.ok(impDone.result.events > 100);
    const checks = (await bridge.call('runChecks', {})) as { jobId: string };
    const chk = await wait(checks.jobId);
    assert.equal(chk.state, 'done', chk.error);
    const findings = (await bridge.call('listFindings', { source: ['sigma'] })) as { total?: number; items?: unknown[] };
    assert.ok((findings.items?.length ?? 0) > 0, 'Sigma rules were found in the staged folder and matched the Stratus detonations');
    if (!printer) {
      t.diagnostic(`report step skipped: ${chromiumMissing}`);
      console.log(`# packaging: report via rpc skipped: ${chromiumMissing}`);
      return;
    }
    const rep = (await bridge.call('generateReport', { outDir: join(dir, 'report') })) as { jobId: string };
    const repDone = await wait(rep.jobId);
    assert.equal(repDone.state, 'done', repDone.error);
    assert.equal(printed.length >= 1, true, 'the PDF was printed by the main-process side');
    assert.equal(repDone.result.renderer, 'test printer via rpc');
    assert.ok(readFileSync(join(dir, 'report', 'report.pdf')).subarray(0, 5).toString() === '%PDF-');
  } finally {
    await bridge.stop().catch(() => undefined);
    await printer?.close?.();
  }
});
