// Data-layer lint (docs/architecture.md): SQL on the case file lives under electron/case/
// (the data layer, docs/architecture.md "The data layer"). Anywhere else under
// electron/ a `.prepare(`, `.exec(` or `.pragma(` on a database handle, a SQL
// string handed to `store.stmt(`, or a transaction opened on `store.db` is a
// violation: add a small typed function to a module of electron/case/data/ and
// call it. Run by test/lint/layering.ts (so by `npm run lint` and `npm test`).
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');

/**
 * Files exempt from the rule, each with why (a folder entry ends in '/'). Empty:
 * every statement on the case lives in electron/case/. An entry needs a reason a
 * reviewer accepts, such as a file mid-move in a parallel change.
 */
export const SQL_ALLOWLIST: Readonly<Record<string, string>> = {};

const SQL_START = /^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA|VACUUM|WITH|ATTACH|DETACH|REPLACE|ANALYZE|REINDEX)\b/i;
/** A receiver that names a SQLite connection: db, store.db, this.db, copyDb, database. */
const DB_RECEIVER = /(^|\.)(db|\w*Db|\w*DB|database)$/;

/** Strip comments (a `//` only after whitespace or at a line start, so URLs in strings stay). */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|\s)\/\/.*$/gm, '$1');
}

function lineOf(src: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (src.charCodeAt(i) === 10) n++;
  return n;
}

/** The SQL outside the data layer in one file: "line N: what". */
export function sqlViolations(src: string): string[] {
  const code = stripComments(src);
  const out: string[] = [];
  const add = (i: number, what: string) => out.push(`line ${lineOf(code, i)}: ${what} outside the data layer (move it into electron/case/data/: see docs/architecture.md, "The data layer")`);
  for (const m of code.matchAll(/([\w$]+(?:\s*\.\s*[\w$]+)*)\s*\.\s*(prepare|exec|pragma)\(\s*(['"`]([^'"`]*))?/g)) {
    const receiver = m[1].replace(/\s+/g, '');
    const literal = m[4];
    if (m[2] === 'pragma') add(m.index!, `${receiver}.pragma(`);
    else if (DB_RECEIVER.test(receiver)) add(m.index!, `${receiver}.${m[2]}(`);
    else if (literal !== undefined && SQL_START.test(literal)) add(m.index!, `${receiver}.${m[2]}(SQL)`);
  }
  for (const m of code.matchAll(/\.\s*stmt\(\s*['"`]/g)) add(m.index!, 'SQL handed to store.stmt(');
  for (const m of code.matchAll(/\.\s*db\s*\.\s*transaction\(/g)) add(m.index!, 'a transaction opened on store.db (use store.transaction)');
  return out;
}

export function allowlisted(relPath: string): boolean {
  return Object.keys(SQL_ALLOWLIST).some((k) => (k.endsWith('/') ? relPath.startsWith(k) : relPath === k));
}

/** Whether a file under electron/ must be free of SQL (the data layer itself and the allowlist are not checked). */
export function checkedForSql(relPath: string): boolean {
  return relPath.startsWith('electron/') && !relPath.startsWith('electron/case/') && !allowlisted(relPath);
}

/** Every violation under electron/ (files given as absolute paths). */
export function dataLayerViolations(files: readonly string[]): string[] {
  const bad: string[] = [];
  for (const f of files) {
    const rel = relative(root, f).split('\\').join('/');
    if (!checkedForSql(rel)) continue;
    for (const v of sqlViolations(readFileSync(f, 'utf8'))) bad.push(`${rel}: ${v}`);
  }
  return bad;
}
