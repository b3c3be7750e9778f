// The ASN database (@ip-location-db/asn, CSV) as a compact sorted index.
//
// Why at run time and not converted at build time: the CSV is what the
// package ships and what its SHA-256 names, so the case can record the hash of
// the very file that answered. Loading it into typed arrays costs under a
// second and ~20 MB (measured by test/bench/enrich.ts); a
// build-time conversion would save that but answer from a derived file whose
// hash no one can check against the published package.
//
// IPv4 comes from asn-ipv4-num.csv (ranges as integers: no address parsing),
// IPv6 from asn-ipv6.csv (addresses, kept as four 32-bit words each, compared
// most significant first). Rows are inclusive ranges in ascending order of
// their start (checked on load: an unsorted file is refused, not misread).
// The package says its npm data has known errors; one is overlapping rows
// (one in asn-ipv4-num.csv of 2.3.2026061719): they are counted (`overlaps`),
// and an address in an overlap is answered by the row that starts last, the
// narrower claim.
import { readFileSync } from 'node:fs';
import { parseIpv6 } from '../../../shared/ip.ts';

export interface AsnAnswer {
  asn: number;
  org: string | null;
}

/** The rows of a CSV file as [start, end) byte offsets, one at a time (no copy of the file as a string). */
function* lines(buf: Buffer): Generator<[number, number, number]> {
  let at = 0;
  for (let n = 1; at < buf.length; n++) {
    let end = buf.indexOf(10, at);
    if (end < 0) end = buf.length;
    const stop = end > at && buf[end - 1] === 13 ? end - 1 : end;
    if (stop > at) yield [at, stop, n];
    at = end + 1;
  }
}

/** The three commas of a start,end,asn,org row, or null. */
function commas(buf: Buffer, from: number, to: number): [number, number, number] | null {
  const a = buf.indexOf(44, from);
  const b = a < 0 || a >= to ? -1 : buf.indexOf(44, a + 1);
  const c = b < 0 || b >= to ? -1 : buf.indexOf(44, b + 1);
  return c < 0 || c >= to ? null : [a, b, c];
}

/** A decimal integer written in buf[from, to), or NaN. */
function decimal(buf: Buffer, from: number, to: number): number {
  if (to <= from || to - from > 15) return NaN;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v;
}

/** The org column: quoted ("Cloudflare, Inc.") with "" for a quote, or bare. */
function orgText(buf: Buffer, from: number, to: number): string {
  if (to - from >= 2 && buf[from] === 34 && buf[to - 1] === 34) return buf.toString('utf8', from + 1, to - 1).replace(/""/g, '"');
  return buf.toString('utf8', from, to);
}

/** 32 hex digits as four 32-bit words, most significant first. */
function words(hex: string, out: Uint32Array, at: number): void {
  for (let w = 0; w < 4; w++) out[at * 4 + w] = parseInt(hex.slice(w * 8, w * 8 + 8), 16);
}

/** Compare the 128-bit row value at row `i` of `a` with `q` (four words). */
function cmp128(a: Uint32Array, i: number, q: Uint32Array): number {
  for (let w = 0; w < 4; w++) {
    const x = a[i * 4 + w], y = q[w];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export class AsnIndex {
  private constructor(
    private readonly v4Start: Uint32Array,
    private readonly v4End: Uint32Array,
    private readonly v4Asn: Uint32Array,
    private readonly v4Org: Uint32Array,
    /** IPv6 rows: four 32-bit words per address, most significant first. */
    private readonly v6Start: Uint32Array,
    private readonly v6End: Uint32Array,
    private readonly v6Asn: Uint32Array,
    private readonly v6Org: Uint32Array,
    private readonly orgs: string[],
    /** Rows that start inside the previous row's range (data errors of the source). */
    readonly overlaps: number,
  ) {}

  get size(): { v4: number; v6: number; orgs: number } {
    return { v4: this.v4Start.length, v6: this.v6Asn.length, orgs: this.orgs.length };
  }

  /**
   * Both files read as bytes and parsed row by row into typed arrays (the
   * files are 21 and 9 MB; splitting them into strings took ~140 MB while
   * loading). Only the organisation names become strings, once each.
   */
  static load(v4NumCsv: string, v6Csv: string): AsnIndex {
    const orgs: string[] = [];
    const orgIds = new Map<string, number>();
    const orgId = (o: string) => {
      let id = orgIds.get(o);
      if (id === undefined) {
        id = orgs.length;
        orgs.push(o);
        orgIds.set(o, id);
      }
      return id;
    };
    let overlaps = 0;
    const refuse = (file: string, n: number, buf: Buffer, from: number, to: number) =>
      new Error(`${file} line ${n}: not a sorted start,end,asn,org row: ${buf.toString('utf8', from, Math.min(to, from + 80))}`);

    const b4 = readFileSync(v4NumCsv);
    let rows = 0;
    for (let i = b4.indexOf(10); i >= 0; i = b4.indexOf(10, i + 1)) rows++;
    rows++;
    const s4 = new Uint32Array(rows), e4 = new Uint32Array(rows), a4 = new Uint32Array(rows), o4 = new Uint32Array(rows);
    let n4 = 0;
    for (const [from, to, n] of lines(b4)) {
      const c = commas(b4, from, to);
      const s = c ? decimal(b4, from, c[0]) : NaN, e = c ? decimal(b4, c[0] + 1, c[1]) : NaN, asn = c ? decimal(b4, c[1] + 1, c[2]) : NaN;
      if (!c || !Number.isInteger(s) || !Number.isInteger(e) || !Number.isInteger(asn) || s > e || e > 0xffffffff || asn > 0xffffffff || (n4 > 0 && s < s4[n4 - 1])) {
        throw refuse(v4NumCsv, n, b4, from, to);
      }
      if (n4 > 0 && s <= e4[n4 - 1]) overlaps++;
      s4[n4] = s; e4[n4] = e; a4[n4] = asn; o4[n4] = orgId(orgText(b4, c[2] + 1, to));
      n4++;
    }

    const b6 = readFileSync(v6Csv);
    rows = 1;
    for (let i = b6.indexOf(10); i >= 0; i = b6.indexOf(10, i + 1)) rows++;
    const s6 = new Uint32Array(rows * 4), e6 = new Uint32Array(rows * 4), a6 = new Uint32Array(rows), o6 = new Uint32Array(rows);
    const q = new Uint32Array(4);
    let n6 = 0;
    for (const [from, to, n] of lines(b6)) {
      const c = commas(b6, from, to);
      const s = c ? parseIpv6(b6.toString('latin1', from, c[0])) : null, e = c ? parseIpv6(b6.toString('latin1', c[0] + 1, c[1])) : null;
      const asn = c ? decimal(b6, c[1] + 1, c[2]) : NaN;
      if (!c || !s || !e || !Number.isInteger(asn) || asn > 0xffffffff || s > e) throw refuse(v6Csv, n, b6, from, to);
      words(s, q, 0);
      if (n6 > 0 && cmp128(s6, n6 - 1, q) > 0) throw refuse(v6Csv, n, b6, from, to);
      if (n6 > 0 && cmp128(e6, n6 - 1, q) >= 0) overlaps++;
      words(s, s6, n6);
      words(e, e6, n6);
      a6[n6] = asn; o6[n6] = orgId(orgText(b6, c[2] + 1, to));
      n6++;
    }
    return new AsnIndex(s4.slice(0, n4), e4.slice(0, n4), a4.slice(0, n4), o4.slice(0, n4), s6.slice(0, n6 * 4), e6.slice(0, n6 * 4), a6.slice(0, n6), o6.slice(0, n6), orgs, overlaps);
  }

  /** IPv4 as its 32-bit value. */
  v4(ip: number): AsnAnswer | null {
    let lo = 0, hi = this.v4Start.length - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.v4Start[mid] <= ip) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    // Past an overlap, an earlier row may still contain the address.
    for (let back = 0; at >= 0 && this.v4End[at] < ip && back < 8; back++) at--;
    if (at < 0 || this.v4End[at] < ip) return null;
    return { asn: this.v4Asn[at], org: this.orgs[this.v4Org[at]] || null };
  }

  /** IPv6 as 32 hex digits. */
  v6(hex: string): AsnAnswer | null {
    const q = new Uint32Array(4);
    words(hex, q, 0);
    let lo = 0, hi = this.v6Asn.length - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp128(this.v6Start, mid, q) <= 0) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    for (let back = 0; at >= 0 && cmp128(this.v6End, at, q) < 0 && back < 8; back++) at--;
    if (at < 0 || cmp128(this.v6End, at, q) < 0) return null;
    return { asn: this.v6Asn[at], org: this.orgs[this.v6Org[at]] || null };
  }
}
