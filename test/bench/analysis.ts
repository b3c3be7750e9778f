// Analysis benchmark (docs/analysis.md): all checks and all Sigma rules on a
// case, timed against one full scan of the same case in the same run (read +
// parse every record), and a pivot from one access key. Wired into
// `npm run bench` by test/bench/run.ts; no timed assertions anywhere.
import { readFileSync, writeFileSync } from 'node:fs';
import { ATTACKER } from '../../electron/demo/synth.ts';
import { EvidenceReader } from '../../electron/case/evidence.ts';
import type { CaseStore } from '../../electron/case/store.ts';
import { pivot } from '../../electron/analysis/pivot/index.ts';
import { scanPages } from '../../electron/analysis/records.ts';
import { ensureRefs } from '../../electron/analysis/refs.ts';
import { analyseCase, bundledSigma } from '../../electron/analysis/run.ts';
import { recordRun } from '../../electron/analysis/runs.ts';

export interface AnalysisBench {
  events: number;
  /** One full scan: every record read back from the evidence and JSON-parsed (the faster of two, one before and one after). */
  scanSeconds: number;
  /** analyseCase: every check and every Sigma rule (plus the event index when it is behind). */
  analyseSeconds: number;
  /** analyseSeconds / scanSeconds (target < 5). */
  ratio: number;
  /** Records the runner read, as a multiple of the case size. */
  passes: number;
  findings: number;
  checks: number;
  sigmaRules: number;
  /** Pivot from one access key (target < 1 s), with the key and what it found (attacker events counted; the earliest 1,000 listed). */
  pivotSeconds: number;
  /** The same pivot again at once: the first reads the key's index and table pages from disk when they are not cached (this host's disk reads ~50 MB/s). */
  pivotWarmSeconds: number;
  pivotKey: string | null;
  pivotEvents: number;
  pivotIndicators: number;
  /**
   * Pivot time grows with the attacker events it finds. On the synthetic
   * trail the leaked key is a busy CI key: listed are the whole case, from its
   * first use from the attacker's address (the examiner's usual window), and
   * from the key the attacker created. `events` counts the attacker events,
   * `listed` the summaries returned (default eventLimit).
   */
  pivots: { label: string; key: string; since?: string; seconds: number; events: number; listed: number; indicators: number; truncated: boolean }[];
  heapUsedMB: number;
  /** Peak RSS of this process during analyseCase (VmHWM after resetting it through /proc/self/clear_refs; null where Linux's /proc is absent). Target < 500 MB whatever the case size (README.md, "Speed and size"). */
  peakRssMB: number | null;
  /** CPU seconds of analyseCase and of one scan, and their ratio: under a loaded host wall time mostly measures the other processes. */
  analyseCpuSeconds: number;
  scanCpuSeconds: number;
  cpuRatio: number;
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Reset this process's peak RSS (Linux: writing 5 to clear_refs), so the peak read afterwards belongs to what ran since. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

function peakRssMB(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function scan(store: CaseStore): { seconds: number; cpu: number; events: number } {
  const t = performance.now();
  const c = cpuSeconds();
  let n = 0;
  for (const page of scanPages(store, { reader: new EvidenceReader(store) })) n += page.length;
  return { seconds: (performance.now() - t) / 1000, cpu: cpuSeconds() - c, events: n };
}

/** The synthetic trail's leaked key when present; otherwise the access key with the median number of events. */
function pivotKey(store: CaseStore): string | null {
  const leaked = store.stmt('SELECT id FROM strings WHERE s = ?').get(ATTACKER.leakedKey) as { id: number } | undefined;
  if (leaked && store.stmt('SELECT 1 FROM events WHERE access_key = ? LIMIT 1').get(leaked.id)) return ATTACKER.leakedKey;
  const keys = store.db
    .prepare('SELECT access_key AS k, count(*) AS n FROM events WHERE access_key IS NOT NULL GROUP BY access_key ORDER BY n')
    .all() as { k: number; n: number }[];
  if (!keys.length) return null;
  return (store.stmt('SELECT s FROM strings WHERE id = ?').get(keys[keys.length >> 1].k) as { s: string }).s;
}

export async function benchAnalysis(store: CaseStore): Promise<AnalysisBench> {
  bundledSigma(); // rule compilation is a one-off per process, not part of a run
  // The analysis first, in a fresh process: its peak is its own, not what a full scan left in the heap.
  const reset = resetPeakRss();
  const t = performance.now();
  const c = cpuSeconds();
  const r = await analyseCase(store, { buildRefs: store.readonly ? undefined : { actor: 'benchmark' } });
  const analyseSeconds = (performance.now() - t) / 1000;
  const analyseCpuSeconds = cpuSeconds() - c;
  const peak = reset ? peakRssMB() : null;
  const heapUsedMB = process.memoryUsage().heapUsed / 1e6;
  // Stored as `trailcase check` stores it, so the report step finds a current run (its findings) rather than analysing again.
  if (!store.readonly) recordRun(store, 'benchmark', r);
  // Then the full scan it is compared with, twice (the faster counts: this host drifts).
  const first = scan(store);
  const second = scan(store);
  if (!store.readonly) ensureRefs(store, 'benchmark');
  const key = pivotKey(store);
  let pivotSeconds = 0;
  let pivotWarmSeconds = 0;
  let pivotEvents = 0;
  let pivotIndicators = 0;
  if (key) {
    const p0 = performance.now();
    const p = pivot(store, { key });
    pivotSeconds = (performance.now() - p0) / 1000;
    pivotEvents = p.eventCount;
    pivotIndicators = p.indicators.length;
    const p1 = performance.now();
    pivot(store, { key });
    pivotWarmSeconds = (performance.now() - p1) / 1000;
  }
  const pivots: AnalysisBench['pivots'] = [];
  const run = (label: string, k: string, since?: string) => {
    const p0 = performance.now();
    const p = pivot(store, { key: k }, since ? { since } : {});
    pivots.push({ label, key: k, ...(since ? { since } : {}), seconds: (performance.now() - p0) / 1000, events: p.eventCount, listed: p.events.length, indicators: p.indicators.length, truncated: p.truncated });
  };
  if (key === ATTACKER.leakedKey) {
    const first = store
      .stmt('SELECT min(time_ms) AS t FROM events WHERE access_key = (SELECT id FROM strings WHERE s = ?) AND ip IN (SELECT id FROM ips WHERE text = ?)')
      .get(ATTACKER.leakedKey, ATTACKER.ip) as { t: number | null };
    if (first.t !== null) run('leaked key from its first use from the attacker address', ATTACKER.leakedKey, new Date(first.t).toISOString());
    if (store.stmt('SELECT 1 FROM strings WHERE s = ?').get(ATTACKER.backdoorKey)) run('key created by the attacker', ATTACKER.backdoorKey);
  }
  const scanSeconds = Math.min(first.seconds, second.seconds);
  const scanCpuSeconds = Math.min(first.cpu, second.cpu);
  console.log(`${'analysis: time, scans, peak RSS'.padEnd(48)} ${analyseSeconds.toFixed(1)} s (${analyseCpuSeconds.toFixed(1)} s CPU = ${(analyseCpuSeconds / scanCpuSeconds).toFixed(2)} scans by CPU, ${r.passes.toFixed(2)} records read per event), peak RSS ${peak === null ? 'not measured' : `${peak.toFixed(0)} MB`}`);
  return {
    events: first.events,
    scanSeconds,
    analyseSeconds,
    ratio: analyseSeconds / scanSeconds,
    passes: r.passes,
    findings: r.findings.length,
    checks: r.checksRun.length,
    sigmaRules: r.sigmaRun.length,
    pivotSeconds,
    pivotWarmSeconds,
    pivotKey: key,
    pivotEvents,
    pivotIndicators,
    pivots,
    heapUsedMB,
    peakRssMB: peak,
    analyseCpuSeconds,
    scanCpuSeconds,
    cpuRatio: analyseCpuSeconds / scanCpuSeconds,
  };
}
