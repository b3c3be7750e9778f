// Redacted export (docs/verification.md): a subset of a case's events that a receiver can
// check belong to the original case without seeing the rest. Format: one JSON
// bundle (docs/verification.md, "Redacted exports"):
//   - the signed checkpoint text, its Ed25519 signature and public key: it
//     commits to (tree size, Merkle root) over all events of the case;
//   - each included event: its leaf index, its verbatim record, and its RFC 6962
//     audit path (electron/case/merkle.ts) to that root;
//   - a signature by the exporting examiner over the rest of the bundle.
// Audit paths for many leaves come from one bottom-up pass over the level
// hashes (O(n) hashes, O(log n) per proof), not one O(n log n) inclusionProof
// per event.
import { createHash, hash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RedactedSummary, VerifyRedactedResult } from '../../shared/api/report.ts';
import type { EventFilter } from '../../shared/types.ts';
import { normalizeRecord } from '../../shared/record.ts';
import { canonicalJson, sha256Hex } from '../case/canonical.ts';
import { EvidenceReader } from '../case/evidence.ts';
import { fingerprintOf, type Signer, verifySignature } from '../case/keys.ts';
import { leafHash, verifyInclusion } from '../case/merkle.ts';
import { filterToSql } from '../case/queries.ts';
import type { CaseStore } from '../case/store.ts';
import { UserError } from '../errors.ts';
import { eventKey } from '../case/event-key.ts';
import { TOOL_NAME, TOOL_VERSION, buildHash } from '../version.ts';
import { checkCheckpointSignature, parseCheckpointBody } from './manifest.ts';
import { readCheckpoint } from './model.ts';
import { eventCount, eventSpansWhere, leafHashesBelow } from '../case/data/events.ts';
import { publicKeyOf } from '../case/data/meta.ts';

export type { RedactedSummary, VerifyRedactedResult };

export const REDACTED_FORMAT = 'trailcase-redacted-export/1';

// RFC 6962 node hash of two adjacent 32-byte nodes of a packed level, written into `out` at `at`:
// one 65-byte scratch buffer and the one-shot crypto.hash (about twice as fast as createHash per node).
const scratch = Buffer.alloc(65);
scratch[0] = 1;
const oneShot = typeof hash === 'function';
function nodeInto(level: Buffer, left: number, out: Buffer, at: number): void {
  level.copy(scratch, 1, left, left + 64);
  const h = oneShot ? hash('sha256', scratch, 'buffer') : createHash('sha256').update(scratch).digest();
  h.copy(out, at);
}

/**
 * Audit paths (RFC 6962 §2.1.1 PATH(m, D[n])) for several leaves at once.
 * An RFC 6962 tree equals the bottom-up tree in which each level pairs nodes
 * left to right and carries an odd last node up unchanged; the path of leaf m
 * is then, level by level, the sibling m^1 when it exists. Leaves are given as
 * 32-byte hashes; returns proofs in the order of `indices`.
 */
export function auditPaths(leafHashes: Buffer[] | ((i: number) => Buffer), n: number, indices: number[]): Buffer[][] {
  for (const m of indices) if (!Number.isInteger(m) || m < 0 || m >= n) throw new Error(`leaf ${m} outside a tree of ${n}`);
  const get = typeof leafHashes === 'function' ? leafHashes : (i: number) => leafHashes[i];
  // Level 0 packed into one buffer: 32 bytes per node keeps a million-leaf tree at 64 MB in all.
  let level = Buffer.alloc(n * 32);
  for (let i = 0; i < n; i++) {
    const h = get(i);
    if (h.length !== 32) throw new Error(`leaf hash ${i} is ${h.length} bytes`);
    h.copy(level, i * 32);
  }
  const proofs: Buffer[][] = indices.map(() => []);
  const pos = [...indices];
  let len = n;
  while (len > 1) {
    for (let k = 0; k < pos.length; k++) {
      const sib = pos[k] ^ 1;
      if (sib < len) proofs[k].push(Buffer.from(level.subarray(sib * 32, sib * 32 + 32)));
      pos[k] >>= 1;
    }
    const nextLen = Math.ceil(len / 2);
    const next = Buffer.alloc(nextLen * 32);
    for (let i = 0; i < nextLen; i++) {
      if (2 * i + 1 < len) nodeInto(level, 2 * i * 32, next, i * 32);
      else level.copy(next, i * 32, 2 * i * 32, 2 * i * 32 + 32);
    }
    level = next;
    len = nextLen;
  }
  return proofs;
}

export interface RedactedEvent {
  leaf: number;
  eventId: string;
  leafHash: string;
  /** The verbatim record, when its bytes are valid UTF-8 (else recordBase64). */
  record?: string;
  recordBase64?: string;
  proof: string[];
}

export interface RedactedBundle {
  format: typeof REDACTED_FORMAT;
  caseId: string;
  caseTitle: string;
  tool: { name: string; version: string; buildHash: string };
  exportedBy: { name: string; keyFingerprint: string; publicKeyPem: string };
  filter: EventFilter;
  checkpoint: { seq: number; treeSize: number; root: string; createdAt: string; keyFingerprint: string; body: string; signature: string; publicKeyPem: string };
  count: number;
  events: RedactedEvent[];
  /** base64 Ed25519 signature by exportedBy over canonical JSON of the bundle without this field. */
  signature: string;
}

function hasFilter(f: EventFilter): boolean {
  return Object.values(f).some((v) => (Array.isArray(v) ? v.length > 0 : v !== undefined));
}

/** Build the bundle (nothing written, nothing logged). */
export function buildRedactedBundle(store: CaseStore, signer: Signer, filter: EventFilter): RedactedBundle {
  if (!hasFilter(filter)) throw new UserError('a redacted export needs a filter (--ip, --key, --principal, --event, --since, --until, ...); without one use a full export');
  let cp = readCheckpoint(store);
  const events = eventCount(store.reader);
  if (!cp || events > cp.treeSize) {
    store.checkpoint(signer, 'redacted export');
    cp = readCheckpoint(store)!;
  }
  const n = cp.treeSize;
  const f = filterToSql(store, filter);
  const rows = eventSpansWhere(store.reader, f, n);
  if (!rows.length) throw new UserError('no event of the case matches the filter; nothing to export');

  const all = leafHashesBelow(store.reader, n);
  if (all.length !== n) throw new UserError(`the case has ${all.length} events below checkpoint size ${n}: run trailcase verify`);
  const proofs = auditPaths((i) => all[i], n, rows.map((r) => r.leaf));
  const reader = new EvidenceReader(store);
  const out: RedactedEvent[] = rows.map((r, i) => {
    const bytes = reader.record(r.evidence_id, r.pos, r.len, r.enc);
    const lh = leafHash(bytes);
    if (!lh.equals(Buffer.from(r.leaf_hash))) throw new UserError(`event ${r.event_id}: its record no longer hashes to its leaf; the case is damaged (run trailcase verify)`);
    const text = bytes.toString('utf8');
    const exact = Buffer.from(text, 'utf8').equals(bytes);
    return {
      leaf: r.leaf,
      eventId: r.event_id,
      leafHash: lh.toString('hex'),
      ...(exact ? { record: text } : { recordBase64: bytes.toString('base64') }),
      proof: proofs[i].map((p) => p.toString('hex')),
    };
  });
  const cpKeyPem = publicKeyOf(store.reader, cp.keyFingerprint);
  if (cpKeyPem === undefined) throw new UserError(`checkpoint #${cp.seq} is signed by key ${cp.keyFingerprint}, which is not in the case`);
  const meta = store.meta();
  const unsigned: Omit<RedactedBundle, 'signature'> = {
    format: REDACTED_FORMAT,
    caseId: meta.caseId,
    caseTitle: meta.title,
    tool: { name: TOOL_NAME, version: TOOL_VERSION, buildHash: buildHash() },
    exportedBy: { name: signer.examiner, keyFingerprint: signer.fingerprint, publicKeyPem: signer.publicKeyPem },
    filter: JSON.parse(canonicalJson(filter)),
    checkpoint: { seq: cp.seq, treeSize: cp.treeSize, root: cp.root, createdAt: cp.createdAt, keyFingerprint: cp.keyFingerprint, body: cp.body, signature: cp.signature, publicKeyPem: cpKeyPem },
    count: out.length,
    events: out,
  };
  const signature = signer.sign(Buffer.from(canonicalJson(unsigned), 'utf8')).toString('base64');
  return { ...unsigned, signature };
}

export function redactedBytes(b: RedactedBundle): Buffer {
  return Buffer.from(JSON.stringify(b, null, 1) + '\n', 'utf8');
}

/** `trailcase export CASE --out FILE --only ...`: write the bundle and log it in the custody log. */
export function exportRedacted(store: CaseStore, signer: Signer, opts: { out: string; filter: EventFilter; force?: boolean }): RedactedSummary {
  const out = resolve(opts.out);
  if (existsSync(out) && !opts.force) throw new UserError(`${out} already exists; choose another name`);
  const bundle = buildRedactedBundle(store, signer, opts.filter);
  const bytes = redactedBytes(bundle);
  const tmp = `${out}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, out);
  const sha256 = sha256Hex(bytes);
  const custodySeq = store.transaction(() =>
    store.appendCustody(signer.examiner, 'export.redacted', {
      out,
      filter: bundle.filter,
      events: bundle.count,
      eventIds: bundle.events.length <= 1000 ? bundle.events.map((e) => e.eventId) : undefined,
      checkpoint: { seq: bundle.checkpoint.seq, treeSize: bundle.checkpoint.treeSize, root: bundle.checkpoint.root },
      sha256,
      bytes: bytes.length,
    }),
  );
  return {
    out,
    events: bundle.count,
    bytes: bytes.length,
    sha256,
    checkpoint: { seq: bundle.checkpoint.seq, treeSize: bundle.checkpoint.treeSize, root: bundle.checkpoint.root },
    custodySeq,
  };
}

// ---- verification ----

export interface VerifyRedactedOptions {
  /** Pin the key that signed the checkpoint (hex fingerprint or PEM), obtained independently. */
  fingerprint?: string;
  publicKeyPem?: string;
}

const MAX_EVENT_FAILURES = 50;

export function verifyRedactedBundle(file: string, opts: VerifyRedactedOptions = {}): VerifyRedactedResult {
  const checks: VerifyRedactedResult['checks'] = [];
  const pass = (what: string, message: string) => checks.push({ what, ok: true, message });
  const fail = (what: string, message: string) => checks.push({ what, ok: false, message });
  const res = (b: RedactedBundle | null, verified: number): VerifyRedactedResult => ({
    ok: checks.length > 0 && checks.every((c) => c.ok),
    file,
    caseId: b?.caseId ?? null,
    events: Array.isArray(b?.events) ? b!.events.length : 0,
    verifiedEvents: verified,
    checkpoint: b?.checkpoint ? { seq: b.checkpoint.seq, treeSize: b.checkpoint.treeSize, root: b.checkpoint.root, keyFingerprint: b.checkpoint.keyFingerprint } : null,
    checks,
  });
  let b: RedactedBundle;
  try {
    b = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail('bundle', `${file}: not readable JSON (${(e as Error).message.split('\n')[0]})`);
    return res(null, 0);
  }
  if (b?.format !== REDACTED_FORMAT || !b.checkpoint || !Array.isArray(b.events) || !b.exportedBy) {
    fail('bundle', `${file} is not a TrailCase redacted export (format ${JSON.stringify(b?.format)})`);
    return res(null, 0);
  }

  // The checkpoint: signed text, key, pinned fingerprint.
  const cp = b.checkpoint;
  const parsed = parseCheckpointBody(cp.body ?? '');
  let root: Buffer | null = null;
  if (!parsed) fail('checkpoint', 'the bundle carries no valid checkpoint text');
  else {
    const problem = checkCheckpointSignature(cp.body, cp.signature ?? '', cp.publicKeyPem ?? '');
    const diffs = (['seq', 'treeSize', 'root', 'keyFingerprint'] as const).filter((k) => parsed[k] !== cp[k]);
    if (parsed.caseId !== b.caseId) diffs.push('caseId' as never);
    if (problem) fail('checkpoint', problem);
    else if (diffs.length) fail('checkpoint', `the bundle's checkpoint fields differ from its signed text (${diffs.join(', ')})`);
    else {
      root = Buffer.from(parsed.root, 'hex');
      pass('checkpoint', `checkpoint #${parsed.seq} of case ${parsed.caseId}: ${parsed.treeSize} events, root ${parsed.root}, signed by key ${parsed.keyFingerprint}`);
    }
  }
  const pinned = opts.publicKeyPem ? safeFingerprint(opts.publicKeyPem) : opts.fingerprint?.toLowerCase();
  if (pinned !== undefined) {
    if (pinned === null) fail('key', 'the public key given is not a valid key');
    else if (pinned !== cp.keyFingerprint) fail('key', `the checkpoint is signed by key ${cp.keyFingerprint}, not the expected ${pinned}`);
    else pass('key', `the checkpoint key is the expected ${pinned}`);
  }

  // The exporter's signature over the bundle.
  const { signature, ...unsigned } = b;
  const exFp = safeFingerprint(b.exportedBy.publicKeyPem ?? '');
  if (exFp !== b.exportedBy.keyFingerprint) fail('signature', `the exporter's public key does not match fingerprint ${b.exportedBy.keyFingerprint}`);
  else if (!verifySignature(b.exportedBy.publicKeyPem, Buffer.from(canonicalJson(unsigned), 'utf8'), Buffer.from(signature ?? '', 'base64'))) {
    fail('signature', `the bundle signature by ${b.exportedBy.name} (key ${exFp}) does not verify: the bundle was altered after export`);
  } else pass('signature', `bundle signed by ${b.exportedBy.name}, key ${exFp}`);

  // Every event: record -> leaf hash -> audit path -> signed root.
  let verified = 0;
  let failures = 0;
  const seen = new Set<number>();
  const n = parsed?.treeSize ?? 0;
  for (const e of b.events) {
    const where = `event ${e?.eventId ?? '?'} (leaf ${e?.leaf ?? '?'})`;
    const problem = ((): string | null => {
      if (!e || !Number.isSafeInteger(e.leaf) || e.leaf < 0 || e.leaf >= n) return 'leaf index outside the signed tree';
      if (seen.has(e.leaf)) return 'leaf listed twice';
      seen.add(e.leaf);
      const bytes = typeof e.record === 'string' ? Buffer.from(e.record, 'utf8') : typeof e.recordBase64 === 'string' ? Buffer.from(e.recordBase64, 'base64') : null;
      if (!bytes) return 'no record';
      const lh = leafHash(bytes);
      if (lh.toString('hex') !== e.leafHash) return `the record hashes to leaf ${lh.toString('hex')}, the bundle says ${e.leafHash}: the record was altered`;
      if (!Array.isArray(e.proof) || !e.proof.every((p) => typeof p === 'string' && /^[0-9a-f]{64}$/.test(p))) return 'malformed audit path';
      if (!root) return 'no valid signed root to check against';
      if (!verifyInclusion(lh, e.leaf, n, e.proof.map((p) => Buffer.from(p, 'hex')), root)) return `its audit path does not lead to the signed root ${parsed!.root}: not an event of this case at this position`;
      let rec: unknown;
      try {
        rec = JSON.parse(bytes.toString('utf8'));
      } catch {
        return 'the record is not JSON';
      }
      const norm = normalizeRecord(rec);
      if (!norm || eventKey(norm, lh) !== e.eventId) return `the record's eventID is ${norm ? eventKey(norm, lh) : 'absent'}, the bundle says ${e.eventId}`;
      return null;
    })();
    if (problem) {
      failures++;
      if (failures <= MAX_EVENT_FAILURES) fail('event', `${where}: ${problem}`);
    } else verified++;
  }
  if (failures > MAX_EVENT_FAILURES) fail('event', `${failures - MAX_EVENT_FAILURES} more events fail (not listed)`);
  if (b.count !== b.events.length) fail('bundle', `the bundle says ${b.count} events but holds ${b.events.length}`);
  if (!failures && b.events.length) pass('events', `all ${verified} events are in the case: each record's leaf hash has a valid RFC 6962 audit path to the signed root`);
  if (!b.events.length) fail('events', 'the bundle holds no events');
  return res(b, verified);
}

function safeFingerprint(pem: string): string | null {
  try {
    return fingerprintOf(pem);
  } catch {
    return null;
  }
}

export function verifyRedactedText(r: VerifyRedactedResult): string {
  const lines = [`${r.ok ? 'VERIFIED' : 'FAILED'}: ${r.verifiedEvents} of ${r.events} events of case ${r.caseId ?? '?'} in ${r.file}`];
  for (const c of r.checks) lines.push(`  ${c.ok ? 'ok    ' : 'FAILED'} ${c.what}: ${c.message}`);
  return lines.join('\n');
}

