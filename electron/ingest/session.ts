// An import session: everything one `import` adds to a case, from the custody
// entry that opens it to the signed checkpoint that closes it. Sources (files,
// S3 objects, API pages) are written in order; each source is one evidence item
// inside a SAVEPOINT, and sources are committed in groups so that a SIGKILL
// loses at most the group in flight: the case stays valid, and running the same
// import again skips what is already in (by SHA-256) and completes it.
import type { ImportSummary, Progress } from '../../shared/types.ts';
import { parseTime } from '../../shared/time.ts';
import { canonicalJson } from '../case/canonical.ts';
import type { Signer } from '../case/keys.ts';
import { CaseStore } from '../case/store.ts';
import type { MerkleBuilder } from '../case/merkle.ts';
import { TOOL_VERSION, toolString } from '../version.ts';
import { UserError } from '../errors.ts';
import { EvidenceReader } from '../case/evidence.ts';
import { EVENT_COLS, ROWS_PER_INSERT, eventStatements, insertChunk, insertEvidence, nextEvidenceId, type ExistingEvent } from '../case/data/import-writer.ts';
import { evidenceBySha256 } from '../case/data/evidence.ts';
import { eventCount, eventIdsByLeaf, maxLeafPlusOne } from '../case/data/events.ts';
import { insertImport } from '../case/data/imports.ts';
import { insertWarning } from '../case/data/warnings.ts';
import { extendRollupForImport, ROLLUP_VERSION, type RollupExtension } from '../case/data/timeline-rollup.ts';
import { EventIdSet, FingerprintMap } from './event-id-set.ts';
import { packBatch, STRING_FIELDS, type PackedBatch } from './packed.ts';
import { parseSource, type ParsedRecord, type ParseProblem, type ParseResult, type ParseScope } from './parse.ts';

export interface ImportParams {
  sources: string[];
  accounts?: string[];
  regions?: string[];
  since?: string;
  until?: string;
  [k: string]: unknown;
}

export interface OriginSpec {
  kind: 'file' | 's3-object' | 'api-page' | string;
  origin: string;
  originMeta?: Record<string, unknown>;
}

export interface IngestOutcome {
  evidenceId: number | null;
  skipped: boolean;
  duplicateOf?: number;
  result?: ParseResult;
  events: number;
  copies: number;
  conflicts: number;
  warnings: number;
}

/** event_copies.identical: the same bytes; the same JSON content in other formatting; different content. */
export const COPY_IDENTICAL = 1;
export const COPY_SAME_CONTENT = 2;
export const COPY_CONFLICT = 0;

const IP_FIELD = STRING_FIELDS.indexOf('sourceIPAddress');

const GROUP_BYTES = 32 * 1024 * 1024;

// TRAILCASE_COMMIT_EVERY (events) tunes the group size; tests use it to interrupt imports part-way.
const GROUP_EVENTS = Number(process.env.TRAILCASE_COMMIT_EVERY) || 50_000;
const GROUP_MS = 2_000;

export function scopeFromParams(p: { accounts?: string[]; regions?: string[]; since?: string; until?: string }): ParseScope {
  const sinceMs = p.since !== undefined ? parseTime(p.since) : undefined;
  const untilMs = p.until !== undefined ? parseTime(p.until) : undefined;
  if (sinceMs === null) throw new UserError(`--since ${p.since} is not a time (use ISO 8601, e.g. 2024-05-01T00:00:00Z)`);
  if (untilMs === null) throw new UserError(`--until ${p.until} is not a time (use ISO 8601, e.g. 2024-05-02T00:00:00Z)`);
  if (sinceMs !== undefined && untilMs !== undefined && sinceMs > untilMs) throw new UserError('--since is after --until');
  return { sinceMs, untilMs, accounts: p.accounts?.length ? p.accounts : undefined, regions: p.regions?.length ? p.regions : undefined };
}

/** Writes one evidence item and its events; used both in-thread and for worker results. */
export class EvidenceWriter {
  readonly evidenceId: number;
  private seq = 0;
  events = 0;
  copies = 0;
  conflicts = 0;
  warnings = 0;
  private pending: {
    existing: { leaf: number; evidence_id: number; pos: number; len: number; enc: number };
    index: number;
    pos: number;
    len: number;
    enc: number;
    leafHash: Buffer;
    eventId: string;
  }[] = [];

  constructor(private readonly s: ImportSession, readonly spec: OriginSpec) {
    // One source is open at a time and its row is written last, so max+1 is free (no gaps after a rollback).
    this.evidenceId = nextEvidenceId(s.store.writer);
  }

  chunk(bytes: Buffer): void {
    insertChunk(this.s.store.writer, this.evidenceId, this.seq++, bytes);
    this.s.groupBytes += bytes.length;
  }

  records(batch: ParsedRecord[]): void {
    this.recordsPacked(packBatch(batch));
  }

  /** Insert a packed batch: each distinct string is interned once per batch. */
  recordsPacked(b: PackedBatch): void {
    const st = this.s.store;
    // New events are inserted ROWS_PER_INSERT at a time (about 15% cheaper than one statement per row);
    // the buffer is flushed before any duplicate lookup, so a lookup always sees every earlier event.
    const sql = eventStatements(st.writer);
    const insMany = sql.insertMany;
    const insOne = sql.insertOne;
    const buf: unknown[] = new Array(ROWS_PER_INSERT * EVENT_COLS);
    let k = 0;
    const flush = () => {
      if (k === ROWS_PER_INSERT * EVENT_COLS) insMany.run(buf);
      else for (let o = 0; o < k; o += EVENT_COLS) insOne.run(buf.slice(o, o + EVENT_COLS));
      k = 0;
    };
    const findEvent = sql.findByEventId;
    const byLeaf = sql.findByLeaf;
    const insCopy = sql.insertCopy;
    // Distinct strings of this batch -> dictionary ids (the IP column has its own dictionary).
    const strId = new Array<number | null>(b.strs.length);
    const ipId = new Array<number | null | undefined>(b.strs.length);
    for (let k = 0; k < b.strs.length; k++) strId[k] = st.intern(b.strs[k]);
    const NF = STRING_FIELDS.length;
    const hashes = Buffer.from(b.hashes.buffer, b.hashes.byteOffset, b.hashes.byteLength);
    const reqBytes = Buffer.from(b.requestBytes.buffer, b.requestBytes.byteOffset, b.requestBytes.byteLength);
    const issuesByRecord = new Map<number, { code: string; message: string }[]>();
    for (const is of b.issues) {
      let l = issuesByRecord.get(is.i);
      if (!l) issuesByRecord.set(is.i, (l = []));
      l.push(is);
    }
    const col = (i: number, f: number): number | null => {
      const k = b.cols[i * NF + f];
      return k < 0 ? null : strId[k];
    };
    for (let i = 0; i < b.n; i++) {
      const o = i * 6;
      const index = b.nums[o];
      const pos = b.nums[o + 1];
      const len = b.nums[o + 2];
      const enc = b.nums[o + 3];
      const leafHash = hashes.subarray(i * 32, i * 32 + 32);
      for (const issue of issuesByRecord.get(i) ?? []) this.problem({ index, pos, code: issue.code, message: `record ${index}: ${issue.message}` });
      const eventId = b.eventIds[i] ?? `sha256:${leafHash.toString('hex')}`;
      // The eventID set (event-id-set.ts) knows every eventID of the case when there is one: the
      // database lookup is needed only for IDs it may have seen, or when there is none (an import
      // into a case that has events, not bulk).
      const seen = this.s.seen;
      const fp = seen ? FingerprintMap.fp(eventId) : 0;
      let existing: ExistingEvent | undefined;
      if (!seen || seen.has(fp)) {
        if (k > 0) flush();
        existing =
          seen && this.s.idIndexDropped
            ? seen.candidates(fp).map((leaf) => byLeaf.get(leaf) as (ExistingEvent & { event_id: string }) | undefined).find((r) => r?.event_id === eventId)
            : (findEvent.get(eventId.slice(-8), eventId) as ExistingEvent | undefined);
      }
      if (existing) {
        if (Buffer.from(existing.leaf_hash).equals(leafHash)) {
          insCopy.run(existing.leaf, this.s.importId, this.evidenceId, pos, len, enc, leafHash, COPY_IDENTICAL);
          this.copies++;
        } else {
          // Bytes differ: whether the content differs is decided once this source is complete.
          this.pending.push({ existing, index, pos, len, enc, leafHash: Buffer.from(leafHash), eventId });
        }
        continue;
      }
      const ipk = b.cols[i * NF + IP_FIELD];
      let ip: number | null = null;
      if (ipk >= 0) {
        let v = ipId[ipk];
        if (v === undefined) v = ipId[ipk] = st.internIp(b.strs[ipk]);
        ip = v;
      }
      const t = b.nums[o + 4];
      const ro = b.nums[o + 5];
      seen?.add(fp, this.s.nextLeaf);
      buf[k++] = this.s.nextLeaf++;
      buf[k++] = eventId;
      buf[k++] = Number.isNaN(t) ? null : t;
      for (let f = 0; f <= 12; f++) buf[k++] = f === IP_FIELD ? ip : col(i, f);
      buf[k++] = ro < 0 ? null : ro;
      buf[k++] = col(i, 13);
      buf[k++] = b.requestIsBytes[i] ? reqBytes.subarray(i * 16, i * 16 + 16) : b.requestIds[i];
      buf[k++] = this.evidenceId;
      buf[k++] = pos;
      buf[k++] = len;
      buf[k++] = enc;
      buf[k++] = leafHash;
      if (k === ROWS_PER_INSERT * EVENT_COLS) flush();
      this.events++;
    }
    if (k > 0) flush();
    this.s.groupEvents += b.n;
  }

  problem(p: ParseProblem): void {
    insertWarning(this.s.store.writer, {
      importId: this.s.importId,
      evidenceId: this.evidenceId,
      origin: this.spec.origin,
      recordIndex: p.index,
      pos: p.pos,
      code: p.code,
      message: p.message.slice(0, 2000),
    });
    this.warnings++;
  }

  /** Settle copies whose bytes differ: same content (formatting only) or a real conflict. */
  settlePending(res: ParseResult): void {
    if (!this.pending.length) return;
    const reader = new EvidenceReader(this.s.store);
    reader.decoded(this.evidenceId, res.compression); // this item's row is not written yet
    const insCopy = eventStatements(this.s.store.writer).insertCopy;
    for (const p of this.pending) {
      let same = false;
      try {
        const a = JSON.parse(reader.record(p.existing.evidence_id, p.existing.pos, p.existing.len, p.existing.enc).toString('utf8'));
        const b = JSON.parse(reader.record(this.evidenceId, p.pos, p.len, p.enc).toString('utf8'));
        same = canonicalJson(a) === canonicalJson(b);
      } catch {
        same = false;
      }
      insCopy.run(p.existing.leaf, this.s.importId, this.evidenceId, p.pos, p.len, p.enc, p.leafHash, same ? COPY_SAME_CONTENT : COPY_CONFLICT);
      this.copies++;
      if (!same) {
        this.conflicts++;
        this.problem({
          index: p.index,
          pos: p.pos,
          code: 'conflict',
          message: `record ${p.index}: eventID ${p.eventId} is already in the case with different content (event leaf ${p.existing.leaf}); both copies kept, not merged`,
        });
      }
    }
    this.pending = [];
  }

  finish(res: ParseResult): void {
    insertEvidence(this.s.store.writer, {
      id: this.evidenceId,
      importId: this.s.importId,
      kind: this.spec.kind,
      origin: this.spec.origin,
      originMeta: canonicalJson(this.spec.originMeta ?? {}),
      size: res.size,
      sha256: res.sha256,
      compression: res.compression,
      decodedSize: res.decodedSize,
      format: res.format,
      acquiredAt: new Date().toISOString(),
      examiner: this.s.actor,
      toolVersion: toolString(),
      chunkSize: 1 << 20,
      events: this.events,
      copies: this.copies,
      rejected: res.rejected,
      excluded: res.excluded,
    });
  }
}


export class ImportSession {
  importId = 0;
  nextLeaf = 0;
  groupBytes = 0;
  groupEvents = 0;
  private groupStarted = 0;
  private inTx = false;
  private started = Date.now();
  private finished = false;
  readonly scope: ParseScope;
  readonly totals = { objects: 0, skippedObjects: 0, events: 0, duplicates: 0, conflicts: 0, warnings: 0, excluded: 0, bytes: 0 };
  private inRun = new Set<string>();

  private constructor(readonly store: CaseStore, readonly signer: Signer, readonly params: ImportParams, readonly actor: string) {
    this.scope = scopeFromParams(params);
  }

  static begin(store: CaseStore, signer: Signer, params: ImportParams): ImportSession {
    const s = new ImportSession(store, signer, params, signer.examiner);
    store.ensureKey(signer);
    if (eventCount(store.reader) === 0) s.seen = new EventIdSet();
    store.transaction(() => {
      s.importId = insertImport(store.writer, new Date().toISOString(), s.actor, canonicalJson(params), TOOL_VERSION);
      store.appendCustody(s.actor, 'import.started', { importId: s.importId, params });
    });
    return s;
  }

  /** The event tree over every event, when the caller computed it meanwhile (import-files.ts); else the checkpoint continues the last one's. */
  tree: MerkleBuilder | null = null;
  private walTuned = false;
  /**
   * Fingerprints of the case's eventIDs with their leaves (event-id-set.ts): of the events
   * added in this run when the case had none before it, or of every event when a bulk import
   * into a case that has some dropped the eventID index; else null (every eventID is looked up).
   */
  seen: EventIdSet | null = null;
  /** The eventID index is dropped (a bulk import): earlier copies are found through `seen` alone, and endBulk sorts the index in. */
  idIndexDropped = false;

  /**
   * A bulk import: drop the eventID index too (inserting into it costs more than the rest
   * of a row, and past a few million events far more: README.md, "Speed and size"; sorting
   * it in at the end is about 1.4 s per million events). `seen` then has to know every
   * event of the case: into a case that has events, they are read into it first (one pass
   * over their eventIDs, no bigger than the import, which is at least as large).
   */
  dropIdIndex(): void {
    if (this.idIndexDropped) return;
    if (!this.seen) {
      const set = new EventIdSet();
      for (const [leaf, id] of eventIdsByLeaf(this.store.reader)) set.add(FingerprintMap.fp(id), leaf);
      this.seen = set;
    }
    this.store.dropIdIndex();
    this.idIndexDropped = true;
  }

  /** After a rollback: an index built inside what was rolled back is gone again. */
  private restoreIdIndex(): void {
    if (!this.idIndexDropped) this.store.ensureIdIndex();
  }

  private ensureTx(): void {
    if (this.inTx) return;
    // Fewer, larger WAL checkpoints while importing (the default folds the WAL back every 4 MB).
    if (!this.walTuned) {
      this.store.walAutocheckpoint(16384);
      this.walTuned = true;
    }
    this.store.begin();
    this.inTx = true;
    this.groupStarted = Date.now();
    this.groupBytes = 0;
    this.groupEvents = 0;
    this.nextLeaf = maxLeafPlusOne(this.store.reader);
    this.groupFirstLeaf = this.nextLeaf;
  }

  private groupFirstLeaf = 0;
  /** What this import's commits added to the timeline rollups (README.md, "Speed and size"), for its custody entry. */
  private timeline: Omit<RollupExtension, 'rebuilt'> | null = null;

  /** Commit the group in flight, with the timeline rollups extended over its events in the same transaction. Safe to call at any time. */
  commit(): void {
    if (!this.inTx) return;
    const x = extendRollupForImport(this.store, this.groupFirstLeaf);
    if (x) {
      const t = this.timeline;
      this.timeline = t
        ? { fromLeaf: t.fromLeaf, throughLeaf: x.throughLeaf, hourRows: t.hourRows + x.hourRows, dayRows: t.dayRows + x.dayRows, ipRows: t.ipRows + x.ipRows }
        : { fromLeaf: x.fromLeaf, throughLeaf: x.throughLeaf, hourRows: x.hourRows, dayRows: x.dayRows, ipRows: x.ipRows };
    }
    this.store.commit();
    this.inTx = false;
  }

  /** Roll back the group in flight (a failure). */
  rollbackGroup(): void {
    if (!this.inTx) return;
    this.store.rollback();
    this.inTx = false;
    this.store.dropCaches();
    this.restoreIdIndex();
  }

  private maybeCommit(): void {
    if (this.groupBytes >= GROUP_BYTES || this.groupEvents >= GROUP_EVENTS || Date.now() - this.groupStarted >= GROUP_MS) this.commit();
  }

  /** Is an object with these bytes already in the case (or earlier in this run)? */
  findDuplicate(sha256: string): number | null {
    return evidenceBySha256(this.store.reader, sha256) ?? null;
  }

  /** Start writing one source; the caller feeds the writer and then calls endSource. */
  beginSource(spec: OriginSpec): EvidenceWriter {
    this.ensureTx();
    this.store.savepoint('source');
    return new EvidenceWriter(this, spec);
  }

  endSource(w: EvidenceWriter, res: ParseResult): IngestOutcome {
    const dup = this.findDuplicate(res.sha256);
    if (dup !== null || this.inRun.has(res.sha256)) {
      // Same bytes already preserved: importing them again adds nothing.
      this.rollbackSource();
      this.totals.skippedObjects++;
      return { evidenceId: null, skipped: true, duplicateOf: dup ?? undefined, result: res, events: 0, copies: 0, conflicts: 0, warnings: 0 };
    }
    w.settlePending(res);
    w.finish(res);
    this.store.release('source');
    this.inRun.add(res.sha256);
    this.totals.objects++;
    this.totals.events += w.events;
    this.totals.duplicates += w.copies - w.conflicts;
    this.totals.conflicts += w.conflicts;
    this.totals.warnings += w.warnings;
    this.totals.excluded += res.excluded;
    this.totals.bytes += res.size;
    this.maybeCommit();
    return { evidenceId: w.evidenceId, skipped: false, result: res, events: w.events, copies: w.copies, conflicts: w.conflicts, warnings: w.warnings };
  }

  /** Abandon a source that failed part-way (e.g. the connection dropped): nothing of it stays. */
  abortSource(): void {
    this.rollbackSource();
  }

  private rollbackSource(): void {
    // Fingerprints of rolled-back events stay behind: harmless (their leaves are checked by eventID).
    this.store.rollbackTo('source');
    this.store.dropCaches();
    this.restoreIdIndex();
    this.nextLeaf = maxLeafPlusOne(this.store.reader);
  }

  /** Parse and store one source in this thread (S3 objects, API pages, small inputs). */
  async ingest(spec: OriginSpec, input: AsyncIterable<Buffer>): Promise<IngestOutcome> {
    const w = this.beginSource(spec);
    let res: ParseResult;
    try {
      res = await parseSource(input, { chunk: (b) => w.chunk(b), records: (b) => w.records(b), problem: (p) => w.problem(p) }, { scope: this.scope });
    } catch (e) {
      this.abortSource();
      throw e;
    }
    return this.endSource(w, res);
  }

  /** A problem that belongs to no stored evidence item (an unreadable file, a failed download). */
  warnUnstored(origin: string, code: string, message: string): void {
    this.ensureTx();
    insertWarning(this.store.writer, { importId: this.importId, evidenceId: null, origin, recordIndex: null, pos: null, code, message: message.slice(0, 2000) });
    this.totals.warnings++;
  }

  /** Close the import: commit, log the outcome, sign a checkpoint. */
  finish(outcome: 'completed' | 'cancelled' | 'failed' = 'completed', error?: string): ImportSummary {
    if (this.finished) throw new Error('import already finished');
    this.finished = true;
    this.seen?.close();
    this.seen = null;
    this.commit();
    if (this.walTuned) this.store.walAutocheckpoint(1000);
    const seconds = (Date.now() - this.started) / 1000;
    const details = {
      importId: this.importId,
      ...this.totals,
      seconds: Math.round(seconds * 1000) / 1000,
      ...(error ? { error } : {}),
      // The timeline rollups (derived) extended by this import's commits; absent when they were behind (timelineIndex catches up).
      ...(this.timeline ? { timeline: { version: ROLLUP_VERSION, ...this.timeline } } : {}),
    };
    this.store.appendCustody(this.actor, `import.${outcome}`, details);
    const checkpoint = this.store.checkpoint(this.signer, `import ${this.importId} ${outcome}`, this.tree ?? undefined);
    return { importId: this.importId, ...this.totals, seconds, checkpoint };
  }

  progress(detail?: string): Progress {
    return { phase: 'import', done: this.totals.objects + this.totals.skippedObjects, total: null, unit: 'objects', detail };
  }
}
