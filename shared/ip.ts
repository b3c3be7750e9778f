// IP address and CIDR parsing, tolerant of real CloudTrail values: zero-padded
// IPv4 octets ("075.050.255.67", as the anonymised Stratus logs have them),
// IPv6 in any compression, and non-addresses such as "AWS Internal" or a
// service principal ("lambda.amazonaws.com") which are kept as text only.

export interface ParsedIp {
  version: 4 | 6;
  /** IPv4: the 32-bit value. IPv6: a 32-hex-digit string (fixed width, so it sorts). */
  value: number | string;
  /** Canonical text form (IPv4 without leading zeros; IPv6 fully expanded lower case). */
  canonical: string;
}

export function parseIpv4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p); // decimal even with leading zeros, as CloudTrail consumers read them
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return v;
}

export function parseIpv6(input: string): string | null {
  let s = input.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (!s.includes(':')) return null;
  // Embedded IPv4 tail (::ffff:1.2.3.4)
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    if (v4 === null) return null;
    s = s.slice(0, lastColon + 1) + ((v4 >>> 16) & 0xffff).toString(16) + ':' + (v4 & 0xffff).toString(16);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 ? (halves[1] ? halves[1].split(':') : []) : [];
  const groups = halves.length === 2 ? [...head, ...Array(8 - head.length - rest.length).fill('0'), ...rest] : head;
  if (groups.length !== 8) return null;
  let out = '';
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    out += g.padStart(4, '0');
  }
  return out;
}

export function parseIp(s: string): ParsedIp | null {
  const t = s.trim();
  const v4 = parseIpv4(t);
  if (v4 !== null) {
    return { version: 4, value: v4, canonical: [v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].join('.') };
  }
  const v6 = parseIpv6(t);
  if (v6 !== null) return { version: 6, value: v6, canonical: v6.match(/.{4}/g)!.join(':') };
  return null;
}

export interface Cidr {
  version: 4 | 6;
  /** Inclusive range. IPv4 numbers; IPv6 32-hex strings (compare as strings). */
  low: number | string;
  high: number | string;
  text: string;
}

export function parseCidr(s: string): Cidr | null {
  const t = s.trim();
  const slash = t.indexOf('/');
  const addr = parseIp(slash >= 0 ? t.slice(0, slash) : t);
  if (!addr) return null;
  const maxBits = addr.version === 4 ? 32 : 128;
  // Plain digits only: Number() would read "" as 0 (a stray slash widening an indicator to every address), "0x8" or "1e1".
  const prefix = slash >= 0 ? t.slice(slash + 1) : String(maxBits);
  if (!/^\d{1,3}$/.test(prefix)) return null;
  const bits = Number(prefix);
  if (bits > maxBits) return null;
  if (addr.version === 4) {
    const v = addr.value as number;
    const size = 2 ** (32 - bits);
    const low = Math.floor(v / size) * size;
    return { version: 4, low, high: low + size - 1, text: t };
  }
  const hex = addr.value as string;
  let bin = '';
  for (const c of hex) bin += parseInt(c, 16).toString(2).padStart(4, '0');
  const lowBin = bin.slice(0, bits).padEnd(128, '0');
  const highBin = bin.slice(0, bits).padEnd(128, '1');
  const toHex = (b: string) => b.match(/.{4}/g)!.map((n) => parseInt(n, 2).toString(16)).join('');
  return { version: 6, low: toHex(lowBin), high: toHex(highBin), text: t };
}

export function cidrContains(c: Cidr, ip: ParsedIp): boolean {
  if (c.version !== ip.version) return false;
  return c.version === 4
    ? (ip.value as number) >= (c.low as number) && (ip.value as number) <= (c.high as number)
    : (ip.value as string) >= (c.low as string) && (ip.value as string) <= (c.high as string);
}
