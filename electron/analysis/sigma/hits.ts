// One run's Sigma state (docs/analysis.md, "Memory"): `feed` each event a rule
// wants, `findings` at the end. No record and no event object is kept: a
// match costs 8 bytes (its leaf, and the index of its normalised fields among
// the distinct combinations seen, combos.ts), or for a correlation the six numbers of its state
// (correlation.ts). A rule's first `spillAt` matches are held; past that they
// go, a few thousand at a time, to a TEMP table of the connection (on disk:
// some SigmaHQ rules match most of a case, and 8 bytes times millions is
// what made the analysis grow with the case). At the end the events of each
// finding (a rule's matches, or a correlation's firing window) are read back
// by leaf: eventID and time when they are few, else from that table, which
// SQLite sorts, so no list of every match is ever held.
import { createHash } from 'node:crypto';
import type { AnalysisEvent, Finding } from '../../../shared/analysis/findings.ts';
import { matchSigma, newCorrelationState, type CompiledSigmaRule } from './engine.ts';
import type { CorrelationState } from './correlation.ts';
import { NumberColumn } from './column.ts';
import { FieldCombos } from './combos.ts';
import { buildSigmaFinding, SigmaFindingBuilder, type CorrelationHit, type MatchedEvent } from './finding.ts';

type Warn = (unit: string, eventId: string | null, message: string) => void;


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
}

/** A table SQLite sorts (case/data/sigma-hits.ts): rows (leaf, tag) under a key, one key per rule or correlation window. */
export interface HitSpill {
  append(key: number, leaves: Int32Array, tags: Int32Array, n: number): void;
  /** [tag, eventId, timeMs] of the key's rows in the order appended. */
  inOrder(key: number): Iterable<[number, string, number | null]>;
  /** Distinct eventIDs of the key's rows in SQLite's byte order. */
  sortedIds(key: number): Iterable<string>;
  clear(key: number): void;
}

/** Matches appended to the spill table at a time, once a rule has passed spillAt. */
const SPILL_BATCH = 16_384;

/** One rule's matches: (leaf, fields index) pairs held, and how many went to the spill table before them. */
class Matches {
  leaves = NumberColumn.int32();
  tags = NumberColumn.int32();
  spilled = 0;
  get n(): number {
    return this.leaves.length;
  }
  push(leaf: number, tag: number): void {
    this.leaves.push(leaf);
    this.tags.push(tag);
  }
  /** Move what is held to the spill table. */
  flush(spill: HitSpill, key: number): void {
    spill.append(key, this.leaves.int32(), this.tags.int32(), this.n);
    this.spilled += this.n;
    this.leaves.clear();
    this.tags.clear();
  }
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
  /** Per plain rule; a correlation keeps its matches in its state. */
  private readonly matches: (Matches | null)[];
  private readonly states: (CorrelationState | null)[];
  private readonly combos = new FieldCombos();
  private readonly spillAt: number;
  private readonly spill: HitSpill | null;
  /** Spill keys: rule i is key i; correlation windows take the keys after the rules'. */
  private nextKey: number;

  /**
   * @param opts.spill where a rule's matches past spillAt go (absent: all are held and read back by `locate`).
   * @param opts.spillAt a rule with more matches than this is read back through the spill table (tests lower it).
   */
  constructor(
    readonly rules: CompiledSigmaRule[],
    opts: { spillAt?: number; spill?: HitSpill } = {},
  ) {
    this.matches = rules.map((r) => (r.correlation ? null : new Matches()));
    this.states = rules.map((r) => (r.correlation ? newCorrelationState(r) : null));
    this.spillAt = opts.spillAt ?? 50_000;
    this.spill = opts.spill ?? null;
    this.nextKey = rules.length;
  }

  feed(i: number, e: AnalysisEvent, warn: Warn): void {
    // Rule i has either match storage (a plain rule) or a correlation state (constructor).
    const m = this.matches[i];
    const st = this.states[i];
    try {
      if (st) st.add(e.leaf, e.timeMs, e.record, () => this.combos.of(e.n));
      else if (m && matchSigma(this.rules[i], e.record)) m.push(e.leaf, this.combos.of(e.n));
    } catch (err) {
      warn(`sigma:${this.rules[i].id}`, e.eventId, (err as Error).message);
      return;
    }
    // Past spillAt the rule is read back through the spill table anyway: hold no more than a batch. A spill that
    // fails (the temporary directory full) ends the analysis with its error: it is not a fact about this event.
    if (m && this.spill && (m.spilled > 0 ? m.n >= SPILL_BATCH : m.n > this.spillAt)) m.flush(this.spill, i);
  }

  findings(src: HitSource, warn: Warn): Finding[] {
    const out: Finding[] = [];
    this.rules.forEach((rule, i) => {
      try {
        const st = this.states[i];
        if (!st) {
          const m = this.matches[i]!;
          if (m.spilled) {
            m.flush(this.spill!, i);
            out.push(this.spilled(rule, i, m.spilled));
          } else if (m.n) out.push(this.finding(rule, m.leaves.int32(), m.tags.int32(), m.n, src));
          return;
        }
        if (st.noTime) warn(`sigma:${rule.id}`, null, `${st.noTime} matching event${st.noTime === 1 ? ' has' : 's have'} no eventTime and could not be placed in a correlation window`);
        for (const c of st.clusters()) {
          // In the window's order (time, then leaf): the order the spill path needs; a leaf once. An
          // event added twice has one time and one group, so its copies sit side by side: the first is kept.
          const { leaves, tags } = c;
          let n = 0;
          for (let k = 0; k < leaves.length; k++) {
            if (k > 0 && leaves[k] === leaves[k - 1]) continue;
            leaves[n] = leaves[k];
            tags[n] = tags[k];
            n++;
          }
          if (n) out.push(this.finding(rule, leaves.subarray(0, n), tags.subarray(0, n), n, src, { group: c.group, metric: c.metric }));
        }
      } catch (err) {
        warn(`sigma:${rule.id}`, null, (err as Error).message);
      }
    });
    return out;
  }

  private finding(rule: CompiledSigmaRule, leaves: Int32Array, tags: Int32Array, n: number, src: HitSource, corr?: CorrelationHit): Finding {
    if (!this.spill || n <= this.spillAt) return this.held(rule, leaves, tags, n, src, corr);
    const key = this.nextKey++;
    this.spill.append(key, leaves, tags, n);
    return this.spilled(rule, key, n, corr);
  }

  /** Few events: their eventIDs and times read by leaf, the finding built in memory. */
  private held(rule: CompiledSigmaRule, leaves: Int32Array, tags: Int32Array, n: number, src: HitSource, corr?: CorrelationHit): Finding {
    const at = new Map<number, { eventId: string; timeMs: number | null }>();
    const CHUNK = 5000;
    for (let k = 0; k < n; k += CHUNK) for (const r of src.locate(Array.from(leaves.subarray(k, Math.min(n, k + CHUNK))))) at.set(r.leaf, r);
    const events: MatchedEvent[] = [];
    for (let k = 0; k < n; k++) {
      const r = at.get(leaves[k]);
      if (r) events.push({ eventId: r.eventId, timeMs: r.timeMs, n: this.combos.fields(tags[k]) });
    }
    return buildSigmaFinding(rule, events, sigmaFindingId, corr);
  }

  /**
   * Many events: in the spill table under `key` in time order (the pass's order,
   * or a correlation window's), read back with their eventIDs one second at a time
   * (sorted by eventID within it, as buildSigmaFinding sorts), and once more by
   * eventID, sorted by SQLite, for the finding id. An eventID is one event in a
   * case (a second copy is kept in event_copies, docs/case-format.md), so a
   * repeat can only sit within one time; anything else is an error, not a
   * silently different finding. The result equals buildSigmaFinding's
   * (test/analysis/sigma-spill.test.ts) while holding one second's matches.
   */
  private spilled(rule: CompiledSigmaRule, key: number, n: number, corr?: CorrelationHit): Finding {
    const spill = this.spill!;
    try {
      const b = new SigmaFindingBuilder(rule, corr);
      let distinct = 0;
      const emit = (group: [number, string, number | null][]) => {
        group.sort((x, y) => (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0)); // stable: equal ids keep the order written
        for (let k = 0; k < group.length; k++) {
          const first = k === 0 || group[k - 1][1] !== group[k][1];
          if (first) distinct++;
          b.add({ eventId: group[k][1], timeMs: group[k][2], n: this.combos.fields(group[k][0]) }, first);
        }
      };
      let group: [number, string, number | null][] = [];
      const order = (t: number | null) => (t === null ? Infinity : t);
      for (const r of spill.inOrder(key)) {
        if (group.length && group[0][2] !== r[2]) {
          if (order(r[2]) < order(group[0][2])) throw new Error(`matches were not handed over in time order (eventID ${r[1]})`);
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
      const id = sigmaFindingIdOfSorted(`sigma:${rule.id}`, counted(inJsOrder(spill.sortedIds(key))));
      if (ids !== distinct) throw new Error(`${ids - distinct} eventID(s) among its ${n} matches belong to events at different times; the finding is not built`);
      return b.finish(id);
    } finally {
      spill.clear(key);
    }
  }
}
