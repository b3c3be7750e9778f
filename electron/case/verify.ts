// `trailcase verify`: recompute everything from the preserved original bytes
// and name exactly what is wrong. Nothing here trusts a stored derived value:
// evidence hashes, every event's leaf hash and normalised columns, the Merkle
// roots at every checkpoint, checkpoint signatures, the custody chain, the
// append-only triggers and SQLite's own integrity_check.
import type { VerifyProblem, VerifyReport } from '../../shared/types.ts';
import { normalizeRecord, type NormalizedEvent } from '../../shared/record.ts';
import { canonicalJson, sha256Hex } from './canonical.ts';
import type { EvidenceRow } from './evidence.ts';
import { decodeTolerant } from './gzip.ts';
import { fingerprintOf, verifySignature } from './keys.ts';
import { leafHash, MerkleBuilder } from './merkle.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations/index.ts';
import { APPLICATION_ID, CaseStore, checkpointBody, custodyHash, evidenceLeafData, ZERO_HASH } from './store.ts';
import { recordBytes } from './encodings.ts';
import { eventKey } from './event-key.ts';
import { createHash } from 'node:crypto';
import { requestIdText } from '../../shared/event-key.ts';
import { parseIp } from '../../shared/ip.ts';
import { checkTimestamps } from './timestamp.ts';
import { custodyRows } from './data/custody.ts';
import { evidenceRows as allEvidenceRows } from './data/evidence.ts';

/** A check of each source against its own origin's integrity scheme (CloudTrail digests); registered by acquisition. */
export type SourceValidator = (store: CaseStore) => VerifyReport['sourceValidation'];
const sourceValidators: SourceValidator[] = [];
export function registerSourceValidator(v: SourceValidator): void {
  if (!sourceValidators.includes(v)) sourceValidators.push(v);
}

/** Per-evidence CloudTrail validation results (evidence id -> result), for the evidence list; registered by acquisition. */
export type EvidenceValidationLookup = (store: CaseStore) => Map<number, string>;
let validationLookup: EvidenceValidationLookup | null = null;
export function setEvidenceValidationLookup(f: EvidenceValidationLookup): void {
  validationLookup = f;
}
export function evidenceValidationLookup(): EvidenceValidationLookup | null {
  return validationLookup;
}

const MAX_LISTED = 200; // per kind of problem, so a wholesale alteration still gives a readable report

/** Every trigger the migrations create (the append-only guards), by name. */
export function expectedTriggers(): Map<string, string> {
  const m = new Map<string, string>();
  for (const mig of MIGRATIONS) {
    if (typeof mig.up === 'function') continue;
    for (const sql of mig.up) if (sql.trimStart().startsWith('CREATE TRIGGER')) m.set(/CREATE TRIGGER (\S+)/.exec(sql)![1], sql.trim());
  }
  return m;
}

const COLUMNS: [string, keyof NormalizedEvent, 'str' | 'ip'][] = [
  ['name', 'eventName', 'str'],
  ['source', 'eventSource', 'str'],
  ['region', 'awsRegion', 'str'],
  ['ip', 'sourceIPAddress', 'ip'],
  ['ua', 'userAgent', 'str'],
  ['identity_type', 'identityType', 'str'],
  ['arn', 'principalArn', 'str'],
  ['user_name', 'userName', 'str'],
  ['principal_id', 'principalId', 'str'],
  ['access_key', 'accessKeyId', 'str'],
  ['issuer_arn', 'sessionIssuerArn', 'str'],
  ['account', 'recipientAccountId', 'str'],
  ['error_code', 'errorCode', 'str'],
  ['category', 'eventCategory', 'str'],
];

export function verifyCase(store: CaseStore, opts: { onProgress?: (done: number, total: number) => void } = {}): VerifyReport {
  const db = store.reader;
  const problems: VerifyProblem[] = [];
  const warnings: VerifyProblem[] = [];
  const counters = new Map<string, number>();
  const problem = (where: string, message: string) => {
    const kind = where.split(':')[0];
    const n = (counters.get(kind) ?? 0) + 1;
    counters.set(kind, n);
    if (n <= MAX_LISTED) problems.push({ where, message });
    else if (n === MAX_LISTED + 1) problems.push({ where: kind, message: `more problems of this kind not listed` });
  };

  // 1. SQLite's own check and the file's identity.
  let integrity = 'not run';
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    integrity = rows.map((r) => r.integrity_check).join('; ');
    if (integrity !== 'ok') problem('sqlite', `integrity_check: ${integrity}`);
  } catch (e) {
    integrity = `failed: ${(e as Error).message}`;
    problem('sqlite', integrity);
  }
  if (db.pragma('application_id', { simple: true }) !== APPLICATION_ID) problem('schema', 'application_id is not TrailCase');
  const uv = db.pragma('user_version', { simple: true }) as number;
  if (uv !== SCHEMA_VERSION) warnings.push({ where: 'schema', message: `schema version ${uv}, this TrailCase writes ${SCHEMA_VERSION}` });

  // 2. Append-only triggers present and unaltered.
  const triggers = new Map(
    (db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all() as { name: string; sql: string }[]).map((r) => [r.name, r.sql]),
  );
  for (const [name, sql] of expectedTriggers()) {
    const have = triggers.get(name);
    if (have === undefined) problem(`schema:trigger:${name}`, `append-only trigger ${name} is missing (dropped)`);
    else if (have.replace(/\s+/g, ' ') !== sql.replace(/\s+/g, ' ')) problem(`schema:trigger:${name}`, `append-only trigger ${name} was altered`);
  }

  // 3. Custody chain.
  const custodyHashes = new Map<number, string>();
  let prev = ZERO_HASH;
  let expectSeq = 1;
  let created: any = null;
  let nCustody = 0;
  for (const r of custodyRows(db)) {
    nCustody++;
    if (r.seq !== expectSeq) problem(`custody:${expectSeq}`, `custody entry ${expectSeq} is missing (next is ${r.seq})`);
    expectSeq = r.seq + 1;
    let details: unknown;
    try {
      details = JSON.parse(r.details);
    } catch {
      problem(`custody:${r.seq}`, 'details are not JSON');
      details = r.details;
    }
    if (r.prev_hash !== prev) problem(`custody:${r.seq}`, `custody entry ${r.seq} does not chain to the entry before it`);
    const h = custodyHash(r.prev_hash, { seq: r.seq, at: r.at, actor: r.actor, action: r.action, details, toolVersion: r.tool_version });
    if (h !== r.hash) problem(`custody:${r.seq}`, `custody entry ${r.seq} (${r.action}) was altered: its hash does not match its content`);
    custodyHashes.set(r.seq, r.hash);
    prev = r.hash;
    if (r.action === 'case.created') created = details;
  }

  // 4. Case metadata against the custody entry that created it.
  const meta = Object.fromEntries((db.prepare('SELECT key, value FROM case_meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
  if (!created) problem('custody:1', 'no case.created entry');
  else {
    for (const [k, v] of Object.entries(created.meta ?? {})) {
      const stored = typeof v === 'string' ? v : canonicalJson(v);
      if (meta[k] !== stored) problem(`meta:${k}`, `case ${k} differs from what was recorded when the case was created`);
    }
  }

  // 5. Keys.
  const keys = new Map<string, string>();
  for (const k of db.prepare('SELECT * FROM keys').all() as any[]) {
    let fp = '';
    try {
      fp = fingerprintOf(k.public_key);
    } catch {
      problem(`key:${k.fingerprint}`, 'public key is not a valid key');
    }
    if (fp && fp !== k.fingerprint) problem(`key:${k.fingerprint}`, 'public key does not match its fingerprint');
    keys.set(k.fingerprint, k.public_key);
  }

  // 6. Evidence: original bytes against their SHA-256, and the evidence tree.
  const evTree = new MerkleBuilder();
  const evRoots = new Map<number, string>();
  const decodedCache = new Map<number, Buffer>();
  let decodedBytes = 0;
  const evidenceRows = new Map<number, EvidenceRow>();
  let expectEv = 1;
  const chunkStmt = db.prepare('SELECT seq, data FROM evidence_chunks WHERE evidence_id = ? ORDER BY seq');
  const evRowsList = [...allEvidenceRows(db)];
  evRoots.set(0, evTree.root().toString('hex'));
  for (const e of evRowsList) {
    if (e.id !== expectEv) problem(`evidence:${expectEv}`, `evidence item ${expectEv} is missing (next is ${e.id})`);
    expectEv = e.id + 1;
    evidenceRows.set(e.id, e);
    const h = createHash('sha256');
    let size = 0;
    let seq = 0;
    const parts: Buffer[] = [];
    for (const c of chunkStmt.iterate(e.id) as Iterable<{ seq: number; data: Buffer }>) {
      if (c.seq !== seq) problem(`evidence:${e.id}`, `evidence item ${e.id} (${e.origin}): chunk ${seq} missing or out of order`);
      seq = c.seq + 1;
      h.update(c.data);
      size += c.data.length;
      parts.push(c.data);
    }
    const digest = h.digest('hex');
    if (digest !== e.sha256) problem(`evidence:${e.id}`, `evidence item ${e.id} (${e.origin}): SHA-256 of the preserved bytes is ${digest}, recorded ${e.sha256}: the bytes were altered`);
    if (size !== e.size) problem(`evidence:${e.id}`, `evidence item ${e.id} (${e.origin}): ${size} bytes preserved, ${e.size} recorded`);
    evTree.push(leafHash(Buffer.from(evidenceLeafData(e as unknown as Record<string, unknown>), 'utf8')));
    evRoots.set(evTree.size, evTree.root().toString('hex'));
  }
  const orphanChunks = db.prepare('SELECT DISTINCT evidence_id FROM evidence_chunks WHERE evidence_id NOT IN (SELECT id FROM evidence)').all() as { evidence_id: number }[];
  for (const o of orphanChunks) warnings.push({ where: `evidence:${o.evidence_id}`, message: 'preserved bytes without an evidence row (an import stopped mid-source?)' });

  // 7. Events: every leaf recomputed from the evidence, every column re-derived.
  const strings = new Map<number, string>();
  for (const r of db.prepare('SELECT id, s FROM strings').raw().iterate() as Iterable<[number, string]>) strings.set(r[0], r[1]);
  const ips = new Map<number, string>();
  for (const r of db.prepare('SELECT id, text, version, v4, v6 FROM ips').raw().iterate() as Iterable<[number, string, number | null, number | null, string | null]>) {
    ips.set(r[0], r[1]);
    // version/v4/v6 answer CIDR searches: re-derived from the text like every other normalised value.
    const p = parseIp(r[1]);
    const want = [p?.version ?? null, p?.version === 4 ? p.value : null, p?.version === 6 ? p.value : null];
    if (want[0] !== r[2] || want[1] !== r[3] || want[2] !== r[4]) problem(`ip:${r[0]}`, `address ${JSON.stringify(r[1])}: version/v4/v6 columns differ from the text`);
  }
  const checkpoints = db.prepare('SELECT * FROM checkpoints ORDER BY seq').all() as any[];
  const wantSizes = new Set<number>(checkpoints.map((c) => c.tree_size));
  const rootsAt = new Map<number, string>();
  const tree = new MerkleBuilder();
  if (wantSizes.has(0)) rootsAt.set(0, tree.root().toString('hex'));
  const perEvidence = new Map<number, number>();
  const total = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  let expectLeaf = 0;
  let nEvents = 0;
  // Events come in leaf order, which follows evidence order: a small LRU of decoded items suffices,
  // and memory stays bounded whatever the case size.
  const decodedFor = (id: number): Buffer | null => {
    const d = decodedCache.get(id);
    if (d) {
      decodedCache.delete(id);
      decodedCache.set(id, d);
      return d;
    }
    const e = evidenceRows.get(id);
    if (!e) return null;
    const decoded = decodeTolerant(Buffer.concat([...(chunkStmt.iterate(id) as Iterable<{ data: Buffer }>)].map((c) => c.data)), e.compression);
    if (e.compression === 'gzip' && decoded.length < e.decoded_size) {
      problem(`evidence:${e.id}`, `evidence item ${e.id}: decodes to ${decoded.length} bytes, ${e.decoded_size} at import`);
    }
    decodedCache.set(id, decoded);
    decodedBytes += decoded.length;
    while (decodedBytes > 128 * 1024 * 1024 && decodedCache.size > 1) {
      const [k, v] = decodedCache.entries().next().value as [number, Buffer];
      decodedCache.delete(k);
      decodedBytes -= v.length;
    }
    return decoded;
  };
  for (const ev of db.prepare('SELECT * FROM events ORDER BY leaf').iterate() as Iterable<any>) {
    nEvents++;
    if (ev.leaf !== expectLeaf) problem(`event:${expectLeaf}`, `event leaf ${expectLeaf} is missing (next is ${ev.leaf}): a row was deleted`);
    expectLeaf = ev.leaf + 1;
    perEvidence.set(ev.evidence_id, (perEvidence.get(ev.evidence_id) ?? 0) + 1);
    const stored = Buffer.from(ev.leaf_hash);
    tree.push(stored);
    if (wantSizes.has(tree.size)) rootsAt.set(tree.size, tree.root().toString('hex'));
    const where = `event:${ev.leaf}`;
    const d = decodedFor(ev.evidence_id);
    if (!d) {
      problem(where, `event ${ev.event_id} points to evidence item ${ev.evidence_id}, which is not in the case`);
      continue;
    }
    let bytes: Buffer;
    try {
      if (ev.pos + ev.len > d.length) throw new Error('outside the evidence');
      bytes = recordBytes(ev.enc, d.subarray(ev.pos, ev.pos + ev.len));
    } catch (e) {
      problem(where, `event ${ev.event_id}: its record cannot be recovered from evidence item ${ev.evidence_id} (${(e as Error).message})`);
      continue;
    }
    const lh = leafHash(bytes);
    if (!lh.equals(stored)) {
      problem(where, `event ${ev.event_id}: record in evidence item ${ev.evidence_id} hashes to ${lh.toString('hex')}, stored leaf hash ${stored.toString('hex')}`);
      continue;
    }
    let rec: unknown;
    try {
      rec = JSON.parse(bytes.toString('utf8'));
    } catch {
      problem(where, `event ${ev.event_id}: record is not JSON`);
      continue;
    }
    const n = normalizeRecord(rec)!;
    if (eventKey(n, lh) !== ev.event_id) problem(where, `event id column ${ev.event_id} differs from the record's (${eventKey(n, lh)})`);
    if ((n.timeMs ?? null) !== (ev.time_ms ?? null)) problem(where, `event ${ev.event_id}: time column differs from the record`);
    if ((n.requestId ?? null) !== requestIdText(ev.request_id)) problem(where, `event ${ev.event_id}: requestID column differs from the record`);
    const ro = n.readOnly === null ? null : n.readOnly ? 1 : 0;
    if (ro !== (ev.read_only ?? null)) problem(where, `event ${ev.event_id}: readOnly column differs from the record`);
    for (const [col, field, kind] of COLUMNS) {
      const id = ev[col] as number | null;
      const text = id === null ? null : kind === 'ip' ? ips.get(id) ?? `<missing ip ${id}>` : strings.get(id) ?? `<missing string ${id}>`;
      if (text !== ((n as any)[field] ?? null)) problem(where, `event ${ev.event_id}: ${field} column says ${JSON.stringify(text)}, the record says ${JSON.stringify((n as any)[field])}`);
    }
    if (nEvents % 50_000 === 0) opts.onProgress?.(nEvents, total);
  }

  // 8. Copies of events from other sources.
  const perEvidenceCopies = new Map<number, number>();
  let nCopies = 0;
  const evStmt = db.prepare('SELECT * FROM events WHERE leaf = ?');
  for (const c of db.prepare('SELECT * FROM event_copies ORDER BY id').iterate() as Iterable<any>) {
    nCopies++;
    perEvidenceCopies.set(c.evidence_id, (perEvidenceCopies.get(c.evidence_id) ?? 0) + 1);
    const d = decodedFor(c.evidence_id);
    const where = `copy:${c.id}`;
    if (!d) {
      problem(where, `copy ${c.id} points to evidence item ${c.evidence_id}, which is not in the case`);
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = recordBytes(c.enc, d.subarray(c.pos, c.pos + c.len));
    } catch (e) {
      problem(where, `copy ${c.id}: record cannot be recovered (${(e as Error).message})`);
      continue;
    }
    const lh = leafHash(bytes);
    if (!lh.equals(Buffer.from(c.leaf_hash))) problem(where, `copy ${c.id} in evidence item ${c.evidence_id}: record hash differs from the stored one`);
    const ev = evStmt.get(c.event_leaf) as any;
    if (!ev) problem(where, `copy ${c.id} belongs to event leaf ${c.event_leaf}, which is missing`);
    else if (c.identical === 1 && !Buffer.from(ev.leaf_hash).equals(lh)) problem(where, `copy ${c.id} is recorded identical to event ${ev.event_id} but differs`);
  }
  for (const e of evidenceRows.values()) {
    if ((perEvidence.get(e.id) ?? 0) !== e.n_events) problem(`evidence:${e.id}`, `evidence item ${e.id}: ${perEvidence.get(e.id) ?? 0} events in the case, ${e.n_events} recorded at import (rows deleted or added)`);
    if ((perEvidenceCopies.get(e.id) ?? 0) !== e.n_copies) problem(`evidence:${e.id}`, `evidence item ${e.id}: ${perEvidenceCopies.get(e.id) ?? 0} copies in the case, ${e.n_copies} recorded`);
  }

  // 9. Checkpoints: body, signature, and the roots they commit to.
  const metaHash = sha256Hex(canonicalJson(Object.keys(meta).sort().map((k) => [k, meta[k]])));
  let expectCp = 1;
  for (const c of checkpoints) {
    const where = `checkpoint:${c.seq}`;
    if (c.seq !== expectCp) problem(`checkpoint:${expectCp}`, `checkpoint ${expectCp} is missing`);
    expectCp = c.seq + 1;
    const body = checkpointBody({
      caseId: meta.caseId,
      seq: c.seq,
      treeSize: c.tree_size,
      root: c.root,
      evidenceCount: c.evidence_count,
      evidenceRoot: c.evidence_root,
      custodySeq: c.custody_seq,
      custodyHead: c.custody_head,
      metaHash: c.meta_hash,
      createdAt: c.created_at,
      reason: c.reason,
      keyFingerprint: c.key_fingerprint,
    });
    if (body !== c.body) problem(where, `checkpoint ${c.seq}: its columns differ from its signed text`);
    const pem = keys.get(c.key_fingerprint);
    if (!pem) problem(where, `checkpoint ${c.seq}: signed by key ${c.key_fingerprint}, which is not in the case`);
    else if (!verifySignature(pem, Buffer.from(c.body, 'utf8'), Buffer.from(c.signature, 'base64'))) {
      problem(where, `checkpoint ${c.seq}: signature does not verify with key ${c.key_fingerprint.slice(0, 16)}…`);
    }
    if (c.tree_size > nEvents) problem(where, `checkpoint ${c.seq} covers ${c.tree_size} events, the case has ${nEvents}: events were deleted`);
    else if (rootsAt.get(c.tree_size) !== c.root) problem(where, `checkpoint ${c.seq}: the events now give root ${rootsAt.get(c.tree_size)} at size ${c.tree_size}, it signed ${c.root}`);
    if (evRoots.get(c.evidence_count) !== c.evidence_root) problem(where, `checkpoint ${c.seq}: evidence items 1..${c.evidence_count} no longer give the signed evidence root`);
    if (custodyHashes.get(c.custody_seq) !== c.custody_head) problem(where, `checkpoint ${c.seq}: custody entry ${c.custody_seq} no longer has the signed hash`);
    if (c.meta_hash !== metaHash) problem(where, `checkpoint ${c.seq}: case metadata changed since it was signed`);
  }
  // 10. RFC 3161 time-stamps: each token is over its checkpoint's signed text (the TSA's signature needs its CA: openssl ts -verify).
  for (const p of checkTimestamps(store)) problem(p.where, p.message);

  const last = checkpoints[checkpoints.length - 1];
  if (!last) problem('checkpoint', 'the case has no signed checkpoint');
  else {
    if (nEvents > last.tree_size) warnings.push({ where: 'checkpoint', message: `${nEvents - last.tree_size} events after the last signed checkpoint (an import was interrupted; import again to complete and sign)` });
    if (evidenceRows.size > last.evidence_count) warnings.push({ where: 'checkpoint', message: `${evidenceRows.size - last.evidence_count} evidence items after the last signed checkpoint` });
  }
  const started = db.prepare("SELECT count(*) AS n FROM custody WHERE action = 'import.started'").get() as { n: number };
  const ended = db.prepare("SELECT count(*) AS n FROM custody WHERE action IN ('import.completed','import.cancelled','import.failed')").get() as { n: number };
  if (started.n > ended.n) warnings.push({ where: 'custody', message: `${started.n - ended.n} import(s) started but never finished (interrupted)` });

  let sourceValidation: VerifyReport['sourceValidation'] = [];
  for (const v of sourceValidators) {
    try {
      sourceValidation = sourceValidation.concat(v(store));
    } catch (e) {
      warnings.push({ where: 'sources', message: `source validation failed to run: ${(e as Error).message}` });
    }
  }

  return {
    ok: problems.length === 0,
    checkedAt: new Date().toISOString(),
    integrityCheck: integrity,
    counts: { evidence: evidenceRows.size, events: nEvents, copies: nCopies, checkpoints: checkpoints.length, custody: nCustody },
    root: tree.root().toString('hex'),
    treeSize: tree.size,
    problems,
    warnings,
    sourceValidation,
  };
}

/** Exit status of `trailcase verify`: 0 intact and every source validates, 3 intact but a source fails, 1 damaged. */
export function verifyExitCode(r: VerifyReport): number {
  if (!r.ok) return 1;
  if (r.sourceValidation.some((s) => isSourceFailure(s.result))) return 3;
  return 0;
}

export const SOURCE_FAILURES = new Set(['hash-mismatch', 'digest-signature-invalid', 'bad-gzip', 'chain-broken', 'not-in-any-digest', 'digest-unreadable', 'digest-moved']);
export function isSourceFailure(result: string): boolean {
  return SOURCE_FAILURES.has(result);
}
