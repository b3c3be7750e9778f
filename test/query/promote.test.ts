// Saved queries promoted to checks, through the API (docs/queries.md, item 6): the
// promotion is custody-logged; the analysis run (runChecks) runs the check,
// building the derived query form first when it is absent; the finding cites
// the query's events with the query text, its hash and the result hash; the
// report's methodology lists the promoted check and the case's own Sigma rule
// files; a receiver's run of the handed-over case gives the same result hash.
// Also migration 9 (detections), tested here beside its feature.
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
import type { AnalysisRunSummary } from '../../shared/analysis/types.ts';
import { examiner, stratusCase } from '../report/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-promote-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function runChecks(store: CaseStore, signer: any, args: Record<string, unknown> = {}): Promise<AnalysisRunSummary> {
  const ctx = makeContext(store, { signer });
  const { jobId } = await dispatch(ctx, 'runChecks', args as never);
  const st = await ctx.jobs.wait(jobId);
  assert.equal(st.state, 'done', st.error);
  return st.result as AnalysisRunSummary;
}

const RULE = `title: Console login (examiner)
id: cccccccc-1111-4111-8111-000000000001
status: test
author: Alice Examiner
date: 2026-12-03
level: medium
tags:
  - attack.initial-access
  - attack.t1078.004
logsource:
  product: aws
  service: cloudtrail
detection:
  sel:
    eventName: ConsoleLogin
  condition: sel
`;

test('a promoted saved query runs with the checks (API), on the record, and a receiver gets the same result hash', async () => {
  const alice = examiner('Alice Examiner', dir);
  const bob = examiner('Bob Reviewer', dir);
  const src = join(dir, 'alice.trailcase');
  const store = await stratusCase(src, alice);
  const ctx = makeContext(store, { signer: alice.signer });
  const sql = "SELECT eventID, leaf, requestParameters.roleName AS role FROM events WHERE eventName = 'AttachRolePolicy'";
  await dispatch(ctx, 'saveQuery', { name: 'role policy attached', mode: 'sql', text: sql, notes: '' });
  await dispatch(ctx, 'saveQuery', { name: 'no event ids', mode: 'sql', text: 'SELECT count(*) AS n FROM events', notes: '' });
  const p = await dispatch(ctx, 'promoteQuery', {
    savedQuery: 'role policy attached',
    id: 'role-policy',
    title: 'Policy attached to a role',
    severity: 'high',
    attack: ['T1098.003'],
    category: 'persistence',
    explanation: 'A managed policy was attached to a role.',
    remediation: ['Detach the policy if not approved.'],
  });
  await dispatch(ctx, 'promoteQuery', { savedQuery: 'no event ids', id: 'counter', title: 'Counter', severity: 'low', explanation: 'counts' });
  await assert.rejects(dispatch(ctx, 'promoteQuery', { savedQuery: 'no event ids', id: 'x', title: 'X', severity: 'low', attack: ['1098'], explanation: 'e' }), /ATT&CK id "1098" is not a technique id/);
  const logged = store.db.prepare("SELECT details FROM custody WHERE action = 'detection.promoted' ORDER BY seq").all() as { details: string }[];
  assert.equal(logged.length, 2);
  assert.equal(JSON.parse(logged[0].details).text, sql);
  assert.equal(JSON.parse(logged[0].details).textSha256, p.check.textSha256);

  // No derived form yet: the run builds it (custody query.derived-built), then runs the query.
  assert.ok(!existsSync(derivedPath(src)));
  const run = await runChecks(store, alice.signer, { rules: [{ file: 'console.yml', text: RULE }] });
  assert.ok(existsSync(derivedPath(src)));
  assert.deepEqual(run.promoted!.map((u) => u.id).sort(), ['query:counter', 'query:role-policy']);
  assert.ok(run.warnings.some((w) => w.unit.startsWith('query:counter@') && /no eventID column/.test(w.message)), JSON.stringify(run.warnings));
  assert.deepEqual(run.sigmaFiles!.map((f) => f.file), ['console.yml']);
  const list = await dispatch(ctx, 'listFindings', { limit: 10_000 });
  assert.equal(list.stale, false, list.staleReason ?? '');
  const f = list.items.find((x) => x.checkId === 'query:role-policy')!;
  assert.ok(f, 'a finding from the promoted check');
  const expected = (store.db.prepare("SELECT event_id FROM events WHERE name = (SELECT id FROM strings WHERE s = 'AttachRolePolicy')").all() as { event_id: string }[]).map((r) => r.event_id);
  assert.ok(expected.length > 0);
  assert.deepEqual([...f.eventIds].sort(), expected.sort());
  assert.equal(f.evidence!.text, sql);
  assert.equal(f.evidence!.rows, expected.length);
  assert.ok(list.items.some((x) => x.checkId === 'sigma:cccccccc-1111-4111-8111-000000000001'), 'the case rule file ran');
  const custody = JSON.parse((store.db.prepare("SELECT details FROM custody WHERE action = 'analysis.run' ORDER BY seq DESC LIMIT 1").get() as { details: string }).details);
  assert.equal(custody.sigmaRuleFiles[0].file, 'console.yml');
  assert.equal(custody.promotedChecks.find((u: any) => u.id === 'query:role-policy').record.resultSha256, f.evidence!.resultSha256);

  // A new promotion makes the stored run stale.
  await dispatch(ctx, 'removePromotedCheck', { id: 'counter' });
  assert.match((await dispatch(ctx, 'listFindings', {})).staleReason ?? '', /query:counter/);

  // The report's methodology names the rule file and the promoted check with its hashes.
  store.checkpoint(alice.signer, 'before report');
  const analysis = await analysisForReport(store, { actor: alice.name });
  const m = buildReportModel({ store, checkpoint: readCheckpoint(store)!, examiner: { name: alice.name, keyFingerprint: alice.signer.fingerprint }, analysis, verify: verifyCase(store), template: loadCertificationTemplate() });
  assert.deepEqual(m.methodology.sigmaFiles.map((x) => x.file), ['console.yml']);
  assert.deepEqual(m.methodology.promoted.map((x) => [x.id, x.textSha256, x.resultSha256]), [['query:role-policy', p.check.textSha256, f.evidence!.resultSha256]]);
  const html = renderReportHtml(m);
  assert.ok(html.includes(f.evidence!.resultSha256) && html.includes(run.sigmaFiles![0].sha256));

  // Handover: Bob's run of the received case (no derived form travels) gives the same result hash.
  const out = join(dir, 'to-bob.trailcase');
  const sent = await exportCase(store, alice.signer, { out, to: 'Bob Reviewer', reason: 'review' });
  store.close();
  const work = join(dir, 'bob.trailcase');
  copyFileSync(out, work);
  await receiveCase(work, bob.signer, { examiner: 'Bob Reviewer', expectSha256: sent.sha256 });
  const bs = CaseStore.open(work);
  try {
    await runChecks(bs, bob.signer);
    const theirs = (await dispatch(makeContext(bs, { signer: bob.signer }), 'listFindings', { limit: 10_000 })).items;
    assert.equal(theirs.find((x) => x.checkId === 'query:role-policy')!.evidence!.resultSha256, f.evidence!.resultSha256);
    assert.equal(theirs.find((x) => x.checkId === 'query:role-policy')!.id, f.id, 'same events, same finding id');
    assert.equal(verifyCase(bs).ok, true);
  } finally {
    bs.close();
  }
});

test('migration 9 adds the append-only detections history to a schema-8 case, keeping its rows', () => {
  const db = new Database(join(dir, 'm9.sqlite'));
  migrate(db, 8);
  db.prepare("INSERT INTO saved_queries(name, mode, text, notes, op, at, actor, custody_seq) VALUES ('q', 'sql', 'SELECT 1', '', 'save', 't', 'a', 1)").run();
  assert.deepEqual(migrate(db, 9), [9]);
  assert.equal((db.prepare('SELECT count(*) AS n FROM saved_queries').get() as { n: number }).n, 1);
  db.prepare("INSERT INTO detections(kind, key, body, sha256, op, at, actor, custody_seq) VALUES ('query-check', 'k', '{}', 'h', 'add', 't', 'a', 1)").run();
  assert.throws(() => db.prepare("INSERT INTO detections(kind, key, body, sha256, op, at, actor, custody_seq) VALUES ('yara', 'k', '', 'h', 'add', 't', 'a', 1)").run(), /CHECK/);
  assert.throws(() => db.prepare('DELETE FROM detections').run(), /append-only/);
  assert.throws(() => db.prepare("UPDATE detections SET body = 'x'").run(), /append-only/);
  db.close();
});
