// The data layer's shared pieces: handle types, a statement cache, a small SQL
// tagged template and the one LIKE escape. Every SQL statement of the case
// file lives under electron/case/ (docs/architecture.md, "The data layer");
// test/lint/data-layer.ts rejects .prepare/.exec/.pragma anywhere else.
import type Database from 'better-sqlite3';

declare const READABLE: unique symbol;
declare const WRITABLE: unique symbol;

/**
 * A connection a function may only read through (Signal Desktop's ReadableDB).
 * The brand is a type: a read function declares `db: ReadableDB`, a write
 * function `db: WritableDB`, so a reader can never be handed to a writer.
 */
export type ReadableDB = Database.Database & { readonly [READABLE]: true };
/** A connection that may write; it can read too (it is also a ReadableDB). */
export type WritableDB = ReadableDB & { readonly [WRITABLE]: true };

/** Brand a raw connection. Only CaseStore (and a migration test) hands these out. */
export function asReadable(db: Database.Database): ReadableDB {
  return db as ReadableDB;
}
export function asWritable(db: Database.Database): WritableDB {
  return db as WritableDB;
}

const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** A prepared statement kept for the connection's life: the import hot path and every fixed query use these. */
export function cached(db: ReadableDB, sqlText: string): Database.Statement {
  let m = caches.get(db);
  if (!m) caches.set(db, (m = new Map()));
  let s = m.get(sqlText);
  if (!s) {
    s = db.prepare(sqlText);
    m.set(sqlText, s);
  }
  return s;
}

/** A piece of SQL with its parameters, built by the `sql` tag and composable. */
export interface Sql {
  readonly text: string;
  readonly params: readonly unknown[];
}

const SQL = Symbol('sql');
interface SqlPiece extends Sql {
  readonly [SQL]: true;
}

/**
 * Tagged template: interpolated values become `?` parameters, interpolated `sql`
 * pieces are spliced with their own parameters, so no value text ever reaches the
 * SQL. Identifiers (a column chosen from a fixed map) go through `raw`.
 *   sql`SELECT * FROM warnings WHERE code = ${code} ${where}`
 */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): SqlPiece {
  let text = strings[0];
  const params: unknown[] = [];
  values.forEach((v, i) => {
    if (isSql(v)) {
      text += v.text;
      params.push(...v.params);
    } else {
      text += '?';
      params.push(v);
    }
    text += strings[i + 1];
  });
  return { text, params, [SQL]: true };
}

/** Trusted SQL text (identifiers and keywords from the code, never a value). */
export function raw(text: string): SqlPiece {
  return { text, params: [], [SQL]: true };
}

/** Join pieces with a separator (`AND`, `,`); an empty list gives `empty`. */
export function join(pieces: readonly Sql[], sep: string, empty = ''): SqlPiece {
  if (!pieces.length) return raw(empty);
  return { text: pieces.map((p) => p.text).join(sep), params: pieces.flatMap((p) => p.params), [SQL]: true };
}

function isSql(v: unknown): v is Sql {
  return typeof v === 'object' && v !== null && (v as SqlPiece)[SQL] === true;
}

/** Run a piece: every row. */
export function all<T>(db: ReadableDB, q: Sql): T[] {
  return db.prepare(q.text).all(...q.params) as T[];
}
/** Run a piece: the first row or undefined. */
export function get<T>(db: ReadableDB, q: Sql): T | undefined {
  return db.prepare(q.text).get(...q.params) as T | undefined;
}

/** `count(*) AS n` style: the single number a statement returns. */
export function count(db: ReadableDB, sqlText: string, ...params: unknown[]): number {
  return (cached(db, sqlText).get(...params) as { n: number }).n;
}

/** `?,?,?` for n parameters. */
export function placeholders(n: number): string {
  return Array(n).fill('?').join(',');
}

/** Escape %, _ and \ for a LIKE pattern written with ESCAPE '\' (the one copy; SQLite and DuckDB agree). */
export function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

/**
 * The page cache (KiB) for work that reads the case once over: the analysis's
 * pass, the coverage's GROUP BY (analysis/gaps.ts), the report, an index
 * build, the query form's build. The 64 MB cache (case/store.ts) would mostly
 * hold pages they never read again: with 16 MB the 1M analysis peaked 23 MB
 * lower (345 against 368 MB) in the same time, the 10M query build 459
 * against 509 MB. SQLite also sizes a sorter's memory (CREATE INDEX, GROUP BY,
 * ORDER BY) by the page cache before it writes sorted runs to temporary files:
 * the spilled Sigma findings' sorts added 95 MB to a 5M analysis with 64 MB,
 * 34 MB with 16 MB; the eventID index a 10M import builds part way through
 * added 72 MB for 3 s (the import's peak, 477 MB); the coverage's GROUP BY
 * added 77 MB for 3 s to a 5M report (566 MB, 468 with 16 MB). Once the data
 * is larger than the cache the runs are written either way, so the work costs
 * about the same.
 */
const ONCE_OVER_PAGE_CACHE_KIB = 16_384;

/** Run `fn` (async) with this connection's page cache at ONCE_OVER_PAGE_CACHE_KIB, the previous size restored after. */
export async function withPageCache<T>(db: ReadableDB, fn: () => Promise<T>): Promise<T> {
  const restore = setPageCache(db, ONCE_OVER_PAGE_CACHE_KIB);
  try {
    return await fn();
  } finally {
    restore();
  }
}

/** withPageCache for synchronous work (an index build, the coverage's GROUP BY). */
export function withPageCacheSync<T>(db: ReadableDB, fn: () => T): T {
  const restore = setPageCache(db, ONCE_OVER_PAGE_CACHE_KIB);
  try {
    return fn();
  } finally {
    restore();
  }
}

/** Set this connection's page cache to `kib` KiB; returns what puts the previous size back. */
function setPageCache(db: ReadableDB, kib: number): () => void {
  const before = db.pragma('cache_size', { simple: true }) as number;
  db.pragma(`cache_size = -${Math.floor(kib)}`);
  return () => db.pragma(`cache_size = ${Number(before)}`);
}
