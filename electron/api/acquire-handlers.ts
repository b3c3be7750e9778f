// Handlers for shared/api/acquire.ts (issue 4). Importing ../ingest/aws/index.ts
// registers the s3:// lookup: lake: sources, the CloudTrail source validator
// of `verify` and the per-evidence validation lookup.
import type { acquireApi, CloudTrailValidationReport } from '../../shared/api/acquire.ts';
import { UserError } from '../errors.ts';
import '../ingest/aws/index.ts';
import { importLake, lakeQueryFor, listEventDataStores } from '../ingest/aws/lake-source.ts';
import { eventDataStoreId } from '../ingest/aws/lake-sql.ts';
import { importLookup } from '../ingest/aws/lookup-source.ts';
import { importS3 } from '../ingest/aws/s3-source.ts';
import { athenaQueryFor, importAthena } from '../ingest/aws/athena-source.ts';
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
    const signer = await ctx.signer();
    const aws = { profile: a.profile, endpointUrl: a.endpointUrl };
    const src = a.source.trim();
    let run: (signal: AbortSignal, onProgress: (p: import('../../shared/types.ts').Progress) => void) => Promise<unknown>;
    if (src.startsWith('s3://')) {
      run = (signal, onProgress) =>
        importS3(ctx.store, signer, src, {
          ...aws,
          accounts: a.accounts,
          regions: a.regions,
          since: a.since,
          until: a.until,
          publicKeysFile: a.publicKeysFile,
          concurrency: a.concurrency,
          signal,
          onProgress,
        });
    } else if (src === 'lookup:' || src === 'lookup') {
      run = (signal, onProgress) => importLookup(ctx.store, signer, src, { ...aws, regions: a.regions, since: a.since, until: a.until, attribute: a.attribute, signal, onProgress });
    } else if (src.startsWith('lake:')) {
      run = (signal, onProgress) =>
        importLake(ctx.store, signer, src, { ...aws, sql: a.sql, since: a.since, until: a.until, accounts: a.accounts, regions: a.regions, useIocs: a.useIocs, signal, onProgress });
    } else if (src.startsWith('athena:')) {
      run = (signal, onProgress) =>
        importAthena(ctx.store, signer, src, {
          ...aws,
          s3EndpointUrl: a.s3EndpointUrl,
          region: a.athenaRegion,
          sql: a.sql,
          useIocs: a.useIocs,
          workgroup: a.workgroup,
          outputLocation: a.outputLocation,
          partitions: a.partitions,
          since: a.since,
          until: a.until,
          accounts: a.accounts,
          regions: a.regions,
          publicKeysFile: a.publicKeysFile,
          concurrency: a.concurrency,
          signal,
          onProgress,
        });
    } else {
      throw new UserError(`acquire: ${src.slice(0, 100)} is not s3://BUCKET/PREFIX, lookup:, lake:EVENT_DATA_STORE or athena:DATABASE.TABLE`);
    }
    return { jobId: ctx.jobs.start('acquire', (report, signal) => run(signal, report)) };
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
