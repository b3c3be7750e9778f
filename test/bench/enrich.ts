// Enrichment and profile benchmark (README.md, "Addresses and profiles"), wired into `npm run bench` by
// test/bench/run.ts: loading the databases (time, memory), answering every
// distinct source address of the bench case (and, because the synthetic trail
// uses few and mostly documentation/private addresses, 100,000 random public
// IPv4 addresses for throughput), recording the answers in the case, and the
// profile of the busiest principal and key (target < 1 s at 1M events).
import type { CaseStore } from '../../electron/case/store.ts';
import { bundledAwsSource, bundledSources, Databases } from '../../electron/analysis/enrich/databases.ts';
import { enrichCase, lookupAddress } from '../../electron/analysis/enrich/enrich.ts';
import { ensureRefs } from '../../electron/analysis/refs.ts';
import { profile } from '../../electron/analysis/profile.ts';

export interface EnrichBench {
  loadSeconds: number;
  loadRssMB: number;
  hashSeconds: number;
  distinctAddresses: number;
  lookupAllSeconds: number;
  randomLookupsPerSec: number;
  enrichSeconds: number;
  enriched: number;
  busiestPrincipal: string | null;
  principalEvents: number;
  profilePrincipalSeconds: number;
  busiestKey: string | null;
  keyEvents: number;
  profileKeySeconds: number;
}

export async function benchEnrich(store: CaseStore): Promise<EnrichBench> {
  // The databases' own costs, on a set of all of them (a case with public IPv4 and IPv6 addresses reads all),
  // dropped before the case is enriched, as enrichCase drops its own set when the run is recorded.
  const rss0 = process.memoryUsage().rss;
  let t = performance.now();
  let db: Databases | null = new Databases().loadAll();
  const loadSeconds = (performance.now() - t) / 1000;
  const loadRssMB = (process.memoryUsage().rss - rss0) / 1e6;
  t = performance.now();
  bundledSources();
  const hashSeconds = (performance.now() - t) / 1000;

  const ips = (store.db.prepare('SELECT text FROM ips').raw().all() as [string][]).map((r) => r[0]);
  const aws = bundledAwsSource();
  const ids = { country: 0, city: 0, asn: 0, aws: 0 };
  const look = (ip: string) => lookupAddress(ip, ids, () => aws.text, aws.desc.sha256, db!);
  t = performance.now();
  for (const ip of ips) look(ip);
  const lookupAllSeconds = (performance.now() - t) / 1000;
  let x = 12345;
  // One 32-bit LCG state per address (Math.imul: plain multiplication lost precision, and one state per octet
  // cycled: 100,000 draws gave ~1,300 distinct addresses, so the old figure measured a cache, not lookups).
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const randomIp = () => {
    const a = next();
    return `${1 + ((a >>> 24) % 223)}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  };
  t = performance.now();
  for (let i = 0; i < 100_000; i++) look(randomIp());
  const randomLookupsPerSec = 100_000 / ((performance.now() - t) / 1000);
  db = null;

  t = performance.now();
  const e = enrichCase(store, 'bench');
  const enrichSeconds = (performance.now() - t) / 1000;

  // The profile reads the event_refs index; build it first so the timing is the profile's own.
  ensureRefs(store, 'bench');
  const top = (col: string) =>
    store.db.prepare(`SELECT st.s AS v, t.n AS n FROM (SELECT ${col} AS g, count(*) AS n FROM events WHERE ${col} IS NOT NULL GROUP BY ${col} ORDER BY n DESC LIMIT 1) t JOIN strings st ON st.id = t.g`).get() as
      | { v: string; n: number }
      | undefined;
  const p = top('arn');
  const k = top('access_key');
  const timeProfile = (kind: 'principal' | 'key', v: string | undefined) => {
    if (!v) return 0;
    profile(store, kind, v, { split: '2026-03-15T00:00:00Z', enrich: false }); // warm the page cache once
    const t0 = performance.now();
    profile(store, kind, v, { split: '2026-03-15T00:00:00Z', enrich: false });
    return (performance.now() - t0) / 1000;
  };
  return {
    loadSeconds, loadRssMB, hashSeconds, distinctAddresses: ips.length, lookupAllSeconds, randomLookupsPerSec, enrichSeconds, enriched: e.enriched,
    busiestPrincipal: p?.v ?? null, principalEvents: p?.n ?? 0, profilePrincipalSeconds: timeProfile('principal', p?.v),
    busiestKey: k?.v ?? null, keyEvents: k?.n ?? 0, profileKeySeconds: timeProfile('key', k?.v),
  };
}
