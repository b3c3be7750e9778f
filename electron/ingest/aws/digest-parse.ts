// Reading one CloudTrail digest file strictly, the string CloudTrail signs, and
// checking the signature (AWS CloudTrail User Guide, "CloudTrail digest file
// structure"; aws-cli Sha256RSADigestValidator).
import { createHash, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { gunzipStrict, GzipFormatError, isGzip, type GunzipLimits } from '../../case/gzip.ts';
import { DigestFormatError, HASH_ALGORITHM, type CloudTrailDigest, type DigestLogFileEntry, type ParsedDigest } from './digest-types.ts';

const HEX_RE = /^[0-9a-fA-F]+$/;

export function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Decompress an object that may be gzip or already plain JSON. */
export function inflateObject(bytes: Buffer, limits: GunzipLimits | undefined): Buffer {
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
