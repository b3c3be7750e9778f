// Sigma correlations (docs/queries.md, item 6): every form with a matching and a
// non-matching fixture (synthetic records, so the windows are exact), the
// sliding windows against a brute-force reference, the 8 bundled SigmaHQ
// rules that need correlations, and a correlation run through analyseCase on
// an imported case, citing the case's eventIDs.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AnalysisEvent, Finding } from '../../shared/analysis/findings.ts';
import { normalizeRecord } from '../../shared/record.ts';
import { loadBundledSigmaRules, SigmaHits, compileUserSigmaRules } from '../../electron/analysis/sigma/bundled.ts';
import { compileSigmaCollection, compileSigmaRule, type CompiledSigmaRule } from '../../electron/analysis/sigma/engine.ts';
import { analyseCase } from '../../electron/analysis/run.ts';
import { caseWith, tempDir } from './support.ts';

const T0 = Date.parse('2024-05-01T10:00:00Z');
let seq = 0;

/** A CloudTrail record at T0 + minutes. */
function rec(min: number, eventName: string, over: Record<string, any> = {}): Record<string, any> {
  seq++;
  return {
    eventVersion: '1.08',
    eventTime: new Date(T0 + min * 60_000).toISOString().replace('.000Z', 'Z'),
    eventSource: over.eventSource ?? 's3.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: over.ip ?? '198.51.100.7',
    userAgent: 'aws-cli/2.15',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAEXAMPLE', arn: `arn:aws:iam::111122223333:user/${over.user ?? 'mallory'}`, accountId: '111122223333', userName: over.user ?? 'mallory' },
    requestParameters: over.requestParameters ?? null,
    responseElements: null,
    eventID: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
  };
}

function events(records: Record<string, any>[]): AnalysisEvent[] {
  return records.map((r, i) => ({ leaf: i, eventId: r.eventID, timeMs: Date.parse(r.eventTime), record: r, n: normalizeRecord(r)! }));
}

/** Run rules over events the way the runner does (feed every event, read cited events back by leaf). */
function run(rules: CompiledSigmaRule[], evs: AnalysisEvent[]): Finding[] {
  const hits = new SigmaHits(rules);
  const warnings: string[] = [];
  const warn = (_u: string, _e: string | null, m: string) => warnings.push(m);
  for (const e of evs) rules.forEach((_, i) => hits.feed(i, e, warn));
  const byLeaf = new Map(evs.map((e) => [e.leaf, e]));
  const out = hits.findings({ locate: (leaves) => leaves.map((l) => byLeaf.get(l)!) }, warn);
  assert.deepEqual(warnings, []);
  return out;
}

function one(yaml: string): CompiledSigmaRule {
  const r = compileSigmaCollection([{ file: 'test.yml', text: yaml }]);
  assert.deepEqual(r.unsupported, []);
  assert.equal(r.rules.length, 1, `expected one runnable rule, got ${r.rules.map((x) => x.id)}`);
  return r.rules[0];
}

const head = (id: string, title = 'Test correlation') => `title: ${title}\nid: ${id}\nstatus: test\nauthor: Test\ndate: 2024-05-01\nlevel: high\ntags:\n  - attack.discovery\n  - attack.t1619\n`;
const aws = 'logsource:\n  product: aws\n  service: cloudtrail\n';

const legacyCount = (cond: string, timeframe = '5m') =>
  one(`${head('11111111-1111-4111-8111-111111111111')}${aws}detection:\n  selection:\n    eventSource: s3.amazonaws.com\n    eventName|startswith: 'List'\n  timeframe: ${timeframe}\n  condition: ${cond}\n`);

test('event_count (timeframe with count()): fires on more than N in the window, not on the same events spread out', () => {
  const rule = legacyCount('selection | count() > 2');
  assert.equal(rule.correlation?.type, 'event_count');
  const burst = events([rec(0, 'ListBuckets'), rec(1, 'ListObjects'), rec(4, 'ListBuckets'), rec(30, 'ListBuckets'), rec(2, 'GetObject')]);
  const f = run([rule], burst);
  assert.equal(f.length, 1);
  assert.deepEqual(f[0].eventIds, burst.slice(0, 3).map((e) => e.eventId), 'the three List calls within 5 minutes, not the late one or the GetObject');
  assert.match(f[0].explanation, /Correlation \(condition 'selection \| count\(\) > 2', timeframe 5m\): event_count: > 2 events within 5m; the busiest window held 3 events/);
  // Same calls 3 minutes apart: a 5-minute window never holds 3.
  assert.deepEqual(run([rule], events([rec(0, 'ListBuckets'), rec(3, 'ListBuckets'), rec(6, 'ListBuckets'), rec(9, 'ListBuckets')])), []);
});

test('a correlation cluster cites an event handed over twice once', () => {
  const rule = legacyCount('selection | count() > 2');
  const evs = events([rec(0, 'ListBuckets'), rec(1, 'ListObjects'), rec(2, 'ListBuckets'), rec(40, 'ListBuckets'), rec(41, 'ListBuckets'), rec(42, 'ListBuckets')]);
  // The second event fed again (the runner never does; the finding must not depend on it).
  const f = run([rule], [...evs.slice(0, 2), evs[1], ...evs.slice(2)]);
  assert.deepEqual(
    f.map((x) => x.eventIds),
    [evs.slice(0, 3).map((e) => e.eventId), evs.slice(3).map((e) => e.eventId)],
    'two windows, each event once',
  );
});

test('event_count by a field: counted per group', () => {
  const rule = legacyCount('selection | count() by sourceIPAddress > 2');
  assert.deepEqual(rule.correlation?.groupBy, ['sourceIPAddress']);
  const a = events([rec(0, 'ListBuckets', { ip: '203.0.113.1' }), rec(1, 'ListBuckets', { ip: '203.0.113.1' }), rec(2, 'ListBuckets', { ip: '203.0.113.1' }), rec(2, 'ListBuckets', { ip: '203.0.113.9' })]);
  const f = run([rule], a);
  assert.equal(f.length, 1);
  assert.equal(f[0].eventIds.length, 3);
  assert.match(f[0].explanation, /for sourceIPAddress = "203\.0\.113\.1"/);
  // Three calls, but from two addresses: no group reaches 3.
  assert.deepEqual(run([rule], events([rec(0, 'ListBuckets', { ip: '203.0.113.1' }), rec(1, 'ListBuckets', { ip: '203.0.113.1' }), rec(2, 'ListBuckets', { ip: '203.0.113.2' })])), []);
});

const baseRules = `${head('22222222-2222-4222-8222-222222222221', 'List call')}name: list_call\n${aws}detection:\n  selection:\n    eventName|startswith: List\n  condition: selection\n---\n${head('22222222-2222-4222-8222-222222222222', 'Policy read')}name: policy_read\n${aws}detection:\n  selection:\n    eventName: GetBucketPolicy\n  condition: selection\n`;

test('value_count correlation rule: distinct values per group within the timespan', () => {
  const yaml = `${head('33333333-3333-4333-8333-333333333333', 'Many kinds of listing')}correlation:\n  type: value_count\n  rules:\n    - list_call\n  group-by:\n    - userIdentity.arn\n  timespan: 10m\n  condition:\n    field: eventName\n    gte: 3\n---\n${baseRules}`;
  const r = compileSigmaCollection([{ file: 'multi.yml', text: yaml }]);
  assert.deepEqual(r.unsupported, []);
  // The referenced rules do not report on their own (no `generate: true`); the unreferenced one does.
  assert.deepEqual(r.rules.map((x) => x.id).sort(), ['22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333']);
  const rule = r.rules.find((x) => x.correlation)!;
  const f = run([rule], events([rec(0, 'ListBuckets'), rec(2, 'ListObjects'), rec(3, 'ListBuckets'), rec(9, 'ListAccessPoints'), rec(1, 'ListBuckets', { user: 'alice' })]));
  assert.equal(f.length, 1);
  assert.equal(f[0].eventIds.length, 4, "mallory's four List calls (three kinds); alice's call is another group");
  assert.match(f[0].explanation, /3 distinct values of eventName/);
  // Many calls, one kind: one distinct value.
  assert.deepEqual(run([rule], events([rec(0, 'ListBuckets'), rec(1, 'ListBuckets'), rec(2, 'ListBuckets'), rec(3, 'ListBuckets')])), []);
});

test('temporal correlation rule: every referenced rule seen within the timespan, same group', () => {
  const yaml = `${head('44444444-4444-4444-8444-444444444444', 'List then policy read')}correlation:\n  type: temporal\n  rules:\n    - list_call\n    - policy_read\n  group-by:\n    - userIdentity.arn\n  timespan: 5m\n---\n${baseRules}`;
  const r = compileSigmaCollection([{ file: 'multi.yml', text: yaml }]);
  assert.deepEqual(r.unsupported, []);
  const rule = r.rules.find((x) => x.correlation)!;
  assert.equal(r.rules.length, 1, 'both referenced rules are consumed by the correlation');
  const f = run([rule], events([rec(0, 'ListBuckets'), rec(3, 'GetBucketPolicy')]));
  assert.equal(f.length, 1);
  assert.equal(f[0].eventIds.length, 2);
  // Ten minutes apart, or by different principals: no.
  assert.deepEqual(run([rule], events([rec(0, 'ListBuckets'), rec(10, 'GetBucketPolicy')])), []);
  assert.deepEqual(run([rule], events([rec(0, 'ListBuckets'), rec(1, 'GetBucketPolicy', { user: 'alice' })])), []);
});

test('correlation rules across files of one folder; bad correlations are named', () => {
  const corr = `${head('55555555-5555-4555-8555-555555555555', 'Burst')}correlation:\n  type: event_count\n  rules:\n    - list_call\n  group-by: []\n  timespan: 1m\n  condition:\n    gt: 1\n`;
  const ok = compileUserSigmaRules([
    { file: 'corr.yml', text: corr },
    { file: 'base.yml', text: baseRules },
  ]);
  assert.deepEqual(ok.unsupported, []);
  assert.equal(ok.files.length, 2);
  assert.ok(ok.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256)));
  const bad = (c: string) => compileSigmaCollection([{ file: 'c.yml', text: `${head('66666666-6666-4666-8666-666666666666')}correlation:\n${c}\n---\n${baseRules}` }]).unsupported.map((u) => `${u.file}: ${u.reason}`).join('\n');
  assert.match(bad('  type: event_count\n  rules: [nope]\n  timespan: 1m\n  condition: {gt: 1}'), /^c\.yml: rule 'nope' is not in this rule set/);
  assert.match(bad('  type: temporal_ordered\n  rules: [list_call]\n  timespan: 1m'), /correlation type 'temporal_ordered' is not supported/);
  assert.match(bad('  type: event_count\n  rules: [list_call]\n  timespan: 1 hour\n  condition: {gt: 1}'), /timespan '1 hour' is not a number followed by s, m, h or d/);
  assert.match(bad('  type: event_count\n  rules: [list_call]\n  timespan: 1h'), /needs a condition/);
  assert.match(bad('  type: value_count\n  rules: [list_call]\n  timespan: 1h\n  condition: {gt: 1}'), /names the counted field/);
  assert.match(bad('  type: event_count\n  rules: [list_call]\n  timespan: 1h\n  condition: {most: 1}'), /unknown correlation condition 'most'/);
});

test('near (no timeframe: the whole case) and a timeframe over two selections (the bundled SES rule)', () => {
  const { rules } = loadBundledSigmaRules();
  const lambda = rules.find((r) => r.file!.endsWith('aws_lambda_function_created_or_invoked.yml'))!;
  const ses = rules.find((r) => r.file!.endsWith('aws_ses_messaging_enabled.yml'))!;
  const L = { eventSource: 'lambda.amazonaws.com' };
  const f = run([lambda], events([rec(0, 'CreateFunction', L), rec(600, 'Invoke', L)]));
  assert.equal(f.length, 1);
  assert.equal(f[0].eventIds.length, 2);
  assert.match(f[0].explanation, /anywhere in the case \(the rule sets no timeframe\)/);
  assert.deepEqual(run([lambda], events([rec(0, 'CreateFunction', L), rec(5, 'CreateFunction', L)])), [], 'created, never invoked');
  const S = { eventSource: 'ses.amazonaws.com' };
  assert.equal(run([ses], events([rec(0, 'UpdateAccountSendingEnabled', S), rec(4, 'VerifyEmailIdentity', S)])).length, 1);
  assert.deepEqual(run([ses], events([rec(0, 'UpdateAccountSendingEnabled', S), rec(6, 'VerifyEmailIdentity', S)])), [], 'six minutes apart; the rule says 5m');
});

test('the 8 bundled rules SigmaHQ files as unsupported all run: storage enumeration fires on 6 calls in 10 minutes, not on 5', () => {
  const { rules } = loadBundledSigmaRules();
  const correlated = rules.filter((r) => r.correlation);
  assert.equal(correlated.length, 8);
  assert.ok(correlated.every((r) => r.file!.startsWith('unsupported/cloud/')));
  const storage = rules.find((r) => r.file!.endsWith('aws_enum_storage.yml'))!;
  const names = ['ListBuckets', 'GetBucketCors', 'GetBucketPolicy', 'GetBucketTagging', 'GetBucketPublicAccessBlock', 'GetBucketMetricsConfiguration'];
  assert.equal(run([storage], events(names.map((n, i) => rec(i, n)))).length, 1);
  assert.deepEqual(run([storage], events(names.slice(0, 5).map((n, i) => rec(i, n)))), []);
  const macie = rules.find((r) => r.file!.endsWith('aws_macic_evasion.yml'))!;
  const M = (ip: string) => ({ eventSource: 'macie2.amazonaws.com', ip });
  assert.equal(run([macie], events([0, 1, 2, 3, 4, 5].map((i) => rec(i, 'ArchiveFindings', M('203.0.113.5'))))).length, 1);
  assert.deepEqual(run([macie], events([0, 1, 2, 3, 4, 5].map((i) => rec(i, 'ArchiveFindings', M(`203.0.113.${i % 2}`))))), [], 'six calls from two addresses: three each');
});

test('sliding windows agree with a brute-force reference on random events', () => {
  let s = 42;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (const [cond, tf] of [['selection | count() > 3', '5m'], ['selection | count() by sourceIPAddress >= 2', '2m'], ['selection | count() <= 1', '3m']] as const) {
    const rule = legacyCount(cond, tf);
    const span = Number(tf.slice(0, -1)) * 60_000;
    const recs = Array.from({ length: 200 }, () => rec(Math.floor(rand() * 600), rand() < 0.8 ? 'ListBuckets' : 'GetObject', { ip: `203.0.113.${Math.floor(rand() * 3)}` }));
    const evs = events(recs);
    const got = new Set(run([rule], evs).flatMap((f) => f.eventIds));
    // Reference: an event is cited when some window [t, t + span] starting at an event of its group contains it and fires.
    const sel = evs.filter((e) => e.record.eventName.startsWith('List'));
    const key = (e: AnalysisEvent) => (rule.correlation!.groupBy.length ? e.record.sourceIPAddress : '');
    const want = new Set<string>();
    for (const a of sel) {
      const win = sel.filter((b) => key(b) === key(a) && b.timeMs! >= a.timeMs! && b.timeMs! - a.timeMs! <= span);
      const n = win.length;
      const c = rule.correlation!.condition!;
      const holds = (c.gt === undefined || n > c.gt) && (c.gte === undefined || n >= c.gte) && (c.lte === undefined || n <= c.lte);
      if (holds) for (const b of win) want.add(b.eventId);
    }
    assert.deepEqual([...got].sort(), [...want].sort(), cond);
    assert.ok(want.size > 0, `the random fixture exercises ${cond}`);
  }
});

test('through analyseCase on an imported case: findings cite the case eventIDs; events without a time are reported', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'logs'));
  const recs = [rec(0, 'ListBuckets'), rec(1, 'ListObjects'), rec(2, 'ListBuckets'), rec(50, 'ListBuckets'), rec(51, 'GetObject')];
  writeFileSync(join(dir, 'logs', 'burst.json'), JSON.stringify({ Records: recs }));
  const c = await caseWith([join(dir, 'logs')]);
  try {
    const user = compileUserSigmaRules([{ file: 'burst.yml', text: `${head('77777777-7777-4777-8777-777777777777', 'List burst')}${aws}detection:\n  selection:\n    eventName|startswith: List\n  timeframe: 5m\n  condition: selection | count() >= 3\n` }]);
    assert.deepEqual(user.unsupported, []);
    const r = await analyseCase(c.store, { checks: [], sigma: user });
    assert.deepEqual(r.warnings, []);
    assert.equal(r.findings.length, 1);
    assert.deepEqual(r.findings[0].eventIds, recs.slice(0, 3).map((x) => x.eventID));
    assert.match(r.findings[0].attribution!, /examiner-supplied rule file burst\.yml \(SHA-256 [0-9a-f]{64}\)/);
    assert.deepEqual(r.sigmaFiles.map((f) => f.file), ['burst.yml']);
  } finally {
    c.cleanup();
  }
});

test('single-rule API keeps refusing what it cannot run alone', () => {
  const r = compileSigmaRule(`${head('88888888-8888-4888-8888-888888888888')}correlation:\n  type: event_count\n  rules: [x]\n  timespan: 1m\n  condition: {gt: 1}\n`, 'c.yml');
  assert.equal(r.ok, false);
  assert.match((r as { reason: string }).reason, /^c\.yml: a correlation rule names other rules/);
});
