// Import sources other than local files (S3, LookupEvents, CloudTrail Lake)
// register here; `trailcase import` and the API pick the source by the form of
// the argument (s3://…, lookup:, lake:…, athena:…).
import type { ParseArgsConfig } from 'node:util';
import type { ImportSummary, Progress } from '../../shared/types.ts';
import type { Signer } from '../case/keys.ts';
import type { CaseStore } from '../case/store.ts';

export interface RemoteImportRequest {
  /** The argument as given, e.g. s3://bucket/prefix or lookup: */
  arg: string;
  /** Every CLI option value (--region, --since, --profile, ...). */
  values: Record<string, any>;
}

export interface RemoteSource {
  name: string;
  /** Usage text for the extra options, shown by `trailcase import --help`. */
  usage: string;
  matches(arg: string): boolean;
  options?: ParseArgsConfig['options'];
  run(
    store: CaseStore,
    signer: Signer,
    req: RemoteImportRequest,
    /** notice: a line the examiner should see (e.g. what an Athena query scanned and cost), not a warning. */
    opts: { signal?: AbortSignal; onProgress?: (p: Progress) => void; notice?: (line: string) => void },
  ): Promise<ImportSummary>;
}

const sources: RemoteSource[] = [];

export function registerRemoteSource(s: RemoteSource): void {
  if (sources.some((x) => x.name === s.name)) throw new Error(`import source ${s.name} registered twice`);
  sources.push(s);
}

export function remoteSources(): RemoteSource[] {
  return [...sources];
}

export function remoteSourceFor(arg: string): RemoteSource | undefined {
  return sources.find((s) => s.matches(arg));
}
