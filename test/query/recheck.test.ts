// Checking the logged queries again (electron/query/recheck.ts, docs/queries.md "Checking the
// logged queries again"): each logged run is run again over exactly the events it first ran
// over, also after the case has grown, and its hash compared; a query that reads the clock is
// reported as not repeatable; an entry whose hash, tree size or root does not fit the case is
// reported as such, never as the same; identical runs run again once; each run again is on
// the record with recheckOf.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeContext } from '../../electron/api/context.ts';
import { dispatch } from '../../electron/api/handlers.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { runQuery } from '../../electron/query/engine.ts';
import { recheckQueries } from '../../electron/query/recheck.ts';
import { tempCase } from '../support/case.ts';

const STRATUS = 'test/fixtures/stratus-red-team/detonation-logs';
const OTRF = 'test/fixtures/otrf-security-datasets';

test('logged queries run again over the events they first ran over give their hashes; what cannot be checked says why', { timeout: 180_000 }, async () => {
  const c = tempCase('recheck');
  try {
    await importPaths(c.store, c.signer, { sources: [STRATUS] });
    const run = (text: string) => runQuery(c.store, { text, source: 'sql', actor: 'Alice' });
    const lists = await run('SELECT eventSource, list(eventName) AS names, count(*) AS n FROM events GROUP BY 1');
    const first = await run('SELECT leaf, eventName FROM events ORDER BY leaf LIMIT 7');
    const again = await run('SELECT leaf, eventName FROM events ORDER BY leaf LIMIT 7');
    const clock = await run('SELECT count(*) AS n FROM events WHERE eventTime < now()');
    const early = lists.checkpoint.treeSize;

    // The case grows: the early queries would now see more events.
    await importPaths(c.store, c.signer, { sources: [OTRF] });
    const later = await run('SELECT count(*) AS n FROM events');
    assert.ok(Number(later.rows[0][0]) > early);
    assert.notEqual((await run('SELECT eventSource, list(eventName) AS names, count(*) AS n FROM events GROUP BY 1')).resultSha256, lists.resultSha256, 'over the grown case the answer differs');

    // Entries that do not fit the case (as a forged or foreign log would hold).
    const forged = (details: Record<string, unknown>) => c.store.appendCustody('Mallory', 'query.run', { source: 'sql', text: 'SELECT 1', sql: 'SELECT 1 AS x', params: [], engine: lists.engine, rows: 1, ...details });
    const root = lists.checkpoint.root;
    const wrongHash = forged({ checkpoint: { treeSize: early, root }, resultSha256: '0'.repeat(64) });
    const tooBig = forged({ checkpoint: { treeSize: 10_000_000, root }, resultSha256: '0'.repeat(64) });
    const otherRoot = forged({ checkpoint: { treeSize: early, root: 'f'.repeat(64) }, resultSha256: '0'.repeat(64) });
    const noSql = c.store.appendCustody('Mallory', 'query.run', { text: 'x' });
    // A run logged before order-sensitive queries ran on one thread (no `threads`), whose hash is not today's.
    const listSql = 'SELECT eventSource, list(eventName) AS names FROM events GROUP BY 1';
    const older = forged({ sql: listSql, checkpoint: { treeSize: early, root }, resultSha256: '1'.repeat(64) });
    const newer = forged({ sql: listSql, checkpoint: { treeSize: early, root }, resultSha256: '1'.repeat(64), threads: 1 });
    const badSql = forged({ sql: 'SELECT nosuchcolumn FROM events', checkpoint: { treeSize: early, root }, resultSha256: '0'.repeat(64) });

    const items = await recheckQueries(c.store, { actor: 'Bob' });
    const by = new Map(items.map((i) => [i.seq, i]));
    for (const r of [lists, first, again, later]) {
      const i = by.get(r.custodySeq)!;
      assert.equal(i.outcome, 'same', `#${r.custodySeq} ${i.note ?? ''}`);
      assert.equal(i.now, r.resultSha256);
      assert.equal(i.treeSize, r.checkpoint.treeSize);
      const d = JSON.parse((c.store.db.prepare('SELECT details FROM custody WHERE seq = ?').get(i.recheckSeq) as { details: string }).details);
      assert.equal(d.recheckOf, i.seq === again.custodySeq ? first.custodySeq : i.seq, 'identical runs are run again once');
      assert.deepEqual(d.checkpoint, r.checkpoint, 'run again against the checkpoint it first ran against');
    }
    assert.equal(by.get(first.custodySeq)!.recheckSeq, by.get(again.custodySeq)!.recheckSeq);
    assert.equal(by.get(clock.custodySeq)!.outcome, 'not-repeatable');
    assert.match(by.get(clock.custodySeq)!.note!, /now\(\)/);
    assert.equal(by.get(clock.custodySeq)!.recheckSeq, null, 'not run again');
    assert.equal(by.get(wrongHash)!.outcome, 'different');
    assert.equal(by.get(tooBig)!.outcome, 'other-events');
    assert.match(by.get(tooBig)!.note!, /ran over 10000000 events; the case holds/);
    assert.equal(by.get(otherRoot)!.outcome, 'other-events');
    assert.match(by.get(otherRoot)!.note!, /tree root differs/);
    assert.equal(by.get(older)!.outcome, 'different');
    assert.match(by.get(older)!.note!, /logged before TrailCase ran such queries on one thread/);
    assert.equal(by.get(newer)!.outcome, 'different');
    assert.equal(by.get(newer)!.note, undefined);
    assert.equal(by.get(noSql)!.outcome, 'failed');
    assert.equal(by.get(badSql)!.outcome, 'failed');
    assert.match(by.get(badSql)!.note!, /nosuchcolumn/);
    // The runs again are not themselves checked by the next check.
    const second = await recheckQueries(c.store, { actor: 'Bob' });
    assert.equal(second.length, items.length);

    // Through the API, a chosen entry; an unknown one is refused.
    const ctx = makeContext(c.store, { signer: c.signer });
    const job = await ctx.jobs.wait((await dispatch(ctx, 'recheckQueries', { seqs: [lists.custodySeq] })).jobId);
    assert.equal(job.state, 'done', job.error);
    assert.deepEqual((job.result as { items: { seq: number; outcome: string }[] }).items.map((i) => [i.seq, i.outcome]), [[lists.custodySeq, 'same']]);
    await assert.rejects(recheckQueries(c.store, { actor: 'Bob', seqs: [999_999] }), /no query run at custody #999999/);
  } finally {
    c.cleanup();
  }
});
