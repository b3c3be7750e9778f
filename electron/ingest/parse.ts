// Parsing one source object (a file, an S3 object, an API page) into records,
// streaming: original bytes are hashed and handed on in fixed-size chunks for
// preservation, decoded (gzip) with caps against decompression bombs, split into
// records by byte span, and each record parsed, normalised and leaf-hashed.
// What the records are is the formats' business (./formats/: where records sit,
// their encoding, element sniffs); the sniff is by content, never by file name.
// Pure with respect to the case: it only reports what it found, so it can run
// in a worker thread.
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { normalizeRecord, looksLikeCloudTrail, type NormalizedEvent, type NormalizeIssue } from '../../shared/record.ts';
import { leafHash } from '../case/merkle.ts';
import { decodeTolerant, GunzipFeed, gunzipFailure, gunzipRecoverable, isGzip } from '../case/gzip.ts';
import { findAmbiguities } from './ambiguity.ts';
import { ENC_RAW, recordBytes } from '../case/encodings.ts';
import { RecordSplitter, type SplitRecord } from './splitter.ts';
import { FORMATS } from './formats/index.ts';
import { FormatRegistry, type CarrierFormat, type NotEventFormat, type SourceFormat } from './formats/format.ts';

export const CHUNK_SIZE = 1 << 20; // evidence is stored in 1 MiB chunks

export interface ParseLimits {
  /** Largest decoded size of one object. */
  maxDecodedBytes: number;
  /** Largest expansion ratio once the decoded size passes ratioFloorBytes. */
  maxRatio: number;
  ratioFloorBytes: number;
  maxRecordBytes: number;
}

export const DEFAULT_LIMITS: ParseLimits = {
  maxDecodedBytes: 8 * 1024 ** 3,
  maxRatio: 200,
  ratioFloorBytes: 64 * 1024 ** 2,
  maxRecordBytes: 16 * 1024 ** 2,
};

export interface ParseScope {
  sinceMs?: number;
  untilMs?: number;
  accounts?: string[];
  regions?: string[];
}

export interface ParsedRecord {
  index: number;
  pos: number;
  len: number;
  enc: number;
  leafHash: Buffer;
  n: NormalizedEvent;
  issues: NormalizeIssue[];
}

export interface ParseProblem {
  index: number | null;
  pos: number | null;
  code: string;
  message: string;
}

export interface ParseResult {
  sha256: string;
  size: number;
  decodedSize: number;
  compression: 'gzip' | 'none';
  format: string;
  records: number;
  rejected: number;
  excluded: number;
}

export interface ParseSink {
  chunk(bytes: Buffer): void | Promise<void>;
  records(batch: ParsedRecord[]): void | Promise<void>;
  problem(p: ParseProblem): void;
}

function inScope(n: NormalizedEvent, s: ParseScope): boolean {
  if (s.sinceMs !== undefined && n.timeMs !== null && n.timeMs < s.sinceMs) return false;
  if (s.untilMs !== undefined && n.timeMs !== null && n.timeMs > s.untilMs) return false;
  if (s.accounts?.length && n.recipientAccountId !== null && !s.accounts.includes(n.recipientAccountId)) return false;
  if (s.regions?.length && n.awsRegion !== null && !s.regions.includes(n.awsRegion)) return false;
  return true;
}

function parsedObject(slice: Buffer): Record<string, unknown> | null {
  try {
    const v = JSON.parse(slice.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

function countNewlines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i !== -1; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * Parse a stream of original bytes. Never throws on bad content: every problem
 * goes to sink.problem and parsing goes on with what can be read.
 * Throws only when reading the source itself fails (the caller reports that).
 */
export async function parseSource(
  input: AsyncIterable<Buffer>,
  sink: ParseSink,
  opts: { scope?: ParseScope; limits?: Partial<ParseLimits>; formats?: FormatRegistry } = {},
): Promise<ParseResult> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const formats = opts.formats ?? FORMATS;
  const scope = opts.scope ?? {};
  const hash = createHash('sha256');
  let size = 0;
  let decodedSize = 0;
  let compression: 'gzip' | 'none' | null = null;
  let format: string | null = null;
  let records = 0;
  let rejected = 0;
  let excluded = 0;
  let batch: ParsedRecord[] = [];
  let pendingChunk: Buffer[] = [];
  let pendingLen = 0;
  // A source the head sniff claimed for a not-event format (a digest file), until a record says otherwise.
  let headFormat: NotEventFormat | null = null;
  let sniffed = false;
  let sniffBuf: Buffer[] = [];
  let sniffLen = 0;
  let stopDecoding = false;

  const flushBatch = async () => {
    if (batch.length) {
      const b = batch;
      batch = [];
      await sink.records(b);
    }
  };

  // Line numbers, for warnings about JSON-lines records: newlines counted in what the splitter was given.
  let nlBefore = 0; // newlines before the chunk being split
  let chunkStart = 0; // decoded offset of that chunk
  let curChunk: Buffer = Buffer.alloc(0);
  const lineOf = (r: SplitRecord): number | null => {
    if (r.container !== 'object') return null;
    // The record ends in the chunk being split (the splitter delivers it there); it holds no raw newline of its own in JSON lines.
    const end = Math.max(0, Math.min(curChunk.length, r.offset + r.bytes.length - chunkStart));
    return nlBefore + countNewlines(curChunk.subarray(0, end)) - countNewlines(r.bytes) + 1;
  };
  const where = (r: SplitRecord): string => {
    const line = lineOf(r);
    return line === null ? `record ${r.index}` : `record ${r.index} (line ${line})`;
  };
  // A not-event record at the start of a source the head sniff claimed: the file itself unless more records follow (JSON lines).
  let leading: SplitRecord | null = null;
  let leadingWhere = '';
  const notEvent = (f: NotEventFormat, r: SplitRecord, at: string) => {
    rejected++;
    sink.problem({ index: r.index, pos: r.offset, ...f.problem(at) });
  };
  // The source format of the place the last record came from (a source has one place but for odd files).
  let place = '';
  let source: SourceFormat = formats.at('object');

  const onRecord = (r: SplitRecord) => {
    if (headFormat) {
      if (r.index === 0 && FormatRegistry.claims(headFormat, parsedObject(r.bytes))) {
        // Alone, it is the file itself; judged again if another record follows.
        leading = r;
        leadingWhere = where(r);
        return;
      }
      const f = headFormat;
      headFormat = null;
      format = null;
      if (leading) {
        // More records after it: this is JSON lines that begins with such a record, not that file.
        notEvent(f, leading, leadingWhere);
        leading = null;
      }
    }
    if (r.container !== place) {
      place = r.container;
      source = formats.at(place);
    }
    if (format === null) format = source.name;
    let enc = source.encodingOf(r.bytes);
    let bytes: Buffer;
    try {
      bytes = recordBytes(enc, r.bytes);
    } catch (e) {
      rejected++;
      sink.problem({ index: r.index, pos: r.offset, code: 'bad-record', message: `record ${r.index}: ${(e as Error).message}` });
      return;
    }
    if (!isUtf8(bytes)) {
      rejected++;
      sink.problem({ index: r.index, pos: r.offset, code: 'invalid-utf8', message: `record ${r.index} is not valid UTF-8; kept in the evidence, not imported` });
      return;
    }
    let text = bytes.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      rejected++;
      sink.problem({ index: r.index, pos: r.offset, code: 'malformed-json', message: `record ${r.index}: ${(e as Error).message}` });
      return;
    }
    // An element carrying the record inside it (a lookup-events element on its own), and that element.
    let carrier: CarrierFormat | null = null;
    let element: Record<string, unknown> | null = null;
    if (!looksLikeCloudTrail(parsed)) {
      const f = formats.claim(parsed, enc === ENC_RAW);
      if (f?.kind === 'carrier') {
        const name = f.sourceNames[format];
        if (name) format = name;
        carrier = f;
        element = parsed as Record<string, unknown>;
        enc = f.encoding;
        bytes = recordBytes(enc, r.bytes);
        text = f.recordText(element);
        try {
          parsed = JSON.parse(text);
        } catch (e) {
          rejected++;
          sink.problem({ index: r.index, pos: r.offset, code: 'malformed-json', message: `record ${r.index}: CloudTrailEvent: ${(e as Error).message}` });
          return;
        }
      } else if (f?.kind === 'not-event') {
        notEvent(f, r, where(r));
        return;
      }
    }
    if (!looksLikeCloudTrail(parsed)) {
      rejected++;
      sink.problem({
        index: r.index,
        pos: r.offset,
        code: 'not-cloudtrail',
        message: `record ${r.index} is not a CloudTrail event (no eventName/eventSource)`,
      });
      return;
    }
    const issues: NormalizeIssue[] = [];
    const n = normalizeRecord(parsed, issues)!;
    if (!inScope(n, scope)) {
      excluded++;
      return;
    }
    const found = findAmbiguities(text, parsed);
    if (found.length) {
      const line = lineOf(r);
      for (const a of found) issues.push(line === null ? a : { code: a.code, message: `line ${line}: ${a.message}` });
    }
    const extra = carrier ? carrier.check?.(element!, n) : source.check?.(r.bytes, n);
    if (extra) issues.push(extra);
    records++;
    batch.push({ index: r.index, pos: r.offset, len: r.bytes.length, enc, leafHash: leafHash(bytes), n, issues });
  };

  const splitter = new RecordSplitter(
    onRecord,
    (p) => {
      if (p.index !== null) rejected++; // a record the splitter could not deliver (broken line, too large, not an object)
      sink.problem({ index: p.index, pos: p.offset, code: p.code, message: p.message });
    },
    { wrapperKeys: formats.wrapperKeys, maxRecordBytes: limits.maxRecordBytes },
  );

  const feedDecoded = (d: Buffer) => {
    if (stopDecoding) return;
    decodedSize += d.length;
    if (decodedSize > limits.maxDecodedBytes || (decodedSize > limits.ratioFloorBytes && decodedSize / Math.max(size, 1) > limits.maxRatio)) {
      stopDecoding = true;
      sink.problem({
        index: null,
        pos: decodedSize,
        code: 'decompression-limit',
        message: `decoding stopped at ${decodedSize} bytes (from ${size} compressed): over the limit of ${limits.maxDecodedBytes} bytes or ratio ${limits.maxRatio}:1 (possible decompression bomb); the original bytes are preserved`,
      });
      gunzip?.stop();
      return;
    }
    if (!sniffed) {
      sniffBuf.push(d);
      sniffLen += d.length;
      if (sniffLen < 4096) return;
      finishSniff();
      return;
    }
    splitPush(d);
  };

  const splitPush = (d: Buffer) => {
    curChunk = d;
    splitter.push(d);
    nlBefore += countNewlines(d);
    chunkStart += d.length;
  };

  const finishSniff = () => {
    sniffed = true;
    const head = Buffer.concat(sniffBuf);
    sniffBuf = [];
    headFormat = formats.claimHead(head.subarray(0, 4096).toString('utf8'));
    if (headFormat) format = headFormat.name;
    // Such a file is split too: a JSON-lines file may begin with a digest record and go on with events.
    splitPush(head);
  };

  let gunzip: GunzipFeed | null = null;

  const storeChunk = async (b: Buffer) => {
    pendingChunk.push(b);
    pendingLen += b.length;
    while (pendingLen >= CHUNK_SIZE) {
      const all = Buffer.concat(pendingChunk, pendingLen);
      await sink.chunk(all.subarray(0, CHUNK_SIZE));
      const rest = all.subarray(CHUNK_SIZE);
      pendingChunk = rest.length ? [Buffer.from(rest)] : [];
      pendingLen = rest.length;
    }
  };

  // Keep the compressed bytes of ordinary-sized objects: when zlib fails on data
  // after the gzip end it drops the last member's pending output, which is then
  // recovered from these (CloudTrail objects are far below this bound).
  const KEEP_LIMIT = 64 * 1024 * 1024;
  let kept: Buffer[] | null = [];
  for await (const raw of input) {
    const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    if (buf.length === 0) continue;
    hash.update(buf);
    size += buf.length;
    if (kept) {
      if (size <= KEEP_LIMIT) kept.push(Buffer.from(buf));
      else kept = null;
    }
    await storeChunk(buf);
    if (compression === null) {
      compression = isGzip(buf) ? 'gzip' : 'none';
      if (compression === 'gzip') gunzip = new GunzipFeed(feedDecoded);
    }
    if (gunzip) {
      if (!stopDecoding) await gunzip.write(buf);
    } else {
      feedDecoded(buf);
    }
    await flushBatch();
  }
  if (gunzip) {
    const failure = await gunzip.end();
    if (failure) {
      const kind = gunzipFailure(failure);
      let recovered = false;
      if (gunzipRecoverable(failure) && kept && !stopDecoding) {
        // Decode the valid members tolerantly and feed what zlib did not deliver.
        const full = decodeTolerant(Buffer.concat(kept), 'gzip');
        if (full.length > 0) {
          recovered = true;
          if (full.length > decodedSize) feedDecoded(full.subarray(decodedSize));
        }
      }
      if (kind === 'trailing-data' && (recovered || decodedSize > 0)) {
        sink.problem({ index: null, pos: null, code: 'gzip-trailing-data', message: 'data after the end of the gzip stream (ignored for import, preserved in the evidence)' });
      } else if (kind === 'truncated') {
        sink.problem({ index: null, pos: decodedSize, code: 'gzip-truncated', message: `gzip stream is truncated after ${decodedSize} decoded bytes; records before that point imported` });
      } else {
        sink.problem({ index: null, pos: decodedSize, code: 'gzip-error', message: `gzip: ${failure.message}` });
      }
    }
  }
  if (!sniffed && sniffLen > 0) finishSniff();
  splitter.end();
  await flushBatch();
  if (pendingLen > 0) await sink.chunk(Buffer.concat(pendingChunk, pendingLen));
  if (size === 0) sink.problem({ index: null, pos: null, code: 'empty', message: 'empty file' });
  return {
    sha256: hash.digest('hex'),
    size,
    decodedSize,
    compression: compression ?? 'none',
    format: format ?? (size === 0 ? 'empty' : 'unrecognised'),
    records,
    rejected,
    excluded,
  };
}

/** Adapt a Buffer into the async-iterable input parseSource takes. */
export async function* bufferSource(b: Buffer, chunk = CHUNK_SIZE): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += chunk) yield b.subarray(i, Math.min(b.length, i + chunk));
}
