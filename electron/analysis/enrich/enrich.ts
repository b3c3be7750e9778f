// Enriching a case's source addresses (README.md, "Addresses and profiles"): the answers of the bundled
// databases, recorded in the case with the database that gave each field
// (migration 0007), custody-logged. Read-side helpers return the answer in
// force per address (its latest run).
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { EnrichmentSource, IpInfo } from '../../../shared/analysis/enrichment.ts';
import { readAddress, specialRange } from '../../../shared/analysis/enrichment.ts';
import { canonicalJson } from '../../case/canonical.ts';
import {
  addressCount, addressesNotAnsweredBy, answerHistory, answerInserter, hasEnrichmentTables, insertRun, insertSource, latestAnswers, newestStoredAwsRanges,
  nextRunId, nextSourceId, sourceData, sourceIdByHash, sourceRows, type AnswerRow, type SourceRow,
} from '../../case/data/enrichment.ts';
import type { CaseStore } from '../../case/store.ts';
import { UserError } from '../../errors.ts';
import { awsDescriptor, awsRangesOf, bundledAwsSource, bundledSources, Databases, sharedDatabases, withBuildDate, type SourceDescriptor } from './databases.ts';

export const ENRICH_UNIT = { name: 'enrichment', version: '1.0.0' } as const;

/** The source ids a lookup uses, by kind. */
export interface SourceSet { country: number; city: number; asn: number; aws: number }

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}

/** Describe one recorded sourceIPAddress with these databases (pure lookup; no case). */
export function lookupAddress(value: string, ids: SourceSet, awsText: () => string, awsSha: string, db: Databases = sharedDatabases()): IpInfo {
  const info: IpInfo = {
    text: value, address: null, class: 'not-an-address', note: null, country: null, city: null, subdivision: null,
    lat: null, lon: null, asn: null, asOrg: null, aws: null, sources: {},
  };
  const r = readAddress(value);
  info.note = r.note;
  if (!r.parsed) {
    info.class = r.class ?? 'not-an-address';
    return info;
  }
  const p = r.parsed;
  info.address = p.canonical;
  const special = specialRange(p);
  if (special) {
    info.class = special.cls;
    info.note = [info.note, special.name].filter(Boolean).join('; ');
    return info;
  }
  info.class = 'public';
  const ipText = p.version === 4 ? p.canonical : (p.value as string).match(/.{4}/g)!.join(':');
  const c = db.country.get(ipText) as { country_code?: string } | null;
  if (text(c?.country_code)) {
    info.country = c!.country_code!;
    info.sources.country = ids.country;
  }
  const city = (p.version === 4 ? db.city4 : db.city6).get(ipText) as Record<string, unknown> | null;
  if (city && (text(city.city) || num(city.latitude) !== null)) {
    info.city = text(city.city);
    info.subdivision = text(city.state1);
    info.lat = num(city.latitude);
    info.lon = num(city.longitude);
    info.sources.city = ids.city;
    const cc = text(city.country_code);
    if (cc && info.country && cc !== info.country) {
      info.note = [info.note, `the city database places it in ${cc}${info.city ? ` (${info.city})` : ''}, the country database in ${info.country}`].filter(Boolean).join('; ');
    }
  }
  const a = p.version === 4 ? db.asn.v4(p.value as number) : db.asn.v6(p.value as string);
  if (a) {
    info.asn = a.asn;
    info.asOrg = a.org;
    info.sources.asn = ids.asn;
  }
  const aws = awsRangesOf(awsSha, awsText).lookup(p.canonical);
  if (aws) {
    info.aws = aws;
    info.sources.aws = ids.aws;
  }
  return info;
}

/**
 * Answers straight from the installed databases and the bundled AWS snapshot,
 * cached, NOT recorded anywhere (source ids 0). For the in-memory reference
 * runner of the checks (runChecks) and tests; a case is always answered from
 * what enrichCase recorded in it.
 */
export function liveIpInfo(): (ip: string) => IpInfo {
  const cache = new Map<string, IpInfo>();
  const aws = bundledAwsSource();
  const ids: SourceSet = { country: 0, city: 0, asn: 0, aws: 0 };
  return (ip) => {
    let i = cache.get(ip);
    if (!i) cache.set(ip, (i = lookupAddress(ip, ids, () => aws.text, aws.desc.sha256)));
    return i;
  };
}

// ---- sources in the case ----

function sourceRow(r: SourceRow): EnrichmentSource {
  return {
    id: r.id, kind: r.kind, name: r.name, version: r.version, date: r.date, sha256: r.sha256,
    files: JSON.parse(r.files), licence: r.licence, attribution: r.attribution, addedAt: r.added_at,
  };
}

export function enrichmentAvailable(store: CaseStore): boolean {
  return hasEnrichmentTables(store);
}

/** Every database recorded in the case, oldest first (up to a custody entry: what a checkpoint covers). */
export function listSources(store: CaseStore, throughCustodySeq = Number.MAX_SAFE_INTEGER): EnrichmentSource[] {
  if (!enrichmentAvailable(store)) return [];
  return sourceRows(store, throughCustodySeq).map(sourceRow);
}

/** The id of this database in the case, adding it (custody-logged) when new, with its build date read through `db`. */
function ensureSource(store: CaseStore, actor: string, found: SourceDescriptor, data: Buffer | null, db?: Databases): number {
  const hit = sourceIdByHash(store, found.kind, found.sha256);
  if (hit !== null) return hit;
  const d = db ? withBuildDate(found, db) : found;
  const at = new Date().toISOString();
  const id = nextSourceId(store);
  const seq = store.appendCustody(actor, 'enrichment.source', {
    id, kind: d.kind, name: d.name, version: d.version, date: d.date, sha256: d.sha256, files: d.files, licence: d.licence, stored: data !== null,
  });
  insertSource(store, {
    id, kind: d.kind, name: d.name, version: d.version, date: d.date, sha256: d.sha256, files: canonicalJson(d.files), licence: d.licence, attribution: d.attribution,
    data, addedAt: at, custodySeq: seq,
  });
  return id;
}

/**
 * Bring in an ip-ranges.json copy (validated: syncToken, createDate,
 * prefixes). It is stored whole in the case, so later answers can be
 * reproduced from the case alone; the newest createDate in the case is used.
 */
export function importAwsRangesText(store: CaseStore, actor: string, body: string, name: string): EnrichmentSource {
  if (!enrichmentAvailable(store)) throw new UserError('this case predates enrichment; open it writable once to migrate it');
  if (store.readonly) throw new UserError('importing AWS ranges writes to the case; open it writable');
  const file = basename(name);
  let d: SourceDescriptor;
  try {
    d = awsDescriptor(body, file, 'imported', `AWS IP address ranges (ip-ranges.json) published by Amazon Web Services; copy imported from ${file}.`);
  } catch (e) {
    throw new UserError(`${file} is not a usable ip-ranges.json: ${(e as Error).message}`);
  }
  const id = store.transaction(() => ensureSource(store, actor, d, Buffer.from(body, 'utf8')));
  return listSources(store).find((s) => s.id === id)!;
}

/** The AWS ranges in force: the imported copy with the newest createDate, else the bundled snapshot. */
function awsInForce(store: CaseStore, actor: string): { id: number; sha: string; text: () => string } {
  const best = newestStoredAwsRanges(store);
  if (best) return { id: best.id, sha: best.sha256, text: () => sourceData(store, best.id).toString('utf8') };
  const b = bundledAwsSource();
  return { id: ensureSource(store, actor, b.desc, null), sha: b.desc.sha256, text: () => b.text };
}

export interface EnrichResult {
  runId: number | null;
  /** Addresses answered in this run. */
  enriched: number;
  /** Addresses already answered by the same databases. */
  unchanged: number;
  sources: EnrichmentSource[];
  seconds: number;
}

/**
 * Answer every distinct source address of the case that has no answer from
 * the databases in force (a new database re-answers every address; the old
 * rows stay). One run, one custody entry with the SHA-256 of its rows.
 */
export function enrichCase(store: CaseStore, actor: string): EnrichResult {
  const t0 = performance.now();
  if (!enrichmentAvailable(store)) throw new UserError('this case predates enrichment; open it writable once to migrate it');
  if (store.readonly) throw new UserError('enrichment writes to the case; open it writable');
  // This run's databases: read as the addresses need them, dropped when the run is recorded.
  const db = new Databases();
  const { ids, aws } = store.transaction(() => {
    const byKind = new Map(bundledSources().map((d) => [d.kind, ensureSource(store, actor, d, null, db)]));
    const aws = awsInForce(store, actor);
    const ids: SourceSet = { country: byKind.get('country')!, city: byKind.get('city')!, asn: byKind.get('asn')!, aws: aws.id };
    return { ids, aws };
  });
  const key = canonicalJson(ids);
  // Addresses whose answer in force came from exactly these databases are done.
  const pending = addressesNotAnsweredBy(store, key);
  const total = addressCount(store);
  const sourcesUsed = () => listSources(store).filter((s) => Object.values(ids).includes(s.id));
  if (!pending.length) return { runId: null, enriched: 0, unchanged: total, sources: sourcesUsed(), seconds: (performance.now() - t0) / 1000 };
  // Answered and written one address at a time (an organisation's case can have hundreds of thousands).
  const runId = store.transaction(() => {
    const id = nextRunId(store);
    const ins = answerInserter(store);
    const h = createHash('sha256');
    for (const r of pending) {
      const i = lookupAddress(r.text, ids, aws.text, aws.sha, db);
      const row = [
        r.id, id, i.class, i.address, i.note, i.country, i.sources.country ?? null, i.city, i.subdivision, i.lat, i.lon, i.sources.city ?? null,
        i.asn, i.asOrg, i.sources.asn ?? null, i.aws?.prefix ?? null, i.aws?.region ?? null, i.aws?.service ?? null,
        i.aws ? canonicalJson(i.aws.services) : null, i.sources.aws ?? null,
      ];
      ins(row);
      h.update(canonicalJson(row) + '\n');
    }
    const rowsSha = h.digest('hex');
    const seq = store.appendCustody(actor, 'enrichment.run', {
      run: id, unit: ENRICH_UNIT, sources: ids, addresses: pending.length, rowsSha256: rowsSha,
    });
    insertRun(store, { id, at: new Date().toISOString(), actor, sources: key, addresses: pending.length, rowsSha256: rowsSha, custodySeq: seq });
    return id;
  });
  return { runId, enriched: pending.length, unchanged: total - pending.length, sources: sourcesUsed(), seconds: (performance.now() - t0) / 1000 };
}

function infoOf(textValue: string, r: AnswerRow): IpInfo {
  const sources: IpInfo['sources'] = {};
  if (r.country_src !== null) sources.country = r.country_src;
  if (r.city_src !== null) sources.city = r.city_src;
  if (r.asn_src !== null) sources.asn = r.asn_src;
  if (r.aws_src !== null) sources.aws = r.aws_src;
  return {
    text: textValue, address: r.address, class: r.class, note: r.note, country: r.country, city: r.city, subdivision: r.subdivision,
    lat: r.lat, lon: r.lon, asn: r.asn, asOrg: r.as_org,
    aws: r.aws_prefix ? { prefix: r.aws_prefix, region: r.aws_region, service: r.aws_service, services: JSON.parse(r.aws_services ?? '[]') } : null,
    sources,
  };
}

/** The answer in force for each listed ips.id (missing: never enriched). */
export function enrichmentByIpId(store: CaseStore, ipIds: number[] | null): Map<number, IpInfo> {
  const out = new Map<number, IpInfo>();
  if (!enrichmentAvailable(store)) return out;
  for (const r of latestAnswers(store, ipIds)) out.set(r.ip, infoOf(r.text, r));
  return out;
}

/** The answer in force for every enriched address, by recorded text. */
export function enrichmentByText(store: CaseStore): Map<string, IpInfo> {
  const out = new Map<string, IpInfo>();
  for (const info of enrichmentByIpId(store, null).values()) out.set(info.text, info);
  return out;
}

/** Every answer ever recorded for one address (newest first), with the run that gave it. */
export function enrichmentHistory(store: CaseStore, ipText: string): { runId: number; at: string; info: IpInfo }[] {
  if (!enrichmentAvailable(store)) return [];
  return answerHistory(store, ipText).map((r) => ({ runId: r.run_id, at: r.at, info: infoOf(r.text, r) }));
}
