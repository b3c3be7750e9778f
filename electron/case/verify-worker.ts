// Worker thread of `verify` (README.md, "Speed and size"): takes the next task of the shared list
// (an atomic counter, so it never waits for the thread that started it) and
// runs it over its own read-only connection: SQLite's integrity_check, the
// custody and evidence checks, the event tree, the copies, or a range of
// leaves (verify-events.ts). Started by verify.ts through verify-worker-boot.js
// (bundled under that name next to the CLI and the case process).
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { runVerifyTask, type VerifyTask } from './verify.ts';

const { path, tasks, next } = workerData as { path: string; tasks: VerifyTask[]; next: Int32Array };
try {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  for (;;) {
    const index = Atomics.add(next, 0, 1);
    if (index >= tasks.length) break;
    const result = runVerifyTask(db, tasks[index], (n) => parentPort!.postMessage({ type: 'progress', n }));
    parentPort!.postMessage({ type: 'done', index, result });
  }
  db.close();
  parentPort!.postMessage({ type: 'end' });
} catch (e) {
  parentPort!.postMessage({ type: 'error', message: (e as Error).message });
}
