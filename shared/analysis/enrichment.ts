// Offline enrichment of source addresses (README.md, "Addresses and profiles"): what the bundled
// databases say about an address, and which database said it. Enrichment is
// derived data, never evidence: every answer names the database (by its id in
// the case's enrichment_sources table, which carries name, version, date and
// SHA-256) that gave it, so an answer stays reproducible after a newer
// database is applied.
import { parseIp, type ParsedIp } from '../ip.ts';

/**
 * What kind of address a sourceIPAddress value is. Special-purpose classes
 * follow IANA's special-purpose address registries (RFC 6890 and updates);
 * they are decided before any database is asked, because a GeoIP database may
 * still place a documentation range in a country (the installed country
 * database puts 198.51.100.0/24 in AU).
 */
export type AddressClass =
  | 'public'
  | 'private'
  | 'shared'
  | 'loopback'
  | 'link-local'
  | 'documentation'
  | 'benchmarking'
  | 'multicast'
  | 'reserved'
  | 'unspecified'
  | 'aws-service'
  | 'not-an-address';

export interface AwsRangeAnswer {
  /** Most specific AWS prefix containing the address. */
  prefix: string;
  region: string;
  /** The specific service (EC2, S3, CLOUDFRONT…) when listed, else AMAZON. */
  service: string;
  /** Every service listed for that prefix. */
  services: string[];
}

export interface IpInfo {
  /** sourceIPAddress as recorded. */
  text: string;
  /** The address described, canonical (null when the value is not an address). */
  address: string | null;
  class: AddressClass;
  /** How an odd value was read (zero-padded octets, two addresses in one field, IPv4-mapped IPv6). */
  note: string | null;
  country: string | null;
  city: string | null;
  subdivision: string | null;
  lat: number | null;
  lon: number | null;
  asn: number | null;
  asOrg: string | null;
  aws: AwsRangeAnswer | null;
  /** enrichment_sources ids of the databases that answered (absent: not asked or no answer). */
  sources: { country?: number; city?: number; asn?: number; aws?: number };
}

export interface EnrichmentSource {
  id: number;
  kind: 'country' | 'city' | 'asn' | 'aws-ranges';
  name: string;
  version: string;
  /** Build or publication date of the data (ISO), as the file says. */
  date: string | null;
  /** SHA-256 over the files' SHA-256s (one file: that file's SHA-256). */
  sha256: string;
  files: { file: string; sha256: string; size: number }[];
  licence: string;
  attribution: string;
  addedAt: string;
}

// ---- reading odd sourceIPAddress values ----

export interface ReadAddress {
  parsed: ParsedIp | null;
  class: AddressClass | null;
  note: string | null;
}

/**
 * Read a recorded sourceIPAddress. Real trails carry more than addresses:
 * AWS service names ("s3.amazonaws.com", "AWS Internal") when a service acted,
 * zero-padded octets ("075.050.255.067", in anonymised logs), two addresses in
 * one field ("203.0.113.5, 10.0.0.1", a proxy chain: the first is the client
 * as in X-Forwarded-For), IPv4-mapped IPv6 ("::ffff:192.0.2.1").
 */
export function readAddress(text: string): ReadAddress {
  const t = text.trim();
  if (/^AWS Internal$/i.test(t) || /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/i.test(t)) {
    return { parsed: null, class: 'aws-service', note: 'an AWS service acted (the value is a service name, not an address)' };
  }
  const parts = t.split(/\s*,\s*|\s+/).filter(Boolean);
  if (parts.length > 1) {
    const all = parts.map((p) => parseIp(p));
    if (all.every((p) => p !== null)) {
      const first = all[0]!;
      return { ...describeParsed(first, parts[0]), note: `${parts.length} addresses in one field (${all.map((p) => p!.canonical).join(', ')}); the first, the client in proxy order, is described` };
    }
    return { parsed: null, class: 'not-an-address', note: null };
  }
  const p = parseIp(t);
  if (!p) return { parsed: null, class: 'not-an-address', note: null };
  return describeParsed(p, t);
}

function describeParsed(p: ParsedIp, raw: string): ReadAddress {
  if (p.version === 6 && (p.value as string).startsWith('00000000000000000000ffff')) {
    const v = parseInt((p.value as string).slice(24), 16);
    const canonical = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
    return { parsed: { version: 4, value: v, canonical }, class: null, note: `IPv4-mapped IPv6 ${raw.trim()} read as ${canonical}` };
  }
  if (p.version === 4 && p.canonical !== raw.trim()) {
    return { parsed: p, class: null, note: `written ${raw.trim()}; octets read as decimal: ${p.canonical}` };
  }
  return { parsed: p, class: null, note: null };
}

// ---- special-purpose ranges (IANA IPv4/IPv6 Special-Purpose Address Registries) ----

interface V4Range { low: number; high: number; cls: AddressClass; name: string }
const v4 = (cidr: string, cls: AddressClass, name: string): V4Range => {
  const [a, bits] = cidr.split('/');
  const v = a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return { low: v, high: v + size - 1, cls, name };
};

export const SPECIAL_V4: V4Range[] = [
  v4('0.0.0.0/8', 'unspecified', '"this network" (RFC 791)'),
  v4('10.0.0.0/8', 'private', 'private-use (RFC 1918)'),
  v4('100.64.0.0/10', 'shared', 'shared address space / carrier-grade NAT (RFC 6598)'),
  v4('127.0.0.0/8', 'loopback', 'loopback (RFC 1122)'),
  v4('169.254.0.0/16', 'link-local', 'link-local (RFC 3927)'),
  v4('172.16.0.0/12', 'private', 'private-use (RFC 1918)'),
  v4('192.0.0.0/24', 'reserved', 'IETF protocol assignments (RFC 6890)'),
  v4('192.0.2.0/24', 'documentation', 'documentation TEST-NET-1 (RFC 5737)'),
  v4('192.88.99.0/24', 'reserved', 'deprecated 6to4 relay anycast (RFC 7526)'),
  v4('192.168.0.0/16', 'private', 'private-use (RFC 1918)'),
  v4('198.18.0.0/15', 'benchmarking', 'benchmarking (RFC 2544)'),
  v4('198.51.100.0/24', 'documentation', 'documentation TEST-NET-2 (RFC 5737)'),
  v4('203.0.113.0/24', 'documentation', 'documentation TEST-NET-3 (RFC 5737)'),
  v4('224.0.0.0/4', 'multicast', 'multicast (RFC 5771)'),
  v4('240.0.0.0/4', 'reserved', 'reserved for future use (RFC 1112); 255.255.255.255 is limited broadcast'),
];

interface V6Range { prefix: string; bits: number; cls: AddressClass; name: string }
export const SPECIAL_V6: V6Range[] = [
  { prefix: '0'.repeat(32), bits: 128, cls: 'unspecified', name: 'unspecified (RFC 4291)' },
  { prefix: '0'.repeat(31) + '1', bits: 128, cls: 'loopback', name: 'loopback (RFC 4291)' },
  { prefix: '0100000000000000', bits: 64, cls: 'reserved', name: 'discard-only (RFC 6666)' },
  { prefix: '20010db8', bits: 32, cls: 'documentation', name: 'documentation (RFC 3849)' },
  { prefix: '3fff0', bits: 20, cls: 'documentation', name: 'documentation (RFC 9637)' },
  { prefix: 'fc', bits: 7, cls: 'private', name: 'unique-local (RFC 4193)' },
  { prefix: 'fe8', bits: 10, cls: 'link-local', name: 'link-local unicast (RFC 4291)' },
  { prefix: 'ff', bits: 8, cls: 'multicast', name: 'multicast (RFC 4291)' },
];

function hexBits(hex: string, bits: number): string {
  let out = '';
  for (const c of hex) out += parseInt(c, 16).toString(2).padStart(4, '0');
  return out.slice(0, bits);
}

/** The special-purpose range an address is in, or null for an ordinary (public) address. */
export function specialRange(p: ParsedIp): { cls: AddressClass; name: string } | null {
  if (p.version === 4) {
    const v = p.value as number;
    for (const r of SPECIAL_V4) if (v >= r.low && v <= r.high) return { cls: r.cls, name: r.name };
    return null;
  }
  const hex = p.value as string;
  const mine = hexBits(hex, 128);
  for (const r of SPECIAL_V6) {
    if (mine.startsWith(hexBits(r.prefix.padEnd(32, '0'), r.bits))) return { cls: r.cls, name: r.name };
  }
  return null;
}

/** Places on the public internet that a database can locate (and travel can be measured between). */
export function isLocatable(info: IpInfo | undefined | null): info is IpInfo {
  return !!info && info.class === 'public';
}

/** Great-circle distance in km (haversine, mean Earth radius 6371 km). */
export function distanceKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** "AS16509 Amazon.com, Inc." / "AS?" — for explanations. */
export function asLabel(info: IpInfo | null | undefined): string {
  if (!info || info.asn === null) return 'unknown network';
  return `AS${info.asn}${info.asOrg ? ` ${info.asOrg}` : ''}`;
}

/** "Frankfurt am Main, DE" / "DE" / "unknown place". */
export function placeLabel(info: IpInfo | null | undefined): string {
  if (!info) return 'unknown place';
  if (info.city && info.country) return `${info.city}, ${info.country}`;
  return info.country ?? 'unknown place';
}
