// Every gzip path of TrailCase, in one place:
//   - gunzipStrict: CloudTrail validation (digest and log files), below;
//   - decodeTolerant: how import decoded an object, as `verify` and the
//     evidence reader recompute it (docs/case-format.md, "Decompression");
//   - GunzipFeed: the streaming decoder of import (electron/ingest/parse.ts).
// In the case layer because verify needs the tolerant decoder and import the rest.
//
// Strict decoding (issue "Acquisition from AWS", digest part). Why not zlib.gunzipSync: depending on the Node version it either silently
// ignores bytes after the last gzip member or fails with an unhelpful
// "incorrect header check". CloudTrail validation hashes the *decompressed*
// log, so bytes appended after the gzip end would not change the hash and a
// tampered object would still "validate" (aws-cli fixed the same hole in
// aws/aws-cli#10324 by rejecting unused data after the gzip stream). Here we
// walk the members ourselves (RFC 1952):
//   - several concatenated members are legal and are decoded in order, like gzip(1);
//   - anything after the final member that is not another member is rejected,
//     naming the offset and the number of trailing bytes;
//   - each member's CRC-32 and ISIZE trailer is checked;
//   - the total expanded size is capped (decompression bombs).

import * as zlib from 'node:zlib';
import { constants as zlibConstants, createGunzip, gunzipSync } from 'node:zlib';

export const GZIP_STRICT_UNIT = { name: 'gzip-strict', version: '1.0.0' } as const;

/** 1 GiB: far above any CloudTrail log object (CloudTrail caps files well below this), low enough not to exhaust memory. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_MAX_MEMBERS = 100_000;

export interface GunzipLimits {
  /** Maximum total decompressed size in bytes (default 1 GiB). */
  maxOutputBytes?: number;
  /** Maximum number of gzip members (default 100000). */
  maxMembers?: number;
}

export class GzipFormatError extends Error {
  /** Byte offset in the compressed input where the problem was found (null when not positional). */
  readonly offset: number | null;
  constructor(message: string, offset: number | null) {
    super(message);
    this.name = 'GzipFormatError';
    this.offset = offset;
  }
}

export interface GunzipResult {
  data: Buffer;
  members: number;
}

// FTEXT (0x01) is advisory only (RFC 1952 2.3.1) and needs no handling.
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const FRESERVED = 0xe0;

/** True when the buffer starts with the gzip magic bytes 1f 8b. */
export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

// zlib.crc32 exists from Node 20.15 / 22.2; keep a table fallback for older 20.x.
let crcTable: Uint32Array | null = null;
function crc32(data: Uint8Array): number {
  const native = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  if (typeof native === 'function') return native(data) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Offset just past a zero-terminated header field starting at `pos`. */
function skipZeroTerminated(buf: Buffer, pos: number, what: string, memberIndex: number): number {
  const end = buf.indexOf(0, pos);
  if (end < 0) throw new GzipFormatError(`gzip member ${memberIndex + 1}: header ${what} is not terminated (truncated file)`, pos);
  return end + 1;
}

/**
 * Decompress a gzip buffer strictly. Throws GzipFormatError (never anything
 * else for bad input) naming what is wrong and where.
 */
export function gunzipStrictInfo(buf: Buffer, limits: GunzipLimits = {}): GunzipResult {
  const maxOut = limits.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const maxMembers = limits.maxMembers ?? DEFAULT_MAX_MEMBERS;
  if (buf.length === 0) throw new GzipFormatError('empty input: not a gzip file', 0);
  if (!isGzip(buf)) throw new GzipFormatError('not a gzip file (missing 1f 8b magic bytes)', 0);

  const parts: Buffer[] = [];
  let total = 0;
  let pos = 0;
  let member = 0;
  while (pos < buf.length) {
    const start = pos;
    if (member > 0 && !isGzip(buf.subarray(pos))) {
      throw new GzipFormatError(
        `${buf.length - pos} byte(s) of non-gzip data after the end of the gzip stream at offset ${pos} (data appended after the compressed file)`,
        pos,
      );
    }
    if (member >= maxMembers) throw new GzipFormatError(`more than ${maxMembers} gzip members`, pos);
    if (buf.length - pos < 18) throw new GzipFormatError(`gzip member ${member + 1} at offset ${pos} is truncated (${buf.length - pos} bytes)`, pos);
    const cm = buf[pos + 2];
    const flg = buf[pos + 3];
    if (cm !== 8) throw new GzipFormatError(`gzip member ${member + 1} at offset ${pos}: unsupported compression method ${cm}`, pos);
    if (flg & FRESERVED) throw new GzipFormatError(`gzip member ${member + 1} at offset ${pos}: reserved header flag bits set (0x${flg.toString(16)})`, pos);
    pos += 10;
    if (flg & FEXTRA) {
      if (pos + 2 > buf.length) throw new GzipFormatError(`gzip member ${member + 1}: truncated extra field`, pos);
      const xlen = buf.readUInt16LE(pos);
      pos += 2 + xlen;
      if (pos > buf.length) throw new GzipFormatError(`gzip member ${member + 1}: truncated extra field`, pos);
    }
    if (flg & FNAME) pos = skipZeroTerminated(buf, pos, 'file name', member);
    if (flg & FCOMMENT) pos = skipZeroTerminated(buf, pos, 'comment', member);
    if (flg & FHCRC) {
      if (pos + 2 > buf.length) throw new GzipFormatError(`gzip member ${member + 1}: truncated header CRC`, pos);
      const want = buf.readUInt16LE(pos);
      const got = crc32(buf.subarray(start, pos)) & 0xffff;
      if (want !== got) throw new GzipFormatError(`gzip member ${member + 1} at offset ${start}: header CRC mismatch`, pos);
      pos += 2;
    }

    let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
    const remaining = maxOut - total;
    try {
      inflated = zlib.inflateRawSync(buf.subarray(pos), {
        info: true,
        maxOutputLength: Math.max(1, remaining),
      } as zlib.ZlibOptions & { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
        throw new GzipFormatError(`decompressed size exceeds the limit of ${maxOut} bytes (gzip member ${member + 1})`, start);
      }
      if (e.code === 'Z_BUF_ERROR') throw new GzipFormatError(`gzip member ${member + 1} at offset ${start} is truncated (unexpected end of compressed data)`, start);
      throw new GzipFormatError(`gzip member ${member + 1} at offset ${start}: corrupt deflate data (${e.message})`, start);
    }
    const data = inflated.buffer;
    if (total + data.length > maxOut) throw new GzipFormatError(`decompressed size exceeds the limit of ${maxOut} bytes`, start);
    pos += inflated.engine.bytesWritten;
    if (pos + 8 > buf.length) throw new GzipFormatError(`gzip member ${member + 1} at offset ${start}: missing CRC/size trailer (truncated file)`, pos);
    const wantCrc = buf.readUInt32LE(pos);
    const wantSize = buf.readUInt32LE(pos + 4);
    if (crc32(data) !== wantCrc) throw new GzipFormatError(`gzip member ${member + 1} at offset ${start}: CRC-32 mismatch (corrupt data)`, pos);
    if (data.length % 0x1_0000_0000 !== wantSize) {
      throw new GzipFormatError(`gzip member ${member + 1} at offset ${start}: size trailer says ${wantSize} bytes, decoded ${data.length}`, pos + 4);
    }
    pos += 8;
    parts.push(data);
    total += data.length;
    member++;
  }
  return { data: parts.length === 1 ? parts[0] : Buffer.concat(parts, total), members: member };
}

/** Decompress a gzip buffer strictly (see gunzipStrictInfo); returns the decompressed bytes. */
export function gunzipStrict(buf: Buffer, limits?: GunzipLimits): Buffer {
  return gunzipStrictInfo(buf, limits).data;
}

/**
 * Decode gzip tolerantly, as import did: multi-member streams, and everything
 * decodable before trailing data or a truncation.
 */
export function decodeTolerant(original: Buffer, compression: string): Buffer {
  if (compression !== 'gzip') return original;
  try {
    return gunzipSync(original);
  } catch {
    /* damaged or trailing data: fall through */
  }
  try {
    return gunzipSync(original, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch {
    /* trailing non-gzip data: find the longest prefix that decodes */
  }
  let lo = 0;
  let hi = original.length;
  let best = Buffer.alloc(0);
  while (lo < hi) {
    const mid = Math.floor((lo + hi + 1) / 2);
    try {
      best = gunzipSync(original.subarray(0, mid), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return best;
}

/** What a streaming gunzip failure means for the examiner. */
export function gunzipFailure(e: Error): 'trailing-data' | 'truncated' | 'other' {
  if (/incorrect header check/.test(e.message)) return 'trailing-data';
  if (/unexpected end of file/.test(e.message)) return 'truncated';
  return 'other';
}

/** May the bytes zlib did not deliver be recovered by decodeTolerant (data after a member, a damaged header)? */
export function gunzipRecoverable(e: Error): boolean {
  return /incorrect header check|invalid|unknown compression/.test(e.message);
}

/**
 * Streaming gunzip for import: decoded output goes to onData as it comes,
 * backpressure is honoured, and a failure is kept for the caller to report
 * (never thrown: the original bytes are preserved whatever the stream holds).
 */
export class GunzipFeed {
  private readonly z = createGunzip({ chunkSize: 256 * 1024 });
  private failure: Error | null = null;
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(onData: (d: Buffer) => void) {
    this.z.on('data', onData);
    this.done = new Promise((resolve) => {
      this.z.on('end', () => resolve());
      this.z.on('close', () => resolve());
      this.z.on('error', (e) => {
        this.failure = e;
        resolve();
      });
    });
  }

  async write(buf: Buffer): Promise<void> {
    if (this.failure || this.stopped) return;
    if (this.z.write(buf)) return;
    await new Promise<void>((r) => {
      const done = () => {
        this.z.off('drain', done);
        this.z.off('close', done);
        r();
      };
      this.z.once('drain', done);
      this.z.once('close', done);
    });
  }

  /** Stop decoding (a decompression limit was reached). */
  stop(): void {
    this.stopped = true;
    this.z.destroy();
  }

  /** Flush and wait; the failure, if the stream had one. */
  async end(): Promise<Error | null> {
    if (!this.z.destroyed) this.z.end();
    await this.done;
    return this.failure;
  }
}
