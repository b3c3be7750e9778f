// Schema 7: offline enrichment of source addresses (README.md, "Addresses and profiles").
//
// Enrichment is DERIVED, never evidence, but an examiner must be able to say
// which database put an address in which country, and a later, newer database
// must not silently rewrite what an earlier report said. So all three tables
// are append-only histories:
// enrichment_sources: every database used (kind country|city|asn|aws-ranges,
//   name, version, build/publication date, SHA-256 over its files, licence,
//   attribution). An ip-ranges.json copy brought in by the examiner is kept
//   whole in `data` (the bundled databases stay in the installed packages and
//   are named by hash).
// enrichment_runs: each enrichment pass with the source ids it used.
// ip_enrichment: one row per (address, run): the answer and, per field, the
//   source id that gave it. The answer in force for an address is its row of
//   the highest run id; earlier rows stay as they were.
// Each run is one custody entry (enrichment.run) with the SHA-256 of its rows;
// each added source one entry (enrichment.source).
import type { Migration } from './index.ts';

const APPEND_ONLY = ['enrichment_sources', 'enrichment_runs', 'ip_enrichment'];

export const migration0007: Migration = {
  version: 7,
  name: 'enrichment',
  up: [
    `CREATE TABLE enrichment_sources (
      id INTEGER PRIMARY KEY,
      kind TEXT NOT NULL,
      name TEXT NOT NULL,
      version TEXT NOT NULL,
      date TEXT,
      sha256 TEXT NOT NULL,
      files TEXT NOT NULL,
      licence TEXT NOT NULL,
      attribution TEXT NOT NULL,
      data BLOB,
      added_at TEXT NOT NULL,
      custody_seq INTEGER NOT NULL
    )`,
    `CREATE TABLE enrichment_runs (
      id INTEGER PRIMARY KEY,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      sources TEXT NOT NULL,
      n_ips INTEGER NOT NULL,
      rows_sha256 TEXT NOT NULL,
      custody_seq INTEGER NOT NULL
    )`,
    `CREATE TABLE ip_enrichment (
      ip INTEGER NOT NULL,
      run_id INTEGER NOT NULL,
      class TEXT NOT NULL,
      address TEXT,
      note TEXT,
      country TEXT,
      country_src INTEGER,
      city TEXT,
      subdivision TEXT,
      lat REAL,
      lon REAL,
      city_src INTEGER,
      asn INTEGER,
      as_org TEXT,
      asn_src INTEGER,
      aws_prefix TEXT,
      aws_region TEXT,
      aws_service TEXT,
      aws_services TEXT,
      aws_src INTEGER,
      PRIMARY KEY (ip, run_id)
    ) WITHOUT ROWID`,
    ...APPEND_ONLY.flatMap((t) => [
      `CREATE TRIGGER ${t}_no_update BEFORE UPDATE ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END`,
      `CREATE TRIGGER ${t}_no_delete BEFORE DELETE ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END`,
    ]),
  ],
};
