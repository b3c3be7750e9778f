// The event filter used by search, the timeline, exports and reports, declared
// once: the zod schema checks it at every transport boundary and the TypeScript
// type is derived from it, so the two cannot drift. All lists are OR within,
// AND across.
import { z } from 'zod';

const list = z.array(z.string().max(2_000)).max(10_000).optional();

export const eventFilterSchema = z
  .object({
    ips: list,
    userAgents: list,
    accessKeys: list,
    principals: list,
    eventNames: list,
    eventSources: list,
    regions: list,
    accounts: list,
    errorCodes: list,
    since: z.string().max(64).optional(),
    until: z.string().max(64).optional(),
    eventIds: z.array(z.string().max(200)).max(100_000).optional(),
    ioc: z.boolean().optional(),
  })
  .strict();

/** Filter used by search, the timeline and exports (see eventFilterSchema). `eventIds` restricts to findings' or pivots' events; `ioc` to events matching an enabled indicator. */
export type EventFilter = z.input<typeof eventFilterSchema>;
