// The CLI as a user runs it: real child processes, exit codes, --json on stdout,
// one-line errors on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../support/case.ts';

const dir = tempDir('trailcase-cli-');
const home = join(dir, 'home');
const env = { ...process.env, TRAILCASE_HOME: home, TRAILCASE_PASSPHRASE: 'cli-passphrase-1' };
const cli = (...args: string[]) => spawnSync(process.execPath, ['electron/cli/trailcase.js', ...args], { env, encoding: 'utf8' });
const casePath = join(dir, 'c.trailcase');

test('keygen, new, import, info, search, verify, note, custody', () => {
  let r = cli('keygen', '--examiner', 'Dana Examiner');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /fingerprint [0-9a-f]{64}/);
  r = cli('keygen', '--examiner', 'Dana Examiner');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /refusing to overwrite/);
  assert.ok(!r.stderr.includes('    at '), 'no stack trace');

  r = cli('new', casePath, '--title', 'CLI case', '--since', '2024-07-01', '--suspect', 'AKIAOZUDECYXYM4ONAN4', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).title, 'CLI case');

  r = cli('import', casePath, 'test/fixtures/stratus-red-team/detonation-logs', '--json');
  assert.equal(r.status, 0, r.stderr);
  const sum = JSON.parse(r.stdout);
  assert.equal(sum.events, 310);
  assert.equal(sum.objects, 35);
  assert.ok(!existsSync(casePath + '-wal') && !existsSync(casePath + '-shm'), 'a closed case is one file');

  r = cli('info', casePath, '--json');
  const info = JSON.parse(r.stdout);
  assert.equal(info.counts.events, 310);
  assert.deepEqual(info.scope.suspectedCredentials, ['AKIAOZUDECYXYM4ONAN4']);

  r = cli('search', casePath, '--ip', '075.050.255.0/24', '--event', 'CreateUser', '--json');
  assert.equal(r.status, 0, r.stderr);
  const found = JSON.parse(r.stdout);
  assert.ok(found.events.length >= 1);
  for (const e of found.events) {
    for (const k of ['eventId', 'eventTime', 'eventName', 'eventSource', 'awsRegion', 'sourceIPAddress', 'userAgent', 'accessKeyId', 'principalArn']) assert.ok(k in e, k);
    assert.equal(e.eventName, 'CreateUser');
  }
  r = cli('search', casePath, '--key', 'AKIAOZUDECYXYM4ONAN4', '--since', '2024-08-01T13:00:00Z', '--until', '2024-08-01T14:00:00Z', '--json');
  const byKey = JSON.parse(r.stdout);
  assert.ok(byKey.total > 0);
  const times = byKey.events.map((e: any) => e.eventTime);
  assert.deepEqual(times, [...times].sort(), 'time order');

  r = cli('verify', casePath);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^INTACT/);

  r = cli('note', casePath, 'Reviewed', 'the', 'detonation', '--target', 'event:abc');
  assert.equal(r.status, 0, r.stderr);
  r = cli('custody', casePath, '--json');
  const log = JSON.parse(r.stdout).items;
  assert.deepEqual(log.map((e: any) => e.action).slice(0, 3), ['case.created', 'import.started', 'import.completed']);
  assert.ok(log.some((e: any) => e.action === 'verify' && e.details.ok === true));
  assert.ok(log.some((e: any) => e.action === 'note' && e.details.text === 'Reviewed the detonation'));
});

test('verify exits 1 on a damaged case and names what is wrong', () => {
  const db = new Database(casePath);
  db.exec('DROP TRIGGER evidence_chunks_no_update');
  const row = db.prepare('SELECT id, data FROM evidence_chunks LIMIT 1').get() as { id: number; data: Buffer };
  const d = Buffer.from(row.data);
  d[10] ^= 0xff;
  db.prepare('UPDATE evidence_chunks SET data = ? WHERE id = ?').run(d, row.id);
  db.close();
  const r = cli('verify', casePath);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /DAMAGED/);
  assert.match(r.stdout, /evidence:1: .*SHA-256/);
  assert.match(r.stdout, /schema:trigger:evidence_chunks_no_update/);
});

test('errors are one clear line and a non-zero exit', () => {
  for (const [args, re] of [
    [['info', join(dir, 'nope.trailcase')], /no case file at/],
    [['info', 'package.json'], /not a TrailCase case file/],
    [['search', casePath, '--limit', 'x'], /--limit must be/],
    [['search', casePath, '--bogus'], /Unknown option/],
    [['import', casePath], /nothing to import/],
    [['frobnicate'], /unknown command/],
  ] as [string[], RegExp][]) {
    const r = cli(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, re);
    assert.ok(r.stderr.trim().split('\n').length <= 2, `short error for ${args.join(' ')}: ${r.stderr}`);
  }
});
