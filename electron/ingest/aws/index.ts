// Acquisition from AWS (issue 4), registered with the foundation's extension
// points: the remote import sources (s3://, lookup:, lake:, athena:), the
// CloudTrail digest source validator run by `trailcase verify`, and the
// per-evidence validation shown by listEvidence. Imported for these side
// effects by electron/api/acquire-handlers.ts (so every transport and the CLI
// see them).
import type { ParseArgsConfig } from 'node:util';
import { registerSourceValidator, setEvidenceValidationLookup } from '../../case/verify.ts';
import { UserError } from '../../errors.ts';
import { registerRemoteSource } from '../sources.ts';
import type { AwsOptions } from './client.ts';
import { parsePartitions } from './athena-sql.ts';
import { importAthena } from './athena-source.ts';
import { importLake } from './lake-source.ts';
import { importLookup } from './lookup-source.ts';
import { importS3 } from './s3-source.ts';
import { evidenceValidationResults, sourceValidation } from './validation.ts';

/** Comma-separated and repeated option values as one list. */
export function optionList(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const arr = Array.isArray(v) ? v : [v];
  const out = arr.flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter(Boolean);
  return out.length ? out : undefined;
}

function positiveInt(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--${name} must be a positive whole number`);
  return n;
}

/** AWS options common to the three sources, from CLI values (credentials never come from options). */
export function awsOptionsFrom(values: Record<string, any>): AwsOptions {
  return {
    profile: values.profile ?? undefined,
    endpointUrl: values['endpoint-url'] ?? undefined,
  };
}

const AWS_OPTIONS: ParseArgsConfig['options'] = {
  profile: { type: 'string' },
  'endpoint-url': { type: 'string' },
};

registerRemoteSource({
  name: 's3',
  usage: 's3://BUCKET/PREFIX [--account A] [--region R] [--since T] [--until T] [--public-keys FILE] [--concurrency N] [--profile P] [--endpoint-url URL]',
  matches: (arg) => arg.startsWith('s3://'),
  options: { ...AWS_OPTIONS, 'public-keys': { type: 'string' }, concurrency: { type: 'string' } },
  run: (store, signer, req, opts) =>
    importS3(store, signer, req.arg, {
      ...awsOptionsFrom(req.values),
      accounts: optionList(req.values.account),
      regions: optionList(req.values.region),
      since: req.values.since,
      until: req.values.until,
      publicKeysFile: req.values['public-keys'],
      concurrency: positiveInt(req.values.concurrency, 'concurrency'),
      workers: positiveInt(req.values.workers, 'workers'),
      signal: opts.signal,
      onProgress: opts.onProgress,
    }),
});

registerRemoteSource({
  name: 'lookup',
  usage: 'lookup: --region R|all [--since T] [--until T] [--attribute Name=Value] [--profile P] [--endpoint-url URL]',
  matches: (arg) => arg === 'lookup:' || arg === 'lookup',
  options: { ...AWS_OPTIONS, attribute: { type: 'string' } },
  run: (store, signer, req, opts) =>
    importLookup(store, signer, req.arg, {
      ...awsOptionsFrom(req.values),
      regions: optionList(req.values.region),
      since: req.values.since,
      until: req.values.until,
      attribute: req.values.attribute,
      signal: opts.signal,
      onProgress: opts.onProgress,
    }),
});

registerRemoteSource({
  name: 'lake',
  usage: 'lake:EVENT_DATA_STORE_ARN_OR_ID [--sql SQL | [--since T] [--until T] [--account A] [--region R] [--ioc]] [--profile P] [--endpoint-url URL]',
  matches: (arg) => arg.startsWith('lake:'),
  options: { ...AWS_OPTIONS, sql: { type: 'string' }, ioc: { type: 'boolean' } },
  run: (store, signer, req, opts) =>
    importLake(store, signer, req.arg, {
      ...awsOptionsFrom(req.values),
      sql: req.values.sql,
      since: req.values.since,
      until: req.values.until,
      accounts: optionList(req.values.account),
      regions: optionList(req.values.region),
      useIocs: !!req.values.ioc,
      signal: opts.signal,
      onProgress: opts.onProgress,
    }),
});

registerRemoteSource({
  name: 'athena',
  usage:
    'athena:DATABASE.TABLE [--sql SQL | [--since T] [--until T] [--account A] [--region R] [--ioc] [--partitions account,region,timestamp|none]] ' +
    '[--workgroup W] [--output s3://…] [--athena-region R] [--public-keys FILE] [--profile P] [--endpoint-url URL] [--s3-endpoint-url URL]',
  matches: (arg) => arg.startsWith('athena:'),
  options: {
    ...AWS_OPTIONS,
    sql: { type: 'string' },
    ioc: { type: 'boolean' },
    workgroup: { type: 'string' },
    output: { type: 'string' },
    partitions: { type: 'string' },
    'athena-region': { type: 'string' },
    's3-endpoint-url': { type: 'string' },
    'public-keys': { type: 'string' },
    concurrency: { type: 'string' },
  },
  run: (store, signer, req, opts) => {
    let partitions;
    try {
      partitions = parsePartitions(req.values.partitions);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    return importAthena(store, signer, req.arg, {
      ...awsOptionsFrom(req.values),
      s3EndpointUrl: req.values['s3-endpoint-url'] ?? undefined,
      region: req.values['athena-region'] ?? undefined,
      sql: req.values.sql,
      useIocs: !!req.values.ioc,
      workgroup: req.values.workgroup,
      outputLocation: req.values.output,
      partitions,
      since: req.values.since,
      until: req.values.until,
      accounts: optionList(req.values.account),
      regions: optionList(req.values.region),
      publicKeysFile: req.values['public-keys'],
      concurrency: positiveInt(req.values.concurrency, 'concurrency'),
      workers: positiveInt(req.values.workers, 'workers'),
      signal: opts.signal,
      onProgress: opts.onProgress,
      notice: opts.notice,
    });
  },
});

registerSourceValidator(sourceValidation);
setEvidenceValidationLookup(evidenceValidationResults);
