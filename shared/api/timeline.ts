// The timeline's API (issue 6). The timeline must stay responsive on cases of
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

// Issue 6 names principal, source IP, service and account; region is added for the overview's "events by region".
export const TIMELINE_GROUPINGS = ['principal', 'ip', 'service', 'account', 'region'] as const;
export type TimelineGroupBy = (typeof TIMELINE_GROUPINGS)[number];
export const timelineGroupBySchema = z.enum(TIMELINE_GROUPINGS);

/** The most items ever returned for one window (vis-timeline needs ~3 ms per item; issue 6 asks for 1-2k at most). */
export const TIMELINE_MAX_ITEMS = 2000;
export const TIMELINE_DEFAULT_ITEMS = 1500;
/** Groups shown individually; the rest are summed into one "other" group. */
export const TIMELINE_MAX_GROUPS = 60;
/** Id of the group that collects events without a value (no ARN, no IP, ...). */
export const NONE_GROUP = 'none';
/** Id of the group that collects every group beyond the top `maxGroups`. */
export const OTHER_GROUP = 'other';

const ms = z.number().int().min(-8_640_000_000_000_000).max(8_640_000_000_000_000);

const windowArgs = {
  filter: eventFilterSchema.default({}),
  groupBy: timelineGroupBySchema.default('principal'),
  /** Window start and end, epoch ms UTC, inclusive. Omitted: the whole (filtered) case. */
  startMs: ms.optional(),
  endMs: ms.optional(),
  maxGroups: z.number().int().min(1).max(500).default(TIMELINE_MAX_GROUPS),
};

export interface TimelineGroup {
  /** Stable within a case: the dictionary id of the value, or NONE_GROUP / OTHER_GROUP. */
  id: string;
  label: string;
  /** Events of this group inside the window. */
  count: number;
}

export interface DensityCell {
  group: string;
  /** Start of the bucket, epoch ms UTC. */
  bucketMs: number;
  count: number;
  /** Of those, events that match an enabled indicator (IOC). */
  ioc: number;
}

export interface TimelineDensity {
  groupBy: TimelineGroupBy;
  /** The window actually covered: aligned to whole buckets. */
  startMs: number;
  endMs: number;
  bucketMs: number;
  /** Events in the window (after the filter). */
  total: number;
  groups: TimelineGroup[];
  /** Only non-empty cells, ordered by group then time. */
  cells: DensityCell[];
  /** How many distinct values were folded into OTHER_GROUP. */
  otherValues: number;
}

export interface TimelineItem {
  eventId: string;
  timeMs: number;
  group: string;
  eventName: string | null;
  eventSource: string | null;
  errorCode: string | null;
  /** Matches an enabled indicator (IOC). */
  ioc: boolean;
}

export interface TimelineItems {
  groupBy: TimelineGroupBy;
  startMs: number;
  endMs: number;
  total: number;
  groups: TimelineGroup[];
  /** Empty when `tooMany`: the window holds more than maxItems events. */
  items: TimelineItem[];
  tooMany: boolean;
  otherValues: number;
}

/** The timeline's one-round-trip answer for a window: items when few enough, else density. */
export type TimelineWindow = ({ mode: 'items' } & TimelineItems) | ({ mode: 'density' } & TimelineDensity);

export interface TimelineIndexStatus {
  /** The rollup covers every event of the case (wide unfiltered views are then read from it). */
  fresh: boolean;
  /** This call extended it (custody action timeline.indexed). */
  extended: boolean;
  throughLeaf: number;
  seconds: number;
}

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

/** A bucket size that is a "round" duration (1 s ... 1 day multiples), so buckets line up with the time axis. */
export function niceBucketMs(spanMs: number, buckets: number): number {
  const raw = Math.max(1000, Math.ceil(spanMs / Math.max(1, buckets)));
  const steps = [
    1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000,
    21_600_000, 43_200_000, 86_400_000,
  ];
  for (const s of steps) if (s >= raw) return s;
  const day = 86_400_000;
  return Math.ceil(raw / day) * day;
}
