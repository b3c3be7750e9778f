// Query results kept for browsing (docs/queries.md "Results in the app"): the Query view shows,
// exports and pivots on every row of a result, not only the first page it was sent. As a run
// hashes each row's canonical JSON (engine.ts, rowTexts), the same text goes to a file, one row a
// line (JSON escapes every line break inside a value, so a line is a row), with the byte offset of
// every 256th row held in memory; a page is read from the nearest offset. Files live in a private
// directory beside the derived file (`<case>-query.results-<host>-<pid>-XXXXXX`, mode 0700): each
// result at most KEPT_BYTES (its first rows beyond that are kept, the rest counted and hashed but
// only the CLI streams them), the last KEEP_LAST results of a case per process, removed when the
// case is closed, at exit, or (left by a killed process) by the next query on this machine.
//
// The rows are the run's own text: the result hash is over exactly these lines (sorted), so a
// page is what was hashed and custody-logged, never a second run of the query.
import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { QueryCell, QueryResultPage } from '../../shared/api/query.ts';
import { UserError } from '../errors.ts';
import { removeStaleDirs, privatePrefix } from './readonly-db.ts';

/** Bytes of row text kept per result (the rest of a larger result is counted and hashed, not kept). */
export const KEPT_BYTES = 512 * 2 ** 20;
/** Results kept per case in this process; an older one is removed when a newer one is kept. */
export const KEEP_LAST = 3;
/** Rows a page may ask for. */
export const PAGE_MAX = 5000;
const INDEX_EVERY = 256;
const FLUSH_BYTES = 1 << 20;

interface Kept {
  seq: number;
  file: string;
  columns: { name: string; type: string }[];
  rowCount: number;
  rows: number;
  offsets: number[];
}

interface CaseResults {
  dir: string;
  kept: Kept[];
}

const byDerived = new Map<string, CaseResults>();

function dirFor(derived: string): CaseResults {
  let c = byDerived.get(derived);
  if (!c) {
    removeStaleDirs(derived, 'results');
    c = { dir: mkdtempSync(join(dirname(derived), `${privatePrefix(derived, 'results')}${process.pid}-`)), kept: [] };
    byDerived.set(derived, c);
  }
  return c;
}

/** Writes one run's rows as they are hashed; `commit` makes them a kept result, `discard` removes them. */
export class ResultKeeper {
  private fd: number | null;
  private buf: string[] = [];
  private bufBytes = 0;
  private bytes = 0;
  private rows = 0;
  private full = false;
  private readonly offsets: number[] = [];
  private readonly file: string;

  constructor(
    private readonly derived: string,
    private readonly budget = KEPT_BYTES,
  ) {
    const c = dirFor(derived);
    this.file = join(c.dir, `r${Date.now()}-${Math.random().toString(36).slice(2, 8)}.ndjson`);
    this.fd = openSync(this.file, 'wx', 0o600);
  }

  /** One row's canonical JSON (an array, no line break in it). */
  add(text: string): void {
    if (this.full) return;
    const n = Buffer.byteLength(text) + 1;
    if (this.bytes + n > this.budget) {
      this.full = true;
      return;
    }
    if (this.rows % INDEX_EVERY === 0) this.offsets.push(this.bytes);
    this.buf.push(text);
    this.bufBytes += n;
    this.bytes += n;
    this.rows++;
    if (this.bufBytes >= FLUSH_BYTES) this.flush();
  }

  /** Forget the rows added so far (the query is run again from the start). */
  reset(): void {
    if (this.fd === null) return;
    this.buf = [];
    this.bufBytes = this.bytes = this.rows = 0;
    this.full = false;
    this.offsets.length = 0;
    ftruncateSync(this.fd, 0);
  }

  private flush(): void {
    if (!this.buf.length || this.fd === null) return;
    // At its offset: after reset() the descriptor's own position is past the truncated end.
    writeSync(this.fd, this.buf.join('\n') + '\n', this.bytes - this.bufBytes);
    this.buf = [];
    this.bufBytes = 0;
  }

  /**
   * Write out the last rows and close the file. The run calls it before its custody entry, so
   * a disk that fails here fails the run before it is on the record, not after.
   */
  finish(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }

  /** Keep the rows as the result of custody entry `seq`; returns how many rows are kept. */
  commit(seq: number, columns: { name: string; type: string }[], rowCount: number): number {
    this.finish();
    const c = dirFor(this.derived);
    c.kept.push({ seq, file: this.file, columns, rowCount, rows: this.rows, offsets: this.offsets });
    while (c.kept.length > KEEP_LAST) rmSync(c.kept.shift()!.file, { force: true });
    return this.rows;
  }

  /** The run failed or was cancelled: nothing is kept. */
  discard(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    try {
      unlinkSync(this.file);
    } catch {
      // already gone
    }
  }
}

/** Rows [offset, offset + limit) of the kept result of custody entry `seq`, as the run hashed them. */
export function keptPage(derived: string, seq: number, offset: number, limit: number): QueryResultPage {
  const k = byDerived.get(derived)?.kept.find((x) => x.seq === seq);
  if (!k) throw new UserError(`the rows of query custody #${seq} are no longer kept (the last ${KEEP_LAST} results are, until the case is closed): run it again, or stream it with trailcase query`);
  const want = Math.max(0, Math.min(limit, PAGE_MAX, k.rows - offset));
  const rows: QueryCell[][] = [];
  if (want > 0) {
    const block = Math.floor(offset / INDEX_EVERY);
    let skip = offset - block * INDEX_EVERY;
    let pos = k.offsets[block];
    const fd = openSync(k.file, 'r');
    try {
      let carry: Buffer = Buffer.alloc(0);
      const chunk = Buffer.allocUnsafe(1 << 20);
      while (rows.length < want) {
        const n = readSync(fd, chunk, 0, chunk.length, pos);
        if (n === 0) throw new Error(`kept result of custody #${seq} ends early at byte ${pos}`);
        pos += n;
        const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
        let start = 0;
        for (let nl = data.indexOf(10, start); nl >= 0 && rows.length < want; nl = data.indexOf(10, start)) {
          if (skip > 0) skip--;
          else rows.push(JSON.parse(data.toString('utf8', start, nl)) as QueryCell[]);
          start = nl + 1;
        }
        carry = Buffer.from(data.subarray(start));
      }
    } finally {
      closeSync(fd);
    }
  }
  return { columns: k.columns, rows, offset, keptRows: k.rows, rowCount: k.rowCount };
}

/** Remove the kept results of the case whose derived file is `derived` (all cases without it). */
export function dropKept(derived?: string): void {
  for (const [d, c] of byDerived) {
    if (derived !== undefined && d !== derived) continue;
    rmSync(c.dir, { recursive: true, force: true });
    byDerived.delete(d);
  }
}

process.once('exit', () => dropKept());
