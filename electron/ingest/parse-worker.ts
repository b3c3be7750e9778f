// Worker thread: reads and parses one source file at a time for the main
// thread, which alone writes the case. Messages are acknowledged by the main
// thread, and the worker waits when too many are unacknowledged, so memory
// stays bounded whatever the input size. After a bulk import one such thread
// also continues the event tree (case/tree.ts) over a read-only connection
// while the main thread builds the indexes.
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { parseSource, type ParseScope } from './parse.ts';
import { packBatch, packedTransfer } from './packed.ts';
import Database from 'better-sqlite3';
import { extendEventTree, type TreeStart } from '../case/tree.ts';

const MAX_IN_FLIGHT = 16;
let inFlight = 0;
let wake: (() => void) | null = null;
const decisions = new Map<number, (go: boolean) => void>();

function post(msg: unknown, transfer?: ArrayBuffer[]): void {
  parentPort!.postMessage(msg, transfer ?? []);
}

async function send(msg: unknown, transfer?: ArrayBuffer[]): Promise<void> {
  inFlight++;
  post(msg, transfer);
  while (inFlight > MAX_IN_FLIGHT) await new Promise<void>((r) => (wake = r));
}

async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const b of createReadStream(path, { highWaterMark: 1 << 20 })) {
    h.update(b as Buffer);
    size += (b as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}

async function runTask(t: { id: number; path: string; scope: ParseScope; precheck: boolean }): Promise<void> {
  try {
    if (t.precheck) {
      const { sha256, size } = await hashFile(t.path);
      const go = await new Promise<boolean>((resolve) => {
        decisions.set(t.id, resolve);
        post({ id: t.id, type: 'hash', sha256, size });
      });
      if (!go) {
        post({ id: t.id, type: 'skipped', sha256, size });
        return;
      }
    }
    const result = await parseSource(
      createReadStream(t.path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>,
      {
        chunk: (b) => {
          const copy = new Uint8Array(b); // own buffer, transferable
          return send({ id: t.id, type: 'chunk', data: copy }, [copy.buffer]);
        },
        records: (batch) => {
          const packed = packBatch(batch);
          return send({ id: t.id, type: 'records', packed }, packedTransfer(packed));
        },
        problem: (p) => post({ id: t.id, type: 'problem', problem: p }),
      },
      { scope: t.scope }, // records go out in one batch per input chunk
    );
    post({ id: t.id, type: 'done', result });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    post({ id: t.id, type: 'error', message: err.code ? `${err.code}: ${err.message}` : err.message });
  }
}

// Tasks queue up in this thread and run one after another, so the writer can
// hand out the next files before this one is finished (no idle gaps).
const queue: any[] = [];
let running = false;
async function drain(): Promise<void> {
  if (running) return;
  running = true;
  while (queue.length) await runTask(queue.shift());
  running = false;
}

parentPort!.on('message', (m: any) => {
  if (m.type === 'task') {
    queue.push(m);
    void drain();
  }
  else if (m.type === 'ack') {
    inFlight -= m.n ?? 1;
    if (inFlight <= MAX_IN_FLIGHT && wake) {
      const w = wake;
      wake = null;
      w();
    }
  } else if (m.type === 'tree') {
    try {
      const db = new Database(m.path, { readonly: true, fileMustExist: true });
      try {
        post({ type: 'tree', frontier: extendEventTree(db, m.start as TreeStart).frontier() });
      } finally {
        db.close();
      }
    } catch (e) {
      post({ type: 'tree', error: (e as Error).message });
    }
  } else if (m.type === 'decision') {
    decisions.get(m.id)?.(m.go);
    decisions.delete(m.id);
  }
});
