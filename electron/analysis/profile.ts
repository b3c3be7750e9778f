// Behaviour profile of one principal, access key, address or account (README.md, "Addresses and profiles").
//
// How it stays under a second at 1M events: the subject's events are found by
// filterToSql over the indexed, dictionary-encoded columns (as the search and
// the pivot do), and ONE query reads only the small integer columns of those
// rows (ids, time); every dimension is counted in JavaScript over those ids
// and only the distinct ids are turned into text at the end. No record is
// parsed: resources and assumed roles come from the event_refs index.
import type { Profile, ProfileAddress, ProfileItem, ProfileKind, ProfileRole } from '../../shared/analysis/profile.ts';
import { isoUtc, parseTime } from '../../shared/time.ts';
import { addressesById, assumersOf, profileRows, resourceRefs, stringIdsOf, stringsById } from '../case/data/profile.ts';
import { unansweredAddressCount } from '../case/data/enrichment.ts';
import { filterToSql } from '../case/queries.ts';
import type { CaseStore } from '../case/store.ts';
import { UserError } from '../errors.ts';
import { enrichCase, enrichmentAvailable, enrichmentByIpId, listSources } from './enrich/enrich.ts';
import { ensureRefs, refsState } from './refs.ts';
import { latestRun } from './runs.ts';

export interface ProfileOptions {
  since?: string;
  until?: string;
  split?: string;
  /** Enrich addresses not yet enriched (writes to the case, custody-logged). Default: when the case is writable. */
  enrich?: boolean;
  actor?: string;
  /** At most this many items per list (the rest are counted in notes). */
  limit?: number;
}

class Tally {
  private m = new Map<number, { n: number; first: number; last: number; before: number }>();
  constructor(private readonly split: number | null) {}
  add(id: number | null, t: number | null): void {
    if (id === null) return;
    let e = this.m.get(id);
    if (!e) this.m.set(id, (e = { n: 0, first: Infinity, last: -Infinity, before: 0 }));
    e.n++;
    if (t !== null) {
      if (t < e.first) e.first = t;
      if (t > e.last) e.last = t;
    }
    if (this.split === null || t === null || t < this.split) e.before++;
  }
  ids(): number[] {
    return [...this.m.keys()];
  }
  items(text: (id: number) => string | null, limit: number): { items: ProfileItem[]; ids: number[]; dropped: number } {
    const rows = [...this.m.entries()]
      .map(([id, e]) => ({ id, e, value: text(id) }))
      .filter((r): r is typeof r & { value: string } => r.value !== null)
      .sort((a, b) => b.e.n - a.e.n || a.value.localeCompare(b.value));
    const kept = rows.slice(0, limit);
    return {
      ids: kept.map((r) => r.id),
      dropped: rows.length - kept.length,
      items: kept.map(({ e, value }) => ({
        value,
        count: e.n,
        first: Number.isFinite(e.first) ? isoUtc(e.first) : null,
        last: Number.isFinite(e.last) ? isoUtc(e.last) : null,
        before: e.before,
        after: e.n - e.before,
        isNew: this.split !== null && e.before === 0 && e.n > 0,
      })),
    };
  }
}

function timeOpt(v: string | undefined, what: string): number | null {
  if (v === undefined || v === '') return null;
  const t = parseTime(v);
  if (t === null) throw new UserError(`${what}: ${v} is not a time`);
  return t;
}

/** The role a principal value names, for "who assumed it": role ARN or assumed-role ARN -> role name. */
function roleNameOf(v: string): string | null {
  const r = /:role\/(?:.*\/)?([^/]+)$/.exec(v) ?? /:assumed-role\/([^/]+)(?:\/|$)/.exec(v);
  return r ? r[1] : null;
}

export function profile(store: CaseStore, kind: ProfileKind, value: string, opts: ProfileOptions = {}): Profile {
  const t0 = performance.now();
  const v = value.trim();
  if (!v) throw new UserError('profile: the principal, key, address or account is empty');
  if (kind === 'account' && !/^\d{12}$/.test(v)) throw new UserError(`profile: ${JSON.stringify(v)} is not an AWS account id (12 digits)`);
  const split = timeOpt(opts.split, 'split');
  const limit = opts.limit ?? 200;
  const notes: string[] = [];
  const f = filterToSql(store, {
    ...(kind === 'principal' ? { principals: [v] } : kind === 'key' ? { accessKeys: [v] } : kind === 'account' ? { accounts: [v] } : { ips: [v] }),
    ...(opts.since ? { since: opts.since } : {}),
    ...(opts.until ? { until: opts.until } : {}),
  });
  timeOpt(opts.since, 'since');
  timeOpt(opts.until, 'until');

  // Addresses first answered here when the case can take it (custody-logged), so the profile shows places.
  if ((opts.enrich ?? !store.readonly) && !store.readonly && enrichmentAvailable(store)) {
    if (unansweredAddressCount(store) > 0) enrichCase(store, opts.actor ?? 'trailcase');
  }

  const T = {
    arn: new Tally(split), key: new Tally(split), ip: new Tally(split), ua: new Tally(split), region: new Tally(split),
    api: new Tally(split), err: new Tally(split),
  };
  // name and source pair into one API id: name * 2^21 + source keeps both in a double exactly.
  const API_SHIFT = 2 ** 21;
  let n = 0, before = 0, first = Infinity, last = -Infinity;
  // Only S3, IAM and STS calls carry the references the profile lists (buckets, IAM users and roles acted on, roles assumed).
  const refSources = stringIdsOf(store, ['s3.amazonaws.com', 'iam.amazonaws.com', 'sts.amazonaws.com']);
  // The latest run's findings are matched to the subject by eventID as its rows go by (one pass; looking the
  // ~100,000 cited eventIDs of a 1M-event case up through the index took 0.6-0.8 s).
  const run = latestRun(store);
  const cited = run ? new Set(run.findings.flatMap((x) => x.eventIds)) : new Set<string>();
  const mine = new Set<string>();
  for (const r of profileRows(store, f, cited.size > 0)) {
    const t = r[0];
    if (cited.size && r[10] && cited.has(r[10])) mine.add(r[10]);
    n++;
    if (t !== null) {
      if (t < first) first = t;
      if (t > last) last = t;
    }
    if (split === null || t === null || t < split) before++;
    T.arn.add(r[1], t);
    T.key.add(r[2], t);
    T.ip.add(r[3], t);
    T.ua.add(r[4], t);
    T.region.add(r[5], t);
    if (r[6] !== null) T.api.add(r[6] * API_SHIFT + (r[7] ?? API_SHIFT - 1), t);
    T.err.add(r[8], t);
  }

  // Only the distinct ids become text.
  const strIds = new Set<number>([...T.arn.ids(), ...T.key.ids(), ...T.ua.ids(), ...T.region.ids(), ...T.err.ids()]);
  for (const a of T.api.ids()) {
    strIds.add(Math.floor(a / API_SHIFT));
    const s = a % API_SHIFT;
    if (s !== API_SHIFT - 1) strIds.add(s);
  }
  const strs = stringsById(store, [...strIds]);
  const ipText = addressesById(store, T.ip.ids());
  const s = (id: number) => strs.get(id) ?? null;
  const list = (t: Tally, text: (id: number) => string | null, what: string) => {
    const r = t.items(text, limit);
    if (r.dropped) notes.push(`${r.dropped} more ${what} not listed (the ${limit} busiest are)`);
    return r;
  };

  const principalsAll = list(T.arn, s, 'principals');
  const sessions = principalsAll.items.filter((p) => p.value.includes(':assumed-role/'));
  const addrs = list(T.ip, (id) => ipText.get(id) ?? null, 'addresses');
  const infos = enrichmentByIpId(store, addrs.ids);
  const addresses: ProfileAddress[] = addrs.items.map((it, i) => ({ ...it, info: infos.get(addrs.ids[i]) ?? null }));
  const apiText = (a: number) => {
    const nm = s(Math.floor(a / API_SHIFT));
    const src = a % API_SHIFT === API_SHIFT - 1 ? null : s(a % API_SHIFT);
    return nm === null ? null : `${src ?? '?'}:${nm}`;
  };

  // Assumed roles, who assumed this role, and resources: from the event_refs index (no record parsing).
  if (!store.readonly) ensureRefs(store, opts.actor ?? 'trailcase');
  const refs = refsState(store);
  const rolesAssumed: ProfileRole[] = [];
  const assumedBy: ProfileItem[] = [];
  const resources: ProfileItem[] = [];
  if (!refs.available || !refs.upToDate) {
    notes.push('the resource index (event_refs) is not up to date: roles assumed and resources touched may be incomplete; open the case writable once to build it');
  }
  if (refs.available) {
    const rt = new Tally(split);
    const resText = new Map<number, string>();
    // The subject's own S3/IAM/STS calls joined to their event_refs rows (through event_refs_leaf), counted as they come.
    const refRows = refSources.length ? resourceRefs(store, f, refSources) : [];
    const keyIds = new Map<string, number>();
    const roleT = new Tally(split);
    const roleIds = new Map<string, number>();
    for (const [k, val, t] of refRows) {
      if (k === 'assume-target') {
        let id = roleIds.get(val);
        if (id === undefined) roleIds.set(val, (id = roleIds.size));
        roleT.add(id, t);
        continue;
      }
      const label = `${k === 'bucket' ? 's3-bucket' : k === 'target-user' ? 'iam-user' : 'iam-role'}:${val}`;
      let id = keyIds.get(label);
      if (id === undefined) {
        keyIds.set(label, (id = keyIds.size));
        resText.set(id, label);
      }
      rt.add(id, t);
    }
    resources.push(...list(rt, (id) => resText.get(id) ?? null, 'resources').items);
    const roleNames = [...roleIds.keys()];
    for (const it of roleT.items((id) => roleNames[id] ?? null, limit).items) rolesAssumed.push({ ...it, by: [v] });
    const role = kind === 'principal' ? roleNameOf(v) : null;
    if (role) {
      const byT = new Tally(split);
      for (const [arn, t, user] of assumersOf(store, role)) {
        const id = arn ?? user;
        if (id === null) continue;
        byT.add(id, t);
      }
      const byText = stringsById(store, byT.ids());
      assumedBy.push(...byT.items((id) => byText.get(id) ?? null, limit).items);
    }
  }

  // Findings of the latest run whose events include this profile's events (by eventID, through the id index).
  const findings: Profile['findings'] = [];
  if (run && mine.size > 0) {
    for (const x of run.findings) {
      const k = x.eventIds.filter((id) => mine.has(id)).length;
      if (k) findings.push({ id: x.id, checkId: x.checkId, title: x.title, severity: x.severity, events: k });
    }
  }

  const usedSources = new Set<number>();
  for (const a of addresses) for (const id of Object.values(a.info?.sources ?? {})) usedSources.add(id);
  return {
    subject: { kind, value: v },
    since: opts.since ?? null,
    until: opts.until ?? null,
    split: split === null ? null : isoUtc(split),
    eventCount: n,
    before,
    after: n - before,
    first: Number.isFinite(first) ? isoUtc(first) : null,
    last: Number.isFinite(last) ? isoUtc(last) : null,
    principals: principalsAll.items,
    keys: list(T.key, s, 'access keys').items,
    sessions,
    rolesAssumed,
    assumedBy,
    addresses,
    userAgents: list(T.ua, s, 'user agents').items,
    regions: list(T.region, s, 'regions').items,
    apis: list(T.api, apiText, 'APIs').items,
    errors: list(T.err, s, 'error codes').items,
    resources,
    findings,
    enrichment: { sources: listSources(store).filter((x) => usedSources.has(x.id)), missing: addresses.filter((a) => !a.info).length },
    notes,
    seconds: (performance.now() - t0) / 1000,
  };
}
