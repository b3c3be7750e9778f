// Handlers for the analysis API (shared/api/analysis.ts).
import type { analysisApi } from '../../shared/api/analysis.ts';
import { NotFound, UserError } from '../errors.ts';
import { baselines } from '../analysis/baselines.ts';
import { gaps } from '../analysis/gaps.ts';
import { addIoc, iocHits, listIocs, removeIoc, setIocEnabled } from '../analysis/ioc.ts';
import { exportIocs, importIocs } from '../analysis/ioc-formats.ts';
import { pivot } from '../analysis/pivot/index.ts';
import { enrichCase, enrichmentAvailable } from '../analysis/enrich/enrich.ts';
import { analyseCase } from '../analysis/run.ts';
import { decideFinding, latestRun, listFindings, recordRun, withDecisions } from '../analysis/runs.ts';
import { setCaseSigmaRules } from '../analysis/sigma/user.ts';
import { detectionOptions } from '../query/promote.ts';
import type { HandlerTable } from './handlers.ts';

export const analysisHandlers: HandlerTable<typeof analysisApi> = {
  listIocs: (ctx, a) => ({ items: listIocs(ctx.store, { includeRemoved: a.includeRemoved }) }),
  addIoc: (ctx, a) => addIoc(ctx.store, ctx.actor, a),
  removeIoc: (ctx, a) => removeIoc(ctx.store, ctx.actor, a.value, a.type),
  setIocEnabled: (ctx, a) => setIocEnabled(ctx.store, ctx.actor, a.value, a.enabled, a.type),
  importIocs: (ctx, a) => importIocs(ctx.store, ctx.actor, a.body, a.format, a.source),
  exportIocs: (ctx, a) => exportIocs(ctx.store, a.format, { includeDisabled: a.includeDisabled }),
  iocHits: (ctx, a) => ({ items: iocHits(ctx.store, { includeDisabled: a.includeDisabled }) }),
  pivot: (ctx, a) =>
    pivot(
      ctx.store,
      { key: a.key, ip: a.ip, principal: a.principal },
      { followCreators: a.followCreators, maxEvents: a.maxEvents, eventLimit: a.eventLimit, allEventIds: a.allEventIds, actor: ctx.actor, since: a.since, until: a.until },
    ),
  runChecks: (ctx, a) => {
    // Bad rule files are refused before the job starts, each named with what is wrong.
    if (a.rules) setCaseSigmaRules(ctx.store, ctx.actor, a.rules);
    const jobId = ctx.jobs.start('analysis', async (report, signal) => {
      // The address indicators read the answers recorded in the case: answer new addresses first (custody-logged).
      if (!ctx.store.readonly && enrichmentAvailable(ctx.store)) enrichCase(ctx.store, ctx.actor);
      const r = await analyseCase(ctx.store, { onProgress: report, signal, buildRefs: ctx.store.readonly ? undefined : { actor: ctx.actor }, ...detectionOptions(ctx.store, ctx.actor) });
      if (ctx.store.readonly) throw new UserError('the case is open read-only: the analysis ran but cannot be stored');
      return recordRun(ctx.store, ctx.actor, r);
    });
    return { jobId };
  },
  listFindings: (ctx, a) => listFindings(ctx.store, a),
  getFinding: (ctx, a) => {
    const run = latestRun(ctx.store);
    const f = run?.findings.find((x) => x.id === a.id);
    if (!f) throw new NotFound(`no finding ${a.id} in the latest analysis run`);
    return withDecisions(ctx.store, [f])[0];
  },
  decideFinding: (ctx, a) => decideFinding(ctx.store, ctx.actor, a.id, a.decision, a.note),
  baselines: (ctx, a) => baselines(ctx.store, a),
  gaps: (ctx, a) => gaps(ctx.store, { digest: a.digest }),
};
