// RFC 3161 trusted time for checkpoints (docs/verification.md), against a loopback TSA that
// answers with `openssl ts -reply`: a token verifies (openssl ts -verify,
// trailcase verify, docs/verify-case.py), a token for another checkpoint fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaseStore } from '../../electron/case/store.ts';
import { verifyCase } from '../../electron/case/verify.ts';
import { opensslTsVerify, timestampCheckpoint, timeStampRequest, tokenInfo } from '../../electron/case/timestamp.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { tempCase, type TempCase } from '../support/case.ts';
import { verifyCasePy, withTriggersRecreated } from '../support/forgery.ts';
import { startTsa, type LoopbackTsa } from '../support/tsa.ts';

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
const havePython = spawnSync('python3', ['--version']).status === 0;
if (!haveOpenssl) console.log('# time-stamp tests skipped: openssl is not installed');

let c: TempCase;
let tsa: LoopbackTsa;

before(async () => {
  if (!haveOpenssl) return;
  c = tempCase('time-stamped');
  tsa = await startTsa(join(c.dir, 'tsa'));
  await importPaths(c.store, c.signer, { sources: ['test/fixtures/stratus-red-team/detonation-logs'] }, { workers: 1 });
});
after(async () => {
  await tsa?.close();
  c?.cleanup();
});

test('the hand-built TimeStampReq is the DER openssl reads', { skip: !haveOpenssl && 'openssl missing' }, () => {
  const digest = Buffer.alloc(32, 0xab);
  const req = timeStampRequest(digest, Buffer.from('8000000000000001', 'hex'));
  const f = join(c.dir, 'req.tsq');
  writeFileSync(f, req);
  const r = spawnSync('openssl', ['ts', '-query', '-in', f, '-text'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Hash Algorithm: sha256/);
  assert.match(r.stdout, /ab ab ab ab/);
  assert.match(r.stdout, /Nonce: 0x8000000000000001/);
  assert.match(r.stdout, /Certificate required: yes/);
});

test('a checkpoint time-stamped by a loopback TSA verifies; a token for another checkpoint fails everywhere', { skip: !haveOpenssl && 'openssl missing' }, async () => {
  const before = tsa.requests;
  const t = await timestampCheckpoint(c.store, tsa.url, { caFile: tsa.caFile });
  assert.equal(tsa.requests, before + 1);
  const last = c.store.lastCheckpoint()!;
  assert.equal(t.checkpointSeq, last.seq);
  assert.match(t.genTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  const row = c.store.db.prepare('SELECT token FROM checkpoint_timestamps WHERE checkpoint_seq = ?').get(last.seq) as { token: Buffer };
  const body = Buffer.from((c.store.db.prepare('SELECT body FROM checkpoints WHERE seq = ?').get(last.seq) as { body: string }).body, 'utf8');
  assert.equal(opensslTsVerify(body, row.token, tsa.caFile), null, 'openssl ts -verify accepts the stored token');
  assert.notEqual(opensslTsVerify(Buffer.from('another checkpoint'), row.token, tsa.caFile), null, 'and refuses it for other data');
  assert.deepEqual(verifyCase(c.store).problems, []);

  // A token for another root: the first checkpoint's token filed under the last one.
  const first = await timestampCheckpoint(c.store, tsa.url, { seq: 1 });
  assert.equal(first.checkpointSeq, 1);
  c.store.close();
  if (havePython) {
    const good = verifyCasePy([c.path, '--tsa-ca', tsa.caFile]);
    assert.equal(good.status, 0, good.out);
    assert.match(good.out, new RegExp(`checkpoint ${last.seq}: time-stamped by ${tsa.url.replace(/[.]/g, '\\.')} at `));
  }
  const forged = join(c.dir, 'forged-ts.trailcase');
  copyFileSync(c.path, forged);
  withTriggersRecreated(forged, (db) => {
    const tok = db.prepare('SELECT token, gen_time FROM checkpoint_timestamps WHERE checkpoint_seq = 1').get() as { token: Buffer; gen_time: string };
    db.prepare("INSERT INTO checkpoint_timestamps(checkpoint_seq, tsa_url, digest, token, gen_time, received_at) VALUES (?, 'http://forger', 'x', ?, ?, 'now')").run(last.seq, tok.token, tok.gen_time);
  });
  const s = CaseStore.open(forged, { readonly: true });
  try {
    const v = verifyCase(s);
    assert.ok(v.problems.some((p) => p.where.startsWith('timestamp:') && p.message.includes(`not over checkpoint #${last.seq}`)), JSON.stringify(v.problems));
  } finally {
    s.close();
  }
  if (havePython) {
    const bad = verifyCasePy([forged, '--tsa-ca', tsa.caFile]);
    assert.equal(bad.status, 1, bad.out);
    assert.match(bad.out, new RegExp(`FAIL checkpoint_timestamps:checkpoint ${last.seq}: the token from http://forger does not time-stamp SHA-256`));
  }
  c.store = CaseStore.open(c.path);
});

test('a TSA that is not there, or not a TSA, leaves the checkpoint signed and says so', { skip: !haveOpenssl && 'openssl missing' }, async () => {
  await assert.rejects(timestampCheckpoint(c.store, 'http://127.0.0.1:1/tsa', { timeoutMs: 5000 }), /signed but not time-stamped/);
  await assert.rejects(timestampCheckpoint(c.store, 'ftp://example'), /http:\/\/ or https:\/\//);
  assert.throws(() => tokenInfo(Buffer.from('not a token')), /not an RFC 3161 token/);
  assert.deepEqual(verifyCase(c.store).problems, []);
});

test('trailcase import --tsa and report --tsa: the tokens are in the case, in the report folder and shown in the PDF', { skip: !haveOpenssl && 'openssl missing' }, async () => {
  const { cli: cliSync, examiner, PASS, ROOT } = await import('../report/helpers.ts');
  const { spawn } = await import('node:child_process');
  // The TSA answers in this process: the CLI must run without blocking its event loop.
  const cli = (args: string[], env: Record<string, string>) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((done) => {
      const p = spawn(process.execPath, [join(ROOT, 'electron', 'cli', 'trailcase.js'), ...args], { cwd: ROOT, env: { ...process.env, TRAILCASE_PASSPHRASE: PASS, ...env } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (code) => done({ status: code ?? -1, stdout, stderr }));
    });
  const { chromiumUnavailableReason } = await import('../../electron/report/pdf.ts');
  const ex = examiner('Tsa Examiner', c.dir);
  const path = join(c.dir, 'cli.trailcase');
  const env = { TRAILCASE_HOME: ex.home };
  assert.equal(cliSync(['new', path, '--title', 'tsa', '--examiner', ex.name], env).status, 0);
  const imp = await cli(['import', path, 'test/fixtures/stratus-red-team/detonation-logs', '--tsa', tsa.url, '--tsa-ca', tsa.caFile], env);
  assert.equal(imp.status, 0, imp.stderr);
  assert.match(imp.stderr, /Time-stamp: checkpoint #2 by http:\/\/127\.0\.0\.1:\d+\/tsa at \d{4}-/);
  const down = await cli(['import', path, 'test/fixtures/otrf-security-datasets', '--tsa', 'http://127.0.0.1:1/tsa'], env);
  assert.equal(down.status, 1, 'imported, but the time-stamp failed: said and exit 1');
  assert.match(down.stderr, /NOT TIME-STAMPED: .*signed but not time-stamped/);
  assert.equal(cliSync(['verify', path], env).status, 0);

  const skip = chromiumUnavailableReason();
  if (skip) {
    console.log(`# report --tsa part skipped: ${skip}`);
    return;
  }
  const out = join(c.dir, 'tsa-report');
  const rep = await cli(['report', path, '--out', out, '--tsa', tsa.url], env);
  assert.equal(rep.status, 0, rep.stderr);
  const m = JSON.parse((await import('node:fs')).readFileSync(join(out, 'manifest.json'), 'utf8'));
  const names: string[] = m.files.map((f: { name: string }) => f.name);
  const token = names.find((n) => new RegExp(`^checkpoint-${m.checkpoint.seq}-\\d+\\.tsr$`).test(n));
  assert.ok(token && names.includes(`checkpoint-${m.checkpoint.seq}.txt`), names.join(' '));
  const v = spawnSync('openssl', ['ts', '-verify', '-data', join(out, `checkpoint-${m.checkpoint.seq}.txt`), '-in', join(out, token!), '-token_in', '-CAfile', tsa.caFile], { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /Verification: OK/);
  const pdf = spawnSync('pdftotext', [join(out, 'report.pdf'), '-'], { encoding: 'utf8' });
  if (pdf.status === 0) assert.match(pdf.stdout.replace(/\s+/g, ' '), /RFC 3161 time-stamps over SHA-256 of the signed checkpoint text/);
  if (havePython) {
    const py = verifyCasePy([path, '--report', out, '--fingerprint', ex.signer.fingerprint, '--tsa-ca', tsa.caFile]);
    assert.equal(py.status, 0, py.out);
  }
  assert.equal(cliSync(['verify-report', out, '--fingerprint', ex.signer.fingerprint, '--case', path], env).status, 0);
});
