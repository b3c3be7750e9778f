// Writing acquired bytes into the case through the foundation's ImportSession:
// one evidence item per object or API page, original bytes in 1 MiB chunks,
// records from a parse done here or in a parser thread.
import { createHash } from 'node:crypto';
import { CHUNK_SIZE, type ParseResult } from '../parse.ts';
import type { ImportSession, IngestOutcome, OriginSpec } from '../session.ts';
import { parseInThread, type ParsedObject } from './parse-pool.ts';

/** Write an object whose bytes and parse are both in memory. Skips (without writing) bytes already in the case. */
export function writeParsed(session: ImportSession, spec: OriginSpec, bytes: Buffer, parsed: ParsedObject): IngestOutcome {
  const dup = session.findDuplicate(parsed.result.sha256);
  if (dup !== null) {
    session.totals.skippedObjects++;
    return { evidenceId: null, skipped: true, duplicateOf: dup, result: parsed.result, events: 0, copies: 0, conflicts: 0, warnings: 0 };
  }
  const w = session.beginSource(spec);
  try {
    for (let i = 0; i < bytes.length; i += CHUNK_SIZE) w.chunk(bytes.subarray(i, Math.min(bytes.length, i + CHUNK_SIZE)));
    for (const p of parsed.problems) w.problem(p);
    for (const b of parsed.packed) if (b.n) w.recordsPacked(b);
  } catch (e) {
    session.abortSource();
    throw e;
  }
  return session.endSource(w, parsed.result);
}

/** Parse in this thread and write: API pages and other small objects. */
export async function ingestBytes(session: ImportSession, spec: OriginSpec, bytes: Buffer): Promise<IngestOutcome> {
  const parsed = await parseInThread(bytes, session.scope);
  return writeParsed(session, spec, bytes, parsed);
}

/**
 * Preserve bytes that are not event containers (a ListPublicKeys response, a
 * key list file) as evidence of a named format, without parsing them as events
 * (which would only produce "not CloudTrail" warnings).
 */
export function storeOpaque(session: ImportSession, spec: OriginSpec, bytes: Buffer, format: string): IngestOutcome {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const result: ParseResult = { sha256, size: bytes.length, decodedSize: bytes.length, compression: 'none', format, records: 0, rejected: 0, excluded: 0 };
  return writeParsed(session, spec, bytes, { result, packed: [], problems: [] });
}
