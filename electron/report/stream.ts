// report.json and timeline.csv written as they are produced (docs/verification.md,
// "What a report holds"): at organisation scale they are hundreds of megabytes,
// so neither is ever one string. Each file is hashed as it is written; the
// bytes are exactly those the whole-file form gave (a test compares them).
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ManifestFile } from './manifest.ts';
import type { ReportModel } from './model.ts';
import type { TimelineSource } from './timeline.ts';

/** Bytes gathered before one write: few system calls, bounded memory. */
const FLUSH_AT = 1 << 20;

/**
 * A file written in order and hashed on the way (SHA-256 and size for the manifest).
 * Pieces are copied into one reused native buffer: no large JS string is ever
 * built, so what is written dies young (V8 lets large strings pile up in the old
 * generation until a full collection: 1.6 GB for an 800 MB report.json).
 */
export class HashedFile {
  private readonly fd: number;
  private readonly hash = createHash('sha256');
  private readonly buf = Buffer.allocUnsafe(FLUSH_AT);
  private used = 0;
  private bytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    if (this.used + n > FLUSH_AT) this.flush();
    if (n > FLUSH_AT) this.out(Buffer.from(s, 'utf8'));
    else this.used += this.buf.write(s, this.used, 'utf8');
  }

  private out(b: Buffer): void {
    this.hash.update(b);
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off);
    this.bytes += b.length;
  }

  private flush(): void {
    if (!this.used) return;
    this.out(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  /** Flush, close, and give the manifest entry. */
  close(name: string): ManifestFile {
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
    }
    return { name, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Close without a result (a failed report: the caller removes the file). */
  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }
}

// Stands for the timeline rows while the rest of the model is stringified; a value
// from the case cannot produce it (JSON.stringify escapes U+0000 in strings as \u0000).
const ROWS_MARK = '\u0000trailcase-timeline-rows\u0000';

/**
 * report.json as `JSON.stringify(model, null, 2) + '\n'` with the timeline rows
 * taken from `timeline`, in pieces: the rest of the model is one string
 * (findings, evidence, custody: what the PDF is built from anyway), the rows
 * follow one by one at their indentation (model.timeline.rows, depth 3).
 */
export function* reportJsonChunks(model: ReportModel, timeline: TimelineSource): Generator<string> {
  const text = JSON.stringify({ ...model, timeline: { ...model.timeline, rows: ROWS_MARK } }, null, 2) + '\n';
  const mark = `"rows": ${JSON.stringify(ROWS_MARK)}`;
  const at = text.indexOf(mark);
  if (at < 0 || text.indexOf(mark, at + 1) >= 0) throw new Error('report.json: the timeline rows marker is not where expected');
  yield text.slice(0, at) + '"rows": [';
  const tail = text.slice(at + mark.length);
  let first = true;
  const pad = '      ';
  for (const batch of timeline.batches()) {
    for (const r of batch) {
      // One small piece per row (HashedFile copies it out): nothing large stays on the JS heap.
      yield (first ? '\n' : ',\n') + pad + JSON.stringify(r, null, 2).replace(/\n/g, '\n' + pad);
      first = false;
    }
  }
  yield (first ? ']' : '\n    ]') + tail;
}
