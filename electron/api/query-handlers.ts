// Handlers for the query API (shared/api/query.ts).
import type { queryApi, QueryRunResult } from '../../shared/api/query.ts';
import { compileSearch, SearchSyntaxError } from '../../shared/query/search.ts';
import { UserError } from '../errors.ts';
import { caseFields, runQuery } from '../query/engine.ts';
import { derivedPath } from '../query/derived.ts';
import { keptPage, ResultKeeper } from '../query/kept-results.ts';
import { deleteSavedQuery, getSavedQuery, listSavedQueries, saveQuery } from '../query/saved.ts';
import { listPromoted, promoteQuery, removePromoted } from '../query/promote.ts';
import { currentDetections } from '../case/data/detections.ts';
import type { HandlerContext } from './context.ts';
import type { HandlerTable } from './handlers.ts';
import { recheckQueries } from '../query/recheck.ts';

/** What a query run needs besides the text; the CLI passes a row sink to stream every row. */
export interface QueryStreamSink {
  onColumns(cols: { name: string; type: string }[]): void;
  onRows(rows: unknown[][]): void | Promise<void>;
  onDone(result: QueryRunResult): void;
}

/** Compile (search) or take the SQL as typed, then run. Shared by the job and the CLI's streaming path. */
export function startQuery(ctx: HandlerContext, a: { mode: 'sql' | 'search'; text: string; limit: number; savedQuery?: string }, signal?: AbortSignal, sink?: QueryStreamSink) {
  if (ctx.store.readonly) throw new UserError('the case is open read-only: a query is custody-logged, so it needs the case open for writing');
  let text = a.text;
  let mode = a.mode;
  if (a.savedQuery) {
    const s = getSavedQuery(ctx.store, a.savedQuery);
    text = s.text;
    mode = s.mode;
  }
  let compiled: { sql: string; params: (string | number)[] } | undefined;
  if (mode === 'search') {
    try {
      compiled = compileSearch(text);
    } catch (e) {
      if (e instanceof SearchSyntaxError) throw new UserError(e.message);
      throw e;
    }
  }
  // The app pages through the whole result later (kept-results.ts); the CLI streams it instead.
  const keeper = sink ? undefined : new ResultKeeper(derivedPath(ctx.store.path));
  const run = runQuery(ctx.store, {
    text,
    sql: compiled?.sql,
    params: compiled?.params,
    source: mode,
    actor: ctx.actor,
    signal,
    keepRows: a.limit,
    savedQuery: a.savedQuery,
    onColumns: sink ? (cols) => sink.onColumns(cols) : undefined,
    onRows: sink ? (rows) => sink.onRows(rows) : undefined,
    keeper,
  });
  if (!keeper) return run;
  return run.then(
    (r) => ({ ...r, keptRows: keeper.commit(r.custodySeq, r.columns, r.rowCount) }),
    (e) => {
      keeper.discard();
      throw e;
    },
  );
}

export const queryHandlers: HandlerTable<typeof queryApi> = {
  runQuery: (ctx, a) => {
    if (ctx.store.readonly) throw new UserError('the case is open read-only: a query is custody-logged, so it needs the case open for writing');
    const sink = ctx.querySink;
    if (sink) {
      // A transport that streams (the CLI) runs the query in place and gets every row through its sink.
      return startQuery(ctx, a, ctx.querySignal, sink).then((r) => {
        sink.onDone(r as QueryRunResult);
        return { jobId: '' };
      });
    }
    const jobId = ctx.jobs.start('query', async (_report, signal) => startQuery(ctx, a, signal));
    return { jobId };
  },
  recheckQueries: (ctx, a) => {
    if (ctx.store.readonly) throw new UserError('the case is open read-only: a query run again is custody-logged, so it needs the case open for writing');
    const jobId = ctx.jobs.start('recheck', async (report, signal) => ({
      items: await recheckQueries(ctx.store, { actor: ctx.actor, seqs: a.seqs, signal, onProgress: (done, total) => report({ phase: 'queries', done, total, unit: 'queries' }) }),
    }));
    return { jobId };
  },
  queryResultPage: (ctx, a) => keptPage(derivedPath(ctx.store.path), a.custodySeq, a.offset, a.limit),
  compileSearch: (_ctx, a) => {
    try {
      const c = compileSearch(a.text);
      return { ok: true as const, sql: c.sql, params: c.params };
    } catch (e) {
      if (e instanceof SearchSyntaxError) return { ok: false as const, error: e.message, position: e.position };
      throw e;
    }
  },
  queryFields: async (ctx) => ({ fields: await caseFields(ctx.store) }),
  listSavedQueries: (ctx) => ({ items: listSavedQueries(ctx.store) }),
  saveQuery: (ctx, a) => saveQuery(ctx.store, ctx.actor, a),
  deleteSavedQuery: (ctx, a) => deleteSavedQuery(ctx.store, ctx.actor, a.name),
  promoteQuery: (ctx, a) => promoteQuery(ctx.store, ctx.actor, a),
  listDetections: (ctx) => ({
    checks: listPromoted(ctx.store),
    sigmaFiles: currentDetections(ctx.store, 'sigma-file').map((r) => ({ file: r.key, sha256: r.sha256, at: r.at, actor: r.actor })),
  }),
  removePromotedCheck: (ctx, a) => removePromoted(ctx.store, ctx.actor, a.id),
};
