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
import { toolString } from '../version.ts';
import { canonicalJson, sha256Hex } from './canonical.ts';
import { type Signer, readKeyFile } from './keys.ts';
import { leafHash, MerkleBuilder } from './merkle.ts';
import { eventTreeStart, extendEventTree } from './tree.ts';
import { migrate, SCHEMA_VERSION } from './migrations/index.ts';
import { asReadable, asWritable, cached, type ReadableDB, type WritableDB } from './data/db.ts';
import { dropIdIndex, dropSecondaryIndexes, ensureEventIndexes, ensureIdIndex } from './data/indexes.ts';
import { appendCustody, custodyHead, lastCustodyOf } from './data/custody.ts';
import { checkpointSummary, insertCheckpoint, lastCheckpointRow, lastCheckpointSeq } from './data/checkpoints.ts';
import { evidenceRows } from './data/evidence.ts';
import { applicationId, hasKey, insertKey, insertMeta, metaRows, schemaVersion } from './data/meta.ts';
import { maxLeafPlusOne } from './data/events.ts';

// Re-exported from the data layer, where they now live, for the modules that import them from here.
export { checkpointSummary } from './data/checkpoints.ts';
export { custodyHash, ZERO_HASH } from './data/custody.ts';

/** PRAGMA application_id: 'TRLC'. Lets `file`/sqlite3 users tell a case from any database. */
export const APPLICATION_ID = 0x54524c43;
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
  private closed = false;
  private readView_: CaseStore | null = null;

  /**
   * The raw connection. New code reaches the file through `reader`/`writer` and a
   * module of electron/case/data/ (docs/architecture.md, "The data layer"); the
   * lint (test/lint/data-layer.ts) rejects SQL on it outside electron/case/.
   * It stays public for tests and for the modules still being moved (the lint's allowlist).
   */
  readonly db: Database.Database;

  private constructor(db: Database.Database, readonly path: string, readonly readonly: boolean) {
    this.db = db;
  }

  /** The connection typed for reading: what every read function of the data layer takes. */
  get reader(): ReadableDB {
    return asReadable(this.db);
  }

  /** The connection typed for writing. A case opened read-only has none. */
  get writer(): WritableDB {
    if (this.readonly) throw new UserError(`${this.path} is open read-only`);
    return asWritable(this.db);
  }

  /**
   * The store a `read` API method gets (dispatch): a second connection to the
   * same file opened read-only, so a read method that tries to write fails in
   * SQLite whatever it calls. Opened on first use, closed with this store. A
   * store that is itself read-only is its own read view.
   */
  readView(): CaseStore {
    // A closed store has no connection to read through; the method fails as it did on the store itself.
    if (this.readonly || this.closed) return this;
    if (!this.readView_) {
      const db = new Database(this.path, { readonly: true, fileMustExist: true });
      db.pragma('query_only = 1');
      db.pragma('cache_size = -65536'); // as the writer: reads of a large case are the common case
      this.readView_ = new CaseStore(db, this.path, true);
    }
    return this.readView_;
  }

  static create(path: string, opts: { title: string; examiner: string; scope?: CaseScope }, signer: Signer): CaseStore {
    if (existsSync(path)) throw new UserError(`${path} already exists; a new case needs a new file`);
    if (!opts.title.trim()) throw new UserError('a case needs a title (--title)');
    if (!opts.examiner.trim()) throw new UserError('a case needs an examiner (--examiner)');
    const db = new Database(path);
    const store = new CaseStore(db, path, false);
    store.configure();
    db.pragma(`application_id = ${APPLICATION_ID}`);
    migrate(db);
    const w = store.writer;
    const meta: CaseMeta = {
      caseId: randomUUID(),
      title: opts.title.trim(),
      examiner: opts.examiner.trim(),
      scope: opts.scope ?? {},
      createdAt: new Date().toISOString(),
      toolVersion: toolString(),
    };
    store.transaction(() => {
      for (const [k, v] of Object.entries(meta)) insertMeta(w, k, typeof v === 'string' ? v : canonicalJson(v));
      store.addKey(signer);
      store.appendCustody(signer.examiner, 'case.created', { meta, schemaVersion: SCHEMA_VERSION, keyFingerprint: signer.fingerprint });
    });
    store.checkpoint(signer, 'case created');
    return store;
  }

  static open(path: string, opts: { readonly?: boolean; migrate?: boolean } = {}): CaseStore {
    if (!existsSync(path)) throw new NotFound(`no case file at ${path}`);
    if (!isSqlite(path)) throw new UserError(`${path} is not a TrailCase case file (not SQLite)`);
    const db = new Database(path, { readonly: !!opts.readonly, fileMustExist: true });
    const appId = applicationId(asReadable(db));
    if (appId !== APPLICATION_ID) {
      db.close();
      throw new UserError(`${path} is a SQLite database but not a TrailCase case file`);
    }
    const store = new CaseStore(db, path, !!opts.readonly);
    const fileVersion = schemaVersion(store.reader);
    if (fileVersion > SCHEMA_VERSION) {
      db.close();
      throw new UserError(`${path} has case schema ${fileVersion}, newer than this TrailCase understands (${SCHEMA_VERSION}); use a newer TrailCase`);
    }
    if (!opts.readonly) {
      store.configure();
      const version = schemaVersion(store.reader);
      if (version < SCHEMA_VERSION && opts.migrate !== false) {
        const applied = migrate(db);
        if (applied.length) store.appendCustody(currentActor(), 'schema.migrated', { from: version, to: SCHEMA_VERSION, applied });
      }
      if (schemaVersion(store.reader) >= 1) store.ensureIndexes();
    } else {
      db.pragma('query_only = 1');
    }
    return store;
  }

  /** Build any event index that is missing (after an interrupted large import). */
  ensureIndexes(): string[] {
    return ensureEventIndexes(this.writer);
  }

  /** Drop the secondary event indexes a bulk import sorts in at its end (derived data; ensureIndexes rebuilds them). */
  dropSecondaryIndexes(): void {
    dropSecondaryIndexes(this.writer);
  }

  /** The eventID index, dropped by a bulk import into an empty case (ImportSession) and rebuilt by ensureIndexes or ensureIdIndex. */
  dropIdIndex(): void {
    dropIdIndex(this.writer);
  }

  ensureIdIndex(): void {
    ensureIdIndex(this.writer);
  }

  // ---- transactions ----

  /** Run fn in one transaction (nested: a savepoint); committed when it returns, rolled back when it throws. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /**
   * A long write transaction held across awaits (an import commits groups of
   * sources): begin, then commit or rollback. BEGIN IMMEDIATE takes the write
   * lock at once, so a second writer waits here rather than failing mid-group.
   */
  begin(): void {
    this.db.exec('BEGIN IMMEDIATE');
  }
  commit(): void {
    this.db.exec('COMMIT');
  }
  rollback(): void {
    this.db.exec('ROLLBACK');
  }

  /** A named savepoint inside the open transaction: one source of an import, undone alone on failure. */
  savepoint(name: SavepointName): void {
    this.db.exec(`SAVEPOINT ${name}`);
  }
  release(name: SavepointName): void {
    this.db.exec(`RELEASE ${name}`);
  }
  /** Undo everything since the savepoint and end it. */
  rollbackTo(name: SavepointName): void {
    this.db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
  }

  /** WAL pages between automatic checkpoints (a bulk import raises it; 1000 is SQLite's default). */
  walAutocheckpoint(pages: number): void {
    this.db.pragma(`wal_autocheckpoint = ${Math.trunc(pages)}`);
  }

  private configure(): void {
    this.db.pragma('journal_mode = WAL');
    // A lost commit of evidence matters more than a few ms per transaction.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = OFF');
    this.db.pragma('cache_size = -65536'); // 64 MiB
    // Sorts (CREATE INDEX, ORDER BY, DISTINCT) and TEMP tables spill to temporary
    // files past the page cache. In memory (temp_store = MEMORY, as before) the
    // index build of a 10M-event import and the sort of a Sigma rule's millions
    // of matches grew the process with the case (docs/analysis.md, "Memory").
    this.db.pragma('temp_store = FILE');
  }

  /** Close the case as one file: checkpoint the WAL and leave no -wal/-shm behind. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // The read view first: the journal mode can change back to DELETE only with no other connection open.
    this.readView_?.close();
    this.readView_ = null;
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

  /** A cached prepared statement. Inside electron/case/ only; elsewhere call a data module. */
  stmt(sql: string): Database.Statement {
    return cached(this.reader, sql);
  }

  meta(): CaseMeta {
    const rows = metaRows(this.reader);
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
    const row = lastCustodyOf(this.reader, ['scope.set']);
    return row ? (row.details.scope as CaseScope) : this.meta().scope;
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
    if (hasKey(this.reader, k.fingerprint)) return false;
    insertKey(this.writer, k, new Date().toISOString());
    return true;
  }

  /** Make sure the acting examiner's public key is in the case (custody-logged when added). */
  ensureKey(signer: Signer): void {
    this.transaction(() => {
      if (this.addKey(signer)) this.appendCustody(signer.examiner, 'key.added', { fingerprint: signer.fingerprint, examiner: signer.examiner });
    });
  }

  // ---- chain of custody ----

  /** Append one custody entry, hash-chained to the previous one. Returns its seq. */
  appendCustody(actor: string, action: string, details: Record<string, unknown>): number {
    return appendCustody(this.writer, actor, action, details);
  }

  // ---- checkpoints ----

  /** The event tree rebuilt from the stored leaf hashes (all, or the first `limit`). */
  eventTreeRoot(limit?: number): { size: number; root: Buffer } {
    const b = extendEventTree(this.db, { frontier: null, from: 0 }, limit);
    return { size: b.size, root: b.root() };
  }

  evidenceTreeRoot(): { count: number; root: Buffer } {
    const b = new MerkleBuilder();
    for (const row of evidenceRows(this.reader)) {
      b.push(leafHash(Buffer.from(evidenceLeafData(row as unknown as Record<string, unknown>), 'utf8')));
    }
    return { count: b.size, root: b.root() };
  }

  metaHash(): string {
    const rows = metaRows(this.reader);
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
    return this.transaction(() => {
      const count = maxLeafPlusOne(this.reader);
      const builder = tree && tree.size === count ? tree : this.eventTreeBuilder();
      const ev = { size: builder.size, root: builder.root() };
      const evi = this.evidenceTreeRoot();
      const cust = custodyHead(this.reader)!;
      const seq = (lastCheckpointSeq(this.reader) ?? 0) + 1;
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
      insertCheckpoint(this.writer, {
        seq,
        tree_size: fields.treeSize,
        root: fields.root,
        evidence_count: fields.evidenceCount,
        evidence_root: fields.evidenceRoot,
        custody_seq: fields.custodySeq,
        custody_head: fields.custodyHead,
        meta_hash: fields.metaHash,
        created_at: createdAt,
        reason: fields.reason,
        key_fingerprint: signer.fingerprint,
        body,
        signature,
        frontier: JSON.stringify(builder.frontier()),
      });
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
    });
  }

  lastCheckpoint(): CheckpointSummary | null {
    const r = lastCheckpointRow(this.reader);
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

/** Leaf data for the evidence tree: canonical JSON of the whole evidence row. */
export function evidenceLeafData(row: Record<string, unknown>): string {
  return canonicalJson(row);
}

/** Savepoint names are spliced into SQL, so they are a fixed set. */
export type SavepointName = 'source';
