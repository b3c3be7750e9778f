// `trailcase verify-report DIR` (docs/verification.md): check a report the way a receiver
// would, trusting nothing in it but the examiner's public key (which they
// should pin with --fingerprint from an independent channel). Every check runs
// and is listed; `ok` only when all hold, and each failure names the file and
// what is wrong.
import { createPublicKey } from 'node:crypto';
import type { VerificationCheck, VerifyReportResult } from '../../shared/api/report.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../case/canonical.ts';
import { fingerprintOf, verifySignature } from '../case/keys.ts';
import { CaseStore } from '../case/store.ts';
import { verifyCase } from '../case/verify.ts';
import { checkpointSigned } from '../case/data/checkpoints.ts';
import { metaValue } from '../case/data/meta.ts';
import { checkCheckpointSignature, MANIFEST_FILE, MANIFEST_FORMAT, parseCheckpointBody, PUBLIC_KEY_FILE, REPORT_FILES, SIGNATURE_FILE, type Manifest } from './manifest.ts';

export type ReportCheck = VerificationCheck;
export type { VerifyReportResult };

export interface VerifyReportOptions {
  /** The examiner's public key (PEM) obtained independently; default: examiner-public-key.pem in DIR. */
  publicKeyPem?: string;
  /** The fingerprint the receiver expects (hex SHA-256 of the SPKI DER). */
  fingerprint?: string;
  /** Also check that this case file still holds the checkpoint and verifies. */
  casePath?: string;
  /** The same, for a case that is already open (the API's checkCase). */
  caseStore?: CaseStore;
}

function readMaybe(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

export function verifyReportDir(dir: string, opts: VerifyReportOptions = {}): VerifyReportResult {
  const checks: ReportCheck[] = [];
  const pass = (what: string, message: string) => checks.push({ what, ok: true, message });
  const fail = (what: string, message: string) => checks.push({ what, ok: false, message });
  const result = (m: Manifest | null, fp: string | null): VerifyReportResult => ({
    ok: checks.length > 0 && checks.every((c) => c.ok),
    dir,
    reportId: m?.reportId ?? null,
    caseId: m?.caseId ?? null,
    keyFingerprint: fp,
    checkpoint: m ? { seq: m.checkpoint.seq, treeSize: m.checkpoint.treeSize, root: m.checkpoint.root } : null,
    checks,
  });

  if (!existsSync(dir)) {
    fail('manifest', `${dir}: no such folder`);
    return result(null, null);
  }
  // 1. The manifest.
  const mBytes = readMaybe(join(dir, MANIFEST_FILE));
  let manifest: Manifest | null = null;
  if (!mBytes) fail('manifest', `${MANIFEST_FILE} is missing`);
  else {
    try {
      const parsed = JSON.parse(mBytes.toString('utf8')) as Manifest;
      if (parsed?.format !== MANIFEST_FORMAT) fail('manifest', `${MANIFEST_FILE} is not a TrailCase report manifest (format ${JSON.stringify(parsed?.format)})`);
      else if (!Array.isArray(parsed.files) || !parsed.checkpoint || !parsed.examiner) fail('manifest', `${MANIFEST_FILE} lacks files, checkpoint or examiner`);
      else {
        manifest = parsed;
        pass('manifest', `${MANIFEST_FILE}: report ${parsed.reportId}, case ${parsed.caseId}, ${parsed.files.length} files`);
      }
    } catch (e) {
      fail('manifest', `${MANIFEST_FILE} is not valid JSON (${(e as Error).message}): it was altered or truncated`);
    }
  }

  // 2. The key.
  let pem: string | null = opts.publicKeyPem ?? readMaybe(join(dir, PUBLIC_KEY_FILE))?.toString('utf8') ?? null;
  let fp: string | null = null;
  if (!pem) fail('key', `no public key: ${PUBLIC_KEY_FILE} is missing and none was given`);
  else {
    try {
      const k = createPublicKey(pem);
      if (k.asymmetricKeyType !== 'ed25519') throw new Error(`${k.asymmetricKeyType} key`);
      fp = fingerprintOf(pem);
    } catch (e) {
      fail('key', `the public key ${opts.publicKeyPem ? 'given' : PUBLIC_KEY_FILE} is not an Ed25519 public key (${(e as Error).message})`);
      pem = null;
    }
  }
  if (fp) {
    const problems: string[] = [];
    if (opts.fingerprint && opts.fingerprint.toLowerCase() !== fp) problems.push(`the key has fingerprint ${fp}, not the expected ${opts.fingerprint.toLowerCase()}`);
    if (manifest && manifest.examiner.keyFingerprint !== fp) problems.push(`the manifest names examiner key ${manifest.examiner.keyFingerprint}, the key used has fingerprint ${fp} (wrong public key)`);
    if (problems.length) fail('key', problems.join('; '));
    else pass('key', `examiner key ${fp}${opts.fingerprint ? ' (matches the expected fingerprint)' : ' (not pinned: compare it with the fingerprint you got from the examiner)'}`);
  }

  // 3. The signature over the manifest bytes.
  const sig = readMaybe(join(dir, SIGNATURE_FILE));
  if (!sig) fail('signature', `${SIGNATURE_FILE} is missing`);
  else if (sig.length !== 64) fail('signature', `${SIGNATURE_FILE} is ${sig.length} bytes; an Ed25519 signature is 64`);
  else if (mBytes && pem) {
    if (verifySignature(pem, mBytes, sig)) pass('signature', `${SIGNATURE_FILE} verifies: ${MANIFEST_FILE} is exactly what the examiner signed`);
    else fail('signature', `${SIGNATURE_FILE} does not verify with key ${fp}: ${MANIFEST_FILE} or the signature was altered, or this is not the signing key`);
  }

  if (!manifest) return result(null, fp);

  // 4. Every file against its hash.
  const listed = new Map(manifest.files.map((f) => [f.name, f]));
  for (const name of REPORT_FILES) if (!listed.has(name)) fail(name, `${name} is not listed in the manifest`);
  const sums = new Set(manifest.sha256sum ?? []);
  for (const f of manifest.files) {
    if (!/^[A-Za-z0-9._-]+$/.test(f.name)) {
      fail(f.name, `the manifest lists a file name that is not a plain name: ${JSON.stringify(f.name)}`);
      continue;
    }
    if (!sums.has(`${f.sha256}  ${f.name}`)) fail(f.name, `the manifest's sha256sum lines do not agree with its files entry for ${f.name}`);
    const data = readMaybe(join(dir, f.name));
    if (!data) {
      fail(f.name, `${f.name} is missing`);
      continue;
    }
    const h = sha256Hex(data);
    if (h !== f.sha256) fail(f.name, `${f.name}: SHA-256 is ${h}, the signed manifest says ${f.sha256}: the file was changed after the report was signed`);
    else if (data.length !== f.bytes) fail(f.name, `${f.name}: ${data.length} bytes, the signed manifest says ${f.bytes}`);
    else pass(f.name, `${f.name}: SHA-256 ${h} as signed`);
  }

  // 4b. Nothing in the folder beyond what the signed manifest lists (docs/verification.md): an added file could pass for part of the report.
  const known = new Set([...manifest.files.map((f) => f.name), MANIFEST_FILE, SIGNATURE_FILE, PUBLIC_KEY_FILE]);
  const strangers = readdirSync(dir).filter((n) => !known.has(n));
  if (strangers.length) fail('folder', `${strangers.map((n) => JSON.stringify(n)).join(', ')}: in the folder but not listed in the signed manifest`);
  else pass('folder', 'the folder holds only the files the signed manifest lists');

  // 5. report.json agrees with the manifest.
  const rj = readMaybe(join(dir, 'report.json'));
  if (rj && checks.find((c) => c.what === 'report.json')?.ok) {
    try {
      const r = JSON.parse(rj.toString('utf8'));
      const diffs: string[] = [];
      if (r.reportId !== manifest.reportId) diffs.push('report id');
      if (r.case?.caseId !== manifest.caseId) diffs.push('case id');
      if (r.checkpoint?.root !== manifest.checkpoint.root || r.checkpoint?.treeSize !== manifest.checkpoint.treeSize || r.checkpoint?.seq !== manifest.checkpoint.seq) diffs.push('checkpoint');
      if (r.examiner?.keyFingerprint !== manifest.examiner.keyFingerprint) diffs.push('examiner key');
      if (diffs.length) fail('report.json', `report.json and the manifest disagree on ${diffs.join(', ')}`);
    } catch {
      fail('report.json', 'report.json is not valid JSON');
    }
  }

  // 6. The checkpoint the report was built from: its text, its signature, its key.
  const c = manifest.checkpoint;
  const parsed = parseCheckpointBody(c.body ?? '');
  if (!parsed) fail('checkpoint', 'the manifest carries no valid checkpoint text');
  else {
    const diffs: string[] = [];
    for (const k of ['seq', 'treeSize', 'root', 'evidenceCount', 'evidenceRoot', 'custodySeq', 'custodyHead', 'createdAt', 'keyFingerprint'] as const) {
      if ((parsed as unknown as Record<string, unknown>)[k] !== (c as unknown as Record<string, unknown>)[k]) diffs.push(k);
    }
    if (parsed.caseId !== manifest.caseId) diffs.push('caseId');
    const sigProblem = checkCheckpointSignature(c.body, c.signature, c.publicKeyPem);
    if (diffs.length) fail('checkpoint', `the manifest's checkpoint fields differ from its signed text (${diffs.join(', ')})`);
    else if (sigProblem) fail('checkpoint', sigProblem);
    else pass('checkpoint', `checkpoint #${c.seq}: ${c.treeSize} events, root ${c.root}, signed by key ${c.keyFingerprint}`);
  }

  // 7. Optionally, the case file itself.
  if (opts.caseStore || opts.casePath) checkCase(opts.caseStore ?? opts.casePath!, manifest, pass, fail);
  return result(manifest, fp);
}

function checkCase(target: string | CaseStore, m: Manifest, pass: (w: string, s: string) => void, fail: (w: string, s: string) => void): void {
  let store: CaseStore;
  const path = typeof target === 'string' ? target : target.path;
  try {
    store = typeof target === 'string' ? CaseStore.open(target, { readonly: true }) : target;
  } catch (e) {
    fail('case', `${path}: ${(e as Error).message}`);
    return;
  }
  try {
    const caseId = metaValue(store.reader, 'caseId');
    if (caseId !== m.caseId) {
      fail('case', `${path} is case ${caseId}, the report is about case ${m.caseId}`);
      return;
    }
    const row = checkpointSigned(store.reader, m.checkpoint.seq);
    if (!row) fail('case', `the case has no checkpoint #${m.checkpoint.seq} (the report was built from it): checkpoints were removed`);
    else if (row.body !== m.checkpoint.body || row.signature !== m.checkpoint.signature) fail('case', `checkpoint #${m.checkpoint.seq} in the case differs from the one the report was built from`);
    const v = verifyCase(store);
    if (!v.ok) {
      const first = v.problems.slice(0, 5).map((p) => `${p.where}: ${p.message}`).join('; ');
      fail('case', `the case was altered after its report: it no longer verifies (${v.problems.length} problems: ${first})`);
    } else if (row && row.body === m.checkpoint.body && row.signature === m.checkpoint.signature) {
      pass('case', `the case holds checkpoint #${m.checkpoint.seq} unchanged and verifies (${v.treeSize} events now, integrity_check ${v.integrityCheck})`);
    }
  } finally {
    if (typeof target === 'string') store.close();
  }
}

/** Text for the CLI: one line per check, failures first marked. */
export function verifyReportText(r: VerifyReportResult): string {
  const lines = [`${r.ok ? 'VERIFIED' : 'FAILED'}: report ${r.reportId ?? '?'} in ${r.dir}`];
  for (const c of r.checks) lines.push(`  ${c.ok ? 'ok    ' : 'FAILED'} ${c.what}: ${c.message}`);
  return lines.join('\n');
}
