// The derived file opened for reading queries (docs/queries.md "Read-only and bounded"):
// READ_ONLY, file and network access off, extension loading off, bounded memory and
// threads, the configuration locked, a private spill directory. The instance (two threads, or one) is kept
// between the queries of this process (one derived file at a time) while the file is
// unchanged, because a fresh DuckDB reads the table's metadata and the blocks a query
// needs on its first query: at 1M events a field-equals query took 153–180 ms on a fresh
// instance and 73–78 ms on the next, and free text over the 5M form 2.5–2.6 s against
// 2.1–2.3 s. Builds close it first (derived.ts): DuckDB will not hold one file
// read-write and read-only at once in one process.
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { duck } from './duckdb.ts';
import { UserError } from '../errors.ts';

export const QUERY_MEMORY_LIMIT = '128MB';

const LOCKDOWN = [
  // DuckDB takes the machine's zone by default: a TIMESTAMPTZ, its text and its day and hour
  // boundaries then differed between examiners (docs/queries.md "The same answer again").
  // (Set here, not when the instance is made: the zone needs ICU, which is loaded by then.)
  "SET TimeZone = 'UTC'",
  'SET autoinstall_known_extensions = false',
  'SET autoload_known_extensions = false',
  'SET allow_community_extensions = false',
  'SET enable_external_access = false',
  // Last: nothing above can be changed back by a query.
  'SET lock_configuration = true',
];

/** A kept instance is closed after this long without a query (its memory, its open file, its spill directory). */
const IDLE_MS = 60_000;

interface ReadOnlyDb {
  con: DuckDBConnection;
  /** The instance's private temporary directory (DuckDB's spills, the result hash's runs). */
  spill: string;
  /** Close the connection and remove its spill directory. */
  close(): void;
}

/** A connection lent to one query; give it back with release() when the query is done. */
export interface Lease {
  con: DuckDBConnection;
  spill: string;
  threads: number;
  release(): void;
}

/**
 * The identity of a file now (device, inode, size, modification and change times in ns), or
 * null when it is not there: any write by any process, a rebuild or a removal changes it.
 */
export function fileStamp(path: string): string | null {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return null;
  }
}

/**
 * When DuckDB could not open a file because another process holds its lock: ` (PID n)` where its
 * message names the process, '' where it does not; null for any other error.
 */
export function lockHolder(e: unknown): string | null {
  const msg = String((e as Error)?.message);
  if (!/Could not set lock on file|Conflicting lock/.test(msg)) return null;
  const pid = /PID (\d+)/.exec(msg)?.[1];
  return pid ? ` (PID ${pid})` : '';
}

interface Held {
  path: string;
  stamp: string;
  threads: number;
  db: ReadOnlyDb;
  busy: boolean;
  idle: NodeJS.Timeout | null;
}

/**
 * The kept instance: of one derived file, with two threads for queries whose answer cannot depend
 * on them or one for the rest (shared/query/determinism.ts). One is kept at a time, so that a
 * process holds one buffer cache (at most 128 MB): keeping a one-thread and a two-thread
 * instance together took the 1M suite's peak from 305 to 357 MB for one question on one thread.
 */
let held: Held | null = null;

/**
 * A read-only connection to the derived file `path` on `threads` threads (none given: the kept
 * instance's, else two). With the default memory cap the instance is the one kept from this
 * process's last query when it has as many threads and the file has not changed since it was
 * opened, else a new one that is kept in its place; a query with its own cap (tests that
 * exercise spilling) gets an instance of its own, closed on release, as does one that sees only
 * the first `throughLeaf` events (openReadOnly).
 */
export async function leaseReadOnly(path: string, memoryLimit?: string, threads?: number, throughLeaf?: number): Promise<Lease> {
  if ((memoryLimit !== undefined && memoryLimit !== QUERY_MEMORY_LIMIT) || throughLeaf !== undefined) {
    const db = await openReadOnly(path, memoryLimit ?? QUERY_MEMORY_LIMIT, threads ?? 2, throughLeaf);
    return { con: db.con, spill: db.spill, threads: threads ?? 2, release: () => db.close() };
  }
  const stamp = fileStamp(path);
  const usable = held !== null && held.path === path && held.stamp === stamp;
  const want = threads ?? (usable && !held!.busy ? held!.threads : 2);
  if (held?.busy) {
    // Not expected (queries of one file take turns, withDerivedLock), but never share a busy connection.
    const db = await openReadOnly(path, QUERY_MEMORY_LIMIT, want);
    return { con: db.con, spill: db.spill, threads: want, release: () => db.close() };
  }
  if (usable && held!.threads === want) {
    const h = held!;
    if (h.idle) clearTimeout(h.idle);
    h.idle = null;
    h.busy = true;
    return { con: h.db.con, spill: h.db.spill, threads: want, release: () => rest(h) };
  }
  // Another thread count's, another file's, or this file's before it changed: let go of it.
  closeHeld();
  const db = await openReadOnly(path, QUERY_MEMORY_LIMIT, want);
  const h: Held = { path, stamp: fileStamp(path) ?? '', threads: want, db, busy: true, idle: null };
  held = h;
  return { con: db.con, spill: db.spill, threads: want, release: () => rest(h) };
}

function rest(h: Held): void {
  h.busy = false;
  if (held !== h) {
    h.db.close();
    return;
  }
  h.idle = setTimeout(() => {
    if (held === h && !h.busy) closeHeld();
  }, IDLE_MS);
  h.idle.unref();
}

/**
 * Close the kept instance (of `path`, or whichever is kept) unless a query is using it; a build
 * calls this before it opens the file for writing. Returns whether none is kept for it now.
 */
export function closeHeld(path?: string): boolean {
  const h = held;
  if (!h || (path !== undefined && h.path !== path)) return true;
  if (h.busy) return false;
  if (h.idle) clearTimeout(h.idle);
  held = null;
  h.db.close();
  return true;
}

process.once('exit', () => {
  if (held) {
    held.busy = false;
    closeHeld();
  }
});

/**
 * The derived file, read-only and locked down. DuckDB's memory is capped
 * (QUERY_MEMORY_LIMIT); a sort, join or aggregate that needs more spills to a
 * private directory beside the derived file (created here, removed on close)
 * instead of failing: "every event of this key, in time order" at 10M events
 * sorts 1.36M wide rows (before, with spilling off, it failed with DuckDB's
 * out-of-memory error). Queries cannot name files (enable_external_access is
 * off), so the directory is DuckDB's alone. A process killed while its instance was
 * open leaves the directory; the next query on this machine removes it (removeStaleDirs).
 */
async function openReadOnly(path: string, memoryLimit: string, threads = 2, throughLeaf?: number): Promise<ReadOnlyDb> {
  removeStaleDirs(path, 'spill');
  const spill = mkdtempSync(join(dirname(path), `${spillPrefix(path)}${process.pid}-`));
  const removeSpill = () => rmSync(spill, { recursive: true, force: true });
  let inst: DuckDBInstance;
  try {
    inst = await duck().DuckDBInstance.create(path, {
      access_mode: 'READ_ONLY',
      threads: String(threads),
      memory_limit: memoryLimit,
      temp_directory: spill,
      preserve_insertion_order: 'true',
    });
  } catch (e) {
    removeSpill();
    const holder = lockHolder(e);
    if (holder !== null) throw new UserError(`the query database ${basename(path)} is being written by another process${holder}; try again when it has finished`);
    throw e;
  }
  const con = await inst.connect();
  const close = () => {
    con.closeSync();
    inst.closeSync();
    removeSpill();
  };
  try {
    if (throughLeaf !== undefined) {
      // A query run again over the events it first ran over (recheck.ts): a temporary view of the
      // first throughLeaf rows shadows the table, and the events view binds to it.
      const db = String((await con.runAndReadAll('SELECT current_database()')).getRows()[0][0]).replace(/"/g, '""');
      await con.run(`CREATE TEMP VIEW events_data AS SELECT * FROM "${db}".main.events_data WHERE leaf < ${Math.max(0, Math.floor(throughLeaf))}`);
    }
    for (const s of LOCKDOWN) await con.run(s);
  } catch (e) {
    close();
    throw e;
  }
  return { con, spill, close };
}

/**
 * How this machine's private directories of one kind beside the derived file `path` are named, up
 * to the process id: `<derived>.<kind>-<host>-` (the host name as letters, digits, dots and
 * hyphens). Kinds: `spill` (the read-only instance's), `results` (kept query results, kept-results.ts).
 */
export const privatePrefix = (path: string, kind: 'spill' | 'results') => `${basename(path)}.${kind}-${hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host'}-`;

/** How this machine's spill directories of the derived file `path` are named, up to the process id. */
export const spillPrefix = (path: string) => privatePrefix(path, 'spill');

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
 * Private directories of this derived file left by processes that are no longer running
 * (killed with the instance open or results kept: a directory is removed only when its owner
 * lets go of it). A name says which machine and process made it (`<derived>.<kind>-<host>-<pid>-XXXXXX`);
 * only this machine's, and only where that process is gone, are removed. Names without an owner
 * (made by earlier versions) are left alone.
 */
export function removeStaleDirs(path: string, kind: 'spill' | 'results'): void {
  const dir = dirname(path);
  const prefix = privatePrefix(path, kind);
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
