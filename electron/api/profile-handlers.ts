// Handlers for enrichment and profiles (shared/api/profile.ts).
import type { profileApi } from '../../shared/api/profile.ts';
import { enrichCase, enrichmentByText, importAwsRangesText, listSources } from '../analysis/enrich/enrich.ts';
import { profile } from '../analysis/profile.ts';
import type { HandlerTable } from './handlers.ts';

export const profileHandlers: HandlerTable<typeof profileApi> = {
  enrichAddresses: (ctx) => enrichCase(ctx.store, ctx.actor),
  importAwsRanges: (ctx, a) => ({ source: importAwsRangesText(ctx.store, ctx.actor, a.body, a.name) }),
  enrichmentSources: (ctx) => ({ sources: listSources(ctx.store) }),
  lookupAddresses: (ctx, a) => {
    const all = enrichmentByText(ctx.store);
    return { items: a.addresses.map((address) => ({ address, info: all.get(address) ?? null })) };
  },
  profile: (ctx, a) =>
    profile(ctx.store, a.principal ? 'principal' : a.key ? 'key' : a.account ? 'account' : 'ip', (a.principal ?? a.key ?? a.account ?? a.ip)!, {
      since: a.since, until: a.until, split: a.split, limit: a.limit, actor: ctx.actor,
    }),
};
