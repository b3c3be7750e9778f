// The event_refs side table (schema 3): values inside requestParameters and
// responseElements that analysis must find by SQL - S3 bucket names (bucket
// IOCs), credentials issued by STS/IAM and AssumeRole targets (pivots),
// sourceIdentity, and the user or role an IAM call acted on. Derived from the
// preserved records, built on demand and incrementally (events are append-only,
// so only leaves above the last indexed one are new), and each build is a
// custody entry (analysis.refs-indexed) with the leaf range and a SHA-256 over
// the rows it wrote, so the table can be rebuilt and compared at any time.
import { createHash } from 'node:crypto';
import type { AnalysisEvent } from '../../shared/analysis/findings.ts';
import { EvidenceReader } from '../case/evidence.ts';
import type { CaseStore } from '../case/store.ts';
import { refRowsFrom } from '../case/data/analysis-scan.ts';
import { scanPages } from './records.ts';
import { lastCustodyOf } from '../case/data/custody.ts';
import { maxLeafPlusOne } from '../case/data/events.ts';
import { tableExists } from '../case/data/meta.ts';
import { deleteRefsFrom, insertRefs } from '../case/data/refs.ts';

/** Bump when extraction changes: the table is then rebuilt from leaf 0. */
export const REFS_UNIT = { name: 'event-refs', version: '1.0.0' } as const;

export type RefKind = 'bucket' | 'issued-key' | 'issued-session' | 'assume-target' | 'source-identity' | 'target-user' | 'target-role';

export interface Ref {
  kind: RefKind;
  value: string;
}

function obj(v: unknown): Record<string, any> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : null;
}
function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** Last path element of an ARN ("arn:aws:iam::1:role/a/b" -> "b"), or the text itself. */
export function arnName(v: string): string {
  if (!v.startsWith('arn:')) return v;
  const rest = v.split(':').slice(5).join(':');
  const slash = rest.lastIndexOf('/');
  return slash >= 0 ? rest.slice(slash + 1) : rest;
}

/** The refs of one record (pure). */
export function extractRefs(rec: Record<string, any>): Ref[] {
  const out: Ref[] = [];
  const seen = new Set<string>();
  const add = (kind: RefKind, v: string | null) => {
    if (!v || v.length > 2048) return;
    const k = kind + '\u0000' + v;
    if (seen.has(k)) return;
    seen.add(k);
    out.push({ kind, value: v });
  };
  const req = obj(rec.requestParameters);
  const resp = obj(rec.responseElements);
  const source = str(rec.eventSource);
  const name = str(rec.eventName) ?? '';

  // S3: bucketName in the request (management and data events), and bucket/object ARNs in resources.
  add('bucket', str(req?.bucketName));
  if (Array.isArray(rec.resources)) {
    for (const r of rec.resources) {
      const arn = str(obj(r)?.ARN) ?? str(obj(r)?.arn);
      if (arn?.startsWith('arn:aws:s3:::')) add('bucket', arn.slice('arn:aws:s3:::'.length).split('/')[0] || null);
    }
  }
  // Credentials handed out by this call: STS (AssumeRole*, GetSessionToken, GetFederationToken) and IAM CreateAccessKey.
  add('issued-key', str(obj(resp?.credentials)?.accessKeyId));
  add('issued-key', str(obj(resp?.accessKey)?.accessKeyId));
  add('issued-session', str(obj(resp?.assumedRoleUser)?.arn));
  add('issued-session', str(obj(resp?.federatedUser)?.arn));
  if (source === 'sts.amazonaws.com' && name.startsWith('AssumeRole')) {
    const roleArn = str(req?.roleArn);
    if (roleArn) add('assume-target', arnName(roleArn));
  }
  // sourceIdentity: set on AssumeRole, then carried by every session chained from it.
  add('source-identity', str(req?.sourceIdentity));
  add('source-identity', str(obj(obj(rec.userIdentity)?.sessionContext)?.sourceIdentity));
  if (source === 'iam.amazonaws.com') {
    add('target-user', str(req?.userName));
    add('target-role', str(req?.roleName));
  }
  return out;
}

export interface RefsState {
  /** Highest leaf indexed by the current extractor (-1: none). */
  upto: number;
  maxLeaf: number;
  upToDate: boolean;
  /** The table exists (schema 3). A read-only old case may lack it. */
  available: boolean;
}

export function refsState(store: CaseStore): RefsState {
  const maxLeaf = maxLeafPlusOne(store.reader) - 1;
  if (!tableExists(store.reader, 'event_refs')) return { upto: -1, maxLeaf, upToDate: maxLeaf < 0, available: false };
  const last = lastCustodyOf(store.reader, ['analysis.refs-indexed']);
  let upto = -1;
  if (last) {
    const d = last.details as { extractor?: string; toLeaf: number };
    if (d.extractor === `${REFS_UNIT.name}@${REFS_UNIT.version}`) upto = d.toLeaf;
  }
  return { upto, maxLeaf, upToDate: upto >= maxLeaf, available: true };
}

/**
 * Collects refs while events stream past (used by ensureRefs and by the
 * analysis runner's full pass, so a check run also brings the index up to date
 * without a second pass). add() per event in any order, flush() between pages,
 * finish() at the end (custody entry).
 */
export class RefsBuilder {
  private pending: [number, string, string][] = [];
  private rows = 0;
  private events = 0;
  private lastLeaf = -1;
  readonly fromLeaf: number;

  constructor(private readonly store: CaseStore, private readonly actor: string, state = refsState(store)) {
    if (store.readonly) throw new Error('the event index cannot be built on a case opened read-only');
    this.fromLeaf = state.upto + 1;
    // Rows above the last recorded build come from an interrupted build: drop them, they are rebuilt now.
    // A changed extractor (upto reset to -1) rebuilds everything.
    deleteRefsFrom(store.writer, this.fromLeaf);
  }

  /** Whether this event still needs indexing. */
  wants(leaf: number): boolean {
    return leaf >= this.fromLeaf;
  }

  add(e: AnalysisEvent): void {
    if (e.leaf < this.fromLeaf) return;
    this.events++;
    if (e.leaf > this.lastLeaf) this.lastLeaf = e.leaf;
    for (const r of extractRefs(e.record)) {
      this.pending.push([e.leaf, r.kind, r.value]);
      this.rows++;
    }
  }

  /** Write pending rows (not while a statement is iterating). */
  flush(): void {
    if (!this.pending.length) return;
    const rows = this.pending;
    this.pending = [];
    this.store.transaction(() => insertRefs(this.store.writer, rows));
  }

  /** Flush and record the build in custody; `toLeaf` is the highest leaf the caller went through. */
  finish(toLeaf: number): { events: number; rows: number; seq: number | null } {
    if (toLeaf < this.fromLeaf) {
      this.flush();
      return { events: 0, rows: 0, seq: null };
    }
    const rows = this.pending;
    this.pending = [];
    let seq: number | null = null;
    this.store.transaction(() => {
      insertRefs(this.store.writer, rows);
      // The digest is over the rows in leaf order (extraction order within a leaf), read back from the table:
      // the analysis runner adds events in time order, ensureRefs in leaf order, and both must record the same digest.
      const hash = createHash('sha256');
      for (const r of refRowsFrom(this.store, this.fromLeaf)) hash.update(`${r.leaf}\t${r.kind}\t${r.value}\n`);
      seq = this.store.appendCustody(this.actor, 'analysis.refs-indexed', {
        extractor: `${REFS_UNIT.name}@${REFS_UNIT.version}`,
        fromLeaf: this.fromLeaf,
        toLeaf,
        events: this.events,
        rows: this.rows,
        sha256: hash.digest('hex'),
      });
    });
    return { events: this.events, rows: this.rows, seq };
  }
}

/**
 * Bring event_refs up to date (a no-op when it is). Returns what was done.
 * On a read-only case nothing is built: callers say what they could not match.
 */
export function ensureRefs(
  store: CaseStore,
  actor: string,
  opts: { reader?: EvidenceReader; onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): { built: boolean; events: number; rows: number; state: RefsState } {
  const state = refsState(store);
  if (state.upToDate || store.readonly || !state.available) return { built: false, events: 0, rows: 0, state };
  const b = new RefsBuilder(store, actor, state);
  const total = state.maxLeaf - b.fromLeaf + 1;
  let done = 0;
  let last = b.fromLeaf - 1;
  for (const page of scanPages(store, { fromLeaf: b.fromLeaf, reader: opts.reader })) {
    if (opts.signal?.aborted) throw new Error('cancelled');
    for (const e of page) b.add(e);
    b.flush();
    done += page.length;
    if (page.length) last = page[page.length - 1].leaf;
    opts.onProgress?.(done, total);
  }
  const r = b.finish(Math.max(last, state.maxLeaf));
  return { built: true, events: r.events, rows: r.rows, state: refsState(store) };
}
