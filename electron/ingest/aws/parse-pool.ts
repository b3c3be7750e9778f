// A pool of parser threads for objects already downloaded into memory (S3
// objects). Size 0 parses in this thread (small acquisitions, where starting
// threads costs more than it saves). Results come back whole; the caller
// writes them to the case in its own (deterministic) order.
import { Worker } from 'node:worker_threads';
import { packBatch, type PackedBatch } from '../packed.ts';
import { bufferSource, parseSource, type ParseProblem, type ParseResult, type ParseScope } from '../parse.ts';

export interface ParsedObject {
  result: ParseResult;
  /** Records in packed batches (EvidenceWriter.recordsPacked). */
  packed: PackedBatch[];
  problems: ParseProblem[];
}

interface Pending {
  resolve: (p: ParsedObject) => void;
  reject: (e: Error) => void;
  worker: Worker;
}

export async function parseInThread(bytes: Buffer, scope: ParseScope): Promise<ParsedObject> {
  const packed: PackedBatch[] = [];
  const problems: ParseProblem[] = [];
  const result = await parseSource(
    bufferSource(bytes),
    { chunk: () => {}, records: (b) => void packed.push(packBatch(b)), problem: (p) => void problems.push(p) },
    { scope },
  );
  return { result, packed, problems };
}

export class ObjectParsePool {
  private idle: Worker[] = [];
  private all = new Set<Worker>();
  private queue: { bytes: Buffer; resolve: (p: ParsedObject) => void; reject: (e: Error) => void }[] = [];
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number, private readonly scope: ParseScope) {}

  parse(bytes: Buffer): Promise<ParsedObject> {
    if (this.size <= 0) return parseInThread(bytes, this.scope);
    return new Promise((resolve, reject) => {
      this.queue.push({ bytes, resolve, reject });
      this.pump();
    });
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./object-worker-boot.js', import.meta.url));
    w.on('message', (m: { id: number; ok: boolean; result?: ParseResult; packed?: PackedBatch[]; problems?: ParseProblem[]; message?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      this.idle.push(w);
      if (m.ok) p.resolve({ result: m.result!, packed: m.packed!, problems: m.problems! });
      else p.reject(new Error(m.message));
      this.pump();
    });
    w.on('error', (e) => {
      // A parser thread died: its object fails (the caller reports it) and a fresh thread takes its place.
      this.all.delete(w);
      this.idle = this.idle.filter((x) => x !== w);
      for (const [id, p] of this.pending) {
        if (p.worker === w) {
          this.pending.delete(id);
          p.reject(new Error(`parser thread failed: ${e.message}`));
        }
      }
      this.pump();
    });
    this.all.add(w);
    return w;
  }

  private pump(): void {
    while (this.queue.length && !this.closed) {
      let w = this.idle.pop();
      if (!w) {
        if (this.all.size >= this.size) return;
        w = this.spawn();
      }
      const t = this.queue.shift()!;
      const id = this.nextId++;
      this.pending.set(id, { resolve: t.resolve, reject: t.reject, worker: w });
      const copy = new Uint8Array(t.bytes); // own buffer, transferable; the caller keeps its bytes for the case
      w.postMessage({ id, bytes: copy, scope: this.scope }, [copy.buffer]);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue) q.reject(new Error('parser pool closed'));
    this.queue = [];
    await Promise.all([...this.all].map((w) => w.terminate()));
    this.all.clear();
  }
}
