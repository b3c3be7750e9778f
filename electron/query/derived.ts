// The derived, query-friendly form of a case's records (issue 14): a DuckDB
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
import { DERIVED_VERSION, RECORD_STRUCTURE, quoteIdent } from '../../shared/query/schema.ts';
import { EvidenceReader } from '../case/evidence.ts';
import type { CaseStore } from '../case/store.ts';
import { UserError } from '../errors.ts';

const BATCH = 20_000;
// checkpoint_threshold: the build commits every batch; checkpointing (compressing) the table after
// every 16 MB of WAL (the default) doubled the build time and left a 40% larger file (bench, 200k events).
const BUILD_CONFIG = { threads: '2', memory_limit: '256MB', checkpoint_threshold: '1GB' };

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

function selectList(): string {
  const members = Object.keys(RECORD_STRUCTURE).map((k) => `r.${quoteIdent(k)} AS ${quoteIdent(k)}`);
  // record stays VARCHAR: it was parsed at import, and a JSON cast would parse it once more.
  return ['leaf', 'eventid', 'epoch_ms(time_ms) AS "eventTime"', ...members, 'record'].join(', ');
}

const transform = (staging: string) =>
  `SELECT ${selectList()} FROM (SELECT *, json_transform(record, '${JSON.stringify(RECORD_STRUCTURE).replace(/'/g, "''")}') AS r FROM ${staging})`;
// Two staging tables: the main thread reads, checks and appends the next batch
// into one while DuckDB's threads transform the previous one from the other.
// They live in an in-memory database of the instance, so their churn never
// grows the file and a killed build leaves nothing behind.
const STAGING = ['stage.staging0', 'stage.staging1'];

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

function caseEventCount(store: CaseStore): number {
  return (store.stmt('SELECT coalesce(max(leaf) + 1, 0) AS n FROM events').get() as { n: number }).n;
}

function leafHashHex(store: CaseStore, leaf: number): string {
  const r = store.stmt('SELECT leaf_hash FROM events WHERE leaf = ?').get(leaf) as { leaf_hash: Buffer } | undefined;
  return r ? r.leaf_hash.toString('hex') : '';
}

/** SHA-256 over the 32-byte leaf hashes of leaves [from, to), in order: what a build took in. */
export function leafRangeSha256(store: CaseStore, from: number, to: number): string {
  const h = createHash('sha256');
  for (const [lh] of store.db.prepare('SELECT leaf_hash FROM events WHERE leaf >= ? AND leaf < ? ORDER BY leaf').raw().iterate(from, to) as Iterable<[Buffer]>) h.update(lh);
  return h.digest('hex');
}

/** Is the derived form current for this case (no build needed)? Cheap: reads its state row. */
export async function derivedIsCurrent(store: CaseStore): Promise<boolean> {
  const path = derivedPath(store.path);
  if (!existsSync(path)) return false;
  let inst: DuckDBInstance | undefined;
  try {
    inst = await duck().DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    const con = await inst.connect();
    const s = await readState(con);
    con.closeSync();
    return !!s && stateMatches(store, s) && s.builtThrough === caseEventCount(store);
  } catch {
    return false;
  } finally {
    inst?.closeSync();
  }
}

function stateMatches(store: CaseStore, s: DerivedState): boolean {
  return (
    s.caseId === store.meta().caseId &&
    s.version === DERIVED_VERSION &&
    s.engine === engineName() &&
    s.builtThrough <= caseEventCount(store) &&
    (s.builtThrough === 0 || s.lastLeafHash === leafHashHex(store, s.builtThrough - 1))
  );
}

/**
 * Bring the derived form up to the case's events: nothing when current, the
 * new leaves when the case grew, everything when missing or stale. The case
 * must be open for writing (the build is custody-logged).
 */
export async function ensureDerived(
  store: CaseStore,
  opts: { actor: string; signal?: AbortSignal; onProgress?: (done: number, total: number) => void; batchSize?: number },
): Promise<BuildResult> {
  const batchSize = opts.batchSize ?? BATCH;
  const path = derivedPath(store.path);
  const total = caseEventCount(store);
  const t0 = performance.now();
  let rebuilt = false;
  let inst: DuckDBInstance;
  try {
    inst = await duck().DuckDBInstance.create(path, BUILD_CONFIG);
  } catch (e) {
    // Written by another DuckDB version, or damaged: it is a cache, so start again.
    if (!existsSync(path)) throw new UserError(`cannot create the query database ${path}: ${(e as Error).message.split('\n')[0]}`);
    rmSync(path, { force: true });
    rmSync(`${path}.wal`, { force: true });
    rebuilt = true;
    inst = await duck().DuckDBInstance.create(path, BUILD_CONFIG);
  }
  let con = await inst.connect();
  try {
    let state = await readState(con);
    if (state && !stateMatches(store, state)) {
      // Stale or another case's: start a new file (dropping tables would not shrink it).
      con.closeSync();
      inst.closeSync();
      rmSync(path, { force: true });
      rmSync(`${path}.wal`, { force: true });
      inst = await duck().DuckDBInstance.create(path, BUILD_CONFIG);
      con = await inst.connect();
      state = null;
      rebuilt = true;
    }
    await con.run("ATTACH ':memory:' AS stage");
    for (const t of STAGING) await con.run(`CREATE TABLE ${t}(leaf BIGINT, eventid VARCHAR, time_ms BIGINT, record VARCHAR)`);
    if (!state) {
      await con.run('CREATE TABLE IF NOT EXISTS derived_meta(k VARCHAR PRIMARY KEY, v VARCHAR)');
      await con.run(`CREATE TABLE IF NOT EXISTS events AS ${transform(STAGING[0])} LIMIT 0`);
      for (const m of MACROS) await con.run(m);
      state = { caseId: store.meta().caseId, version: DERIVED_VERSION, engine: engineName(), builtThrough: 0, lastLeafHash: '', loggedThrough: 0 };
      await writeState(con, state);
    }
    const from = state.builtThrough;
    if (from < total) {
      const reader = new EvidenceReader(store, 16 * 1024 * 1024);
      const rows = store.db
        .prepare('SELECT leaf, event_id, time_ms, evidence_id, pos, len, enc, leaf_hash FROM events WHERE leaf >= ? AND leaf < ? ORDER BY leaf')
        .raw()
        .iterate(from, total) as Iterable<[number, string, number | null, number, number, number, number, Buffer]>;
      const tcon = await inst.connect();
      let k = 0;
      let app = await con.createAppender(STAGING[0].split('.')[1], 'main', 'stage');
      let inBatch = 0;
      let last = from - 1;
      let lastHash = state.lastLeafHash;
      let pending: Promise<void> = Promise.resolve();
      // Move one filled staging table into events, with the new state, in one transaction (resumable).
      const moveBatch = (table: string, through: number, hash: string) => async () => {
        await tcon.run('BEGIN TRANSACTION');
        try {
          await tcon.run(`INSERT INTO events ${transform(table)}`);
          state = { ...state!, builtThrough: through, lastLeafHash: hash };
          await writeState(tcon, state);
          await tcon.run('COMMIT');
          // Its own transaction: one transaction writes to one database (the stage is another).
          await tcon.run(`DELETE FROM ${table}`);
        } catch (e) {
          await tcon.run('ROLLBACK').catch(() => undefined);
          throw e;
        }
        opts.onProgress?.(through - from, total - from);
      };
      const flush = async () => {
        app.closeSync();
        const move = moveBatch(STAGING[k % 2], last + 1, lastHash);
        await pending; // the other table's transform, started last time
        pending = move();
        pending.catch(() => undefined); // awaited below; keeps an early failure from going unhandled
        k++;
        inBatch = 0;
      };
      try {
        for (const [leaf, eventId, timeMs, evId, pos, len, enc, leafHash] of rows) {
          const rec = reader.record(evId, pos, len, enc);
          // The derived row must come from exactly the committed record.
          const h = createHash('sha256').update(Buffer.from([0])).update(rec).digest();
          if (!h.equals(leafHash)) throw new UserError(`event ${leaf} (${eventId}): its record no longer matches its leaf hash; run trailcase verify`);
          app.appendBigInt(BigInt(leaf));
          app.appendVarchar(eventId);
          if (timeMs === null) app.appendNull();
          else app.appendBigInt(BigInt(timeMs));
          app.appendVarchar(rec.toString('utf8'));
          app.endRow();
          last = leaf;
          lastHash = leafHash.toString('hex');
          if (++inBatch >= batchSize) {
            await flush();
            if (opts.signal?.aborted) {
              await pending;
              throw new UserError('query database build cancelled; it resumes from here next time');
            }
            app = await con.createAppender(STAGING[k % 2].split('.')[1], 'main', 'stage');
          }
        }
        if (inBatch > 0) await flush();
        else app.closeSync();
        await pending;
      } finally {
        await pending.catch(() => undefined);
        tcon.closeSync();
      }
    }
    const built = from < total ? { fromLeaf: from, toLeaf: total, seconds: (performance.now() - t0) / 1000 } : null;
    if (state.loggedThrough < state.builtThrough) {
      await con.run('CHECKPOINT');
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
    return { path, events: state.builtThrough, built, rebuilt };
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
