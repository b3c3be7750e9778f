// Single-file handoff (docs/verification.md).
//   export:  verify the case, log the transfer (custody `handoff.exported`),
//            sign a handoff checkpoint that covers that entry, fold the WAL,
//            VACUUM INTO one self-contained file (no WAL), check the copy
//            (quick_check and every index's entries, its last checkpoint, its
//            event count),
//            then record the file's SHA-256 in the source case (`handoff.file`;
//            it cannot be inside the file it hashes).
//   receive: hash the file as received, verify it completely (verifyCase)
//            before anything else, refuse it when anything fails or when it was
//            changed after the handoff checkpoint, then log the acceptance
//            (`handoff.received`) and sign a checkpoint with the receiving
//            examiner's key (added to the case's keys).
import { createReadStream, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import type { ExportSummary, ReceiveSummary } from '../../shared/api/report.ts';
import type { VerifyReport } from '../../shared/types.ts';
import type { Signer } from '../case/keys.ts';
import { CaseStore } from '../case/store.ts';
import { verifyCaseParallel } from '../case/verify.ts';
import { UserError } from '../errors.ts';
import { readCheckpoint } from './model.ts';
import { VERIFIER_FILE, verifierScript } from './manifest.ts';
import { sha256Hex } from '../case/canonical.ts';
import { lastCheckpointSigned } from '../case/data/checkpoints.ts';
import { lastCustodyOf, maxCustodySeq } from '../case/data/custody.ts';
import { checkpointWal, copyCheck, eventCount, vacuumInto, withCopy } from '../case/data/meta.ts';

export type { ExportSummary, ReceiveSummary };

/** Refusal of a file that fails its checks: exit status 1, like a damaged `trailcase verify`. */
export class HandoffRefused extends UserError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'HandoffRefused';
  }
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function problemsLine(r: VerifyReport, max = 5): string {
  return r.problems.slice(0, max).map((p) => `${p.where}: ${p.message}`).join('; ') + (r.problems.length > max ? `; … ${r.problems.length - max} more` : '');
}

export async function exportCase(store: CaseStore, signer: Signer, opts: { out: string; to?: string; reason?: string }): Promise<ExportSummary> {
  const out = resolve(opts.out);
  if (existsSync(out)) throw new UserError(`${out} already exists; a handoff needs a new file`);
  if (out === resolve(store.path)) throw new UserError('the handoff file must differ from the case file');
  for (const side of ['-wal', '-shm', '-journal']) if (existsSync(out + side)) throw new UserError(`${out + side} exists; remove it first`);

  // The independent verifier goes beside the file (docs/verification.md); its hash is in the logged, signed handoff entry.
  const verifier = verifierScript();
  const verifierPath = join(dirname(out), VERIFIER_FILE);
  if (existsSync(verifierPath) && !readFileSync(verifierPath).equals(verifier)) throw new UserError(`${verifierPath} exists and is not this TrailCase's verifier; choose another folder`);

  const v = await verifyCaseParallel(store);
  if (!v.ok) throw new UserError(`the case does not verify (${v.problems.length} problems: ${problemsLine(v, 3)}); a damaged case is not handed off`, 1);

  store.ensureKey(signer);
  const to = opts.to?.trim() || null;
  const reason = opts.reason?.trim() || null;
  const handoffSeq = store.transaction(() =>
    store.appendCustody(signer.examiner, 'handoff.exported', { to, reason, file: basename(out), fromFingerprint: signer.fingerprint, verifier: { file: VERIFIER_FILE, sha256: sha256Hex(verifier) } }),
  );
  const cp = store.checkpoint(signer, `handoff${to ? ` to ${to}` : ''}`);
  const cpRow = readCheckpoint(store, cp.seq)!;

  // The case itself passed integrity_check in the verification above; the file handed over gets
  // its own check below, linear in its size (meta.ts, copyCheck), which also covers what was written
  // since (the handoff entry and checkpoint, the folded WAL); `receive` runs the full integrity_check.
  checkpointWal(store.writer);

  const tmp = `${out}.partial`;
  rmSync(tmp, { force: true });
  try {
    vacuumInto(store.reader, tmp);
    // Check the copy before it gets its name: one file, intact, ending in the handoff checkpoint.
    withCopy(tmp, (copy) => {
      const cc = copyCheck(copy);
      if (cc !== 'ok') throw new Error(`check of the exported file (quick_check and index entries): ${cc}`);
      const last = lastCheckpointSigned(copy);
      if (!last || last.body !== cpRow.body || last.signature !== cpRow.signature) throw new Error('the exported file does not end with the handoff checkpoint');
      const n = eventCount(copy);
      if (n !== cpRow.treeSize) throw new Error(`the exported file holds ${n} events, the handoff checkpoint ${cpRow.treeSize}`);
    });
    for (const side of ['-wal', '-shm']) rmSync(tmp + side, { force: true });
    renameSync(tmp, out);
    writeFileSync(verifierPath, verifier);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`export failed: ${(e as Error).message}`);
  }

  const sha256 = await sha256File(out);
  const bytes = statSync(out).size;
  store.transaction(() =>
    store.appendCustody(signer.examiner, 'handoff.file', { handoffSeq, file: out, sha256, bytes, checkpointSeq: cp.seq }),
  );
  return { out, sha256, bytes, handoffSeq, checkpoint: { seq: cp.seq, treeSize: cp.treeSize, root: cp.root }, to, reason };
}

export interface ReceiveOptions {
  /** The receiving examiner's name, as given on the command line; must be the name on their key. */
  examiner: string;
  /** The SHA-256 the sender announced (trailcase export prints it); refused when different. */
  expectSha256?: string;
  /** Accept a case that was not produced by `trailcase export` (the app opening a case copied from elsewhere). Default false. */
  allowPlainCopy?: boolean;
}

/** Verify a case file that came from elsewhere, without changing it. Throws HandoffRefused naming what fails. */
export async function checkReceivedFile(path: string, opts: { expectSha256?: string; allowPlainCopy?: boolean } = {}) {
  const file = resolve(path);
  if (!existsSync(file)) throw new UserError(`no file at ${file}`);
  for (const side of ['-wal', '-journal']) {
    if (existsSync(file + side)) throw new HandoffRefused(`refused ${file}: a ${side} file lies beside it; a handoff is one self-contained file`);
  }
  const sha256AtReceipt = await sha256File(file);
  if (opts.expectSha256 && opts.expectSha256.toLowerCase() !== sha256AtReceipt) {
    throw new HandoffRefused(`refused ${file}: its SHA-256 is ${sha256AtReceipt}, the sender announced ${opts.expectSha256.toLowerCase()}`);
  }
  let store: CaseStore;
  try {
    store = CaseStore.open(file, { readonly: true });
  } catch (e) {
    throw new HandoffRefused(`refused ${file}: ${(e as Error).message}`);
  }
  try {
    let v: VerifyReport;
    try {
      v = await verifyCaseParallel(store);
    } catch (e) {
      throw new HandoffRefused(`refused ${file}: verification could not run (${(e as Error).message}); the file is damaged`);
    }
    if (!v.ok) throw new HandoffRefused(`refused ${file}: it does not verify (${v.problems.length} problems: ${problemsLine(v)})`);
    const handoff = lastCustodyOf(store.reader, ['handoff.exported']);
    const cp = readCheckpoint(store);
    const lastCustody = maxCustodySeq(store.reader);
    let from: ReceiveSummary['from'] = null;
    if (!handoff) {
      if (!opts.allowPlainCopy) throw new HandoffRefused(`refused ${file}: it holds no handoff entry (not written by trailcase export)`);
    } else {
      const d = handoff.details as { fromFingerprint?: string };
      from = { examiner: handoff.actor, keyFingerprint: d.fromFingerprint ?? null };
      if (!cp || cp.custodySeq < handoff.seq) throw new HandoffRefused(`refused ${file}: no signed checkpoint covers its handoff entry`);
      if (d.fromFingerprint && cp.keyFingerprint !== d.fromFingerprint) {
        throw new HandoffRefused(`refused ${file}: the last checkpoint is signed by key ${cp.keyFingerprint}, not by the sender's key ${d.fromFingerprint}`);
      }
    }
    if (cp && (lastCustody > cp.custodySeq || v.treeSize > cp.treeSize || v.counts.evidence > cp.evidenceCount)) {
      throw new HandoffRefused(
        `refused ${file}: it was changed after its last signed checkpoint #${cp.seq} (custody ${lastCustody} vs ${cp.custodySeq}, events ${v.treeSize} vs ${cp.treeSize}, evidence ${v.counts.evidence} vs ${cp.evidenceCount})`,
      );
    }
    return { file, sha256AtReceipt, verify: v, handoffSeq: handoff?.seq ?? null, from };
  } finally {
    store.close();
  }
}

export async function receiveCase(path: string, signer: Signer, opts: ReceiveOptions): Promise<ReceiveSummary> {
  const name = opts.examiner.trim();
  if (!name) throw new UserError('missing --examiner NAME (the receiving examiner)');
  if (signer.examiner.trim() !== name) {
    throw new UserError(`the key in TRAILCASE_HOME belongs to "${signer.examiner}", not "${name}"; receive with your own key`);
  }
  const c = await checkReceivedFile(path, opts);
  const store = CaseStore.open(c.file);
  try {
    store.ensureKey(signer);
    const acceptanceSeq = store.transaction(() =>
      store.appendCustody(signer.examiner, 'handoff.received', {
        examiner: name,
        keyFingerprint: signer.fingerprint,
        from: c.from,
        handoffSeq: c.handoffSeq,
        sha256AtReceipt: c.sha256AtReceipt,
        verified: { ok: true, events: c.verify.counts.events, evidence: c.verify.counts.evidence, root: c.verify.root, integrityCheck: c.verify.integrityCheck },
      }),
    );
    const cp = store.checkpoint(signer, `handoff accepted by ${name}`);
    return {
      file: c.file,
      sha256AtReceipt: c.sha256AtReceipt,
      from: c.from,
      handoffSeq: c.handoffSeq,
      verified: {
        events: c.verify.counts.events,
        evidence: c.verify.counts.evidence,
        checkpoints: c.verify.counts.checkpoints,
        custody: c.verify.counts.custody,
        integrityCheck: c.verify.integrityCheck,
        root: c.verify.root,
      },
      acceptanceSeq,
      checkpoint: { seq: cp.seq, treeSize: cp.treeSize, root: cp.root },
    };
  } finally {
    store.close();
  }
}
