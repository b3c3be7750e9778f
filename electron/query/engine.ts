// Running examiner queries over the derived form (docs/queries.md), read-only and on
// the record. The derived DuckDB file is opened READ_ONLY with file and network
// access off, extension loading off, bounded memory and threads, and the
// configuration locked; a statement must be a single SELECT (checked on
// DuckDB's own parse, not on the text) before it runs. Every run is a custody
// entry `query.run`: the text, the SQL and parameters run, the engine and its
// version, the checkpoint (tree size, root) it ran against, the row count and
// the SHA-256 of the canonical result (docs/queries.md).
import type { DuckDBConnection, DuckDBDataChunk, DuckDBListVector, DuckDBPreparedStatement, DuckDBStructType, DuckDBStructVector, DuckDBType, DuckDBTypeId, DuckDBValueConverter, DuckDBVector, Json } from '@duckdb/node-api';
import { canonicalJson } from '../case/canonical.ts';
import { duck, engineName, releaseChunks } from './duckdb.ts';
import type { CaseStore } from '../case/store.ts';
import { UserError } from '../errors.ts';
import { leadingKeyword, rewritePaths } from '../../shared/query/rewrite.ts';
import { derivedPath, derivedIsCurrent, ensureDerived, withDerivedLock } from './derived.ts';
import { JSON_COLUMNS, typedFields, type FieldInfo } from '../../shared/query/schema.ts';
import { existsSync } from 'node:fs';
import { ResultHasher } from './result-hash.ts';
import { planThreadFree, volatileCalls } from '../../shared/query/determinism.ts';
import { fileStamp, leaseReadOnly, QUERY_MEMORY_LIMIT, spillPrefix, type Lease } from './readonly-db.ts';

export { ResultHasher, spillPrefix };

/** Statements that only read. DuckDB turns PRAGMA, SHOW and DESCRIBE into SELECTs, so the first keyword is checked too. */
const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE', 'DESCRIBE', 'SUMMARIZE', 'EXPLAIN']);


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
  /** Also given each row's canonical JSON as it is hashed (kept-results.ts: the app's pages of the result); `finish` is called before the run's custody entry. */
  keeper?: { add(text: string): void; reset(): void; finish(): void };
  savedQuery?: string;
  /** DuckDB's memory cap for this query (default QUERY_MEMORY_LIMIT; tests make it small to exercise spilling). */
  memoryLimit?: string;
  /**
   * Run over the first `throughLeaf` events only (a run again of a query logged when the case
   * held that many: recheck.ts); its checkpoint is then the tree of those events.
   */
  throughLeaf?: number;
  /** The custody entry of the run this one repeats (recheck.ts), recorded as `recheckOf`. */
  recheckOf?: number;
  /**
   * The cap when the query is run again on one thread after running out of memory on two (default:
   * the same cap). Tests give a first cap too small for either, so the run again is deterministic.
   */
  retryMemoryLimit?: string;
}

// DuckDB holds ~200 MB beyond its cap at the peak of a big sort. Streaming the 1.36M events
// of the busiest key at 10M in time order (DuckDB alone / through the CLI): cap 256 MB 485 /
// 610 MB, 160 MB 359 / 517 MB, 128 MB 323 / 481 MB; the question suite at 10M peaked at
// 451 / 401 / 369 MB with the same times.

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
  /** Threads it ran on: two only where the answer cannot depend on them (shared/query/determinism.ts). */
  threads: 1 | 2;
  /** Volatile functions it names (now(), random(), …): its answer changes from one run to the next. */
  volatile: string[];
}

/**
 * Row text read since the last releaseChunks after which the chunks are let go of at once:
 * `SELECT * FROM events WHERE …` (77,812 rows of ~3 KB at 1M) failed with DuckDB's out-of-memory
 * error at its 128 MB cap when chunks were released every 8 only.
 */
const RELEASE_BYTES = 4 << 20;

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
    case DuckDBTypeId.TIMESTAMP_TZ: {
      // Written in UTC by jsonConverter: the same instant as a TIMESTAMP, in the same form.
      const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)\+00$/.exec(String(v));
      return m ? `${m[1]}T${m[2]}Z` : v;
    }
    default:
      return v;
  }
}

let utcConverter: DuckDBValueConverter<Json> | null = null;

/**
 * DuckDB's JSON converter, with TIMESTAMP WITH TIME ZONE written in UTC (`2024-07-31 10:00:00+00`).
 * node-api writes such a value in the zone of the process (taken once, when it loads), so the
 * same instant had another text, and the result another hash, on an examiner's machine in
 * another zone. Nested values go through this converter too.
 */
export function jsonConverter(): DuckDBValueConverter<Json> {
  if (utcConverter) return utcConverter;
  const D = duck();
  const conv: DuckDBValueConverter<Json> = (v, type, _c) => {
    if (v !== null && type.typeId === D.DuckDBTypeId.TIMESTAMP_TZ) {
      const tz = v as InstanceType<typeof D.DuckDBTimestampTZValue>;
      if (tz.isFinite) return `${new D.DuckDBTimestampValue(tz.micros).toString()}+00`;
    }
    return D.JsonDuckDBValueConverter(v, type, conv);
  };
  return (utcConverter = conv);
}

type Cell = (v: unknown) => string;
const cellNull = (f: Cell): Cell => (v) => (v === null || v === undefined ? 'null' : f(v));

/**
 * How each cell of a column of type `type` is written in a row's canonical JSON: exactly
 * canonicalJson(canonicalValue(jsonConverter()(value))), without the converted row.
 * Integers, text and booleans are written directly; every other type goes through the
 * converter (tested against it in test/query/query.test.ts).
 */
function cellWriter(type: DuckDBType, nested = false): Cell {
  const T = duck().DuckDBTypeId;
  switch (nested && (type.typeId === T.BIGINT || type.typeId === T.UBIGINT || type.typeId === T.HUGEINT || type.typeId === T.UHUGEINT) ? -1 : type.typeId) {
    case T.BIGINT:
    case T.UBIGINT:
    case T.HUGEINT:
    case T.UHUGEINT:
      return cellNull((v) => {
        const n = Number(v);
        return Number.isSafeInteger(n) ? String(n) : JSON.stringify(String(v));
      });
    case T.TINYINT:
    case T.SMALLINT:
    case T.INTEGER:
    case T.UTINYINT:
    case T.USMALLINT:
    case T.UINTEGER:
      return cellNull((v) => JSON.stringify(Number(v)));
    case T.VARCHAR:
      return cellNull((v) => JSON.stringify(String(v)));
    case T.BOOLEAN:
      return cellNull((v) => (v ? 'true' : 'false'));
    default: {
      // Inside a struct or list the converter's value is kept as it is (canonicalValue applies to a
      // column's own values only): a BIGINT there is a decimal string, a TIMESTAMP DuckDB's text.
      const conv = jsonConverter();
      if (nested) return (v) => canonicalJson(conv(v as never, type, conv));
      return (v) => canonicalJson(canonicalValue(conv(v as never, type, conv) as Json, type.typeId));
    }
  }
}

/**
 * Each row's canonical JSON text (the result hash's input, docs/queries.md), written column by
 * column from the chunk's vectors: the same text as canonicalJson of the converted row, without
 * a JavaScript array and a converted value per cell (a query returning 77,812 leaves spent more
 * on those than on hashing).
 */
export function rowTexts(chunk: DuckDBDataChunk): string[] {
  const n = chunk.rowCount;
  const out = new Array<string>(n).fill('[');
  for (let c = 0; c < chunk.columnCount; c++) {
    const cell = vectorWriter(chunk.getColumnVector(c));
    const sep = c === 0 ? '' : ',';
    for (let i = 0; i < n; i++) out[i] += sep + cell(i);
  }
  for (let i = 0; i < n; i++) out[i] += ']';
  return out;
}

/**
 * Item i of a vector as canonical JSON. A STRUCT is written from its entry vectors (keys in
 * canonicalJson's order) and a LIST from its child vector, so `userIdentity`, `tlsDetails` and
 * `resources` need no value object, no converted object and no key sort per row (`SELECT *` of
 * 160,881 events at 1M spent ~1.5 s on those); every other type goes through cellWriter.
 */
function vectorWriter(vec: DuckDBVector, nested = false): (i: number) => string {
  const T = duck().DuckDBTypeId;
  if (vec.type.typeId === T.STRUCT) {
    const sv = vec as DuckDBStructVector;
    const names = (sv.type as DuckDBStructType).entryNames;
    const order = names.map((name, k) => ({ name, k })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const entries = order.map(({ name, k }, j) => ({ prefix: (j === 0 ? '' : ',') + JSON.stringify(name) + ':', cell: vectorWriter(sv.entryVectorAt(k), true) }));
    return (i) => {
      if (!sv.isItemValid(i)) return 'null';
      let s = '{';
      for (const e of entries) s += e.prefix + e.cell(i);
      return s + '}';
    };
  }
  if (vec.type.typeId === T.LIST) {
    const lv = vec as DuckDBListVector;
    const cell = vectorWriter(lv.childVector, true);
    // The list vector's own validity (getItem would make a value and a sliced vector per row).
    const valid = (lv as unknown as { validity: { itemValid(i: number): boolean } }).validity;
    return (i) => {
      if (!valid.itemValid(i)) return 'null';
      const from = lv.getEntryOffset(i);
      const to = from + lv.getEntryLength(i);
      let s = '[';
      for (let j = from; j < to; j++) s += (j === from ? '' : ',') + cell(j);
      return s + ']';
    };
  }
  const cell = cellWriter(vec.type, nested);
  return (i) => cell(vec.getItem(i));
}

/** The checkpoint a query ran against: the signed one when it covers exactly the derived leaves. */
export function checkpointFor(store: CaseStore, size: number): { treeSize: number; root: string } {
  const cp = store.lastCheckpoint();
  if (cp && cp.treeSize === size) return { treeSize: size, root: cp.root };
  const t = store.eventTreeRoot(size);
  return { treeSize: t.size, root: t.root.toString('hex') };
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
  const path = derivedPath(store.path);
  let got: Streamed;
  // How it runs: on two threads only where its answer cannot depend on them (determinism.ts).
  // The plan is read on whichever instance is kept; the query runs on one with its threads.
  // The statement is prepared once: checked here, run below when it stays on this instance.
  let lease = await leaseReadOnly(path, opts.memoryLimit);
  let prepared: DuckDBPreparedStatement | undefined;
  let how: RunPlan;
  try {
    prepared = await prepareReadOnly(lease.con, sql);
    how = await runPlan(lease.con, sql, params, prepared);
  } catch (e) {
    prepared?.destroySync();
    lease.release();
    throw e;
  }
  const through = opts.throughLeaf !== undefined && opts.throughLeaf < built.events ? opts.throughLeaf : undefined;
  if (how.threads !== lease.threads || through !== undefined) {
    prepared.destroySync();
    prepared = undefined;
    lease.release();
    lease = await leaseReadOnly(path, opts.memoryLimit, how.threads, through);
  }
  try {
    got = await streamQuery(lease, sql, params, opts, prepared);
  } catch (e) {
    // DuckDB's cap is shared by its threads: a query over many wide columns with a JSON filter
    // can need more than it on two threads and less on one (on layout 4, `SELECT * … WHERE
    // requestParameters.bucketName = …` at 1M: over 128 MB on two, under 96 on one). Such a query
    // runs again on one thread, from the start, where nothing has gone out yet; the result does
    // not depend on the threads (the hash sorts the rows).
    if (!(e instanceof OutOfMemory)) throw e;
    if (e.delivered || how.threads === 1) throw outOfMemory(e, opts.memoryLimit, how.threads === 1 ? 'only' : null);
    opts.keeper?.reset();
    const again = opts.retryMemoryLimit ?? opts.memoryLimit ?? QUERY_MEMORY_LIMIT;
    got = await streamQuery(await leaseReadOnly(path, again, 1, through), sql, params, opts).catch((e2: unknown) => {
      throw e2 instanceof OutOfMemory ? outOfMemory(e2, again, 'also') : e2;
    });
    how = { ...how, threads: 1, why: 'running out of memory on two' };
  }
  const { columns, rows, rowCount, resultSha256 } = got;
  const checkpoint = checkpointFor(store, through ?? built.events);
  // The kept rows are written out before the run goes on the record: a failure here fails the run.
  opts.keeper?.finish();
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
    threads: how.threads,
    ...(how.why ? { oneThreadFor: how.why } : {}),
    ...(how.volatile.length ? { volatile: how.volatile } : {}),
    ...(opts.savedQuery ? { savedQuery: opts.savedQuery } : {}),
    ...(opts.recheckOf !== undefined ? { recheckOf: opts.recheckOf } : {}),
  });
  return { columns, rows, rowCount, truncated: rowCount > rows.length, resultSha256, sql, params, engine: engineName(), checkpoint, custodySeq, ms, threads: how.threads, volatile: how.volatile };
}

interface Streamed {
  columns: QueryColumn[];
  rows: Json[][];
  rowCount: number;
  resultSha256: string;
}

/** DuckDB ran out of its memory cap; `delivered` says whether columns or rows had already gone out to the caller. */
class OutOfMemory extends Error {
  constructor(
    readonly error: UserError,
    readonly delivered: boolean,
  ) {
    super(error.message);
  }
}

/** DuckDB's message, and what the examiner can do about it. */
function outOfMemory(e: OutOfMemory, memoryLimit = QUERY_MEMORY_LIMIT, oneThread: 'also' | 'only' | null = null): UserError {
  const note = oneThread === 'also' ? ' (this one was also run on one thread)' : oneThread === 'only' ? ' (this one ran on one thread)' : '';
  return new UserError(
    `${e.error.message}. A query has ${memoryLimit} of memory${note}: name fewer columns (SELECT * reads every column, the record text too) or narrow the WHERE`,
  );
}

/** How a query runs: its threads, why one (when one), and what it reads that changes between runs. */
export interface RunPlan {
  threads: 1 | 2;
  why?: string;
  volatile: string[];
}

/**
 * Check the statement (one reading statement, else the usual refusal; `checked`: prepared by
 * prepareReadOnly already), then choose its threads
 * from DuckDB's plan (shared/query/determinism.ts) and list the volatile functions it names.
 * Statements other than queries (DESCRIBE, SUMMARIZE, EXPLAIN) and any plan that cannot be read
 * run on one thread.
 */
export async function runPlan(con: DuckDBConnection, sql: string, params: QueryValue[], checked?: DuckDBPreparedStatement): Promise<RunPlan> {
  if (!checked) (await prepareReadOnly(con, sql)).destroySync();
  const kw = leadingKeyword(sql);
  let volatile: string[] = [];
  if (kw === 'EXPLAIN') return { threads: 1, why: 'an EXPLAIN', volatile: /\bANALY[SZ]E\b/i.test(sql) ? ['EXPLAIN ANALYZE'] : [] };
  try {
    const ast = JSON.parse(String((await con.runAndReadAll('SELECT json_serialize_sql(CAST(? AS VARCHAR))', [sql])).getRows()[0]?.[0]));
    if (ast && ast.error === false) volatile = volatileCalls(ast.statements);
  } catch {
    // The parse tree is only read for the warning; the statement itself was checked above.
  }
  if (kw !== 'SELECT' && kw !== 'WITH' && kw !== 'FROM' && kw !== 'VALUES' && kw !== 'TABLE') return { threads: 1, why: `a ${kw} statement`, volatile };
  let plan: unknown;
  try {
    const explain = await con.prepare(`EXPLAIN (FORMAT json) ${sql}`);
    try {
      if (params.length) explain.bind(params);
      plan = JSON.parse(String((await explain.runAndReadAll()).getRows()[0]?.[1]));
    } finally {
      explain.destroySync();
    }
  } catch {
    return { threads: 1, why: 'a plan that could not be read', volatile };
  }
  const free = planThreadFree(plan);
  return free.free ? { threads: 2, volatile } : { threads: 1, why: free.reason, volatile };
}

/**
 * Run the statement on a leased connection: stream, hash and hand on its rows; the lease is given
 * back, and the statement (`given`: prepared on this connection by prepareReadOnly) destroyed.
 */
async function streamQuery(db: Lease, sql: string, params: QueryValue[], opts: QueryOptions, given?: DuckDBPreparedStatement): Promise<Streamed> {
  const con = db.con;
  const onAbort = () => con.interrupt();
  opts.signal?.addEventListener('abort', onAbort);
  const stopIfCancelled = () => {
    if (opts.signal?.aborted) throw new UserError('query cancelled');
  };
  // Whether the columns have gone out (with the first chunk); rows only go out after them.
  let announced = false;
  try {
    if (opts.signal?.aborted) given?.destroySync();
    stopIfCancelled();
    const prepared = given ?? (await prepareReadOnly(con, sql));
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
      const keep = opts.keepRows ?? 1000;
      // Chunks read since the last release, and their row text: wide rows (SELECT * with the
      // record) make 5-8 MB chunks, which count against DuckDB's memory cap until collected.
      let unreleased = 0;
      let unreleasedBytes = 0;
      // The next chunk is asked for before this one is hashed, so DuckDB's threads make it
      // while this thread writes and hashes the rows (SELECT * of 136,672 events at 1M: DuckDB's
      // part was ~2.5 s of ~8 s when the two took turns).
      let next: Promise<DuckDBDataChunk | null> | null = res.fetchChunk();
      next.catch(() => undefined); // awaited below; a failure while this thread is busy is not unhandled
      try {
        for (;;) {
          if (unreleased >= 8 || unreleasedBytes >= RELEASE_BYTES) {
            releaseChunks();
            unreleased = unreleasedBytes = 0;
          }
          const chunk: DuckDBDataChunk | null = await next;
          next = null;
          if (!announced) {
            // The columns go out with the first chunk (or the end): an out-of-memory failure before it can still be run again.
            opts.onColumns?.(columns);
            announced = true;
          }
          if (!chunk || chunk.rowCount === 0) {
            // Cancelled at any point before the end is cancelled, even if the engine finished first.
            stopIfCancelled();
            break;
          }
          next = res.fetchChunk();
          next.catch(() => undefined);
          unreleased++;
          for (const t of rowTexts(chunk)) {
            hasher.addText(t);
            opts.keeper?.add(t);
            unreleasedBytes += t.length;
          }
          rowCount += chunk.rowCount;
          // Rows as values only where someone takes them.
          if (rows.length < keep || opts.onRows) {
            const batch = chunk.convertRows(jsonConverter()).map((r) => r.map((v, i) => canonicalValue(v as Json, types[i])));
            if (rows.length < keep) rows.push(...batch.slice(0, keep - rows.length));
            if (opts.onRows) await opts.onRows(batch);
          }
          stopIfCancelled();
        }
      } finally {
        // A chunk still being made when this stops (a failure, a cancel) is waited for before the statement goes.
        if (next) await next.catch(() => undefined);
      }
    } catch (e) {
      hasher?.dispose(); // its temporary runs, when the result was large
      if (e instanceof UserError) throw e;
      stopIfCancelled();
      const err = new UserError(queryErrorMessage(e, sql));
      // Once columns or rows went out to a caller that takes them, a run again would send them twice.
      if (/^Out of Memory Error/.test(err.message)) throw new OutOfMemory(err, announced && !!(opts.onColumns || opts.onRows));
      throw err;
    } finally {
      prepared.destroySync();
    }
    return { columns, rows, rowCount, resultSha256: hasher!.digest() };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    db.release();
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
  const stamp = fileStamp(path);
  const hit = fieldCache.get(path);
  if (stamp && hit?.stamp === stamp) return hit.fields;
  const db = await leaseReadOnly(path);
  const con = db.con;
  try {
    const parts = JSON_COLUMNS.filter((c) => c !== 'record').map((c) => `SELECT '${c}.' || unnest(json_keys("${c}")) AS p FROM events WHERE "${c}" IS NOT NULL AND json_type("${c}") = 'OBJECT'`);
    const r = await con.runAndReadAll(`SELECT p, count(*) AS n FROM (${parts.join(' UNION ALL ')}) GROUP BY p ORDER BY n DESC, p LIMIT 5000`);
    const seen = new Set(typed.map((f) => f.path));
    const found: FieldInfo[] = r.getRowsJson().map((row) => ({ path: String(row[0]), type: 'JSON', kind: 'json' as const, events: Number(row[1]) })).filter((f) => !seen.has(f.path));
    const fields = [...typed, ...found];
    if (stamp) fieldCache.set(path, { stamp, fields });
    return fields;
  } finally {
    db.release();
  }
}
