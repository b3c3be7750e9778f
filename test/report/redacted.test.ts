// Redacted export (docs/verification.md): batched RFC 6962 audit paths equal the reference
// inclusionProof; a subset of a real case verifies against the signed root
// without the rest; every alteration is caught; the docs' independent Python
// verifier agrees.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeContext } from '../../electron/api/context.ts';
import { dispatch } from '../../electron/api/handlers.ts';
import { inclusionProof, leafHash, merkleRoot, verifyInclusion } from '../../electron/case/merkle.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { auditPaths, buildRedactedBundle, exportRedacted, verifyRedactedBundle, type RedactedBundle } from '../../electron/report/redacted.ts';
import type { RedactedSummary } from '../../shared/api/report.ts';
import { cli, examiner, have, runRecipe, stratusCase, type Examiner } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-redacted-'));
let alice: Examiner;
let mallory: Examiner;
const casePath = join(dir, 'case.trailcase');
const bundlePath = join(dir, 'stop-and-delete.json');
let summary: RedactedSummary;

before(async () => {
  alice = examiner('Alice Examiner', dir);
  mallory = examiner('Mallory', dir);
  const store = await stratusCase(casePath, alice);
  try {
    summary = exportRedacted(store, alice.signer, { out: bundlePath, filter: { eventNames: ['StopLogging', 'DeleteTrail', 'PutEventSelectors'] } });
  } finally {
    store.close();
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));

test('batched audit paths equal RFC 6962 PATH(m, D[n]) for every leaf of trees of 1..70 leaves', () => {
  for (let n = 1; n <= 70; n++) {
    const l = leaves(n);
    const all = Array.from({ length: n }, (_, i) => i);
    const got = auditPaths(l, n, all);
    const root = merkleRoot(l);
    for (let m = 0; m < n; m++) {
      assert.deepEqual(got[m].map((b) => b.toString('hex')), inclusionProof(l, m).map((b) => b.toString('hex')), `n=${n} m=${m}`);
      assert.ok(verifyInclusion(l[m], m, n, got[m], root), 'verifyInclusion(l[m], m, n, got[m], root)');
    }
  }
  // A larger, odd-sized tree, a sample of leaves in any order.
  const n = 4003;
  const l = leaves(n);
  const pick = [n - 1, 0, 2047, 2048, 4001, 1234];
  const root = merkleRoot(l);
  auditPaths((i) => l[i], n, pick).forEach((p, k) => assert.ok(verifyInclusion(l[pick[k]], pick[k], n, p, root), `leaf ${pick[k]}`));
  assert.throws(() => auditPaths(l, n, [n]), /outside a tree/);
});

test('a redacted export holds only the selected events, each proven against the signed root', () => {
  const b = JSON.parse(readFileSync(bundlePath, 'utf8')) as RedactedBundle;
  assert.equal(b.format, 'trailcase-redacted-export/1');
  const names = b.events.map((e) => JSON.parse(e.record!).eventName);
  assert.ok(names.length >= 3 && names.every((x) => ['StopLogging', 'DeleteTrail', 'PutEventSelectors'].includes(x)), names.join(','));
  assert.equal(b.count, summary.events);
  assert.equal(b.checkpoint.treeSize, 310);
  assert.equal(b.checkpoint.root, summary.checkpoint.root);

  // The receiver's view: the root comes from the signed checkpoint text, nothing else.
  const rootLine = b.checkpoint.body.split('\n').find((l) => l.startsWith('events '))!;
  assert.equal(rootLine, `events 310 ${b.checkpoint.root}`);
  const s = CaseStore.open(casePath, { readonly: true });
  try {
    assert.equal(s.eventTreeRoot(310).root.toString('hex'), b.checkpoint.root);
    for (const e of b.events) {
      // The record is the verbatim bytes at that leaf in the case.
      const row = s.db.prepare('SELECT leaf_hash FROM events WHERE leaf = ?').get(e.leaf) as { leaf_hash: Buffer };
      assert.equal(createHash('sha256').update(Buffer.from([0])).update(e.record!, 'utf8').digest('hex'), Buffer.from(row.leaf_hash).toString('hex'));
    }
    const logged = s.db.prepare("SELECT details FROM custody WHERE action = 'export.redacted'").get() as { details: string };
    assert.equal(JSON.parse(logged.details).sha256, summary.sha256);
  } finally {
    s.close();
  }

  const r = verifyRedactedBundle(bundlePath, { fingerprint: alice.signer.fingerprint });
  assert.ok(r.ok, JSON.stringify(r.checks.filter((c) => !c.ok)));
  assert.equal(r.verifiedEvents, b.events.length);
});

function tampered(name: string, change: (b: RedactedBundle) => void): string {
  const b = JSON.parse(readFileSync(bundlePath, 'utf8')) as RedactedBundle;
  change(b);
  const p = join(dir, `${name}.json`);
  writeFileSync(p, JSON.stringify(b));
  return p;
}

function failures(p: string, opts = {}): string[] {
  const r = verifyRedactedBundle(p, opts);
  assert.equal(r.ok, false, `${p} should fail`);
  return r.checks.filter((c) => !c.ok).map((c) => `${c.what}: ${c.message}`);
}

test('every alteration of a redacted export is caught, saying what', () => {
  // A record changed (its leaf hash recomputed to match, too: the path no longer reaches the root).
  const p1 = tampered('record', (b) => {
    const e = b.events[0];
    e.record = e.record!.replace('"StopLogging"', '"StartLogging"').replace('"DeleteTrail"', '"CreateTrail"').replace('"PutEventSelectors"', '"GetEventSelectors"');
    e.leafHash = leafHash(Buffer.from(e.record, 'utf8')).toString('hex');
  });
  const f1 = failures(p1);
  assert.ok(f1.some((m) => /^event: event .* its audit path does not lead to the signed root/.test(m)), f1.join('\n'));
  assert.ok(f1.some((m) => /^signature: .*does not verify: the bundle was altered/.test(m)), 'f1.some((m) => /^signature: .*does not verify: the bundle was altered/.test(m))');

  // A record changed, leaf hash left alone.
  const f2 = failures(tampered('record-only', (b) => (b.events[1].record = b.events[1].record!.replace('"eventVersion"', '"eventversion"'))));
  assert.ok(f2.some((m) => /the record hashes to leaf [0-9a-f]{64}, the bundle says [0-9a-f]{64}: the record was altered/.test(m)), f2.join('\n'));

  // A proof element changed; a leaf index moved.
  const f3 = failures(tampered('proof', (b) => (b.events[0].proof[0] = '0'.repeat(64))));
  assert.ok(f3.some((m) => /audit path does not lead to the signed root/.test(m)), 'f3.some((m) => /audit path does not lead to the signed root/.test(m))');
  const f4 = failures(tampered('index', (b) => (b.events[0].leaf += 1)));
  assert.ok(f4.some((m) => /audit path does not lead to the signed root|outside/.test(m)), 'f4.some((m) => /audit path does not lead to the signed root|outside/.test(m))');

  // The root swapped in the checkpoint (and the fields made to agree): the checkpoint signature fails.
  const f5 = failures(
    tampered('root', (b) => {
      const fake = 'f'.repeat(64);
      b.checkpoint.body = b.checkpoint.body.replace(b.checkpoint.root, fake);
      b.checkpoint.root = fake;
    }),
  );
  assert.ok(f5.some((m) => /^checkpoint: the checkpoint signature does not verify/.test(m)), f5.join('\n'));

  // An event from outside the case: Mallory makes up a record and a tree of her own, signed with her key.
  const fake = JSON.stringify({ eventVersion: '1.08', eventID: '00000000-0000-4000-8000-000000000000', eventName: 'Nothing', eventTime: '2024-01-01T00:00:00Z' });
  const f6 = failures(
    tampered('foreign', (b) => {
      b.events.push({ leaf: 5, eventId: '00000000-0000-4000-8000-000000000000', leafHash: leafHash(Buffer.from(fake)).toString('hex'), record: fake, proof: b.events[0].proof });
      b.count++;
    }),
  );
  assert.ok(f6.some((m) => /00000000-0000-4000-8000-000000000000 \(leaf 5\): its audit path does not lead to the signed root/.test(m)), f6.join('\n'));

  // A key other than the examiner's pinned.
  const f7 = failures(bundlePath, { fingerprint: mallory.signer.fingerprint });
  assert.deepEqual(f7.map((m) => m.split(':')[0]), ['key']);
  assert.match(f7[0], /not the expected/);

  // Not JSON / not a bundle.
  writeFileSync(join(dir, 'junk.json'), '{"format":"something else"}');
  assert.match(failures(join(dir, 'junk.json'))[0], /not a TrailCase redacted export/);
});

test('the CLI exports with --only and verifies with verify-redacted and verify-report', () => {
  const env = { TRAILCASE_HOME: alice.home };
  const out = join(dir, 'cli-ip.json');
  const e = cli(['export', casePath, '--out', out, '--only', '--event', 'ConsoleLogin', '--json'], env);
  assert.equal(e.status, 0, e.stderr);
  assert.ok(JSON.parse(e.stdout).events >= 1, 'JSON.parse(e.stdout).events >= 1');
  const v = cli(['verify-redacted', out, '--fingerprint', alice.signer.fingerprint], env);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /^VERIFIED: \d+ of \d+ events/);
  const b = JSON.parse(readFileSync(out, 'utf8')) as RedactedBundle;
  b.events[0].record = b.events[0].record!.replace('ConsoleLogin', 'ConsoleLogout');
  writeFileSync(out, JSON.stringify(b));
  const bad = cli(['verify-report', out], env);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /FAILED event: event .* the record was altered/);
  const none = cli(['export', casePath, '--out', join(dir, 'none.json'), '--only'], env);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /--only needs at least one filter/);
});

test('no filter, or a filter matching nothing, exports nothing', () => {
  const s = CaseStore.open(casePath);
  try {
    assert.throws(() => buildRedactedBundle(s, alice.signer, {}), /needs a filter/);
    assert.throws(() => buildRedactedBundle(s, alice.signer, { eventNames: ['NoSuchEvent'] }), /no event of the case matches/);
  } finally {
    s.close();
  }
});

test('the Python reference verifier of docs/verification.md agrees', { skip: have('python3') && have('openssl') ? false : 'python3 or openssl missing' }, () => {
  const work = mkdtempSync(join(dir, 'py-'));
  const ok = runRecipe('redacted', work, { BUNDLE: bundlePath, FPR: alice.signer.fingerprint });
  assert.equal(ok.status, 0, ok.out);
  assert.match(ok.out, new RegExp(`(\\d+) of \\1 events included under root ${summary.checkpoint.root}`));
  const bad = tampered('py-proof', (b) => (b.events[0].proof[0] = '0'.repeat(64)));
  const r = runRecipe('redacted', work, { BUNDLE: bad, FPR: alice.signer.fingerprint });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /NOT IN THE CASE/);
  assert.notEqual(runRecipe('redacted', work, { BUNDLE: bundlePath, FPR: mallory.signer.fingerprint }).status, 0);
});

test('the API writes a redacted export as a job and verifies it', async () => {
  const s = CaseStore.open(casePath);
  try {
    const ctx = makeContext(s, { signer: alice.signer });
    const out = join(dir, 'api-redacted.json');
    const { jobId } = await dispatch(ctx, 'exportRedacted', { out, filter: { eventNames: ['StopLogging'] } });
    const st = await ctx.jobs.wait(jobId);
    assert.equal(st.state, 'done', st.error);
    assert.equal((st.result as RedactedSummary).events, 1);
    const v = await dispatch(ctx, 'verifyRedacted', { file: out, fingerprint: alice.signer.fingerprint });
    assert.equal(v.ok, true, JSON.stringify(v.checks));
    await assert.rejects(dispatch(ctx, 'verifyRedacted', { file: out, fingerprint: 'xyz' }), /bad arguments/);
  } finally {
    s.close();
  }
});
