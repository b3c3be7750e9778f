// Schema 1: the case file. docs/case-format.md documents every table; keep them in step.
import type { Migration } from './index.ts';

const APPEND_ONLY = [
  'case_meta', 'keys', 'strings', 'ips', 'imports', 'evidence', 'evidence_chunks', 'events', 'event_copies', 'warnings', 'checkpoints', 'custody',
];

export const appendOnlyTriggers = APPEND_ONLY.flatMap((t) => [
  `CREATE TRIGGER ${t}_no_update BEFORE UPDATE ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END`,
  `CREATE TRIGGER ${t}_no_delete BEFORE DELETE ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END`,
]);

// Frozen: the event indexes as schema 1 created them. The live catalogue that
// CaseStore keeps present (drops in a bulk import, rebuilds on open) is
// electron/case/data/indexes.ts; test/case/migrations.test.ts checks the two agree.
const EVENT_INDEXES_V1 = [
  'CREATE INDEX events_id_tail ON events(substr(event_id, -8))',
  'CREATE INDEX events_time ON events(time_ms)',
  'CREATE INDEX events_ip ON events(ip, time_ms)',
  'CREATE INDEX events_key ON events(access_key)',
  'CREATE INDEX events_arn ON events(arn)',
  'CREATE INDEX events_name ON events(name)',
  'CREATE INDEX events_ua ON events(ua)',
  'CREATE INDEX events_user ON events(user_name) WHERE arn IS NULL',
];

export const migration0001: Migration = {
  version: 1,
  name: 'initial',
  up: [
    `CREATE TABLE case_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
    `CREATE TABLE keys (fingerprint TEXT PRIMARY KEY, public_key TEXT NOT NULL, examiner TEXT NOT NULL, added_at TEXT NOT NULL)`,
    `CREATE TABLE strings (id INTEGER PRIMARY KEY, s TEXT NOT NULL UNIQUE)`,
    `CREATE TABLE ips (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE, version INTEGER, v4 INTEGER, v6 TEXT)`,
    `CREATE INDEX ips_v4 ON ips(v4) WHERE v4 IS NOT NULL`,
    `CREATE INDEX ips_v6 ON ips(v6) WHERE v6 IS NOT NULL`,
    `CREATE TABLE imports (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, actor TEXT NOT NULL, params TEXT NOT NULL, tool_version TEXT NOT NULL)`,
    `CREATE TABLE evidence (
      id INTEGER PRIMARY KEY,
      import_id INTEGER NOT NULL,
      kind TEXT NOT NULL,
      origin TEXT NOT NULL,
      origin_meta TEXT NOT NULL,
      size INTEGER NOT NULL,
      sha256 TEXT NOT NULL,
      compression TEXT NOT NULL,
      decoded_size INTEGER NOT NULL,
      format TEXT NOT NULL,
      acquired_at TEXT NOT NULL,
      examiner TEXT NOT NULL,
      tool_version TEXT NOT NULL,
      chunk_size INTEGER NOT NULL,
      n_events INTEGER NOT NULL,
      n_copies INTEGER NOT NULL,
      n_rejected INTEGER NOT NULL,
      n_excluded INTEGER NOT NULL
    )`,
    `CREATE INDEX evidence_sha256 ON evidence(sha256)`,
    `CREATE INDEX evidence_origin ON evidence(origin)`,
    `CREATE TABLE evidence_chunks (id INTEGER PRIMARY KEY, evidence_id INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL)`,
    `CREATE UNIQUE INDEX evidence_chunks_seq ON evidence_chunks(evidence_id, seq)`,
    `CREATE TABLE events (
      leaf INTEGER PRIMARY KEY,
      event_id TEXT NOT NULL,
      time_ms INTEGER,
      name INTEGER,
      source INTEGER,
      region INTEGER,
      ip INTEGER,
      ua INTEGER,
      identity_type INTEGER,
      arn INTEGER,
      user_name INTEGER,
      principal_id INTEGER,
      access_key INTEGER,
      issuer_arn INTEGER,
      account INTEGER,
      error_code INTEGER,
      read_only INTEGER,
      category INTEGER,
      request_id TEXT,
      evidence_id INTEGER NOT NULL,
      pos INTEGER NOT NULL,
      len INTEGER NOT NULL,
      enc INTEGER NOT NULL,
      leaf_hash BLOB NOT NULL
    )`,
    // eventIDs are looked up through their last 8 characters (random in a UUID or a hash):
    // an index entry of ~14 bytes instead of ~50 for the whole text. See eventIdWhere().
    ...EVENT_INDEXES_V1,
    `CREATE TABLE event_copies (
      id INTEGER PRIMARY KEY,
      event_leaf INTEGER NOT NULL,
      import_id INTEGER NOT NULL,
      evidence_id INTEGER NOT NULL,
      pos INTEGER NOT NULL,
      len INTEGER NOT NULL,
      enc INTEGER NOT NULL,
      leaf_hash BLOB NOT NULL,
      identical INTEGER NOT NULL
    )`,
    `CREATE INDEX event_copies_leaf ON event_copies(event_leaf)`,
    `CREATE TABLE warnings (
      id INTEGER PRIMARY KEY,
      import_id INTEGER NOT NULL,
      evidence_id INTEGER,
      origin TEXT NOT NULL,
      record_index INTEGER,
      pos INTEGER,
      code TEXT NOT NULL,
      message TEXT NOT NULL
    )`,
    `CREATE TABLE checkpoints (
      seq INTEGER PRIMARY KEY,
      tree_size INTEGER NOT NULL,
      root TEXT NOT NULL,
      evidence_count INTEGER NOT NULL,
      evidence_root TEXT NOT NULL,
      custody_seq INTEGER NOT NULL,
      custody_head TEXT NOT NULL,
      meta_hash TEXT NOT NULL,
      created_at TEXT NOT NULL,
      reason TEXT NOT NULL,
      key_fingerprint TEXT NOT NULL,
      body TEXT NOT NULL,
      signature TEXT NOT NULL,
      frontier TEXT
    )`,
    `CREATE TABLE custody (
      seq INTEGER PRIMARY KEY,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      details TEXT NOT NULL,
      tool_version TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL
    )`,
    `CREATE INDEX custody_action ON custody(action)`,
    ...appendOnlyTriggers,
  ],
};
