// `trailcase verify`: recompute everything from the preserved original bytes
// and name exactly what is wrong. Nothing here trusts a stored derived value:
// evidence hashes, every event's leaf hash and normalised columns, the Merkle
// roots at every checkpoint, checkpoint signatures, the custody chain, the
// append-only triggers and SQLite's own integrity_check.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { VerifyProblem, VerifyReport } from '../../shared/types.ts';
import { parseIp } from '../../shared/ip.ts';
import { canonicalJson, sha256Hex } from './canonical.ts';
import { recordBytes } from './encodings.ts';
import type { EvidenceRow } from './evidence.ts';
import { fingerprintOf, verifySignature } from './keys.ts';
import { leafHash, MerkleBuilder } from './merkle.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations/index.ts';
import { APPLICATION_ID, CaseStore, checkpointBody, custodyHash, evidenceLeafData, ZERO_HASH } from './store.ts';
import { checkTimestamps } from './timestamp.ts';
import { checkEventRange, EvidenceDecoder, MAX_LISTED, type LeafProblem, type RangeResult } from './verify-events.ts';

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

/** Every trigger the migrations create (the append-only guards), by name. */
export function expectedTriggers(): Map<string, string> {
  const m = new Map<string, string>();
  for (const mig of MIGRATIONS) {
    if (typeof mig.up === 'function') continue;
    for (const sql of mig.up) if (sql.trimStart().startsWith('CREATE TRIGGER')) m.set(/CREATE TRIGGER (\S+)/.exec(sql)![1], sql.trim());
  }
  return m;
}

export interface VerifyOptions {
  /** Told as the work goes: events checked of the case's events, and the phase. */
  onProgress?: (done: number, total: number, phase?: string) => void;
  /** Worker threads for verifyCaseParallel (default: one per core, up to 4; 0: in this thread). */
  workers?: number;
  /** verifyCaseParallel: threads only from this many events (default PARALLEL_MIN_EVENTS), and leaves per range (default 50,000); tests set both small. */
  minEvents?: number;
  rangeLeaves?: number;
}

/** Below this many events the threads cost more to start than they save. */
export const PARALLEL_MIN_EVENTS = 100_000;
/** Leaves per range handed to a worker (progress and load balance; a range costs one decode of the evidence item at each end). */
const RANGE_LEAVES = 50_000;

/**
 * Problems of one part of the verification, capped per kind like the final
 * report (the rest counted), in the order found; merged in a fixed order so
 * that the report is the same whether the parts ran in this thread or in workers.
 */
interface Part {
  problems: LeafProblem[];
  unlisted: Record<string, number>;
}

function collector(): Part & { problem: (where: string, message: string, leaf?: number) => void } {
  const counts = new Map<string, number>();
  const part: Part = { problems: [], unlisted: {} };
  return {
    problems: part.problems,
    unlisted: part.unlisted,
    problem(where, message, leaf = -1) {
      const kind = where.split(':')[0];
      const n = (counts.get(kind) ?? 0) + 1;
      counts.set(kind, n);
      if (n <= MAX_LISTED) part.problems.push({ leaf, where, message });
      else part.unlisted[kind] = (part.unlisted[kind] ?? 0) + 1;
    },
  };
}

/** Everything but the events and their copies: schema, triggers, custody, metadata, keys, evidence bytes, addresses. */
interface RecordsPart extends Part {
  warnings: VerifyProblem[];
  nCustody: number;
  /** Custody hashes at the sequence numbers checkpoints name. */
  custodyAt: Map<number, string>;
  meta: Record<string, string>;
  keys: Map<string, string>;
  nEvidence: number;
  /** Evidence roots at the counts checkpoints name. */
  evRootsAt: Map<number, string>;
}

function checkRecords(db: Database.Database): RecordsPart {
  const c = collector();
  const warnings: VerifyProblem[] = [];
  const checkpoints = db.prepare('SELECT custody_seq, evidence_count FROM checkpoints').all() as { custody_seq: number; evidence_count: number }[];
  const wantCustody = new Set(checkpoints.map((x) => x.custody_seq));
  const wantEvidence = new Set(checkpoints.map((x) => x.evidence_count));

  if (db.pragma('application_id', { simple: true }) !== APPLICATION_ID) c.problem('schema', 'application_id is not TrailCase');
  const uv = db.pragma('user_version', { simple: true }) as number;
  if (uv !== SCHEMA_VERSION) warnings.push({ where: 'schema', message: `schema version ${uv}, this TrailCase writes ${SCHEMA_VERSION}` });

  // Append-only triggers present and unaltered.
  const triggers = new Map(
    (db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all() as { name: string; sql: string }[]).map((r) => [r.name, r.sql]),
  );
  for (const [name, sql] of expectedTriggers()) {
    const have = triggers.get(name);
    if (have === undefined) c.problem(`schema:trigger:${name}`, `append-only trigger ${name} is missing (dropped)`);
    else if (have.replace(/\s+/g, ' ') !== sql.replace(/\s+/g, ' ')) c.problem(`schema:trigger:${name}`, `append-only trigger ${name} was altered`);
  }

  // Custody chain.
  const custodyAt = new Map<number, string>();
  let prev = ZERO_HASH;
  let expectSeq = 1;
  let created: any = null;
  let nCustody = 0;
  for (const r of db.prepare('SELECT * FROM custody ORDER BY seq').iterate() as Iterable<any>) {
    nCustody++;
    if (r.seq !== expectSeq) c.problem(`custody:${expectSeq}`, `custody entry ${expectSeq} is missing (next is ${r.seq})`);
    expectSeq = r.seq + 1;
    let details: unknown;
    try {
      details = JSON.parse(r.details);
    } catch {
      c.problem(`custody:${r.seq}`, 'details are not JSON');
      details = r.details;
    }
    if (r.prev_hash !== prev) c.problem(`custody:${r.seq}`, `custody entry ${r.seq} does not chain to the entry before it`);
    const h = custodyHash(r.prev_hash, { seq: r.seq, at: r.at, actor: r.actor, action: r.action, details, toolVersion: r.tool_version });
    if (h !== r.hash) c.problem(`custody:${r.seq}`, `custody entry ${r.seq} (${r.action}) was altered: its hash does not match its content`);
    if (wantCustody.has(r.seq)) custodyAt.set(r.seq, r.hash);
    prev = r.hash;
    if (r.action === 'case.created') created = details;
  }

  // Case metadata against the custody entry that created it.
  const meta = Object.fromEntries((db.prepare('SELECT key, value FROM case_meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
  if (!created) c.problem('custody:1', 'no case.created entry');
  else {
    for (const [k, v] of Object.entries(created.meta ?? {})) {
      const stored = typeof v === 'string' ? v : canonicalJson(v);
      if (meta[k] !== stored) c.problem(`meta:${k}`, `case ${k} differs from what was recorded when the case was created`);
    }
  }

  // Keys.
  const keys = new Map<string, string>();
  for (const k of db.prepare('SELECT * FROM keys').all() as any[]) {
    let fp = '';
    try {
      fp = fingerprintOf(k.public_key);
    } catch {
      c.problem(`key:${k.fingerprint}`, 'public key is not a valid key');
    }
    if (fp && fp !== k.fingerprint) c.problem(`key:${k.fingerprint}`, 'public key does not match its fingerprint');
    keys.set(k.fingerprint, k.public_key);
  }

  // Evidence: original bytes against their SHA-256 (one chunk in memory at a time), and the evidence tree.
  const evTree = new MerkleBuilder();
  const evRootsAt = new Map<number, string>();
  let expectEv = 1;
  let nEvidence = 0;
  const chunkStmt = db.prepare('SELECT seq, data FROM evidence_chunks WHERE evidence_id = ? ORDER BY seq');
  if (wantEvidence.has(0)) evRootsAt.set(0, evTree.root().toString('hex'));
  for (const e of db.prepare('SELECT * FROM evidence ORDER BY id').iterate() as Iterable<EvidenceRow>) {
    nEvidence++;
    if (e.id !== expectEv) c.problem(`evidence:${expectEv}`, `evidence item ${expectEv} is missing (next is ${e.id})`);
    expectEv = e.id + 1;
    const h = createHash('sha256');
    let size = 0;
    let seq = 0;
    for (const ch of chunkStmt.iterate(e.id) as Iterable<{ seq: number; data: Buffer }>) {
      if (ch.seq !== seq) c.problem(`evidence:${e.id}`, `evidence item ${e.id} (${e.origin}): chunk ${seq} missing or out of order`);
      seq = ch.seq + 1;
      h.update(ch.data);
      size += ch.data.length;
    }
    const digest = h.digest('hex');
    if (digest !== e.sha256) c.problem(`evidence:${e.id}`, `evidence item ${e.id} (${e.origin}): SHA-256 of the preserved bytes is ${digest}, recorded ${e.sha256}: the bytes were altered`);
    if (size !== e.size) c.problem(`evidence:${e.id}`, `evidence item ${e.id} (${e.origin}): ${size} bytes preserved, ${e.size} recorded`);
    evTree.push(leafHash(Buffer.from(evidenceLeafData(e as unknown as Record<string, unknown>), 'utf8')));
    if (wantEvidence.has(evTree.size)) evRootsAt.set(evTree.size, evTree.root().toString('hex'));
  }
  const orphanChunks = db.prepare('SELECT DISTINCT evidence_id FROM evidence_chunks WHERE evidence_id NOT IN (SELECT id FROM evidence)').all() as { evidence_id: number }[];
  for (const o of orphanChunks) warnings.push({ where: `evidence:${o.evidence_id}`, message: 'preserved bytes without an evidence row (an import stopped mid-source?)' });

  // Addresses: version/v4/v6 answer CIDR searches, re-derived from the text like every other normalised value.
  for (const r of db.prepare('SELECT id, text, version, v4, v6 FROM ips').raw().iterate() as Iterable<[number, string, number | null, number | null, string | null]>) {
    const p = parseIp(r[1]);
    const want = [p?.version ?? null, p?.version === 4 ? p.value : null, p?.version === 6 ? p.value : null];
    if (want[0] !== r[2] || want[1] !== r[3] || want[2] !== r[4]) c.problem(`ip:${r[0]}`, `address ${JSON.stringify(r[1])}: version/v4/v6 columns differ from the text`);
  }
  return { problems: c.problems, unlisted: c.unlisted, warnings, nCustody, custodyAt, meta, keys, nEvidence, evRootsAt };
}

/** The event tree over the stored leaf hashes in leaf order (the records are checked against them by range), and the leaves missing. */
interface TreePart extends Part {
  nEvents: number;
  root: string;
  size: number;
  rootsAt: Map<number, string>;
}

function checkTree(db: Database.Database): TreePart {
  const c = collector();
  const wantSizes = new Set((db.prepare('SELECT tree_size FROM checkpoints').pluck().all() as number[]));
  const rootsAt = new Map<number, string>();
  const tree = new MerkleBuilder();
  if (wantSizes.has(0)) rootsAt.set(0, tree.root().toString('hex'));
  let expectLeaf = 0;
  let nEvents = 0;
  for (const [leaf, hash] of db.prepare('SELECT leaf, leaf_hash FROM events ORDER BY leaf').raw().iterate() as Iterable<[number, Buffer]>) {
    nEvents++;
    if (leaf !== expectLeaf) c.problem(`event:${expectLeaf}`, `event leaf ${expectLeaf} is missing (next is ${leaf}): a row was deleted`, expectLeaf);
    expectLeaf = leaf + 1;
    tree.push(hash);
    if (wantSizes.has(tree.size)) rootsAt.set(tree.size, tree.root().toString('hex'));
  }
  return { problems: c.problems, unlisted: c.unlisted, nEvents, root: tree.root().toString('hex'), size: tree.size, rootsAt };
}

/** Copies of events from other sources: each recomputed from its evidence and compared with its event. */
interface CopiesPart extends Part {
  nCopies: number;
  perEvidence: [number, number][];
}

function checkCopies(db: Database.Database): CopiesPart {
  const c = collector();
  const decoder = new EvidenceDecoder(db, (id, message) => c.problem(`evidence:${id}`, message));
  const perEvidence = new Map<number, number>();
  let nCopies = 0;
  const evStmt = db.prepare('SELECT leaf_hash, event_id FROM events WHERE leaf = ?');
  for (const cp of db.prepare('SELECT * FROM event_copies ORDER BY id').iterate() as Iterable<any>) {
    nCopies++;
    perEvidence.set(cp.evidence_id, (perEvidence.get(cp.evidence_id) ?? 0) + 1);
    const d = decoder.decoded(cp.evidence_id);
    const where = `copy:${cp.id}`;
    if (!d) {
      c.problem(where, `copy ${cp.id} points to evidence item ${cp.evidence_id}, which is not in the case`);
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = recordBytes(cp.enc, d.subarray(cp.pos, cp.pos + cp.len));
    } catch (e) {
      c.problem(where, `copy ${cp.id}: record cannot be recovered (${(e as Error).message})`);
      continue;
    }
    const lh = leafHash(bytes);
    if (!lh.equals(Buffer.from(cp.leaf_hash))) c.problem(where, `copy ${cp.id} in evidence item ${cp.evidence_id}: record hash differs from the stored one`);
    const ev = evStmt.get(cp.event_leaf) as { leaf_hash: Buffer; event_id: string } | undefined;
    if (!ev) c.problem(where, `copy ${cp.id} belongs to event leaf ${cp.event_leaf}, which is missing`);
    else if (cp.identical === 1 && !Buffer.from(ev.leaf_hash).equals(lh)) c.problem(where, `copy ${cp.id} is recorded identical to event ${ev.event_id} but differs`);
  }
  return { problems: c.problems, unlisted: c.unlisted, nCopies, perEvidence: [...perEvidence] };
}

function integrityCheck(db: Database.Database): string {
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  } catch (e) {
    return `failed: ${(e as Error).message}`;
  }
}

/** One unit of verification work; the same in this thread and in a worker (verify-worker.ts). */
export type VerifyTask =
  | { type: 'integrity' }
  | { type: 'records' }
  | { type: 'tree' }
  | { type: 'copies' }
  | { type: 'range'; from: number; to: number };

export function runVerifyTask(db: Database.Database, t: VerifyTask, onEvents?: (n: number) => void): unknown {
  switch (t.type) {
    case 'integrity':
      return integrityCheck(db);
    case 'records':
      return checkRecords(db);
    case 'tree':
      return checkTree(db);
    case 'copies':
      return checkCopies(db);
    case 'range':
      return checkEventRange(db, t.from, t.to, onEvents);
  }
}

/** The tasks of a verification: the cheap whole-case parts first, then the events by leaf range. */
function planTasks(leaves: number, rangeLeaves: number): VerifyTask[] {
  const tasks: VerifyTask[] = [{ type: 'integrity' }, { type: 'records' }, { type: 'tree' }, { type: 'copies' }];
  for (let from = 0; from < leaves; from += rangeLeaves) tasks.push({ type: 'range', from, to: Math.min(leaves, from + rangeLeaves) });
  // Leaves past max(leaf) cannot exist; an empty case still gets one (empty) range.
  if (leaves === 0) tasks.push({ type: 'range', from: 0, to: 0 });
  return tasks;
}

function leafCount(db: Database.Database): number {
  return ((db.prepare('SELECT max(leaf) AS m FROM events').get() as { m: number | null }).m ?? -1) + 1;
}

/**
 * `trailcase verify`: recompute everything from the preserved original bytes, in this thread.
 * verifyCaseParallel gives the same report using worker threads.
 */
export function verifyCase(store: CaseStore, opts: VerifyOptions = {}): VerifyReport {
  const db = store.db;
  const leaves = leafCount(db);
  const tasks = planTasks(leaves, Math.max(1, leaves));
  let done = 0;
  const results = tasks.map((t) =>
    runVerifyTask(db, t, (n) => {
      done += n;
      if (n === 10_000 && done % 50_000 === 0) opts.onProgress?.(done, leaves, 'events');
    }),
  );
  return assemble(store, tasks, results, opts);
}

/**
 * The same verification with its parts spread over worker threads, each with
 * its own read-only connection (README.md, "Speed and size": a 10M-event case on a 2-core laptop).
 * Small cases, in-memory cases, and a failure to start the threads run it in
 * this thread instead. Progress: events checked so far.
 */
export async function verifyCaseParallel(store: CaseStore, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const leaves = leafCount(store.db);
  const nWorkers = opts.workers ?? Math.max(1, Math.min(4, availableParallelism()));
  if (nWorkers < 1 || leaves < (opts.minEvents ?? PARALLEL_MIN_EVENTS) || store.path === ':memory:' || !existsSync(store.path)) return verifyCase(store, opts);
  const tasks = planTasks(leaves, opts.rangeLeaves ?? RANGE_LEAVES);
  let results: unknown[];
  try {
    results = await runInWorkers(store.path, tasks, nWorkers, leaves, opts);
  } catch (e) {
    // A thread that cannot start or open the file (a damaged case): the same checks in this thread say what is wrong.
    if ((e as Error).name === 'VerifyWorkerError') return verifyCase(store, opts);
    throw e;
  }
  return assemble(store, tasks, results, opts);
}

function runInWorkers(path: string, tasks: VerifyTask[], nWorkers: number, leaves: number, opts: VerifyOptions): Promise<unknown[]> {
  const results: unknown[] = new Array(tasks.length);
  // Workers take the next task themselves (an atomic counter), so they never wait for this thread.
  const next = new Int32Array(new SharedArrayBuffer(4));
  let done = 0;
  let lastReport = 0;
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let finished = 0;
    let failed = false;
    const fail = (message: string) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      const err = new Error(message);
      err.name = 'VerifyWorkerError';
      reject(err);
    };
    for (let i = 0; i < Math.min(nWorkers, tasks.length); i++) {
      const w = new Worker(new URL('./verify-worker-boot.js', import.meta.url), { workerData: { path, tasks, next } });
      workers.push(w);
      w.on('message', (m: { type: 'progress'; n: number } | { type: 'done'; index: number; result: unknown } | { type: 'end' } | { type: 'error'; message: string }) => {
        if (m.type === 'progress') {
          done += m.n;
          const now = Date.now();
          if (now - lastReport >= 250) {
            lastReport = now;
            opts.onProgress?.(done, leaves, 'events');
          }
        } else if (m.type === 'done') results[m.index] = m.result;
        else if (m.type === 'error') fail(`verify worker: ${m.message}`);
        else if (m.type === 'end') {
          void w.terminate();
          if (++finished === workers.length && !failed) {
            opts.onProgress?.(done, leaves, 'events');
            resolve(results);
          }
        }
      });
      w.on('error', (e) => fail(`verify worker: ${e.message}`));
    }
  });
}

/** The report from the parts, merged in a fixed order (the order of the checks when they ran one after another). */
function assemble(store: CaseStore, tasks: VerifyTask[], results: unknown[], opts: VerifyOptions): VerifyReport {
  const db = store.db;
  const problems: VerifyProblem[] = [];
  const counters = new Map<string, number>();
  const problem = (where: string, message: string) => {
    const kind = where.split(':')[0];
    const n = (counters.get(kind) ?? 0) + 1;
    counters.set(kind, n);
    if (n <= MAX_LISTED) problems.push({ where, message });
    else if (n === MAX_LISTED + 1) problems.push({ where: kind, message: `more problems of this kind not listed` });
  };
  const replay = (p: Part) => {
    for (const x of p.problems) problem(x.where, x.message);
    for (const [kind, n] of Object.entries(p.unlisted)) for (let i = 0; i < n; i++) problem(kind, '');
  };
  const of = <T,>(type: VerifyTask['type']) => results[tasks.findIndex((t) => t.type === type)] as T;
  const integrity = of<string>('integrity');
  const records = of<RecordsPart>('records');
  const tree = of<TreePart>('tree');
  const copies = of<CopiesPart>('copies');
  const ranges = tasks.flatMap((t, i) => (t.type === 'range' ? [results[i] as RangeResult] : []));

  // 1. SQLite's own check, then the schema, custody, metadata, keys, evidence and addresses.
  if (integrity !== 'ok') problem('sqlite', integrity.startsWith('failed: ') ? integrity : `integrity_check: ${integrity}`);
  replay(records);
  const warnings: VerifyProblem[] = [...records.warnings];

  // 2. Events: leaves missing (from the tree walk) and every record (by range), in leaf order.
  const eventParts: LeafProblem[] = [...tree.problems];
  const eventUnlisted: Record<string, number> = { ...tree.unlisted };
  const shortDecodes = new Set<string>();
  for (const r of ranges) {
    // An evidence item at the edge of two ranges is decoded by both: its short decode is one problem.
    eventParts.push(...r.problems.filter((p) => !p.where.startsWith('evidence:') || (!shortDecodes.has(p.where) && shortDecodes.add(p.where))));
    for (const [k, n] of Object.entries(r.unlisted)) eventUnlisted[k] = (eventUnlisted[k] ?? 0) + n;
  }
  eventParts.sort((a, b) => a.leaf - b.leaf);
  replay({ problems: eventParts, unlisted: eventUnlisted });
  const nEvents = tree.nEvents;

  // 3. Copies, then the per-evidence counts recorded at import.
  replay(copies);
  // Counts by evidence id in typed arrays (4 bytes an item, whatever the number of items); events that
  // point past the last evidence item are already named above.
  const maxId = Math.max(0, (db.prepare('SELECT max(id) FROM evidence').pluck().get() as number | null) ?? 0);
  const perEvidence = new Float64Array(maxId + 1);
  const perEvidenceCopies = new Float64Array(maxId + 1);
  for (const r of ranges) for (const [id, n] of r.perEvidence) if (id >= 0 && id <= maxId) perEvidence[id] += n;
  for (const [id, n] of copies.perEvidence) if (id >= 0 && id <= maxId) perEvidenceCopies[id] += n;
  for (const e of db.prepare('SELECT id, n_events, n_copies FROM evidence ORDER BY id').iterate() as Iterable<{ id: number; n_events: number; n_copies: number }>) {
    const nEv = e.id >= 0 && e.id <= maxId ? perEvidence[e.id] : 0;
    const nCp = e.id >= 0 && e.id <= maxId ? perEvidenceCopies[e.id] : 0;
    if (nEv !== e.n_events) problem(`evidence:${e.id}`, `evidence item ${e.id}: ${nEv} events in the case, ${e.n_events} recorded at import (rows deleted or added)`);
    if (nCp !== e.n_copies) problem(`evidence:${e.id}`, `evidence item ${e.id}: ${nCp} copies in the case, ${e.n_copies} recorded`);
  }

  // 4. Checkpoints: body, signature, and the roots they commit to.
  opts.onProgress?.(nEvents, nEvents, 'checkpoints');
  const meta = records.meta;
  const checkpoints = db.prepare('SELECT * FROM checkpoints ORDER BY seq').all() as any[];
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
    const pem = records.keys.get(c.key_fingerprint);
    if (!pem) problem(where, `checkpoint ${c.seq}: signed by key ${c.key_fingerprint}, which is not in the case`);
    else if (!verifySignature(pem, Buffer.from(c.body, 'utf8'), Buffer.from(c.signature, 'base64'))) {
      problem(where, `checkpoint ${c.seq}: signature does not verify with key ${c.key_fingerprint.slice(0, 16)}…`);
    }
    if (c.tree_size > nEvents) problem(where, `checkpoint ${c.seq} covers ${c.tree_size} events, the case has ${nEvents}: events were deleted`);
    else if (tree.rootsAt.get(c.tree_size) !== c.root) problem(where, `checkpoint ${c.seq}: the events now give root ${tree.rootsAt.get(c.tree_size)} at size ${c.tree_size}, it signed ${c.root}`);
    if (records.evRootsAt.get(c.evidence_count) !== c.evidence_root) problem(where, `checkpoint ${c.seq}: evidence items 1..${c.evidence_count} no longer give the signed evidence root`);
    if (records.custodyAt.get(c.custody_seq) !== c.custody_head) problem(where, `checkpoint ${c.seq}: custody entry ${c.custody_seq} no longer has the signed hash`);
    if (c.meta_hash !== metaHash) problem(where, `checkpoint ${c.seq}: case metadata changed since it was signed`);
  }
  // 5. RFC 3161 time-stamps: each token is over its checkpoint's signed text (the TSA's signature needs its CA: openssl ts -verify).
  for (const p of checkTimestamps(store)) problem(p.where, p.message);

  const last = checkpoints[checkpoints.length - 1];
  if (!last) problem('checkpoint', 'the case has no signed checkpoint');
  else {
    if (nEvents > last.tree_size) warnings.push({ where: 'checkpoint', message: `${nEvents - last.tree_size} events after the last signed checkpoint (an import was interrupted; import again to complete and sign)` });
    if (records.nEvidence > last.evidence_count) warnings.push({ where: 'checkpoint', message: `${records.nEvidence - last.evidence_count} evidence items after the last signed checkpoint` });
  }
  const started = db.prepare("SELECT count(*) AS n FROM custody WHERE action = 'import.started'").get() as { n: number };
  const ended = db.prepare("SELECT count(*) AS n FROM custody WHERE action IN ('import.completed','import.cancelled','import.failed')").get() as { n: number };
  if (started.n > ended.n) warnings.push({ where: 'custody', message: `${started.n - ended.n} import(s) started but never finished (interrupted)` });

  // 6. Each source against its own origin's scheme (CloudTrail digests).
  opts.onProgress?.(nEvents, nEvents, 'sources');
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
    counts: { evidence: records.nEvidence, events: nEvents, copies: copies.nCopies, checkpoints: checkpoints.length, custody: records.nCustody },
    root: tree.root,
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
