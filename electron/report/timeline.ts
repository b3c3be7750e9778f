// The report's attacker timeline (docs/verification.md, "What a report holds"): the events the
// findings cite and the events the examiner tagged, one row per eventID, in
// time order. At organisation scale that is hundreds of thousands of rows, so
// they are never held together: the events are located once (leaf and time,
// a few numbers each, in typed arrays), sorted, and read back in bounded
// batches while report.json and timeline.csv are written (generate.ts) and for
// the few rows the PDF prints.
import type { EventSummary } from '../../shared/types.ts';
import { Dictionary, toSummary } from '../case/queries.ts';
import type { CaseStore } from '../case/store.ts';
import { summaryRowsByLeaves, timelineKeysByIds } from '../case/data/report.ts';
import { cmp } from './analysis-bridge.ts';

export interface TimelineRow {
  time: string | null;
  leaf: number;
  eventId: string;
  eventName: string | null;
  eventSource: string | null;
  awsRegion: string | null;
  sourceIPAddress: string | null;
  userAgent: string | null;
  principal: string | null;
  accessKeyId: string | null;
  account: string | null;
  errorCode: string | null;
  findings: string[];
  tags: string[];
}

/** The timeline's rows, readable again and again in bounded batches. */
export interface TimelineSource {
  /** Rows (distinct eventIDs found in the case). */
  readonly count: number;
  /** Every row in time order, `size` at a time. */
  batches(size?: number): Generator<TimelineRow[]>;
  /** The first `n` rows. */
  head(n: number): TimelineRow[];
  /** Whether an eventID the findings or tags cite is in the case (at the checkpoint). */
  has(eventId: string): boolean;
}

/** EventIDs per lookup, and rows per batch: bounded memory whatever the case size. A batch of rows lives while it is written out: small ones die in V8's young generation, where larger ones (1,000 rows) were promoted and piled up as old garbage until a full collection (1 GB for 1.1M rows). */
const CHUNK = 5000;
const BATCH = 100;

function principalOf(e: EventSummary): string | null {
  return e.principalArn ?? e.userName ?? e.principalId ?? null;
}

/**
 * Locate the cited events. `findings` are the kept findings (their ids and
 * eventIDs), `tags` the examiner's tags by eventID. Where several events carry
 * one eventID, the row is the last of them in (time, leaf) order, as it always was.
 */
export function buildTimeline(
  store: CaseStore,
  treeSize: number,
  findings: readonly { id: string; eventIds: readonly string[] }[],
  tags: ReadonlyMap<string, string[]>,
): TimelineSource {
  // The distinct cited eventIDs, sorted: an id's position is its number below.
  const idSet = new Set<string>();
  for (const f of findings) for (const id of f.eventIds) idSet.add(id);
  for (const id of tags.keys()) idSet.add(id);
  const ids = [...idSet].sort(cmp);
  idSet.clear();
  const indexOf = (id: string): number => {
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = cmp(ids[mid], id);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };

  // Per eventID: the chosen event's leaf and time (NaN: none found; time -Infinity: no time, sorts first as '' did).
  const leafOf = new Float64Array(ids.length).fill(NaN);
  const timeOf = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i += CHUNK) {
    for (const r of timelineKeysByIds(store.reader, ids.slice(i, i + CHUNK), treeSize)) {
      const k = indexOf(r.event_id);
      const t = r.time_ms ?? -Infinity;
      if (Number.isNaN(leafOf[k]) || t > timeOf[k] || (t === timeOf[k] && r.leaf > leafOf[k])) {
        leafOf[k] = r.leaf;
        timeOf[k] = t;
      }
    }
  }

  // Time order: the found ids sorted by (time, leaf).
  let n = 0;
  for (let k = 0; k < ids.length; k++) if (!Number.isNaN(leafOf[k])) n++;
  const order = new Uint32Array(n);
  for (let k = 0, j = 0; k < ids.length; k++) if (!Number.isNaN(leafOf[k])) order[j++] = k;
  order.sort((a, b) => timeOf[a] - timeOf[b] || leafOf[a] - leafOf[b]);

  // Which findings cite each id: (id, finding) pairs sorted by id, found by binary search.
  let pairs = 0;
  for (const f of findings) pairs += f.eventIds.length;
  const pairId = new Uint32Array(pairs);
  const pairFinding = new Uint32Array(pairs);
  let p = 0;
  findings.forEach((f, fi) => {
    for (const id of f.eventIds) {
      pairId[p] = indexOf(id);
      pairFinding[p++] = fi;
    }
  });
  const byId = new Uint32Array(pairs).map((_, i) => i).sort((a, b) => pairId[a] - pairId[b] || pairFinding[a] - pairFinding[b]);
  const firstPair = (k: number): number => {
    let lo = 0;
    let hi = byId.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pairId[byId[mid]] < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const findingsOf = (k: number): string[] => {
    const out = new Set<string>();
    for (let i = firstPair(k); i < byId.length && pairId[byId[i]] === k; i++) out.add(findings[pairFinding[byId[i]]].id);
    return [...out].sort(cmp);
  };

  function rowsAt(from: number, to: number): TimelineRow[] {
    const ks = Array.from(order.subarray(from, to));
    const dict = new Dictionary(store);
    const byLeaf = new Map<number, EventSummary>();
    for (const r of summaryRowsByLeaves(store.reader, ks.map((k) => leafOf[k]))) {
      const e = toSummary(dict, r);
      byLeaf.set(e.leaf, e);
    }
    return ks.map((k) => {
      const e = byLeaf.get(leafOf[k])!;
      return {
        time: e.eventTime,
        leaf: e.leaf,
        eventId: e.eventId,
        eventName: e.eventName,
        eventSource: e.eventSource,
        awsRegion: e.awsRegion,
        sourceIPAddress: e.sourceIPAddress,
        userAgent: e.userAgent,
        principal: principalOf(e),
        accessKeyId: e.accessKeyId,
        account: e.recipientAccountId,
        errorCode: e.errorCode,
        findings: findingsOf(k),
        tags: [...(tags.get(e.eventId) ?? [])].sort(),
      };
    });
  }

  return {
    count: n,
    *batches(size = BATCH) {
      for (let i = 0; i < n; i += size) yield rowsAt(i, Math.min(n, i + size));
    },
    head(m) {
      return rowsAt(0, Math.min(n, m));
    },
    has(id) {
      const k = indexOf(id);
      return k >= 0 && !Number.isNaN(leafOf[k]);
    },
  };
}
