// Worker thread for remote acquisition: parses one downloaded object (bytes
// already in memory) and returns its records, problems and result in one
// message. The main thread alone writes the case (issue 4: S3 import speed
// close to file import, which parses in worker threads too).
import { parentPort } from 'node:worker_threads';
import { bufferSource, parseSource, type ParsedRecord, type ParseProblem, type ParseScope } from '../parse.ts';

parentPort!.on('message', async (m: { id: number; bytes: Uint8Array; scope: ParseScope }) => {
  const records: ParsedRecord[] = [];
  const problems: ParseProblem[] = [];
  try {
    const buf = Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
    const result = await parseSource(
      bufferSource(buf),
      { chunk: () => {}, records: (b) => void records.push(...b), problem: (p) => void problems.push(p) },
      { scope: m.scope, batchSize: 5000 },
    );
    parentPort!.postMessage({ id: m.id, ok: true, result, records, problems });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, ok: false, message: (e as Error).message });
  }
});
