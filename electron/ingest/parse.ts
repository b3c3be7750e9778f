// Parsing one source object (a file, an S3 object, an API page) into records,
// streaming: original bytes are hashed and handed on in fixed-size chunks for
// preservation, decoded (gzip) with caps against decompression bombs, split into
// records by byte span, and each record parsed, normalised and leaf-hashed.
// The importer plug-ins are the container shapes the splitter recognises; the
// sniff is by content, never by file name. Pure with respect to the case: it
// only reports what it found, so it can run in a worker thread.
import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { normalizeRecord, looksLikeCloudTrail, type NormalizedEvent, type NormalizeIssue } from '../../shared/record.ts';
import { leafHash } from '../case/merkle.ts';
import { decodeTolerant } from '../case/evidence.ts';
import { parseTime } from '../../shared/time.ts';
import { findAmbiguities, visible } from './ambiguity.ts';
import { ENC_LOOKUP, ENC_RAW, encodingFor, recordBytes } from '../case/encodings.ts';
import { RecordSplitter, type SplitRecord } from './splitter.ts';

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

const FORMAT_BY_CONTAINER: Record<string, string> = {
  Records: 'cloudtrail-s3',
  Events: 'lookup-events',
  QueryResultRows: 'cloudtrail-lake',
  array: 'json-array',
  object: 'json-lines',
};

function inScope(n: NormalizedEvent, s: ParseScope): boolean {
  if (s.sinceMs !== undefined && n.timeMs !== null && n.timeMs < s.sinceMs) return false;
  if (s.untilMs !== undefined && n.timeMs !== null && n.timeMs > s.untilMs) return false;
  if (s.accounts?.length && n.recipientAccountId !== null && !s.accounts.includes(n.recipientAccountId)) return false;
  if (s.regions?.length && n.awsRegion !== null && !s.regions.includes(n.awsRegion)) return false;
  return true;
}

export function isDigestText(head: string): boolean {
  return head.includes('"digestStartTime"') || head.includes('"digestPublicKeyFingerprint"') || head.includes('"digestS3Object"');
}

/** A digest file's content (or one such record): what CloudTrail writes to CloudTrail-Digest/. */
export function isDigestRecord(v: unknown): boolean {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return 'digestStartTime' in o && ('digestEndTime' in o || 'digestS3Object' in o || 'logFiles' in o);
}

/** One `aws cloudtrail lookup-events` Events[] element: EventId and a CloudTrailEvent string. */
function isLookupElement(v: unknown): v is Record<string, unknown> & { CloudTrailEvent: string } {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.CloudTrailEvent === 'string' && ('EventId' in o || 'EventName' in o || 'EventTime' in o);
}

function lookupElementOf(slice: Buffer): Record<string, unknown> | null {
  try {
    const v = JSON.parse(slice.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * The element's EventTime (ISO with any offset, or epoch seconds as boto3 and
 * some scripts write it) must be the record's eventTime: the record's own time
 * is what TrailCase uses, and a disagreement is reported.
 */
function lookupTimeMismatch(el: Record<string, unknown>, timeMs: number | null): NormalizeIssue | null {
  if (el.EventTime === undefined) return null;
  const outer = parseTime(el.EventTime);
  if (outer === null) {
    return { code: 'lookup-time-mismatch', message: `lookup-events EventTime ${visible(JSON.stringify(el.EventTime).slice(0, 80))} is not a time; the record's eventTime is used` };
  }
  if (timeMs !== null && Math.abs(outer - timeMs) >= 1000) {
    return {
      code: 'lookup-time-mismatch',
      message: `lookup-events EventTime ${visible(JSON.stringify(el.EventTime).slice(0, 80))} (${new Date(outer).toISOString()}) differs from the record's eventTime (${new Date(timeMs).toISOString()}); the record's eventTime is used`,
    };
  }
  return null;
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
  opts: { scope?: ParseScope; limits?: Partial<ParseLimits> } = {},
): Promise<ParseResult> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
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
  let digest = false;
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
  // A digest at the start of the object: the file is a digest file unless more records follow (JSON lines).
  let leadingDigest: SplitRecord | null = null;
  let leadingDigestWhere = '';
  const digestProblem = (r: SplitRecord, at: string) => {
    rejected++;
    sink.problem({
      index: r.index,
      pos: r.offset,
      code: 'digest-record',
      message: `${at} is a CloudTrail digest record, not an event: kept in the evidence but not usable for validation (a digest validates only as its own file, with the signature S3 stored beside it); import the digest files from the trail's CloudTrail-Digest/ folder or bucket`,
    });
  };

  const onRecord = (r: SplitRecord) => {
    if (digest) {
      if (r.index === 0 && isDigestRecord(lookupElementOf(r.bytes))) {
        // Alone, it is the digest file itself; judged again if another record follows.
        leadingDigest = r;
        leadingDigestWhere = where(r);
        return;
      }
      digest = false;
      format = null;
      if (leadingDigest) {
        // More records after a digest: this is JSON lines that begins with a digest, not a digest file.
        digestProblem(leadingDigest, leadingDigestWhere);
        leadingDigest = null;
      }
    }
    if (format === null) format = FORMAT_BY_CONTAINER[r.container] ?? 'json';
    let enc = encodingFor(r.container, r.bytes);
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
    let lookupElement: Record<string, unknown> | null = null;
    if (!looksLikeCloudTrail(parsed)) {
      if (enc === ENC_RAW && isLookupElement(parsed)) {
        // One `Events[]` element of lookup-events on its own (jq -c '.Events[]'): the record is its CloudTrailEvent, as in the wrapped form.
        if (format === 'json-lines' || format === 'json-array') format = `lookup-events-${format === 'json-lines' ? 'lines' : 'array'}`;
        lookupElement = parsed;
        enc = ENC_LOOKUP;
        bytes = recordBytes(enc, r.bytes);
        text = parsed.CloudTrailEvent as string;
        try {
          parsed = JSON.parse(text);
        } catch (e) {
          rejected++;
          sink.problem({ index: r.index, pos: r.offset, code: 'malformed-json', message: `record ${r.index}: CloudTrailEvent: ${(e as Error).message}` });
          return;
        }
      } else if (isDigestRecord(parsed)) {
        digestProblem(r, where(r));
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
    if (enc === ENC_LOOKUP) {
      const el = lookupElement ?? lookupElementOf(r.bytes);
      const mismatch = el && lookupTimeMismatch(el, n.timeMs);
      if (mismatch) issues.push(mismatch);
    }
    records++;
    batch.push({ index: r.index, pos: r.offset, len: r.bytes.length, enc, leafHash: leafHash(bytes), n, issues });
  };

  const splitter = new RecordSplitter(
    onRecord,
    (p) => {
      if (p.index !== null) rejected++; // a record the splitter could not deliver (broken line, too large, not an object)
      sink.problem({ index: p.index, pos: p.offset, code: p.code, message: p.message });
    },
    limits.maxRecordBytes,
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
      gunzip?.destroy();
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
    if (isDigestText(head.subarray(0, 4096).toString('utf8'))) {
      digest = true;
      format = 'cloudtrail-digest';
    }
    // A digest file is split too: a JSON-lines file may begin with a digest record and go on with events.
    splitPush(head);
  };

  let gunzip: ReturnType<typeof createGunzip> | null = null;
  let gunzipError: Error | null = null;
  let gunzipDone: Promise<void> | null = null;

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
      compression = buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b ? 'gzip' : 'none';
      if (compression === 'gzip') {
        gunzip = createGunzip({ chunkSize: 256 * 1024 });
        gunzip.on('data', (d: Buffer) => feedDecoded(d));
        gunzipDone = new Promise((resolve) => {
          gunzip!.on('end', () => resolve());
          gunzip!.on('close', () => resolve());
          gunzip!.on('error', (e) => {
            gunzipError = e;
            resolve();
          });
        });
      }
    }
    if (gunzip) {
      if (!gunzipError && !stopDecoding) {
        if (!gunzip.write(buf)) {
          await new Promise<void>((r) => {
            const done = () => {
              gunzip!.off('drain', done);
              gunzip!.off('close', done);
              r();
            };
            gunzip!.once('drain', done);
            gunzip!.once('close', done);
          });
        }
      }
    } else {
      feedDecoded(buf);
    }
    await flushBatch();
  }
  if (gunzip) {
    if (!gunzip.destroyed) gunzip.end();
    await gunzipDone;
    if (gunzipError) {
      const msg = (gunzipError as Error).message;
      let recovered = false;
      if (/incorrect header check|invalid|unknown compression/.test(msg) && kept && !stopDecoding) {
        // Decode the valid members tolerantly and feed what zlib did not deliver.
        const full = decodeTolerant(Buffer.concat(kept), 'gzip');
        if (full.length > 0) {
          recovered = true;
          if (full.length > decodedSize) feedDecoded(full.subarray(decodedSize));
        }
      }
      if (/incorrect header check/.test(msg) && (recovered || decodedSize > 0)) {
        sink.problem({ index: null, pos: null, code: 'gzip-trailing-data', message: 'data after the end of the gzip stream (ignored for import, preserved in the evidence)' });
      } else if (/unexpected end of file/.test(msg)) {
        sink.problem({ index: null, pos: decodedSize, code: 'gzip-truncated', message: `gzip stream is truncated after ${decodedSize} decoded bytes; records before that point imported` });
      } else {
        sink.problem({ index: null, pos: decodedSize, code: 'gzip-error', message: `gzip: ${msg}` });
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
