// AWS's published address ranges (ip-ranges.json): validation and lookup.
// The format (https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html):
// {"syncToken": "<epoch s>", "createDate": "YYYY-MM-DD-hh-mm-ss",
//  "prefixes": [{"ip_prefix", "region", "service", "network_border_group"}],
//  "ipv6_prefixes": [{"ipv6_prefix", ...}]}. A range is listed once under
// AMAZON and again under each service that uses it (EC2, S3, CLOUDFRONT…).
import { parseCidr, parseIp } from '../../../shared/ip.ts';
import type { AwsRangeAnswer } from '../../../shared/analysis/enrichment.ts';

export interface AwsRanges {
  syncToken: string;
  /** ISO form of createDate. */
  createDate: string;
  prefixCount: number;
  lookup(ip: string): AwsRangeAnswer | null;
}

interface Entry { prefix: string; region: string; services: Set<string> }

/** Parse and validate a copy; throws an Error naming what is wrong (the caller adds the file name). */
export function parseAwsRanges(text: string): AwsRanges {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not a JSON object');
  if (typeof doc.syncToken !== 'string' || !/^\d+$/.test(doc.syncToken)) throw new Error('syncToken is missing or not a string of digits');
  const cd = typeof doc.createDate === 'string' ? /^(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$/.exec(doc.createDate) : null;
  if (!cd) throw new Error('createDate is missing or not YYYY-MM-DD-hh-mm-ss');
  const createDate = `${cd[1]}-${cd[2]}-${cd[3]}T${cd[4]}:${cd[5]}:${cd[6]}Z`;
  if (Number.isNaN(Date.parse(createDate))) throw new Error(`createDate ${doc.createDate} is not a date`);
  if (!Array.isArray(doc.prefixes) || doc.prefixes.length === 0) throw new Error('prefixes is missing or empty');
  if (doc.ipv6_prefixes !== undefined && !Array.isArray(doc.ipv6_prefixes)) throw new Error('ipv6_prefixes is not a list');
  // Per version and prefix length: network text -> entry. A lookup tries each length, longest first.
  const byLen = new Map<string, Map<string, Entry>>();
  let count = 0;
  const add = (list: unknown[], field: string, version: 4 | 6) => {
    list.forEach((p: any, i) => {
      const where = `${version === 4 ? 'prefixes' : 'ipv6_prefixes'}[${i}]`;
      if (!p || typeof p !== 'object') throw new Error(`${where} is not an object`);
      const c = typeof p[field] === 'string' ? parseCidr(p[field]) : null;
      if (!c || c.version !== version || !p[field].includes('/')) throw new Error(`${where}.${field} is not an IPv${version} prefix: ${JSON.stringify(p[field])?.slice(0, 60)}`);
      if (typeof p.region !== 'string' || typeof p.service !== 'string') throw new Error(`${where} lacks region or service`);
      const bits = Number(p[field].split('/')[1]);
      const k = `${version}/${bits}`;
      let m = byLen.get(k);
      if (!m) byLen.set(k, (m = new Map()));
      const net = String(c.low);
      const e = m.get(net);
      if (e) e.services.add(p.service);
      else m.set(net, { prefix: p[field], region: p.region, services: new Set([p.service]) });
      count++;
    });
  };
  add(doc.prefixes, 'ip_prefix', 4);
  add(doc.ipv6_prefixes ?? [], 'ipv6_prefix', 6);
  const lens = (v: 4 | 6) => [...byLen.keys()].filter((k) => k.startsWith(`${v}/`)).map((k) => Number(k.slice(2))).sort((a, b) => b - a);
  const v4Lens = lens(4), v6Lens = lens(6);
  return {
    syncToken: doc.syncToken,
    createDate,
    prefixCount: count,
    lookup(ip: string): AwsRangeAnswer | null {
      const p = parseIp(ip);
      if (!p) return null;
      for (const bits of p.version === 4 ? v4Lens : v6Lens) {
        const c = parseCidr(`${p.canonical}/${bits}`);
        const e = c ? byLen.get(`${p.version}/${bits}`)!.get(String(c.low)) : undefined;
        if (!e) continue;
        const services = [...e.services].sort();
        return { prefix: e.prefix, region: e.region, service: services.find((s) => s !== 'AMAZON') ?? 'AMAZON', services };
      }
      return null;
    },
  };
}
