// The pivot's result: compromised principals (rule 3), counts per hop and per
// indicator over every attacker event, and summaries of the events listed.
import type { PivotEvent, PivotResult, PivotSeed } from '../../../shared/analysis/types.ts';
import { isoUtc } from '../../../shared/time.ts';
import { summaryRows } from '../../case/data/pivot.ts';
import { toSummary } from '../../case/queries.ts';
import { PIVOT_RULES } from './rules.ts';
import type { PivotState } from './state.ts';

/** Principals acting in attacker events that are not attacker identities (rule 3), each with its first such event. */
export function reportCompromised(s: PivotState): void {
  s.refreshCompromised();
  if (!s.compromised.size) return;
  const r = s.r;
  const first = new Map<string, number>();
  const seen = new Set<number>();
  for (let i = 0; i < r.leaf.length; i++) {
    const a = r.arn[i];
    const id = r.prin[i];
    if (id === null || seen.has(id) || (a !== null && s.dPrincipalIds.has(a))) continue;
    seen.add(id);
    const p = s.dict.str(id);
    if (p && !first.has(p)) first.set(p, i);
  }
  const listed: [string, number][] = [];
  for (const p of s.compromised) {
    const i = first.get(p);
    if (i !== undefined && !s.followedPrincipals.has(p)) listed.push([p, i]);
  }
  const ids = s.eventIds(listed.map(([, i]) => r.leaf[i]));
  for (const [p, i] of listed) {
    const eventId = ids.get(r.leaf[i])!;
    s.addContext({
      kind: 'compromised-principal',
      value: p,
      note: `acted in attacker event ${eventId} (${s.reasons[r.reason[i]]}); reported, not followed as a whole: its other activity may be its owner's`,
      eventIds: [eventId],
    });
  }
}

/** These attacker events (row indices), as summaries. */
export function listEvents(s: PivotState, shown: number[]): PivotEvent[] {
  const r = s.r;
  if (!shown.length) return [];
  const byLeaf = summaryRows(s.store, shown.map((i) => r.leaf[i]));
  return shown.map((i) => ({ ...toSummary(s.dict, byLeaf.get(r.leaf[i])), hop: r.hop[i], reason: s.reasons[r.reason[i]] }));
}

/** The result: counts over every attacker event; summaries only for the events listed (the earliest `limit`). */
export function result(s: PivotState, seed: PivotSeed, limit: number, t0: number): PivotResult {
  const r = s.r;
  const n = r.leaf.length;
  const eventsByHop: number[] = [];
  const perReason = new Array<number>(s.reasons.length).fill(0);
  let hops = s.maxHop;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < n; i++) {
    const h = r.hop[i];
    eventsByHop[h] = (eventsByHop[h] ?? 0) + 1;
    if (h > hops) hops = h;
    perReason[r.reason[i]]++;
    const t = r.time[i];
    if (t !== null) {
      if (t < first) first = t;
      if (t > last) last = t;
    }
  }
  for (let h = 0; h < eventsByHop.length; h++) eventsByHop[h] ??= 0;
  for (let k = 0; k < perReason.length; k++) if (s.reasonInd[k] >= 0) s.indicators[s.reasonInd[k]].events += perReason[k];
  const order = [...r.leaf.keys()].sort((x, y) => (r.time[x] ?? Infinity) - (r.time[y] ?? Infinity) || r.leaf[x] - r.leaf[y]);
  const events = listEvents(s, limit < n ? order.slice(0, limit) : order);
  let eventIds: string[] | undefined;
  if (s.opts.allEventIds) {
    const ids = s.eventIds(r.leaf);
    eventIds = order.map((i) => ids.get(r.leaf[i])!);
  }
  return {
    seed,
    eventCount: n,
    eventsByHop,
    firstEventTime: first === Infinity ? null : isoUtc(first),
    lastEventTime: last === -Infinity ? null : isoUtc(last),
    events,
    eventsTruncated: events.length < n,
    ...(eventIds ? { eventIds } : {}),
    indicators: s.indicators,
    context: s.context,
    hops,
    truncated: s.truncated,
    seconds: (performance.now() - t0) / 1000,
    rules: PIVOT_RULES,
  };
}
