// Saved queries and the handover round trip (docs/queries.md): Alice saves and runs a
// query, the report's methodology lists it with its result hash, she hands the
// case over (without the derived query database: it is a cache), and Bob's
// re-run of the saved query on the received case gives the same hash, as does his check of
// every logged query in one step (recheckQueries).
// Also migration 8 (saved_queries), tested here beside its feature.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { makeContext } from '../../electron/api/context.ts';
import { dispatch } from '../../electron/api/handlers.ts';
import { migrate } from '../../electron/case/migrations/index.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { verifyCase } from '../../electron/case/verify.ts';
import { derivedPath } from '../../electron/query/derived.ts';
import { analysisForReport } from '../../electron/report/analysis-bridge.ts';
import { loadCertificationTemplate } from '../../electron/report/certification.ts';
import { exportCase, receiveCase } from '../../electron/report/handoff.ts';
import { renderReportHtml } from '../../electron/report/html.ts';
import { buildReportModel, readCheckpoint } from '../../electron/report/model.ts';
import type { QueryRecheckItem, QueryRunResult } from '../../shared/api/query.ts';
import { examiner, stratusCase } from '../report/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-query-handover-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function runSaved(store: CaseStore, signer: any, name: string): Promise<QueryRunResult> {
  const ctx = makeContext(store, { signer });
  const { jobId } = await dispatch(ctx, 'runQuery', { savedQuery: name, text: '' });
  const st = await ctx.jobs.wait(jobId);
  assert.equal(st.state, 'done', st.error);
  return st.result as QueryRunResult;
}

test('a saved query re-run on the handed-over case gives the same result hash; the report lists it', async () => {
  const alice = examiner('Alice Examiner', dir);
  const bob = examiner('Bob Reviewer', dir);
  const src = join(dir, 'alice.trailcase');
  const store = await stratusCase(src, alice);
  const ctx = makeContext(store, { signer: alice.signer });
  const sql = "SELECT userIdentity.arn AS principal, eventName, count(*) AS n FROM events WHERE eventSource = 'cloudtrail.amazonaws.com' GROUP BY ALL";
  await dispatch(ctx, 'saveQuery', { name: 'trail tampering', mode: 'sql', text: sql, notes: 'who touched CloudTrail' });
  await dispatch(ctx, 'saveQuery', { name: 'stop logging', mode: 'search', text: 'eventName:StopLogging', notes: '' });
  const mine = await runSaved(store, alice.signer, 'trail tampering');
  const mine2 = await runSaved(store, alice.signer, 'stop logging');
  assert.ok(mine.rowCount > 0 && mine2.rowCount > 0);
  const clockRun = await ctx.jobs.wait((await dispatch(ctx, 'runQuery', { mode: 'sql', text: 'SELECT count(*) AS n FROM events WHERE eventTime < now()' })).jobId);
  const clock = clockRun.result as QueryRunResult;
  assert.ok(existsSync(derivedPath(src)));

  store.checkpoint(alice.signer, 'before report');
  const verify = verifyCase(store);
  assert.equal(verify.ok, true, JSON.stringify(verify.problems));
  const m = buildReportModel({ store, checkpoint: readCheckpoint(store)!, examiner: { name: alice.name, keyFingerprint: alice.signer.fingerprint }, analysis: await analysisForReport(store), verify, template: loadCertificationTemplate() });
  assert.deepEqual(
    m.methodology.queries.map((q) => [q.savedQuery, q.source, q.rows, q.resultSha256, q.volatile]),
    [
      ['trail tampering', 'sql', mine.rowCount, mine.resultSha256, []],
      ['stop logging', 'search', mine2.rowCount, mine2.resultSha256, []],
      [null, 'sql', 1, clock.resultSha256, ['now']],
    ],
  );
  const reportHtml = renderReportHtml(m);
  assert.ok(reportHtml.includes(mine.resultSha256), 'the report shows the result hash');
  assert.ok(reportHtml.includes('<em>not repeatable: reads now</em>'), 'the report marks a query that reads the clock');

  const out = join(dir, 'to-bob.trailcase');
  const sent = await exportCase(store, alice.signer, { out, to: 'Bob Reviewer', reason: 'review' });
  store.close();
  assert.ok(!existsSync(derivedPath(out)), 'the derived query database does not travel: the case is one file');

  const work = join(dir, 'bob.trailcase');
  copyFileSync(out, work);
  await receiveCase(work, bob.signer, { examiner: 'Bob Reviewer', expectSha256: sent.sha256 });
  const bs = CaseStore.open(work);
  try {
    const names = (await dispatch(makeContext(bs, { signer: bob.signer }), 'listSavedQueries', {})).items.map((q) => q.name);
    assert.deepEqual(names, ['stop logging', 'trail tampering']);
    const theirs = await runSaved(bs, bob.signer, 'trail tampering');
    const theirs2 = await runSaved(bs, bob.signer, 'stop logging');
    assert.equal(theirs.resultSha256, mine.resultSha256);
    assert.equal(theirs2.resultSha256, mine2.resultSha256);
    // Bob checks every query Alice logged in one step: each runs again, on his record.
    const bctx = makeContext(bs, { signer: bob.signer });
    const check = await bctx.jobs.wait((await dispatch(bctx, 'recheckQueries', {})).jobId);
    assert.equal(check.state, 'done', check.error);
    const items = (check.result as { items: QueryRecheckItem[] }).items;
    const alices = items.filter((i) => i.seq === mine.custodySeq || i.seq === mine2.custodySeq);
    assert.deepEqual(alices.map((i) => [i.outcome, i.now]), [['same', mine.resultSha256], ['same', mine2.resultSha256]]);
    for (const i of alices) {
      const again = JSON.parse((bs.db.prepare('SELECT actor, details FROM custody WHERE seq = ?').get(i.recheckSeq) as { details: string }).details);
      assert.equal(again.recheckOf, i.seq);
    }
    const built = bs.db.prepare("SELECT actor, details FROM custody WHERE action = 'query.derived-built' ORDER BY seq DESC LIMIT 1").get() as { actor: string; details: string };
    assert.equal(built.actor, 'Bob Reviewer', 'Bob rebuilt the derived form on first use, on the record');
    assert.equal(verifyCase(bs).ok, true);
    // Removing a saved query is itself recorded.
    await dispatch(makeContext(bs, { signer: bob.signer }), 'deleteSavedQuery', { name: 'stop logging' });
    assert.deepEqual((await dispatch(makeContext(bs, { signer: bob.signer }), 'listSavedQueries', {})).items.map((q) => q.name), ['trail tampering']);
  } finally {
    bs.close();
  }
});

test('migration 8 adds the append-only saved_queries history to a schema-7 case, keeping its rows', () => {
  const db = new Database(join(dir, 'm8.sqlite'));
  migrate(db, 7);
  db.prepare("INSERT INTO case_meta(key, value) VALUES ('title', 'kept')").run();
  assert.deepEqual(migrate(db, 8), [8]);
  assert.equal((db.prepare("SELECT value FROM case_meta WHERE key = 'title'").get() as { value: string }).value, 'kept');
  db.prepare("INSERT INTO saved_queries(name, mode, text, notes, op, at, actor, custody_seq) VALUES ('q', 'sql', 'SELECT 1', '', 'save', 't', 'a', 1)").run();
  assert.throws(() => db.prepare("INSERT INTO saved_queries(name, mode, text, notes, op, at, actor, custody_seq) VALUES ('q', 'python', 'x', '', 'save', 't', 'a', 1)").run(), /CHECK/);
  assert.throws(() => db.prepare('DELETE FROM saved_queries').run(), /append-only/);
  assert.throws(() => db.prepare("UPDATE saved_queries SET text = 'SELECT 2'").run(), /append-only/);
  db.close();
});
