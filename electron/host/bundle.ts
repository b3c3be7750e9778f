// The renderer bundle (docs/architecture.md, "The renderer"): renderer/main.tsx and everything it imports
// (React, vis-timeline, shared/), bundled by esbuild's JS API into
// dist/renderer/ as index.html + app.js + app.css (vis-timeline's stylesheet
// included). No inline script or style anywhere, so the page runs under
// `script-src 'self'`. Rebuilt only when an input is newer than the last
// build (esbuild's metafile lists the inputs), so `trailcase serve` and the
// Electron shell start fast. The Electron shell engineer calls buildRenderer
// too (electron/main), and the packaging step runs it once.
import type { Metafile } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../version.ts';

export const RENDERER_SRC = join(ROOT, 'renderer');
export const RENDERER_ENTRY = join(RENDERER_SRC, 'main.tsx');
export const DEFAULT_OUT_DIR = join(ROOT, 'dist', 'renderer');
const STAMP = 'build.json';
/** Copied as they are, next to the bundle. */
const STATIC_FILES = ['index.html', 'favicon.svg'];
export const BUNDLE_VERSION = 1;

export interface BundleResult {
  dir: string;
  rebuilt: boolean;
  /** Why it was (re)built, or 'up to date'. */
  reason: string;
  seconds: number;
  bytes: { js: number; css: number };
}

interface Stamp {
  version: number;
  builtAt: number;
  minify: boolean;
  inputs: string[];
}

/** Why the bundle in dir needs building, or null when it is current. */
export function staleReason(dir: string, minify: boolean): string | null {
  const stampPath = join(dir, STAMP);
  if (!existsSync(stampPath)) return 'no previous build';
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as Stamp;
  } catch {
    return 'unreadable build stamp';
  }
  if (stamp.version !== BUNDLE_VERSION || stamp.minify !== minify) return 'build settings changed';
  for (const f of [...STATIC_FILES, 'app.js', 'app.css']) if (!existsSync(join(dir, f))) return `${f} missing`;
  // The static files are copied, not bundled: check them with the bundled inputs.
  for (const rel of [...stamp.inputs, ...STATIC_FILES.map((f) => `renderer/${f}`)]) {
    const p = join(ROOT, rel);
    let m: number;
    try {
      m = statSync(p).mtimeMs;
    } catch {
      return `${rel} is gone`;
    }
    if (m > stamp.builtAt) return `${rel} changed`;
  }
  // A new file under renderer/ that is imported shows up as a changed importer; one that is not imported does not matter.
  return null;
}

/** Build the renderer into dir (default dist/renderer/) unless it is up to date. */
export async function buildRenderer(opts: { outDir?: string; force?: boolean; minify?: boolean } = {}): Promise<BundleResult> {
  const t0 = performance.now();
  // A built TrailCase (the compiled CLI, build/bundle-cli.ts) has no renderer sources: its prebuilt UI in renderer/ is served as it is.
  if (!opts.outDir && !existsSync(RENDERER_ENTRY) && existsSync(join(RENDERER_SRC, 'index.html'))) {
    const dir = RENDERER_SRC;
    return { dir, rebuilt: false, reason: 'prebuilt', seconds: 0, bytes: { js: statSync(join(dir, 'app.js')).size, css: statSync(join(dir, 'app.css')).size } };
  }
  const dir = opts.outDir ?? DEFAULT_OUT_DIR;
  const minify = opts.minify ?? true;
  const why = opts.force ? 'forced' : staleReason(dir, minify);
  const sizes = () => ({ js: statSync(join(dir, 'app.js')).size, css: statSync(join(dir, 'app.css')).size });
  if (why === null) return { dir, rebuilt: false, reason: 'up to date', seconds: (performance.now() - t0) / 1000, bytes: sizes() };
  // Build into a fresh folder and swap it in, so a reader (a running host) never sees half a bundle.
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  const builtAt = Date.now();
  try {
    // Loaded only here: esbuild is a build tool (devDependencies), absent where the CLI runs compiled.
    const { build } = await import('esbuild');
    const r = await build({
      entryPoints: { app: RENDERER_ENTRY },
      outdir: tmp,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['chrome120'],
      minify,
      sourcemap: 'linked',
      jsx: 'automatic',
      metafile: true,
      logLevel: 'silent',
      legalComments: 'linked',
      define: { 'process.env.NODE_ENV': minify ? '"production"' : '"development"' },
      // Fonts or images referenced by CSS are copied next to the bundle.
      loader: { '.png': 'file', '.svg': 'file', '.woff': 'file', '.woff2': 'file', '.ttf': 'file' },
      absWorkingDir: ROOT,
    });
    for (const f of STATIC_FILES) copyFileSync(join(RENDERER_SRC, f), join(tmp, f));
    const inputs = Object.keys((r.metafile as Metafile).inputs);
    const stamp: Stamp = { version: BUNDLE_VERSION, builtAt, minify, inputs };
    writeFileSync(join(tmp, STAMP), JSON.stringify(stamp, null, 1));
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    const errs = (e as { errors?: { text: string; location?: { file: string; line: number } }[] }).errors;
    const detail = errs?.length ? errs.map((x) => `${x.location ? `${x.location.file}:${x.location.line}: ` : ''}${x.text}`).join('\n') : (e as Error).message;
    throw new Error(`renderer bundle failed:\n${detail}`);
  }
  swapIn(tmp, dir);
  return { dir, rebuilt: true, reason: why, seconds: (performance.now() - t0) / 1000, bytes: sizes() };
}

/**
 * Replace dir by tmp. Two processes may build at once (parallel tests, the
 * shell and a host): whoever loses a rename keeps the winner's bundle, which
 * was built from the same sources.
 */
function swapIn(tmp: string, dir: string): void {
  mkdirSync(join(dir, '..'), { recursive: true });
  const old = `${dir}.old-${process.pid}-${Date.now()}`;
  try {
    renameSync(dir, old);
  } catch {
    /* no previous build, or another process moved it first */
  }
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
}
