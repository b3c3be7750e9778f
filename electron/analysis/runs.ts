// Stored analysis runs and finding decisions.
//
// Decision (whether to persist findings): every run is stored
// (analysis_runs, append-only, schema 3) with the units and versions that
// produced it, the event tree it ran on (size and Merkle root) and the SHA-256
// of its findings, and a custody entry records it. listFindings answers from
// the latest run - instantly, and the report can cite the exact run - and says
// `stale` when events were imported or a check/rule version changed since, so
// the UI offers to re-run. Findings are never edited: accept/dismiss decisions
// are their own append-only history (finding_decisions, schema 2), each with a
// custody entry, keyed by the finding's stable id (same checks + same events
// = same id), so decisions survive re-runs.
import { createHash } from 'node:crypto';
import { severityRank, type Finding, type Severity } from '../../shared/analysis/findings.ts';
import type { AnalysisRunSummary, FindingDecision, FindingList, FindingWithDecision } from '../../shared/analysis/types.ts';
import type { CaseStore } from '../case/store.ts';
import { NotFound, UserError } from '../errors.ts';
import { allChecks } from './checks/index.ts';
import { analysisStamp, findingDecisionRows, insertAnalysisRun, insertFindingDecision, latestAnalysisRunRow } from '../case/data/analysis-runs.ts';
import { eventCount } from '../case/data/events.ts';
import { analysisUnits, bundledSigma, type AnalysisResult } from './run.ts';
import { withCaseSigmaRules } from './sigma/user.ts';
import { currentDetections } from '../case/data/detections.ts';

export const RUNS_UNIT = { name: 'analysis-runs', version: '1.0.0' } as const;

function bySeverity(findings: Finding[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) out[f.severity] = (out[f.severity] ?? 0) + 1;
  return out;
}

export function runSummary(r: AnalysisResult, runId: number | null = null, at: string | null = null): AnalysisRunSummary {
  return {
    runId,
    at,
    treeSize: r.treeSize,
    findings: r.findings.length,
    bySeverity: bySeverity(r.findings),
    checksRun: r.checksRun,
    sigmaRun: r.sigmaRun,
    sigmaUnsupported: r.sigmaUnsupported,
    sigmaFiles: r.sigmaFiles.map((f) => ({ file: f.file, sha256: f.sha256 })),
    promoted: r.extraRun,
    warnings: r.warnings,
    seconds: r.seconds,
    eventsRead: r.eventsRead,
    passes: r.passes,
  };
}

/** Store a run (findings, units, tree) with a custody entry, in one transaction. */
export function recordRun(store: CaseStore, actor: string, r: AnalysisResult): AnalysisRunSummary {
  const cp = store.lastCheckpoint();
  const root = cp && cp.treeSize === r.treeSize ? cp.root : store.eventTreeRoot(r.treeSize).root.toString('hex');
  const findingsJson = JSON.stringify(r.findings);
  const sha = createHash('sha256').update(findingsJson).digest('hex');
  const at = new Date().toISOString();
  const summary = runSummary(r, null, at);
  const runId = store.transaction(() => {
    const seq = store.appendCustody(actor, 'analysis.run', {
      treeSize: r.treeSize,
      root,
      findings: r.findings.length,
      bySeverity: summary.bySeverity,
      findingsSha256: sha,
      checks: r.checksRun.length,
      sigmaRules: r.sigmaRun.length,
      ...(r.sigmaFiles.length ? { sigmaRuleFiles: r.sigmaFiles.map((f) => ({ file: f.file, sha256: f.sha256 })) } : {}),
      ...(r.extraRun.length ? { promotedChecks: r.extraRun } : {}),
      warnings: r.warnings.length,
      seconds: Math.round(r.seconds * 1000) / 1000,
    });
    return insertAnalysisRun(store.writer, {
      at,
      actor,
      treeSize: r.treeSize,
      root,
      units: JSON.stringify(r.units),
      summary: JSON.stringify(summary),
      findings: findingsJson,
      findingsSha256: sha,
      custodySeq: seq,
    });
  });
  return { ...summary, runId };
}

export interface StoredRun {
  summary: AnalysisRunSummary;
  findings: Finding[];
  units: { id: string; version: string }[];
  root: string;
  actor: string;
  /** The custody entry that logged the run. */
  custodySeq: number;
}

export function latestRun(store: CaseStore): StoredRun | null {
  const r = latestAnalysisRunRow(store.reader);
  if (!r) return null;
  const findings = JSON.parse(r.findings) as Finding[];
  const sha = createHash('sha256').update(r.findings).digest('hex');
  if (sha !== r.findings_sha256) throw new UserError(`analysis run ${r.id} was altered: its findings do not match the SHA-256 recorded with it; run the checks again`);
  return { summary: { ...JSON.parse(r.summary), runId: r.id, at: r.at }, findings, units: JSON.parse(r.units), root: r.root, actor: r.actor, custodySeq: r.custody_seq };
}

/** Why a stored run no longer describes the case (null: it still does). */
export function staleReason(store: CaseStore, run: StoredRun): string | null {
  const n = eventCount(store.reader);
  if (n !== run.summary.treeSize) return `the case has ${n} events, the run saw ${run.summary.treeSize}`;
  // What a run now would use: the built-in units, the case's own rule files and its promoted checks (docs/queries.md).
  const promoted = currentDetections(store, 'query-check').map((d) => {
    const def = JSON.parse(d.body) as { id: string; version: string };
    return { id: `query:${def.id}`, version: def.version };
  });
  const now = [...analysisUnits(allChecks(), withCaseSigmaRules(bundledSigma(), store).rules), ...promoted];
  const key = (u: { id: string; version: string }) => `${u.id}@${u.version}`;
  const had = new Set(run.units.map(key));
  const changed = now.filter((u) => !had.has(key(u)));
  const gone = run.units.filter((u) => !new Set(now.map(key)).has(key(u)));
  if (changed.length || gone.length) return `checks or rules changed since the run (${[...changed, ...gone].slice(0, 5).map(key).join(', ')}${changed.length + gone.length > 5 ? ', …' : ''})`;
  return null;
}

export interface DecisionRow {
  decision: FindingDecision;
  note: string | null;
  actor: string;
  at: string;
}

/** Latest decision per finding id. */
export function findingDecisions(store: CaseStore): Map<string, DecisionRow> {
  const m = new Map<string, DecisionRow>();
  for (const r of findingDecisionRows(store.reader)) {
    m.set(r.finding_id, { decision: r.decision as FindingDecision, note: r.note, actor: r.actor, at: r.at });
  }
  return m;
}

export function withDecisions(store: CaseStore, findings: Finding[]): FindingWithDecision[] {
  const d = findingDecisions(store);
  return findings.map((f) => {
    const x = d.get(f.id);
    return { ...f, decision: x?.decision ?? 'open', decisionNote: x?.note ?? null, decidedBy: x?.actor ?? null, decidedAt: x?.at ?? null };
  });
}

export interface FindingQuery {
  severity?: string[];
  category?: string[];
  source?: ('check' | 'sigma')[];
  decision?: FindingDecision[];
  checkId?: string;
  eventId?: string;
  offset?: number;
  limit?: number;
}

export function listFindings(store: CaseStore, q: FindingQuery = {}): FindingList {
  const run = latestRun(store);
  if (!run) return { run: null, stale: true, staleReason: 'no analysis has been run on this case yet', items: [], total: 0 };
  let items = withDecisions(store, run.findings);
  if (q.severity?.length) items = items.filter((f) => q.severity!.includes(f.severity));
  if (q.category?.length) items = items.filter((f) => q.category!.includes(f.category));
  if (q.source?.length) items = items.filter((f) => q.source!.includes(f.source));
  if (q.decision?.length) items = items.filter((f) => q.decision!.includes(f.decision));
  if (q.checkId) items = items.filter((f) => f.checkId === q.checkId);
  if (q.eventId) items = items.filter((f) => f.eventIds.includes(q.eventId!));
  const reason = staleReason(store, run);
  const offset = q.offset ?? 0;
  return { run: run.summary, stale: reason !== null, staleReason: reason, items: items.slice(offset, offset + (q.limit ?? 500)), total: items.length };
}

const severityCache = new WeakMap<CaseStore, { stamp: string; map: ReadonlyMap<string, Severity> }>();
const NO_SEVERITIES: ReadonlyMap<string, Severity> = new Map();

/**
 * eventID → the highest severity of the latest run's findings that list it, dismissed findings left
 * out: the timeline colours its single events by it. Kept per case until a run or a decision is
 * recorded (one finding lists at most FINDING_EVENT_LIST_LIMIT events, so this is bounded by the run).
 * A run whose findings no longer match their hash colours nothing here; the findings view says why.
 */
export function eventSeverities(store: CaseStore): ReadonlyMap<string, Severity> {
  const stamp = analysisStamp(store.reader);
  const hit = severityCache.get(store);
  if (hit?.stamp === stamp) return hit.map;
  let run: StoredRun | null = null;
  try {
    run = latestRun(store);
  } catch (e) {
    if (!(e instanceof UserError)) throw e; // an altered run: colour nothing
  }
  const map = new Map<string, Severity>();
  if (run) {
    for (const f of withDecisions(store, run.findings)) {
      if (f.decision === 'dismissed') continue;
      for (const id of f.eventIds) {
        const cur = map.get(id);
        if (!cur || severityRank(f.severity) > severityRank(cur)) map.set(id, f.severity);
      }
    }
  }
  const out = map.size ? map : NO_SEVERITIES;
  severityCache.set(store, { stamp, map: out });
  return out;
}

/** Accept, dismiss or reopen a finding of the latest run; a row in finding_decisions and a custody entry, one transaction. */
export function decideFinding(store: CaseStore, actor: string, findingId: string, decision: FindingDecision, note?: string | null): { seq: number } {
  const run = latestRun(store);
  const f = run?.findings.find((x) => x.id === findingId);
  if (!f) throw new NotFound(`no finding ${findingId} in the latest analysis run${run ? ` (run ${run.summary.runId})` : ' (run `trailcase check` first)'}`);
  const text = note?.trim() || null;
  if (decision === 'dismissed' && !text) throw new UserError('dismissing a finding needs a note saying why');
  return store.transaction(() => {
    const at = new Date().toISOString();
    const seq = store.appendCustody(actor, 'finding.decided', {
      findingId,
      decision,
      ...(text ? { note: text } : {}),
      checkId: f.checkId,
      checkVersion: f.checkVersion,
      title: f.title,
      runId: run!.summary.runId,
    });
    insertFindingDecision(store.writer, { findingId, decision, note: text, at, actor, custodySeq: seq });
    return { seq };
  });
}
