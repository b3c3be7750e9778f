// The distinct combinations of the normalised fields a Sigma finding reads
// (hits.ts): each match keeps the index of its combination, 4 bytes, instead
// of the fields. There are few combinations (principals × keys × addresses ×
// names), but they grow with the role sessions of a case (each session is its
// own principal ARN), so each is kept small: the ids of its values, every
// distinct value held once across all combinations. The fields object a
// finding reads is made again when asked for.
import type { AnalysisEvent } from '../../../shared/analysis/findings.ts';
import { NumberColumn } from './column.ts';

type Normalized = AnalysisEvent['n'];

/** The normalised fields a Sigma finding reads (artefacts and the listed events); the others are per event. */
export const LIGHT_FIELDS = ['identityType', 'sessionIssuerArn', 'principalArn', 'userName', 'accessKeyId', 'sourceIPAddress', 'recipientAccountId', 'eventName', 'eventSource', 'errorCode'] as const;

/** Per combination: the id of its key list, then one value id per light field (0: null). */
const WIDTH = LIGHT_FIELDS.length + 1;
/** Fields objects made again at the end, kept for reuse up to this many. */
const MADE_CACHE = 4096;

export class FieldCombos {
  /** Distinct values; id = index + 1 (0 is null). */
  private readonly values: string[] = [];
  private readonly valueIds = new Map<string, number>();
  /** Distinct key lists of normalised records (one in practice), as the others-are-null template of a combination. */
  private readonly keyLists: string[][] = [];
  private readonly keyListIds = new Map<string, number>();
  private readonly ids = NumberColumn.int32();
  private readonly index = new Map<string, number>();
  private readonly made = new Map<number, Normalized>();

  private valueId(v: unknown): number {
    if (v === null || v === undefined) return 0;
    const s = String(v);
    let id = this.valueIds.get(s);
    if (id === undefined) {
      this.values.push(s);
      id = this.values.length;
      this.valueIds.set(s, id);
    }
    return id;
  }

  /** The last key list seen and its id: normalised records all share one shape, so the join and lookup are skipped per match. */
  private lastKeys: string[] = [];
  private lastKeyList = -1;

  private keyListOf(n: Normalized): number {
    const keys = Object.keys(n);
    if (this.lastKeyList >= 0 && keys.length === this.lastKeys.length && keys.every((k, i) => k === this.lastKeys[i])) return this.lastKeyList;
    const keysText = keys.join('\u0000');
    let kl = this.keyListIds.get(keysText);
    if (kl === undefined) {
      kl = this.keyLists.length;
      this.keyLists.push(keys);
      this.keyListIds.set(keysText, kl);
    }
    this.lastKeys = keys;
    this.lastKeyList = kl;
    return kl;
  }

  /** The index of these fields' combination (added when new). */
  of(n: Normalized): number {
    const row = [this.keyListOf(n)];
    for (const f of LIGHT_FIELDS) row.push(this.valueId(n[f]));
    const key = row.join(',');
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.ids.length / WIDTH;
      for (const id of row) this.ids.push(id);
      this.index.set(key, i);
    }
    return i;
  }

  /** The fields of combination `i`: the light ones as matched, every other normalised field null. */
  fields(i: number): Normalized {
    let n = this.made.get(i);
    if (n) return n;
    const at = i * WIDTH;
    const c: Record<string, unknown> = {};
    for (const k of this.keyLists[this.ids.get(at)]) c[k] = null;
    LIGHT_FIELDS.forEach((f, k) => {
      const id = this.ids.get(at + 1 + k);
      c[f] = id === 0 ? null : this.values[id - 1];
    });
    n = Object.freeze(c) as unknown as Normalized;
    if (this.made.size >= MADE_CACHE) this.made.clear();
    this.made.set(i, n);
    return n;
  }
}
