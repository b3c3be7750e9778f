// Handlers for the foundation's methods (shared/api/case.ts).
import type { caseApi } from '../../shared/api/case.ts';
import type { CaseInfo, CustodyEntry, VerifyReport } from '../../shared/types.ts';
import { isoUtc } from '../../shared/time.ts';
import { evidenceItem, getEvent, relatedEvents, searchEvents } from '../case/queries.ts';
import { custodyCount, custodyOfAction, custodyPage } from '../case/data/custody.ts';
import { evidenceCount, evidencePage } from '../case/data/evidence.ts';
import { eventExists, eventTimeRange } from '../case/data/events.ts';
import { caseCounts, keyRows, schemaVersion } from '../case/data/meta.ts';
import { warningsPage } from '../case/data/warnings.ts';
import { evidenceValidationLookup, verifyCaseParallel, type VerifyOptions } from '../case/verify.ts';
import { SOURCES } from '../ingest/source-list.ts';
import { sourceOptions } from '../ingest/sources.ts';
import { NotFound } from '../errors.ts';
import type { HandlerContext } from './context.ts';
import type { HandlerTable } from './handlers.ts';

export function caseInfo(ctx: { store: import('../case/store.ts').CaseStore }): CaseInfo {
  const s = ctx.store;
  const m = s.meta();
  const range = eventTimeRange(s.reader);
  return {
    caseId: m.caseId,
    title: m.title,
    examiner: m.examiner,
    scope: s.scope(),
    createdAt: m.createdAt,
    toolVersion: m.toolVersion,
    schemaVersion: schemaVersion(s.reader),
    path: s.path,
    counts: caseCounts(s.reader),
    timeRange: { first: range.first === null ? null : isoUtc(range.first), last: range.last === null ? null : isoUtc(range.last) },
    keys: keyRows(s.reader).map((k) => ({
      fingerprint: k.fingerprint,
      examiner: k.examiner,
      addedAt: k.added_at,
    })),
    lastCheckpoint: s.lastCheckpoint(),
  };
}

export function custodyEntries(store: import('../case/store.ts').CaseStore, offset = 0, limit = 500): { items: CustodyEntry[]; total: number } {
  return { items: custodyPage(store.reader, offset, limit), total: custodyCount(store.reader) };
}

export const caseHandlers: HandlerTable<typeof caseApi> = {
  caseInfo: (ctx) => caseInfo(ctx),
  listEvidence: (ctx, a) => {
    const rows = evidencePage(ctx.store.reader, a.offset, a.limit);
    const v = evidenceValidationLookup()?.(ctx.store);
    return {
      items: rows.map((r) => evidenceItem(r, v?.get(r.id) ?? null)),
      total: evidenceCount(ctx.store.reader),
    };
  },
  listWarnings: (ctx, a) => warningsPage(ctx.store.reader, { importId: a.importId, offset: a.offset, limit: a.limit }),
  custodyLog: (ctx, a) => custodyEntries(ctx.store, a.offset, a.limit),
  searchEvents: (ctx, a) => searchEvents(ctx.store, a.filter, { offset: a.offset, limit: a.limit, sort: a.sort, desc: a.desc }),
  getEvent: (ctx, a) => getEvent(ctx.store, a.eventId),
  relatedEvents: (ctx, a) => ({ events: relatedEvents(ctx.store, a.eventId, a.by, a.limit) }),
  verify: (ctx) => verifyLogged(ctx),
  verifyJob: (ctx) => ({
    jobId: ctx.jobs.start('verify', (report) =>
      verifyLogged(ctx, (done, total, phase) => report({ phase: phase ?? 'events', done, total, unit: 'events' })),
    ),
  }),
  addNote: (ctx, a) => ({ seq: ctx.store.appendCustody(ctx.actor, 'note', { target: a.target ?? 'case', text: a.text }) }),
  addTag: (ctx, a) => {
    if (!eventExists(ctx.store.reader, a.eventId)) throw new NotFound(`no event ${a.eventId} in this case`);
    return { seq: ctx.store.appendCustody(ctx.actor, 'tag', { eventId: a.eventId, tag: a.tag }) };
  },
  listTags: (ctx, a) => {
    const items = custodyOfAction(ctx.store.reader, 'tag')
      .map((r) => ({ ...(r.details as { eventId: string; tag: string }), at: r.at, actor: r.actor }))
      .filter((t) => a.eventId === undefined || t.eventId === a.eventId);
    return { items };
  },
  jobStatus: (ctx, a) => ctx.jobs.status(a.id),
  cancelJob: (ctx, a) => ({ ok: ctx.jobs.cancel(a.id) }),
  importPaths: async (ctx, a) => {
    const { paths, workers, ...options } = a;
    const files = SOURCES.get('files');
    const o = sourceOptions(files, options, 'api');
    const signer = await ctx.signer();
    const jobId = ctx.jobs.start('import', (report, signal) => files.run(ctx.store, signer, paths, o, { signal, onProgress: report, workers }));
    return { jobId };
  },
};


/** Verify on every core (worker threads for a big case), then log it. */
async function verifyLogged(ctx: HandlerContext, onProgress?: VerifyOptions['onProgress']): Promise<VerifyReport> {
  const r = await verifyCaseParallel(ctx.store, { onProgress });
  ctx.store.appendCustody(ctx.actor, 'verify', {
    ok: r.ok,
    treeSize: r.treeSize,
    root: r.root,
    problems: r.problems.length,
    warnings: r.warnings.length,
    integrityCheck: r.integrityCheck,
    sourceFailures: r.sourceValidation.filter((s) => s.result !== 'valid').length,
  });
  return r;
}
