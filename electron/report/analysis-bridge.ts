// What the report takes from analysis (issue 5): findings with the checks and
// Sigma rules that ran, IOC hit counts and gaps. The report never analyses on
// its own (report brief: "do not build a parallel analysis"): it calls the
// analysis modules by their documented names and, where a module is not in this
// build, says so in the report instead of showing an empty section as if
// nothing had been found.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Finding } from '../../shared/analysis/findings.ts';
import type { CaseStore } from '../case/store.ts';

export interface AnalysisForReport {
  findings: { available: boolean; note: string | null; items: Finding[] };
  checksRun: { id: string; version: string }[];
  sigmaRun: { id: string; title: string; version?: string }[];
  sigmaUnsupported: { id: string; title?: string; reason?: string }[];
  /** Every unit the run used with its version (runner, Sigma engine, checks, rules). */
  units: { id: string; version: string }[];
  /** Problems the analysis met (a check that threw, a record that no longer parses), by unit. */
  warnings: { unit: string; eventId: string | null; message: string }[];
  iocHits: {
    available: boolean;
    note: string | null;
    /** type+value -> hits and first/last seen (ISO UTC). */
    byIndicator: Map<string, { hits: number; firstSeen: string | null; lastSeen: string | null }>;
  };
  gaps: { available: boolean; note: string | null; data: unknown };
}

export const iocKey = (type: string, value: string) => `${type}\u0000${value}`;

/** Import a module of this build by path relative to electron/, or null when the file is not there. */
async function optionalModule(rel: string): Promise<Record<string, unknown> | null> {
  const url = new URL(`../${rel}`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return null;
  return (await import(url.href)) as Record<string, unknown>;
}

type Fn = (...args: any[]) => any;
function fnOf(mod: Record<string, unknown> | null, ...names: string[]): Fn | null {
  if (!mod) return null;
  for (const n of names) if (typeof mod[n] === 'function') return mod[n] as Fn;
  return null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Run the case analysis and collect IOC hits and gaps, each independently available or not. */
export async function analysisForReport(store: CaseStore): Promise<AnalysisForReport> {
  const out: AnalysisForReport = {
    findings: { available: false, note: null, items: [] },
    checksRun: [],
    sigmaRun: [],
    sigmaUnsupported: [],
    units: [],
    warnings: [],
    iocHits: { available: false, note: null, byIndicator: new Map() },
    gaps: { available: false, note: null, data: null },
  };

  const run = fnOf(await optionalModule('analysis/run.ts'), 'analyseCase');
  if (!run) {
    out.findings.note = 'Automated analysis (electron/analysis/run.ts analyseCase) is not part of this build: no checks or Sigma rules were run, so this report states no findings.';
  } else {
    const r = (await run(store)) as {
      findings: Finding[];
      checksRun?: { id: string; version: string }[];
      sigmaRun?: { id: string; title: string; version?: string }[];
      sigmaUnsupported?: unknown[];
      units?: { id: string; version: string }[];
      warnings?: { unit: string; eventId: string | null; message: string }[];
    };
    out.findings.available = true;
    out.findings.items = [...r.findings];
    out.checksRun = [...(r.checksRun ?? [])].map((c) => ({ id: c.id, version: c.version })).sort((a, b) => cmp(a.id, b.id));
    out.units = [...(r.units ?? [])].map((u) => ({ id: u.id, version: u.version }));
    const unitVersion = new Map(out.units.map((u) => [u.id, u.version]));
    out.sigmaRun = [...(r.sigmaRun ?? [])]
      .map((s) => {
        const version = s.version ?? unitVersion.get(`sigma:${s.id}`);
        return { id: s.id, title: s.title, ...(version ? { version } : {}) };
      })
      .sort((a, b) => cmp(a.id, b.id));
    out.warnings = [...(r.warnings ?? [])]
      .map((w) => ({ unit: w.unit, eventId: w.eventId ?? null, message: w.message }))
      .sort((a, b) => cmp(a.unit, b.unit) || cmp(a.eventId ?? '', b.eventId ?? '') || cmp(a.message, b.message));
    out.sigmaUnsupported = (r.sigmaUnsupported ?? [])
      .map((u) => {
        const o = (u ?? {}) as Record<string, unknown>;
        return {
          id: str(o.file) ?? str(o.id) ?? str(o.path) ?? String(u),
          ...(str(o.title) ? { title: str(o.title)! } : {}),
          ...(str(o.reason) ?? str(o.error) ? { reason: (str(o.reason) ?? str(o.error))! } : {}),
        };
      })
      .sort((a, b) => cmp(a.id, b.id));
  }

  const iocMod = (await optionalModule('analysis/ioc.ts')) ?? (await optionalModule('analysis/iocs.ts'));
  const hits = fnOf(iocMod, 'iocHits');
  if (!hits) out.iocHits.note = 'IOC matching (analysis iocHits) is not part of this build: indicators are listed without hit counts.';
  else {
    const rows = (await hits(store)) as unknown;
    const list = Array.isArray(rows) ? rows : ((rows as { items?: unknown[] })?.items ?? []);
    for (const h of list as Record<string, unknown>[]) {
      const type = str(h.type) ?? str(h.iocType);
      const value = str(h.value);
      if (!type || value === null) continue;
      out.iocHits.byIndicator.set(iocKey(type, value), {
        hits: Number(h.hits ?? h.count ?? 0),
        firstSeen: str(h.firstSeen),
        lastSeen: str(h.lastSeen),
      });
    }
    out.iocHits.available = true;
  }

  const gapFn = fnOf(await optionalModule('analysis/gaps.ts'), 'gaps', 'computeGaps', 'caseGaps');
  if (!gapFn) out.gaps.note = 'Gap analysis (analysis gaps) is not part of this build: hours without events and logging changes are not assessed here.';
  else {
    out.gaps.available = true;
    out.gaps.data = await gapFn(store);
  }
  return out;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
