// Kept query results (electron/query/kept-results.ts, docs/queries.md "Results in the app"):
// the app pages through every row of a run, in the query's order, and the pages are the
// very rows the run hashed; a result over the byte budget keeps its first rows and says
// so; the last three runs of a case are kept, failed runs keep nothing, closing drops them,
// and a killed process's directory is removed by the next run on the machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeContext } from '../../electron/api/context.ts';
import { dispatch } from '../../electron/api/handlers.ts';
import { canonicalJson } from '../../electron/case/canonical.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { derivedPath } from '../../electron/query/derived.ts';
import { runQuery, ResultHasher } from '../../electron/query/engine.ts';
import { dropKept, keptPage, KEEP_LAST, ResultKeeper } from '../../electron/query/kept-results.ts';
import { privatePrefix } from '../../electron/query/readonly-db.ts';
import type { QueryCell, QueryRunResult } from '../../shared/api/query.ts';
import { tempCase } from '../support/case.ts';

const STRATUS = join(import.meta.dirname, '..', 'fixtures', 'stratus-red-team', 'detonation-logs');

async function run(ctx: ReturnType<typeof makeContext>, text: string, limit = 10): Promise<QueryRunResult> {
  const { jobId } = await dispatch(ctx, 'runQuery', { mode: 'sql', text, limit });
  const st = await ctx.jobs.wait(jobId);
  assert.equal(st.state, 'done', st.error);
  return st.result as QueryRunResult;
}

async function allPages(ctx: ReturnType<typeof makeContext>, seq: number, size: number): Promise<QueryCell[][]> {
  const out: QueryCell[][] = [];
  for (let off = 0; ; off += size) {
    const p = await dispatch(ctx, 'queryResultPage', { custodySeq: seq, offset: off, limit: size });
    assert.equal(p.offset, off);
    out.push(...p.rows);
    if (p.rows.length < size) return out;
  }
}

test('every row of a run can be paged, in the query order, and the pages are what was hashed', { timeout: 180_000 }, async () => {
  const c = tempCase('kept results');
  try {
    await importPaths(c.store, c.signer, { sources: [STRATUS] });
    const ctx = makeContext(c.store, { signer: c.signer });
    const sql = 'SELECT leaf, k, eventID, eventName, userIdentity, record FROM events, range(3) t(k) ORDER BY eventTime DESC, leaf DESC, k';
    const r = await run(ctx, sql, 10);
    assert.ok(r.rowCount > 3 * 256, `${r.rowCount} rows: enough to cross several of the offset index's blocks of 256`);
    assert.equal(r.rows.length, 10);
    assert.equal(r.truncated, true);
    assert.equal(r.keptRows, r.rowCount);

    // The reference: the engine's own rows of the same query, all of them.
    const ref = await runQuery(c.store, { text: sql, source: 'sql', actor: 'test', keepRows: Number.MAX_SAFE_INTEGER });
    assert.equal(ref.resultSha256, r.resultSha256);
    for (const size of [97, 256, 5000]) {
      const rows = await allPages(ctx, r.custodySeq, size);
      assert.equal(rows.length, r.rowCount, `pages of ${size}`);
      assert.deepEqual(rows, JSON.parse(JSON.stringify(ref.rows)), `pages of ${size} are the engine's rows in its order`);
    }
    // The pages hash to the custody-logged result hash.
    const h = new ResultHasher(r.columns.map((x) => x.name));
    for (const row of await allPages(ctx, r.custodySeq, 1000)) h.addText(canonicalJson(row));
    assert.equal(h.digest(), r.resultSha256);
    const logged = c.store.db.prepare('SELECT details FROM custody WHERE seq = ?').get(r.custodySeq) as { details: string };
    assert.equal(JSON.parse(logged.details).resultSha256, r.resultSha256);

    // A page past the end is empty; a page straddling it is cut.
    assert.deepEqual((await dispatch(ctx, 'queryResultPage', { custodySeq: r.custodySeq, offset: r.rowCount, limit: 5 })).rows, []);
    assert.equal((await dispatch(ctx, 'queryResultPage', { custodySeq: r.custodySeq, offset: r.rowCount - 3, limit: 50 })).rows.length, 3);
    // Asking for more than a page is refused by the contract.
    await assert.rejects(dispatch(ctx, 'queryResultPage', { custodySeq: r.custodySeq, offset: 0, limit: 5001 }));

    // A failed run keeps nothing; the last KEEP_LAST runs are kept, an older one is not.
    const derived = derivedPath(c.store.path);
    const dirs = () => readdirSync(dirname(derived)).filter((n) => n.startsWith(`${privatePrefix(derived, 'results')}${process.pid}-`));
    assert.equal(dirs().length, 1);
    const files = () => readdirSync(join(dirname(derived), dirs()[0]));
    assert.equal(files().length, 1);
    const bad = await dispatch(ctx, 'runQuery', { mode: 'sql', text: 'SELECT nosuchcolumn FROM events', limit: 10 });
    assert.equal((await ctx.jobs.wait(bad.jobId)).state, 'failed');
    assert.equal(files().length, 1, 'a failed run leaves no file');
    const later: QueryRunResult[] = [];
    for (let i = 0; i < KEEP_LAST; i++) later.push(await run(ctx, `SELECT ${i} AS i, eventName FROM events ORDER BY leaf LIMIT ${i + 1}`));
    assert.equal(files().length, KEEP_LAST);
    await assert.rejects(dispatch(ctx, 'queryResultPage', { custodySeq: r.custodySeq, offset: 0, limit: 5 }), new RegExp(`rows of query custody #${r.custodySeq} are no longer kept`));
    assert.deepEqual((await dispatch(ctx, 'queryResultPage', { custodySeq: later[2].custodySeq, offset: 0, limit: 5 })).rows.map((x) => x[0]), [2, 2, 2]);

    // Closing lets go of them.
    dropKept(derived);
    assert.deepEqual(dirs(), []);
    await assert.rejects(dispatch(ctx, 'queryResultPage', { custodySeq: later[2].custodySeq, offset: 0, limit: 5 }), /no longer kept/);

    // A directory left by a process that is gone is removed by the next run; a live one's stays.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const stale = join(dirname(derived), `${privatePrefix(derived, 'results')}${gone}-AbC123`);
    const live = join(dirname(derived), `${privatePrefix(derived, 'results')}${process.ppid}-XyZ789`);
    mkdirSync(stale);
    mkdirSync(live);
    await run(ctx, 'SELECT 1 AS one');
    assert.equal(existsSync(stale), false);
    assert.equal(existsSync(live), true);
    dropKept(derived);
  } finally {
    c.cleanup();
  }
});

test('hostile and large values page back exactly; a result over the byte budget keeps its first rows', () => {
  const c = tempCase('kept results budget');
  try {
    const derived = derivedPath(c.store.path);
    const rows: QueryCell[][] = [
      ['line\nbreak', 'cr\r', '\u2028\u2029', 'tab\tand "quotes" and \\'],
      ['\u202Eexe.txt', '\u200B\uFEFF', '=HYPERLINK("http://x")', '<script>alert(1)</script>'],
      ['emoji 🧨 and CJK 漢字 straddling', 'x'.repeat(1_500_000), 'after the big one', null],
      [{ nested: ['a\nb', 1, true, null] }, -0, 9007199254740991, 'last'],
    ];
    for (let i = 0; i < 600; i++) rows.push([`row ${i}`, i, i % 2 === 0, 'é'.repeat(i % 7)]);
    const texts = rows.map((r) => canonicalJson(r));
    const cols = ['a', 'b', 'c', 'd'].map((name) => ({ name, type: 'VARCHAR' }));

    const all = new ResultKeeper(derived);
    for (const t of texts) all.add(t);
    assert.equal(all.commit(1_000_001, cols, rows.length), rows.length);
    const back: QueryCell[][] = [];
    for (let off = 0; off < rows.length; off += 77) back.push(...keptPage(derived, 1_000_001, off, 77).rows);
    assert.deepEqual(back, JSON.parse(JSON.stringify(rows)));
    assert.deepEqual(keptPage(derived, 1_000_001, 2, 1).rows[0][1], 'x'.repeat(1_500_000));

    // A budget that holds the first two rows only: the page ends there and says how many are kept.
    const budget = Buffer.byteLength(texts[0]) + Buffer.byteLength(texts[1]) + 2;
    const cut = new ResultKeeper(derived, budget);
    for (const t of texts) cut.add(t);
    assert.equal(cut.commit(1_000_002, cols, rows.length), 2);
    const p = keptPage(derived, 1_000_002, 0, 100);
    assert.equal(p.keptRows, 2);
    assert.equal(p.rowCount, rows.length);
    assert.deepEqual(p.rows, JSON.parse(JSON.stringify(rows.slice(0, 2))));
    // Rows after a row that did not fit are not kept either (a kept result is always a prefix).
    const prefix = new ResultKeeper(derived, budget + Buffer.byteLength(texts[3]) + 1);
    for (const t of texts) prefix.add(t);
    assert.equal(prefix.commit(1_000_003, cols, rows.length), 2);

    // A run started again (engine.ts, one thread after running out of memory) keeps the second run's rows only.
    const again = new ResultKeeper(derived);
    for (const t of texts) again.add(t);
    again.reset();
    for (const t of texts.slice(3, 300)) again.add(t);
    assert.equal(again.commit(1_000_005, cols, 297), 297);
    const second: QueryCell[][] = [];
    for (let off = 0; off < 297; off += 100) second.push(...keptPage(derived, 1_000_005, off, 100).rows);
    assert.deepEqual(second, JSON.parse(JSON.stringify(rows.slice(3, 300))));

    const discarded = new ResultKeeper(derived);
    discarded.add(texts[0]);
    discarded.discard();
    assert.throws(() => keptPage(derived, 1_000_004, 0, 1), /no longer kept/);
  } finally {
    dropKept(derivedPath(c.store.path));
    c.cleanup();
  }
});

test('the kept rows are written out before the run goes on the record: a failure there fails the run and logs nothing', { timeout: 120_000 }, async () => {
  const c = tempCase('kept results order');
  try {
    await importPaths(c.store, c.signer, { sources: [STRATUS] });
    const runs = () => (c.store.db.prepare("SELECT count(*) AS n FROM custody WHERE action = 'query.run'").get() as { n: number }).n;
    const derived = derivedPath(c.store.path);
    // A real keeper whose last write fails (a full disk at the end of the result).
    const keeper = new ResultKeeper(derived);
    const order: string[] = [];
    keeper.finish = () => {
      order.push('finish');
      throw new Error('ENOSPC: no space left on device, write');
    };
    const before = runs();
    await assert.rejects(runQuery(c.store, { text: 'SELECT leaf, eventName FROM events', source: 'sql', actor: 'test', keeper }), /ENOSPC/);
    assert.deepEqual(order, ['finish']);
    assert.equal(runs(), before, 'a run whose rows could not be kept is not on the record');
    keeper.discard();
    // The same run with a working keeper is logged once, and its rows are kept.
    const ok = new ResultKeeper(derived);
    const r = await runQuery(c.store, { text: 'SELECT leaf, eventName FROM events', source: 'sql', actor: 'test', keeper: ok });
    assert.equal(runs(), before + 1);
    assert.equal(ok.commit(r.custodySeq, r.columns, r.rowCount), r.rowCount);
    assert.equal(keptPage(derived, r.custodySeq, 0, 5000).rows.length, r.rowCount);
  } finally {
    dropKept(derivedPath(c.store.path));
    c.cleanup();
  }
});
