// Offline enrichment and behaviour profiles (README.md, "Addresses and profiles"). Write methods are
// custody-logged by their handlers (electron/api/profile-handlers.ts).
import { z } from 'zod';
import { read, write } from './define.ts';
import type { EnrichmentSource, IpInfo } from '../analysis/enrichment.ts';
import type { Profile } from '../analysis/profile.ts';

const time = z.string().max(64).optional();

export interface EnrichmentRunResult {
  runId: number | null;
  enriched: number;
  unchanged: number;
  sources: EnrichmentSource[];
  seconds: number;
}

export const profileApi = {
  enrichAddresses: write(
    z.object({}).strict(),
    'Answer every source address of the case not yet answered by the databases in force (country, city, ASN, AWS ranges, special-purpose class); one custody entry per run.',
  ).returns<EnrichmentRunResult>(),
  importAwsRanges: write(
    z.object({ body: z.string().min(2).max(30_000_000), name: z.string().min(1).max(500) }).strict(),
    "Bring in a copy of AWS's ip-ranges.json (validated: syncToken, createDate, prefixes); stored whole in the case and used from then on; custody-logged.",
  ).returns<{ source: EnrichmentSource }>(),
  enrichmentSources: read(z.object({}).strict(), 'Every enrichment database recorded in the case, with version, date, SHA-256, licence and attribution.').returns<{
    sources: EnrichmentSource[];
  }>(),
  lookupAddresses: read(
    z.object({ addresses: z.array(z.string().min(1).max(200)).min(1).max(1000) }).strict(),
    'The enrichment answers in force for these recorded source addresses (null where never enriched).',
  ).returns<{ items: { address: string; info: IpInfo | null }[] }>(),
  profile: write(
    z
      .object({
        principal: z.string().max(2048).optional(),
        key: z.string().max(128).optional(),
        ip: z.string().max(200).optional(),
        account: z.string().max(64).optional(),
        since: time,
        until: time,
        split: time,
        limit: z.number().int().min(1).max(10_000).default(200),
      })
      .strict()
      .refine((a) => [a.principal, a.key, a.ip, a.account].filter(Boolean).length === 1, { message: 'exactly one of principal, key or ip (or an account)' }),
    'Behaviour profile of one principal, access key, address or account with a before/after split. Writes only to enrich addresses not yet enriched (custody-logged).',
  ).returns<Profile>(),
};
