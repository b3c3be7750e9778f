// The eventIDs an import has to compare each new record against, without the
// case's eventID index (docs/architecture.md, "Import"). A bulk import drops
// that index and sorts it in at its end: inserting 5M random keys into a B-tree
// one by one cost more than everything else of the import together (measured:
// 1M events 24.1 s/M, 5M 33.2 s/M while the index was kept past 2^21 events;
// README.md, "Speed and size").
//
// Memory stays bounded whatever the number of events: the newest ones are in
// an in-memory fingerprint map; when it is full it is written out as a sorted
// run (a temporary file of 8-byte entries) and emptied. One Bloom filter of
// fixed size says which fingerprints may be in a run, so a new event (almost
// every event of an import) costs a few bit tests; only a possible match reads
// the runs (one small read each). Every answer is a superset: the caller
// compares the stored eventID of each candidate leaf.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Tuning (tests make the map tiny to exercise the runs). */
export const eventIdSetTuning = {
  /** Events in the in-memory map before it is written out as a run (at most 2^21: see spill). 16-32 bytes an event: 16-32 MiB. */
  cap: 2 ** 20,
  /** Bits of the Bloom filter over the runs (2^27 = 16 MiB): ~0.3 % false positives at 10M events, ~4 % at 20M. */
  bloomBits: 2 ** 27,
};

/**
 * The eventIDs added in memory, as 32-bit fingerprints with the leaf each event
 * got (open addressing, grows by doubling; 8-16 bytes an event). candidates()
 * may name leaves of other eventIDs, never misses one that was added.
 */
export class FingerprintMap {
  /** Open addressing: 32-bit fingerprints (0 = empty slot) and the leaf of the event each came from; a fingerprint may repeat. */
  private fps = new Uint32Array(1 << 16);
  private leaves = new Int32Array(1 << 16);
  count = 0;

  static fp(s: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    return (h >>> 0) || 1; // 0 marks an empty slot
  }

  has(f: number): boolean {
    const mask = this.fps.length - 1;
    for (let i = f & mask; ; i = (i + 1) & mask) {
      const v = this.fps[i];
      if (v === 0) return false;
      if (v === f) return true;
    }
  }

  /** Leaves of the events added with this fingerprint (a superset of those with this eventID). */
  candidates(f: number, out: number[] = []): number[] {
    const mask = this.fps.length - 1;
    for (let i = f & mask; ; i = (i + 1) & mask) {
      const v = this.fps[i];
      if (v === 0) return out;
      if (v === f) out.push(this.leaves[i]);
    }
  }

  add(f: number, leaf: number): void {
    if ((this.count + 1) * 2 > this.fps.length) this.grow();
    this.insert(f, leaf);
  }

  /**
   * Every entry as fingerprint * 2^21 + entry number, sorted (by fingerprint, then the order
   * found), and the leaf of each entry number: for writing a run. Below 2^53, so one native
   * numeric sort of exact doubles does it.
   */
  sortedKeys(): { keys: Float64Array; leafOf: Int32Array } {
    const n = this.count;
    if (n > 2 ** 21) throw new Error('FingerprintMap.sortedKeys: more than 2^21 entries');
    const keys = new Float64Array(n);
    const leafOf = new Int32Array(n);
    let k = 0;
    for (let i = 0; i < this.fps.length; i++) {
      if (this.fps[i] === 0) continue;
      leafOf[k] = this.leaves[i];
      keys[k] = this.fps[i] * 2 ** 21 + k;
      k++;
    }
    return { keys: keys.sort(), leafOf };
  }

  clear(): void {
    this.fps = new Uint32Array(1 << 16);
    this.leaves = new Int32Array(1 << 16);
    this.count = 0;
  }

  private insert(f: number, leaf: number): void {
    const mask = this.fps.length - 1;
    let i = f & mask;
    while (this.fps[i] !== 0) i = (i + 1) & mask;
    this.fps[i] = f;
    this.leaves[i] = leaf;
    this.count++;
  }

  private grow(): void {
    const fps = this.fps;
    const leaves = this.leaves;
    this.fps = new Uint32Array(fps.length * 2);
    this.leaves = new Int32Array(fps.length * 2);
    this.count = 0;
    for (let i = 0; i < fps.length; i++) if (fps[i] !== 0) this.insert(fps[i], leaves[i]);
  }
}

// Entries per block of a run: the sparse index keeps the first fingerprint of each, and a probe reads one or two blocks (512 bytes each).
const BLOCK = 64;
const ENTRY = 8;

/** One run written out: entries (fingerprint u32, leaf i32, little-endian) sorted by fingerprint, and the first fingerprint of each block. */
interface Run {
  fd: number;
  n: number;
  firstOfBlock: Uint32Array;
}

/** 32-bit finaliser (MurmurHash3 fmix32): the Bloom filter's second hash, from the fingerprint alone. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const BLOOM_K = 6;

/** The i-th of fingerprint f's BLOOM_K bits (double hashing: f + i * h2, h2 = mix(f) | 1) in a filter of mask + 1 bits. */
function bloomBit(f: number, h2: number, i: number, mask: number): number {
  return ((f + Math.imul(i, h2)) >>> 0) & mask;
}

const openDirs = new Set<string>();
let exitHook = false;

/** The set itself: the in-memory map, the runs written out, and the Bloom filter over the runs. */
export class EventIdSet {
  private readonly map = new FingerprintMap();
  private readonly runs: Run[] = [];
  private bloom: Uint32Array | null = null;
  private dir: string | null = null;
  private readonly cap: number;
  private readonly bloomMask: number;
  private readonly block = Buffer.alloc(BLOCK * ENTRY * 2);
  /** Events added in all. */
  count = 0;

  constructor() {
    this.cap = Math.max(1, Math.min(2 ** 21, eventIdSetTuning.cap));
    this.bloomMask = eventIdSetTuning.bloomBits - 1;
  }

  /** Runs written out so far (the tests read it). */
  get spilled(): number {
    return this.runs.length;
  }

  /** May an event with this fingerprint be in the set? (False: it certainly is not.) */
  has(f: number): boolean {
    return this.map.has(f) || this.inBloom(f);
  }

  /** Leaves of the events added with this fingerprint, a superset of those with this eventID. */
  candidates(f: number): number[] {
    const out = this.map.candidates(f);
    if (this.runs.length && this.inBloom(f)) for (const r of this.runs) this.probe(r, f, out);
    return out;
  }

  add(f: number, leaf: number): void {
    this.map.add(f, leaf);
    this.count++;
    if (this.map.count >= this.cap) this.spill();
  }

  /** Remove the runs' files. The set is empty afterwards. */
  close(): void {
    for (const r of this.runs) closeSync(r.fd);
    this.runs.length = 0;
    this.bloom = null;
    this.map.clear();
    if (this.dir) {
      rmSync(this.dir, { recursive: true, force: true });
      openDirs.delete(this.dir);
      this.dir = null;
    }
  }

  private inBloom(f: number): boolean {
    const b = this.bloom;
    if (!b) return false;
    const h2 = mix(f) | 1;
    for (let i = 0; i < BLOOM_K; i++) {
      const bit = bloomBit(f, h2, i, this.bloomMask);
      if ((b[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }

  private spill(): void {
    if (!this.dir) {
      this.dir = mkdtempSync(join(tmpdir(), 'trailcase-event-ids-'));
      openDirs.add(this.dir);
      if (!exitHook) {
        exitHook = true;
        process.once('exit', () => {
          for (const d of openDirs) rmSync(d, { recursive: true, force: true });
        });
      }
    }
    if (!this.bloom) this.bloom = new Uint32Array(eventIdSetTuning.bloomBits / 32);
    const { keys, leafOf } = this.map.sortedKeys();
    this.map.clear();
    const n = keys.length;
    const buf = Buffer.alloc(n * ENTRY);
    const firstOfBlock = new Uint32Array(Math.ceil(n / BLOCK));
    const b = this.bloom;
    for (let i = 0; i < n; i++) {
      const e = keys[i] % 2 ** 21;
      const f = (keys[i] - e) / 2 ** 21;
      buf.writeUInt32LE(f, i * ENTRY);
      buf.writeInt32LE(leafOf[e], i * ENTRY + 4);
      if (i % BLOCK === 0) firstOfBlock[i / BLOCK] = f;
      const h2 = mix(f) | 1;
      for (let j = 0; j < BLOOM_K; j++) {
        const bit = bloomBit(f, h2, j, this.bloomMask);
        b[bit >>> 5] |= 1 << (bit & 31);
      }
    }
    const fd = openSync(join(this.dir, `run-${this.runs.length}`), 'w+');
    try {
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off, off);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.runs.push({ fd, n, firstOfBlock });
  }

  /** Push the leaves of run r's entries with fingerprint f onto out. */
  private probe(r: Run, f: number, out: number[]): void {
    // The first block whose first fingerprint is >= f; entries equal to f may start in the block before it.
    const fob = r.firstOfBlock;
    let lo = 0;
    let hi = fob.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (fob[mid] < f) lo = mid + 1;
      else hi = mid;
    }
    let blk = Math.max(0, lo - 1);
    for (;;) {
      const first = blk * BLOCK;
      if (first >= r.n) return;
      const entries = Math.min(BLOCK * 2, r.n - first);
      const got = readSync(r.fd, this.block, 0, entries * ENTRY, first * ENTRY);
      if (got !== entries * ENTRY) throw new Error(`event-ID run: short read (${got} of ${entries * ENTRY} bytes)`);
      for (let i = 0; i < entries; i++) {
        const v = this.block.readUInt32LE(i * ENTRY);
        if (v > f) return;
        if (v === f) out.push(this.block.readInt32LE(i * ENTRY + 4));
      }
      blk += 2;
    }
  }
}
