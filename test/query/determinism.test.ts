// The same answer again (docs/queries.md "The same answer again", shared/query/determinism.ts):
// a query whose answer could depend on how DuckDB's two threads share the work (a list or first
// value per group, a sum of DOUBLEs, the rows a LIMIT keeps after a GROUP BY) runs on one thread,
// where rows are read in leaf order: its answer equals a reference that walks the records in leaf
// order with JSON.parse, and its hash is the same on every run. Queries whose rows cannot depend
// on the threads keep both. Volatile functions are named in the result and the custody entry.
// The case has three of the derived file's row groups (32,768 rows each), so two threads do
// share the work.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { generateTrail } from '../../electron/demo/synth.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { scanPages } from '../../electron/analysis/records.ts';
import { derivedPath, ensureDerived } from '../../electron/query/derived.ts';
import { runPlan, runQuery } from '../../electron/query/engine.ts';
import { leaseReadOnly } from '../../electron/query/readonly-db.ts';
import { planThreadFree, volatileCalls } from '../../shared/query/determinism.ts';
import { tempCase, type TempCase } from '../support/case.ts';

let c: TempCase;
/** eventName and awsRegion of every event, in leaf order (the reference reads the records themselves). */
const events: { leaf: number; name: string; region: string }[] = [];

before(async () => {
  c = tempCase('determinism');
  const trail = join(c.dir, 'trail');
  generateTrail({ outDir: trail, totalEvents: 70_000, eventsPerFile: 2000, days: 3, regions: ['us-east-1', 'eu-west-1', 'ap-south-1'], seed: 11, compromise: true });
  await importPaths(c.store, c.signer, { sources: [trail] });
  await ensureDerived(c.store, { actor: 't' });
  for (const page of scanPages(c.store)) for (const e of page) events.push({ leaf: e.leaf, name: String(e.record.eventName), region: String(e.record.awsRegion) });
  events.sort((a, b) => a.leaf - b.leaf);
});

after(() => c?.cleanup());

const run = (text: string) => runQuery(c.store, { text, source: 'sql', actor: 't', keepRows: 1_000_000 });

test('order-sensitive aggregates run on one thread and give the leaf-order answer on every run', { timeout: 300_000 }, async () => {
  assert.ok(events.length > 2 * 32_768, `${events.length} events: more than two row groups`);
  const regions = [...new Set(events.map((e) => e.region))].sort();

  // list() per group: the names in leaf order.
  const lists = 'SELECT awsRegion, list(eventName) AS names FROM events GROUP BY 1 ORDER BY 1';
  const wantLists = regions.map((r) => [r, events.filter((e) => e.region === r).map((e) => e.name)]);
  // first() per group: the first in leaf order.
  const firsts = 'SELECT awsRegion, first(eventName) AS f FROM events GROUP BY 1 ORDER BY 1';
  const wantFirsts = regions.map((r) => [r, events.find((e) => e.region === r)!.name]);
  // A sum of DOUBLEs: added in leaf order, to the last bit.
  const sums = 'SELECT awsRegion, sum(CAST(leaf AS DOUBLE) / 7) AS s FROM events GROUP BY 1 ORDER BY 1';
  const wantSums = regions.map((r) => {
    let s = 0;
    for (const e of events) if (e.region === r) s += e.leaf / 7;
    return [r, s];
  });
  for (const [sql, want] of [
    [lists, wantLists],
    [firsts, wantFirsts],
    [sums, wantSums],
  ] as const) {
    const hashes = new Set<string>();
    for (let k = 0; k < 4; k++) {
      const r = await run(sql);
      assert.equal(r.threads, 1, sql);
      assert.deepEqual(r.rows, want, `${sql}, run ${k + 1}`);
      hashes.add(r.resultSha256);
    }
    assert.equal(hashes.size, 1, `${sql}: one hash over four runs`);
  }

  // A LIMIT after a GROUP BY whose order has ties: the same rows every run.
  const top = 'SELECT eventSource, count(*) > 0 AS any FROM events GROUP BY 1 ORDER BY 2 DESC LIMIT 2';
  const tops = new Set<string>();
  for (let k = 0; k < 4; k++) {
    const r = await run(top);
    assert.equal(r.threads, 1);
    tops.add(r.resultSha256);
  }
  assert.equal(tops.size, 1, 'a top-N with ties keeps the same rows');
  // A seeded sample draws the same rows on every run; one without a seed is named as volatile.
  const samples = new Set<string>();
  for (let k = 0; k < 3; k++) samples.add((await run('SELECT leaf FROM events USING SAMPLE 500 (reservoir, 42)')).resultSha256);
  assert.equal(samples.size, 1);
  assert.deepEqual((await run('SELECT leaf FROM events USING SAMPLE 500')).volatile, ['USING SAMPLE without a seed']);

  // Queries whose rows cannot depend on the threads keep two, with the same answer as on one.
  const counts = await run('SELECT awsRegion, count(*) AS n, count(DISTINCT eventName) AS names, min(leaf) AS lo, max(leaf) AS hi FROM events GROUP BY 1 ORDER BY 1');
  assert.equal(counts.threads, 2);
  assert.deepEqual(
    counts.rows,
    regions.map((r) => {
      const mine = events.filter((e) => e.region === r);
      return [r, mine.length, new Set(mine.map((e) => e.name)).size, mine[0].leaf, mine[mine.length - 1].leaf];
    }),
  );
  const filter = await run("SELECT leaf, eventName FROM events WHERE eventName LIKE 'Get%'");
  assert.equal(filter.threads, 2);
  assert.equal(filter.rowCount, events.filter((e) => e.name.startsWith('Get')).length);
  // A LIMIT straight over a scan keeps the first rows in leaf order, on two threads.
  const gets = events.filter((e) => e.name.startsWith('Get'));
  for (let k = 0; k < 4; k++) {
    const first = await run("SELECT leaf, eventName FROM events WHERE eventName LIKE 'Get%' LIMIT 40000 OFFSET 10");
    assert.equal(first.threads, 2);
    assert.deepEqual(first.rows, gets.slice(10, 40_010).map((e) => [e.leaf, e.name]), `run ${k + 1}`);
  }

  // The custody entry says how it ran.
  const last = c.store.db.prepare("SELECT details FROM custody WHERE action = 'query.run' ORDER BY seq DESC LIMIT 1").get() as { details: string };
  assert.equal(JSON.parse(last.details).threads, 2);
  const one = c.store.db.prepare('SELECT details FROM custody WHERE seq = ?').get((await run(lists)).custodySeq) as { details: string };
  assert.equal(JSON.parse(one.details).threads, 1);
  assert.equal(JSON.parse(one.details).oneThreadFor, 'the aggregate list');
});

test("DuckDB's own plans and parse trees: which run on two threads, and which name volatile functions", { timeout: 120_000 }, async () => {
  const lease = await leaseReadOnly(derivedPath(c.store.path));
  try {
    const plan = (sql: string, params: (string | number)[] = []) => runPlan(lease.con, sql, params);
    for (const sql of [
      'SELECT * FROM events WHERE eventName = ?',
      "SELECT leaf FROM events WHERE record ILIKE '%x%' ORDER BY eventTime",
      'SELECT eventName, count(*), count(DISTINCT awsRegion), min(eventTime), max(leaf), sum(leaf), bool_or(readOnly), approx_count_distinct(leaf), histogram(awsRegion) FROM events GROUP BY 1',
      'WITH k AS (SELECT DISTINCT userIdentity.accessKeyId AS key FROM events) SELECT k.key, count(*) FROM events e JOIN k ON e.userIdentity.accessKeyId = k.key GROUP BY 1',
      'SELECT leaf, r.ARN FROM events, unnest(resources) AS t(r) UNION ALL SELECT leaf, NULL FROM events',
      "SELECT leaf, eventName FROM events WHERE record ILIKE '%Get%' LIMIT 5 OFFSET 2",
      'SELECT eventName FROM events LIMIT 5',
    ]) {
      const p = await plan(sql, sql.includes('?') ? ['GetObject'] : []);
      assert.equal(p.threads, 2, `${sql}: ${p.why}`);
    }
    for (const [sql, why] of [
      ['SELECT eventName, count(*) FROM events GROUP BY 1 LIMIT 5', 'streaming limit'],
      ['SELECT e.leaf FROM events e JOIN events f ON e.leaf = f.leaf LIMIT 5', 'streaming limit'],
      ['SELECT eventName, count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC LIMIT 5', 'top n'],
      ['SELECT leaf, row_number() OVER () FROM events', 'streaming window'],
      ["SELECT awsRegion, string_agg(eventName, ',') FROM events GROUP BY 1", 'the aggregate string_agg'],
      ['SELECT awsRegion, any_value(eventName) FROM events GROUP BY 1', 'the aggregate any_value'],
      ['SELECT avg(leaf) FROM events', 'the aggregate avg'],
      ['SELECT sum(CAST(leaf AS DOUBLE)) FROM events', 'the aggregate sum'],
      ['SELECT arg_max(eventName, eventTime) FROM events', 'the aggregate arg_max'],
      ['SELECT * FROM events USING SAMPLE 10', null],
      ['DESCRIBE SELECT * FROM events', 'a DESCRIBE statement'],
      ['SUMMARIZE SELECT leaf FROM events', 'a SUMMARIZE statement'],
      ['EXPLAIN SELECT 1', 'an EXPLAIN'],
    ] as const) {
      const p = await plan(sql);
      assert.equal(p.threads, 1, sql);
      if (why) assert.equal(p.why, why, sql);
    }
    assert.deepEqual((await plan('SELECT leaf FROM events WHERE eventTime > now() - INTERVAL 7 DAY AND random() < 2 AND eventid <> CAST(uuid() AS VARCHAR)')).volatile, ['now', 'random', 'uuid']);
    assert.deepEqual((await plan('SELECT current_timestamp, current_date, current_setting(\'threads\')')).volatile.sort(), ['current_date', 'current_setting', 'current_timestamp']);
    assert.deepEqual((await plan('EXPLAIN ANALYZE SELECT 1')).volatile, ['EXPLAIN ANALYZE']);
    assert.deepEqual((await plan('SELECT leaf FROM events USING SAMPLE 10')).volatile, ['USING SAMPLE without a seed']);
    assert.deepEqual((await plan('SELECT leaf FROM events USING SAMPLE 10 (reservoir, 42)')), { threads: 1, why: 'reservoir sample', volatile: [] }, 'a seeded sample on one thread draws the same rows');
    assert.deepEqual((await plan("SELECT 'now()' AS text, leaf AS random FROM events")).volatile, [], 'a string or an alias is not a call');
    // A write is refused before any plan is read.
    await assert.rejects(plan('DELETE FROM events_data'), /only reading queries run here/);
  } finally {
    lease.release();
  }
});

test('the plan reader refuses what it does not know', () => {
  assert.deepEqual(planThreadFree([{ name: 'PROJECTION', children: [{ name: 'SEQ_SCAN', children: [] }] }]), { free: true });
  assert.deepEqual(planThreadFree([{ name: 'HASH_GROUP_BY', children: [], extra_info: { Aggregates: 'count_star()' } }]), { free: true });
  assert.deepEqual(planThreadFree([{ name: 'HASH_GROUP_BY', children: [], extra_info: { Aggregates: '' } }]), { free: true }, 'DISTINCT');
  assert.equal(planThreadFree([{ name: 'HASH_GROUP_BY', children: [], extra_info: { Aggregates: ['count(#0)', 'list(#1)'] } }]).free, false);
  assert.equal(planThreadFree([{ name: 'SOME_NEW_OPERATOR', children: [] }]).free, false);
  assert.equal(planThreadFree([{ name: 'PROJECTION', children: 'nonsense' }]).free, false);
  assert.equal(planThreadFree([null]).free, false);
  assert.equal(planThreadFree([{ name: 'UNGROUPED_AGGREGATE', children: [], extra_info: { Aggregates: ['weird'] } }]).free, false);
  assert.deepEqual(volatileCalls({ class: 'FUNCTION', function_name: 'RANDOM', children: [{ class: 'COLUMN_REF', column_names: ['t', 'current_date'] }] }), ['random'], 'a qualified column is a column');
});
