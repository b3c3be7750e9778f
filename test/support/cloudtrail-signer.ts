// Synthetic, really signed CloudTrail trails for tests (issue "Acquisition from
// AWS", digest part). No public data set has a complete verifiable chain
// (digests + x-amz-meta-signature + public key + logs; see
// test/fixtures/cloudtrail-digest-samples/SOURCE.md), so we play CloudTrail:
// generate an RSA-2048 key pair, write log files and hourly digest files in
// CloudTrail's exact format and S3 layout, chain and sign them as CloudTrail
// does (docs/cloudtrail-validation.md), and optionally break them in the ways
// validation must detect.
//
// generateTrail() is pure apart from key generation (returns buffers); the
// S3 acquisition tests upload `files` with their `metadata` to s3rver, and
// writeTrailToFolder() lays them out as `aws s3 sync` leaves them (no metadata).

import { createHash, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { digestSigningString, type CloudTrailDigest, type DigestInput, type LogInput, type ValidateInput } from '../../electron/ingest/aws/digest.ts';
import { parsePublicKeys } from '../../electron/ingest/aws/public-keys.ts';

export const CLOUDTRAIL_SIGNER_UNIT = { name: 'cloudtrail-signer', version: '1.0.0' } as const;

const HOUR_MS = 3_600_000;
const MIN_MS = 60_000;

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PKCS#1 RSAPublicKey DER, as ListPublicKeys returns it. */
  der: Buffer;
  /** Hex MD5 of der. */
  fingerprint: string;
}

/** A fresh RSA-2048 key pair in CloudTrail's shape. */
export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const der = publicKey.export({ type: 'pkcs1', format: 'der' });
  return { privateKey, publicKey, der, fingerprint: createHash('md5').update(der).digest('hex') };
}

export interface LogRef {
  hour: number;
  /** Index of the log file within that hour (default 0). */
  index?: number;
}

export interface TrailOptions {
  account?: string;
  /** Region the files are delivered from. */
  region?: string;
  /** Trail home region (appears in digest names; differs for multi-region trails). */
  homeRegion?: string;
  trailName?: string;
  bucket?: string;
  /** S3 key prefix configured on the trail, without trailing "/". */
  prefix?: string;
  /** ISO start of the first digest period (default 2024-03-01T00:07:13Z). */
  start?: string;
  hours?: number;
  logsPerHour?: number;
  eventsPerLog?: number;
  /** Hours that get no log files (CloudTrail still delivers an "empty" digest). */
  emptyHours?: number[];
  /** Seed for the deterministic content (names, events). */
  seed?: number;
  /** Reuse a key (key generation is the slow part). */
  key?: SigningKey;
  /** First digest links to an earlier digest that is not generated (acquired range starts mid-chain). */
  chainStartsBefore?: boolean;
  /** Key validity window written to the key list (default: start-30d .. start+60d). */
  keyValidity?: { start: string; end: string };

  // ---- breakages
  /** Change these log files after their digest recorded the hash (re-gzipped cleanly). */
  alterLogs?: LogRef[];
  /** Leave these digest hours out of `files` (the chain still references them). */
  dropDigestHours?: number[];
  /** Sign these digests over a wrong string (signature does not verify; the chain carries the same bad signature). */
  breakSignatureHours?: number[];
  /** Sign these digests with another key while claiming the real key's fingerprint. */
  wrongKeyHours?: number[];
  /** Sign these digests with another key and name that key's fingerprint (not in the key list). */
  unknownKeyHours?: number[];
  /** Append bytes after the gzip end of these log files. */
  appendAfterGzip?: (LogRef & { bytes?: Buffer })[];
  /** Append bytes after the gzip end of these digests. */
  appendAfterGzipDigestHours?: number[];
  /** Remove the first logFiles entry from these digests after signing (a tampered digest). */
  tamperDigestHours?: number[];
}

export interface TrailFile {
  key: string;
  kind: 'log' | 'digest';
  hour: number;
  bytes: Buffer;
  /** S3 user metadata as CloudTrail sets it: digests {signature, 'signature-algorithm'}, logs {}. */
  metadata: Record<string, string>;
}

export interface TrailHour {
  hour: number;
  start: string;
  end: string;
  digestKey: string;
  logKeys: string[];
  dropped: boolean;
}

export interface Trail {
  bucket: string;
  account: string;
  region: string;
  files: TrailFile[];
  /** list-public-keys output (JSON text) holding the trail's key. */
  publicKeys: string;
  privateKey: KeyObject;
  key: SigningKey;
  /** The other key used by wrongKeyHours / unknownKeyHours, when any. */
  rogueKey: SigningKey | null;
  hours: TrailHour[];
}

/** Small deterministic PRNG (mulberry32) so names and events are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function randStr(rand: () => number, n: number, alphabet = ALNUM): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}
function uuid(rand: () => number): string {
  const h = randStr(rand, 32, '0123456789abcdef');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const isoSec = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const ymdPath = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
};
const compact = (ms: number, seconds: boolean) => {
  const d = new Date(ms);
  const base = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}`;
  return seconds ? `${base}${pad(d.getUTCSeconds())}Z` : `${base}Z`;
};

const CALLS: { source: string; name: string; readOnly: boolean }[] = [
  { source: 's3.amazonaws.com', name: 'ListBuckets', readOnly: true },
  { source: 'iam.amazonaws.com', name: 'ListUsers', readOnly: true },
  { source: 'ec2.amazonaws.com', name: 'DescribeInstances', readOnly: true },
  { source: 'sts.amazonaws.com', name: 'GetCallerIdentity', readOnly: true },
  { source: 'iam.amazonaws.com', name: 'CreateAccessKey', readOnly: false },
  { source: 'kms.amazonaws.com', name: 'Decrypt', readOnly: true },
];

function makeEvent(rand: () => number, account: string, region: string, timeMs: number): Record<string, unknown> {
  const call = CALLS[Math.floor(rand() * CALLS.length)];
  const user = ['alice', 'bob', 'deploy-bot'][Math.floor(rand() * 3)];
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'IAMUser',
      principalId: `AIDA${randStr(rand, 17, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
      arn: `arn:aws:iam::${account}:user/${user}`,
      accountId: account,
      accessKeyId: `AKIA${randStr(rand, 16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
      userName: user,
    },
    eventTime: isoSec(timeMs),
    eventSource: call.source,
    eventName: call.name,
    awsRegion: region,
    sourceIPAddress: `203.0.113.${1 + Math.floor(rand() * 250)}`,
    userAgent: 'aws-cli/2.15.30 md/Botocore#1.34.69 ua/2.0 os/linux#6.5.0 md/arch#x86_64',
    requestParameters: null,
    responseElements: null,
    requestID: uuid(rand),
    eventID: uuid(rand),
    readOnly: call.readOnly,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: account,
    eventCategory: 'Management',
  };
}

/**
 * CloudTrail writes digests as compact JSON with "/" escaped as "\/" (Java
 * JSON; see the real digest in test/fixtures/cloudtrail-digest-samples). In
 * JSON.stringify output "/" only occurs inside strings, so escaping all of
 * them is safe.
 */
function cloudTrailJson(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/');
}

function signHex(text: string, key: KeyObject): string {
  return cryptoSign('sha256', Buffer.from(text, 'utf8'), key).toString('hex');
}

function appendedGarbage(bytes?: Buffer): Buffer {
  return bytes ?? Buffer.from('\n{"Records":[{"eventName":"Injected"}]}\n', 'utf8');
}

/** Build a synthetic trail: see TrailOptions. */
export function generateTrail(options: TrailOptions = {}): Trail {
  const account = options.account ?? '111122223333';
  const region = options.region ?? 'us-east-2';
  const homeRegion = options.homeRegion ?? region;
  const trailName = options.trailName ?? 'case-trail';
  const bucket = options.bucket ?? 'trailcase-fixture-bucket';
  const prefix = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
  const startMs = Date.parse(options.start ?? '2024-03-01T00:07:13Z');
  if (!Number.isFinite(startMs)) throw new Error(`generateTrail: start ${options.start} is not a time`);
  const hours = options.hours ?? 4;
  const logsPerHour = options.logsPerHour ?? 2;
  const eventsPerLog = options.eventsPerLog ?? 3;
  const rand = prng(options.seed ?? 1);
  const key = options.key ?? generateSigningKey();
  const needRogue = (options.wrongKeyHours?.length ?? 0) + (options.unknownKeyHours?.length ?? 0) > 0;
  const rogueKey = needRogue ? generateSigningKey() : null;
  const has = (list: number[] | undefined, h: number) => list?.includes(h) ?? false;
  const logRefHas = (list: LogRef[] | undefined, h: number, i: number) => list?.some((r) => r.hour === h && (r.index ?? 0) === i) ?? false;

  const files: TrailFile[] = [];
  const hourInfo: TrailHour[] = [];
  let prev: { bucket: string; key: string; sha256: string; signature: string } | null = null;
  if (options.chainStartsBefore) {
    const prevEnd = startMs;
    prev = {
      bucket,
      key: `${prefix}AWSLogs/${account}/CloudTrail-Digest/${region}/${ymdPath(prevEnd)}/${account}_CloudTrail-Digest_${region}_${trailName}_${homeRegion}_${compact(prevEnd, true)}.json.gz`,
      sha256: randStr(rand, 64, '0123456789abcdef'),
      signature: randStr(rand, 512, '0123456789abcdef'),
    };
  }

  for (let h = 0; h < hours; h++) {
    const dStart = startMs + h * HOUR_MS;
    const dEnd = dStart + HOUR_MS;
    const logKeys: string[] = [];
    const entries: CloudTrailDigest['logFiles'] = [];
    let newest: number | null = null;
    let oldest: number | null = null;
    const nLogs = has(options.emptyHours, h) ? 0 : logsPerHour;
    for (let i = 0; i < nLogs; i++) {
      // Name time: 5-minute steps well inside the digest period (5..40 min in),
      // like CloudTrail's 5-minute delivery batches.
      const offset = 5 * MIN_MS + Math.floor((35 * MIN_MS * (i + 1)) / (nLogs + 1));
      const nameMs = Math.floor((dStart + offset) / (5 * MIN_MS)) * 5 * MIN_MS;
      const fileName = `${account}_CloudTrail_${region}_${compact(nameMs, false)}_${randStr(rand, 16)}.json.gz`;
      const logKey = `${prefix}AWSLogs/${account}/CloudTrail/${region}/${ymdPath(nameMs)}/${fileName}`;
      const times: number[] = [];
      for (let e = 0; e < eventsPerLog; e++) times.push(nameMs - 5 * MIN_MS + Math.floor(rand() * 5 * MIN_MS));
      times.sort((a, b) => a - b);
      const records = times.map((t) => makeEvent(rand, account, region, t));
      const body = Buffer.from(JSON.stringify({ Records: records }), 'utf8');
      const lo = times[0];
      const hi = times[times.length - 1];
      newest = newest === null ? hi : Math.max(newest, hi);
      oldest = oldest === null ? lo : Math.min(oldest, lo);
      entries.push({
        s3Bucket: bucket,
        s3Object: logKey,
        hashValue: createHash('sha256').update(body).digest('hex'),
        hashAlgorithm: 'SHA-256',
        newestEventTime: isoSec(hi),
        oldestEventTime: isoSec(lo),
      });
      let stored = body;
      if (logRefHas(options.alterLogs, h, i)) {
        const altered = { Records: records.map((r, j) => (j === 0 ? { ...r, sourceIPAddress: '198.51.100.66' } : r)) };
        stored = Buffer.from(JSON.stringify(altered), 'utf8');
      }
      let gz = gzipSync(stored);
      const app = options.appendAfterGzip?.find((r) => r.hour === h && (r.index ?? 0) === i);
      if (app) gz = Buffer.concat([gz, appendedGarbage(app.bytes)]);
      files.push({ key: logKey, kind: 'log', hour: h, bytes: gz, metadata: {} });
      logKeys.push(logKey);
    }

    const signer = has(options.wrongKeyHours, h) || has(options.unknownKeyHours, h) ? rogueKey! : key;
    const claimed = has(options.unknownKeyHours, h) ? rogueKey!.fingerprint : key.fingerprint;
    const digestKey = `${prefix}AWSLogs/${account}/CloudTrail-Digest/${region}/${ymdPath(dEnd)}/${account}_CloudTrail-Digest_${region}_${trailName}_${homeRegion}_${compact(dEnd, true)}.json.gz`;
    const digest: CloudTrailDigest & { awsAccountId: string } = {
      awsAccountId: account,
      digestStartTime: isoSec(dStart),
      digestEndTime: isoSec(dEnd),
      digestS3Bucket: bucket,
      digestS3Object: digestKey,
      digestPublicKeyFingerprint: claimed,
      digestSignatureAlgorithm: 'SHA256withRSA',
      newestEventTime: newest === null ? null : isoSec(newest),
      oldestEventTime: oldest === null ? null : isoSec(oldest),
      previousDigestS3Bucket: prev?.bucket ?? null,
      previousDigestS3Object: prev?.key ?? null,
      previousDigestHashValue: prev?.sha256 ?? null,
      previousDigestHashAlgorithm: prev ? 'SHA-256' : null,
      previousDigestSignature: prev?.signature ?? null,
      logFiles: entries,
    };
    const inflated = Buffer.from(cloudTrailJson(digest), 'utf8');
    const sha256 = createHash('sha256').update(inflated).digest('hex');
    let toSign = digestSigningString(digest, sha256);
    if (has(options.breakSignatureHours, h)) toSign = toSign.replace(digest.digestEndTime, isoSec(dEnd + 1000));
    const signature = signHex(toSign, signer.privateKey);

    let storedDigest = inflated;
    if (has(options.tamperDigestHours, h)) {
      storedDigest = Buffer.from(cloudTrailJson({ ...digest, logFiles: digest.logFiles.slice(1) }), 'utf8');
    }
    let gz = gzipSync(storedDigest);
    if (has(options.appendAfterGzipDigestHours, h)) gz = Buffer.concat([gz, appendedGarbage()]);
    const dropped = has(options.dropDigestHours, h);
    if (!dropped) {
      files.push({ key: digestKey, kind: 'digest', hour: h, bytes: gz, metadata: { signature, 'signature-algorithm': 'SHA256withRSA' } });
    }
    hourInfo.push({ hour: h, start: isoSec(dStart), end: isoSec(dEnd), digestKey, logKeys, dropped });
    // CloudTrail chains the digest it produced, whatever later happens to the stored copy.
    prev = { bucket, key: digestKey, sha256, signature };
  }

  const validity = options.keyValidity ?? { start: isoSec(startMs - 30 * 24 * HOUR_MS), end: isoSec(startMs + 60 * 24 * HOUR_MS) };
  // Same shape as `aws cloudtrail list-public-keys` (times as epoch seconds, like the AWS docs sample).
  const publicKeys = JSON.stringify(
    {
      PublicKeyList: [
        {
          ValidityStartTime: `${Date.parse(validity.start) / 1000}.0`,
          ValidityEndTime: `${Date.parse(validity.end) / 1000}.0`,
          Value: key.der.toString('base64'),
          Fingerprint: key.fingerprint,
        },
      ],
    },
    null,
    4,
  );
  return { bucket, account, region, files, publicKeys, privateKey: key.privateKey, key, rogueKey, hours: hourInfo };
}

/**
 * Input for validateCloudTrail as the S3 acquisition would build it
 * (withMetadata: keys, bucket and x-amz-meta-* values) or as a folder copy
 * gives it (no bucket, no signatures).
 */
export function trailToValidateInput(trail: Trail, mode: { withMetadata: boolean } = { withMetadata: true }): ValidateInput {
  const digests: DigestInput[] = [];
  const logs: LogInput[] = [];
  for (const f of trail.files) {
    if (f.kind === 'digest') {
      digests.push({
        key: f.key,
        bucket: mode.withMetadata ? trail.bucket : null,
        bytes: f.bytes,
        signature: mode.withMetadata ? f.metadata.signature : null,
        signatureAlgorithm: mode.withMetadata ? f.metadata['signature-algorithm'] : null,
      });
    } else {
      logs.push({ key: f.key, bucket: mode.withMetadata ? trail.bucket : null, bytes: f.bytes });
    }
  }
  return { digests, logs, publicKeys: parsePublicKeys(trail.publicKeys, 'fixture list-public-keys') };
}

/** Write the files under dir/<key> as `aws s3 sync s3://bucket dir` would (content only, no metadata). */
export async function writeTrailToFolder(files: readonly TrailFile[], dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const f of files) {
    const p = join(dir, ...f.key.split('/'));
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, f.bytes);
    written.push(p);
  }
  return written;
}
