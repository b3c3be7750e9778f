// Micro benchmark of Sigma matching, for `npm run bench` (issue "Analysis",
// Sigma section: matching must be cheap). Measures all bundled rules (or the
// given ones) over the given records, repeating passes until minMs elapsed so
// small inputs still give a stable figure.
import type { AnalysisEvent } from '../../../shared/analysis/findings.ts';
import { loadBundledSigmaRules } from './bundled.ts';
import { matchSigma, type CompiledSigmaRule } from './engine.ts';

export interface SigmaBenchResult {
  rules: number;
  events: number;
  passes: number;
  /** Rule hits in one pass (same every pass; a cross-check that work was done). */
  hitsPerPass: number;
  ms: number;
  /** Events matched against every rule, per second. */
  eventsPerSecond: number;
  /** Single rule-versus-event evaluations per second. */
  evaluationsPerSecond: number;
}

export interface SigmaBenchOptions {
  rules?: CompiledSigmaRule[];
  /** Keep repeating passes until this much time has passed (default 250 ms). */
  minMs?: number;
}

function isAnalysisEvent(e: unknown): e is AnalysisEvent {
  return e !== null && typeof e === 'object' && 'record' in e && 'n' in e && typeof (e as AnalysisEvent).record === 'object';
}

/** Events per second for all rules over the records (verbatim CloudTrail records or AnalysisEvents). */
export function benchSigma(events: ReadonlyArray<Record<string, any> | AnalysisEvent>, opts: SigmaBenchOptions = {}): SigmaBenchResult {
  const rules = opts.rules ?? loadBundledSigmaRules().rules;
  const minMs = opts.minMs ?? 250;
  const records = events.map((e) => (isAnalysisEvent(e) ? e.record : e));
  let passes = 0;
  let hitsPerPass = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    let hits = 0;
    for (let i = 0; i < records.length; i++) {
      const rec = records[i];
      for (let k = 0; k < rules.length; k++) if (matchSigma(rules[k], rec)) hits++;
    }
    hitsPerPass = hits;
    passes++;
    elapsed = performance.now() - start;
  } while (elapsed < minMs && records.length > 0);
  const evaluatedEvents = passes * records.length;
  const seconds = Math.max(elapsed, 1e-3) / 1000;
  return {
    rules: rules.length,
    events: records.length,
    passes,
    hitsPerPass,
    ms: Math.round(elapsed * 1000) / 1000,
    eventsPerSecond: Math.round(evaluatedEvents / seconds),
    evaluationsPerSecond: Math.round((evaluatedEvents * rules.length) / seconds),
  };
}
