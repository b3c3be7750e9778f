// Baselines inside the case (docs/analysis.md): what is new for
// each principal after a learning window, rare API calls across the case, and
// hourly volume spikes per principal. All of it is GROUP BY over the indexed,
// dictionary-encoded columns; no record is read.
//
// Method (returned with every report):
// - Principal = the session issuer (role) ARN for assumed roles, else the
//   caller ARN, else the user name, else the principal id. Events with none of
//   these (AWS service events) are not baselined.
// - Learning window: the first `learnFraction` (default 20%) of each
//   principal's own time span (first to last event), or everything before
//   `learnUntil` when given. Principals with fewer than `minEvents` (default
//   20) events are listed as too short to baseline.
// - First-seen: a source IP, network (IPv4 /24, IPv6 /48), user agent, region
//   or API (eventSource:eventName) whose first use by the principal falls after
//   its learning window.
// - Rare APIs: APIs called at most max(2, total events / 20,000) times in the
//   whole case.
// - Volume spikes: events per principal per UTC hour, over the hours the
//   principal was active; an hour is a spike when its modified z-score
//   0.6745 * (x - median) / MAD exceeds 3.5 (Iglewicz & Hoaglin) and it holds
//   at least 20 events; when MAD is 0, 1.2533 * mean absolute deviation is
//   used instead; principals active in fewer than 8 hours are not scored.
// - Impossible travel needs GeoIP, which is not bundled: not computed.
import type { BaselineOptions, BaselineReport, FirstSeen, RareApi, VolumeSpike } from '../../shared/analysis/types.ts';
import { compressIpv6 } from '../../shared/analysis/ioc.ts';
import { parseIp } from '../../shared/ip.ts';
import { HOUR_MS, isoUtc, parseTime } from '../../shared/time.ts';
import { Dictionary } from '../case/queries.ts';
import type { CaseStore } from '../case/store.ts';
import { UserError } from '../errors.ts';
import { apiCallers, firstApiUses, firstUses, principalHours, principalSpans, rareApis, type BaselineColumn } from '../case/data/baselines.ts';
import { eventCount } from '../case/data/events.ts';

export const BASELINE_UNIT = { name: 'baselines', version: '1.0.0' } as const;

const MAX_FIRST_SEEN = 10_000;

export const BASELINE_METHOD = [
  'Principal = session issuer (role) ARN for assumed roles, else caller ARN, else user name, else principal id; AWS service events are not baselined.',
  "Learning window = the first learnFraction (default 20%) of each principal's own time span, or everything before learnUntil; principals with fewer than minEvents (default 20) events are not baselined.",
  "First-seen = a source IP, network (IPv4 /24, IPv6 /48), user agent, region or API (eventSource:eventName) first used by the principal after its learning window.",
  'Rare API = called at most max(2, events / 20,000) times in the whole case.',
  'Volume spike = an hour whose modified z-score 0.6745·(x − median)/MAD over the principal\'s active hours exceeds 3.5 with at least 20 events (MAD 0: 1.2533·mean absolute deviation); principals active in fewer than 8 hours are not scored.',
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function network(ip: string): string | null {
  const p = parseIp(ip);
  if (!p) return null;
  if (p.version === 4) {
    const v = p.value as number;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.0/24`;
  }
  const hex = (p.value as string).slice(0, 12).padEnd(32, '0');
  return `${compressIpv6(hex)}/48`;
}

export function baselines(store: CaseStore, opts: BaselineOptions = {}): BaselineReport {
  const t0 = performance.now();
  const fraction = opts.learnFraction ?? 0.2;
  if (!(fraction > 0 && fraction < 1)) throw new UserError('learnFraction must be between 0 and 1');
  const minEvents = opts.minEvents ?? 20;
  let until: number | null = null;
  if (opts.learnUntil !== undefined) {
    until = parseTime(opts.learnUntil);
    if (until === null) throw new UserError(`learnUntil: ${opts.learnUntil} is not a time`);
  }
  const dict = new Dictionary(store);
  const name = (id: number) => dict.str(id) ?? String(id);

  // Principals and their learning windows.
  const principals = principalSpans(store.reader);
  const learn = new Map<number, number>();
  const plist: BaselineReport['principals'] = [];
  for (const r of principals) {
    const baselined = r.n >= minEvents && r.a !== null && r.b !== null;
    const lu = r.a === null || r.b === null ? null : until ?? r.a + Math.floor((r.b - r.a) * fraction);
    if (baselined && lu !== null) learn.set(r.p, lu);
    plist.push({
      principal: name(r.p),
      events: r.n,
      first: r.a === null ? null : isoUtc(r.a),
      last: r.b === null ? null : isoUtc(r.b),
      learnUntil: lu === null ? null : isoUtc(lu),
      baselined,
    });
  }
  plist.sort((a, b) => b.events - a.events);

  // First-seen per dimension: first use (time and event) of each value per principal.
  const firstSeen: FirstSeen[] = [];
  const dims: [FirstSeen['dimension'], BaselineColumn][] = [
    ['ip', 'ip'],
    ['user-agent', 'ua'],
    ['region', 'region'],
  ];
  for (const [dim, col] of dims) {
    const rows = firstUses(store.reader, col);
    if (dim === 'ip') {
      // Networks from the same rows: earliest use of any address in the network.
      const nets = new Map<string, { p: number; net: string; t: number; event_id: string; n: number }>();
      for (const r of rows) {
        const net = network(dict.ip(r.v) ?? '');
        if (!net) continue;
        const k = `${r.p}|${net}`;
        const prev = nets.get(k);
        if (!prev) nets.set(k, { p: r.p, net, t: r.t, event_id: r.event_id, n: r.n });
        else {
          prev.n += r.n;
          if (r.t < prev.t) {
            prev.t = r.t;
            prev.event_id = r.event_id;
          }
        }
      }
      for (const x of nets.values()) {
        const lu = learn.get(x.p);
        if (lu !== undefined && x.t > lu) firstSeen.push({ principal: name(x.p), dimension: 'network', value: x.net, firstSeen: isoUtc(x.t), eventId: x.event_id, count: x.n });
      }
    }
    for (const r of rows) {
      const lu = learn.get(r.p);
      if (lu === undefined || r.t <= lu) continue;
      firstSeen.push({ principal: name(r.p), dimension: dim, value: (col === 'ip' ? dict.ip(r.v) : dict.str(r.v)) ?? '', firstSeen: isoUtc(r.t), eventId: r.event_id, count: r.n });
    }
  }
  // APIs: eventSource:eventName.
  const apis = firstApiUses(store.reader);
  const api = (source: number | null, n: number) => `${(dict.str(source) ?? '?').replace(/\.amazonaws\.com$/, '')}:${dict.str(n)}`;
  for (const r of apis) {
    const lu = learn.get(r.p);
    if (lu === undefined || r.t <= lu) continue;
    firstSeen.push({ principal: name(r.p), dimension: 'api', value: api(r.source, r.name), firstSeen: isoUtc(r.t), eventId: r.event_id, count: r.n });
  }
  firstSeen.sort((a, b) => a.firstSeen.localeCompare(b.firstSeen) || a.principal.localeCompare(b.principal) || a.dimension.localeCompare(b.dimension));

  // Rare APIs across the case.
  const total = eventCount(store.reader);
  const threshold = Math.max(2, Math.floor(total / 20_000));
  const rare: RareApi[] = [];
  const byApi = rareApis(store.reader, threshold);
  for (const r of byApi) {
    const rows = apiCallers(store.reader, r.name, r.source);
    rare.push({
      api: api(r.source, r.name),
      eventSource: dict.str(r.source),
      eventName: dict.str(r.name),
      count: r.n,
      principals: [...new Set(rows.map((x) => (x.p === null ? '(AWS service or unknown)' : name(x.p))))],
      eventIds: [...new Set(rows.map((x) => x.event_id))].slice(0, 10),
    });
  }

  // Hourly volume spikes per principal.
  const spikes: VolumeSpike[] = [];
  const hours = principalHours(store.reader);
  const series = new Map<number, { h: number; n: number }[]>();
  for (const r of hours) {
    let s = series.get(r.p);
    if (!s) series.set(r.p, (s = []));
    s.push(r);
  }
  for (const [p, s] of series) {
    if (s.length < 8) continue;
    const xs = s.map((x) => x.n);
    const med = median(xs);
    let mad = median(xs.map((x) => Math.abs(x - med)));
    let scale = mad / 0.6745;
    if (mad === 0) {
      const meanAd = xs.reduce((a, x) => a + Math.abs(x - med), 0) / xs.length;
      scale = 1.2533 * meanAd;
      mad = 0;
    }
    if (scale === 0) continue;
    for (const x of s) {
      const z = (x.n - med) / scale;
      if (z > 3.5 && x.n >= 20) spikes.push({ principal: name(p), hour: isoUtc(x.h * HOUR_MS), events: x.n, median: med, mad, robustZ: Math.round(z * 100) / 100 });
    }
  }
  spikes.sort((a, b) => b.robustZ - a.robustZ);

  const truncated = firstSeen.length > MAX_FIRST_SEEN;
  return {
    method: [...BASELINE_METHOD, ...(truncated ? [`First-seen list cut to the earliest ${MAX_FIRST_SEEN} of ${firstSeen.length}.`] : [])],
    principals: plist,
    firstSeen: truncated ? firstSeen.slice(0, MAX_FIRST_SEEN) : firstSeen,
    rareApis: rare,
    rareThreshold: threshold,
    spikes,
    notAvailable: ['Impossible travel: needs a GeoIP database, which TrailCase does not bundle; source IPs and their first use are listed instead.'],
    seconds: (performance.now() - t0) / 1000,
  };
}
