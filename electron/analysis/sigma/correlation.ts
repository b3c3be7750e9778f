// Sigma correlations over several events (docs/queries.md):
// the correlation-rule types of the Sigma specification
// (sigma-correlation-rules-specification.md, v2.0: event_count, value_count,
// temporal) and the older in-rule forms SigmaHQ's CloudTrail rules still use
// (`timeframe` with `| count() [by f] > N`, `| count(x) by f > N`, `a | near b`,
// and `a and b` meaning "both seen within the timeframe"). Pure TypeScript.
//
// Windows (documented in docs/analysis.md, Sigma): events are grouped by the
// group-by fields, ordered by eventTime; a window is the span of `timespan`
// that starts at the time of an event of the group (both ends inclusive). A window fires
// when its metric satisfies the condition: the number of events (event_count),
// of distinct values of `field` (value_count), or of distinct correlated rules
// or selections seen (temporal; by default all of them). Overlapping firing
// windows of a group are one finding citing every event in them.
//
// Memory: during the pass only six numbers per matching event are kept, in
// typed columns (time, leaf, group, value, which parts matched, and the
// caller's tag: 28 bytes), never the record; the group and value strings are
// interned, so the state grows with the matching events and the distinct
// groups, not with the case. Events without an eventTime cannot be placed in a
// window: they are counted and reported.
import { NumberColumn } from './column.ts';
import { asText, fieldPath, SigmaCompileError, someValue, type FieldPath } from './values.ts';

export type CorrelationType = 'event_count' | 'value_count' | 'temporal';

export interface CorrelationCondition {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
}

/** What a correlation does, as data (JSON-serialisable; shown in findings and the report). */
export interface SigmaCorrelation {
  type: CorrelationType;
  /** Names of what is correlated: the selections (in-rule form) or the referenced rules. */
  parts: string[];
  groupBy: string[];
  /** As written ('10m'); null when the rule gives none (the whole case is one window). */
  timespan: string | null;
  timespanMs: number | null;
  /** null: temporal with every part required. */
  condition: CorrelationCondition | null;
  /** value_count: the field whose distinct values are counted. */
  field: string | null;
  /** The rule's own words: the condition line and timeframe, or the correlation section. */
  form: string;
}

const OPS = ['gt', 'gte', 'lt', 'lte', 'eq'] as const;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `10m`, `1h`, `2d` (Sigma: a number and one lower-case letter). */
export function parseTimespan(raw: unknown, what = 'timespan'): number {
  const s = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const m = /^(\d{1,9})([smhd])$/.exec(s);
  if (!m) throw new SigmaCompileError(`${what} '${String(raw).slice(0, 50)}' is not a number followed by s, m, h or d (e.g. 10m)`);
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  if (ms <= 0) throw new SigmaCompileError(`${what} '${s}' is not positive`);
  return ms;
}

/** A correlation rule's `condition` map (gt/gte/lt/lte/eq, and `field` for value_count). */
export function parseCorrelationCondition(raw: unknown, type: CorrelationType): { condition: CorrelationCondition | null; field: string | null } {
  if (raw === undefined || raw === null) {
    if (type === 'temporal') return { condition: null, field: null };
    throw new SigmaCompileError(`a ${type} correlation needs a condition (e.g. gte: 10)`);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new SigmaCompileError('the correlation condition must be a map such as {gte: 10}');
  const cond: CorrelationCondition = {};
  let field: string | null = null;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (k === 'field') {
      if (type !== 'value_count') throw new SigmaCompileError(`'field' in the condition belongs to value_count, not ${type}`);
      if (typeof v !== 'string' || !v.trim()) throw new SigmaCompileError("the condition's field must be a field name");
      field = v.trim();
      continue;
    }
    if (!(OPS as readonly string[]).includes(k)) throw new SigmaCompileError(`unknown correlation condition '${k.slice(0, 50)}'; Sigma defines ${OPS.join(', ')}`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new SigmaCompileError(`condition ${k} must be a whole number, got '${String(v).slice(0, 50)}'`);
    cond[k as (typeof OPS)[number]] = v;
  }
  if (!OPS.some((o) => cond[o] !== undefined)) throw new SigmaCompileError('the correlation condition has no comparison (gt, gte, lt, lte or eq)');
  if (type === 'value_count' && !field) throw new SigmaCompileError("a value_count correlation names the counted field in its condition ('field: ...')");
  return { condition: cond, field };
}

export function conditionHolds(c: CorrelationCondition, n: number): boolean {
  return (
    (c.gt === undefined || n > c.gt) &&
    (c.gte === undefined || n >= c.gte) &&
    (c.lt === undefined || n < c.lt) &&
    (c.lte === undefined || n <= c.lte) &&
    (c.eq === undefined || n === c.eq)
  );
}

export function conditionText(c: CorrelationCondition | null): string {
  if (!c) return 'all';
  const sym = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=' } as const;
  return OPS.filter((o) => c[o] !== undefined)
    .map((o) => `${sym[o]} ${c[o]}`)
    .join(' and ');
}

/** Plain-language statement of a correlation, for the finding's explanation. */
export function describeCorrelation(c: SigmaCorrelation): string {
  const span = c.timespan ? `within ${c.timespan}` : 'anywhere in the case (the rule sets no timeframe)';
  const by = c.groupBy.length ? `, per ${c.groupBy.join(' + ')}` : '';
  switch (c.type) {
    case 'event_count':
      return `event_count: ${conditionText(c.condition)} events ${span}${by}`;
    case 'value_count':
      return `value_count: ${conditionText(c.condition)} distinct values of ${c.field} ${span}${by}`;
    case 'temporal':
      return `temporal: ${c.condition ? `${conditionText(c.condition)} of` : 'all of'} ${c.parts.join(', ')} ${span}${by}`;
  }
}

/** First value of a field as text (walking arrays), or null. */
export function fieldText(rec: Record<string, any>, p: FieldPath): string | null {
  let out: string | null = null;
  someValue(rec, p, (v) => {
    const t = asText(v);
    if (t === null) return false;
    out = t;
    return true;
  });
  return out;
}

export interface CorrelationCluster {
  /** Leaves of the events in the firing windows, in time order (then leaf; an event added twice is there twice, side by side). */
  leaves: Int32Array;
  /** The tag `add` was given for each of them. */
  tags: Int32Array;
  /** The group-by values (null: field absent). */
  group: (string | null)[];
  /** Largest metric among the firing windows. */
  metric: number;
  fromMs: number;
  toMs: number;
}

const MAX_SHOWN = 200;

/**
 * The per-rule state of one correlation during the pass: `add` each record,
 * `clusters` at the end. `parts` test which correlated selections or rules a
 * record matches; `fires` (optional) decides a temporal window from which
 * parts it has seen (in-rule `a and b` with a timeframe).
 */
export class CorrelationState {
  private readonly times = NumberColumn.float64();
  private readonly leaves = NumberColumn.int32();
  private readonly groups = NumberColumn.int32();
  private readonly values = NumberColumn.int32();
  private readonly masks = NumberColumn.int32();
  private readonly tags = NumberColumn.int32();
  private readonly groupIds = new Map<string, number>();
  private readonly groupKeys: (string | null)[][] = [];
  private readonly valueIds = new Map<string, number>();
  private readonly groupPaths: FieldPath[];
  private readonly valuePath: FieldPath | null;
  /** Matching events without an eventTime (left out: they cannot be placed in a window). */
  noTime = 0;

  constructor(
    readonly spec: SigmaCorrelation,
    private readonly parts: ((rec: Record<string, any>) => boolean)[],
    private readonly fires?: (seen: boolean[]) => boolean,
  ) {
    if (parts.length > 30) throw new SigmaCompileError(`a correlation of ${parts.length} parts; at most 30 are supported`);
    this.groupPaths = spec.groupBy.map(fieldPath);
    this.valuePath = spec.field ? fieldPath(spec.field) : null;
  }

  /** Record one event if it matches some part; returns whether it did. `tag` (called only then) is kept with it and handed back in its cluster. */
  add(leaf: number, timeMs: number | null, rec: Record<string, any>, tag: () => number = () => 0): boolean {
    let mask = 0;
    for (let k = 0; k < this.parts.length; k++) if (this.parts[k](rec)) mask |= 1 << k;
    if (mask === 0) return false;
    if (timeMs === null) {
      this.noTime++;
      return true;
    }
    // The group's key: '' without group-by, the value itself for one field (the common case), else JSON.
    let key: (string | null)[] | null = null;
    let k = '';
    if (this.groupPaths.length === 1) {
      const t = fieldText(rec, this.groupPaths[0]);
      // Prefixed so that an absent field and any string value never share a key.
      k = t === null ? 'n' : 's' + (t.length > 1024 ? t.slice(0, 1024) : t);
    } else if (this.groupPaths.length > 1) {
      key = this.groupPaths.map((p) => {
        const t = fieldText(rec, p);
        return t === null ? null : t.slice(0, 1024);
      });
      k = JSON.stringify(key);
    }
    let g = this.groupIds.get(k);
    if (g === undefined) {
      g = this.groupKeys.length;
      this.groupIds.set(k, g);
      this.groupKeys.push(key ?? (this.groupPaths.length === 1 ? [k === 'n' ? null : k.slice(1)] : []));
    }
    let v = -1;
    if (this.valuePath) {
      const t = fieldText(rec, this.valuePath);
      if (t !== null) {
        v = this.valueIds.get(t) ?? this.valueIds.size;
        if (v === this.valueIds.size) this.valueIds.set(t, v);
      }
    }
    this.times.push(timeMs);
    this.leaves.push(leaf);
    this.groups.push(g);
    this.values.push(v);
    this.masks.push(mask);
    this.tags.push(tag());
    return true;
  }

  get size(): number {
    return this.times.length;
  }

  /**
   * The firing windows, merged per group (see the header), one cluster at a time: a
   * rule matching much of a case fires in one long window at 10M events (its events
   * are that dense), and every cluster held at once, as arrays of numbers, was most of
   * the analysis's peak (a rule of ~1M matches: ~130 bytes a match at the end; now
   * the sort's 16 bytes a match besides the columns, and 8 per event of the cluster
   * being read).
   */
  *clusters(): Generator<CorrelationCluster> {
    const n = this.times.length;
    // Plain typed arrays for the sort keys (random access by index; 16 bytes an event while it runs).
    const t = new Float64Array(n);
    for (let i = 0; i < n; i++) t[i] = this.times.get(i);
    const leaves = this.leaves.int32();
    const g = this.groups.int32();
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => g[a] - g[b] || t[a] - t[b] || leaves[a] - leaves[b]);
    const span = this.spec.timespanMs ?? Number.POSITIVE_INFINITY;
    const nParts = this.parts.length;
    const { values, masks, tags } = this;
    let s = 0;
    while (s < n) {
      let e = s;
      while (e < n && g[order[e]] === g[order[s]]) e++;
      // Sliding window [i, j) over order[s..e): its counts, kept incrementally.
      const valueCounts = new Map<number, number>();
      const partCounts = new Array<number>(nParts).fill(0);
      let j = s;
      let cur: { start: number; end: number; metric: number } | null = null;
      const take = (): CorrelationCluster | null => {
        if (!cur) return null;
        const idx = order.subarray(cur.start, cur.end);
        const c: CorrelationCluster = {
          leaves: Int32Array.from(idx, (x) => leaves[x]),
          tags: Int32Array.from(idx, (x) => tags.get(x)),
          group: this.groupKeys[g[order[s]]].map((v) => (v === null ? null : v.slice(0, MAX_SHOWN))),
          metric: cur.metric,
          fromMs: t[idx[0]],
          toMs: t[idx[idx.length - 1]],
        };
        cur = null;
        return c;
      };
      // Windows start at each distinct time of the group (events at the same second all belong to it).
      let i = s;
      while (i < e) {
        const ti = t[order[i]];
        while (j < e && t[order[j]] - ti <= span) {
          const x = order[j];
          const v = values.get(x);
          if (v >= 0) valueCounts.set(v, (valueCounts.get(v) ?? 0) + 1);
          const m = masks.get(x);
          for (let k = 0; k < nParts; k++) if (m & (1 << k)) partCounts[k]++;
          j++;
        }
        const metric = this.metric(j - i, valueCounts.size, partCounts);
        if (this.holds(metric, partCounts)) {
          if (cur && i < cur.end) {
            cur.end = Math.max(cur.end, j);
            cur.metric = Math.max(cur.metric, metric);
          } else {
            const done = take();
            if (done) yield done;
            cur = { start: i, end: j, metric };
          }
        }
        // Leave the window: the events at time ti.
        while (i < e && t[order[i]] === ti) {
          const x = order[i];
          const v = values.get(x);
          if (v >= 0) {
            const c = valueCounts.get(v)! - 1;
            if (c === 0) valueCounts.delete(v);
            else valueCounts.set(v, c);
          }
          const m = masks.get(x);
          for (let k = 0; k < nParts; k++) if (m & (1 << k)) partCounts[k]--;
          i++;
        }
      }
      const last = take();
      if (last) yield last;
      s = e;
    }
  }

  private metric(events: number, distinct: number, partCounts: number[]): number {
    if (this.spec.type === 'event_count') return events;
    if (this.spec.type === 'value_count') return distinct;
    return partCounts.filter((c) => c > 0).length;
  }

  private holds(metric: number, partCounts: number[]): boolean {
    if (this.spec.type === 'temporal') {
      if (this.fires) return this.fires(partCounts.map((c) => c > 0));
      if (!this.spec.condition) return metric === this.parts.length;
    }
    return conditionHolds(this.spec.condition!, metric);
  }
}
