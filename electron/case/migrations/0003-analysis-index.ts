// Schema 3: analysis side tables (docs/analysis.md).
//
// event_refs: values analysis needs to match that are not indexed event
// columns because they live in requestParameters/responseElements (S3
// bucketName, credentials issued by STS/IAM, AssumeRole targets, created user
// names, sourceIdentity). It is DERIVED data, rebuilt from the preserved
// records at any time (electron/analysis/refs.ts), so it is not append-only:
// a newer extractor version replaces its rows. Every build is recorded in the
// custody log (action analysis.refs-indexed) with the leaf range, row count
// and a SHA-256 over the rows, so a later rebuild can be compared.
// Chosen over a `bucket` column on events because that would need the
// importer to fill it and a backfill of every existing case; a side table
// keeps imports unchanged and covers more than buckets.
//
// analysis_runs: each `trailcase check` / runChecks result (findings, the
// checks and Sigma rules with versions that produced them, the event tree it
// ran on). Append-only like the other histories; a custody entry per run
// carries the SHA-256 of the stored findings.
import type { Migration } from './index.ts';

export const migration0003: Migration = {
  version: 3,
  name: 'analysis-index',
  up: [
    `CREATE TABLE event_refs (leaf INTEGER NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL)`,
    `CREATE INDEX event_refs_kind_value ON event_refs(kind, value)`,
    `CREATE INDEX event_refs_leaf ON event_refs(leaf)`,
    `CREATE TABLE analysis_runs (
      id INTEGER PRIMARY KEY,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      tree_size INTEGER NOT NULL,
      root TEXT NOT NULL,
      units TEXT NOT NULL,
      summary TEXT NOT NULL,
      findings TEXT NOT NULL,
      findings_sha256 TEXT NOT NULL,
      custody_seq INTEGER NOT NULL
    )`,
    `CREATE TRIGGER analysis_runs_no_update BEFORE UPDATE ON analysis_runs BEGIN SELECT RAISE(ABORT, 'analysis_runs is append-only'); END`,
    `CREATE TRIGGER analysis_runs_no_delete BEFORE DELETE ON analysis_runs BEGIN SELECT RAISE(ABORT, 'analysis_runs is append-only'); END`,
  ],
};
