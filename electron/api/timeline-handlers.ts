// Handlers for the timeline (shared/api/timeline.ts, docs/architecture.md, "The renderer"). Everything is
// counted in SQL over the indexed, dictionary-encoded events table (the
// statements are in electron/case/data/timeline.ts); items are only read once a
// LIMIT-bounded count proves the window small.
//
// Density has two paths, with the same answer:
// - direct: one GROUP BY (group, bucket) over the window's events. Right for
//   filtered views and small windows; it costs about 1 us per event (SQLite's
//   sorter sees every row), so 1-3 s over a 1M-event case.
// - rollup: unfiltered views of wide windows are read from the hourly/daily
//   rollup (migration 0004), extended by every import (case/data/timeline-rollup.ts). Measured on
//   a 1M-event case: tens of ms instead of seconds. Views filtered by source
//   IP only (the filter bar's IP field, or "IOC matches only" when every
//   enabled indicator is an address) are read from the per-IP hourly rollup
//   (migration 0005): 300-600 ms counted directly for a busy address, a few
//   ms from the rollup.
import type { EventFilter } from '../../shared/types.ts';
import {
  NONE_GROUP, OTHER_GROUP, isAddressGrouping, niceBucketMs, type DensityCell, type TimelineDensity, type TimelineGroup, type TimelineGroupBy, type TimelineItem,
  type TimelineItems, type TimelineWindow, type timelineApi,
} from '../../shared/api/timeline.ts';
import { HOUR_MS } from '../../shared/time.ts';
import { Dictionary, filterToSql, ipIdsOf, type SqlFilter } from '../case/queries.ts';
import { foldAddressGroups } from '../analysis/enrich/groups.ts';
import { listIocs } from '../analysis/ioc.ts';
import { eventSeverities } from '../analysis/runs.ts';
import type { CaseStore } from '../case/store.ts';
import { ensureTimelineRollup, ROLLUP_KIND, timelineRollupStatus } from '../case/data/timeline-rollup.ts';
import {
  boundedEventCount, densityRows, eventCount, eventTimeBounds, ipRollupBuckets, ipTimeBounds, ipRollupTotal, itemRows, rollupAllHours, rollupDayCounts, rollupHourRows, rollupTotal,
  scanTuning, windowWhere, type Where,
} from '../case/data/timeline.ts';
import type { HandlerTable } from './handlers.ts';

type Filter = EventFilter;

export { scanTuning, timelineRollupStatus };

export interface WindowArgs {
  filter: Filter;
  groupBy: TimelineGroupBy;
  startMs?: number;
  endMs?: number;
  maxGroups: number;
}

export interface Resolved extends Where {
  startMs: number;
  endMs: number;
  /** The filter alone (without the window). */
  filter: SqlFilter;
  /** The enabled indicators as one SQL condition; null when none is enabled or the filter already keeps only matches. */
  ioc: SqlFilter | null;
  /** Address ids when the filter keeps only source addresses (ipOnlyValues), else null. */
  ipIds: number[] | null;
}

/** Up to this many addresses (a CIDR can stand for thousands), bounds come from two index seeks each. */
const IP_SEEK_LIMIT = 2000;

/** The filter plus the window as SQL; an absent bound is the filtered events' first/last time. */
function resolve(store: CaseStore, a: WindowArgs): Resolved | null {
  const f = filterToSql(store, a.filter);
  const ipValues = isUnfiltered(a.filter) ? null : ipOnlyValues(store, a.filter);
  const ipIds = ipValues ? ipIdsOf(store, ipValues) : null;
  let { startMs, endMs } = a;
  if (startMs === undefined || endMs === undefined) {
    // Addresses alone (the filter bar's IP, an address IOC): per-address index seeks instead of reading every match.
    const b = ipIds && ipIds.length <= IP_SEEK_LIMIT ? ipTimeBounds(store.reader, ipIds) : eventTimeBounds(store.reader, f);
    if (!b) return null;
    startMs ??= b.first;
    endMs ??= b.last;
  }
  if (endMs < startMs) [startMs, endMs] = [endMs, startMs];
  return { ...windowWhere(f, startMs, endMs), startMs, endMs, filter: f, ioc: iocClause(store, a.filter), ipIds };
}

function iocClause(store: CaseStore, filter: Filter): SqlFilter | null {
  if (filter.ioc) return null;
  const c = filterToSql(store, { ioc: true });
  return c.where === '0' ? null : c;
}

/** No constraint at all: the rollup answers exactly. */
function isUnfiltered(f: Filter): boolean {
  return Object.entries(f).every(([, v]) => v === undefined || v === false || (Array.isArray(v) && v.length === 0 && v !== f.eventIds));
}

/**
 * The source addresses a filter keeps, when they are its only constraint (the
 * per-IP rollup then answers exactly): `ips` alone, or `ioc` alone while every
 * enabled indicator is an address or CIDR. Null otherwise.
 */
function ipOnlyValues(store: CaseStore, f: Filter): string[] | null {
  const { ips, ioc, ...rest } = f;
  if (!isUnfiltered(rest)) return null;
  if (ips?.length && !ioc) return ips;
  if (ioc && !ips?.length) {
    const enabled = listIocs(store).filter((i) => i.enabled);
    if (enabled.length && enabled.every((i) => i.type === 'ip')) return enabled.map((i) => i.value);
  }
  return null;
}

const NO_VALUE: Record<TimelineGroupBy, string> = {
  principal: '(no principal)',
  role: '(no principal)',
  ip: '(no source IP)',
  service: '(no event source)',
  account: '(no account)',
  region: '(no region)',
  country: '(no source IP)',
  asn: '(no source IP)',
};

function labelOf(dict: Dictionary, groupBy: TimelineGroupBy, id: number | null): string {
  if (id === null) return NO_VALUE[groupBy];
  return (groupBy === 'ip' ? dict.ip(id) : dict.str(id)) ?? String(id);
}

const groupKey = (g: number | null) => (g === null ? NONE_GROUP : String(g));

/** Top `maxGroups` values by count (ties by label); everything else folded into OTHER_GROUP. */
function pickGroups(
  store: CaseStore,
  groupBy: TimelineGroupBy,
  counts: Map<number | null, number>,
  maxGroups: number,
): { groups: TimelineGroup[]; keyOf: (g: number | null) => string; otherValues: number } {
  const dict = new Dictionary(store);
  const all = [...counts].map(([g, n]) => ({ g, n, label: labelOf(dict, groupBy, g) }));
  all.sort((x, y) => y.n - x.n || (x.label < y.label ? -1 : x.label > y.label ? 1 : 0));
  const top = all.slice(0, all.length > maxGroups ? maxGroups - 1 : maxGroups);
  const rest = all.slice(top.length);
  const kept = new Set(top.map((t) => t.g));
  const groups: TimelineGroup[] = top.map((t) => ({ id: groupKey(t.g), label: t.label, count: t.n }));
  if (rest.length) groups.push({ id: OTHER_GROUP, label: otherLabel(rest.length), count: rest.reduce((s, r) => s + r.n, 0) });
  return { groups, keyOf: (g) => (kept.has(g) ? groupKey(g) : OTHER_GROUP), otherValues: rest.length };
}

const otherLabel = (n: number) => `${n} other${n === 1 ? '' : 's'}`;

// ---------------------------------------------------------------------------
// The rollups (migrations 0004, 0005) are case data, kept current by the import
// (electron/case/data/timeline-rollup.ts); read through case/data/timeline.ts.
// ---------------------------------------------------------------------------

// country and asn are never read from the rollup under their own kind: addressGrouped asks for the ip kind (1).
const KIND: Record<TimelineGroupBy, number> = { ...ROLLUP_KIND, country: 1, asn: 1 };
/** Below this many events in a window the direct GROUP BY is fast enough (~100 ms) and keeps fine buckets. */
export const DIRECT_MAX_EVENTS = 60_000;

/**
 * Density from the rollup. The top groups are chosen by their counts over the
 * whole UTC days the window touches (the daily table answers that without
 * reading every hour); their shown counts and cells are exact per hour, and
 * "other" is the hourly total minus the top groups.
 */
function rollupDensity(store: CaseStore, groupBy: TimelineGroupBy, base: number, endMs: number, bucketMs: number, maxGroups: number) {
  const kind = KIND[groupBy];
  const h0 = base / HOUR_MS;
  const h1 = (endMs + 1) / HOUR_MS - 1;
  const dayCounts = rollupDayCounts(store.reader, kind, Math.floor(h0 / 24), Math.floor(h1 / 24));
  const counts = new Map<number | null, number>(dayCounts.map(([g, n]) => [g === -1 ? null : g, n]));
  const picked = pickGroups(store, groupBy, counts, maxGroups);
  const topIds = picked.groups.filter((g) => g.id !== OTHER_GROUP).map((g) => (g.id === NONE_GROUP ? -1 : Number(g.id)));
  const cells = new Map<string, DensityCell>();
  const sums = new Map<string, number>();
  const bucketOf = (hour: number) => base + Math.floor((hour * HOUR_MS - base) / bucketMs) * bucketMs;
  const add = (group: string, b: number, n: number) => {
    const k = `${group}\u0000${b}`;
    const c = cells.get(k);
    if (c) c.count += n;
    else cells.set(k, { group, bucketMs: b, count: n, ioc: 0 });
    sums.set(group, (sums.get(group) ?? 0) + n);
  };
  const topRows = rollupHourRows(store.reader, kind, topIds, h0, h1);
  const topPerBucket = new Map<number, number>();
  for (const [g, hour, n] of topRows) {
    const b = bucketOf(hour);
    add(groupKey(g === -1 ? null : g), b, n);
    topPerBucket.set(b, (topPerBucket.get(b) ?? 0) + n);
  }
  let total = 0;
  const allRows = rollupAllHours(store.reader, h0, h1);
  const allPerBucket = new Map<number, number>();
  for (const [hour, n] of allRows) {
    total += n;
    allPerBucket.set(bucketOf(hour), (allPerBucket.get(bucketOf(hour)) ?? 0) + n);
  }
  if (picked.groups.some((g) => g.id === OTHER_GROUP)) {
    for (const [b, n] of allPerBucket) {
      const rest = n - (topPerBucket.get(b) ?? 0);
      if (rest > 0) add(OTHER_GROUP, b, rest);
    }
  }
  // Shown counts are the exact in-window sums; groups seen only outside the window (same day) drop out.
  const groups = picked.groups.map((g) => ({ ...g, count: sums.get(g.id) ?? 0 })).filter((g) => g.count > 0);
  groups.sort((x, y) => (x.id === OTHER_GROUP ? 1 : y.id === OTHER_GROUP ? -1 : y.count - x.count || (x.label < y.label ? -1 : x.label > y.label ? 1 : 0)));
  return { groups, cells: [...cells.values()], total, otherValues: picked.otherValues, keyOf: picked.keyOf };
}

/**
 * Counts per (value, bucket index) of the events from these source IPs, from
 * the per-IP rollup (the IP grouping from timeline_hour itself): the same rows
 * the direct GROUP BY gives, for hour-multiple buckets aligned at `base`.
 */
function ipRollupRows(store: CaseStore, groupBy: TimelineGroupBy, ipIds: number[], base: number, endMs: number, bucketMs: number): [number | null, number, number][] {
  return ipRollupBuckets(store.reader, KIND[groupBy], ipIds, base / HOUR_MS, Math.floor(endMs / HOUR_MS), bucketMs / HOUR_MS);
}

// ---------------------------------------------------------------------------

/**
 * The country and network groupings (README.md, "Addresses and profiles"): the window counted per source
 * address by the ip grouping's own paths (rollups included), every address
 * kept apart, then folded by the addresses' recorded enrichment answers.
 */
const ALL_GROUPS = Number.MAX_SAFE_INTEGER;

function addressGroupedDensity(store: CaseStore, a: WindowArgs & { buckets: number; bucketMs?: number }, known?: Resolved | null): TimelineDensity & { path: 'direct' | 'rollup' } {
  const grouping = a.groupBy as 'country' | 'asn';
  const d = timelineDensity(store, { ...a, groupBy: 'ip', maxGroups: ALL_GROUPS }, known);
  const f = foldAddressGroups(store, grouping, d.groups, a.maxGroups);
  const cells = new Map<string, DensityCell>();
  for (const c of d.cells) {
    const group = f.keyOf(c.group);
    const k = `${group}\u0000${c.bucketMs}`;
    const to = cells.get(k);
    if (to) {
      to.count += c.count;
      to.ioc += c.ioc;
    } else cells.set(k, { ...c, group });
  }
  const order = new Map(f.groups.map((g, i) => [g.id, i]));
  const cellList = [...cells.values()].sort((x, y) => order.get(x.group)! - order.get(y.group)! || x.bucketMs - y.bucketMs);
  return { ...d, groupBy: a.groupBy, groups: f.groups, cells: cellList, otherValues: f.otherValues, ...(f.note ? { note: f.note } : {}) };
}

/** `known`: the window already resolved for these arguments (timelineWindow has it), so it is not worked out twice. */
export function timelineDensity(
  store: CaseStore,
  a: WindowArgs & { buckets: number; bucketMs?: number },
  known?: Resolved | null,
): TimelineDensity & { path: 'direct' | 'rollup' } {
  if (isAddressGrouping(a.groupBy)) return addressGroupedDensity(store, a, known);
  const r = known === undefined ? resolve(store, a) : known;
  if (!r) {
    return { groupBy: a.groupBy, startMs: a.startMs ?? 0, endMs: a.endMs ?? 0, bucketMs: a.bucketMs ?? 1000, total: 0, groups: [], cells: [], otherValues: 0, path: 'direct' };
  }
  let bucketMs = a.bucketMs ?? niceBucketMs(r.endMs - r.startMs + 1, a.buckets);
  // A read never writes: a stale rollup (events imported since it was extended) is not used until timelineIndex runs.
  const unfiltered = isUnfiltered(a.filter);
  const fresh = (unfiltered || r.ipIds !== null) && r.startMs >= 0 && timelineRollupStatus(store).fresh;
  const rollup = fresh && unfiltered;
  const ipIds = fresh ? r.ipIds : null;
  if ((rollup || ipIds) && a.bucketMs === undefined && bucketMs < HOUR_MS) {
    // A narrow window with many events: hourly buckets from the rollup beat counting them one by one.
    const h0 = Math.floor(r.startMs / HOUR_MS);
    const h1 = Math.floor(r.endMs / HOUR_MS);
    if ((ipIds ? ipRollupTotal(store.reader, ipIds, h0, h1) : rollupTotal(store.reader, h0, h1)) > DIRECT_MAX_EVENTS) bucketMs = HOUR_MS;
  }
  // Buckets are aligned to the epoch (hour and day buckets start on UTC hours and days) and counted whole.
  const base = Math.floor(r.startMs / bucketMs) * bucketMs;
  const endMs = base + Math.ceil((r.endMs + 1 - base) / bucketMs) * bucketMs - 1;
  const w = windowWhere(r.filter, base, endMs);
  let groups: TimelineGroup[];
  let cellList: DensityCell[];
  let total = 0;
  let otherValues: number;
  let keyOf: (g: number | null) => string;
  let path: 'direct' | 'rollup';
  if (rollup && bucketMs % HOUR_MS === 0) {
    path = 'rollup';
    ({ groups, cells: cellList, total, otherValues, keyOf } = rollupDensity(store, a.groupBy, base, endMs, bucketMs, a.maxGroups));
  } else {
    let rows: [number | null, number, number][];
    if (ipIds && bucketMs % HOUR_MS === 0) {
      path = 'rollup';
      rows = ipRollupRows(store, a.groupBy, ipIds, base, endMs, bucketMs);
    } else {
      path = 'direct';
      rows = densityRows(store.reader, a.groupBy, w, base, bucketMs);
    }
    const counts = new Map<number | null, number>();
    for (const [g, , n] of rows) {
      counts.set(g, (counts.get(g) ?? 0) + n);
      total += n;
    }
    ({ groups, keyOf, otherValues } = pickGroups(store, a.groupBy, counts, a.maxGroups));
    const cells = new Map<string, DensityCell>();
    for (const [g, b, n] of rows) {
      const group = keyOf(g);
      const k = `${group}\u0000${b}`;
      const c = cells.get(k);
      if (c) c.count += n;
      else cells.set(k, { group, bucketMs: base + b * bucketMs, count: n, ioc: 0 });
    }
    cellList = [...cells.values()];
  }
  // IOC matches per cell: a separate, selective query (indicators change; the rollup cannot hold them).
  if (a.filter.ioc) for (const c of cellList) c.ioc = c.count;
  else if (r.ioc) {
    const byKey = new Map(cellList.map((c) => [`${c.group}\u0000${c.bucketMs}`, c]));
    const rows = densityRows(store.reader, a.groupBy, w, base, bucketMs, r.ioc);
    for (const [g, b, n] of rows) {
      const c = byKey.get(`${keyOf(g)}\u0000${base + b * bucketMs}`);
      if (c) c.ioc += n;
    }
  }
  const order = new Map(groups.map((g, i) => [g.id, i]));
  cellList.sort((x, y) => order.get(x.group)! - order.get(y.group)! || x.bucketMs - y.bucketMs);
  return { groupBy: a.groupBy, startMs: base, endMs, bucketMs, total, groups, cells: cellList, otherValues, path };
}

export function timelineItems(store: CaseStore, a: WindowArgs & { maxItems: number }): TimelineItems {
  const r = resolve(store, a);
  const empty = { groupBy: a.groupBy, startMs: r?.startMs ?? a.startMs ?? 0, endMs: r?.endMs ?? a.endMs ?? 0, total: 0, groups: [], items: [], tooMany: false, otherValues: 0 };
  if (!r) return empty;
  if (boundedCount(store, r, a.maxItems) > a.maxItems) {
    return { ...empty, total: eventCount(store.reader, r), tooMany: true };
  }
  return readItems(store, a, r);
}

export function timelineWindow(store: CaseStore, a: WindowArgs & { maxItems: number; buckets: number }): TimelineWindow {
  const r = resolve(store, a);
  if (r && boundedCount(store, r, a.maxItems) <= a.maxItems) return { mode: 'items', ...readItems(store, a, r) };
  const { path: _p, ...d } = timelineDensity(store, r ? { ...a, startMs: r.startMs, endMs: r.endMs } : a, r);
  return { mode: 'density', ...d };
}

/** A LIMIT-bounded count: deciding "too many" never costs more than limit+1 index steps. */
function boundedCount(store: CaseStore, r: Resolved, limit: number): number {
  return boundedEventCount(store.reader, r, limit + 1);
}

function readItems(store: CaseStore, a: WindowArgs, r: Resolved): TimelineItems {
  if (isAddressGrouping(a.groupBy)) {
    const byAddress = readItems(store, { ...a, groupBy: 'ip', maxGroups: ALL_GROUPS }, r);
    const f = foldAddressGroups(store, a.groupBy, byAddress.groups, a.maxGroups);
    const items = byAddress.items.map((it) => ({ ...it, group: f.keyOf(it.group) }));
    return { ...byAddress, groupBy: a.groupBy, groups: f.groups, items, otherValues: f.otherValues, ...(f.note ? { note: f.note } : {}) };
  }
  const rows = itemRows(store.reader, a.groupBy, r, r.ioc ?? !!a.filter.ioc);
  const counts = new Map<number | null, number>();
  for (const row of rows) counts.set(row[2], (counts.get(row[2]) ?? 0) + 1);
  const { groups, keyOf, otherValues } = pickGroups(store, a.groupBy, counts, a.maxGroups);
  const dict = new Dictionary(store);
  const sev = eventSeverities(store);
  const items: TimelineItem[] = rows.map(([eventId, timeMs, g, name, source, err, i]) => ({
    eventId,
    timeMs,
    group: keyOf(g),
    eventName: dict.str(name),
    eventSource: dict.str(source),
    errorCode: dict.str(err),
    ioc: i === 1,
    severity: sev.get(eventId) ?? null,
  }));
  return { groupBy: a.groupBy, startMs: r.startMs, endMs: r.endMs, total: items.length, groups, items, tooMany: false, otherValues };
}

export const timelineHandlers: HandlerTable<typeof timelineApi> = {
  timelineDensity: (ctx, a) => {
    const { path: _p, ...d } = timelineDensity(ctx.store, a);
    return d;
  },
  timelineIndex: (ctx) => ensureTimelineRollup(ctx.store, ctx.actor),
  timelineIndexStatus: (ctx) => timelineRollupStatus(ctx.store),
  timelineItems: (ctx, a) => timelineItems(ctx.store, a),
  timelineWindow: (ctx, a) => timelineWindow(ctx.store, a),
};
