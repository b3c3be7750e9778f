// What the report takes from analysis (docs/analysis.md): findings with the checks and
// Sigma rules that ran, IOC hit counts (iocHits) and gaps (gaps). The findings
// come from the case's stored analysis run when it still describes the case
// (same events and root, same check and rule versions, no address database
// added since); otherwise the analysis runs again for the report (analyseCase)
// and the methodology says why. The report never analyses on its own (report
// brief: "do not build a parallel analysis"); it only puts the analysis
// modules' results into a stable, deterministic order and leaves out what is
// not a fact about the case (how long a run took).
import type { Finding } from '../../shared/analysis/findings.ts';
import type { GapReport } from '../../shared/analysis/types.ts';
import { listSources } from '../analysis/enrich/enrich.ts';
import { analyseCase, type AnalysisResult } from '../analysis/run.ts';
import { latestRun, staleReason, type StoredRun } from '../analysis/runs.ts';
import { detectionOptions } from '../query/promote.ts';
import { gaps } from '../analysis/gaps.ts';
import { iocHits } from '../analysis/ioc.ts';
import type { CaseStore } from '../case/store.ts';

export interface ReportIoc {
  type: string;
  value: string;
  label: string | null;
  source: string | null;
  enabled: boolean;
  hits: number;
  firstSeen: string | null;
  lastSeen: string | null;
  /** Why the hit count may be incomplete (e.g. the bucket index is behind). */
  note: string | null;
}

/** Which analysis run the report's findings come from (methodology). */
export interface ReportAnalysisRun {
  /** 'stored': the case's stored run, still current; 'computed': analysed again for this report. */
  source: 'stored' | 'computed';
  runId: number | null;
  custodySeq: number | null;
  at: string | null;
  actor: string | null;
  /** Events the run covered and their Merkle root. */
  treeSize: number;
  root: string | null;
  /** Why no stored run was used (for 'computed'). */
  reason: string | null;
}

export interface AnalysisForReport {
  run: ReportAnalysisRun;
  findings: { available: boolean; note: string | null; items: Finding[] };
  checksRun: { id: string; version: string }[];
  sigmaRun: { id: string; title: string; version?: string }[];
  sigmaUnsupported: { id: string; title?: string; reason?: string }[];
  /** The examiner's own Sigma rule files, with their SHA-256. */
  sigmaFiles: { file: string; sha256: string }[];
  /** Promoted query checks: id, version, the query text's SHA-256 and the result hash of this run. */
  promoted: { id: string; version: string; textSha256: string | null; resultSha256: string | null }[];
  /** Every unit the run used with its version (runner, Sigma engine, checks, rules). */
  units: { id: string; version: string }[];
  /** Problems the analysis met (a check that threw, a record that no longer parses), by unit. */
  warnings: { unit: string; eventId: string | null; message: string }[];
  iocs: { available: boolean; note: string | null; items: ReportIoc[] };
  gaps: { available: boolean; note: string | null; data: GapReport };
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The stored run when it still describes the case as verified (`current`: the
 * tree size and root the verification computed), else null and why not.
 */
export function reusableRun(store: CaseStore, current?: { treeSize: number; root: string }): { run: StoredRun | null; reason: string | null } {
  let run: StoredRun | null;
  try {
    run = latestRun(store);
  } catch (e) {
    return { run: null, reason: (e as Error).message };
  }
  if (!run) return { run: null, reason: 'no analysis run is stored in the case' };
  const id = run.summary.runId;
  const stale = staleReason(store, run);
  if (stale) return { run: null, reason: `stored run #${id} is stale: ${stale}` };
  if (current && (run.summary.treeSize !== current.treeSize || run.root !== current.root)) {
    return { run: null, reason: `stored run #${id} saw ${run.summary.treeSize} events with root ${run.root}; the verified case has ${current.treeSize} with root ${current.root}` };
  }
  // Checks that read address answers would see a database added after the run.
  if (listSources(store).length !== listSources(store, run.custodySeq).length) return { run: null, reason: `address databases were added to the case after stored run #${id}` };
  return { run, reason: null };
}

/** A stored run in the shape of a fresh one (the fields the report reads). */
function asResult(
  run: StoredRun,
): Pick<AnalysisResult, 'findings' | 'checksRun' | 'sigmaRun' | 'sigmaUnsupported' | 'extraRun' | 'units' | 'warnings'> & { sigmaFiles: { file: string; sha256: string }[] } {
  const s = run.summary;
  return {
    findings: run.findings,
    checksRun: s.checksRun,
    sigmaRun: s.sigmaRun,
    sigmaUnsupported: s.sigmaUnsupported,
    sigmaFiles: s.sigmaFiles ?? [],
    extraRun: s.promoted ?? [],
    units: run.units,
    warnings: s.warnings,
  };
}

/**
 * Take the stored analysis run when it is current (else analyse again), and
 * collect IOC hits and gaps. Call it before choosing the checkpoint a report is
 * built from: the IOC matcher may bring its derived bucket index up to date
 * (custody `analysis.refs-indexed`).
 */
export async function analysisForReport(
  store: CaseStore,
  opts: { signal?: AbortSignal; actor?: string; current?: { treeSize: number; root: string } } = {},
): Promise<AnalysisForReport> {
  const reuse = reusableRun(store, opts.current);
  const r = reuse.run ? asResult(reuse.run) : await analyseCase(store, { signal: opts.signal, ...detectionOptions(store, opts.actor ?? 'report') });
  const run: ReportAnalysisRun = reuse.run
    ? {
        source: 'stored',
        runId: reuse.run.summary.runId,
        custodySeq: reuse.run.custodySeq,
        at: reuse.run.summary.at,
        actor: reuse.run.actor,
        treeSize: reuse.run.summary.treeSize,
        root: reuse.run.root,
        reason: null,
      }
    : { source: 'computed', runId: null, custodySeq: null, at: null, actor: null, treeSize: (r as AnalysisResult).treeSize, root: opts.current?.root ?? null, reason: reuse.reason };
  const units = r.units.map((u) => ({ id: u.id, version: u.version }));
  const unitVersion = new Map(units.map((u) => [u.id, u.version]));
  const hits = iocHits(store);
  const g = await gaps(store);
  return {
    run,
    findings: { available: true, note: null, items: [...r.findings] },
    checksRun: r.checksRun.map((c) => ({ id: c.id, version: c.version })).sort((a, b) => cmp(a.id, b.id)),
    sigmaRun: r.sigmaRun
      .map((s) => {
        const version = unitVersion.get(`sigma:${s.id}`);
        return { id: s.id, title: s.title, ...(version ? { version } : {}) };
      })
      .sort((a, b) => cmp(a.id, b.id)),
    sigmaUnsupported: r.sigmaUnsupported
      .map((u) => ({ id: u.file, ...(u.title ? { title: u.title } : {}), reason: u.reason }))
      .sort((a, b) => cmp(a.id, b.id)),
    sigmaFiles: r.sigmaFiles.map((f) => ({ file: f.file, sha256: f.sha256 })).sort((a, b) => cmp(a.file, b.file)),
    promoted: r.extraRun
      .map((u) => ({
        id: u.id,
        version: u.version,
        textSha256: typeof u.record?.textSha256 === 'string' ? u.record.textSha256 : null,
        resultSha256: typeof u.record?.resultSha256 === 'string' ? u.record.resultSha256 : null,
      }))
      .sort((a, b) => cmp(a.id, b.id)),
    units,
    warnings: r.warnings
      .map((w) => ({ unit: w.unit, eventId: w.eventId ?? null, message: w.message }))
      .sort((a, b) => cmp(a.unit, b.unit) || cmp(a.eventId ?? '', b.eventId ?? '') || cmp(a.message, b.message)),
    iocs: {
      available: true,
      note: null,
      items: hits
        .map((h) => ({
          type: h.type,
          value: h.value,
          label: h.label ?? null,
          source: h.source ?? null,
          enabled: h.enabled,
          hits: h.hits,
          firstSeen: h.firstSeen,
          lastSeen: h.lastSeen,
          note: h.note ?? null,
        }))
        .sort((a, b) => cmp(a.type, b.type) || cmp(a.value, b.value)),
    },
    gaps: { available: true, note: null, data: g },
  };
}
