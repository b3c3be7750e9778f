// Record batches cross from parser threads to the writer in a packed form:
// numbers in typed arrays, leaf hashes in one transferable buffer, and each
// string column as indexes into a per-batch table of distinct strings. The
// writer interns each distinct string once per batch, and structured cloning
// stays cheap (the main thread, which alone writes SQLite, is the scarce one).
import type { NormalizedEvent } from '../../shared/record.ts';
import type { ParsedRecord } from './parse.ts';

// Lower-case hex digit values; -1 for anything else (upper case included: those stay text).
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = 10 + c;

/** Write a lower-case canonical UUID's 16 bytes at out[at]; false (nothing written that matters) if it is not one. */
function uuidInto(s: string, out: Uint8Array, at: number): boolean {
  if (s.length !== 36 || s.charCodeAt(8) !== 45 || s.charCodeAt(13) !== 45 || s.charCodeAt(18) !== 45 || s.charCodeAt(23) !== 45) return false;
  let k = at;
  for (let i = 0; i < 36; ) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      i++;
      continue;
    }
    const a = s.charCodeAt(i);
    const b = s.charCodeAt(i + 1);
    const hi = a < 128 ? HEX[a] : -1;
    const lo = b < 128 ? HEX[b] : -1;
    if (hi < 0 || lo < 0) return false;
    out[k++] = (hi << 4) | lo;
    i += 2;
  }
  return true;
}

export const STRING_FIELDS = [
  'eventName', 'eventSource', 'awsRegion', 'sourceIPAddress', 'userAgent', 'identityType', 'principalArn', 'userName', 'principalId',
  'accessKeyId', 'sessionIssuerArn', 'recipientAccountId', 'errorCode', 'eventCategory',
] as const satisfies readonly (keyof NormalizedEvent)[];
const NF = STRING_FIELDS.length;
const NUMS = 6; // index, pos, len, enc, timeMs (NaN = null), readOnly (-1 null, 0, 1)

export interface PackedBatch {
  n: number;
  nums: Float64Array;
  hashes: Uint8Array;
  cols: Int32Array;
  strs: string[];
  eventIds: (string | null)[];
  /** requestIDs in their stored form: 16 bytes at i*16 of requestBytes when requestIsBytes[i] is 1, else the text. */
  requestIds: (string | null)[];
  requestBytes: Uint8Array;
  requestIsBytes: Uint8Array;
  timeSources: (string | null)[];
  issues: { i: number; code: string; message: string }[];
}

export function packBatch(batch: ParsedRecord[]): PackedBatch {
  const n = batch.length;
  const nums = new Float64Array(n * NUMS);
  const hashes = new Uint8Array(n * 32);
  const cols = new Int32Array(n * NF);
  const strs: string[] = [];
  const idx = new Map<string, number>();
  const eventIds: (string | null)[] = new Array(n);
  const requestIds: (string | null)[] = new Array(n);
  const requestBytes = new Uint8Array(n * 16);
  const requestIsBytes = new Uint8Array(n);
  const timeSources: (string | null)[] = new Array(n);
  const issues: PackedBatch['issues'] = [];
  for (let i = 0; i < n; i++) {
    const r = batch[i];
    const o = i * NUMS;
    nums[o] = r.index;
    nums[o + 1] = r.pos;
    nums[o + 2] = r.len;
    nums[o + 3] = r.enc;
    nums[o + 4] = r.n.timeMs === null ? NaN : r.n.timeMs;
    nums[o + 5] = r.n.readOnly === null ? -1 : r.n.readOnly ? 1 : 0;
    hashes.set(r.leafHash, i * 32);
    for (let f = 0; f < NF; f++) {
      const v = r.n[STRING_FIELDS[f]] as string | null;
      if (v === null) {
        cols[i * NF + f] = -1;
        continue;
      }
      let k = idx.get(v);
      if (k === undefined) {
        k = strs.length;
        strs.push(v);
        idx.set(v, k);
      }
      cols[i * NF + f] = k;
    }
    eventIds[i] = r.n.eventId;
    const rid = r.n.requestId;
    // The stored form of a lower-case UUID requestID (read back by shared/event-key.ts requestIdText), made here off the writer's thread.
    if (rid !== null && uuidInto(rid, requestBytes, i * 16)) {
      requestIsBytes[i] = 1;
      requestIds[i] = null;
    } else requestIds[i] = rid;
    timeSources[i] = r.n.timeSource;
    for (const is of r.issues) issues.push({ i, code: is.code, message: is.message });
  }
  return { n, nums, hashes, cols, strs, eventIds, requestIds, requestBytes, requestIsBytes, timeSources, issues };
}

export function packedTransfer(b: PackedBatch): ArrayBuffer[] {
  return [b.nums.buffer as ArrayBuffer, b.hashes.buffer as ArrayBuffer, b.cols.buffer as ArrayBuffer, b.requestBytes.buffer as ArrayBuffer, b.requestIsBytes.buffer as ArrayBuffer];
}
