// The heavy part of `verify` (README.md, "Speed and size"): every event's record recovered from the
// preserved bytes, its leaf hash recomputed and every normalised column
// re-derived, for one range of leaves. It runs in the calling thread for small
// cases and in worker threads (verify-worker.ts), one range each, for big ones;
// either way memory is bounded whatever the case size: the dictionaries are
// read through a bounded cache, evidence rows one at a time, decoded evidence
// through a bounded LRU.
import type Database from 'better-sqlite3';
import { normalizeRecord, type NormalizedEvent } from '../../shared/record.ts';
import { requestIdText } from '../../shared/event-key.ts';
import { decodeTolerant } from './gzip.ts';
import { leafHash } from './merkle.ts';
import { recordBytes } from './encodings.ts';
import { eventKey } from './event-key.ts';

/** Problems listed per kind (the rest counted), so a wholesale alteration still gives a readable report. */
export const MAX_LISTED = 200;

export const COLUMNS: [string, keyof NormalizedEvent, 'str' | 'ip'][] = [
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

/** A problem found at a leaf (sorted by leaf when ranges are merged). */
export interface LeafProblem {
  leaf: number;
  where: string;
  message: string;
}

export interface RangeResult {
  from: number;
  to: number;
  events: number;
  /** At most MAX_LISTED per kind, in leaf order. */
  problems: LeafProblem[];
  /** Problems per kind beyond those listed. */
  unlisted: Record<string, number>;
  /** [evidence id, events of this range in it]. */
  perEvidence: [number, number][];
}

/** Decoded evidence items, most recently used kept up to a byte budget; a decode that falls short of the size at import is reported once per item. */
export class EvidenceDecoder {
  private cache = new Map<number, Buffer>();
  private bytes = 0;
  private readonly rowStmt;
  private readonly chunkStmt;
  private readonly reported = new Set<number>();
  constructor(
    db: Database.Database,
    private readonly onShort: (id: number, message: string) => void,
    private readonly budget = 8 * 1024 * 1024,
  ) {
    this.rowStmt = db.prepare('SELECT compression, decoded_size FROM evidence WHERE id = ?');
    this.chunkStmt = db.prepare('SELECT data FROM evidence_chunks WHERE evidence_id = ? ORDER BY seq').pluck();
  }

  decoded(id: number): Buffer | null {
    const hit = this.cache.get(id);
    if (hit) {
      this.cache.delete(id);
      this.cache.set(id, hit);
      return hit;
    }
    const e = this.rowStmt.get(id) as { compression: string; decoded_size: number } | undefined;
    if (!e) return null;
    const decoded = decodeTolerant(Buffer.concat(this.chunkStmt.all(id) as Buffer[]), e.compression);
    if (e.compression === 'gzip' && decoded.length < e.decoded_size && !this.reported.has(id)) {
      this.reported.add(id);
      this.onShort(id, `evidence item ${id}: decodes to ${decoded.length} bytes, ${e.decoded_size} at import`);
    }
    this.cache.set(id, decoded);
    this.bytes += decoded.length;
    while (this.bytes > this.budget && this.cache.size > 1) {
      const [k, v] = this.cache.entries().next().value as [number, Buffer];
      this.cache.delete(k);
      this.bytes -= v.length;
    }
    return decoded;
  }
}

/** Dictionary text by id through a bounded cache (a case may hold millions of distinct strings). */
class BoundedDictionary {
  private str = new Map<number, string | undefined>();
  private ip = new Map<number, string | undefined>();
  private readonly strStmt;
  private readonly ipStmt;
  constructor(db: Database.Database, private readonly cap = 20_000) {
    this.strStmt = db.prepare('SELECT s FROM strings WHERE id = ?').pluck();
    this.ipStmt = db.prepare('SELECT text FROM ips WHERE id = ?').pluck();
  }
  text(kind: 'str' | 'ip', id: number): string | undefined {
    const m = kind === 'ip' ? this.ip : this.str;
    if (m.has(id)) return m.get(id);
    if (m.size >= this.cap) m.clear();
    const v = (kind === 'ip' ? this.ipStmt : this.strStmt).get(id) as string | undefined;
    m.set(id, v);
    return v;
  }
}

/**
 * Check the events with leaf in [from, to): record recoverable, leaf hash,
 * eventID, time, requestID, readOnly and every dictionary column. Leaves
 * missing from the range are the caller's to find (it walks every leaf hash
 * for the tree). `onEvents` is told every 10,000 events.
 */
export function checkEventRange(db: Database.Database, from: number, to: number, onEvents?: (n: number) => void): RangeResult {
  const problems: LeafProblem[] = [];
  const counts = new Map<string, number>();
  const unlisted: Record<string, number> = {};
  let leafNow = from;
  const problem = (where: string, message: string, leaf = leafNow) => {
    const kind = where.split(':')[0];
    const n = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, n);
    if (n <= MAX_LISTED) problems.push({ leaf, where, message });
    else unlisted[kind] = (unlisted[kind] ?? 0) + 1;
  };
  const decoder = new EvidenceDecoder(db, (id, message) => problem(`evidence:${id}`, message));
  const dict = new BoundedDictionary(db);
  const perEvidence = new Map<number, number>();
  let n = 0;
  for (const ev of db.prepare('SELECT * FROM events WHERE leaf >= ? AND leaf < ? ORDER BY leaf').iterate(from, to) as Iterable<any>) {
    n++;
    if (n % 10_000 === 0) onEvents?.(10_000);
    leafNow = ev.leaf;
    perEvidence.set(ev.evidence_id, (perEvidence.get(ev.evidence_id) ?? 0) + 1);
    const where = `event:${ev.leaf}`;
    const d = decoder.decoded(ev.evidence_id);
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
    const stored = ev.leaf_hash as Buffer;
    const lh = leafHash(bytes);
    if (!lh.equals(stored)) {
      problem(where, `event ${ev.event_id}: record in evidence item ${ev.evidence_id} hashes to ${lh.toString('hex')}, stored leaf hash ${Buffer.from(stored).toString('hex')}`);
      continue;
    }
    let rec: unknown;
    try {
      rec = JSON.parse(bytes.toString('utf8'));
    } catch {
      problem(where, `event ${ev.event_id}: record is not JSON`);
      continue;
    }
    const nr = normalizeRecord(rec)!;
    if (eventKey(nr, lh) !== ev.event_id) problem(where, `event id column ${ev.event_id} differs from the record's (${eventKey(nr, lh)})`);
    if ((nr.timeMs ?? null) !== (ev.time_ms ?? null)) problem(where, `event ${ev.event_id}: time column differs from the record`);
    if ((nr.requestId ?? null) !== requestIdText(ev.request_id)) problem(where, `event ${ev.event_id}: requestID column differs from the record`);
    const ro = nr.readOnly === null ? null : nr.readOnly ? 1 : 0;
    if (ro !== (ev.read_only ?? null)) problem(where, `event ${ev.event_id}: readOnly column differs from the record`);
    for (const [col, field, kind] of COLUMNS) {
      const id = ev[col] as number | null;
      const text = id === null ? null : dict.text(kind, id) ?? `<missing ${kind === 'ip' ? 'ip' : 'string'} ${id}>`;
      if (text !== ((nr as any)[field] ?? null)) problem(where, `event ${ev.event_id}: ${field} column says ${JSON.stringify(text)}, the record says ${JSON.stringify((nr as any)[field])}`);
    }
  }
  onEvents?.(n % 10_000);
  return { from, to, events: n, problems, unlisted, perEvidence: [...perEvidence] };
}
