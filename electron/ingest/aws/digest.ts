// Offline validation of CloudTrail's own integrity chain (issue "Acquisition
// from AWS", digest part). `aws cloudtrail validate-logs` needs the network and
// refuses copies on disk; TrailCase validates the copies preserved in a case.
// Full description: docs/cloudtrail-validation.md.
//
// Sources for every rule below: AWS CloudTrail User Guide "CloudTrail digest
// file structure" and "Custom implementations of CloudTrail log file integrity
// validation", and aws-cli awscli/customizations/cloudtrail/validation.py
// (Sha256RSADigestValidator, DigestTraverser).
//
// ---------------------------------------------------------------------------
// Exported API (the contract other modules call)
//
//   validateCloudTrail(input: ValidateInput): ValidationResult
//     input.digests: { key, bucket?, bytes, signature?, signatureAlgorithm? }[]
//        key: S3 key or local path (only the part from "AWSLogs/" on is
//        compared); bytes: the object as stored (gzip or already inflated);
//        signature / signatureAlgorithm: the x-amz-meta-signature and
//        x-amz-meta-signature-algorithm values, null/absent when unknown
//        (folders from `aws s3 sync` have none).
//     input.logs: { key, bucket?, bytes }[]
//     input.publicKeys: PublicKeyEntry[] (parsePublicKeys of list-public-keys JSON)
//     input.options?: ValidateOptions
//   -> per log file one LogFileResult { status: LogFileStatus, detail, ... },
//      per digest one DigestResult (signature, chain, gap, status), and
//      `failures` (evidence of tampering or loss) vs `warnings` (could not
//      fully verify: gaps, missing keys, missing signatures). ok = no failures.
//
//   parseDigest(bytes, file, limits?): ParsedDigest      (throws DigestFormatError)
//   digestSigningString(digest, sha256HexOfInflatedDigest): string
//   verifyDigestSignature(parsed, signatureHex, key): boolean
//   parseCloudTrailKey(key): CloudTrailKeyInfo | null   (log / digest object names)
//   cloudTrailKeyPath(key): string                       (the "AWSLogs/..." part)
//   parsePublicKeys, publicKeyFingerprint, PublicKeyEntry   (re-exported from ./public-keys.ts)
//   gunzipStrict, GzipFormatError                           (re-exported from ../gzip-strict.ts)
// ---------------------------------------------------------------------------

import { createHash, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { gunzipStrict, GzipFormatError, isGzip, type GunzipLimits } from '../gzip-strict.ts';
import type { PublicKeyEntry } from './public-keys.ts';

export { gunzipStrict, gunzipStrictInfo, GzipFormatError, type GunzipLimits } from '../gzip-strict.ts';
export {
  parsePublicKeys,
  publicKeyFingerprint,
  publicKeysToJson,
  PublicKeyListError,
  type PublicKeyEntry,
} from './public-keys.ts';

export const DIGEST_VALIDATOR_UNIT = { name: 'cloudtrail-digest-validator', version: '1.0.0' } as const;

/** The only algorithms CloudTrail uses (digest docs); anything else is not verifiable. */
export const SIGNATURE_ALGORITHM = 'SHA256withRSA';
export const HASH_ALGORITHM = 'SHA-256';
const HOUR_MS = 3_600_000;
/** A log file's name carries roughly its write time; delivery (which decides its digest) follows within minutes. */
export const DEFAULT_DELIVERY_SLACK_MS = 15 * 60_000;

// ------------------------------------------------------------------ types

export interface DigestLogFileEntry {
  s3Bucket: string;
  s3Object: string;
  hashValue: string;
  hashAlgorithm: string;
  newestEventTime: string | null;
  oldestEventTime: string | null;
}

/** A digest file's JSON, field names exactly as CloudTrail writes them. */
export interface CloudTrailDigest {
  awsAccountId: string | null;
  digestStartTime: string;
  digestEndTime: string;
  digestS3Bucket: string;
  digestS3Object: string;
  digestPublicKeyFingerprint: string;
  digestSignatureAlgorithm: string;
  newestEventTime: string | null;
  oldestEventTime: string | null;
  previousDigestS3Bucket: string | null;
  previousDigestS3Object: string | null;
  previousDigestHashValue: string | null;
  previousDigestHashAlgorithm: string | null;
  previousDigestSignature: string | null;
  logFiles: DigestLogFileEntry[];
}

export interface ParsedDigest {
  digest: CloudTrailDigest;
  /** Decompressed digest bytes (what the signature and the successor's previousDigestHashValue cover). */
  inflated: Buffer;
  /** Hex SHA-256 of `inflated`. */
  sha256: string;
  startMs: number;
  endMs: number;
}

export class DigestFormatError extends Error {
  readonly file: string;
  readonly code: 'bad-gzip' | 'bad-digest';
  constructor(file: string, message: string, code: 'bad-gzip' | 'bad-digest' = 'bad-digest') {
    super(`${file}: ${message}`);
    this.name = 'DigestFormatError';
    this.file = file;
    this.code = code;
  }
}

export interface CloudTrailKeyInfo {
  kind: 'log' | 'digest';
  /** The key from "AWSLogs/" on. */
  path: string;
  /** Whatever preceded "AWSLogs/" (S3 prefix or local folders). */
  prefix: string;
  orgId: string | null;
  account: string;
  /** Region the file was delivered from (path segment). */
  region: string;
  /** Time in the file name, epoch ms: log = write/delivery time (minute precision), digest = digestEndTime. */
  timeMs: number;
  /** Digest only. */
  trailName: string | null;
  homeRegion: string | null;
  backfill: boolean;
}

export interface DigestInput {
  key: string;
  bucket?: string | null;
  bytes: Buffer;
  /** Hex x-amz-meta-signature; null/absent when the object metadata was not preserved. */
  signature?: string | null;
  /** x-amz-meta-signature-algorithm. */
  signatureAlgorithm?: string | null;
}

export interface LogInput {
  key: string;
  bucket?: string | null;
  bytes: Buffer;
}

export interface ValidateOptions {
  /** Decompression limits for every object. */
  limits?: GunzipLimits;
  /**
   * Log files listed in a digest but absent from the input: 'warn' (default;
   * an acquisition may cover part of an hour) or 'fail' (treat as deleted).
   */
  missingLogs?: 'warn' | 'fail';
  /** See DEFAULT_DELIVERY_SLACK_MS. */
  deliverySlackMs?: number;
}

export interface ValidateInput {
  digests: DigestInput[];
  logs: LogInput[];
  publicKeys: readonly PublicKeyEntry[];
  options?: ValidateOptions;
}

/**
 * Per log file:
 *  valid                    hash matches a digest whose signature verified
 *  hash-mismatch            SHA-256 of the decompressed file differs from the digest's hashValue
 *  not-in-any-digest        no digest in the input lists it
 *  digest-signature-invalid hash matches but the digest listing it failed signature verification
 *  digest-missing           not listed, and the digest covering its time is missing/unreadable
 *  no-public-key            hash matches; the digest's signing key is not in the key list (or not valid at digestEndTime)
 *  signature-unavailable    hash (and chain) checked, but the digest's signature is unknown (no metadata, no successor)
 *  bad-gzip                 the object is not a clean gzip (corrupt, truncated, data appended, too large)
 */
export type LogFileStatus =
  | 'valid'
  | 'hash-mismatch'
  | 'not-in-any-digest'
  | 'digest-signature-invalid'
  | 'digest-missing'
  | 'no-public-key'
  | 'signature-unavailable'
  | 'bad-gzip';

export const LOG_FILE_STATUSES: readonly LogFileStatus[] = [
  'valid',
  'hash-mismatch',
  'not-in-any-digest',
  'digest-signature-invalid',
  'digest-missing',
  'no-public-key',
  'signature-unavailable',
  'bad-gzip',
];

export interface LogFileResult {
  key: string;
  bucket: string | null;
  status: LogFileStatus;
  detail: string;
  /** Keys (as given in the input) of the digests that list this file. */
  digestKeys: string[];
  expectedSha256: string | null;
  actualSha256: string | null;
}

export type DigestSignatureStatus = 'valid' | 'invalid' | 'unavailable' | 'no-key';
/**
 * ok: previous digest present, name/hash/signature link verified.
 * start: a starting digest (previous* fields null, CloudTrail (re)started the chain).
 * edge: the previous digest is not in the input and nothing earlier of this chain is (start of the acquired range).
 * broken: the link to the previous digest fails or the previous digest is missing between present digests.
 * unchecked: this digest could not be read.
 */
export type DigestChainStatus = 'ok' | 'start' | 'edge' | 'broken' | 'unchecked';
export type DigestStatus =
  | 'valid'
  | 'unreadable'
  | 'moved'
  | 'signature-invalid'
  | 'chain-broken'
  | 'no-public-key'
  | 'signature-unavailable';

export const DIGEST_STATUSES: readonly DigestStatus[] = [
  'valid',
  'unreadable',
  'moved',
  'signature-invalid',
  'chain-broken',
  'no-public-key',
  'signature-unavailable',
];

export interface DigestGap {
  /** ISO end of the last earlier digest of this chain in the input; null when unknown. */
  from: string | null;
  /** ISO digestStartTime of this digest. */
  to: string;
  reason: 'previous-digest-missing' | 'chain-restart' | 'time-discontinuity';
}

export interface DigestResult {
  key: string;
  bucket: string | null;
  /** Summary status (worst of the checks below). */
  status: DigestStatus;
  detail: string;
  signature: DigestSignatureStatus;
  /** Where the verified signature came from: object metadata, or the next digest's previousDigestSignature. */
  signatureSource: 'metadata' | 'next-digest' | null;
  signatureDetail: string;
  keyFingerprint: string | null;
  chain: DigestChainStatus;
  chainDetail: string;
  gapBefore: DigestGap | null;
  account: string | null;
  region: string | null;
  trailName: string | null;
  homeRegion: string | null;
  backfill: boolean;
  digestStartTime: string | null;
  digestEndTime: string | null;
  /** Hex SHA-256 of the decompressed digest. */
  sha256: string | null;
  logFilesListed: number;
  logFilesPresent: number;
}

export interface ValidationIssue {
  code: string;
  /** Key of the file concerned (as given in the input). */
  file: string;
  message: string;
}

export interface ValidationResult {
  validator: { name: string; version: string };
  ok: boolean;
  logs: LogFileResult[];
  digests: DigestResult[];
  /** Log files listed in a digest but not present in the input. */
  missingLogs: { bucket: string; key: string; digestKey: string }[];
  failures: ValidationIssue[];
  warnings: ValidationIssue[];
  counts: { logs: Record<LogFileStatus, number>; digests: Record<DigestStatus, number> };
}

// ------------------------------------------------------------------ key names

const KEY_ANCHOR_RE = /AWSLogs\/(?:o-[a-z0-9]{10,32}\/)?\d{12}\/CloudTrail/;
const LOG_KEY_RE =
  /^AWSLogs\/(?:(o-[a-z0-9]{10,32})\/)?(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]+\.json(?:\.gz)?$/;
// <acct>_CloudTrail-Digest_<region>_<trail-name>_<home-region>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz;
// trail names may contain "_", region names never do, so the home region is the last segment before the time.
const DIGEST_KEY_RE =
  /^AWSLogs\/(?:(o-[a-z0-9]{10,32})\/)?(\d{12})\/CloudTrail-Digest\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_(.+)_([a-z0-9-]+)_(\d{8}T\d{6}Z)(_backfill)?\.json(?:\.gz)?$/;

/** The part of an S3 key or local path from "AWSLogs/" on (separators normalised to "/"). */
export function cloudTrailKeyPath(key: string): string {
  const k = key.replace(/\\/g, '/');
  const m = KEY_ANCHOR_RE.exec(k);
  if (m) return k.slice(m.index);
  const i = k.indexOf('AWSLogs/');
  if (i >= 0) return k.slice(i);
  return k.replace(/^(\.\/|\/)+/, '');
}

function compactTimeMs(s: string): number {
  // YYYYMMDDTHHMM[SS]Z
  const y = Number(s.slice(0, 4));
  const mo = Number(s.slice(4, 6));
  const d = Number(s.slice(6, 8));
  const h = Number(s.slice(9, 11));
  const mi = Number(s.slice(11, 13));
  const sec = s.length >= 16 ? Number(s.slice(13, 15)) : 0;
  return Date.UTC(y, mo - 1, d, h, mi, sec);
}

/** Recognise CloudTrail log and digest object names (docs: digest file location; log file name format). */
export function parseCloudTrailKey(key: string): CloudTrailKeyInfo | null {
  const norm = key.replace(/\\/g, '/');
  const path = cloudTrailKeyPath(norm);
  const prefix = norm.slice(0, norm.length - path.length);
  let m = LOG_KEY_RE.exec(path);
  if (m) {
    if (m[7] !== m[2] || m[8] !== m[3]) return null;
    return {
      kind: 'log',
      path,
      prefix,
      orgId: m[1] ?? null,
      account: m[2],
      region: m[3],
      timeMs: compactTimeMs(m[9]),
      trailName: null,
      homeRegion: null,
      backfill: false,
    };
  }
  m = DIGEST_KEY_RE.exec(path);
  if (m) {
    if (m[7] !== m[2] || m[8] !== m[3]) return null;
    return {
      kind: 'digest',
      path,
      prefix,
      orgId: m[1] ?? null,
      account: m[2],
      region: m[3],
      timeMs: compactTimeMs(m[11]),
      trailName: m[9],
      homeRegion: m[10],
      backfill: m[12] !== undefined,
    };
  }
  return null;
}

// ------------------------------------------------------------------ digest parsing

const HEX_RE = /^[0-9a-fA-F]+$/;

function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Decompress an object that may be gzip or already plain JSON. */
function inflateObject(bytes: Buffer, limits: GunzipLimits | undefined): Buffer {
  if (isGzip(bytes)) return gunzipStrict(bytes, limits);
  // Already decompressed copies are accepted only when they look like JSON, so
  // random bytes are reported as a gzip problem rather than as a hash mismatch.
  let i = 0;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (i < bytes.length && (bytes[i] === 0x7b || bytes[i] === 0x5b)) return bytes;
  throw new GzipFormatError(bytes.length === 0 ? 'empty file' : 'neither gzip (no 1f 8b magic) nor JSON', 0);
}

function strField(o: Record<string, unknown>, name: string, file: string, nullable: true): string | null;
function strField(o: Record<string, unknown>, name: string, file: string, nullable?: false): string;
function strField(o: Record<string, unknown>, name: string, file: string, nullable = false): string | null {
  if (!(name in o)) {
    if (nullable) return null;
    throw new DigestFormatError(file, `field ${name} is missing`);
  }
  const v = o[name];
  if (v === null && nullable) return null;
  if (typeof v !== 'string') throw new DigestFormatError(file, `field ${name} is ${v === null ? 'null' : typeof v}, expected a string`);
  return v;
}

function timeField(v: string, name: string, file: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw new DigestFormatError(file, `field ${name} ${JSON.stringify(v)} is not a UTC ISO-8601 time`);
  return ms;
}

/**
 * Parse a digest file (gzip or plain). Throws DigestFormatError naming the file
 * and the problem; never anything else for bad input.
 */
export function parseDigest(bytes: Buffer, file = 'digest', limits?: GunzipLimits): ParsedDigest {
  let inflated: Buffer;
  try {
    inflated = inflateObject(bytes, limits);
  } catch (err) {
    if (err instanceof GzipFormatError) throw new DigestFormatError(file, `not a clean gzip file: ${err.message}`, 'bad-gzip');
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(inflated.toString('utf8'));
  } catch (err) {
    throw new DigestFormatError(file, `not JSON (${(err as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new DigestFormatError(file, 'digest JSON is not an object');
  const o = json as Record<string, unknown>;

  const digestStartTime = strField(o, 'digestStartTime', file);
  const digestEndTime = strField(o, 'digestEndTime', file);
  const startMs = timeField(digestStartTime, 'digestStartTime', file);
  const endMs = timeField(digestEndTime, 'digestEndTime', file);
  if (endMs < startMs) throw new DigestFormatError(file, 'digestEndTime is before digestStartTime');
  const digestPublicKeyFingerprint = strField(o, 'digestPublicKeyFingerprint', file);
  if (!/^[0-9a-fA-F]{32}$/.test(digestPublicKeyFingerprint)) {
    throw new DigestFormatError(file, `digestPublicKeyFingerprint ${JSON.stringify(digestPublicKeyFingerprint)} is not a 32-digit hex MD5`);
  }
  // aws-cli requires the previousDigestSignature key to be present even in a starting digest (value null).
  if (!('previousDigestSignature' in o)) throw new DigestFormatError(file, 'field previousDigestSignature is missing');
  const previousDigestS3Object = strField(o, 'previousDigestS3Object', file, true);
  const previousDigestSignature = strField(o, 'previousDigestSignature', file, true);
  const previousDigestHashValue = strField(o, 'previousDigestHashValue', file, true);
  if (previousDigestS3Object === null) {
    if (previousDigestSignature !== null || previousDigestHashValue !== null) {
      throw new DigestFormatError(file, 'previousDigestS3Object is null but previousDigestSignature/HashValue are set');
    }
  } else {
    if (previousDigestSignature === null || !HEX_RE.test(previousDigestSignature)) {
      throw new DigestFormatError(file, 'previousDigestS3Object is set but previousDigestSignature is not a hex signature');
    }
    if (previousDigestHashValue === null || !/^[0-9a-fA-F]{64}$/.test(previousDigestHashValue)) {
      throw new DigestFormatError(file, 'previousDigestS3Object is set but previousDigestHashValue is not a 64-digit hex SHA-256');
    }
  }
  if (!Array.isArray(o.logFiles)) throw new DigestFormatError(file, 'field logFiles is missing or not an array');
  const logFiles: DigestLogFileEntry[] = o.logFiles.map((raw, i) => {
    const where = `logFiles[${i}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new DigestFormatError(file, `${where} is not an object`);
    const e = raw as Record<string, unknown>;
    const sub = (n: string, nullable: boolean): string | null => {
      try {
        return nullable ? strField(e, n, file, true) : strField(e, n, file);
      } catch (err) {
        throw new DigestFormatError(file, `${where}.${(err as DigestFormatError).message.slice(file.length + 2).replace(/^field /, '')}`);
      }
    };
    const hashValue = sub('hashValue', false) as string;
    const hashAlgorithm = sub('hashAlgorithm', false) as string;
    if (hashAlgorithm !== HASH_ALGORITHM) throw new DigestFormatError(file, `${where}.hashAlgorithm ${JSON.stringify(hashAlgorithm)} is not ${HASH_ALGORITHM}`);
    if (!/^[0-9a-fA-F]{64}$/.test(hashValue)) throw new DigestFormatError(file, `${where}.hashValue is not a 64-digit hex SHA-256`);
    return {
      s3Bucket: sub('s3Bucket', false) as string,
      s3Object: sub('s3Object', false) as string,
      hashValue: hashValue.toLowerCase(),
      hashAlgorithm,
      newestEventTime: sub('newestEventTime', true),
      oldestEventTime: sub('oldestEventTime', true),
    };
  });
  const digest: CloudTrailDigest = {
    awsAccountId: strField(o, 'awsAccountId', file, true),
    digestStartTime,
    digestEndTime,
    digestS3Bucket: strField(o, 'digestS3Bucket', file),
    digestS3Object: strField(o, 'digestS3Object', file),
    digestPublicKeyFingerprint: digestPublicKeyFingerprint.toLowerCase(),
    digestSignatureAlgorithm: strField(o, 'digestSignatureAlgorithm', file),
    newestEventTime: strField(o, 'newestEventTime', file, true),
    oldestEventTime: strField(o, 'oldestEventTime', file, true),
    previousDigestS3Bucket: strField(o, 'previousDigestS3Bucket', file, true),
    previousDigestS3Object,
    previousDigestHashValue: previousDigestHashValue?.toLowerCase() ?? null,
    previousDigestHashAlgorithm: strField(o, 'previousDigestHashAlgorithm', file, true),
    // Kept verbatim: it is part of the signed string.
    previousDigestSignature,
    logFiles,
  };
  return { digest, inflated, sha256: sha256Hex(inflated), startMs, endMs };
}

/**
 * The exact string CloudTrail signs (custom-validation docs, "Recreate the data
 * signing string"; aws-cli _create_string_to_sign):
 *   digestEndTime "\n" digestS3Bucket "/" digestS3Object "\n"
 *   hex(SHA-256(inflated digest)) "\n" previousDigestSignature
 * with the literal text "null" when previousDigestSignature is null (starting
 * digest), "to match the Java implementation" (aws-cli).
 */
export function digestSigningString(digest: CloudTrailDigest, inflatedSha256Hex: string): string {
  const prev = digest.previousDigestSignature === null ? 'null' : digest.previousDigestSignature;
  return `${digest.digestEndTime}\n${digest.digestS3Bucket}/${digest.digestS3Object}\n${inflatedSha256Hex}\n${prev}`;
}

/** RSA PKCS#1 v1.5 with SHA-256 over the UTF-8 signing string. False for a malformed signature. */
export function verifyDigestSignature(parsed: ParsedDigest, signatureHex: string, key: KeyObject): boolean {
  const sig = signatureHex.trim();
  if (sig.length === 0 || sig.length % 2 !== 0 || !HEX_RE.test(sig)) return false;
  try {
    return cryptoVerify('sha256', Buffer.from(digestSigningString(parsed.digest, parsed.sha256), 'utf8'), key, Buffer.from(sig, 'hex'));
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------ validation

interface DigestState {
  input: DigestInput;
  index: number;
  path: string;
  bucket: string | null;
  keyInfo: CloudTrailKeyInfo | null;
  parsed: ParsedDigest | null;
  error: DigestFormatError | null;
  result: DigestResult;
  successor: DigestState | null;
  moved: string | null;
}

interface LogState {
  input: LogInput;
  path: string;
  bucket: string | null;
  keyInfo: CloudTrailKeyInfo | null;
  sha256: string | null;
  gzipError: string | null;
}

interface Window {
  scope: string; // org/account/region
  from: number;
  to: number;
  failure: boolean;
  detail: string;
  file: string;
}

/**
 * Time windows per scope, bucketed by hour, so classifying N log files
 * against M digests costs O(N + M) rather than O(N x M) (a year of hourly
 * digests per region is ~8800 digests).
 */
class WindowIndex<W extends { scope: string; from: number; to: number }> {
  private readonly buckets = new Map<string, W[]>();
  add(w: W, pad: number): void {
    const first = Math.floor((w.from - pad) / HOUR_MS);
    const last = Math.floor((w.to + pad) / HOUR_MS);
    // A window longer than ~10 years is not a CloudTrail period; clamp the bucket span.
    for (let h = first; h <= Math.min(last, first + 87_600); h++) {
      const k = `${w.scope}|${h}`;
      const list = this.buckets.get(k);
      if (list) list.push(w);
      else this.buckets.set(k, [w]);
    }
  }
  find(scope: string, t: number, pred: (w: W) => boolean): W | undefined {
    return this.buckets.get(`${scope}|${Math.floor(t / HOUR_MS)}`)?.find(pred);
  }
}

const LOG_RANK: Record<LogFileStatus, number> = {
  valid: 0,
  'signature-unavailable': 1,
  'no-public-key': 2,
  'not-in-any-digest': 3,
  'digest-missing': 4,
  'digest-signature-invalid': 5,
  'hash-mismatch': 6,
  'bad-gzip': 7,
};

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

function scopeOf(k: { orgId: string | null; account: string; region: string }): string {
  return `${k.orgId ?? '-'}/${k.account}/${k.region}`;
}

function emptyCounts<T extends string>(keys: readonly T[]): Record<T, number> {
  const out = {} as Record<T, number>;
  for (const k of keys) out[k] = 0;
  return out;
}

/** Pick the entry among same-path candidates, honouring the bucket when both sides know it. */
function pick<T extends { bucket: string | null }>(cands: T[] | undefined, bucket: string | null): T | undefined {
  if (!cands || cands.length === 0) return undefined;
  if (bucket === null) return cands[0];
  return cands.find((c) => c.bucket === null || c.bucket === bucket);
}

/**
 * Validate CloudTrail digests and log files offline. Pure apart from CPU work:
 * no I/O, no clock; the result depends only on the input.
 */
export function validateCloudTrail(input: ValidateInput): ValidationResult {
  const opts = input.options ?? {};
  const slack = opts.deliverySlackMs ?? DEFAULT_DELIVERY_SLACK_MS;
  const failures: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  const fail = (code: string, file: string, message: string) => failures.push({ code, file, message });
  const warn = (code: string, file: string, message: string) => warnings.push({ code, file, message });

  // ---- digests: parse, locate
  const digests: DigestState[] = input.digests.map((d, index) => {
    const path = cloudTrailKeyPath(d.key);
    const bucket = d.bucket ?? null;
    const state: DigestState = {
      input: d,
      index,
      path,
      bucket,
      keyInfo: parseCloudTrailKey(d.key),
      parsed: null,
      error: null,
      successor: null,
      moved: null,
      result: {
        key: d.key,
        bucket,
        status: 'valid',
        detail: '',
        signature: 'unavailable',
        signatureSource: null,
        signatureDetail: '',
        keyFingerprint: null,
        chain: 'unchecked',
        chainDetail: '',
        gapBefore: null,
        account: null,
        region: null,
        trailName: null,
        homeRegion: null,
        backfill: false,
        digestStartTime: null,
        digestEndTime: null,
        sha256: null,
        logFilesListed: 0,
        logFilesPresent: 0,
      },
    };
    try {
      state.parsed = parseDigest(d.bytes, d.key, opts.limits);
    } catch (err) {
      if (!(err instanceof DigestFormatError)) throw err;
      state.error = err;
    }
    const r = state.result;
    if (state.parsed) {
      const dg = state.parsed.digest;
      // The digest names its own location; the signature covers that name, so a
      // digest stored under another name is out of place (aws-cli: "has been
      // moved from its original location").
      const own = parseCloudTrailKey(dg.digestS3Object);
      if (own) state.keyInfo = own;
      if (cloudTrailKeyPath(dg.digestS3Object) !== path) state.moved = `stored as ${path} but the digest says it is ${dg.digestS3Object}`;
      else if (bucket !== null && bucket !== dg.digestS3Bucket) state.moved = `stored in bucket ${bucket} but the digest says ${dg.digestS3Bucket}`;
      else if (bucket !== null && d.key.replace(/\\/g, '/') !== dg.digestS3Object) state.moved = `stored as s3://${bucket}/${d.key} but the digest says s3://${dg.digestS3Bucket}/${dg.digestS3Object}`;
      r.digestStartTime = dg.digestStartTime;
      r.digestEndTime = dg.digestEndTime;
      r.sha256 = state.parsed.sha256;
      r.keyFingerprint = dg.digestPublicKeyFingerprint;
      r.logFilesListed = dg.logFiles.length;
    }
    if (state.keyInfo) {
      r.account = state.keyInfo.account;
      r.region = state.keyInfo.region;
      r.trailName = state.keyInfo.trailName;
      r.homeRegion = state.keyInfo.homeRegion;
      r.backfill = state.keyInfo.backfill;
    }
    return state;
  });

  const digestByPath = new Map<string, DigestState[]>();
  for (const s of digests) {
    const list = digestByPath.get(s.path) ?? [];
    if (list.length > 0) warn('duplicate-input', s.input.key, `digest ${s.path} is given more than once; the first one is used for the chain`);
    list.push(s);
    digestByPath.set(s.path, list);
  }
  const lookupDigest = (s3Object: string, s3Bucket: string | null): DigestState | undefined =>
    pick(digestByPath.get(cloudTrailKeyPath(s3Object)), s3Bucket);

  // ---- successors (whose previousDigestSignature is this digest's signature)
  for (const d of digests) {
    const dg = d.parsed?.digest;
    if (!dg || dg.previousDigestS3Object === null) continue;
    const p = lookupDigest(dg.previousDigestS3Object, dg.previousDigestS3Bucket);
    if (!p) continue;
    if (p.successor && p.successor !== d) {
      warn('chain-fork', d.input.key, `both ${p.successor.input.key} and ${d.input.key} name ${p.input.key} as their previous digest`);
      continue;
    }
    p.successor = d;
  }

  // ---- signatures
  for (const d of digests) {
    const r = d.result;
    if (!d.parsed) continue;
    const dg = d.parsed.digest;
    const meta = d.input.signature?.trim() ? d.input.signature.trim().toLowerCase() : null;
    const fromNext = d.successor?.parsed?.digest.previousDigestSignature?.toLowerCase() ?? null;
    const sig = meta ?? fromNext;
    r.signatureSource = meta ? 'metadata' : fromNext ? 'next-digest' : null;
    if (dg.digestSignatureAlgorithm !== SIGNATURE_ALGORITHM) {
      r.signature = 'invalid';
      r.signatureDetail = `unsupported digestSignatureAlgorithm ${JSON.stringify(dg.digestSignatureAlgorithm)} (CloudTrail uses ${SIGNATURE_ALGORITHM})`;
      continue;
    }
    if (meta && d.input.signatureAlgorithm && d.input.signatureAlgorithm.trim() !== SIGNATURE_ALGORITHM) {
      r.signature = 'invalid';
      r.signatureDetail = `x-amz-meta-signature-algorithm is ${JSON.stringify(d.input.signatureAlgorithm)}, not ${SIGNATURE_ALGORITHM}`;
      continue;
    }
    if (sig === null) {
      r.signature = 'unavailable';
      r.signatureDetail = 'no x-amz-meta-signature was preserved and no later digest in the input carries its signature (previousDigestSignature)';
      continue;
    }
    const fp = dg.digestPublicKeyFingerprint;
    const withFp = input.publicKeys.filter((k) => k.fingerprint === fp);
    const usable = withFp.filter(
      (k) => (k.validityStart === null || k.validityStart <= d.parsed!.endMs) && (k.validityEnd === null || d.parsed!.endMs <= k.validityEnd),
    );
    if (withFp.length === 0) {
      r.signature = 'no-key';
      r.signatureDetail = `no public key with fingerprint ${fp} in the key list (${input.publicKeys.length} key(s)); list-public-keys must be run for region ${d.keyInfo?.homeRegion ?? d.keyInfo?.region ?? '?'} and this time`;
      continue;
    }
    if (usable.length === 0) {
      const k = withFp[0];
      r.signature = 'no-key';
      r.signatureDetail = `public key ${fp} is valid from ${k.validityStart === null ? '-' : iso(k.validityStart)} to ${k.validityEnd === null ? '-' : iso(k.validityEnd)}, which does not include digestEndTime ${dg.digestEndTime}`;
      continue;
    }
    const ok = usable.some((k) => verifyDigestSignature(d.parsed!, sig, k.key));
    const src = r.signatureSource === 'metadata' ? 'x-amz-meta-signature' : `previousDigestSignature of ${d.successor!.input.key}`;
    if (ok) {
      r.signature = 'valid';
      r.signatureDetail = `RSA/SHA-256 signature from ${src} verified with key ${fp}`;
    } else {
      r.signature = 'invalid';
      r.signatureDetail = `RSA/SHA-256 signature from ${src} does NOT verify with key ${fp}: the digest was altered or not signed by CloudTrail`;
    }
  }

  // ---- chains: one per trail + delivering region (+ home region, org)
  const missingWindows: Window[] = [];
  const chains = new Map<string, DigestState[]>();
  for (const d of digests) {
    if (!d.parsed) continue;
    const k = d.keyInfo;
    const id = k ? `${scopeOf(k)}/${k.trailName}/${k.homeRegion}` : `?/${d.parsed.digest.digestS3Bucket}`;
    const list = chains.get(id) ?? [];
    list.push(d);
    chains.set(id, list);
  }
  const checkLink = (d: DigestState, p: DigestState): string[] => {
    const dg = d.parsed!.digest;
    const problems: string[] = [];
    if (!p.parsed) return [`previous digest ${p.input.key} is unreadable (${p.error?.message ?? 'unknown error'})`];
    const pd = p.parsed.digest;
    if (dg.previousDigestS3Bucket !== null && dg.previousDigestS3Bucket !== pd.digestS3Bucket) {
      problems.push(`previousDigestS3Bucket ${dg.previousDigestS3Bucket} is not the previous digest's bucket ${pd.digestS3Bucket}`);
    }
    if (dg.previousDigestHashAlgorithm !== HASH_ALGORITHM) problems.push(`previousDigestHashAlgorithm is ${JSON.stringify(dg.previousDigestHashAlgorithm)}, not ${HASH_ALGORITHM}`);
    else if (dg.previousDigestHashValue !== p.parsed.sha256) {
      problems.push(`previousDigestHashValue ${dg.previousDigestHashValue} differs from the SHA-256 of ${p.input.key} (${p.parsed.sha256}): the previous digest was altered`);
    }
    const pMeta = p.input.signature?.trim() ? p.input.signature.trim().toLowerCase() : null;
    if (pMeta !== null && dg.previousDigestSignature?.toLowerCase() !== pMeta) {
      problems.push(`previousDigestSignature differs from the x-amz-meta-signature of ${p.input.key}`);
    }
    return problems;
  };
  for (const list of chains.values()) {
    const hourly = list.filter((d) => !d.keyInfo?.backfill).sort((a, b) => a.parsed!.endMs - b.parsed!.endMs || a.index - b.index);
    const backfill = list.filter((d) => d.keyInfo?.backfill);
    hourly.forEach((d, i) => {
      const r = d.result;
      const dg = d.parsed!.digest;
      const before = i > 0 ? hourly[i - 1] : null;
      const scope = d.keyInfo ? scopeOf(d.keyInfo) : '?';
      if (dg.previousDigestS3Object === null) {
        r.chain = 'start';
        r.chainDetail = 'starting digest: CloudTrail (re)started the digest chain here (previous* fields are null)';
        if (before) {
          r.gapBefore = { from: before.parsed!.digest.digestEndTime, to: dg.digestStartTime, reason: 'chain-restart' };
          warn('gap', d.input.key, `digest chain restarts: no digest covers ${before.parsed!.digest.digestEndTime} to ${dg.digestStartTime} (logging or log file validation was off, or the trail was stopped)`);
        }
        return;
      }
      const p = lookupDigest(dg.previousDigestS3Object, dg.previousDigestS3Bucket);
      if (!p) {
        const prevInfo = parseCloudTrailKey(dg.previousDigestS3Object);
        const missingEnd = prevInfo?.timeMs ?? d.parsed!.startMs;
        if (!before) {
          r.chain = 'edge';
          r.chainDetail = `previous digest ${dg.previousDigestS3Object} is not in the input and nothing earlier of this chain is: the chain continues before the acquired range`;
          missingWindows.push({
            scope,
            from: missingEnd - HOUR_MS,
            to: d.parsed!.startMs,
            failure: false,
            detail: `the digest covering it (${dg.previousDigestS3Object}) is before the acquired digests and not in the input`,
            file: d.input.key,
          });
          return;
        }
        r.chain = 'broken';
        r.chainDetail = `previous digest ${dg.previousDigestS3Bucket ?? '?'}/${dg.previousDigestS3Object} is missing between ${before.input.key} and this digest`;
        r.gapBefore = { from: before.parsed!.digest.digestEndTime, to: dg.digestStartTime, reason: 'previous-digest-missing' };
        fail('chain-broken', d.input.key, `chain broken: ${r.chainDetail} (deleted digest; no integrity evidence for ${before.parsed!.digest.digestEndTime} to ${dg.digestStartTime})`);
        missingWindows.push({
          scope,
          from: before.parsed!.endMs,
          to: d.parsed!.startMs,
          failure: true,
          detail: `the digest covering it (${dg.previousDigestS3Object}) is missing from the chain`,
          file: d.input.key,
        });
        return;
      }
      const problems = checkLink(d, p);
      if (problems.length > 0) {
        r.chain = 'broken';
        r.chainDetail = `link to previous digest ${p.input.key}: ${problems.join('; ')}`;
        fail('chain-broken', d.input.key, `chain broken: ${r.chainDetail}`);
      } else {
        r.chain = 'ok';
        r.chainDetail = `links to ${p.input.key}: name, SHA-256 and signature match`;
      }
      if (p.parsed) {
        if (before && before !== p) {
          warn('chain-fork', d.input.key, `previous digest ${p.input.key} is not the latest earlier digest (${before.input.key}) of this chain`);
        }
        if (p.parsed.endMs !== d.parsed!.startMs) {
          r.gapBefore = { from: p.parsed.digest.digestEndTime, to: dg.digestStartTime, reason: 'time-discontinuity' };
          warn('gap', d.input.key, `digestStartTime ${dg.digestStartTime} does not follow the previous digest's digestEndTime ${p.parsed.digest.digestEndTime}`);
        }
      }
    });
    // Backfill digests carry logs CloudTrail could not include on time; they
    // are checked like any digest but do not take part in hourly sequencing.
    for (const d of backfill) {
      const r = d.result;
      const dg = d.parsed!.digest;
      if (dg.previousDigestS3Object === null) {
        r.chain = 'start';
        r.chainDetail = 'backfill digest without a previous digest';
        continue;
      }
      const p = lookupDigest(dg.previousDigestS3Object, dg.previousDigestS3Bucket);
      if (!p) {
        r.chain = 'edge';
        r.chainDetail = `previous digest ${dg.previousDigestS3Object} of this backfill digest is not in the input`;
        continue;
      }
      const problems = checkLink(d, p);
      r.chain = problems.length ? 'broken' : 'ok';
      r.chainDetail = problems.length ? `link to previous digest ${p.input.key}: ${problems.join('; ')}` : `links to ${p.input.key}`;
      if (problems.length) fail('chain-broken', d.input.key, `chain broken: ${r.chainDetail}`);
    }
  }

  // Unreadable digests: their hour (from the object name) has no usable digest.
  for (const d of digests) {
    if (d.parsed) continue;
    const r = d.result;
    r.status = 'unreadable';
    r.chain = 'unchecked';
    r.detail = d.error!.message;
    fail(d.error!.code === 'bad-gzip' ? 'bad-gzip' : 'digest-unreadable', d.input.key, d.error!.message);
    if (d.keyInfo && !d.keyInfo.backfill) {
      missingWindows.push({
        scope: scopeOf(d.keyInfo),
        from: d.keyInfo.timeMs - HOUR_MS,
        to: d.keyInfo.timeMs,
        failure: true,
        detail: `the digest covering it (${d.input.key}) is unreadable`,
        file: d.input.key,
      });
    }
  }

  const missingIndex = new WindowIndex<Window>();
  for (const w of missingWindows) missingIndex.add(w, slack);

  // ---- log files
  const logs: LogState[] = input.logs.map((l) => {
    const st: LogState = { input: l, path: cloudTrailKeyPath(l.key), bucket: l.bucket ?? null, keyInfo: parseCloudTrailKey(l.key), sha256: null, gzipError: null };
    try {
      st.sha256 = sha256Hex(inflateObject(l.bytes, opts.limits));
    } catch (err) {
      if (!(err instanceof GzipFormatError)) throw err;
      st.gzipError = err.message;
    }
    return st;
  });
  const logByPath = new Map<string, LogState[]>();
  for (const l of logs) {
    const list = logByPath.get(l.path) ?? [];
    if (list.length > 0) warn('duplicate-input', l.input.key, `log file ${l.path} is given more than once`);
    list.push(l);
    logByPath.set(l.path, list);
  }

  // Which digests list each log; which listed logs are absent.
  const listedIn = new Map<LogState, { d: DigestState; entry: DigestLogFileEntry }[]>();
  const missingLogs: ValidationResult['missingLogs'] = [];
  for (const d of digests) {
    if (!d.parsed) continue;
    let present = 0;
    const absent: string[] = [];
    for (const entry of d.parsed.digest.logFiles) {
      const l = pick(logByPath.get(cloudTrailKeyPath(entry.s3Object)), entry.s3Bucket);
      if (!l) {
        missingLogs.push({ bucket: entry.s3Bucket, key: entry.s3Object, digestKey: d.input.key });
        absent.push(entry.s3Object);
        continue;
      }
      present++;
      const list = listedIn.get(l) ?? [];
      list.push({ d, entry });
      listedIn.set(l, list);
    }
    d.result.logFilesPresent = present;
    if (absent.length > 0) {
      const msg = `${absent.length} of ${d.parsed.digest.logFiles.length} log file(s) listed in this digest are not in the input (first: ${absent[0]})`;
      if (opts.missingLogs === 'fail') fail('missing-log', d.input.key, msg);
      else warn('missing-log', d.input.key, msg);
    }
  }

  // Scopes with more than one trail chain cannot attribute an unlisted log to a trail.
  const trailsPerScope = new Map<string, Set<string>>();
  const covered = new WindowIndex<{ scope: string; from: number; to: number; key: string }>();
  for (const d of digests) {
    if (!d.parsed || !d.keyInfo) continue;
    const sc = scopeOf(d.keyInfo);
    const set = trailsPerScope.get(sc) ?? new Set<string>();
    set.add(`${d.keyInfo.trailName}/${d.keyInfo.homeRegion}`);
    trailsPerScope.set(sc, set);
    if (!d.keyInfo.backfill) covered.add({ scope: sc, from: d.parsed.startMs, to: d.parsed.endMs, key: d.input.key }, 0);
  }

  // Digest-level outcomes that logs inherit.
  for (const d of digests) {
    if (!d.parsed) continue;
    const r = d.result;
    if (d.moved) {
      r.status = 'moved';
      r.detail = `digest is out of place: ${d.moved}`;
      fail('digest-moved', d.input.key, r.detail);
    } else if (r.signature === 'invalid') {
      r.status = 'signature-invalid';
      r.detail = r.signatureDetail;
    } else if (r.chain === 'broken') {
      r.status = 'chain-broken';
      r.detail = r.chainDetail;
    } else if (r.signature === 'no-key') {
      r.status = 'no-public-key';
      r.detail = r.signatureDetail;
    } else if (r.signature === 'unavailable') {
      r.status = 'signature-unavailable';
      r.detail = r.signatureDetail;
    } else {
      r.status = 'valid';
      r.detail = `${r.signatureDetail}; chain: ${r.chain}`;
    }
    if (r.signature === 'invalid') fail('digest-signature-invalid', d.input.key, r.signatureDetail);
    else if (r.signature === 'no-key') warn('no-public-key', d.input.key, r.signatureDetail);
    else if (r.signature === 'unavailable') warn('signature-unavailable', d.input.key, r.signatureDetail);
  }

  const logResults: LogFileResult[] = logs.map((l) => {
    const entries = listedIn.get(l) ?? [];
    const res: LogFileResult = {
      key: l.input.key,
      bucket: l.bucket,
      status: 'valid',
      detail: '',
      digestKeys: entries.map((e) => e.d.input.key),
      expectedSha256: entries[0]?.entry.hashValue ?? null,
      actualSha256: l.sha256,
    };
    if (l.gzipError !== null) {
      res.status = 'bad-gzip';
      res.detail = `not a clean gzip file: ${l.gzipError}`;
      fail('bad-gzip', l.input.key, res.detail);
      return res;
    }
    if (entries.length === 0) {
      const t = l.keyInfo?.timeMs;
      const sc = l.keyInfo ? scopeOf(l.keyInfo) : null;
      const win = t !== undefined ? missingIndex.find(sc!, t, (w) => w.from - slack < t && t <= w.to) : undefined;
      if (win) {
        res.status = 'digest-missing';
        res.detail = `not listed in any digest in the input; ${win.detail}`;
        (win.failure ? fail : warn)('digest-missing', l.input.key, res.detail);
        return res;
      }
      res.status = 'not-in-any-digest';
      const cover = t !== undefined ? covered.find(sc!, t, (c) => c.from <= t && t <= c.to - slack) : undefined;
      if (cover && (trailsPerScope.get(sc!)?.size ?? 0) === 1) {
        res.detail = `not listed in any digest, although digest ${cover.key} covers its time (${iso(t!)}) and would list it: the file was added or renamed after delivery`;
        fail('not-in-any-digest', l.input.key, res.detail);
      } else {
        res.detail = l.keyInfo
          ? 'not listed in any digest in the input (its digest is outside the acquired range, or it was delivered without log file validation)'
          : 'not listed in any digest in the input, and the name is not a CloudTrail log file name';
        warn('not-in-any-digest', l.input.key, res.detail);
      }
      return res;
    }
    let worst: { status: LogFileStatus; detail: string } = { status: 'valid', detail: '' };
    for (const { d, entry } of entries) {
      let st: LogFileStatus;
      let detail: string;
      if (entry.hashValue !== l.sha256) {
        st = 'hash-mismatch';
        detail = `SHA-256 of the decompressed file is ${l.sha256}, digest ${d.input.key} says ${entry.hashValue}: the log file was altered`;
        res.expectedSha256 = entry.hashValue;
      } else if (d.result.signature === 'invalid') {
        st = 'digest-signature-invalid';
        detail = `hash matches digest ${d.input.key}, but that digest's signature is invalid (${d.result.signatureDetail})`;
      } else if (d.result.signature === 'no-key') {
        st = 'no-public-key';
        detail = `hash matches digest ${d.input.key}, whose signature could not be checked: ${d.result.signatureDetail}`;
      } else if (d.result.signature === 'unavailable') {
        st = 'signature-unavailable';
        detail = `hash matches digest ${d.input.key} (chain: ${d.result.chain}), but that digest's signature is not available (no object metadata, no later digest)`;
      } else {
        st = 'valid';
        detail = `hash matches digest ${d.input.key}, whose signature verified (chain: ${d.result.chain})`;
      }
      if (LOG_RANK[st] > LOG_RANK[worst.status] || worst.detail === '') worst = { status: st, detail };
    }
    res.status = worst.status;
    res.detail = worst.detail;
    if (res.status === 'hash-mismatch') fail('hash-mismatch', l.input.key, res.detail);
    else if (res.status === 'digest-signature-invalid') fail('digest-signature-invalid', l.input.key, res.detail);
    return res;
  });

  const counts = { logs: emptyCounts(LOG_FILE_STATUSES), digests: emptyCounts(DIGEST_STATUSES) };
  for (const l of logResults) counts.logs[l.status]++;
  const digestResults = digests.map((d) => d.result);
  for (const d of digestResults) counts.digests[d.status]++;

  return {
    validator: { ...DIGEST_VALIDATOR_UNIT },
    ok: failures.length === 0,
    logs: logResults,
    digests: digestResults,
    missingLogs,
    failures,
    warnings,
    counts,
  };
}
