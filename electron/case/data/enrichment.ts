// Enrichment's tables (migration 0007; electron/analysis/enrich/): the
// databases used, the runs, and the answers per address. All three are
// append-only; the answer in force for an address is its row of the highest run.
import type { AddressClass, EnrichmentSource } from '../../../shared/analysis/enrichment.ts';
import type { CaseStore } from '../store.ts';

export interface SourceRow {
  id: number;
  kind: EnrichmentSource['kind'];
  name: string;
  version: string;
  date: string | null;
  sha256: string;
  files: string;
  licence: string;
  attribution: string;
  added_at: string;
}

/** One ip_enrichment row, with the address's recorded text. */
export interface AnswerRow {
  text: string;
  ip: number;
  run_id: number;
  class: AddressClass;
  address: string | null;
  note: string | null;
  country: string | null;
  country_src: number | null;
  city: string | null;
  subdivision: string | null;
  lat: number | null;
  lon: number | null;
  city_src: number | null;
  asn: number | null;
  as_org: string | null;
  asn_src: number | null;
  /** The three aws_ fields are set together (a prefix has a region and a service). */
  aws_prefix: string | null;
  aws_region: string;
  aws_service: string;
  aws_services: string | null;
  aws_src: number | null;
}

export function hasEnrichmentTables(store: CaseStore): boolean {
  return !!store.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ip_enrichment'").get();
}

// ---- sources

export function sourceRows(store: CaseStore, throughCustodySeq: number): SourceRow[] {
  return store.db.prepare('SELECT id, kind, name, version, date, sha256, files, licence, attribution, added_at FROM enrichment_sources WHERE custody_seq <= ? ORDER BY id').all(throughCustodySeq) as SourceRow[];
}

export function sourceIdByHash(store: CaseStore, kind: string, sha256: string): number | null {
  return (store.db.prepare('SELECT id FROM enrichment_sources WHERE kind = ? AND sha256 = ?').get(kind, sha256) as { id: number } | undefined)?.id ?? null;
}

export function nextSourceId(store: CaseStore): number {
  return ((store.db.prepare('SELECT max(id) AS m FROM enrichment_sources').get() as { m: number | null }).m ?? 0) + 1;
}

export function insertSource(
  store: CaseStore,
  r: Omit<SourceRow, 'added_at'> & { data: Buffer | null; addedAt: string; custodySeq: number },
): void {
  store.db
    .prepare('INSERT INTO enrichment_sources(id, kind, name, version, date, sha256, files, licence, attribution, data, added_at, custody_seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)')
    .run(r.id, r.kind, r.name, r.version, r.date, r.sha256, r.files, r.licence, r.attribution, r.data, r.addedAt, r.custodySeq);
}

/** The imported ip-ranges.json copy with the newest createDate (bundled snapshots are not stored). */
export function newestStoredAwsRanges(store: CaseStore): { id: number; sha256: string } | null {
  return (
    (store.db.prepare("SELECT id, sha256 FROM enrichment_sources WHERE kind = 'aws-ranges' AND data IS NOT NULL ORDER BY date DESC, id DESC LIMIT 1").get() as
      | { id: number; sha256: string }
      | undefined) ?? null
  );
}

export function sourceData(store: CaseStore, id: number): Buffer {
  return Buffer.from((store.db.prepare('SELECT data FROM enrichment_sources WHERE id = ?').get(id) as { data: Buffer }).data);
}

// ---- runs and answers

/** Addresses whose answer in force did not come from exactly this set of sources (canonical JSON, as stored in enrichment_runs.sources). */
export function addressesNotAnsweredBy(store: CaseStore, sourcesKey: string): { id: number; text: string }[] {
  return store.db
    .prepare(
      `SELECT id, text FROM ips WHERE id NOT IN (
         SELECT e.ip FROM ip_enrichment e JOIN enrichment_runs r ON r.id = e.run_id
         WHERE r.sources = ? AND e.run_id = (SELECT max(run_id) FROM ip_enrichment x WHERE x.ip = e.ip)
       ) ORDER BY id`,
    )
    .all(sourcesKey) as { id: number; text: string }[];
}

export function addressCount(store: CaseStore): number {
  return (store.db.prepare('SELECT count(*) AS n FROM ips').get() as { n: number }).n;
}

/** Addresses of the case with no answer at all. */
export function unansweredAddressCount(store: CaseStore): number {
  return (store.db.prepare('SELECT count(*) AS n FROM ips WHERE id NOT IN (SELECT ip FROM ip_enrichment)').get() as { n: number }).n;
}

export function runCount(store: CaseStore): number {
  return (store.db.prepare('SELECT count(*) AS n FROM enrichment_runs').get() as { n: number }).n;
}

export function nextRunId(store: CaseStore): number {
  return ((store.db.prepare('SELECT max(id) AS m FROM enrichment_runs').get() as { m: number | null }).m ?? 0) + 1;
}

/** The insert for one answer row (values in the column order of ip_enrichment). */
export function answerInserter(store: CaseStore): (row: unknown[]) => void {
  const ins = store.db.prepare(
    `INSERT INTO ip_enrichment(ip, run_id, class, address, note, country, country_src, city, subdivision, lat, lon, city_src, asn, as_org, asn_src, aws_prefix, aws_region, aws_service, aws_services, aws_src)
     VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
  );
  return (row) => void ins.run(...row);
}

export function insertRun(store: CaseStore, r: { id: number; at: string; actor: string; sources: string; addresses: number; rowsSha256: string; custodySeq: number }): void {
  store.db.prepare('INSERT INTO enrichment_runs(id, at, actor, sources, n_ips, rows_sha256, custody_seq) VALUES (?,?,?,?,?,?,?)').run(r.id, r.at, r.actor, r.sources, r.addresses, r.rowsSha256, r.custodySeq);
}

const LATEST = `SELECT i.text AS text, e.* FROM ip_enrichment e JOIN ips i ON i.id = e.ip
  WHERE e.run_id = (SELECT max(run_id) FROM ip_enrichment x WHERE x.ip = e.ip)`;

/** The answer in force for each listed ips.id, or for every answered address (null). */
export function latestAnswers(store: CaseStore, ipIds: readonly number[] | null): AnswerRow[] {
  return (ipIds === null ? store.db.prepare(LATEST).all() : store.db.prepare(`${LATEST} AND e.ip IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ipIds))) as AnswerRow[];
}

/** Every answer recorded for one address (by recorded text), newest first, with its run's time. */
export function answerHistory(store: CaseStore, ipText: string): (AnswerRow & { at: string })[] {
  return store.db
    .prepare('SELECT i.text AS text, e.*, r.at AS at FROM ip_enrichment e JOIN ips i ON i.id = e.ip JOIN enrichment_runs r ON r.id = e.run_id WHERE i.text = ? ORDER BY e.run_id DESC')
    .all(ipText) as (AnswerRow & { at: string })[];
}
