// Single-file handoff (docs/verification.md): export to a second examiner (own
// TRAILCASE_HOME and key) and back, each side verifying before accepting; an
// altered, truncated, swapped or later-modified handoff file is refused with a
// message saying what failed.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeContext } from '../../electron/api/context.ts';
import { BadRequest, dispatch } from '../../electron/api/handlers.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { verifyCase } from '../../electron/case/verify.ts';
import { exportCase, HandoffRefused, receiveCase, sha256File } from '../../electron/report/handoff.ts';
import type { ExportSummary } from '../../shared/api/report.ts';
import { alterEvidence, cli, examiner, have, stratusCase, type Examiner } from './helpers.ts';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-handoff-'));
let alice: Examiner;
let bob: Examiner;
const source = join(dir, 'alice.trailcase');
const toBob = join(dir, 'to-bob.trailcase');
let sent: ExportSummary;

before(async () => {
  alice = examiner('Alice Examiner', dir);
  bob = examiner('Bob Reviewer', dir);
  const store = await stratusCase(source, alice);
  try {
    sent = await exportCase(store, alice.signer, { out: toBob, to: 'Bob Reviewer', reason: 'peer review' });
  } finally {
    store.close();
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

function custody(path: string): { seq: number; actor: string; action: string; details: any }[] {
  const s = CaseStore.open(path, { readonly: true });
  try {
    return (s.db.prepare('SELECT seq, actor, action, details FROM custody ORDER BY seq').all() as any[]).map((r) => ({ ...r, details: JSON.parse(r.details) }));
  } finally {
    s.close();
  }
}

test('export writes one self-contained file ending in a signed handoff checkpoint, logged in both cases', async () => {
  assert.ok(existsSync(toBob), 'existsSync(toBob)');
  for (const side of ['-wal', '-shm', '-journal', '.partial']) assert.ok(!existsSync(toBob + side), `${side} left behind`);
  assert.equal(readFileSync(toBob).subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
  // Header bytes 18/19 = 1: rollback journal, not WAL (a WAL file would need its -wal beside it).
  const hdr = readFileSync(toBob).subarray(18, 20);
  assert.deepEqual([...hdr], [1, 1]);
  assert.equal(await sha256File(toBob), sent.sha256);

  const inFile = custody(toBob);
  const transfer = inFile.find((e) => e.action === 'handoff.exported');
  assert.ok(transfer, 'the transfer entry travels in the exported file');
  assert.deepEqual([transfer.details.to, transfer.details.reason, transfer.details.fromFingerprint], ['Bob Reviewer', 'peer review', alice.signer.fingerprint]);
  assert.equal(inFile[inFile.length - 1].action, 'handoff.exported', 'nothing after the transfer in the file');

  const inSource = custody(source);
  assert.ok(inSource.some((e) => e.action === 'handoff.exported' && e.seq === sent.handoffSeq), 'inSource.some((e) => e.action === handoff.exported && e.seq === sent.handoffSeq)');
  const rec = inSource.find((e) => e.action === 'handoff.file');
  assert.equal(rec?.details.sha256, sent.sha256, 'the source case records the file hash');

  const f = CaseStore.open(toBob, { readonly: true });
  try {
    const v = verifyCase(f);
    assert.ok(v.ok, JSON.stringify(v.problems));
    const cp = f.lastCheckpoint()!;
    assert.equal(cp.seq, sent.checkpoint.seq);
    assert.equal(cp.custodySeq, transfer.seq);
    assert.equal(cp.keyFingerprint, alice.signer.fingerprint);
    assert.equal(cp.reason, 'handoff to Bob Reviewer');
  } finally {
    f.close();
  }
});

test('handoff to a second examiner and back verifies at every step', async () => {
  const work = join(dir, 'round-trip.trailcase');
  copyFileSync(toBob, work);
  // Bob receives with his own key.
  const got = await receiveCase(work, bob.signer, { examiner: 'Bob Reviewer', expectSha256: sent.sha256 });
  assert.equal(got.sha256AtReceipt, sent.sha256);
  assert.deepEqual(got.from, { examiner: 'Alice Examiner', keyFingerprint: alice.signer.fingerprint });
  assert.equal(got.verified.events, 310);
  const c1 = custody(work);
  const acc = c1.find((e) => e.seq === got.acceptanceSeq)!;
  assert.equal(acc.action, 'handoff.received');
  assert.equal(acc.actor, 'Bob Reviewer');
  assert.equal(acc.details.keyFingerprint, bob.signer.fingerprint);
  assert.ok(c1.some((e) => e.action === 'key.added' && e.details.fingerprint === bob.signer.fingerprint), 'c1.some((e) => e.action === key.added && e.details.fingerprint === bob.signer.fingerprint)');

  // Bob works on it, then hands it back.
  const s = CaseStore.open(work);
  let back: ExportSummary;
  const backFile = join(dir, 'back-to-alice.trailcase');
  try {
    s.db.transaction(() => s.appendCustody('Bob Reviewer', 'note', { target: 'case', text: 'review done' }))();
    back = await exportCase(s, bob.signer, { out: backFile, to: 'Alice Examiner', reason: 'review returned' });
  } finally {
    s.close();
  }
  const home = await receiveCase(backFile, alice.signer, { examiner: 'Alice Examiner', expectSha256: back.sha256 });
  assert.deepEqual(home.from, { examiner: 'Bob Reviewer', keyFingerprint: bob.signer.fingerprint });

  const f = CaseStore.open(backFile, { readonly: true });
  try {
    const v = verifyCase(f);
    assert.ok(v.ok, JSON.stringify(v.problems));
    const keys = (f.db.prepare('SELECT fingerprint FROM keys ORDER BY fingerprint').all() as { fingerprint: string }[]).map((k) => k.fingerprint);
    assert.deepEqual(keys, [alice.signer.fingerprint, bob.signer.fingerprint].sort());
    const signers = new Set((f.db.prepare('SELECT key_fingerprint FROM checkpoints').all() as { key_fingerprint: string }[]).map((r) => r.key_fingerprint));
    assert.deepEqual([...signers].sort(), [alice.signer.fingerprint, bob.signer.fingerprint].sort());
    assert.equal(f.lastCheckpoint()!.reason, 'handoff accepted by Alice Examiner');
  } finally {
    f.close();
  }
  const actions = custody(backFile).map((e) => `${e.actor}:${e.action}`);
  const chain = actions.filter((a) => /handoff\.(exported|received)/.test(a));
  assert.deepEqual(chain, ['Alice Examiner:handoff.exported', 'Bob Reviewer:handoff.received', 'Bob Reviewer:handoff.exported', 'Alice Examiner:handoff.received']);
});

async function refused(file: string, re: RegExp, opts: { expectSha256?: string } = {}) {
  await assert.rejects(receiveCase(file, bob.signer, { examiner: 'Bob Reviewer', ...opts }), (e: any) => {
    assert.ok(e instanceof HandoffRefused, `not a refusal: ${e.message}`);
    assert.equal(e.exitCode, 1);
    assert.match(e.message, re);
    return true;
  });
}

test('an altered handoff file is refused, saying what failed, and left unchanged', async () => {
  // Evidence bytes changed behind TrailCase's back.
  const a = join(dir, 'altered-evidence.trailcase');
  copyFileSync(toBob, a);
  alterEvidence(a, 4);
  const before = await sha256File(a);
  await refused(a, /^refused .*: it does not verify \(\d+ problems: .*evidence:4: evidence item 4 .* the bytes were altered/);
  assert.equal(await sha256File(a), before, 'a refused file is not written to');

  // A custody entry rewritten (triggers dropped, then re-created so they look intact).
  const c = join(dir, 'altered-custody.trailcase');
  copyFileSync(toBob, c);
  const db = new Database(c);
  const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'custody_no_update'").get() as { sql: string }).sql;
  db.exec('DROP TRIGGER custody_no_update');
  db.prepare("UPDATE custody SET details = replace(details, 'peer review', 'peer-review') WHERE action = 'handoff.exported'").run();
  db.exec(sql);
  db.close();
  await refused(c, /custody:\d+: custody entry \d+ \(handoff\.exported\) was altered/);

  // Raw bytes flipped in the middle of the file: whatever page it hits, the file is refused, never a crash.
  const r = join(dir, 'flipped.trailcase');
  const bytes = readFileSync(toBob);
  // Flip inside an evidence record: find the text of a known event name in the file.
  const at = bytes.indexOf(Buffer.from('"eventName": "StopLogging"')) + 15;
  assert.ok(at > 14, 'at > 14');
  bytes[at] ^= 0x20; // 'S' -> 's'
  writeFileSync(r, bytes);
  await refused(r, /^refused .*: (it does not verify|verification could not run)/);

  // Truncated in transit.
  const t = join(dir, 'truncated.trailcase');
  copyFileSync(toBob, t);
  truncateSync(t, Math.floor(readFileSync(t).length / 2));
  await refused(t, /^refused /);

  // Not the file the sender announced.
  await refused(toBob, /its SHA-256 is [0-9a-f]{64}, the sender announced 0{64}/, { expectSha256: '0'.repeat(64) });

  // Not a case at all.
  const junk = join(dir, 'junk.trailcase');
  writeFileSync(junk, 'not a database');
  await refused(junk, /not a TrailCase case file/);
});

test('a handoff file changed after its handoff checkpoint is refused', async () => {
  const m = join(dir, 'modified-after.trailcase');
  copyFileSync(toBob, m);
  const s = CaseStore.open(m);
  s.db.transaction(() => s.appendCustody('Someone', 'note', { text: 'added in transit' }))();
  s.close();
  await refused(m, /changed after its last signed checkpoint/);
  // And a plain case that was never exported is not taken as a handoff.
  await refused(source, /no handoff entry|changed after its last signed checkpoint/);
});

test('receive checks the examiner name against the key, and the CLI exits 1 on refusal', async () => {
  const w = join(dir, 'name.trailcase');
  copyFileSync(toBob, w);
  await assert.rejects(receiveCase(w, bob.signer, { examiner: 'Alice Examiner' }), /belongs to "Bob Reviewer", not "Alice Examiner"/);

  const bad = join(dir, 'cli-altered.trailcase');
  copyFileSync(toBob, bad);
  alterEvidence(bad, 5);
  const r = cli(['receive', bad, '--examiner', 'Bob Reviewer'], { TRAILCASE_HOME: bob.home });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /trailcase receive: error: refused .*evidence:5/);

  const ok = join(dir, 'cli-ok.trailcase');
  copyFileSync(toBob, ok);
  const g = cli(['receive', ok, '--examiner', 'Bob Reviewer', '--sha256', sent.sha256, '--json'], { TRAILCASE_HOME: bob.home });
  assert.equal(g.status, 0, g.stderr);
  assert.equal(JSON.parse(g.stdout).sha256AtReceipt, sent.sha256);
});

test('a damaged case is not handed off', async () => {
  const d = join(dir, 'damaged-source.trailcase');
  copyFileSync(source, d);
  alterEvidence(d, 2);
  const s = CaseStore.open(d);
  try {
    await assert.rejects(exportCase(s, alice.signer, { out: join(dir, 'never.trailcase') }), (e: any) => e.exitCode === 1 && /does not verify .*evidence:2/.test(e.message));
  } finally {
    s.close();
  }
  assert.ok(!existsSync(join(dir, 'never.trailcase')));
});

test('the API exports as a job and rejects bad arguments before any handler runs', async () => {
  const w = join(dir, 'api-source.trailcase');
  copyFileSync(source, w);
  const s = CaseStore.open(w);
  try {
    const ctx = makeContext(s, { signer: alice.signer });
    const out = join(dir, 'api-handoff.trailcase');
    const { jobId } = await dispatch(ctx, 'exportCase', { out, to: 'Bob Reviewer', reason: 'API' });
    const st = await ctx.jobs.wait(jobId);
    assert.equal(st.state, 'done', st.error);
    const r = st.result as ExportSummary;
    assert.equal(r.sha256, await sha256File(out));
    assert.equal(r.to, 'Bob Reviewer');
    await assert.rejects(dispatch(ctx, 'exportCase', { out: '' }), BadRequest);
    await assert.rejects(dispatch(ctx, 'exportCase', { out, bogus: 1 }), /bad arguments/);
  } finally {
    s.close();
  }
});

// docs/verification.md: the independent verifier travels beside the handoff file, its hash in the signed handoff entry.
test('export writes verify-case.py beside the file; it verifies the handoff against the sender fingerprint', { skip: have('python3') && have('openssl') ? false : 'python3 or openssl missing' }, () => {
  const beside = join(dir, 'verify-case.py');
  assert.ok(readFileSync(beside).equals(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'verify-case.py'))));
  const transfer = custody(toBob).find((e) => e.action === 'handoff.exported')!;
  assert.deepEqual(transfer.details.verifier, { file: 'verify-case.py', sha256: createHash('sha256').update(readFileSync(beside)).digest('hex') });
  const sent = join(dir, 'as-sent.trailcase');
  copyFileSync(toBob, sent);
  const r = spawnSync('python3', [beside, sent, '--fingerprint', alice.signer.fingerprint], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const other = spawnSync('python3', [beside, sent, '--fingerprint', bob.signer.fingerprint], { encoding: 'utf8' });
  assert.equal(other.status, 1, 'the last checkpoint is not signed by that key');
});
