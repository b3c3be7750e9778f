// Run the logged queries again and compare their result hashes (docs/queries.md "Checking the
// logged queries again"): what a receiver of the case does to confirm that the queries its
// report lists give what the report says. Each query runs over exactly the events it first ran
// over (the first `treeSize` leaves, whose tree root must be the one it recorded), and each run
// again is itself a custody entry `query.run` with `recheckOf`.
import type { QueryRecheckItem } from '../../shared/api/query.ts';
import { custodyOfAction } from '../case/data/custody.ts';
import type { CaseStore } from '../case/store.ts';
import { caseLeafCount } from '../case/data/derived-source.ts';
import { UserError } from '../errors.ts';
import { engineName } from './duckdb.ts';
import { checkpointFor, runQuery, type QueryValue } from './engine.ts';
import { readsVolatile } from '../../shared/query/determinism.ts';

interface LoggedRun {
  source?: 'sql' | 'search';
  text?: string;
  sql?: string;
  params?: QueryValue[];
  engine?: string;
  checkpoint?: { treeSize?: number; root?: string };
  resultSha256?: string;
  threads?: number;
  volatile?: string[];
  recheckOf?: number;
}

export interface RecheckOptions {
  actor: string;
  /** The custody entries to check (default: every query run that is not itself a check). */
  seqs?: number[];
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Run the logged queries again, each over the events it first ran over, and compare the hashes. */
export async function recheckQueries(store: CaseStore, opts: RecheckOptions): Promise<QueryRecheckItem[]> {
  const all = custodyOfAction(store.reader, 'query.run');
  const wanted = opts.seqs ? new Set(opts.seqs) : null;
  if (wanted) {
    const found = new Set(all.map((e) => e.seq));
    const missing = [...wanted].filter((s) => !found.has(s));
    if (missing.length) throw new UserError(`no query run at custody #${missing.join(', #')}`);
  }
  const runs = all.filter((e) => (wanted ? wanted.has(e.seq) : (e.details as LoggedRun).recheckOf === undefined));
  const size = caseLeafCount(store);
  const out: QueryRecheckItem[] = [];
  // Tree roots by size (a size other than a checkpoint's is computed from the leaves).
  const roots = new Map<number, string>();
  // Identical runs over the same events are run again once.
  const done = new Map<string, { hash: string; seq: number; threads: number; volatile: string[] } | { error: string }>();
  for (const e of runs) {
    if (opts.signal?.aborted) throw new UserError('recheck cancelled');
    const d = e.details as LoggedRun;
    const treeSize = Number(d.checkpoint?.treeSize);
    const item: QueryRecheckItem = { seq: e.seq, text: String(d.text ?? ''), treeSize, recorded: String(d.resultSha256 ?? ''), now: null, recheckSeq: null, outcome: 'failed' };
    out.push(item);
    opts.onProgress?.(out.length - 1, runs.length);
    if (typeof d.sql !== 'string' || !Number.isSafeInteger(treeSize) || typeof d.resultSha256 !== 'string') {
      item.note = 'the custody entry does not hold the SQL, the tree size and the result hash';
      continue;
    }
    if (d.volatile?.length) {
      item.outcome = 'not-repeatable';
      item.note = `it ${readsVolatile(d.volatile)}`;
      continue;
    }
    if (treeSize > size) {
      item.outcome = 'other-events';
      item.note = `it ran over ${treeSize} events; the case holds ${size}`;
      continue;
    }
    let root = roots.get(treeSize);
    if (root === undefined) roots.set(treeSize, (root = checkpointFor(store, treeSize).root));
    if (root !== d.checkpoint?.root) {
      item.outcome = 'other-events';
      item.note = `the case's first ${treeSize} events are not the ones it ran over (their tree root differs from the one it recorded)`;
      continue;
    }
    const key = JSON.stringify([d.sql, d.params ?? [], treeSize]);
    let again = done.get(key);
    if (!again) {
      try {
        const r = await runQuery(store, {
          text: String(d.text ?? d.sql),
          sql: d.sql,
          params: d.params ?? [],
          source: d.source === 'search' ? 'search' : 'sql',
          actor: opts.actor,
          signal: opts.signal,
          keepRows: 0,
          throughLeaf: treeSize,
          recheckOf: e.seq,
        });
        again = { hash: r.resultSha256, seq: r.custodySeq, threads: r.threads, volatile: r.volatile };
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        again = { error: (err as Error).message };
      }
      done.set(key, again);
    }
    if ('error' in again) {
      item.note = again.error;
      continue;
    }
    item.now = again.hash;
    item.recheckSeq = again.seq;
    item.outcome = again.hash === d.resultSha256 ? 'same' : 'different';
    const notes: string[] = [];
    // Logged before volatile functions were named: found when it ran again.
    if (item.outcome === 'different' && again.volatile.length) {
      item.outcome = 'not-repeatable';
      notes.push(`it ${readsVolatile(again.volatile)}`);
    }
    if (d.engine && d.engine !== engineName()) notes.push(`recorded with ${d.engine}, run again with ${engineName()}`);
    if (item.outcome === 'different' && d.threads === undefined && again.threads === 1) {
      notes.push("logged before TrailCase ran such queries on one thread: its recorded hash depended on which of DuckDB's threads finished first");
    }
    if (notes.length) item.note = notes.join('; ');
  }
  opts.onProgress?.(out.length, runs.length);
  return out;
}
