// Display integrity in the CLI's text output (docs/architecture.md, "Display integrity"), on a small hostile
// case (test/support/hostile.ts): search, findings and pivot print the RLO and
// zero-width names with visible escapes (a terminal obeys bidi controls too),
// shorten the 2 MB user agent with its length; --json stays exact JSON.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { analyseCase } from '../../electron/analysis/run.ts';
import { recordRun } from '../../electron/analysis/runs.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { PASSPHRASE, tempCase, type TempCase } from '../support/case.ts';
import { ATTACKER_IP, IDS, LONG_UA, RLO_USER, writeHostileTrail, ZW_USER } from '../support/hostile.ts';

let c: TempCase;
let cli: (...args: string[]) => { status: number | null; stdout: string; stderr: string };

before(async () => {
  c = tempCase('Hostile names');
  await importPaths(c.store, c.signer, { sources: [writeHostileTrail(c.dir)] }, { workers: 1 });
  recordRun(c.store, c.signer.examiner, await analyseCase(c.store));
  c.store.close();
  const env = { ...process.env, TRAILCASE_HOME: c.home, TRAILCASE_PASSPHRASE: PASSPHRASE };
  cli = (...args) => spawnSync(process.execPath, ['electron/cli/trailcase.js', ...args], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
});

after(() => c?.cleanup());

const RAW = /[\u202A-\u202E\u2066-\u2069\u200B-\u200F]/;

test('search prints escapes, the address after the RLO name, and no raw control', () => {
  const r = cli('search', c.path);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, RAW);
  const line = r.stdout.split('\n').find((l) => l.includes(IDS.stopLogging))!;
  assert.match(line, /user\/admin⟨U\+202E⟩txt\.exe/);
  assert.match(r.stdout, /user\/backup⟨U\+200B⟩-svc/);
  assert.match(r.stdout.split('\n').find((l) => l.includes(IDS.createUser))!, new RegExp(`${ATTACKER_IP.replace(/\./g, '\\.')}.*admin⟨U\\+202E⟩txt\\.exe`));
  // --json keeps the exact values.
  const j = cli('search', c.path, '--json');
  assert.equal(j.status, 0, j.stderr);
  const events = JSON.parse(j.stdout).events as { eventId: string; userName: string | null; userAgent: string | null }[];
  assert.equal(events.find((e) => e.eventId === IDS.stopLogging)!.userName, RLO_USER);
  assert.equal(events.find((e) => e.eventId === IDS.zeroWidth)!.userName, ZW_USER);
  assert.equal(events.find((e) => e.eventId === IDS.longUa)!.userAgent, LONG_UA);
});

test('findings print the names escaped', () => {
  const r = cli('findings', c.path);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, RAW);
  assert.match(r.stdout, /IAM user backup⟨U\+200B⟩-svc created/);
});

test('pivot from the RLO user prints escapes; a long user agent is shortened with its length', () => {
  const r = cli('pivot', c.path, '--principal', `arn:aws:iam::111122223333:user/${RLO_USER}`);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, RAW);
  assert.match(r.stdout, /admin⟨U\+202E⟩txt\.exe/);
  const ua = cli('pivot', c.path, '--ip', '192.0.2.10');
  assert.equal(ua.status, 0, ua.stderr);
  assert.ok(ua.stdout.length < 50_000, `pivot text is ${ua.stdout.length} characters`);
  const hits = cli('ioc', c.path, 'add', '--type', 'user-agent', LONG_UA.slice(0, 2000));
  assert.equal(hits.status, 0, hits.stderr);
  assert.match(hits.stdout, /…\(2,000 chars\)/);
  assert.doesNotMatch(hits.stdout, /A{300}/);
});
