// Handlers for shared/api/acquire.ts (README.md, "Acquisition from AWS"). The source is picked and its
// options validated by the source registry (../ingest/source-list.ts), as the
// CLI does; loading it also registers the CloudTrail source validator of
// `verify` and the per-evidence validation lookup.
import type { acquireApi, CloudTrailValidationReport } from '../../shared/api/acquire.ts';
import { UserError } from '../errors.ts';
import { SOURCES } from '../ingest/source-list.ts';
import { sourceOptions } from '../ingest/sources.ts';
import { lakeQueryFor, listEventDataStores } from '../ingest/aws/lake-source.ts';
import { eventDataStoreId } from '../ingest/aws/lake-sql.ts';
import { athenaQueryFor } from '../ingest/aws/athena-source.ts';
import { parseAthenaTable } from '../ingest/aws/athena-sql.ts';
import { RESULT_SEVERITY, validateCase, validationPopulation, validationSummary } from '../ingest/aws/validation.ts';
import { importPublicKeysFile } from '../ingest/aws/public-keys-store.ts';
import type { HandlerTable } from './handlers.ts';

export function cloudTrailValidationReport(store: import('../case/store.ts').CaseStore, onlyProblems = false): CloudTrailValidationReport {
  const r = validateCase(store);
  const population = validationPopulation(store, r);
  return {
    population,
    summary: validationSummary(population, r.counts),
    objects: r.objects
      .map((o) => ({ ...o, severity: RESULT_SEVERITY[o.result] }))
      .filter((o) => !onlyProblems || o.severity !== 'ok'),
    digests: r.digests
      .filter((d) => !onlyProblems || d.status !== 'valid')
      .map((d) => ({
        evidenceId: d.evidenceId,
        key: d.key,
        status: d.status,
        signature: d.signature,
        chain: d.chain,
        chainDetail: d.chainDetail,
        gapBefore: d.gapBefore,
        digestStartTime: d.digestStartTime,
        digestEndTime: d.digestEndTime,
        logFilesListed: d.logFilesListed,
        logFilesPresent: d.logFilesPresent,
      })),
    counts: r.counts,
    failures: r.failures,
    warnings: r.warnings,
    publicKeys: r.publicKeys,
    missingLogs: r.missingLogs,
    validator: r.validator,
  };
}

export const acquireHandlers: HandlerTable<typeof acquireApi> = {
  acquire: async (ctx, a) => {
    const { source, ...options } = a;
    const arg = source.trim();
    // Local files and folders come in through importPaths; acquire is for the sources that fetch.
    const remote = SOURCES.all.filter((s) => !s.together);
    const src = SOURCES.for(arg);
    if (!src || src.together) {
      const forms = remote.map((s) => s.form);
      throw new UserError(`acquire: ${arg.slice(0, 100)} is not ${forms.slice(0, -1).join(', ')} or ${forms[forms.length - 1]}`);
    }
    const o = sourceOptions(src, options, 'api');
    const signer = await ctx.signer();
    return { jobId: ctx.jobs.start('acquire', (report, signal) => src.run(ctx.store, signer, [arg], o, { signal, onProgress: report })) };
  },
  listEventDataStores: async (_ctx, a) => ({ items: await listEventDataStores({ region: a.region, profile: a.profile, endpointUrl: a.endpointUrl }) }),
  lakeQueryPreview: (ctx, a) => {
    const eds = a.eventDataStore.replace(/^lake:/, '');
    const { sql, built } = lakeQueryFor(ctx.store, eds, {
      sql: a.sql,
      since: a.since,
      until: a.until,
      accounts: a.accounts,
      regions: a.regions,
      eventNames: a.eventNames,
      useIocs: a.useIocs,
      limit: a.limit,
    });
    let id: string | null = built?.eventDataStoreId ?? null;
    if (id === null) {
      try {
        id = eventDataStoreId(eds);
      } catch {
        id = null;
      }
    }
    return { sql, eventDataStoreId: id, conditions: built?.conditions ?? ['(SQL given as is)'], skipped: built?.skipped ?? [] };
  },
  athenaQueryPreview: (ctx, a) => {
    let t;
    try {
      t = parseAthenaTable(a.table);
    } catch (e) {
      throw new UserError(`athena: ${(e as Error).message}`);
    }
    const { sql, built } = athenaQueryFor(ctx.store, t, a);
    return { sql, ...t, conditions: built?.conditions ?? ['(SQL given as is)'], skipped: built?.skipped ?? [] };
  },
  addPublicKeys: async (ctx, a) => importPublicKeysFile(ctx.store, await ctx.signer(), a.path),
  cloudTrailValidation: (ctx, a) => cloudTrailValidationReport(ctx.store, a.onlyProblems),
};
