// `trailcase query` and `trailcase search --q` as a user runs them (docs/queries.md):
// every row streamed in each format, no row limit, the run summary on stderr,
// one-line errors, hostile values escaped on a terminal and in CSV.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { tempDir } from '../support/case.ts';

const dir = tempDir('trailcase-query-cli-');
const env = { ...process.env, TRAILCASE_HOME: join(dir, 'home'), TRAILCASE_PASSPHRASE: 'cli-passphrase-1', TRAILCASE_EXAMINER: 'Dana Examiner' };
const cli = (...args: string[]) => spawnSync(process.execPath, ['electron/cli/trailcase.js', ...args], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
const casePath = join(dir, 'c.trailcase');

test('query and search --q stream every row in text, CSV, JSON and NDJSON, on the record', () => {
  assert.equal(cli('keygen', '--examiner', 'Dana Examiner').status, 0);
  assert.equal(cli('new', casePath, '--title', 'q').status, 0);
  // A hostile record: a formula, a terminal escape and a line break in user-chosen fields.
  const hostile = join(dir, 'hostile');
  mkdirSync(hostile);
  writeFileSync(
    join(hostile, 'h.json'),
    JSON.stringify({ Records: [{ eventVersion: '1.08', eventID: 'aaaaaaaa-0000-4000-8000-000000000001', eventTime: '2024-07-31T10:00:00Z', eventName: 'GetObject', eventSource: 's3.amazonaws.com', awsRegion: 'us-east-1', sourceIPAddress: '192.0.2.9', userAgent: '=HYPERLINK("http://x")\u001b[31mred\nnext', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/eve' } }] }),
  );
  assert.equal(cli('import', casePath, 'test/fixtures/stratus-red-team/detonation-logs', hostile).status, 0);

  let r = cli('query', casePath, 'SELECT leaf, eventName FROM events ORDER BY leaf', '--ndjson');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 311);
  assert.deepEqual(Object.keys(lines[0]), ['leaf', 'eventName']);
  assert.match(r.stderr, /^311 rows {2}sha256 [0-9a-f]{64} {2}DuckDB v[\d.]+ {2}tree 311 {2}custody #\d+/);

  r = cli('query', casePath, 'SELECT leaf, eventName FROM events ORDER BY leaf', '--json');
  const j = JSON.parse(r.stdout);
  assert.equal(j.rows.length, 311);
  assert.equal(j.rowCount, 311);
  assert.match(j.resultSha256, /^[0-9a-f]{64}$/);
  assert.equal(j.threads, 2);
  assert.deepEqual(j.volatile, []);
  assert.ok(!r.stderr.includes('warning'), r.stderr);

  // A list per group runs on one thread; a query that reads the clock is answered with a warning.
  r = cli('query', casePath, 'SELECT eventSource, list(eventName) AS names FROM events WHERE eventTime < now() GROUP BY 1', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).threads, 1);
  assert.deepEqual(JSON.parse(r.stdout).volatile, ['now']);
  assert.match(r.stderr, /\nwarning: this query reads now\(\), which changes from one run to the next: running it again, here or on the handed-over case, can give another answer and another result hash/);

  r = cli('query', casePath, "SELECT userAgent FROM events WHERE userIdentity.arn LIKE '%user/eve'", '--csv');
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.startsWith("userAgent\r\n\"'=HYPERLINK"), 'formula defused and quoted in CSV');

  r = cli('query', casePath, "SELECT userAgent FROM events WHERE userIdentity.arn LIKE '%user/eve'");
  assert.ok(!r.stdout.includes('\u001b'), 'no terminal escape reaches the terminal');
  assert.ok(r.stdout.includes('⟨U+001B⟩[31mred⟨U+000A⟩next'), r.stdout); // the shared display rule (shared/text/display.ts)

  r = cli('search', casePath, '--q', 'eventSource:ssm.amazonaws.com NOT errorCode:*', '--ndjson');
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.trim().split('\n').length > 50);
  assert.match(r.stderr, /SQL: SELECT .* ILIKE \? .*params: \["ssm\.amazonaws\.com","%"\]/);

  r = cli('search', casePath, '--q', 'eventName:(');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /^trailcase search: error: .*\(at column \d+\)\n$/);

  r = cli('query', casePath, "COPY events TO 'x.csv'");
  assert.notEqual(r.status, 0);
  assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, 'one line');

  r = cli('query', casePath, '--save', 'ssm', '--search', 'eventSource:ssm.amazonaws.com', '--notes', 'SSM activity');
  assert.equal(r.status, 0, r.stderr);
  r = cli('query', casePath, '--list');
  assert.match(r.stdout, /ssm {2}\[search\] {2}eventSource:ssm\.amazonaws\.com {2}— SSM activity/);
  r = cli('query', casePath, '--saved', 'ssm', '--ndjson');
  assert.equal(r.status, 0, r.stderr);

  // Times with a zone are UTC whatever the examiner's machine says (TZ), so the answer is the same for everyone.
  const tzSql = "SELECT date_trunc('day', CAST(eventTime AS TIMESTAMPTZ)) AS day, strftime(CAST(eventTime AS TIMESTAMPTZ), '%H') AS h, count(*) AS n FROM events GROUP BY 1, 2";
  const inZone = (tz: string) => spawnSync(process.execPath, ['electron/cli/trailcase.js', 'query', casePath, tzSql, '--json'], { env: { ...env, TZ: tz }, encoding: 'utf8', maxBuffer: 1 << 26 });
  const tokyo = inZone('Asia/Tokyo');
  const utc = inZone('UTC');
  assert.equal(tokyo.status, 0, tokyo.stderr);
  assert.equal(JSON.parse(tokyo.stdout).resultSha256, JSON.parse(utc.stdout).resultSha256);
  assert.match(JSON.parse(tokyo.stdout).rows[0][0], /^\d{4}-\d\d-\d\dT00:00:00Z$/, "a UTC day, in the canonical form of a time");

  // A query text with terminal escapes, a bidi override, a zero-width space, a line break, a formula and a long tail.
  const hostileText = `SELECT 1 AS "\u001b[31m\u202Egnp.exe\u200B\n=HYPERLINK(1)${'x'.repeat(5000)}"`;
  assert.equal(cli('query', casePath, hostileText).status, 0);

  // Every logged query run again: the clock query is not repeatable, the rest give their hashes (exit 0).
  r = cli('query', casePath, '--recheck');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^#\d+ {2}NOT-REPEATABLE .*\n {6}it reads now\(\)/m);
  assert.match(r.stdout, /\n\d+ query runs checked: \d+ same, 0 different, 1 not repeatable, 0 over other events, 0 failed\n$/);
  assert.ok(!['\u001b', '\u202E', '\u200B'].some((ch) => r.stdout.includes(ch)), 'no escape, bidi or zero-width character reaches the terminal');
  const hostileLine = r.stdout.split('\n').find((l) => l.includes('gnp.exe'))!;
  assert.ok(hostileLine.includes('⟨U+001B⟩[31m⟨U+202E⟩gnp.exe⟨U+200B⟩⟨U+000A⟩=HYPERLINK(1)'), hostileLine);
  assert.ok(hostileLine.length < 400, 'the long text is shortened on its line');
  r = cli('query', casePath, '--recheck', 'x');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--recheck takes custody entry numbers/);

  r = cli('custody', casePath, '--json');
  const actions = JSON.parse(r.stdout).items.map((e: { action: string }) => e.action);
  assert.ok(actions.filter((a: string) => a === 'query.run').length >= 6);
  assert.ok(actions.includes('query.derived-built') && actions.includes('query.saved'));
  assert.equal(cli('verify', casePath).status, 0);
});
