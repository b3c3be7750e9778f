// CloudTrail digest validation: constants and types (the contract of ./digest.ts).
import type { GunzipLimits } from '../../case/gzip.ts';
import type { PublicKeyEntry } from './public-keys.ts';

export const DIGEST_VALIDATOR_UNIT = { name: 'cloudtrail-digest-validator', version: '1.0.0' } as const;

/** The only algorithms CloudTrail uses (digest docs); anything else is not verifiable. */
export const SIGNATURE_ALGORITHM = 'SHA256withRSA';
export const HASH_ALGORITHM = 'SHA-256';
export const HOUR_MS = 3_600_000;
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
