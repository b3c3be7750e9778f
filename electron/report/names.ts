// Principal and resource names that deserve a second look (docs/architecture.md, "Display integrity"): names
// holding invisible or direction-changing characters, or mixing scripts, look
// like (or read as) another name. The report lists them under Warnings; the
// inspector flags them per event (renderer, same shared nameFlags).
import { nameFlags } from '../../shared/text/display.ts';
import type { CaseStore } from '../case/store.ts';
import { distinctNames, nameUse } from '../case/data/events.ts';

export interface FlaggedName {
  /** Where the name was found: principal ARN, user name, or a finding's artefact type. */
  field: string;
  /** The exact name (report.json keeps it exactly; the PDF escapes it). */
  value: string;
  reasons: string[];
  /** Events at or before the checkpoint that carry it (0 for an artefact named only by a finding). */
  events: number;
  exampleEventId: string | null;
}

// Only non-ASCII or ASCII control characters can make nameFlags speak; this
// cheap test keeps the per-name work off the (many) plain names.
const MAYBE = /[^\x20-\x7E]/;

/** Flagged names among the case's principals (ARN; user name where no ARN) and the given artefacts, in a fixed order. */
export function flaggedNames(store: CaseStore, treeSize: number, artefacts: { type: string; value: string }[]): FlaggedName[] {
  const out: FlaggedName[] = [];
  const columns = [
    { field: 'principal ARN', col: 'arn' },
    { field: 'user name', col: 'user_name' },
  ] as const;
  for (const c of columns) {
    // The DISTINCT runs over the column's index; counts only for the few flagged names.
    for (const r of distinctNames(store.reader, c.col)) {
      if (!MAYBE.test(r.s)) continue;
      const reasons = nameFlags(r.s);
      if (!reasons.length) continue;
      const n = nameUse(store.reader, c.col, r.id, treeSize);
      if (n.n) out.push({ field: c.field, value: r.s, reasons, events: n.n, exampleEventId: n.ex });
    }
  }
  const seen = new Set<string>();
  for (const a of artefacts) {
    const k = `${a.type}\u0000${a.value}`;
    if (seen.has(k) || !MAYBE.test(a.value)) continue;
    seen.add(k);
    const reasons = nameFlags(a.value);
    if (reasons.length) out.push({ field: a.type, value: a.value, reasons, events: 0, exampleEventId: null });
  }
  return out.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}
