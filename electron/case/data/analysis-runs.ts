// Stored analysis runs (analysis_runs, schema 3) and finding decisions
// (finding_decisions, schema 2): both append-only; electron/analysis/runs.ts
// decides what goes in them and checks the stored findings' SHA-256.
import { cached, type ReadableDB, type WritableDB } from './db.ts';
import { tableExists } from './meta.ts';

/** An analysis_runs row as stored (docs/case-format.md); JSON columns left as text, so their hash can be checked. */
export interface AnalysisRunRow {
  id: number;
  at: string;
  actor: string;
  tree_size: number;
  root: string;
  units: string;
  summary: string;
  findings: string;
  findings_sha256: string;
  custody_seq: number;
}

export function insertAnalysisRun(
  db: WritableDB,
  r: { at: string; actor: string; treeSize: number; root: string; units: string; summary: string; findings: string; findingsSha256: string; custodySeq: number },
): number {
  const res = cached(db, 'INSERT INTO analysis_runs(at, actor, tree_size, root, units, summary, findings, findings_sha256, custody_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
    r.at,
    r.actor,
    r.treeSize,
    r.root,
    r.units,
    r.summary,
    r.findings,
    r.findingsSha256,
    r.custodySeq,
  );
  return Number(res.lastInsertRowid);
}

/** Changes whenever a run or a finding decision is recorded: a cheap key for answers made from them. */
export function analysisStamp(db: ReadableDB): string {
  if (!tableExists(db, 'analysis_runs')) return 'none';
  const r = cached(db, 'SELECT (SELECT max(id) FROM analysis_runs) AS run, (SELECT max(id) FROM finding_decisions) AS decision').get() as { run: number | null; decision: number | null };
  return `${r.run}:${r.decision}`;
}

/** The newest run; null when there is none or the case predates the table. */
export function latestAnalysisRunRow(db: ReadableDB): AnalysisRunRow | null {
  if (!tableExists(db, 'analysis_runs')) return null;
  return (cached(db, 'SELECT * FROM analysis_runs ORDER BY id DESC LIMIT 1').get() as AnalysisRunRow | undefined) ?? null;
}

export interface FindingDecisionRow {
  finding_id: string;
  decision: string;
  note: string | null;
  actor: string;
  at: string;
}

/** Every decision, oldest first (the caller keeps the latest per finding). */
export function findingDecisionRows(db: ReadableDB): FindingDecisionRow[] {
  return cached(db, 'SELECT finding_id, decision, note, actor, at FROM finding_decisions ORDER BY id').all() as FindingDecisionRow[];
}

export function insertFindingDecision(db: WritableDB, d: { findingId: string; decision: string; note: string | null; at: string; actor: string; custodySeq: number }): void {
  cached(db, 'INSERT INTO finding_decisions(finding_id, decision, note, at, actor, custody_seq) VALUES (?, ?, ?, ?, ?, ?)').run(d.findingId, d.decision, d.note, d.at, d.actor, d.custodySeq);
}
