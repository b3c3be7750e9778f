// The case file: one SQLite database per investigation (.trailcase).
// Open with WAL for speed and concurrent readers; on close the WAL is folded
// back and the journal mode set to DELETE, so a closed case is one file.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { CaseScope, CheckpointSummary } from '../../shared/types.ts';
import { parseIp } from '../../shared/ip.ts';
import { NotFound, UserError } from '../errors.ts';
import { TOOL_VERSION, toolString } from '../version.ts';
import { canonicalJson, sha256Hex } from './canonical.ts';
import { type Signer, readKeyFile } from './keys.ts';
import { leafHash, MerkleBuilder } from './merkle.ts';
import { eventTreeStart, extendEventTree } from './tree.ts';
import { migrate, SCHEMA_VERSION } from './migrations/index.ts';
import { EVENT_ID_INDEX, EVENT_SECONDARY_INDEXES } from './migrations/0001-initial.ts';

/** PRAGMA application_id: 'TRLC'. Lets `file`/sqlite3 users tell a case from any database. */
export const APPLICATION_ID = 0x54524c43;
export const ZERO_HASH = '0'.repeat(64);
export const CASE_EXTENSION = '.trailcase';

export interface CaseMeta {
  caseId: string;
  title: string;
  examiner: string;
  scope: CaseScope;
  createdAt: string;
  toolVersion: string;
}

/** Who is acting: the examiner named by the key in TRAILCASE_HOME, else TRAILCASE_EXAMINER, else the OS user. */
export function currentActor(): string {
  if (process.env.TRAILCASE_EXAMINER) return process.env.TRAILCASE_EXAMINER;
  try {
    const kf = readKeyFile();
    if (kf) return kf.examiner;
  } catch {
    /* unreadable key: fall through */
  }
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function isSqlite(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(16);
    readSync(fd, b, 0, 16, 0);
    return b.toString('latin1') === 'SQLite format 3\0';
  } finally {
    closeSync(fd);
  }
}

export class CaseStore {
  private stringCache = new Map<string, number>();
  private ipCache = new Map<string, number>();
  private stmts = new Map<string, Database.Statement>();
  private closed = false;

  private constructor(readonly db: Database.Database, readonly path: string, readonly readonly: boolean) {}

  static create(path: string, opts: { title: string; examiner: string; scope?: CaseScope }, signer: Signer): CaseStore {
    if (existsSync(path)) throw new UserError(`${path} already exists; a new case needs a new file`);
    if (!opts.title.trim()) throw new UserError('a case needs a title (--title)');
    if (!opts.examiner.trim()) throw new UserError('a case needs an examiner (--examiner)');
    const db = new Database(path);
    const store = new CaseStore(db, path, false);
    store.configure();
    db.pragma(`application_id = ${APPLICATION_ID}`);
    migrate(db);
    const meta: CaseMeta = {
      caseId: randomUUID(),
      title: opts.title.trim(),
      examiner: opts.examiner.trim(),
      scope: opts.scope ?? {},
      createdAt: new Date().toISOString(),
      toolVersion: toolString(),
    };
    db.transaction(() => {
      const ins = db.prepare('INSERT INTO case_meta(key, value) VALUES (?, ?)');
      for (const [k, v] of Object.entries(meta)) ins.run(k, typeof v === 'string' ? v : canonicalJson(v));
      store.addKey(signer);
      store.appendCustody(signer.examiner, 'case.created', { meta, schemaVersion: SCHEMA_VERSION, keyFingerprint: signer.fingerprint });
    })();
    store.checkpoint(signer, 'case created');
    return store;
  }

  static open(path: string, opts: { readonly?: boolean; migrate?: boolean } = {}): CaseStore {
    if (!existsSync(path)) throw new NotFound(`no case file at ${path}`);
    if (!isSqlite(path)) throw new UserError(`${path} is not a TrailCase case file (not SQLite)`);
    const db = new Database(path, { readonly: !!opts.readonly, fileMustExist: true });
    const appId = db.pragma('application_id', { simple: true }) as number;
    if (appId !== APPLICATION_ID) {
      db.close();
      throw new UserError(`${path} is a SQLite database but not a TrailCase case file`);
    }
    const store = new CaseStore(db, path, !!opts.readonly);
    const fileVersion = db.pragma('user_version', { simple: true }) as number;
    if (fileVersion > SCHEMA_VERSION) {
      db.close();
      throw new UserError(`${path} has case schema ${fileVersion}, newer than this TrailCase understands (${SCHEMA_VERSION}); use a newer TrailCase`);
    }
    if (!opts.readonly) {
      store.configure();
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version < SCHEMA_VERSION && opts.migrate !== false) {
        const applied = migrate(db);
        if (applied.length) store.appendCustody(currentActor(), 'schema.migrated', { from: version, to: SCHEMA_VERSION, applied });
      }
      if ((db.pragma('user_version', { simple: true }) as number) >= 1) store.ensureIndexes();
    } else {
      db.pragma('query_only = 1');
    }
    return store;
  }

  /** Build any event index that is missing (after an interrupted large import). */
  ensureIndexes(): string[] {
    const have = new Set((this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").all() as { name: string }[]).map((r) => r.name));
    const built: string[] = [];
    for (const ix of [EVENT_ID_INDEX, ...EVENT_SECONDARY_INDEXES]) {
      if (!have.has(ix.name)) {
        this.db.exec(ix.sql);
        built.push(ix.name);
      }
    }
    return built;
  }

  /** Drop the secondary event indexes a bulk import sorts in at its end (derived data; ensureIndexes rebuilds them). */
  dropSecondaryIndexes(): void {
    for (const ix of EVENT_SECONDARY_INDEXES) if (!ix.keepInBulk) this.db.exec(`DROP INDEX IF EXISTS ${ix.name}`);
  }

  /** The eventID index, dropped by a bulk import into an empty case (ImportSession) and rebuilt by ensureIndexes or ensureIdIndex. */
  dropIdIndex(): void {
    this.db.exec(`DROP INDEX IF EXISTS ${EVENT_ID_INDEX.name}`);
  }

  ensureIdIndex(): void {
    if (!this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").get(EVENT_ID_INDEX.name)) this.db.exec(EVENT_ID_INDEX.sql);
  }

  private configure(): void {
    this.db.pragma('journal_mode = WAL');
    // A lost commit of evidence matters more than a few ms per transaction.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = OFF');
    this.db.pragma('cache_size = -65536'); // 64 MiB
    this.db.pragma('temp_store = MEMORY');
  }

  /** Close the case as one file: checkpoint the WAL and leave no -wal/-shm behind. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.readonly) {
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
        this.db.pragma('journal_mode = DELETE');
      } catch {
        /* another connection may hold it open; it will fold the WAL on its close */
      }
    }
    this.db.close();
  }

  stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  meta(): CaseMeta {
    const rows = this.stmt('SELECT key, value FROM case_meta').all() as { key: string; value: string }[];
    const m = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    return {
      caseId: m.caseId,
      title: m.title,
      examiner: m.examiner,
      scope: m.scope ? JSON.parse(m.scope) : {},
      createdAt: m.createdAt,
      toolVersion: m.toolVersion,
    };
  }

  /** The scope in force: the last `scope.set` custody entry, else the scope given at creation. */
  scope(): CaseScope {
    const row = this.stmt("SELECT details FROM custody WHERE action = 'scope.set' ORDER BY seq DESC LIMIT 1").get() as { details: string } | undefined;
    return row ? (JSON.parse(row.details).scope as CaseScope) : this.meta().scope;
  }

  // ---- strings and addresses (dictionary-encoded columns) ----

  intern(s: string | null): number | null {
    if (s === null) return null;
    const hit = this.stringCache.get(s);
    if (hit !== undefined) return hit;
    let row = this.stmt('SELECT id FROM strings WHERE s = ?').get(s) as { id: number } | undefined;
    if (!row) {
      const r = this.stmt('INSERT INTO strings(s) VALUES (?)').run(s);
      row = { id: Number(r.lastInsertRowid) };
    }
    if (this.stringCache.size > 500_000) this.stringCache.clear(); // bound memory on pathological inputs
    this.stringCache.set(s, row.id);
    return row.id;
  }

  internIp(s: string | null): number | null {
    if (s === null) return null;
    const hit = this.ipCache.get(s);
    if (hit !== undefined) return hit;
    let row = this.stmt('SELECT id FROM ips WHERE text = ?').get(s) as { id: number } | undefined;
    if (!row) {
      const p = parseIp(s);
      const r = this.stmt('INSERT INTO ips(text, version, v4, v6) VALUES (?, ?, ?, ?)').run(
        s,
        p?.version ?? null,
        p?.version === 4 ? (p.value as number) : null,
        p?.version === 6 ? (p.value as string) : null,
      );
      row = { id: Number(r.lastInsertRowid) };
    }
    if (this.ipCache.size > 500_000) this.ipCache.clear();
    this.ipCache.set(s, row.id);
    return row.id;
  }

  /** Forget cached ids (after a rolled-back transaction the cached ids may not exist). */
  dropCaches(): void {
    this.stringCache.clear();
    this.ipCache.clear();
  }

  // ---- keys ----

  addKey(k: { fingerprint: string; publicKeyPem: string; examiner: string }): boolean {
    const exists = this.stmt('SELECT 1 FROM keys WHERE fingerprint = ?').get(k.fingerprint);
    if (exists) return false;
    this.stmt('INSERT INTO keys(fingerprint, public_key, examiner, added_at) VALUES (?, ?, ?, ?)').run(
      k.fingerprint,
      k.publicKeyPem,
      k.examiner,
      new Date().toISOString(),
    );
    return true;
  }

  /** Make sure the acting examiner's public key is in the case (custody-logged when added). */
  ensureKey(signer: Signer): void {
    this.db.transaction(() => {
      if (this.addKey(signer)) this.appendCustody(signer.examiner, 'key.added', { fingerprint: signer.fingerprint, examiner: signer.examiner });
    })();
  }

  // ---- chain of custody ----

  /** Append one custody entry, hash-chained to the previous one. Returns its seq. */
  appendCustody(actor: string, action: string, details: Record<string, unknown>): number {
    const last = this.stmt('SELECT seq, hash FROM custody ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined;
    const seq = (last?.seq ?? 0) + 1;
    const prev = last?.hash ?? ZERO_HASH;
    const at = new Date().toISOString();
    const hash = custodyHash(prev, { seq, at, actor, action, details, toolVersion: TOOL_VERSION });
    this.stmt('INSERT INTO custody(seq, at, actor, action, details, tool_version, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      seq,
      at,
      actor,
      action,
      canonicalJson(details),
      TOOL_VERSION,
      prev,
      hash,
    );
    return seq;
  }

  // ---- checkpoints ----

  /** The event tree rebuilt from the stored leaf hashes (all, or the first `limit`). */
  eventTreeRoot(limit?: number): { size: number; root: Buffer } {
    const b = extendEventTree(this.db, { frontier: null, from: 0 }, limit);
    return { size: b.size, root: b.root() };
  }

  evidenceTreeRoot(): { count: number; root: Buffer } {
    const b = new MerkleBuilder();
    for (const row of this.db.prepare('SELECT * FROM evidence ORDER BY id').iterate() as Iterable<Record<string, unknown>>) {
      b.push(leafHash(Buffer.from(evidenceLeafData(row), 'utf8')));
    }
    return { count: b.size, root: b.root() };
  }

  metaHash(): string {
    const rows = this.db.prepare('SELECT key, value FROM case_meta ORDER BY key').all() as { key: string; value: string }[];
    return sha256Hex(canonicalJson(rows.map((r) => [r.key, r.value])));
  }

  /**
   * The event tree as a streaming builder, continued from the last checkpoint's
   * stored frontier (only the leaves added since are read and hashed; tree.ts).
   */
  eventTreeBuilder(): MerkleBuilder {
    return extendEventTree(this.db, eventTreeStart(this.db));
  }

  /**
   * Sign (tree size, root, evidence root, custody head, meta) with the examiner's key.
   * An import may pass the tree it computed meanwhile (tree.ts); it is used only
   * when it covers exactly the events in the case.
   */
  checkpoint(signer: Signer, reason: string, tree?: MerkleBuilder): CheckpointSummary {
    this.ensureKey(signer);
    return this.db.transaction(() => {
      const count = (this.stmt('SELECT coalesce(max(leaf) + 1, 0) AS n FROM events').get() as { n: number }).n;
      const builder = tree && tree.size === count ? tree : this.eventTreeBuilder();
      const ev = { size: builder.size, root: builder.root() };
      const evi = this.evidenceTreeRoot();
      const cust = this.stmt('SELECT seq, hash FROM custody ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string };
      const last = this.stmt('SELECT seq FROM checkpoints ORDER BY seq DESC LIMIT 1').get() as { seq: number } | undefined;
      const seq = (last?.seq ?? 0) + 1;
      const createdAt = new Date().toISOString();
      const fields: CheckpointFields = {
        caseId: this.meta().caseId,
        seq,
        treeSize: ev.size,
        root: ev.root.toString('hex'),
        evidenceCount: evi.count,
        evidenceRoot: evi.root.toString('hex'),
        custodySeq: cust.seq,
        custodyHead: cust.hash,
        metaHash: this.metaHash(),
        createdAt,
        reason: reason.replace(/\n/g, ' '),
        keyFingerprint: signer.fingerprint,
      };
      const body = checkpointBody(fields);
      const signature = signer.sign(Buffer.from(body, 'utf8')).toString('base64');
      this.stmt(
        `INSERT INTO checkpoints(seq, tree_size, root, evidence_count, evidence_root, custody_seq, custody_head, meta_hash, created_at, reason, key_fingerprint, body, signature, frontier)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(seq, fields.treeSize, fields.root, fields.evidenceCount, fields.evidenceRoot, fields.custodySeq, fields.custodyHead, fields.metaHash, createdAt, fields.reason, signer.fingerprint, body, signature, JSON.stringify(builder.frontier()));
      return {
        seq,
        treeSize: fields.treeSize,
        root: fields.root,
        evidenceCount: fields.evidenceCount,
        evidenceRoot: fields.evidenceRoot,
        custodySeq: fields.custodySeq,
        createdAt,
        keyFingerprint: signer.fingerprint,
        reason: fields.reason,
      };
    })();
  }

  lastCheckpoint(): CheckpointSummary | null {
    const r = this.stmt('SELECT * FROM checkpoints ORDER BY seq DESC LIMIT 1').get() as Record<string, any> | undefined;
    return r ? checkpointSummary(r) : null;
  }
}

export interface CheckpointFields {
  caseId: string;
  seq: number;
  treeSize: number;
  root: string;
  evidenceCount: number;
  evidenceRoot: string;
  custodySeq: number;
  custodyHead: string;
  metaHash: string;
  createdAt: string;
  reason: string;
  keyFingerprint: string;
}

/** The signed text of a checkpoint (in the spirit of C2SP signed notes). */
export function checkpointBody(f: CheckpointFields): string {
  return [
    'trailcase-checkpoint/1',
    `case ${f.caseId}`,
    `seq ${f.seq}`,
    `events ${f.treeSize} ${f.root}`,
    `evidence ${f.evidenceCount} ${f.evidenceRoot}`,
    `custody ${f.custodySeq} ${f.custodyHead}`,
    `meta ${f.metaHash}`,
    `time ${f.createdAt}`,
    `reason ${f.reason}`,
    `key ${f.keyFingerprint}`,
    '',
  ].join('\n');
}

export function checkpointSummary(r: Record<string, any>): CheckpointSummary {
  return {
    seq: r.seq,
    treeSize: r.tree_size,
    root: r.root,
    evidenceCount: r.evidence_count,
    evidenceRoot: r.evidence_root,
    custodySeq: r.custody_seq,
    createdAt: r.created_at,
    keyFingerprint: r.key_fingerprint,
    reason: r.reason,
  };
}

/** Custody entry hash: SHA-256(prev_hash_hex + "\n" + canonical JSON of the entry). */
export function custodyHash(
  prev: string,
  e: { seq: number; at: string; actor: string; action: string; details: unknown; toolVersion: string },
): string {
  return sha256Hex(prev + '\n' + canonicalJson({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, details: e.details, toolVersion: e.toolVersion }));
}

/** Leaf data for the evidence tree: canonical JSON of the whole evidence row. */
export function evidenceLeafData(row: Record<string, unknown>): string {
  return canonicalJson(row);
}
