// Registry of checks and the in-memory reference runner. The SQL-backed runner
// (case store) does the same: per check, select events by check.select in time
// order, call run(), and complete each draft with toFinding().
import { SEVERITIES, type AnalysisEvent, type Finding } from '../../../shared/analysis/findings.ts';
import { buildCheckContext } from './context.ts';
import { baseEventName } from './event.ts';
import { findingId, toFinding, type FindingIdFn } from './finding.ts';
import type { Check, CheckContext, CheckSelector } from './types.ts';

const CATEGORIES = new Set([
  'persistence', 'privilege-escalation', 'defense-evasion', 'exfiltration', 'collection', 'initial-access',
  'credential-access', 'discovery', 'execution', 'lateral-movement', 'impact',
]);

const registry = new Map<string, Check>();

/** Problems that make a check unfit for registration (empty list: fine). */
export function validateCheck(check: Check): string[] {
  const p: string[] = [];
  if (!/^[a-z]+(-[a-z]+)*\.[a-z0-9]+(-[a-z0-9]+)*$/.test(check.id)) p.push(`id ${JSON.stringify(check.id)} is not '<category>.<kebab-name>'`);
  if (!/^\d+\.\d+\.\d+$/.test(check.version)) p.push(`version ${JSON.stringify(check.version)} is not semver x.y.z`);
  if (!CATEGORIES.has(check.category)) p.push(`unknown category ${JSON.stringify(check.category)}`);
  if (!SEVERITIES.includes(check.severity)) p.push(`unknown severity ${JSON.stringify(check.severity)}`);
  if (!check.title) p.push('empty title');
  if (!check.description) p.push('empty description');
  if (check.attack.some((t) => !/^T\d{4}(\.\d{3})?$/.test(t))) p.push(`bad ATT&CK id in ${JSON.stringify(check.attack)}`);
  const s = check.select;
  const hasCriterion = s.all === true || s.errorCodes === true || (s.eventNames?.length ?? 0) > 0 || (s.eventSources?.length ?? 0) > 0 || (s.identityTypes?.length ?? 0) > 0 || (s.principalIdContains?.length ?? 0) > 0;
  if (!hasCriterion) p.push('selector has no criterion');
  if (typeof check.run !== 'function') p.push('run is not a function');
  return p;
}

/** Register a check; throws on an invalid check or a duplicate id. */
export function registerCheck(check: Check): void {
  const problems = validateCheck(check);
  if (problems.length) throw new Error(`cannot register check ${check.id ?? '(no id)'}: ${problems.join('; ')}`);
  if (registry.has(check.id)) throw new Error(`cannot register check ${check.id}: a check with this id is already registered (version ${registry.get(check.id)!.version})`);
  registry.set(check.id, check);
}

/** Registered checks, sorted by id. */
export function allChecks(): Check[] {
  return [...registry.values()].sort((a, b) => a.id.localeCompare(b.id));
}

export function getCheck(id: string): Check | undefined {
  return registry.get(id);
}

/** Does the event pass the selector? (Reference for the SQL translation; see CheckSelector.) */
export function matchesSelector(sel: CheckSelector, e: AnalysisEvent): boolean {
  if (sel.all) return true;
  let any = false;
  if (sel.eventNames?.length) { any = true; if (!sel.eventNames.includes(baseEventName(e.n.eventName))) return false; }
  if (sel.eventSources?.length) { any = true; if (!e.n.eventSource || !sel.eventSources.includes(e.n.eventSource)) return false; }
  if (sel.errorCodes) { any = true; if (!e.n.errorCode) return false; }
  if (sel.identityTypes?.length) { any = true; if (!e.n.identityType || !sel.identityTypes.includes(e.n.identityType)) return false; }
  if (sel.principalIdContains?.length) { any = true; const p = e.n.principalId; if (!p || !sel.principalIdContains.some((x) => p.includes(x))) return false; }
  return any;
}

/** Time order; events without a time last; ties by leaf (import order). */
export function byTime(a: AnalysisEvent, b: AnalysisEvent): number {
  if (a.timeMs !== b.timeMs) {
    if (a.timeMs === null) return 1;
    if (b.timeMs === null) return -1;
    return a.timeMs - b.timeMs;
  }
  return a.leaf - b.leaf;
}

export interface RunOptions {
  /** Defaults to buildCheckContext(events). */
  ctx?: CheckContext;
  idFn?: FindingIdFn;
  /** Called when a check throws; without it the error is rethrown naming the check. */
  onError?: (checkId: string, error: Error) => void;
}

/**
 * Run checks over in-memory events: for each check, the events matching its
 * selector in time order go to run(), and every draft becomes a Finding.
 */
export function runChecks(events: AnalysisEvent[], checks: Check[] = allChecks(), opts: RunOptions = {}): Finding[] {
  const sorted = [...events].sort(byTime);
  const ctx = opts.ctx ?? buildCheckContext(sorted);
  const times = new Map<string, number | null>();
  for (const e of sorted) times.set(e.eventId, e.timeMs);
  const timeOf = (id: string) => times.get(id) ?? null;
  // Base names computed once per event rather than once per event and check.
  const base = sorted.map((e) => baseEventName(e.n.eventName));
  const out: Finding[] = [];
  for (const check of checks) {
    const p = selectorPredicates(check.select);
    const names = check.select.eventNames?.length ? new Set(check.select.eventNames) : null;
    const selected = p.all ? sorted : sorted.filter((e, i) => (!names || names.has(base[i]))
      && (!p.eventSource || (e.n.eventSource !== null && p.eventSource(e.n.eventSource)))
      && (!p.errorCode || e.n.errorCode !== null)
      && (!p.identityType || (e.n.identityType !== null && p.identityType(e.n.identityType))));
    if (selected.length === 0) continue;
    try {
      for (const d of check.run(selected, ctx)) out.push(toFinding(check, d, opts.idFn ?? findingId, timeOf));
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      const wrapped = new Error(`check ${check.id}@${check.version} failed on ${selected.length} events: ${error.message}`);
      if (opts.onError) opts.onError(check.id, wrapped);
      else throw wrapped;
    }
  }
  return out;
}

export interface SelectorPredicates {
  all: boolean;
  /** null: no constraint on that column. */
  eventName: ((name: string) => boolean) | null;
  eventSource: ((source: string) => boolean) | null;
  identityType: ((type: string) => boolean) | null;
  /** true: errorCode must be present. */
  errorCode: boolean;
  /** principalId test (substring), null: no constraint. Not one of the GROUP BY columns: apply per event or to the strings behind principal_id. */
  principalId: ((id: string) => boolean) | null;
}

/**
 * Per-column tests for a selector, for runners whose columns hold interned
 * strings: apply each test to the distinct values of that column (e.g. the
 * strings table) to get the ids to put in an SQL IN (...). eventName applies
 * baseEventName, so "UpdateFunctionCode20150331v2" passes for "UpdateFunctionCode".
 */
export function selectorPredicates(sel: CheckSelector): SelectorPredicates {
  const names = sel.eventNames?.length ? new Set(sel.eventNames) : null;
  const sources = sel.eventSources?.length ? new Set(sel.eventSources) : null;
  const types = sel.identityTypes?.length ? new Set(sel.identityTypes) : null;
  return {
    all: sel.all === true,
    eventName: names ? (n) => names.has(baseEventName(n)) : null,
    eventSource: sources ? (s) => sources.has(s) : null,
    identityType: types ? (t) => types.has(t) : null,
    errorCode: sel.errorCodes === true,
    principalId: sel.principalIdContains?.length ? (p) => sel.principalIdContains!.some((x) => p.includes(x)) : null,
  };
}
