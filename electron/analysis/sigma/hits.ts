// One run's Sigma state (docs/analysis.md, "Memory"): `feed` each event a rule
// wants, `findings` at the end. No record and no event object is kept: a
// match costs 8 bytes (its leaf, and the index of its normalised fields among
// the distinct ones seen), plus five numbers for a correlation
// (correlation.ts). At the end the events of each finding (a rule's matches,
// or a correlation's firing window) are read back by leaf: eventID and time
// when they are few, and when they are many (some SigmaHQ rules match most of
// a case) through a TEMP table that SQLite sorts, so no list of every match
// is ever held as strings.
import { createHash } from 'node:crypto';
import type { AnalysisEvent, Finding } from '../../../shared/analysis/findings.ts';
import { matchSigma, newCorrelationState, type CompiledSigmaRule } from './engine.ts';
import type { CorrelationState } from './correlation.ts';
import { buildSigmaFinding, SigmaFindingBuilder, type CorrelationHit, type MatchedEvent } from './finding.ts';

type Normalized = AnalysisEvent['n'];
type Warn = (unit: string, eventId: string | null, message: string) => void;

/** The normalised fields a Sigma finding reads (artefacts and the listed events); the others are per event. */
const LIGHT_FIELDS = ['identityType', 'sessionIssuerArn', 'principalArn', 'userName', 'accessKeyId', 'sourceIPAddress', 'recipientAccountId', 'eventName', 'eventSource', 'errorCode'] as const;

/** Stable finding id: first 16 hex digits of SHA-256 over the check id and the sorted event ids, newline-separated. */
export function sigmaFindingId(checkId: string, eventIds: string[]): string {
  return sigmaFindingIdOfSorted(checkId, [...eventIds].sort());
}

/** The same id over eventIDs already sorted (JavaScript's string order) and distinct, as a stream. */
export function sigmaFindingIdOfSorted(checkId: string, sortedIds: Iterable<string>): string {
  const h = createHash('sha256');
  h.update(checkId);
  for (const id of sortedIds) h.update('\n' + id);
  return h.digest('hex').slice(0, 16);
}

/** Where the matches are read back from at the end (run.ts hands the case's; tests hand their events). */
export interface HitSource {
  /** eventID and time by leaf, any order. */
  locate(leaves: number[]): { leaf: number; eventId: string; timeMs: number | null }[];
  /** A table SQLite sorts, for a rule with more than `spillAt` matches; absent: everything is read back by `locate`. */
  spill?: HitSpill;
}

export interface HitSpill {
  write(leaves: Int32Array, tags: Int32Array, n: number): void;
  /** [tag, eventId, timeMs] in the order written. */
  inOrder(): Iterable<[number, string, number | null]>;
  /** Distinct eventIDs in SQLite's byte order. */
  sortedIds(): Iterable<string>;
  clear(): void;
}

/** A growable list of (leaf, fields index) pairs. */
class Matches {
  leaves = new Int32Array(16);
  tags = new Int32Array(16);
  n = 0;
  push(leaf: number, tag: number): void {
    if (this.n === this.leaves.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.leaves = grow(this.leaves);
      this.tags = grow(this.tags);
    }
    this.leaves[this.n] = leaf;
    this.tags[this.n++] = tag;
  }
}

/** A leaf's fields index among a rule's matches (binary search over the leaves sorted once). */
function tagLookup(m: Matches): (leaf: number) => number {
  const order = new Uint32Array(m.n);
  for (let k = 0; k < m.n; k++) order[k] = k;
  order.sort((a, b) => m.leaves[a] - m.leaves[b]);
  return (leaf) => {
    let lo = 0;
    let hi = m.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const l = m.leaves[order[mid]];
      if (l === leaf) return m.tags[order[mid]];
      if (l < leaf) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new Error(`correlation window cites leaf ${leaf}, which the rule never matched`);
  };
}
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * SQLite orders TEXT by UTF-8 bytes, JavaScript by UTF-16 code units. The two
 * agree except between two strings that both hold non-ASCII characters, so only
 * a run of consecutive non-ASCII ids can be out of JavaScript's order: sort
 * each such run again.
 */
function* inJsOrder(ids: Iterable<string>): Generator<string> {
  let run: string[] = [];
  for (const id of ids) {
    if (!isAscii(id)) {
      run.push(id);
      continue;
    }
    if (run.length) {
      yield* run.sort();
      run = [];
    }
    yield id;
  }
  yield* run.sort();
}

export class SigmaHits {
  private readonly matches: Matches[];
  private readonly states: (CorrelationState | null)[];
  private readonly fields: Normalized[] = [];
  private readonly fieldIndex = new Map<string, number>();
  private readonly spillAt: number;

  /** @param opts.spillAt a rule with more matches than this is read back through the spill table (tests lower it). */
  constructor(
    readonly rules: CompiledSigmaRule[],
    opts: { spillAt?: number } = {},
  ) {
    this.matches = rules.map(() => new Matches());
    this.states = rules.map((r) => (r.correlation ? newCorrelationState(r) : null));
    this.spillAt = opts.spillAt ?? 50_000;
  }

  /** The index of these normalised fields among the distinct ones seen (few: principals × keys × addresses × names). */
  private fieldsOf(n: Normalized): number {
    const k = LIGHT_FIELDS.map((f) => n[f] ?? '\u0001').join('\u0000');
    let i = this.fieldIndex.get(k);
    if (i === undefined) {
      const c = Object.fromEntries(Object.keys(n).map((f) => [f, null])) as Record<string, unknown>;
      for (const f of LIGHT_FIELDS) c[f] = n[f];
      i = this.fields.length;
      this.fields.push(Object.freeze(c) as unknown as Normalized);
      this.fieldIndex.set(k, i);
    }
    return i;
  }

  feed(i: number, e: AnalysisEvent, warn: Warn): void {
    try {
      const st = this.states[i];
      if (st ? st.add(e.leaf, e.timeMs, e.record) : matchSigma(this.rules[i], e.record)) this.matches[i].push(e.leaf, this.fieldsOf(e.n));
    } catch (err) {
      warn(`sigma:${this.rules[i].id}`, e.eventId, (err as Error).message);
    }
  }

  findings(src: HitSource, warn: Warn): Finding[] {
    const out: Finding[] = [];
    this.rules.forEach((rule, i) => {
      try {
        const m = this.matches[i];
        const st = this.states[i];
        if (!st) {
          if (m.n) out.push(this.finding(rule, m.leaves, m.tags, m.n, src));
          return;
        }
        if (st.noTime) warn(`sigma:${rule.id}`, null, `${st.noTime} matching event${st.noTime === 1 ? ' has' : 's have'} no eventTime and could not be placed in a correlation window`);
        const clusters = st.clusters();
        if (!clusters.length) return;
        const tagOf = tagLookup(m);
        for (const c of clusters) {
          // In the window's order (time, then leaf): the order the spill path needs.
          const leaves = Int32Array.from(new Set(c.leaves));
          const tags = leaves.map(tagOf);
          if (leaves.length) out.push(this.finding(rule, leaves, tags, leaves.length, src, { group: c.group, metric: c.metric }));
        }
      } catch (err) {
        warn(`sigma:${rule.id}`, null, (err as Error).message);
      }
    });
    return out;
  }

  private finding(rule: CompiledSigmaRule, leaves: Int32Array, tags: Int32Array, n: number, src: HitSource, corr?: CorrelationHit): Finding {
    return src.spill && n > this.spillAt ? this.spilled(rule, leaves, tags, n, src.spill, corr) : this.held(rule, leaves, tags, n, src, corr);
  }

  /** Few events: their eventIDs and times read by leaf, the finding built in memory. */
  private held(rule: CompiledSigmaRule, leaves: Int32Array, tags: Int32Array, n: number, src: HitSource, corr?: CorrelationHit): Finding {
    const at = new Map<number, { eventId: string; timeMs: number | null }>();
    const CHUNK = 5000;
    for (let k = 0; k < n; k += CHUNK) for (const r of src.locate(Array.from(leaves.subarray(k, Math.min(n, k + CHUNK))))) at.set(r.leaf, r);
    const events: MatchedEvent[] = [];
    for (let k = 0; k < n; k++) {
      const r = at.get(leaves[k]);
      if (r) events.push({ eventId: r.eventId, timeMs: r.timeMs, n: this.fields[tags[k]] });
    }
    return buildSigmaFinding(rule, events, sigmaFindingId, corr);
  }

  /**
   * Many events: written to the spill table in time order (the pass's order, or
   * a correlation window's), read back with their eventIDs one second at a time
   * (sorted by eventID within it, as buildSigmaFinding sorts), and once more by
   * eventID, sorted by SQLite, for the finding id. An eventID is one event in a
   * case (a second copy is kept in event_copies, docs/case-format.md), so a
   * repeat can only sit within one time; anything else is an error, not a
   * silently different finding. The result equals buildSigmaFinding's
   * (test/analysis/sigma-spill.test.ts) while holding one second's matches.
   */
  private spilled(rule: CompiledSigmaRule, leaves: Int32Array, tags: Int32Array, n: number, spill: HitSpill, corr?: CorrelationHit): Finding {
    spill.write(leaves, tags, n);
    try {
      const b = new SigmaFindingBuilder(rule, corr);
      let distinct = 0;
      const emit = (group: [number, string, number | null][]) => {
        group.sort((x, y) => (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0)); // stable: equal ids keep the order written
        for (let k = 0; k < group.length; k++) {
          const first = k === 0 || group[k - 1][1] !== group[k][1];
          if (first) distinct++;
          b.add({ eventId: group[k][1], timeMs: group[k][2], n: this.fields[group[k][0]] }, first);
        }
      };
      let group: [number, string, number | null][] = [];
      const key = (t: number | null) => (t === null ? Infinity : t);
      for (const r of spill.inOrder()) {
        if (group.length && group[0][2] !== r[2]) {
          if (key(r[2]) < key(group[0][2])) throw new Error(`matches were not handed over in time order (eventID ${r[1]})`);
          emit(group);
          group = [];
        }
        group.push(r);
      }
      emit(group);
      let ids = 0;
      const counted = function* (it: Iterable<string>) {
        for (const id of it) {
          ids++;
          yield id;
        }
      };
      const id = sigmaFindingIdOfSorted(`sigma:${rule.id}`, counted(inJsOrder(spill.sortedIds())));
      if (ids !== distinct) throw new Error(`${ids - distinct} eventID(s) among its ${n} matches belong to events at different times; the finding is not built`);
      return b.finish(id);
    } finally {
      spill.clear();
    }
  }
}
