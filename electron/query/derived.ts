// The derived, query-friendly form of a case's records (docs/queries.md): a DuckDB
// database beside the case (`<case>-query`, e.g. `acme.trailcase-query`) with
// one table `events` (shared/query/schema.ts). It is a cache: built from the
// preserved evidence (each event's verbatim record, read through
// EvidenceReader and checked against its committed leaf hash), extended leaf
// range by leaf range as events are added, resumable after an interruption,
// rebuilt whenever it is missing, stale or from another case, and never trusted
// by `verify`. Each build is a custody entry `query.derived-built` with the leaf
// range and the SHA-256 over the leaf hashes of the records that went in.
// The case stays one file for handoff: a receiver rebuilds this on first query.
import { createHash } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duck, engineName } from './duckdb.ts';
import { closeHeld, fileStamp, lockHolder } from './readonly-db.ts';
import { DERIVED_VERSION, RECORD_STRUCTURE, quoteIdent } from '../../shared/query/schema.ts';
import { EvidenceReader } from '../case/evidence.ts';
import { withPageCache } from '../case/data/db.ts';
import { caseLeafCount, eventLocations, leafHashHex, leafRangeSha256 } from '../case/data/derived-source.ts';
import type { CaseStore } from '../case/store.ts';
import { UserError } from '../errors.ts';

export { leafRangeSha256 };

// Rows per DuckDB row group, and per build transaction (a killed build resumes after the last
// one): each commit writes its rows compressed straight into the file instead of through the
// WAL. A row group waits whole in memory, uncompressed (~2 KB an event), until it is written,
// so it is a quarter of DuckDB's default 122,880: this bounds the build's memory (peak RSS at
// 1M: 540 MB with the default, 459-477 MB with this, 490 MB at 5M; docs/queries.md "The derived
// form, measured") and gives a 2-thread query four times as many row groups to share out.
const ROW_GROUP = 32_768;
// Rows handed to DuckDB at a time: this thread reads and checks the next chunk while DuckDB
// transforms one. Small chunks keep each staging table and its transform small enough for the
// allocator to reuse its memory rather than map it afresh (1M build: 8,192 rows 42.3-43.3 s,
// 1,024 rows 28.0-33.7 s with the thresholds below; 512 rows 35.8 s; docs/queries.md).
const CHUNK = 1_024;
const ZERO = Buffer.from([0]);
// The build's DuckDB (measured choices: docs/queries.md "The derived form, measured"): the
// newest storage format (ZSTD for strings is not in the default, v0.10-compatible one); at
// most one row group buffered before it is written (the default, 5 row groups up to 1.2 GB,
// held most of a 1M build in memory); no checkpoint mid-build (commits are whole row groups).
// One thread: a chunk's move is one task anyway, this thread feeds it from the other core, and
// a second DuckDB thread only added CPU and memory. The allocator keeps up to 32 MB of freed
// memory before handing it back: at 16 MB every dropped staging table and written row group went
// back to the kernel and was faulted in again (a third of the build's CPU was page faults and
// copying; 1M: 60.8 CPU-s, 18 of them system, against 37.1-44.4 now, for 20-40 MB more peak RSS).
const BUILD_CONFIG: Record<string, string> = {
  threads: '1',
  memory_limit: '128MB',
  storage_compatibility_version: 'latest',
  checkpoint_threshold: '1GB',
  write_buffer_row_group_count: '1',
  write_buffer_row_group_memory_limit: '64MB',
  allocator_flush_threshold: '32MB',
  allocator_bulk_deallocation_flush_threshold: '32MB',
  allocator_background_threads: 'true',
};

/**
 * The build's DuckDB: an in-memory instance with the derived file attached as its default
 * database, because the row-group size can be chosen only when attaching. Spills (a row group
 * over the memory limit) go beside the file and are removed when the instance closes.
 */
async function openBuild(path: string): Promise<{ inst: DuckDBInstance; con: DuckDBConnection }> {
  const inst = await duck().DuckDBInstance.create(':memory:', { ...BUILD_CONFIG, temp_directory: `${path}.tmp` });
  const con = await inst.connect();
  try {
    await con.run(`ATTACH '${path.replace(/'/g, "''")}' AS derived (ROW_GROUP_SIZE ${ROW_GROUP}, STORAGE_VERSION 'latest')`);
    await con.run('USE derived');
  } catch (e) {
    con.closeSync();
    inst.closeSync();
    throw e;
  }
  return { inst, con };
}

const locks = new Map<string, Promise<unknown>>();

/**
 * Run fn with the derived file to itself: DuckDB will not open one file
 * read-write and read-only at once in one process, so builds, queries and
 * field listings of a case take turns (a UI may ask for several at once).
 */
export function withDerivedLock<T>(casePath: string, fn: () => Promise<T>): Promise<T> {
  const key = derivedPath(casePath);
  const prev = locks.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => undefined);
  locks.set(key, tail);
  tail.then(() => {
    if (locks.get(key) === tail) locks.delete(key);
  });
  return run;
}

export function derivedPath(casePath: string): string {
  return `${casePath}-query`;
}

export interface DerivedState {
  caseId: string;
  version: number;
  engine: string;
  /** Leaves [0, builtThrough) are in the derived table. */
  builtThrough: number;
  /** Leaf hash (hex) of leaf builtThrough-1: a changed or different case is detected by it. */
  lastLeafHash: string;
  /** Leaves [0, loggedThrough) have a query.derived-built custody entry. */
  loggedThrough: number;
}

export interface BuildResult {
  path: string;
  events: number;
  /** The leaf range built by this call, or null when the derived form was already current. */
  built: { fromLeaf: number; toLeaf: number; seconds: number } | null;
  rebuilt: boolean;
}

// Members of RECORD_STRUCTURE not stored but read from the record when a query names them:
// a random identifier that compresses to ~21 bytes an event, rarely asked for. (CloudTrail's
// eventID is the stored `eventid`: see CASE_COLUMNS.)
const COMPUTED: Record<string, string> = {
  requestID: `json_extract_string(record, '$.requestID')`,
};
// Stored with ZSTD: the long texts (FSST, the automatic choice, keeps the record at ~half its size).
const ZSTD = new Set(['record', 'requestParameters', 'responseElements', 'additionalEventData']);
const STORED = Object.keys(RECORD_STRUCTURE).filter((k) => !(k in COMPUTED));
const STRUCTURE = JSON.stringify(Object.fromEntries(STORED.map((k) => [k, RECORD_STRUCTURE[k as keyof typeof RECORD_STRUCTURE]])));

/** The stored row from a staging row (leaf, eventid, time_ms, record). */
function transform(staging: string): string {
  const members = STORED.map((k) => `r.${quoteIdent(k)} AS ${quoteIdent(k)}`);
  // record stays VARCHAR: it was parsed at import, and a JSON cast would parse it once more.
  const cols = ['leaf', 'eventid', 'epoch_ms(time_ms) AS "eventTime"', ...members, 'record'].join(', ');
  return `SELECT ${cols} FROM (SELECT *, json_transform(record, '${STRUCTURE.replace(/'/g, "''")}') AS r FROM ${staging})`;
}

/** The table examiners query: the stored columns, with the computed ones in their documented place. */
function viewSql(): string {
  const cols = ['leaf', 'eventid', '"eventTime"', ...Object.keys(RECORD_STRUCTURE).map((k) => (k in COMPUTED ? `${COMPUTED[k]} AS ${quoteIdent(k)}` : quoteIdent(k))), 'record'];
  return `CREATE OR REPLACE VIEW events AS SELECT ${cols.join(', ')} FROM events_data`;
}

async function createTables(con: DuckDBConnection, staging: string): Promise<void> {
  const cols = (await con.runAndReadAll(`DESCRIBE ${transform(staging)} LIMIT 0`)).getRowsJson();
  const ddl = cols.map(([name, type]) => `${quoteIdent(String(name))} ${type}${ZSTD.has(String(name)) ? ' USING COMPRESSION zstd' : ''}`);
  await con.run(`CREATE TABLE IF NOT EXISTS events_data (${ddl.join(', ')})`);
  await con.run(viewSql());
}

// Where a chunk of records waits for its transform: a table made and dropped
// inside the transaction that moves it, so it is never written to the file.
const STAGE_DDL = 'CREATE OR REPLACE TABLE stage(leaf BIGINT, eventid VARCHAR, time_ms BIGINT, record VARCHAR)';

// Helpers so Athena and CloudTrail Lake (Presto/Trino) queries carry over (docs/queries.md).
const MACROS = [
  'CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)',
  'CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMP)',
  "CREATE OR REPLACE MACRO to_iso8601(t) AS strftime(CAST(t AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%gZ')",
  'CREATE OR REPLACE MACRO regexp_like(s, p) AS regexp_matches(s, p)',
  'CREATE OR REPLACE MACRO approx_distinct(x) AS approx_count_distinct(x)',
];

async function readState(con: DuckDBConnection): Promise<DerivedState | null> {
  try {
    const r = await con.runAndReadAll('SELECT v FROM derived_meta WHERE k = ?', ['state']);
    const v = r.getRows()[0]?.[0];
    return typeof v === 'string' ? (JSON.parse(v) as DerivedState) : null;
  } catch {
    return null;
  }
}

/** Is the derived form current for this case (no build needed)? Cheap: reads its state row. */
export async function derivedIsCurrent(store: CaseStore): Promise<boolean> {
  const path = derivedPath(store.path);
  if (!existsSync(path)) return false;
  return (await currentState(store, path, caseLeafCount(store))) !== null;
}

function stateMatches(store: CaseStore, s: DerivedState): boolean {
  return (
    s.caseId === store.meta().caseId &&
    s.version === DERIVED_VERSION &&
    s.engine === engineName() &&
    s.builtThrough <= caseLeafCount(store) &&
    (s.builtThrough === 0 || s.lastLeafHash === leafHashHex(store, s.builtThrough - 1))
  );
}

/**
 * Bring the derived form up to the case's events: nothing when current, the
 * new leaves when the case grew, everything when missing or stale. The case
 * must be open for writing (the build is custody-logged).
 */
export interface BuildOptions {
  actor: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  batchSize?: number;
}

export async function ensureDerived(store: CaseStore, opts: BuildOptions): Promise<BuildResult> {
  const path = derivedPath(store.path);
  const total = caseLeafCount(store);
  // A current file is never opened for writing (another process's queries may hold it read-only).
  if ((await currentState(store, path, total))?.loggedThrough === total) return { path, events: total, built: null, rebuilt: false };
  // The build reads the case once in leaf order: a 16 MB page cache instead of 64 (the 10M build peaked at 509 MB).
  const { result, state } = await withPageCache(store.reader, () => build(store, opts));
  remember(path, state, total);
  return result;
}

/**
 * The derived files this process last found current, with the file's identity then
 * (fileStamp; taken once DuckDB has closed it, its last write done). While the file is the
 * same and the case still ends at the same leaf with the same hash, a query need not open
 * the file for writing to learn that it is current (27 ms a query at 1M events: an
 * in-memory DuckDB, ATTACH, the state row).
 */
const seen = new Map<string, { stamp: string; state: DerivedState }>();

function remember(path: string, state: DerivedState, total: number): void {
  const stamp = fileStamp(path);
  if (stamp && state.builtThrough === total && state.loggedThrough === total) seen.set(path, { stamp, state });
}

/**
 * The derived file's state when it holds every one of the case's `total` leaves: remembered
 * while the file is the same, else read through a read-only open (built by another process,
 * or by this one before it changed) and remembered; null when it does not, or cannot be read.
 */
async function currentState(store: CaseStore, path: string, total: number): Promise<DerivedState | null> {
  const s = seen.get(path);
  if (s && s.stamp === fileStamp(path) && !existsSync(`${path}.wal`) && s.state.builtThrough === total && stateMatches(store, s.state)) return s.state;
  seen.delete(path);
  closeHeld(path);
  const read = existsSync(path) ? await readStateOnly(path) : null;
  if (!read || !stateMatches(store, read) || read.builtThrough !== total) return null;
  remember(path, read, total);
  return read;
}

/** The derived file's state row, read through a read-only instance; null when it cannot be read. */
async function readStateOnly(path: string): Promise<DerivedState | null> {
  let inst: DuckDBInstance | undefined;
  try {
    inst = await duck().DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    const con = await inst.connect();
    const s = await readState(con);
    con.closeSync();
    return s;
  } catch {
    return null;
  } finally {
    inst?.closeSync();
  }
}

async function build(store: CaseStore, opts: BuildOptions): Promise<{ result: BuildResult; state: DerivedState }> {
  const commitEvery = opts.batchSize ?? ROW_GROUP;
  const path = derivedPath(store.path);
  const total = caseLeafCount(store);
  const t0 = performance.now();
  let rebuilt = false;
  let inst: DuckDBInstance;
  let con: DuckDBConnection;
  try {
    ({ inst, con } = await openBuild(path));
  } catch (e) {
    // Held by another process (its queries keep the file open read-only, readonly-db.ts): wait for it, never replace it.
    const holder = lockHolder(e);
    if (holder !== null) throw new UserError(`the query database ${basename(path)} is open in another process${holder}; TrailCase lets go of it a minute after that process's last query: try again then`);
    // Written by another DuckDB version, or damaged: it is a cache, so start again.
    if (!existsSync(path)) throw new UserError(`cannot create the query database ${path}: ${(e as Error).message.split('\n')[0]}`);
    rmSync(path, { force: true });
    rmSync(`${path}.wal`, { force: true });
    rebuilt = true;
    ({ inst, con } = await openBuild(path));
  }
  try {
    let state = await readState(con);
    if (state && !stateMatches(store, state)) {
      // Stale or another case's: start a new file (dropping tables would not shrink it).
      con.closeSync();
      inst.closeSync();
      rmSync(path, { force: true });
      rmSync(`${path}.wal`, { force: true });
      ({ inst, con } = await openBuild(path));
      state = null;
      rebuilt = true;
    }
    if (!state) {
      await con.run('CREATE TABLE IF NOT EXISTS derived_meta(k VARCHAR PRIMARY KEY, v VARCHAR)');
      await con.run(STAGE_DDL);
      await createTables(con, 'stage');
      await con.run('DROP TABLE stage');
      for (const m of MACROS) await con.run(m);
      state = { caseId: store.meta().caseId, version: DERIVED_VERSION, engine: engineName(), builtThrough: 0, lastLeafHash: '', loggedThrough: 0 };
      await writeState(con, state);
    }
    const from = state.builtThrough;
    if (from < total) {
      const reader = new EvidenceReader(store, 16 * 1024 * 1024);
      const chunk = Math.min(commitEvery, CHUNK);
      // One transaction per commit unit: its chunks are staged in a table of
      // that same transaction (never committed) and moved into events_data, so
      // DuckDB writes each full row group compressed straight into the file.
      // While DuckDB moves one chunk, this thread reads and checks the next.
      let moving: Promise<unknown> = Promise.resolve();
      let inTx = false;
      let inCommit = 0;
      let leaves: number[] = [];
      let ids: string[] = [];
      let times: (number | null)[] = [];
      let texts: string[] = [];
      let lastHash = state.lastLeafHash;
      const moveChunk = async (commit: boolean) => {
        await moving;
        if (!inTx) await con.run('BEGIN TRANSACTION');
        inTx = true;
        await con.run(STAGE_DDL);
        const app = await con.createAppender('stage');
        for (let i = 0; i < leaves.length; i++) {
          app.appendBigInt(BigInt(leaves[i]));
          app.appendVarchar(ids[i]);
          if (times[i] === null) app.appendNull();
          else app.appendBigInt(BigInt(times[i]!));
          app.appendVarchar(texts[i]);
          app.endRow();
        }
        app.closeSync();
        const through = leaves[leaves.length - 1] + 1;
        const hash = lastHash;
        leaves = [];
        ids = [];
        times = [];
        texts = [];
        moving = (async () => {
          await con.run(`INSERT INTO events_data ${transform('stage')}`);
          await con.run('DROP TABLE stage');
          if (commit) {
            state = { ...state!, builtThrough: through, lastLeafHash: hash };
            await writeState(con, state);
            await con.run('COMMIT');
            inTx = false;
            opts.onProgress?.(through - from, total - from);
          }
        })();
        moving.catch(() => undefined); // awaited before the next move; keeps an early failure from going unhandled
      };
      try {
        for (const [leaf, eventId, timeMs, evId, pos, len, enc, leafHash] of eventLocations(store, from, total)) {
          const rec = reader.record(evId, pos, len, enc);
          // The derived row must come from exactly the committed record.
          const h = createHash('sha256').update(ZERO).update(rec).digest();
          if (!h.equals(leafHash)) throw new UserError(`event ${leaf} (${eventId}): its record no longer matches its leaf hash; run trailcase verify`);
          leaves.push(leaf);
          ids.push(eventId);
          times.push(timeMs);
          texts.push(rec.toString('utf8'));
          lastHash = leafHash.toString('hex');
          inCommit++;
          if (leaves.length >= chunk || inCommit >= commitEvery) {
            const commit = inCommit >= commitEvery;
            await moveChunk(commit);
            if (commit) {
              inCommit = 0;
              if (opts.signal?.aborted) {
                await moving;
                throw new UserError('query database build cancelled; it resumes from here next time');
              }
            }
          }
        }
        if (leaves.length > 0) await moveChunk(true);
        await moving;
      } catch (e) {
        await moving.catch(() => undefined);
        // A commit unit cut short is dropped whole: the state still says where it began.
        if (inTx) await con.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    }
    const built = from < total ? { fromLeaf: from, toLeaf: total, seconds: (performance.now() - t0) / 1000 } : null;
    if (state.loggedThrough < state.builtThrough) {
      await con.run('CHECKPOINT derived');
      store.appendCustody(opts.actor, 'query.derived-built', {
        file: basename(path),
        engine: engineName(),
        derivedVersion: DERIVED_VERSION,
        fromLeaf: state.loggedThrough,
        toLeaf: state.builtThrough,
        leafHashesSha256: leafRangeSha256(store, state.loggedThrough, state.builtThrough),
        rebuilt,
      });
      state = { ...state, loggedThrough: state.builtThrough };
      await writeState(con, state);
    }
    return { result: { path, events: state.builtThrough, built, rebuilt }, state };
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}

async function writeState(con: DuckDBConnection, s: DerivedState): Promise<void> {
  await con.run('INSERT OR REPLACE INTO derived_meta VALUES (?, ?)', ['state', JSON.stringify(s)]);
}

export function derivedSize(casePath: string): number {
  const p = derivedPath(casePath);
  return existsSync(p) ? statSync(p).size : 0;
}
