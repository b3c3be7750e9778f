// Migration 0003 (analysis side tables): create a case at schema 2, add rows,
// migrate, check the new tables and that analysis_runs is append-only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { migrate, SCHEMA_VERSION } from '../../electron/case/migrations/index.ts';
import { tempDir } from './support.ts';

test('migration 3 adds event_refs and an append-only analysis_runs to a schema-2 case', () => {
  const dir = tempDir();
  try {
    const db = new Database(join(dir, 'm.sqlite'));
    assert.deepEqual(migrate(db, 2), [1, 2]);
    db.prepare("INSERT INTO ioc_history(ioc_type, value, op, enabled, at, actor, custody_seq) VALUES ('ip', '192.0.2.1', 'add', 1, 'now', 'x', 1)").run();
    assert.ok(SCHEMA_VERSION >= 3, "expected true: SCHEMA_VERSION >= 3");
    assert.deepEqual(migrate(db, 3), [3]);
    assert.equal(db.pragma('user_version', { simple: true }), 3);
    // Existing rows survive; the new tables work.
    assert.equal((db.prepare('SELECT count(*) n FROM ioc_history').get() as any).n, 1);
    db.prepare("INSERT INTO event_refs(leaf, kind, value) VALUES (0, 'bucket', 'b')").run();
    db.prepare("DELETE FROM event_refs").run(); // derived data: rebuildable, not append-only
    db.prepare(
      "INSERT INTO analysis_runs(at, actor, tree_size, root, units, summary, findings, findings_sha256, custody_seq) VALUES ('t','a',0,'r','[]','{}','[]','h',1)",
    ).run();
    assert.throws(() => db.prepare('UPDATE analysis_runs SET actor = ?').run('b'), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM analysis_runs').run(), /append-only/);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
