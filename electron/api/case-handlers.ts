// Handlers for the foundation's methods (shared/api/case.ts).
import type { caseApi } from '../../shared/api/case.ts';
import type { CaseInfo, CustodyEntry, ImportWarning, VerifyReport } from '../../shared/types.ts';
import { isoUtc } from '../../shared/time.ts';
import { eventIdWhere, evidenceItem, getEvent, relatedEvents, searchEvents } from '../case/queries.ts';
import type { EvidenceRow } from '../case/evidence.ts';
import { evidenceValidationLookup, verifyCaseParallel, type VerifyOptions } from '../case/verify.ts';
import { importPaths } from '../ingest/import-files.ts';
import type { HandlerContext } from './context.ts';
import type { HandlerTable } from './handlers.ts';

export function caseInfo(ctx: { store: import('../case/store.ts').CaseStore }): CaseInfo {
  const s = ctx.store;
  const m = s.meta();
  const count = (sql: string) => (s.stmt(sql).get() as { n: number }).n;
  // min and max in separate statements: each is one index lookup; together SQLite scans the whole time index.
  const range = { a: (s.stmt('SELECT min(time_ms) AS m FROM events').get() as { m: number | null }).m, b: (s.stmt('SELECT max(time_ms) AS m FROM events').get() as { m: number | null }).m };
  return {
    caseId: m.caseId,
    title: m.title,
    examiner: m.examiner,
    scope: s.scope(),
    createdAt: m.createdAt,
    toolVersion: m.toolVersion,
    schemaVersion: s.db.pragma('user_version', { simple: true }) as number,
    path: s.path,
    counts: {
      events: count('SELECT count(*) AS n FROM events'),
      copies: count('SELECT count(*) AS n FROM event_copies'),
      evidence: count('SELECT count(*) AS n FROM evidence'),
      warnings: count('SELECT count(*) AS n FROM warnings'),
      conflicts: count('SELECT count(*) AS n FROM event_copies WHERE identical = 0'),
      custody: count('SELECT count(*) AS n FROM custody'),
    },
    timeRange: { first: range.a === null ? null : isoUtc(range.a), last: range.b === null ? null : isoUtc(range.b) },
    keys: (s.stmt('SELECT fingerprint, examiner, added_at FROM keys ORDER BY added_at').all() as any[]).map((k) => ({
      fingerprint: k.fingerprint,
      examiner: k.examiner,
      addedAt: k.added_at,
    })),
    lastCheckpoint: s.lastCheckpoint(),
  };
}

export function custodyEntries(store: import('../case/store.ts').CaseStore, offset = 0, limit = 500): { items: CustodyEntry[]; total: number } {
  const rows = store.stmt('SELECT * FROM custody ORDER BY seq LIMIT ? OFFSET ?').all(limit, offset) as any[];
  return {
    items: rows.map((r) => ({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, details: JSON.parse(r.details), toolVersion: r.tool_version, hash: r.hash })),
    total: (store.stmt('SELECT count(*) AS n FROM custody').get() as { n: number }).n,
  };
}

export const caseHandlers: HandlerTable<typeof caseApi> = {
  caseInfo: (ctx) => caseInfo(ctx),
  listEvidence: (ctx, a) => {
    const rows = ctx.store.stmt('SELECT * FROM evidence ORDER BY id LIMIT ? OFFSET ?').all(a.limit, a.offset) as EvidenceRow[];
    const v = evidenceValidationLookup()?.(ctx.store);
    return {
      items: rows.map((r) => evidenceItem(r, v?.get(r.id) ?? null)),
      total: (ctx.store.stmt('SELECT count(*) AS n FROM evidence').get() as { n: number }).n,
    };
  },
  listWarnings: (ctx, a) => {
    const where = a.importId !== undefined ? 'WHERE import_id = ?' : '';
    const params = a.importId !== undefined ? [a.importId] : [];
    const rows = ctx.store.db.prepare(`SELECT * FROM warnings ${where} ORDER BY id LIMIT ? OFFSET ?`).all(...params, a.limit, a.offset) as any[];
    const items: ImportWarning[] = rows.map((r) => ({
      id: r.id,
      importId: r.import_id,
      evidenceId: r.evidence_id,
      origin: r.origin,
      recordIndex: r.record_index,
      code: r.code,
      message: r.message,
    }));
    return { items, total: (ctx.store.db.prepare(`SELECT count(*) AS n FROM warnings ${where}`).get(...params) as { n: number }).n };
  },
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
    const w = eventIdWhere(a.eventId);
    const exists = ctx.store.stmt(`SELECT 1 FROM events WHERE ${w.where}`).get(...w.params);
    if (!exists) throw new Error(`no event ${a.eventId} in this case`);
    return { seq: ctx.store.appendCustody(ctx.actor, 'tag', { eventId: a.eventId, tag: a.tag }) };
  },
  listTags: (ctx, a) => {
    const rows = ctx.store.stmt("SELECT at, actor, details FROM custody WHERE action = 'tag' ORDER BY seq").all() as any[];
    const items = rows
      .map((r) => ({ ...(JSON.parse(r.details) as { eventId: string; tag: string }), at: r.at, actor: r.actor }))
      .filter((t) => a.eventId === undefined || t.eventId === a.eventId);
    return { items };
  },
  jobStatus: (ctx, a) => ctx.jobs.status(a.id),
  cancelJob: (ctx, a) => ({ ok: ctx.jobs.cancel(a.id) }),
  importPaths: async (ctx, a) => {
    const signer = await ctx.signer();
    const jobId = ctx.jobs.start('import', (report, signal) =>
      importPaths(ctx.store, signer, { sources: a.paths, accounts: a.accounts, regions: a.regions, since: a.since, until: a.until }, {
        signal,
        onProgress: (p) => report({ phase: p.phase, done: p.bytes, total: p.totalBytes, unit: 'bytes', detail: `${p.events} events; ${p.detail ?? ''}` }),
      }),
    );
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
