// CloudTrail digest-signing public keys (issue "Acquisition from AWS", digest part).
//
// Source of keys: CloudTrail ListPublicKeys / `aws cloudtrail list-public-keys`
// (per region, for a time range). Each entry has Value (the DER public key;
// base64 in CLI JSON output, bytes in SDK output), ValidityStartTime,
// ValidityEndTime and Fingerprint. The AWS docs say Value is "DER encoded
// public key value in PKCS #1 format", yet the docs' own third sample key is an
// X.509 SubjectPublicKeyInfo, so both encodings are accepted
// (test/fixtures/cloudtrail-digest-samples/SOURCE.md). The fingerprint that
// digest files carry in digestPublicKeyFingerprint is the hex MD5 of the DER
// bytes exactly as delivered (verified for all 3 documented keys).
//
// Offline validation needs the keys captured while online (AWS docs, "Validating
// digest and log files offline"), so a case stores the list-public-keys JSON
// and this module re-reads it.

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { parseTime } from '../../../shared/time.ts';

export const PUBLIC_KEYS_UNIT = { name: 'cloudtrail-public-keys', version: '1.0.0' } as const;

export interface PublicKeyEntry {
  /** Lower-case hex MD5 of `der`, computed here (matches digestPublicKeyFingerprint). */
  fingerprint: string;
  /** The DER bytes exactly as listed (the fingerprint is over these). */
  der: Buffer;
  /** Which DER structure `der` is. */
  format: 'pkcs1' | 'spki';
  /** Validity window in epoch ms (UTC); null = not given, treated as unbounded on that side. */
  validityStart: number | null;
  validityEnd: number | null;
  /** Where the entry came from, for messages: e.g. "keys.json PublicKeyList[2]". */
  source: string;
  /** Node key object for signature verification. */
  key: KeyObject;
}

export class PublicKeyListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublicKeyListError';
  }
}

/** Hex MD5 of the DER bytes: CloudTrail's public key fingerprint. */
export function publicKeyFingerprint(der: Uint8Array): string {
  return createHash('md5').update(der).digest('hex');
}

/** Load an RSA public key from DER that is either PKCS#1 RSAPublicKey or SubjectPublicKeyInfo. */
export function publicKeyFromDer(der: Buffer, where = 'public key'): { key: KeyObject; format: 'pkcs1' | 'spki' } {
  const errors: string[] = [];
  for (const type of ['pkcs1', 'spki'] as const) {
    try {
      const key = createPublicKey({ key: der, format: 'der', type });
      if (key.asymmetricKeyType !== 'rsa') {
        errors.push(`${type}: not an RSA key (${key.asymmetricKeyType})`);
        continue;
      }
      return { key, format: type };
    } catch (err) {
      errors.push(`${type}: ${(err as Error).message}`);
    }
  }
  throw new PublicKeyListError(`${where}: Value is not a DER RSA public key in PKCS#1 or SubjectPublicKeyInfo form (${errors.join('; ')})`);
}

const BASE64_RE = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** Decode the Value field in any of the shapes it takes in CLI or SDK output. */
function decodeValue(value: unknown, where: string): Buffer {
  if (typeof value === 'string') {
    const s = value.trim();
    if (s === '' || !BASE64_RE.test(s)) throw new PublicKeyListError(`${where}: Value is not base64 text`);
    return Buffer.from(s.replace(/\s+/g, ''), 'base64');
  }
  if (value instanceof Uint8Array) return Buffer.from(value);
  const byteArray = (arr: unknown[]): Buffer => {
    if (!arr.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255)) {
      throw new PublicKeyListError(`${where}: Value byte array contains non-byte values`);
    }
    return Buffer.from(arr as number[]);
  };
  if (Array.isArray(value)) return byteArray(value);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    // Buffer.toJSON(): {"type":"Buffer","data":[...]}
    if (o.type === 'Buffer' && Array.isArray(o.data)) return byteArray(o.data);
    // JSON.stringify(Uint8Array) from SDK output: {"0":48,"1":130,...}
    const keys = Object.keys(o);
    if (keys.length > 0 && keys.every((k, i) => k === String(i))) return byteArray(keys.map((k) => o[k]));
  }
  throw new PublicKeyListError(`${where}: Value is missing or not base64 text / bytes`);
}

function decodeTime(value: unknown, field: string, where: string): number | null {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) {
    const t = value.getTime();
    if (Number.isFinite(t)) return t;
  } else {
    // CLI v1 prints epoch seconds as "1436317441.0"; CLI v2 / SDK JSON print ISO-8601.
    const t = parseTime(value);
    if (t !== null) return t;
  }
  throw new PublicKeyListError(`${where}: ${field} ${JSON.stringify(value)} is not a time`);
}

/**
 * Parse `aws cloudtrail list-public-keys` output (or the SDK's
 * ListPublicKeysCommand output, already parsed or as JSON text).
 * Accepts {"PublicKeyList":[...]}, the docs' {"publicKeyList":[...]} and a bare
 * array. Throws PublicKeyListError naming the entry and the problem; a listed
 * Fingerprint that is not the MD5 of the DER is an error (the list is corrupt).
 */
export function parsePublicKeys(input: string | unknown, source = 'public key list'): PublicKeyEntry[] {
  let doc: unknown = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (err) {
      throw new PublicKeyListError(`${source}: not JSON (${(err as Error).message})`);
    }
  }
  let list: unknown;
  let field = 'PublicKeyList';
  if (Array.isArray(doc)) {
    list = doc;
    field = '';
  } else if (doc && typeof doc === 'object') {
    const o = doc as Record<string, unknown>;
    if ('PublicKeyList' in o) list = o.PublicKeyList;
    else if ('publicKeyList' in o) {
      list = o.publicKeyList;
      field = 'publicKeyList';
    }
  }
  if (!Array.isArray(list)) throw new PublicKeyListError(`${source}: expected {"PublicKeyList": [...]} (list-public-keys output)`);
  const out: PublicKeyEntry[] = [];
  list.forEach((raw, i) => {
    const where = `${source} ${field}[${i}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new PublicKeyListError(`${where}: entry is not an object`);
    const e = raw as Record<string, unknown>;
    const der = decodeValue(e.Value, where);
    const { key, format } = publicKeyFromDer(der, where);
    const fingerprint = publicKeyFingerprint(der);
    if (e.Fingerprint !== undefined && e.Fingerprint !== null) {
      if (typeof e.Fingerprint !== 'string') throw new PublicKeyListError(`${where}: Fingerprint is not a string`);
      if (e.Fingerprint.trim().toLowerCase() !== fingerprint) {
        throw new PublicKeyListError(`${where}: listed Fingerprint ${e.Fingerprint} is not the MD5 of the key's DER bytes (${fingerprint}); the key list is corrupt`);
      }
    }
    const validityStart = decodeTime(e.ValidityStartTime, 'ValidityStartTime', where);
    const validityEnd = decodeTime(e.ValidityEndTime, 'ValidityEndTime', where);
    if (validityStart !== null && validityEnd !== null && validityEnd < validityStart) {
      throw new PublicKeyListError(`${where}: ValidityEndTime is before ValidityStartTime`);
    }
    out.push({ fingerprint, der, format, validityStart, validityEnd, source: where, key });
  });
  return out;
}

/**
 * Serialise keys back to list-public-keys JSON (base64 Value, ISO times), so a
 * case can store exactly what validation used; parsePublicKeys reads it back.
 */
export function publicKeysToJson(entries: readonly PublicKeyEntry[]): string {
  return JSON.stringify(
    {
      PublicKeyList: entries.map((e) => ({
        Value: e.der.toString('base64'),
        ValidityStartTime: e.validityStart === null ? null : new Date(e.validityStart).toISOString(),
        ValidityEndTime: e.validityEnd === null ? null : new Date(e.validityEnd).toISOString(),
        Fingerprint: e.fingerprint,
      })),
    },
    null,
    2,
  );
}
