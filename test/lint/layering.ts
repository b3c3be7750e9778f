// Layering lint (in the spirit of VS Code's code-layering rule): shared/ is
// portable - no node:* built-ins, no electron, no Node-only packages; renderer/
// runs in a sandboxed page - no node:*, no electron, nothing from electron/.
// Exits non-zero naming each offending import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
const NODE_BUILTINS = new Set([
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http', 'http2', 'https', 'net', 'os',
  'path', 'perf_hooks', 'process', 'readline', 'stream', 'string_decoder', 'timers', 'tls', 'tty', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
]);
const NODE_ONLY_PACKAGES = ['better-sqlite3', 'electron', 'tsx', '@aws-sdk/', 'playwright-core', 's3rver', 'esbuild'];

/** Source files under dir (absolute paths), skipping the named folders: shared by the lint and test/shell/static.test.ts. */
export function sourceFiles(dir: string, skip: ReadonlySet<string> = new Set(['node_modules', 'dist']), out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (skip.has(n)) continue;
    if (statSync(p).isDirectory()) sourceFiles(p, skip, out);
    else if (/\.(ts|tsx|js|mjs|cjs)$/.test(n)) out.push(p);
  }
  return out;
}

const IMPORT_RE = /(?:^|[^.\w])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[^.\w])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[^.\w])import\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/gm;

export function importsOf(src: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(IMPORT_RE)) out.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  return out;
}

export function violations(layer: 'shared' | 'renderer', file: string, src: string): string[] {
  const bad: string[] = [];
  for (const spec of importsOf(src)) {
    if (spec.startsWith('node:') || NODE_BUILTINS.has(spec)) bad.push(`${spec} (Node built-in)`);
    else if (NODE_ONLY_PACKAGES.some((p) => spec === p.replace(/\/$/, '') || spec.startsWith(p))) bad.push(`${spec} (Node/Electron-only package)`);
    else if (spec.startsWith('.')) {
      const target = join(file, '..', spec);
      const rel = relative(root, target).split('\\').join('/');
      if (rel.startsWith('electron/')) bad.push(`${spec} (reaches into electron/)`);
      if (layer === 'shared' && rel.startsWith('renderer/')) bad.push(`${spec} (shared/ must not depend on renderer/)`);
    }
  }
  return bad;
}

/**
 * The inner order of electron/ (docs/architecture.md, "Layers"): a folder may
 * import only from folders of a lower rank (and from itself). `case` is the case
 * file and its data; `ingest` writes evidence into it; `analysis` reads it;
 * `query` is the derived query form; `report` builds on all of those; `api` is
 * the one handler table over them; `demo` builds the demo case through them;
 * `host` serves the API; `cli` and `main` are the transports at the top.
 * Files directly in electron/ (errors.ts, version.ts) are rank 0: anyone may use them.
 */
export const ELECTRON_LAYERS: Readonly<Record<string, number>> = {
  case: 1,
  ingest: 2,
  analysis: 3,
  query: 4,
  report: 5,
  api: 6,
  demo: 7,
  host: 8,
  cli: 9,
  main: 9,
};

/** Imports of a file under electron/ that reach a folder of the same or a higher rank, or out into build/ or test/. */
export function innerViolations(file: string, src: string): string[] {
  const rel = relative(join(root, 'electron'), file).split('\\').join('/');
  const parts = rel.split('/');
  const from = parts.length > 1 ? parts[0] : '';
  const fromRank = from ? ELECTRON_LAYERS[from] : 0;
  const bad: string[] = [];
  for (const spec of importsOf(src)) {
    if (!spec.startsWith('.')) continue;
    const target = relative(root, join(file, '..', spec)).split('\\').join('/');
    if (target.startsWith('build/') || target.startsWith('test/')) {
      bad.push(`${spec} (electron/ runs in the app; ${target.split('/')[0]}/ is not shipped)`);
      continue;
    }
    if (!target.startsWith('electron/')) continue;
    const tparts = target.slice('electron/'.length).split('/');
    const to = tparts.length > 1 ? tparts[0] : '';
    if (to === from || to === '') continue;
    const toRank = ELECTRON_LAYERS[to];
    if (fromRank === undefined || toRank === undefined) bad.push(`${spec} (electron/${from || '.'} or electron/${to} has no rank in ELECTRON_LAYERS)`);
    else if (toRank >= fromRank) bad.push(`${spec} (electron/${from} is below electron/${to}: see docs/architecture.md, "Layers")`);
  }
  return bad;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let n = 0;
  let checked = 0;
  for (const f of sourceFiles(join(root, 'electron'), new Set(['node_modules', 'dist', 'rules']))) {
    checked++;
    for (const v of innerViolations(f, readFileSync(f, 'utf8'))) {
      n++;
      console.error(`${relative(root, f)}: imports ${v}`);
    }
  }
  for (const layer of ['shared', 'renderer'] as const) {
    for (const f of sourceFiles(join(root, layer))) {
      checked++;
      for (const v of violations(layer, f, readFileSync(f, 'utf8'))) {
        n++;
        console.error(`${relative(root, f)}: imports ${v}`);
      }
    }
  }
  // SQL belongs to the data layer (test/lint/data-layer.ts).
  const { dataLayerViolations } = await import('./data-layer.ts');
  for (const v of dataLayerViolations(sourceFiles(join(root, 'electron'), new Set(['node_modules', 'dist', 'rules'])))) {
    n++;
    console.error(v);
  }
  console.log(`layering: ${checked} files checked, ${n} violations`);
  process.exit(n ? 1 : 0);
}
