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
import { encodingFor, recordBytes } from './encodings.ts';
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

  const onRecord = (r: SplitRecord) => {
    if (format === null) format = FORMAT_BY_CONTAINER[r.container] ?? 'json';
    const enc = encodingFor(r.container, r.bytes);
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
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      rejected++;
      sink.problem({ index: r.index, pos: r.offset, code: 'malformed-json', message: `record ${r.index}: ${(e as Error).message}` });
      return;
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
    if (!digest) splitter.push(d);
  };

  const finishSniff = () => {
    sniffed = true;
    const head = Buffer.concat(sniffBuf);
    sniffBuf = [];
    if (isDigestText(head.subarray(0, 4096).toString('utf8'))) {
      digest = true;
      format = 'cloudtrail-digest';
    } else {
      splitter.push(head);
    }
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
  if (!digest) splitter.end();
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
