// The ASN database (@ip-location-db/asn, CSV) as a compact sorted index.
//
// Why at run time and not converted at build time: the CSV is what the
// package ships and what its SHA-256 names, so the case can record the hash of
// the very file that answered. Loading it into typed arrays once per process
// costs a few hundred ms and ~15 MB (measured by test/bench/enrich.ts); a
// build-time conversion would save that but answer from a derived file whose
// hash no one can check against the published package.
//
// IPv4 comes from asn-ipv4-num.csv (ranges as integers: no address parsing),
// IPv6 from asn-ipv6.csv (addresses, kept as fixed-width 32-hex strings, which
// sort like the numbers). Rows are inclusive ranges in ascending order of
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

/** Split one CSV row: start,end,asn,org where org may be quoted ("Cloudflare, Inc.") with "" for a quote. */
function splitRow(line: string): [string, string, string, string] | null {
  const a = line.indexOf(',');
  const b = line.indexOf(',', a + 1);
  const c = line.indexOf(',', b + 1);
  if (a < 0 || b < 0 || c < 0) return null;
  let org = line.slice(c + 1);
  if (org.startsWith('"') && org.endsWith('"') && org.length >= 2) org = org.slice(1, -1).replace(/""/g, '"');
  return [line.slice(0, a), line.slice(a + 1, b), line.slice(b + 1, c), org];
}

export class AsnIndex {
  private constructor(
    private readonly v4Start: Uint32Array,
    private readonly v4End: Uint32Array,
    private readonly v4Asn: Uint32Array,
    private readonly v4Org: Uint32Array,
    private readonly v6Start: string[],
    private readonly v6End: string[],
    private readonly v6Asn: Uint32Array,
    private readonly v6Org: Uint32Array,
    private readonly orgs: string[],
    /** Rows that start inside the previous row's range (data errors of the source). */
    readonly overlaps: number,
  ) {}

  get size(): { v4: number; v6: number; orgs: number } {
    return { v4: this.v4Start.length, v6: this.v6Start.length, orgs: this.orgs.length };
  }

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
    const v4Lines = readFileSync(v4NumCsv, 'utf8').split('\n');
    const s4 = new Uint32Array(v4Lines.length), e4 = new Uint32Array(v4Lines.length), a4 = new Uint32Array(v4Lines.length), o4 = new Uint32Array(v4Lines.length);
    let n4 = 0;
    v4Lines.forEach((line, i) => {
      if (!line) return;
      const r = splitRow(line);
      const s = r ? Number(r[0]) : NaN, e = r ? Number(r[1]) : NaN, asn = r ? Number(r[2]) : NaN;
      if (!r || !Number.isInteger(s) || !Number.isInteger(e) || !Number.isInteger(asn) || s > e || e > 0xffffffff || (n4 > 0 && s < s4[n4 - 1])) {
        throw new Error(`${v4NumCsv} line ${i + 1}: not a sorted start,end,asn,org row: ${line.slice(0, 80)}`);
      }
      if (n4 > 0 && s <= e4[n4 - 1]) overlaps++;
      s4[n4] = s; e4[n4] = e; a4[n4] = asn; o4[n4] = orgId(r[3]);
      n4++;
    });
    const v6Lines = readFileSync(v6Csv, 'utf8').split('\n');
    const s6: string[] = [], e6: string[] = [];
    const a6 = new Uint32Array(v6Lines.length), o6 = new Uint32Array(v6Lines.length);
    v6Lines.forEach((line, i) => {
      if (!line) return;
      const r = splitRow(line);
      const s = r ? parseIpv6(r[0]) : null, e = r ? parseIpv6(r[1]) : null, asn = r ? Number(r[2]) : NaN;
      if (!r || !s || !e || !Number.isInteger(asn) || s > e || (s6.length > 0 && s < s6[s6.length - 1])) {
        throw new Error(`${v6Csv} line ${i + 1}: not a sorted start,end,asn,org row: ${line.slice(0, 80)}`);
      }
      if (s6.length > 0 && s <= e6[e6.length - 1]) overlaps++;
      a6[s6.length] = asn; o6[s6.length] = orgId(r[3]);
      s6.push(s); e6.push(e);
    });
    return new AsnIndex(s4.slice(0, n4), e4.slice(0, n4), a4.slice(0, n4), o4.slice(0, n4), s6, e6, a6.slice(0, s6.length), o6.slice(0, s6.length), orgs, overlaps);
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
    let lo = 0, hi = this.v6Start.length - 1, at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.v6Start[mid] <= hex) { at = mid; lo = mid + 1; } else hi = mid - 1;
    }
    for (let back = 0; at >= 0 && this.v6End[at] < hex && back < 8; back++) at--;
    if (at < 0 || this.v6End[at] < hex) return null;
    return { asn: this.v6Asn[at], org: this.orgs[this.v6Org[at]] || null };
  }
}
