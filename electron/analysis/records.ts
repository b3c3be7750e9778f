// Reading events back as AnalysisEvents (verbatim record + normalised fields)
// without loading a case into memory: full passes go by leaf in pages (so the
// caller may write between pages: better-sqlite3 forbids writes while a
// statement iterates), selections fetch their small row locators first and
// read the records in leaf order, which is also evidence order, so each
// evidence object is decoded once (EvidenceReader caches decoded objects).
import type { AnalysisEvent } from '../../shared/analysis/findings.ts';
import { normalizeRecord } from '../../shared/record.ts';
import { EvidenceReader } from '../case/evidence.ts';
import type { CaseStore } from '../case/store.ts';
import { locatorPage, locatorsByLeaves, type EventLocator } from '../case/data/analysis-scan.ts';

export const RECORDS_UNIT = { name: 'analysis-records', version: '1.0.0' } as const;

export type BadRecord = (eventId: string, message: string) => void;

/** Parse one located record. A record that no longer parses (it did at import) is reported, never dropped silently. */
export function readEvent(reader: EvidenceReader, row: EventLocator, bad?: BadRecord): AnalysisEvent | null {
  let record: unknown;
  try {
    record = JSON.parse(reader.record(row.evidence_id, row.pos, row.len, row.enc).toString('utf8'));
  } catch (e) {
    bad?.(row.event_id, `record cannot be read back: ${(e as Error).message}`);
    return null;
  }
  const n = normalizeRecord(record);
  if (!n || record === null || typeof record !== 'object' || Array.isArray(record)) {
    bad?.(row.event_id, 'record is not a JSON object');
    return null;
  }
  return { leaf: row.leaf, eventId: row.event_id, timeMs: row.time_ms, record: record as Record<string, any>, n };
}

/** Every event, in leaf order, in pages of `page` (the caller may write to the case between pages). */
export function* scanPages(
  store: CaseStore,
  opts: { fromLeaf?: number; page?: number; reader?: EvidenceReader; bad?: BadRecord } = {},
): Generator<AnalysisEvent[]> {
  const reader = opts.reader ?? new EvidenceReader(store);
  const page = opts.page ?? 2000;
  let from = opts.fromLeaf ?? 0;
  for (;;) {
    const rows = locatorPage(store.reader, from, page);
    if (!rows.length) return;
    const out: AnalysisEvent[] = [];
    for (const r of rows) {
      const e = readEvent(reader, r, opts.bad);
      if (e) out.push(e);
    }
    yield out;
    from = rows[rows.length - 1].leaf + 1;
  }
}

/** Events by leaf number (any order in, leaf order out). */
export function eventsByLeaves(store: CaseStore, leaves: Iterable<number>, reader = new EvidenceReader(store), bad?: BadRecord): AnalysisEvent[] {
  const list = [...new Set(leaves)].sort((a, b) => a - b);
  if (!list.length) return [];
  const rows = locatorsByLeaves(store.reader, list);
  const out: AnalysisEvent[] = [];
  for (const r of rows) {
    const e = readEvent(reader, r, bad);
    if (e) out.push(e);
  }
  return out;
}
