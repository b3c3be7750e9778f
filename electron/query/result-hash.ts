// The result hash of a query (docs/queries.md "Canonical result and its hash"):
// SHA-256 over the canonical JSON of the column names, a newline, then the
// lower-case hex SHA-256 of each row's canonical JSON array, sorted, each
// followed by a newline. Sorting makes it independent of the order a parallel
// engine returns rows in when the query does not fix one.
//
// Sorting needs every row's hash. They are kept as 32 bytes each (sorted hex
// is sorted bytes), and past `memoryRows` (1M rows, 32 MB) a sorted run goes to
// a temporary file (in the query's spill directory) and the runs are merged at the end, so a query returning
// every event of a 10M-event case hashes in bounded memory (before: 320 MB of
// hashes, the query process peaking at 571 MB).
import { createHash, hash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '@duckdb/node-api';
import { canonicalJson } from '../case/canonical.ts';

const BLOCK_ROWS = 65_536;
const MEMORY_ROWS = 1 << 20;
// Hashes read from each run at a time while merging.
const READ_ROWS = 4_096;

/**
 * n 32-byte entries spread over blocks of BLOCK_ROWS, sorted into one buffer: a
 * counting sort on the first two bytes, then each small bucket by the next four
 * (numbers, not buffer compares), the rest of the entry only on a tie; entries
 * are moved as eight 32-bit words (a Buffer.copy per entry cost 0.5 s a million).
 */
function sortEntries(blocks: Buffer[], n: number): Buffer {
  const words = blocks.map((b) => new Uint32Array(b.buffer, b.byteOffset, b.length >> 2));
  const blk = (i: number) => blocks[Math.floor(i / BLOCK_ROWS)];
  const at = (i: number) => (i % BLOCK_ROWS) * 32;
  const start = new Uint32Array(65537);
  const next4 = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    start[blk(i).readUInt16BE(at(i)) + 1]++;
    next4[i] = blk(i).readUInt32BE(at(i) + 2);
  }
  for (let b = 0; b < 65536; b++) start[b + 1] += start[b];
  const next = start.slice(0, 65536);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[next[blk(i).readUInt16BE(at(i))]++] = i;
  const cmp = (x: number, y: number) => next4[x] - next4[y] || blk(x).compare(blk(y), at(y) + 6, at(y) + 32, at(x) + 6, at(x) + 32);
  for (let b = 0; b < 65536; b++) {
    if (start[b + 1] - start[b] > 1) order.subarray(start[b], start[b + 1]).sort(cmp);
  }
  const out = Buffer.allocUnsafeSlow(n * 32); // its own ArrayBuffer: 4-byte aligned for the word view
  const dst = new Uint32Array(out.buffer, out.byteOffset, n * 8);
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const src = words[Math.floor(i / BLOCK_ROWS)];
    const o = (i % BLOCK_ROWS) * 8;
    for (let w = 0; w < 8; w++) dst[k * 8 + w] = src[o + w];
  }
  return out;
}

/** A sorted run being merged: a window of its entries in memory. */
interface Cursor {
  buf: Buffer;
  pos: number; // byte offset of the current entry in buf
  end: number; // bytes valid in buf
  fileAt: number; // next byte to read from the file (runs on disk)
  fileEnd: number;
}

export class ResultHasher {
  private blocks: Buffer[] = [Buffer.allocUnsafeSlow(BLOCK_ROWS * 32)];
  private used = 0; // entries in memory
  private runs: { at: number; bytes: number }[] = [];
  private file: string | null = null;
  private ownDir: string | null = null;
  private fd = -1;
  private written = 0;
  private readonly memoryRows: number;
  private readonly dir: string | undefined;

  /**
   * @param opts.dir where the runs' file goes (a query passes its own temporary directory; default: a new one under the OS's).
   * @param opts.memoryRows row hashes kept in memory before a sorted run is written out (tests make it small).
   */
  constructor(
    private readonly columns: string[],
    opts: { dir?: string; memoryRows?: number } = {},
  ) {
    this.memoryRows = opts.memoryRows ?? MEMORY_ROWS;
    this.dir = opts.dir;
  }

  add(row: Json[]): void {
    this.addText(canonicalJson(row));
  }

  /** A row given as its canonical JSON text (engine.ts rowTexts writes it from the result's vectors). */
  addText(text: string): void {
    if (this.used === this.memoryRows) this.spill();
    const b = Math.floor(this.used / BLOCK_ROWS);
    if (b === this.blocks.length) this.blocks.push(Buffer.allocUnsafeSlow(BLOCK_ROWS * 32));
    // One-shot hash: half the time of a Hash object per row.
    hash('sha256', text, 'buffer').copy(this.blocks[b], (this.used % BLOCK_ROWS) * 32);
    this.used++;
  }

  private spill(): void {
    if (this.fd < 0) {
      const dir = this.dir ?? (this.ownDir = mkdtempSync(join(tmpdir(), 'trailcase-hash-')));
      this.file = join(dir, 'result-hash-runs');
      this.fd = openSync(this.file, 'wx+');
    }
    const sorted = sortEntries(this.blocks, this.used);
    for (let o = 0; o < sorted.length; ) o += writeSync(this.fd, sorted, o, sorted.length - o, this.written + o);
    this.runs.push({ at: this.written, bytes: sorted.length });
    this.written += sorted.length;
    this.blocks = [this.blocks[0]];
    this.used = 0;
  }

  digest(): string {
    try {
      const h = createHash('sha256').update(canonicalJson(this.columns) + '\n');
      const cursors: Cursor[] = this.runs.map((r) => ({ buf: Buffer.allocUnsafe(Math.min(READ_ROWS * 32, r.bytes)), pos: 0, end: 0, fileAt: r.at, fileEnd: r.at + r.bytes }));
      const mem = sortEntries(this.blocks, this.used);
      cursors.push({ buf: mem, pos: 0, end: mem.length, fileAt: 0, fileEnd: 0 });
      const live = cursors.filter((c) => this.refill(c));
      // A binary heap of the runs by their current entry: each step emits the smallest.
      const less = (a: Cursor, b: Cursor) => a.buf.compare(b.buf, b.pos, b.pos + 32, a.pos, a.pos + 32) < 0;
      const down = (i: number) => {
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < live.length && less(live[l], live[m])) m = l;
          if (r < live.length && less(live[r], live[m])) m = r;
          if (m === i) return;
          [live[i], live[m]] = [live[m], live[i]];
          i = m;
        }
      };
      for (let i = (live.length >> 1) - 1; i >= 0; i--) down(i);
      let text = '';
      let pending = 0;
      while (live.length) {
        if (live.length === 1) {
          // One run left (the only one when nothing spilled): the rest of it is in order, so
          // it is written out a window at a time instead of an entry at a time.
          h.update(text);
          text = '';
          const c = live[0];
          do {
            for (let at = c.pos; at < c.end; at += READ_ROWS * 32) {
              const hex = c.buf.toString('hex', at, Math.min(c.end, at + READ_ROWS * 32));
              let window = '';
              for (let o = 0; o < hex.length; o += 64) window += hex.slice(o, o + 64) + '\n';
              h.update(window);
            }
            c.pos = c.end;
          } while (this.refill(c));
          break;
        }
        const c = live[0];
        text += c.buf.toString('hex', c.pos, c.pos + 32) + '\n';
        if (++pending === READ_ROWS) {
          h.update(text);
          text = '';
          pending = 0;
        }
        c.pos += 32;
        if (!this.refill(c)) {
          live[0] = live[live.length - 1];
          live.pop();
        }
        if (live.length) down(0);
      }
      h.update(text);
      return h.digest('hex');
    } finally {
      this.dispose();
    }
  }

  /** Ensure the cursor has a current entry; false when its run is done. */
  private refill(c: Cursor): boolean {
    if (c.pos < c.end) return true;
    if (c.fileAt >= c.fileEnd) return false;
    const want = Math.min(c.buf.length, c.fileEnd - c.fileAt);
    let got = 0;
    while (got < want) {
      const n = readSync(this.fd, c.buf, got, want - got, c.fileAt + got);
      if (n === 0) throw new Error('the result hash runs ended early');
      got += n;
    }
    c.fileAt += want;
    c.pos = 0;
    c.end = want;
    return true;
  }

  /** Remove the temporary runs (digest does; callers whose query failed call it). */
  dispose(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    if (this.file) rmSync(this.file, { force: true });
    if (this.ownDir) rmSync(this.ownDir, { recursive: true, force: true });
    this.file = this.ownDir = null;
  }
}
