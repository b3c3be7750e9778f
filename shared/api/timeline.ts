// The timeline's API (docs/architecture.md, "The renderer"). The timeline must stay responsive on cases of
// millions of events, and vis-timeline costs milliseconds per item, so the back
// end never ships raw events for a wide window: it answers with *density* (event
// counts per group per time bucket, computed in SQL) and only hands out
// individual items once the window holds at most `maxItems` events.
//
// Times here are epoch milliseconds (UTC) in fields named *Ms: a density answer
// can hold thousands of buckets, and ISO strings would triple its size.
import { z } from 'zod';
import { read, write } from './define.ts';
import { eventFilterSchema } from './case.ts';

import {
  TIMELINE_DEFAULT_ITEMS, TIMELINE_GROUPINGS, TIMELINE_MAX_GROUPS, TIMELINE_MAX_ITEMS, type TimelineDensity, type TimelineIndexStatus,
  type TimelineItems, type TimelineWindow,
} from './timeline-types.ts';

// The types and constants live in a zod-free module (the renderer imports them without the schemas).

export * from './timeline-types.ts';
export const timelineGroupBySchema = z.enum(TIMELINE_GROUPINGS);

const ms = z.number().int().min(-8_640_000_000_000_000).max(8_640_000_000_000_000);

const windowArgs = {
  filter: eventFilterSchema.default({}),
  groupBy: timelineGroupBySchema.default('principal'),
  /** Window start and end, epoch ms UTC, inclusive. Omitted: the whole (filtered) case. */
  startMs: ms.optional(),
  endMs: ms.optional(),
  maxGroups: z.number().int().min(1).max(500).default(TIMELINE_MAX_GROUPS),
};

export const timelineApi = {
  timelineDensity: read(
    z.object({ ...windowArgs, buckets: z.number().int().min(1).max(2000).default(200), bucketMs: z.number().int().min(1000).optional() }).strict(),
    'Events per group per time bucket in a window (counted in SQL); bucketMs, if given, overrides buckets.',
  ).returns<TimelineDensity>(),
  timelineItems: read(
    z.object({ ...windowArgs, maxItems: z.number().int().min(1).max(TIMELINE_MAX_ITEMS).default(TIMELINE_DEFAULT_ITEMS) }).strict(),
    'Individual events of a window with their group and IOC match, only if the window holds at most maxItems.',
  ).returns<TimelineItems>(),
  timelineWindow: read(
    z
      .object({
        ...windowArgs,
        maxItems: z.number().int().min(1).max(TIMELINE_MAX_ITEMS).default(TIMELINE_DEFAULT_ITEMS),
        buckets: z.number().int().min(1).max(2000).default(200),
      })
      .strict(),
    'Items when the window holds at most maxItems events, else density: what the timeline asks on every zoom or pan.',
  ).returns<TimelineWindow>(),
  timelineIndex: write(
    z.object({}).strict(),
    'Extend the timeline rollup (derived hourly counts) over events imported since it was last extended; custody-logged when it changes.',
  ).returns<TimelineIndexStatus>(),
  timelineIndexStatus: read(z.object({}).strict(), 'Whether the timeline rollup covers every event.').returns<TimelineIndexStatus>(),
};
