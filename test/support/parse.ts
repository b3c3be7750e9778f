// Run one source through parseSource and keep everything it reports, for the
// format tests (test/ingest/formats/) and the splitter tests.
import { readFileSync } from 'node:fs';
import { bufferSource, parseSource, type ParsedRecord, type ParseProblem, type ParseResult } from '../../electron/ingest/parse.ts';
import type { FormatRegistry } from '../../electron/ingest/formats/format.ts';
import { recordBytes } from '../../electron/case/encodings.ts';

export interface Parsed {
  result: ParseResult;
  records: ParsedRecord[];
  problems: ParseProblem[];
  /** Each record's verbatim bytes, recovered from the decoded source by its span and encoding (as verify does). */
  recordText(r: ParsedRecord): string;
}

export async function parseBuffer(b: Buffer, opts: { chunk?: number; formats?: FormatRegistry } = {}): Promise<Parsed> {
  const records: ParsedRecord[] = [];
  const problems: ParseProblem[] = [];
  const result = await parseSource(bufferSource(b, opts.chunk), { chunk() {}, records: (batch) => void records.push(...batch), problem: (p) => void problems.push(p) }, { formats: opts.formats });
  return { result, records, problems, recordText: (r) => recordBytes(r.enc, b.subarray(r.pos, r.pos + r.len)).toString('utf8') };
}

export function parseFile(path: string, opts: { chunk?: number; formats?: FormatRegistry } = {}): Promise<Parsed> {
  return parseBuffer(readFileSync(path), opts);
}
