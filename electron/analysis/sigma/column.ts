// A growable column of numbers for the per-match state of a run (hits.ts,
// correlation.ts). A JavaScript number[] costs 8 bytes an entry and grows by
// copying into a larger array, so a list of millions briefly exists twice; a
// typed array here costs 4 (8 for times), and past CHUNK entries the column
// grows by adding chunks, never by copying what it holds. Small columns (most
// rules match little) start at 16 entries and double until they reach CHUNK.

type Typed = Int32Array | Float64Array;

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

export class NumberColumn {
  private chunks: Typed[];
  length = 0;

  constructor(private readonly make: (n: number) => Typed) {
    this.chunks = [make(16)];
  }

  static int32(): NumberColumn {
    return new NumberColumn((n) => new Int32Array(n));
  }

  static float64(): NumberColumn {
    return new NumberColumn((n) => new Float64Array(n));
  }

  push(v: number): void {
    const c = this.length >>> CHUNK_BITS;
    const at = this.length & MASK;
    if (c === this.chunks.length) this.chunks.push(this.make(CHUNK));
    else if (at === this.chunks[c].length) {
      // Only the first chunk is ever short: double it, up to a whole chunk.
      const b = this.make(Math.min(CHUNK, this.chunks[c].length * 2));
      b.set(this.chunks[c]);
      this.chunks[c] = b;
    }
    this.chunks[c][at] = v;
    this.length++;
  }

  get(i: number): number {
    return this.chunks[i >>> CHUNK_BITS][i & MASK];
  }

  /** The entries [from, to) as one Int32Array (a copy). */
  int32(from = 0, to = this.length): Int32Array {
    const out = new Int32Array(Math.max(0, to - from));
    for (let i = from; i < to; i++) out[i - from] = this.get(i);
    return out;
  }

  /** Forget every entry (keeps one small chunk). */
  clear(): void {
    this.chunks = [this.make(16)];
    this.length = 0;
  }
}
