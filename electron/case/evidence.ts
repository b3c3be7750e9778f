// Reading preserved evidence back: the original bytes, the decoded bytes, and
// each event's verbatim record. Decoded objects are cached (bounded) because
// events cluster by evidence item.
import { decodeTolerant } from './gzip.ts';
import { recordBytes } from './encodings.ts';
import type { CaseStore } from './store.ts';
import { evidenceChunkData, evidenceCompression, evidenceRow, type EvidenceRow } from './data/evidence.ts';

// The row type lives with the evidence reads (data/evidence.ts); re-exported for the modules that import it from here.
export type { EvidenceRow } from './data/evidence.ts';

/** Original bytes of an evidence item, chunk by chunk, in order. */
export function* evidenceChunks(store: CaseStore, id: number): Generator<Buffer> {
  yield* evidenceChunkData(store.reader, id);
}

export function evidenceBytes(store: CaseStore, id: number): Buffer {
  return Buffer.concat([...evidenceChunks(store, id)]);
}

export class EvidenceReader {
  private cache = new Map<number, Buffer>();
  private cacheBytes = 0;
  /**
   * @param maxCacheBytes decoded objects kept (least recently used first out). Readers go in time
   * order or by key, where the objects in use at once are a few per account and region, so 32 MB
   * decodes each about once; 256 MB (before) made every long read hold that much more (a full
   * scan of a 10M-event case peaked at 625 MB).
   */
  constructor(private readonly store: CaseStore, private readonly maxCacheBytes = 32 * 1024 * 1024) {}

  row(id: number): EvidenceRow {
    const r = evidenceRow(this.store.reader, id);
    if (!r) throw new Error(`evidence item ${id} is not in the case`);
    return r;
  }

  decoded(id: number, compression?: string): Buffer {
    const hit = this.cache.get(id);
    if (hit) {
      this.cache.delete(id);
      this.cache.set(id, hit);
      return hit;
    }
    const comp = compression ?? evidenceCompression(this.store.reader, id) ?? 'none';
    const d = decodeTolerant(evidenceBytes(this.store, id), comp);
    this.cache.set(id, d);
    this.cacheBytes += d.length;
    while (this.cacheBytes > this.maxCacheBytes && this.cache.size > 1) {
      const [k, v] = this.cache.entries().next().value as [number, Buffer];
      this.cache.delete(k);
      this.cacheBytes -= v.length;
    }
    return d;
  }

  /** The verbatim record bytes at (evidence, pos, len, enc). */
  record(evidenceId: number, pos: number, len: number, enc: number): Buffer {
    const d = this.decoded(evidenceId);
    return recordBytes(enc, d.subarray(pos, pos + len));
  }
}
