// manifest.json of a report: what was produced, from which signed checkpoint,
// by which build, and the SHA-256 of every file; manifest.json.sig is a detached
// raw Ed25519 signature (64 bytes) over the exact bytes of manifest.json by the
// examiner's key, so `openssl pkeyutl -verify -pubin -rawin` checks it. The
// "sha256sum" lines are exactly what `sha256sum` prints, so
//   grep -o '[0-9a-f]\{64\}  [A-Za-z0-9._-]*' manifest.json | sha256sum -c -
// checks every file with standard tools (docs/verification.md).
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../version.ts';
import { fingerprintOf, verifySignature } from '../case/keys.ts';
import { sha256Hex } from '../case/canonical.ts';
import type { CheckpointRecord } from './model.ts';
import type { CheckpointFields } from '../case/store.ts';

export const MANIFEST_FORMAT = 'trailcase-report-manifest/1';
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.json.sig';
export const PUBLIC_KEY_FILE = 'examiner-public-key.pem';
export const REPORT_FILES = ['report.pdf', 'report.json', 'timeline.csv'] as const;
/** The independent verifier (Python standard library + openssl), shipped in every report folder and beside every handoff (docs/verification.md). */
export const VERIFIER_FILE = 'verify-case.py';

export function verifierScript(): Buffer {
  return readFileSync(join(ROOT, 'docs', VERIFIER_FILE));
}

export interface ManifestFile {
  name: string;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  reportId: string;
  caseId: string;
  tool: { name: string; version: string; buildHash: string };
  examiner: { name: string; keyFingerprint: string };
  checkpoint: {
    seq: number;
    treeSize: number;
    root: string;
    evidenceCount: number;
    evidenceRoot: string;
    custodySeq: number;
    custodyHead: string;
    createdAt: string;
    keyFingerprint: string;
    /** The signed checkpoint text and its base64 Ed25519 signature, and the signing key, so the checkpoint can be checked from the manifest alone. */
    body: string;
    signature: string;
    publicKeyPem: string;
  };
  /** Which Chromium printed report.pdf (the PDF is byte-identical only for the same renderer). */
  renderer: string;
  files: ManifestFile[];
  sha256sum: string[];
}

export function fileEntry(name: string, data: Uint8Array): ManifestFile {
  return { name, bytes: data.length, sha256: sha256Hex(data) };
}

export function manifestFor(input: {
  reportId: string;
  caseId: string;
  tool: Manifest['tool'];
  examiner: Manifest['examiner'];
  checkpoint: CheckpointRecord;
  checkpointPublicKeyPem: string;
  renderer: string;
  files: ManifestFile[];
}): Manifest {
  const c = input.checkpoint;
  return {
    format: MANIFEST_FORMAT,
    reportId: input.reportId,
    caseId: input.caseId,
    tool: { name: input.tool.name, version: input.tool.version, buildHash: input.tool.buildHash },
    examiner: { name: input.examiner.name, keyFingerprint: input.examiner.keyFingerprint },
    checkpoint: {
      seq: c.seq,
      treeSize: c.treeSize,
      root: c.root,
      evidenceCount: c.evidenceCount,
      evidenceRoot: c.evidenceRoot,
      custodySeq: c.custodySeq,
      custodyHead: c.custodyHead,
      createdAt: c.createdAt,
      keyFingerprint: c.keyFingerprint,
      body: c.body,
      signature: c.signature,
      publicKeyPem: input.checkpointPublicKeyPem,
    },
    renderer: input.renderer,
    files: input.files.map((f) => ({ name: f.name, bytes: f.bytes, sha256: f.sha256 })),
    sha256sum: input.files.map((f) => `${f.sha256}  ${f.name}`),
  };
}

/** The exact bytes that are signed: fixed key order (construction order), two-space indent, final newline. */
export function manifestBytes(m: Manifest): Buffer {
  return Buffer.from(JSON.stringify(m, null, 2) + '\n', 'utf8');
}

// ---- checkpoint text (electron/case/store.ts checkpointBody) ----

/** The fields of a checkpoint's signed text (the same as the store writes). */
export type ParsedCheckpoint = CheckpointFields;

/** Parse a signed checkpoint text; null when it is not one. */
export function parseCheckpointBody(body: string): ParsedCheckpoint | null {
  const lines = body.split('\n');
  if (lines[0] !== 'trailcase-checkpoint/1' || lines[lines.length - 1] !== '' || lines.length !== 11) return null;
  const get = (i: number, key: string) => (lines[i].startsWith(key + ' ') ? lines[i].slice(key.length + 1) : null);
  const ev = get(3, 'events')?.split(' ');
  const evi = get(4, 'evidence')?.split(' ');
  const cu = get(5, 'custody')?.split(' ');
  const caseId = get(1, 'case');
  const seq = get(2, 'seq');
  const meta = get(6, 'meta');
  const time = get(7, 'time');
  const reason = get(8, 'reason');
  const key = get(9, 'key');
  if (!ev || ev.length !== 2 || !evi || evi.length !== 2 || !cu || cu.length !== 2 || caseId === null || seq === null || meta === null || time === null || reason === null || key === null) return null;
  const int = (s: string) => (/^\d+$/.test(s) ? Number(s) : NaN);
  const p: ParsedCheckpoint = {
    caseId,
    seq: int(seq),
    treeSize: int(ev[0]),
    root: ev[1],
    evidenceCount: int(evi[0]),
    evidenceRoot: evi[1],
    custodySeq: int(cu[0]),
    custodyHead: cu[1],
    metaHash: meta,
    createdAt: time,
    reason,
    keyFingerprint: key,
  };
  if ([p.seq, p.treeSize, p.evidenceCount, p.custodySeq].some((n) => !Number.isSafeInteger(n))) return null;
  if (![p.root, p.evidenceRoot, p.custodyHead, p.keyFingerprint].every((h) => /^[0-9a-f]{64}$/.test(h))) return null;
  return p;
}

/** Check a checkpoint text against its signature and key; returns what is wrong, or null. */
export function checkCheckpointSignature(body: string, signatureB64: string, publicKeyPem: string): string | null {
  const p = parseCheckpointBody(body);
  if (!p) return 'the checkpoint text is not a TrailCase checkpoint';
  let fp: string;
  try {
    if (createPublicKey(publicKeyPem).asymmetricKeyType !== 'ed25519') return 'the checkpoint key is not an Ed25519 key';
    fp = fingerprintOf(publicKeyPem);
  } catch {
    return 'the checkpoint public key is not a valid key';
  }
  if (fp !== p.keyFingerprint) return `the checkpoint names key ${p.keyFingerprint} but the key given has fingerprint ${fp}`;
  if (!verifySignature(publicKeyPem, Buffer.from(body, 'utf8'), Buffer.from(signatureB64, 'base64'))) return `the checkpoint signature does not verify with key ${fp}`;
  return null;
}
