// Reads only a report makes: the examiner's finding decisions as they stood at
// a checkpoint (the analysis module owns writing them).
import { cached, type ReadableDB } from './db.ts';

export interface FindingDecisionRow {
  finding_id: string;
  decision: string;
  note: string | null;
  actor: string;
  at: string;
}

/** Every decision logged up to custody entry `custodySeq`, in order (the last per finding wins). */
export function findingDecisionsUpTo(db: ReadableDB, custodySeq: number): FindingDecisionRow[] {
  return cached(db, 'SELECT finding_id, decision, note, actor, at FROM finding_decisions WHERE custody_seq <= ? ORDER BY id').all(custodySeq) as FindingDecisionRow[];
}
