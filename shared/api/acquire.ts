// Acquisition from AWS (README.md, "Acquisition from AWS"): start an S3 / LookupEvents / Lake import as
// a job, list Lake event data stores, preview the Lake query the builder would
// run, and read CloudTrail's own validation of the case's copies.
import { z } from 'zod';
import { read, write } from './define.ts';
import type { ImportSummary } from '../types.ts';
import { athenaSourceOptions, awsSourceOptions, lakeSourceOptions, lookupSourceOptions, s3SourceOptions } from '../sources.ts';

const list = z.array(z.string().max(2_000)).max(10_000).optional();
const time = z.string().max(64).optional();
const aws = awsSourceOptions.shape;

export interface EventDataStore {
  arn: string;
  id: string;
  name: string | null;
  status: string | null;
  multiRegion: boolean | null;
  organization: boolean | null;
  retentionDays: number | null;
  createdAt: string | null;
}

export interface LakeQueryPreview {
  sql: string;
  eventDataStoreId: string | null;
  conditions: string[];
  skipped: { ioc: { type: string; value: string }; reason: string }[];
}

export interface AthenaQueryPreview {
  sql: string;
  database: string;
  table: string;
  conditions: string[];
  skipped: { ioc: { type: string; value: string }; reason: string }[];
}

/** One CloudTrail log or digest file of the case and its result (see electron/ingest/aws/validation.ts). */
export interface CloudTrailObjectValidation {
  evidenceId: number;
  origin: string;
  kind: 'log' | 'digest';
  key: string;
  bucket: string | null;
  result: string;
  severity: 'ok' | 'warning' | 'failure';
  detail: string;
}

export interface CloudTrailDigestSummary {
  evidenceId: number;
  key: string;
  status: string;
  signature: string;
  chain: string;
  chainDetail: string;
  gapBefore: { from: string | null; to: string; reason: string } | null;
  digestStartTime: string | null;
  digestEndTime: string | null;
  logFilesListed: number;
  logFilesPresent: number;
}

export interface CloudTrailValidationReport {
  objects: CloudTrailObjectValidation[];
  digests: CloudTrailDigestSummary[];
  counts: Record<string, number>;
  failures: number;
  warnings: number;
  publicKeys: { count: number; sources: number[]; problems: string[] };
  missingLogs: number;
  validator: { name: string; version: string; digestValidator: { name: string; version: string } | null };
  /**
   * What the case holds, whether or not it can be validated: log files (the Records format) and digest files,
   * and how many of each sit under a CloudTrail S3 key layout (only those can be matched and validated).
   */
  population: ValidationPopulation;
  /** One true sentence about what was and could be validated (e.g. "1,204 log files, no digest files, so none can be validated"). */
  summary: string;
}

export interface ValidationPopulation {
  logFiles: number;
  digestFiles: number;
  logFilesInLayout: number;
  digestFilesInLayout: number;
  /** Sources CloudTrail digests never cover (lookup-events, Lake results, arrays, JSON lines). */
  otherSources: number;
}

export const acquireApi = {
  acquire: write(
    z
      .object({
        /** s3://BUCKET/PREFIX, lookup:, lake:EVENT_DATA_STORE or athena:DATABASE.TABLE */
        source: z.string().min(1).max(2_000),
        // Every source's options (shared/sources.ts); the source picked validates its own again and ignores the others'.
        ...s3SourceOptions.shape,
        ...lookupSourceOptions.shape,
        ...lakeSourceOptions.shape,
        ...athenaSourceOptions.shape,
      })
      .strict(),
    'Acquire from AWS (S3 with digests, LookupEvents, CloudTrail Lake, Athena-chosen S3 objects) as a background job; returns the job id.',
  ).returns<{ jobId: string }>(),
  listEventDataStores: read(
    z.object({ region: z.string().min(1).max(64), ...aws }).strict(),
    'CloudTrail Lake event data stores of a Region (calls AWS; changes nothing in the case).',
  ).returns<{ items: EventDataStore[] }>(),
  lakeQueryPreview: read(
    z
      .object({
        eventDataStore: z.string().min(1).max(2_000),
        since: time,
        until: time,
        accounts: list,
        regions: list,
        eventNames: list,
        useIocs: z.boolean().optional(),
        limit: z.number().int().min(1).optional(),
        sql: z.string().max(100_000).optional(),
      })
      .strict(),
    'The SQL a Lake import would run: the builder over the case scope, these options and (useIocs) the case indicators.',
  ).returns<LakeQueryPreview>(),
  athenaQueryPreview: read(
    z
      .object({
        table: z.string().min(1).max(600),
        since: time,
        until: time,
        accounts: list,
        regions: list,
        useIocs: z.boolean().optional(),
        partitions: z.array(z.enum(['account', 'region', 'timestamp'])).max(3).optional(),
        sql: z.string().max(100_000).optional(),
      })
      .strict(),
    'The SQL an Athena import would run (it is billed by the data it scans): the builder over the case scope, these options and (useIocs) the case indicators.',
  ).returns<AthenaQueryPreview>(),
  addPublicKeys: write(
    z.object({ path: z.string().min(1).max(4_096) }).strict(),
    'Preserve a file of `aws cloudtrail list-public-keys` output in the case (for validating folder copies offline).',
  ).returns<ImportSummary>(),
  cloudTrailValidation: read(
    z.object({ onlyProblems: z.boolean().default(false) }).strict(),
    "CloudTrail's own integrity chain (digests, signatures, log hashes) checked on the case's copies.",
  ).returns<CloudTrailValidationReport>(),
};
