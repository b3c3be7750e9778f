// Worker thread for remote acquisition: parses one downloaded object (bytes
// already in memory) and returns its records, packed (../packed.ts: typed
// arrays and a per-batch string table, cheap to clone), its problems and its
// result in one message. The main thread alone writes the case (README.md, "Acquisition from AWS": S3
// import speed close to file import, which parses in worker threads too).
import { parentPort } from 'node:worker_threads';
import { packedTransfer } from '../packed.ts';
import type { ParseScope } from '../parse.ts';
import { parseInThread } from './parse-pool.ts';

parentPort!.on('message', async (m: { id: number; bytes: Uint8Array; scope: ParseScope }) => {
  try {
    const { result, packed, problems } = await parseInThread(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), m.scope);
    parentPort!.postMessage({ id: m.id, ok: true, result, packed, problems }, packed.flatMap(packedTransfer));
  } catch (e) {
    parentPort!.postMessage({ id: m.id, ok: false, message: (e as Error).message });
  }
});
