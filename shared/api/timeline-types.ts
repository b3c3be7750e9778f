// The timeline API's plain types and constants (no zod), so the renderer can
// import them without bundling every schema. shared/api/timeline.ts re-exports
// them with the method declarations.
import type { Severity } from '../analysis/findings.ts';

// The workstation groups by principal, source IP, service and account; region is added for the overview's "events by region".
/** 'role': like principal, but a role session is counted under its role (README.md, "Addresses and profiles": one row per role, not one per session). */
/**
 * 'country' and 'asn' (README.md, "Addresses and profiles"): the source address's country or network as the case's recorded
 * enrichment answers say (counted per address, then folded); addresses without an answer form
 * their own group, and the answer says when enrichment has not been run.
 */
export const TIMELINE_GROUPINGS = ['principal', 'role', 'ip', 'service', 'account', 'region', 'country', 'asn'] as const;
export type TimelineGroupBy = (typeof TIMELINE_GROUPINGS)[number];
/** The groupings read from the enrichment answers of the source address rather than from a column. */
export const ADDRESS_GROUPINGS = ['country', 'asn'] as const;
export type AddressGrouping = (typeof ADDRESS_GROUPINGS)[number];
export const isAddressGrouping = (g: TimelineGroupBy): g is AddressGrouping => (ADDRESS_GROUPINGS as readonly string[]).includes(g);

/** The most items ever returned for one window (vis-timeline needs ~3 ms per item; the timeline stays responsive at 1-2k at most). */
export const TIMELINE_MAX_ITEMS = 2000;
export const TIMELINE_DEFAULT_ITEMS = 1500;
/** Groups shown individually; the rest are summed into one "other" group. */
export const TIMELINE_MAX_GROUPS = 60;
/** Id of the group that collects events without a value (no ARN, no IP, ...). */
export const NONE_GROUP = 'none';
/** Id of the group that collects every group beyond the top `maxGroups`. */
export const OTHER_GROUP = 'other';

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
  /** Country and ASN groupings: what the examiner must know about the answers (enrichment not run, addresses not answered). */
  note?: string;
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
  /** The highest severity of the latest analysis run's findings that list this event (dismissed ones left out); null for none. */
  severity: Severity | null;
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
  /** As TimelineDensity.note. */
  note?: string;
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
