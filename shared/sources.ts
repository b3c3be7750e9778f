// The import sources' options, declared once (zod). The API's `acquire`
// arguments are built from them (shared/api/acquire.ts), the CLI maps its flags
// onto them, and the source registry (electron/ingest/sources.ts) validates
// with them before it runs a source: the same limits at every door. Pure, so
// the renderer can build a form from the same declarations.
import { z } from 'zod';

const list = z.array(z.string().max(2_000)).max(10_000).optional();
const time = z.string().max(64).optional();

/** Where the examiner's AWS credentials come from (never the credentials themselves). */
export const awsSourceOptions = z.object({
  profile: z.string().max(200).optional(),
  endpointUrl: z.string().max(2_000).optional(),
});

/** The case scope a source narrows to (accounts, Regions, a time window). */
const scope = { accounts: list, regions: list, since: time, until: time };

export const filesSourceOptions = z.object(scope);

/** How a source runs, not what it imports (the run context's knobs, electron/ingest/sources.ts SourceRunContext). */
export const sourceRunOptions = z.object({
  /** Parser threads (default: one per core, at most 4). */
  workers: z.number().int().min(0).max(64).optional(),
});

export const s3SourceOptions = awsSourceOptions.extend({
  ...scope,
  publicKeysFile: z.string().max(4_096).optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
});

export const lookupSourceOptions = awsSourceOptions.extend({
  regions: list,
  since: time,
  until: time,
  attribute: z.string().max(2_000).optional(),
});

export const lakeSourceOptions = awsSourceOptions.extend({
  ...scope,
  sql: z.string().max(100_000).optional(),
  useIocs: z.boolean().optional(),
});

export const ATHENA_PARTITION_COLUMNS = ['account', 'region', 'timestamp'] as const;

export const athenaSourceOptions = awsSourceOptions.extend({
  ...scope,
  sql: z.string().max(100_000).optional(),
  useIocs: z.boolean().optional(),
  /** Athena: workgroup, result location, the table's partition columns, the Athena Region, a separate S3 endpoint. */
  workgroup: z.string().max(128).optional(),
  outputLocation: z.string().max(2_000).optional(),
  partitions: z.array(z.enum(ATHENA_PARTITION_COLUMNS)).max(3).optional(),
  athenaRegion: z.string().max(64).optional(),
  s3EndpointUrl: z.string().max(2_000).optional(),
  publicKeysFile: z.string().max(4_096).optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
});

export type FilesSourceOptions = z.infer<typeof filesSourceOptions>;
export type S3SourceOptions = z.infer<typeof s3SourceOptions>;
export type LookupSourceOptions = z.infer<typeof lookupSourceOptions>;
export type LakeSourceOptions = z.infer<typeof lakeSourceOptions>;
export type AthenaSourceOptions = z.infer<typeof athenaSourceOptions>;
