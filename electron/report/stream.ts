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

/** A file written in order and hashed on the way (SHA-256 and size for the manifest). */
export class HashedFile {
  private readonly fd: number;
  private readonly hash = createHash('sha256');
  private parts: string[] = [];
  private pending = 0;
  private bytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(s: string): void {
    this.parts.push(s);
    this.pending += s.length;
    if (this.pending >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    if (!this.parts.length) return;
    const b = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.pending = 0;
    this.hash.update(b);
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off);
    this.bytes += b.length;
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
 * follow batch by batch at their indentation (model.timeline.rows, depth 3).
 */
export function* reportJsonChunks(model: ReportModel, timeline: TimelineSource): Generator<string> {
  const text = JSON.stringify({ ...model, timeline: { ...model.timeline, rows: ROWS_MARK } }, null, 2) + '\n';
  const mark = `"rows": ${JSON.stringify(ROWS_MARK)}`;
  const at = text.indexOf(mark);
  if (at < 0 || text.indexOf(mark, at + 1) >= 0) throw new Error('report.json: the timeline rows marker is not where expected');
  yield text.slice(0, at) + '"rows": [';
  let first = true;
  const pad = '      ';
  for (const batch of timeline.batches()) {
    let out = '';
    for (const r of batch) {
      out += (first ? '\n' : ',\n') + pad + JSON.stringify(r, null, 2).replace(/\n/g, '\n' + pad);
      first = false;
    }
    yield out;
  }
  yield (first ? ']' : '\n    ]') + text.slice(at + mark.length);
}
