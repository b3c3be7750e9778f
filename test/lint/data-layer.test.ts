// The data-layer lint (test/lint/data-layer.ts): SQL on a database handle
// outside electron/case/ is refused with a pointer to the map; regex .exec,
// DuckDB's prepare and SQL inside the data layer pass; the tree is at 0.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../electron/version.ts';
import { sourceFiles } from './layering.ts';
import { allowlisted, checkedForSql, dataLayerViolations, sqlViolations, SQL_ALLOWLIST } from './data-layer.ts';

test('SQL on a database handle is a violation, naming the line and the map', () => {
  const v = sqlViolations("const a = 1;\nconst r = store.db.prepare('SELECT 1').get();");
  assert.equal(v.length, 1);
  assert.match(v[0], /^line 2: store\.db\.prepare\( outside the data layer .*docs\/architecture\.md, "The data layer"/);
  assert.equal(sqlViolations('store.db\n    .prepare(`SELECT x FROM events`)\n    .all();').length, 1, 'a call split over lines');
  assert.equal(sqlViolations("db.exec('BEGIN IMMEDIATE');").length, 1);
  assert.equal(sqlViolations("this.store.db.pragma('wal_autocheckpoint = 1000');").length, 1);
  assert.equal(sqlViolations("copy.pragma('integrity_check');").length, 1, 'every pragma');
  assert.equal(sqlViolations("ctx.store.stmt('SELECT count(*) AS n FROM evidence').get();").length, 1, 'SQL handed to the statement cache');
  assert.equal(sqlViolations('store.db.transaction(() => x)();').length, 1);
  assert.equal(sqlViolations("other.prepare(`INSERT INTO t VALUES (1)`);").length, 1, 'a SQL literal on any receiver');
});

test('regex exec, DuckDB prepare, comments and the data layer itself pass', () => {
  assert.deepEqual(sqlViolations("const m = /^LINE (\\d+): /.exec(line);\nconst k = S3_PATH_RE.exec(p);"), []);
  assert.deepEqual(sqlViolations('prepared = await extracted.prepare(0);'), []);
  assert.deepEqual(sqlViolations("// an old note: store.db.prepare('SELECT 1')\n/* db.exec('x') */\nconst u = 'https://example.org/db';"), []);
  assert.equal(checkedForSql('electron/case/data/custody.ts'), false);
  assert.equal(checkedForSql('electron/report/model.ts'), true);
});

test('the allowlist holds only the files other helpers own this round', () => {
  assert.deepEqual(Object.keys(SQL_ALLOWLIST), [], 'no file outside electron/case/ is exempt');
  assert.ok(!allowlisted('electron/query/saved.ts'));
  assert.ok(!allowlisted('electron/analysis/checks/event.ts'));
  assert.equal(checkedForSql('electron/analysis/runs.ts'), true);
  assert.equal(checkedForSql('electron/api/timeline-handlers.ts'), true);
  assert.ok(!allowlisted('electron/api/case-handlers.ts'));
});

test('the tree has no SQL outside the data layer (but for the allowlist)', () => {
  const bad = dataLayerViolations(sourceFiles(join(ROOT, 'electron'), new Set(['node_modules', 'dist', 'rules'])));
  assert.deepEqual(bad, []);
});
