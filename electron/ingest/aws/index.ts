// Acquisition from AWS (README.md, "Acquisition from AWS"): the import sources s3://, lookup:, lake:,
// athena: as units for the source registry (composed in ../source-list.ts),
// and, registered with the foundation's extension points, the CloudTrail
// digest source validator run by `trailcase verify` and the per-evidence
// validation shown by listEvidence (registered when ../source-list.ts is
// loaded, which every transport does through electron/api).
import type { ParseArgsConfig } from 'node:util';
import { registerSourceValidator, setEvidenceValidationLookup } from '../../case/verify.ts';
import { UserError } from '../../errors.ts';
import { optionList, positiveInt, SCOPE_FLAGS, type ImportSource } from '../sources.ts';
import { athenaSourceOptions, lakeSourceOptions, lookupSourceOptions, s3SourceOptions } from '../../../shared/sources.ts';
import type { AwsOptions } from './client.ts';
import { parsePartitions } from './athena-sql.ts';
import { importAthena } from './athena-source.ts';
import { importLake } from './lake-source.ts';
import { importLookup } from './lookup-source.ts';
import { importS3 } from './s3-source.ts';
import { evidenceValidationResults, sourceValidation } from './validation.ts';

export { optionList };

/** AWS options common to the sources, from CLI values (credentials never come from options). */
export function awsOptionsFrom(values: Record<string, any>): AwsOptions {
  return {
    profile: values.profile ?? undefined,
    endpointUrl: values['endpoint-url'] ?? undefined,
  };
}

const AWS_FLAGS: NonNullable<ParseArgsConfig['options']> = {
  profile: { type: 'string' },
  'endpoint-url': { type: 'string' },
};

export const s3Source: ImportSource<typeof s3SourceOptions> = {
  name: 's3',
  form: 's3://BUCKET/PREFIX',
  usage: 's3://BUCKET/PREFIX [--account A] [--region R] [--since T] [--until T] [--public-keys FILE] [--concurrency N] [--profile P] [--endpoint-url URL]',
  matches: (arg) => arg.startsWith('s3://'),
  options: s3SourceOptions,
  cli: {
    flags: { ...SCOPE_FLAGS, ...AWS_FLAGS, 'public-keys': { type: 'string' }, concurrency: { type: 'string' } },
    options: (v) => ({
      ...awsOptionsFrom(v),
      accounts: optionList(v.account),
      regions: optionList(v.region),
      since: v.since,
      until: v.until,
      publicKeysFile: v['public-keys'],
      concurrency: positiveInt(v.concurrency, 'concurrency'),
    }),
  },
  run: (store, signer, [arg], o, ctx) => importS3(store, signer, arg, { ...o, workers: ctx.workers, signal: ctx.signal, onProgress: ctx.onProgress }),
};

export const lookupSource: ImportSource<typeof lookupSourceOptions> = {
  name: 'lookup',
  form: 'lookup:',
  usage: 'lookup: --region R|all [--since T] [--until T] [--attribute Name=Value] [--profile P] [--endpoint-url URL]',
  matches: (arg) => arg === 'lookup:' || arg === 'lookup',
  options: lookupSourceOptions,
  cli: {
    flags: { ...SCOPE_FLAGS, ...AWS_FLAGS, attribute: { type: 'string' } },
    options: (v) => ({ ...awsOptionsFrom(v), regions: optionList(v.region), since: v.since, until: v.until, attribute: v.attribute }),
  },
  run: (store, signer, [arg], o, ctx) => importLookup(store, signer, arg, { ...o, signal: ctx.signal, onProgress: ctx.onProgress }),
};

export const lakeSource: ImportSource<typeof lakeSourceOptions> = {
  name: 'lake',
  form: 'lake:EVENT_DATA_STORE',
  usage: 'lake:EVENT_DATA_STORE_ARN_OR_ID [--sql SQL | [--since T] [--until T] [--account A] [--region R] [--ioc]] [--profile P] [--endpoint-url URL]',
  matches: (arg) => arg.startsWith('lake:'),
  options: lakeSourceOptions,
  cli: {
    flags: { ...SCOPE_FLAGS, ...AWS_FLAGS, sql: { type: 'string' }, ioc: { type: 'boolean' } },
    options: (v) => ({
      ...awsOptionsFrom(v),
      sql: v.sql,
      since: v.since,
      until: v.until,
      accounts: optionList(v.account),
      regions: optionList(v.region),
      useIocs: !!v.ioc,
    }),
  },
  run: (store, signer, [arg], o, ctx) => importLake(store, signer, arg, { ...o, signal: ctx.signal, onProgress: ctx.onProgress }),
};

export const athenaSource: ImportSource<typeof athenaSourceOptions> = {
  name: 'athena',
  form: 'athena:DATABASE.TABLE',
  usage:
    'athena:DATABASE.TABLE [--sql SQL | [--since T] [--until T] [--account A] [--region R] [--ioc] [--partitions account,region,timestamp|none]] ' +
    '[--workgroup W] [--output s3://…] [--athena-region R] [--public-keys FILE] [--profile P] [--endpoint-url URL] [--s3-endpoint-url URL]',
  matches: (arg) => arg.startsWith('athena:'),
  options: athenaSourceOptions,
  cli: {
    flags: {
      ...SCOPE_FLAGS,
      ...AWS_FLAGS,
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
    options: (v) => {
      let partitions;
      try {
        partitions = parsePartitions(v.partitions);
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      return {
        ...awsOptionsFrom(v),
        s3EndpointUrl: v['s3-endpoint-url'] ?? undefined,
        athenaRegion: v['athena-region'] ?? undefined,
        sql: v.sql,
        useIocs: !!v.ioc,
        workgroup: v.workgroup,
        outputLocation: v.output,
        partitions,
        since: v.since,
        until: v.until,
        accounts: optionList(v.account),
        regions: optionList(v.region),
        publicKeysFile: v['public-keys'],
        concurrency: positiveInt(v.concurrency, 'concurrency'),
      };
    },
  },
  run: (store, signer, [arg], { athenaRegion, ...o }, ctx) =>
    importAthena(store, signer, arg, { ...o, region: athenaRegion, workers: ctx.workers, signal: ctx.signal, onProgress: ctx.onProgress, notice: ctx.notice }),
};

registerSourceValidator(sourceValidation);
setEvidenceValidationLookup(evidenceValidationResults);
