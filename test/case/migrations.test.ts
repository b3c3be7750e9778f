// Each migration has its own test here: create at N-1, add rows, migrate, check.
// (Migrations 3, 4 and 5 are also tested beside their features: test/analysis/analysis-migration.test.ts,
// test/ui/timeline-api.test.ts.) Migrations are frozen history: the live event-index
// catalogue is electron/case/data/indexes.ts, checked against what migration 1 created.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate, MIGRATIONS, SCHEMA_VERSION } from '../../electron/case/migrations/index.ts';
import { EVENT_ID_INDEX, EVENT_SECONDARY_INDEXES } from '../../electron/case/data/indexes.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { tempCase, tempDir } from '../support/case.ts';

test('migrations are numbered 1..N without gaps', () => {
  MIGRATIONS.forEach((m, i) => assert.equal(m.version, i + 1, m.name));
});

test('migration 1 creates the case tables, indexes and append-only triggers on an empty file', () => {
  const db = new Database(join(tempDir(), 'm1.sqlite'));
  assert.deepEqual(migrate(db, 1), [1]);
  assert.equal(db.pragma('user_version', { simple: true }), 1);
  const names = new Set((db.prepare("SELECT name FROM sqlite_master").all() as { name: string }[]).map((r) => r.name));
  for (const t of ['case_meta', 'keys', 'strings', 'ips', 'imports', 'evidence', 'evidence_chunks', 'events', 'event_copies', 'warnings', 'checkpoints', 'custody']) {
    assert.ok(names.has(t), `table ${t}`);
    assert.ok(names.has(`${t}_no_update`) && names.has(`${t}_no_delete`), `triggers on ${t}`);
  }
  for (const ix of EVENT_SECONDARY_INDEXES) assert.ok(names.has(ix.name), ix.name);
  db.prepare("INSERT INTO custody(seq, at, actor, action, details, tool_version, prev_hash, hash) VALUES (1, 't', 'a', 'x', '{}', 'v', 'p', 'h')").run();
  assert.throws(() => db.prepare("UPDATE custody SET actor = 'b'").run(), /append-only/);
  db.close();
});

test('migration 2 adds the IOC and finding-decision histories to a schema-1 case, keeping its rows', () => {
  const db = new Database(join(tempDir(), 'm2.sqlite'));
  migrate(db, 1);
  db.prepare("INSERT INTO case_meta(key, value) VALUES ('title', 'kept')").run();
  assert.deepEqual(migrate(db, 2), [2]);
  assert.equal((db.prepare("SELECT value FROM case_meta WHERE key = 'title'").get() as { value: string }).value, 'kept');
  db.prepare("INSERT INTO ioc_history(ioc_type, value, op, enabled, at, actor, custody_seq) VALUES ('ip', '192.0.2.1', 'add', 1, 't', 'a', 1)").run();
  db.prepare("INSERT INTO finding_decisions(finding_id, decision, note, at, actor, custody_seq) VALUES ('f', 'accept', 'n', 't', 'a', 1)").run();
  assert.throws(() => db.prepare("DELETE FROM ioc_history").run(), /append-only/);
  assert.throws(() => db.prepare("UPDATE finding_decisions SET decision = 'dismiss'").run(), /append-only/);
  db.close();
});

test('migration 6 adds the append-only checkpoint time-stamp table to a schema-5 case, keeping its rows', () => {
  const db = new Database(join(tempDir(), 'm6.sqlite'));
  migrate(db, 5);
  db.prepare("INSERT INTO checkpoints(seq, tree_size, root, evidence_count, evidence_root, custody_seq, custody_head, meta_hash, created_at, reason, key_fingerprint, body, signature) VALUES (1, 0, 'r', 0, 'e', 1, 'h', 'm', 't', 'x', 'k', 'b', 's')").run();
  assert.deepEqual(migrate(db, 6), [6]);
  assert.equal((db.prepare('SELECT body FROM checkpoints WHERE seq = 1').get() as { body: string }).body, 'b');
  db.prepare("INSERT INTO checkpoint_timestamps(checkpoint_seq, tsa_url, digest, token, gen_time, received_at) VALUES (1, 'http://tsa', 'd', x'3000', 't', 'r')").run();
  assert.throws(() => db.prepare("UPDATE checkpoint_timestamps SET gen_time = 'later'").run(), /append-only/);
  assert.throws(() => db.prepare('DELETE FROM checkpoint_timestamps').run(), /append-only/);
  db.close();
});

test('opening an older case migrates it and logs the migration; a newer one is refused', () => {
  const c = tempCase();
  try {
    c.store.close();
    // Make the file look like it was written by a newer TrailCase.
    const db = new Database(c.path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => CaseStore.open(c.path), /newer than this TrailCase understands/);
  } finally {
    c.cleanup();
  }
});

test('an interrupted bulk import leaves indexes missing; opening the case rebuilds them', () => {
  const c = tempCase();
  try {
    c.store.dropSecondaryIndexes();
    c.store.dropIdIndex();
    c.store.close();
    const s = CaseStore.open(c.path);
    const have = new Set((s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]).map((r) => r.name));
    for (const ix of [EVENT_ID_INDEX, ...EVENT_SECONDARY_INDEXES]) assert.ok(have.has(ix.name), ix.name);
    s.close();
  } finally {
    c.cleanup();
  }
});

test('migration 7 adds the enrichment histories to a schema-6 case, keeping its rows; they are append-only', () => {
  const db = new Database(join(tempDir(), 'm7.sqlite'));
  migrate(db, 6);
  db.prepare("INSERT INTO ips(text, version, v4, v6) VALUES ('8.8.8.8', 4, 134744072, NULL)").run();
  assert.deepEqual(migrate(db, 7), [7]);
  assert.equal((db.prepare("SELECT text FROM ips").get() as { text: string }).text, '8.8.8.8');
  db.prepare("INSERT INTO enrichment_sources(id, kind, name, version, date, sha256, files, licence, attribution, data, added_at, custody_seq) VALUES (1, 'asn', 'n', 'v', NULL, 'h', '[]', 'l', 'a', NULL, 't', 1)").run();
  db.prepare("INSERT INTO enrichment_runs(id, at, actor, sources, n_ips, rows_sha256, custody_seq) VALUES (1, 't', 'a', '{}', 1, 'h', 2)").run();
  db.prepare("INSERT INTO ip_enrichment(ip, run_id, class, asn, asn_src) VALUES (1, 1, 'public', 15169, 1)").run();
  assert.throws(() => db.prepare('INSERT INTO ip_enrichment(ip, run_id, class) VALUES (1, 1, \'public\')').run(), /UNIQUE/);
  for (const t of ['enrichment_sources', 'enrichment_runs', 'ip_enrichment']) {
    assert.throws(() => db.prepare(`DELETE FROM ${t}`).run(), /append-only/, t);
    assert.throws(() => db.prepare(`UPDATE ${t} SET ${t === 'ip_enrichment' ? 'class' : 'at'} = 'x'`).run(), /(append-only|no such column)/, t);
  }
  assert.throws(() => db.prepare("UPDATE enrichment_runs SET actor = 'x'").run(), /append-only/);
  db.close();
});

test('migration 3 adds event_refs (derived, replaceable) and analysis_runs (append-only) to a schema-2 case, keeping its rows', () => {
  const db = new Database(join(tempDir(), 'm3.sqlite'));
  migrate(db, 2);
  db.prepare("INSERT INTO ioc_history(ioc_type, value, op, enabled, at, actor, custody_seq) VALUES ('ip', '192.0.2.1', 'add', 1, 't', 'a', 1)").run();
  assert.deepEqual(migrate(db, 3), [3]);
  assert.equal((db.prepare('SELECT value FROM ioc_history').get() as { value: string }).value, '192.0.2.1');
  db.prepare("INSERT INTO event_refs(leaf, kind, value) VALUES (0, 'bucket', 'b')").run();
  // Derived data: a newer extractor replaces its rows.
  assert.equal(db.prepare("DELETE FROM event_refs WHERE kind = 'bucket'").run().changes, 1);
  db.prepare("INSERT INTO analysis_runs(at, actor, tree_size, root, units, summary, findings, findings_sha256, custody_seq) VALUES ('t', 'a', 0, 'r', '[]', '{}', '[]', 'h', 1)").run();
  assert.throws(() => db.prepare("UPDATE analysis_runs SET actor = 'b'").run(), /append-only/);
  assert.throws(() => db.prepare('DELETE FROM analysis_runs').run(), /append-only/);
  const ix = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'event_refs'").all() as { name: string }[]).map((r) => r.name));
  assert.ok(ix.has('event_refs_kind_value') && ix.has('event_refs_leaf'));
  db.close();
});

test('migration 4 adds the timeline rollup tables to a schema-3 case, keeping its rows; one state row at most', () => {
  const db = new Database(join(tempDir(), 'm4.sqlite'));
  migrate(db, 3);
  db.prepare("INSERT INTO event_refs(leaf, kind, value) VALUES (7, 'bucket', 'kept')").run();
  assert.deepEqual(migrate(db, 4), [4]);
  assert.equal((db.prepare('SELECT value FROM event_refs WHERE leaf = 7').get() as { value: string }).value, 'kept');
  db.prepare('INSERT INTO timeline_hour(kind, g, hour, n) VALUES (1, 2, 3, 4)').run();
  db.prepare('INSERT INTO timeline_day(kind, day, g, n) VALUES (1, 2, 3, 4)').run();
  db.prepare('INSERT INTO timeline_state(id, version, through_leaf) VALUES (1, 1, 10)').run();
  assert.throws(() => db.prepare('INSERT INTO timeline_state(id, version, through_leaf) VALUES (2, 1, 10)').run(), /CHECK/);
  assert.throws(() => db.prepare('INSERT INTO timeline_hour(kind, g, hour, n) VALUES (1, 2, 3, 5)').run(), /UNIQUE|PRIMARY KEY/);
  db.close();
});

test('migration 5 adds the per-address timeline rollup to a schema-4 case, keeping its rows', () => {
  const db = new Database(join(tempDir(), 'm5.sqlite'));
  migrate(db, 4);
  db.prepare('INSERT INTO timeline_hour(kind, g, hour, n) VALUES (1, 2, 3, 4)').run();
  assert.deepEqual(migrate(db, 5), [5]);
  assert.equal((db.prepare('SELECT n FROM timeline_hour').get() as { n: number }).n, 4);
  db.prepare('INSERT INTO timeline_ip_hour(ip, kind, hour, g, n) VALUES (1, 1, 3, 2, 9)').run();
  assert.throws(() => db.prepare('INSERT INTO timeline_ip_hour(ip, kind, hour, g, n) VALUES (1, 1, 3, 2, 1)').run(), /UNIQUE|PRIMARY KEY/);
  db.close();
});

test('migration 8 adds the append-only saved-query history to a schema-7 case, keeping its rows', () => {
  const db = new Database(join(tempDir(), 'm8.sqlite'));
  migrate(db, 7);
  db.prepare("INSERT INTO case_meta(key, value) VALUES ('title', 'kept')").run();
  assert.deepEqual(migrate(db, 8), [8]);
  assert.equal(db.pragma('user_version', { simple: true }), 8);
  assert.equal((db.prepare("SELECT value FROM case_meta WHERE key = 'title'").get() as { value: string }).value, 'kept');
  db.prepare("INSERT INTO saved_queries(name, mode, text, notes, op, at, actor, custody_seq) VALUES ('n', 'sql', 'SELECT 1', '', 'save', 't', 'a', 1)").run();
  assert.throws(() => db.prepare("INSERT INTO saved_queries(name, mode, text, notes, op, at, actor, custody_seq) VALUES ('n', 'python', 'x', '', 'save', 't', 'a', 1)").run(), /CHECK/);
  assert.throws(() => db.prepare("UPDATE saved_queries SET text = 'x'").run(), /append-only/);
  assert.throws(() => db.prepare('DELETE FROM saved_queries').run(), /append-only/);
  db.close();
});

test('migration 9 adds the append-only detections (promoted query checks, the case Sigma rule files) to a schema-8 case, keeping its rows', () => {
  const db = new Database(join(tempDir(), 'm9.sqlite'));
  migrate(db, 8);
  db.prepare("INSERT INTO saved_queries(name, mode, text, notes, op, at, actor, custody_seq) VALUES ('n', 'sql', 'SELECT 1', '', 'save', 't', 'a', 1)").run();
  assert.deepEqual(migrate(db, 9), [9]);
  assert.equal(db.pragma('user_version', { simple: true }), 9);
  assert.equal((db.prepare('SELECT count(*) AS n FROM saved_queries').get() as { n: number }).n, 1);
  db.prepare("INSERT INTO detections(kind, key, body, sha256, op, at, actor, custody_seq) VALUES ('sigma-file', 'r.yml', 'title: x', 'h', 'add', 't', 'a', 2)").run();
  assert.throws(() => db.prepare("INSERT INTO detections(kind, key, body, sha256, op, at, actor, custody_seq) VALUES ('script', 'k', '', 'h', 'add', 't', 'a', 3)").run(), /CHECK/);
  assert.throws(() => db.prepare("INSERT INTO detections(kind, key, body, sha256, op, at, actor, custody_seq) VALUES ('sigma-file', 'k', '', 'h', 'edit', 't', 'a', 3)").run(), /CHECK/);
  assert.throws(() => db.prepare("UPDATE detections SET body = 'x'").run(), /append-only/);
  assert.throws(() => db.prepare('DELETE FROM detections').run(), /append-only/);
  db.close();
});

test('migration 10 puts the time in the access-key index after the leaf, keeping the rows and the (key, leaf) order', () => {
  const db = new Database(join(tempDir(), 'm10.sqlite'));
  migrate(db, 9);
  const ins = db.prepare(
    "INSERT INTO events(leaf, event_id, time_ms, access_key, evidence_id, pos, len, enc, leaf_hash) VALUES (?, ?, ?, ?, 1, 0, 1, 0, x'00')",
  );
  // Times out of leaf order, so an index ordered by time would return other rows first.
  const rows: [number, number, number][] = [[1, 500, 7], [2, 100, 7], [3, 300, 8], [4, 200, 7], [5, 400, 7]];
  for (const [leaf, t, key] of rows) ins.run(leaf, `e${leaf}`, t, key);
  assert.deepEqual(migrate(db, 10), [10]);
  assert.equal(db.pragma('user_version', { simple: true }), 10);
  const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'events_key'").get() as { sql: string }).sql;
  assert.equal(sql, 'CREATE INDEX events_key ON events(access_key, leaf, time_ms)');
  const q = 'SELECT leaf FROM events WHERE access_key = ? AND time_ms >= ?';
  const plan = (db.prepare(`EXPLAIN QUERY PLAN ${q}`).all(7, 150) as { detail: string }[]).map((r) => r.detail).join('; ');
  assert.match(plan, /COVERING INDEX events_key/, `the window is judged on the index alone: ${plan}`);
  assert.deepEqual(db.prepare(q).pluck().all(7, 150), [1, 4, 5], 'ascending leaves, as before');
  assert.deepEqual(db.prepare('SELECT leaf FROM events WHERE access_key = ?').pluck().all(7), [1, 2, 4, 5]);
  db.close();
});

test('every migration has its own test in this file', () => {
  const src = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  for (const m of MIGRATIONS) assert.match(src, new RegExp(`test\\('migration ${m.version} `), `migration ${m.version} (${m.name}) has no test here`);
});

test('the live index catalogue (data/indexes.ts) is what the frozen migrations create', () => {
  const db = new Database(join(tempDir(), 'catalogue.sqlite'));
  migrate(db);
  const have = new Map((db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").all() as { name: string; sql: string }[]).map((r) => [r.name, r.sql]));
  const live = [EVENT_ID_INDEX, ...EVENT_SECONDARY_INDEXES];
  for (const ix of live) assert.equal(have.get(ix.name), ix.sql, `${ix.name}: the catalogue's SQL differs from the schema's (a change to an index needs a migration)`);
  assert.deepEqual([...have.keys()].sort(), live.map((i) => i.name).sort(), 'every event index of the schema is catalogued');
  db.close();
});
