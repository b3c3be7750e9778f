// Tool version and build hash, recorded with every action and in every report.
// The build hash is the SHA-256 over the sorted source files of this build
// (electron/, shared/, renderer/ and package.json), so two examiners can tell
// whether they ran the same code, checkout or packaged.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
export const TOOL_NAME = 'TrailCase';
export const TOOL_VERSION: string = pkg.version;

/** Set by the bundlers (build/bundle-app.ts, build/bundle-cli.ts): a bundle carries the hash of the sources it was built from, not of its own files. */
declare const __TRAILCASE_BUILD_HASH__: string | undefined;

let cachedHash: string | null = null;
export function buildHash(): string {
  if (process.env.TRAILCASE_BUILD_HASH) return process.env.TRAILCASE_BUILD_HASH;
  if (typeof __TRAILCASE_BUILD_HASH__ === 'string') return __TRAILCASE_BUILD_HASH__;
  if (cachedHash) return cachedHash;
  const h = createHash('sha256');
  const files: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      if (n === 'node_modules' || n.startsWith('.')) continue;
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (/\.(ts|tsx|js|mjs|css|html|json|yml)$/.test(n)) files.push(p);
    }
  };
  for (const d of ['electron', 'shared', 'renderer']) walk(join(ROOT, d));
  files.push(join(ROOT, 'package.json'));
  files.sort();
  for (const f of files) {
    h.update(relative(ROOT, f).split('\\').join('/') + '\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  cachedHash = h.digest('hex');
  return cachedHash;
}

export function toolString(): string {
  return `${TOOL_NAME} ${TOOL_VERSION}`;
}
