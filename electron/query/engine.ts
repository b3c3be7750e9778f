// Running examiner queries over the derived form (docs/queries.md), read-only and on
// the record. The derived DuckDB file is opened READ_ONLY with file and network
// access off, extension loading off, bounded memory and threads, and the
// configuration locked; a statement must be a single SELECT (checked on
// DuckDB's own parse, not on the text) before it runs. Every run is a custody
// entry `query.run`: the text, the SQL and parameters run, the engine and its
// version, the checkpoint (tree size, root) it ran against, the row count and
// the SHA-256 of the canonical result (docs/queries.md).
import type { DuckDBConnection, DuckDBInstance, DuckDBPreparedStatement, DuckDBTypeId, Json } from '@duckdb/node-api';
import { duck, engineName, releaseChunks } from './duckdb.ts';
import type { CaseStore } from '../case/store.ts';
import { UserError } from '../errors.ts';
import { leadingKeyword, rewritePaths } from '../../shared/query/rewrite.ts';
import { derivedPath, derivedIsCurrent, ensureDerived, withDerivedLock } from './derived.ts';
import { JSON_COLUMNS, typedFields, type FieldInfo } from '../../shared/query/schema.ts';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ResultHasher } from './result-hash.ts';

export { ResultHasher };

/** Statements that only read. DuckDB turns PRAGMA, SHOW and DESCRIBE into SELECTs, so the first keyword is checked too. */
const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE', 'DESCRIBE', 'SUMMARIZE', 'EXPLAIN']);

const LOCKDOWN = [
  'SET autoinstall_known_extensions = false',
  'SET autoload_known_extensions = false',
  'SET allow_community_extensions = false',
  'SET enable_external_access = false',
  // Last: nothing above can be changed back by a query.
  'SET lock_configuration = true',
];

export type QueryValue = string | number | boolean | null;

export interface QueryColumn {
  name: string;
  type: string;
}

export interface QueryOptions {
  /** What the examiner typed (SQL or search-bar text); recorded as is. */
  text: string;
  /** The SQL to run when it differs from `text` (the search bar's compiled SQL). */
  sql?: string;
  params?: QueryValue[];
  source: 'sql' | 'search';
  actor: string;
  signal?: AbortSignal;
  /** Rows as they arrive (streaming any number of rows); called once with the columns first. */
  onColumns?: (cols: QueryColumn[]) => void;
  onRows?: (rows: Json[][]) => void | Promise<void>;
  /** Keep at most this many rows in the returned result (0: none). */
  keepRows?: number;
  savedQuery?: string;
  /** DuckDB's memory cap for this query (default QUERY_MEMORY_LIMIT; tests make it small to exercise spilling). */
  memoryLimit?: string;
}

// DuckDB holds ~200 MB beyond its cap at the peak of a big sort. Streaming the 1.36M events
// of the busiest key at 10M in time order (DuckDB alone / through the CLI): cap 256 MB 485 /
// 610 MB, 160 MB 359 / 517 MB, 128 MB 323 / 481 MB; the question suite at 10M peaked at
// 451 / 401 / 369 MB with the same times.
const QUERY_MEMORY_LIMIT = '128MB';

export interface QueryResult {
  columns: QueryColumn[];
  rows: Json[][];
  rowCount: number;
  truncated: boolean;
  resultSha256: string;
  sql: string;
  params: QueryValue[];
  engine: string;
  checkpoint: { treeSize: number; root: string };
  custodySeq: number;
  ms: number;
}

/** One line, with the line and column DuckDB points at, for a bad query. */
export function queryErrorMessage(e: unknown, sql: string): string {
  const msg = e instanceof Error ? e.message : String(e);
  const lines = msg.replace(/^Failed to (extract statements|prepare statement): /, '').split('\n').filter((l) => l.trim());
  const head = (lines[0] ?? 'query failed').slice(0, 500);
  const li = lines.findIndex((l) => /^LINE \d+: /.test(l));
  if (li >= 0 && lines[li + 1]?.includes('^')) {
    const lineNo = Number(/^LINE (\d+): /.exec(lines[li])![1]);
    const prefix = /^LINE \d+: /.exec(lines[li])![0].length;
    const snippet = lines[li].slice(prefix);
    const caret = lines[li + 1].indexOf('^') - prefix;
    // DuckDB shortens long lines around the error; find the snippet in the text to report the real column.
    const srcLine = sql.split('\n')[lineNo - 1] ?? '';
    const clean = snippet.replace(/^\.\.\./, '');
    const shift = snippet.length - clean.length;
    const at = srcLine.indexOf(clean.replace(/\.\.\.$/, ''));
    const col = (at >= 0 ? at : 0) + Math.max(0, caret - shift) + 1;
    return `${head} (line ${lineNo}, column ${col})`;
  }
  return head;
}

/** The canonical form of one value: integers as numbers when exact, timestamps as ISO-8601 UTC. */
export function canonicalValue(v: Json, type: DuckDBTypeId): Json {
  if (v === null) return null;
  const DuckDBTypeId = duck().DuckDBTypeId;
  switch (type) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT: {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v;
    }
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_NS:
      return typeof v === 'string' && /^\d{4}-\d\d-\d\d \d/.test(v) ? `${v.replace(' ', 'T')}Z` : v;
    default:
      return v;
  }
}

/** The checkpoint a query ran against: the signed one when it covers exactly the derived leaves. */
function checkpointFor(store: CaseStore, size: number): { treeSize: number; root: string } {
  const cp = store.lastCheckpoint();
  if (cp && cp.treeSize === size) return { treeSize: size, root: cp.root };
  const t = store.eventTreeRoot(size);
  return { treeSize: t.size, root: t.root.toString('hex') };
}

interface ReadOnlyDb {
  con: DuckDBConnection;
  /** The query's private temporary directory (DuckDB's spills, the result hash's runs). */
  spill: string;
  /** Close the connection and remove its spill directory. */
  close(): void;
}

/**
 * The derived file, read-only and locked down. DuckDB's memory is capped
 * (QUERY_MEMORY_LIMIT); a sort, join or aggregate that needs more spills to a
 * private directory beside the derived file (created here, removed on close)
 * instead of failing: "every event of this key, in time order" at 10M events
 * sorts 1.36M wide rows (before, with spilling off, it failed with DuckDB's
 * out-of-memory error). Queries cannot name files (enable_external_access is
 * off), so the directory is DuckDB's alone. A process killed mid-query leaves its
 * directory; the next query on this machine removes it (removeStaleSpills).
 */
async function openReadOnly(path: string, memoryLimit = QUERY_MEMORY_LIMIT): Promise<ReadOnlyDb> {
  removeStaleSpills(path);
  const spill = mkdtempSync(join(dirname(path), `${spillPrefix(path)}${process.pid}-`));
  const removeSpill = () => rmSync(spill, { recursive: true, force: true });
  let inst: DuckDBInstance;
  try {
    inst = await duck().DuckDBInstance.create(path, { access_mode: 'READ_ONLY', threads: '2', memory_limit: memoryLimit, temp_directory: spill });
  } catch (e) {
    removeSpill();
    throw e;
  }
  const con = await inst.connect();
  const close = () => {
    con.closeSync();
    inst.closeSync();
    removeSpill();
  };
  try {
    for (const s of LOCKDOWN) await con.run(s);
  } catch (e) {
    close();
    throw e;
  }
  return { con, spill, close };
}

/** How this machine's spill directories of the derived file `path` are named, up to the process id: `<derived>.spill-<host>-` (the host name as letters, digits, dots and hyphens). */
export const spillPrefix = (path: string) => `${basename(path)}.spill-${hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host'}-`;

/** Is process `pid` of this machine still running (a process of another user counts as running)? */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Spill directories of this derived file left by queries of processes that are no longer
 * running (killed mid-query: the directory is removed only when the query ends). A name
 * says which machine and process made it (`<derived>.spill-<host>-<pid>-XXXXXX`); only this
 * machine's, and only where that process is gone, are removed. Names without an owner
 * (made by earlier versions) are left alone.
 */
function removeStaleSpills(path: string): void {
  const dir = dirname(path);
  const prefix = spillPrefix(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const m = /^(\d+)-[A-Za-z0-9]{6}$/.exec(n.slice(prefix.length));
    if (!m || Number(m[1]) === process.pid || running(Number(m[1]))) continue;
    rmSync(join(dir, n), { recursive: true, force: true });
  }
}

/** Refuse anything but one reading statement; returns it prepared. */
export async function prepareReadOnly(con: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  const kw = leadingKeyword(sql);
  // A write the engine cannot even bind (INSERT INTO the events view) is refused as a write, not as a bad query.
  const refusedOr = (e: unknown) => new UserError(READ_KEYWORDS.has(kw) || /Parser Error/.test(String((e as Error)?.message)) ? queryErrorMessage(e, sql) : `only reading queries run here: ${kw} statements are refused`);
  let extracted;
  try {
    extracted = await con.extractStatements(sql);
  } catch (e) {
    throw refusedOr(e);
  }
  if (extracted.count === 0) throw new UserError('the query is empty');
  if (extracted.count > 1) throw new UserError(`one statement at a time: the query holds ${extracted.count} statements`);
  let prepared: DuckDBPreparedStatement;
  try {
    prepared = await extracted.prepare(0);
  } catch (e) {
    throw refusedOr(e);
  }
  if ((prepared.statementType !== duck().StatementType.SELECT && prepared.statementType !== duck().StatementType.EXPLAIN) || !READ_KEYWORDS.has(kw)) {
    prepared.destroySync();
    throw new UserError(`only reading queries run here: ${kw || duck().StatementType[prepared.statementType]} statements are refused`);
  }
  return prepared;
}

/**
 * Bring the derived form up to date, run one read-only query, stream its rows,
 * hash them and log the run. The case must be open for writing (custody).
 */
export function runQuery(store: CaseStore, opts: QueryOptions): Promise<QueryResult> {
  return withDerivedLock(store.path, () => runQueryNow(store, opts));
}

async function runQueryNow(store: CaseStore, opts: QueryOptions): Promise<QueryResult> {
  if (opts.text.length > 100_000) throw new UserError('the query is longer than 100,000 characters');
  const t0 = performance.now();
  const built = await ensureDerived(store, { actor: opts.actor, signal: opts.signal });
  const sql = opts.sql ?? rewritePaths(opts.text);
  const params = opts.params ?? [];
  const db = await openReadOnly(derivedPath(store.path), opts.memoryLimit);
  const con = db.con;
  const onAbort = () => con.interrupt();
  opts.signal?.addEventListener('abort', onAbort);
  const stopIfCancelled = () => {
    if (opts.signal?.aborted) throw new UserError('query cancelled');
  };
  try {
    stopIfCancelled();
    const prepared = await prepareReadOnly(con, sql);
    if (params.length) prepared.bind(params);
    let columns: QueryColumn[] = [];
    const rows: Json[][] = [];
    let rowCount = 0;
    let hasher: ResultHasher | undefined;
    try {
      const res = await prepared.stream();
      // An abort that came while the statement was prepared found nothing running to interrupt.
      stopIfCancelled();
      const types = Array.from({ length: res.columnCount }, (_, i) => res.columnTypeId(i));
      columns = res.columnNames().map((name, i) => ({ name, type: res.columnType(i).toString() }));
      hasher = new ResultHasher(columns.map((c) => c.name), { dir: db.spill });
      opts.onColumns?.(columns);
      const keep = opts.keepRows ?? 1000;
      for (let chunks = 1; ; chunks++) {
        if (chunks % 8 === 0) releaseChunks();
        const chunk = await res.fetchChunk();
        if (!chunk || chunk.rowCount === 0) {
          // Cancelled at any point before the end is cancelled, even if the engine finished first.
          stopIfCancelled();
          break;
        }
        const batch = chunk.convertRows(duck().JsonDuckDBValueConverter).map((r) => r.map((v, i) => canonicalValue(v as Json, types[i])));
        for (const r of batch) hasher.add(r);
        rowCount += batch.length;
        if (rows.length < keep) rows.push(...batch.slice(0, keep - rows.length));
        if (opts.onRows) await opts.onRows(batch);
        stopIfCancelled();
      }
    } catch (e) {
      hasher?.dispose(); // its temporary runs, when the result was large
      if (e instanceof UserError) throw e;
      stopIfCancelled();
      throw new UserError(queryErrorMessage(e, sql));
    } finally {
      prepared.destroySync();
    }
    const resultSha256 = hasher!.digest();
    const checkpoint = checkpointFor(store, built.events);
    const ms = performance.now() - t0;
    const custodySeq = store.appendCustody(opts.actor, 'query.run', {
      source: opts.source,
      text: opts.text,
      sql,
      params,
      engine: engineName(),
      checkpoint,
      rows: rowCount,
      resultSha256,
      ...(opts.savedQuery ? { savedQuery: opts.savedQuery } : {}),
    });
    return { columns, rows, rowCount, truncated: rowCount > rows.length, resultSha256, sql, params, engine: engineName(), checkpoint, custodySeq, ms };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    db.close();
  }
}

const fieldCache = new Map<string, { stamp: string; fields: FieldInfo[] }>();

/**
 * Field paths for completion: the typed columns, then the keys the case's own
 * records use inside the JSON columns (requestParameters.bucketName, …), with
 * how many events carry each. Read from the derived form when it is current;
 * cached per derived file until it changes.
 */
export function caseFields(store: CaseStore): Promise<FieldInfo[]> {
  return withDerivedLock(store.path, () => caseFieldsNow(store));
}

async function caseFieldsNow(store: CaseStore): Promise<FieldInfo[]> {
  const typed = typedFields();
  const path = derivedPath(store.path);
  if (!existsSync(path) || !(await derivedIsCurrent(store))) return typed;
  const stamp = `${statSync(path).mtimeMs}:${statSync(path).size}`;
  const hit = fieldCache.get(path);
  if (hit?.stamp === stamp) return hit.fields;
  const db = await openReadOnly(path);
  const con = db.con;
  try {
    const parts = JSON_COLUMNS.filter((c) => c !== 'record').map((c) => `SELECT '${c}.' || unnest(json_keys("${c}")) AS p FROM events WHERE "${c}" IS NOT NULL AND json_type("${c}") = 'OBJECT'`);
    const r = await con.runAndReadAll(`SELECT p, count(*) AS n FROM (${parts.join(' UNION ALL ')}) GROUP BY p ORDER BY n DESC, p LIMIT 5000`);
    const seen = new Set(typed.map((f) => f.path));
    const found: FieldInfo[] = r.getRowsJson().map((row) => ({ path: String(row[0]), type: 'JSON', kind: 'json' as const, events: Number(row[1]) })).filter((f) => !seen.has(f.path));
    const fields = [...typed, ...found];
    fieldCache.set(path, { stamp, fields });
    return fields;
  } finally {
    db.close();
  }
}
