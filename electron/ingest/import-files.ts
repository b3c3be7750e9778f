// Import of local files and folders. Parsing runs in worker threads; the main
// thread writes the case, taking files strictly in sorted order so that the
// same input always gives the same leaves, the same root, the same report.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ImportSummary, Progress } from '../../shared/types.ts';
import type { Signer } from '../case/keys.ts';
import type { CaseStore } from '../case/store.ts';
import { MerkleBuilder, type Frontier } from '../case/merkle.ts';
import { eventTreeStart } from '../case/tree.ts';
import type { ParseProblem, ParseResult } from './parse.ts';
import type { PackedBatch } from './packed.ts';
import { ImportSession, type EvidenceWriter, type ImportParams } from './session.ts';
import { evidenceCount } from '../case/data/evidence.ts';
import { eventCount } from '../case/data/events.ts';
import { walkSources, type SourceFile } from './walk.ts';

export interface ImportOptions {
  workers?: number;
  /** Drop the event indexes and sort them in at the end (default: when the input is large against the case). */
  bulk?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: Progress & { events: number; bytes: number; totalBytes: number }) => void;
}

type Msg =
  | { id: number; type: 'hash'; sha256: string; size: number }
  | { id: number; type: 'skipped'; sha256: string; size: number }
  | { id: number; type: 'chunk'; data: Uint8Array }
  | { id: number; type: 'records'; packed: PackedBatch }
  | { id: number; type: 'problem'; problem: ParseProblem }
  | { id: number; type: 'done'; result: ParseResult }
  | { id: number; type: 'error'; message: string };

interface Task {
  id: number;
  file: SourceFile;
  queue: Msg[];
  notify: (() => void) | null;
  worker: Worker | null;
}

export function defaultWorkers(): number {
  // As many parsers as cores (up to 4): the writer thread waits on them most of
  // the time, so it shares a core rather than keeping one to itself (measured on 2 cores).
  return Math.max(1, Math.min(4, availableParallelism()));
}

export async function importPaths(store: CaseStore, signer: Signer, params: ImportParams, opts: ImportOptions = {}): Promise<ImportSummary> {
  const session = ImportSession.begin(store, signer, params);
  let outcome: 'completed' | 'cancelled' | 'failed' = 'completed';
  let error: string | undefined;
  try {
    const walk = walkSources(params.sources, session.scope);
    for (const p of walk.problems) session.warnUnstored(p.path, 'unreadable', p.message);
    if (walk.files.length === 0 && walk.problems.length === 0) {
      session.warnUnstored(params.sources.join(', '), 'no-files', 'no files found in scope');
    }
    const totalBytes = walk.files.reduce((a, f) => a + f.size, 0);
    const bulk = beginBulk(session, totalBytes, opts.bulk);
    try {
      await runFiles(session, walk.files, opts);
    } finally {
      if (bulk) {
        opts.onProgress?.({ phase: 'index', done: 0, total: null, unit: 'indexes', events: session.totals.events, bytes: totalBytes, totalBytes });
        await endBulk(session);
      }
    }
    if (opts.signal?.aborted) outcome = 'cancelled';
  } catch (e) {
    outcome = 'failed';
    error = (e as Error).message;
    try {
      session.commit();
    } catch {
      /* the group is rolled back by SQLite; what was committed stays valid */
    }
    session.finish(outcome, error); // logs the failure and signs what was committed
    throw e;
  }
  return session.finish(outcome, error);
}

/**
 * A bulk import (estimated at ~100 compressed bytes an event) into a case no
 * bigger than it drops the event indexes it can sort in at the end (into an
 * empty case the eventID index too; session.ts). Returns whether it did; the
 * caller then calls endBulk whatever happens. Used by file and S3 imports.
 */
export function beginBulk(session: ImportSession, totalBytes: number, force?: boolean): boolean {
  const existing = eventCount(session.store.reader);
  const bulk = force ?? totalBytes / 100 >= Math.max(50_000, existing);
  if (bulk) {
    session.store.dropSecondaryIndexes();
    session.dropIdIndex();
  }
  return bulk;
}

/** Commit, and sort the indexes in; the index sort is single-threaded, so the event tree is continued meanwhile in a parser thread. */
export async function endBulk(session: ImportSession): Promise<void> {
  session.commit();
  const tree = treeInThread(session.store);
  session.store.ensureIndexes();
  session.tree = await tree;
}

/**
 * The event tree over every committed event, continued from the last
 * checkpoint in a parser thread (case/tree.ts); null when that fails (the
 * checkpoint then computes it itself).
 */
function treeInThread(store: CaseStore): Promise<MerkleBuilder | null> {
  if (store.path === ':memory:') return Promise.resolve(null);
  const start = eventTreeStart(store.reader);
  return new Promise((resolve) => {
    const w = new Worker(new URL('./worker-boot.js', import.meta.url));
    const done = (t: MerkleBuilder | null) => {
      resolve(t);
      void w.terminate();
    };
    w.on('message', (m: { type: string; frontier?: Frontier; error?: string }) => {
      if (m.type === 'tree') done(m.frontier ? MerkleBuilder.fromFrontier(m.frontier) : null);
    });
    w.on('error', () => done(null));
    w.postMessage({ type: 'tree', path: store.path, start });
  });
}

async function runFiles(session: ImportSession, files: SourceFile[], opts: ImportOptions): Promise<void> {
  const nWorkers = Math.max(1, Math.min(opts.workers ?? defaultWorkers(), files.length || 1));
  const totalBytes = files.reduce((a, f) => a + f.size, 0);
  let doneBytes = 0;
  const precheck = evidenceCount(session.store.reader) > 0;
  const workers: Worker[] = [];
  const tasks: Task[] = files.map((file, id) => ({ id, file, queue: [], notify: null, worker: null }));
  const byId = new Map<number, Task>(tasks.map((t) => [t.id, t]));
  let next = 0;
  const seenSha = new Set<string>();

  // Each parser thread holds up to PREFETCH files, so it never waits for the writer between files.
  const PREFETCH = 3;
  const load = new Map<Worker, number>();
  let rr = 0;
  const dispatch = () => {
    while (next < tasks.length && !opts.signal?.aborted) {
      const live = workers.filter((w) => !dead.has(w));
      let w: Worker | undefined;
      for (let k = 0; k < live.length; k++) {
        const cand = live[(rr + k) % live.length];
        if ((load.get(cand) ?? 0) < PREFETCH) {
          w = cand;
          rr = (rr + k + 1) % live.length;
          break;
        }
      }
      if (!w) return;
      const t = tasks[next++];
      t.worker = w;
      load.set(w, (load.get(w) ?? 0) + 1);
      w.postMessage({ type: 'task', id: t.id, path: t.file.path, scope: session.scope, precheck });
    }
  };

  const spawn = (): Worker => {
    const w = new Worker(new URL('./worker-boot.js', import.meta.url));
    w.on('message', (m: Msg) => {
      const t = byId.get(m.id);
      if (!t) return;
      if (m.type === 'hash') {
        // Decide at once (not in file order) so workers never wait on the writer.
        const dup = session.findDuplicate(m.sha256) !== null || seenSha.has(m.sha256);
        seenSha.add(m.sha256);
        w.postMessage({ type: 'decision', id: m.id, go: !dup });
      }
      t.queue.push(m);
      t.notify?.();
    });
    w.on('error', (e) => {
      // A parser thread died: its file is reported, and a fresh thread takes its place.
      dead.add(w);
      for (const t of tasks) {
        if (t.worker === w && byId.has(t.id)) {
          t.queue.push({ id: t.id, type: 'error', message: `parser thread failed: ${e.message}` });
          t.notify?.();
        }
      }
    });
    workers.push(w);
    return w;
  };
  const dead = new Set<Worker>();
  for (let i = 0; i < nWorkers; i++) spawn();

  const nextMsg = async (t: Task): Promise<Msg> => {
    while (!t.queue.length) await new Promise<void>((r) => (t.notify = r));
    t.notify = null;
    return t.queue.shift()!;
  };

  try {
    dispatch();
    for (const t of tasks) {
      if (!t.worker) {
        if (opts.signal?.aborted) break;
        dispatch();
        if (!t.worker) break;
      }
      const origin = t.file.path;
      let writer: EvidenceWriter | null = null;
      const spec = { kind: 'file', origin, originMeta: { path: origin, size: t.file.size, ...(t.file.s3Key ? { s3Key: t.file.s3Key } : {}) } };
      for (;;) {
        const m = await nextMsg(t);
        if (m.type === 'hash') continue;
        if (m.type === 'skipped') {
          session.totals.skippedObjects++;
          break;
        }
        if (m.type === 'error') {
          if (writer) session.abortSource();
          session.warnUnstored(origin, 'unreadable', `cannot read ${origin}: ${m.message}`);
          break;
        }
        writer ??= session.beginSource(spec);
        if (m.type === 'chunk') {
          writer.chunk(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
          t.worker!.postMessage({ type: 'ack' });
        } else if (m.type === 'records') {
          writer.recordsPacked(m.packed);
          t.worker!.postMessage({ type: 'ack' });
        } else if (m.type === 'problem') {
          writer.problem(m.problem);
        } else if (m.type === 'done') {
          session.endSource(writer, m.result);
          break;
        }
      }
      doneBytes += t.file.size;
      load.set(t.worker!, (load.get(t.worker!) ?? 1) - 1);
      if (dead.has(t.worker!) && workers.filter((w) => !dead.has(w)).length < nWorkers) spawn();
      byId.delete(t.id);
      t.queue = [];
      dispatch();
      opts.onProgress?.({
        phase: 'import',
        done: t.id + 1,
        total: tasks.length,
        unit: 'files',
        detail: origin,
        events: session.totals.events,
        bytes: doneBytes,
        totalBytes,
      });
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
