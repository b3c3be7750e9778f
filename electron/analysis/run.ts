// Running every built-in check and every Sigma rule on a case (issue 5):
// `analyseCase(store)` -> findings with eventIDs, the units that ran and their
// versions, the Sigma rules that cannot run and why.
//
// How it stays near one pass over the case (target: all checks + all Sigma
// in under 5 full scans):
//  1. One GROUP BY over the indexed columns gives every combination of
//     (eventName, eventSource, identity type, has errorCode) with its count.
//     Each check's selector and each Sigma rule's SQL prefilter is evaluated
//     once per combination, so the runner knows exactly which events each unit
//     wants and how many, without reading a record.
//  2. One pass over all events in leaf order (= evidence order, so each
//     evidence object is decoded once) parses each record once and hands it to
//     the Sigma rules whose prefilter admits its combination (rules without a
//     prefilter see every event), to the checks whose selections fit the
//     memory budget (their events are collected), and to the event_refs
//     index builder when asked.
//  3. Checks whose selections are too big to hold next to the others are read
//     afterwards, one at a time, by SQL over the same columns (records in leaf
//     order, then sorted by time). Only one such selection is in memory at a
//     time: a check's run() needs its events together (aggregations).
// Checks receive their events in time order (events without a time last,
// ties by leaf), as the registry's reference runner does.
import type { AnalysisEvent, Finding } from '../../shared/analysis/findings.ts';
import { SEVERITIES } from '../../shared/analysis/findings.ts';
import type { AnalysisWarning, UnitRef } from '../../shared/analysis/types.ts';
import type { Progress } from '../../shared/types.ts';
import { EvidenceReader } from '../case/evidence.ts';
import type { CaseStore } from '../case/store.ts';
import { allChecks, buildCheckContext, byTime, findingId, matchesSelector, selectorPredicates, toFinding, TRAIL_CONTEXT_SELECTOR, type Check } from './checks/index.ts';
import { loadBundledSigmaRules, SigmaHits, type SigmaRuleFile, type UnsupportedSigmaRule } from './sigma/bundled.ts';
import { SIGMA_ENGINE_NAME, SIGMA_ENGINE_VERSION, type CompiledSigmaRule } from './sigma/engine.ts';
import { locatorsByLeaves } from '../case/data/detections.ts';
import { sigmaRuleVersion } from './sigma/finding.ts';
import { readEvent, type EventLocator } from './records.ts';
import { RefsBuilder, refsState } from './refs.ts';
import { enrichmentByText } from './enrich/enrich.ts';
import { columnEvents } from './column-events.ts';

export const RUNNER_UNIT = { name: 'analysis-runner', version: '1.0.0' } as const;

export interface AnalyseOptions {
  /** Checks to run (default: every registered built-in check). */
  checks?: Check[];
  /** Sigma rules to run (default: the bundled SigmaHQ CloudTrail rules); null runs none. `files`: the examiner's rule files, recorded with the run. */
  sigma?: { rules: CompiledSigmaRule[]; unsupported: UnsupportedSigmaRule[]; files?: SigmaRuleFile[] } | null;
  /** Units run after the checks and rules, composed by a higher layer (the examiner's promoted query checks, issue 14). */
  extra?: ExtraUnit[];
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** Build/refresh the event_refs index in the same pass (needs a writable case); the actor is logged in custody. */
  buildRefs?: { actor: string };
  /** At most this many events are held for checks during the shared pass (default 150,000); bigger selections get their own pass. */
  memoryBudgetEvents?: number;
}

/** A unit the runner does not know how to run itself: it runs once, after the pass, and reports its findings. */
export interface ExtraUnit {
  id: string;
  version: string;
  run(signal?: AbortSignal): Promise<{ findings: Finding[]; warnings: AnalysisWarning[]; record?: Record<string, unknown> }>;
}

export interface AnalysisResult {
  findings: Finding[];
  checksRun: UnitRef[];
  sigmaRun: { id: string; title: string }[];
  sigmaUnsupported: UnsupportedSigmaRule[];
  /** The examiner's own rule files, with their SHA-256 (none: only the bundled rules ran). */
  sigmaFiles: SigmaRuleFile[];
  /** The extra units that ran (promoted query checks), with what each asks to be recorded (query and result hashes). */
  extraRun: (UnitRef & { record?: Record<string, unknown> })[];
  seconds: number;
  /** Problems met on the way (a check that threw, a record that no longer parses, a policy document that is not JSON). */
  warnings: AnalysisWarning[];
  /** Events in the case when the run started. */
  treeSize: number;
  /** Records read and parsed, and that as a multiple of the case size. */
  eventsRead: number;
  passes: number;
  /** Engine and runner versions, with the checks' and rules' versions: what makes a run reproducible. */
  units: UnitRef[];
}

interface Combo {
  name: number | null;
  source: number | null;
  identity_type: number | null;
  err: number;
  n: number;
}

let bundledCache: { rules: CompiledSigmaRule[]; unsupported: UnsupportedSigmaRule[] } | null = null;
/** The bundled rules, compiled once per process. */
export function bundledSigma(): { rules: CompiledSigmaRule[]; unsupported: UnsupportedSigmaRule[] } {
  bundledCache ??= loadBundledSigmaRules();
  return bundledCache;
}

/**
 * A Sigma hit kept without its record: a Sigma finding is built from the
 * normalised fields, id and time only (sigma/finding.ts), and some SigmaHQ
 * rules match most of a case (e.g. "AWS STS AssumeRole Misuse" matches every
 * role session), so holding whole records would hold the case in memory.
 * test/analysis/run.test.ts checks the findings equal those built from full events.
 */
const NO_RECORD: Record<string, any> = Object.freeze({});
function lightEvent(e: AnalysisEvent): AnalysisEvent {
  return { leaf: e.leaf, eventId: e.eventId, timeMs: e.timeMs, record: NO_RECORD, n: e.n };
}

const comboKey = (name: number | null, source: number | null, type: number | null, err: boolean) => `${name ?? ''}|${source ?? ''}|${type ?? ''}|${err ? 1 : 0}`;

function severityRank(s: string): number {
  return SEVERITIES.indexOf(s as never);
}

/** Sort findings: most severe first, then by first event time, then id (stable output). */
export function sortFindings(f: Finding[]): Finding[] {
  return f.sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      (a.firstSeen ?? '\uffff').localeCompare(b.firstSeen ?? '\uffff') ||
      a.id.localeCompare(b.id),
  );
}

/** The units a run uses, with versions (stored with each run; a change makes stored findings stale). */
export function analysisUnits(checks: Check[], rules: CompiledSigmaRule[]): UnitRef[] {
  return [
    { id: RUNNER_UNIT.name, version: RUNNER_UNIT.version },
    { id: SIGMA_ENGINE_NAME, version: SIGMA_ENGINE_VERSION },
    ...checks.map((c) => ({ id: c.id, version: c.version })),
    ...rules.map((r) => ({ id: `sigma:${r.id}`, version: sigmaRuleVersion(r) })),
  ];
}

export async function analyseCase(store: CaseStore, opts: AnalyseOptions = {}): Promise<AnalysisResult> {
  const t0 = performance.now();
  const checks = opts.checks ?? allChecks();
  const sigma: AnalyseOptions['sigma'] = opts.sigma === undefined ? bundledSigma() : opts.sigma;
  const rules = sigma?.rules ?? [];
  const warnings: AnalysisWarning[] = [];
  const progress = (phase: string, done: number, total: number | null, unit = 'events', detail?: string) =>
    opts.onProgress?.({ phase, done, total, unit, ...(detail ? { detail } : {}) });
  const yieldNow = () => new Promise<void>((r) => setImmediate(r));
  const checkAbort = () => {
    if (opts.signal?.aborted) throw new Error('analysis cancelled');
  };

  // ---- 1. combinations of the indexed columns, and which units want each
  progress('prepare', 0, null, 'steps', 'column combinations');
  const combos = store.db
    .prepare('SELECT name, source, identity_type, error_code IS NOT NULL AS err, count(*) AS n FROM events GROUP BY name, source, identity_type, err')
    .all() as Combo[];
  const treeSize = combos.reduce((a, c) => a + c.n, 0);
  const ids = new Set<number>();
  for (const c of combos) for (const v of [c.name, c.source, c.identity_type]) if (v !== null) ids.add(v);
  const text = new Map<number, string>();
  for (const r of store.db.prepare('SELECT id, s FROM strings WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify([...ids])) as { id: number; s: string }[])
    text.set(r.id, r.s);
  const t = (id: number | null) => (id === null ? null : text.get(id) ?? null);

  const wants = (sel: Check['select'], c: Combo): boolean => {
    const p = selectorPredicates(sel);
    if (p.all) return true;
    const name = t(c.name);
    const source = t(c.source);
    const type = t(c.identity_type);
    if (p.eventName && (name === null || !p.eventName(name))) return false;
    if (p.eventSource && (source === null || !p.eventSource(source))) return false;
    if (p.identityType && (type === null || !p.identityType(type))) return false;
    if (p.errorCode && !c.err) return false;
    return true;
  };
  const ruleWants = (r: CompiledSigmaRule, c: Combo): boolean => {
    if (!r.prefilter) return true;
    const name = t(c.name)?.toLowerCase() ?? null;
    const source = t(c.source)?.toLowerCase() ?? null;
    if (r.prefilter.eventNames && (name === null || !r.prefilter.eventNames.some((n) => n.toLowerCase() === name))) return false;
    if (r.prefilter.eventSources && (source === null || !r.prefilter.eventSources.some((s) => s.toLowerCase() === source))) return false;
    return true;
  };

  // Selection sizes decide which checks ride along the shared pass. A principalId
  // condition is not a GROUP BY column: its matching strings become principal_id ids.
  const budget = opts.memoryBudgetEvents ?? 150_000;
  const pidPred = checks.map((ch) => selectorPredicates(ch.select).principalId);
  let principalIds: { id: number; s: string }[] | null = null;
  const pidIds = pidPred.map((p) => {
    if (!p) return null;
    principalIds ??= store.db
      .prepare('SELECT id, s FROM strings WHERE id IN (SELECT DISTINCT principal_id FROM events WHERE principal_id IS NOT NULL)')
      .all() as { id: number; s: string }[];
    return new Set(principalIds.filter((r) => p(r.s)).map((r) => r.id));
  });
  const comboSql = () =>
    `(coalesce(name, -1), coalesce(source, -1), coalesce(identity_type, -1), error_code IS NOT NULL) IN (SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?))`;
  const comboParam = (wanted: Combo[]) => JSON.stringify(wanted.map((c) => [c.name ?? -1, c.source ?? -1, c.identity_type ?? -1, c.err ? 1 : 0]));
  const selCount = checks.map((ch, i) => {
    const wanted = combos.filter((c) => wants(ch.select, c));
    if (!pidIds[i]) return wanted.reduce((a, c) => a + c.n, 0);
    if (!wanted.length || !pidIds[i]!.size) return 0;
    return (store.db
      .prepare(`SELECT count(*) AS n FROM events WHERE ${comboSql()} AND principal_id IN (SELECT value FROM json_each(?))`)
      .get(comboParam(wanted), JSON.stringify([...pidIds[i]!])) as { n: number }).n;
  });
  const order = checks.map((_, i) => i).sort((a, b) => selCount[a] - selCount[b]);
  const inPass = new Set<number>();
  let held = 0;
  // Checks over the normalised columns only (columnsOnly) get events built from the indexed
  // columns, without parsing records (column-events.ts), all from one query after the pass.
  const fromColumns = new Set(checks.map((c, i) => (c.columnsOnly ? i : -1)).filter((i) => i >= 0));
  // Checks with a narrow step read only the records it names, after the pass (Check.narrow).
  const narrowed = new Set(checks.map((c, i) => (c.narrow && !c.columnsOnly ? i : -1)).filter((i) => i >= 0));
  for (const i of order) {
    if (selCount[i] === 0 || fromColumns.has(i) || narrowed.has(i)) continue;
    if (held + selCount[i] > budget) break;
    held += selCount[i];
    inPass.add(i);
  }
  // Index -1 is the trail-context pseudo-unit (CreateTrail/UpdateTrail/DescribeTrails/GetTrail: the log buckets).
  const TRAIL = -1;
  const route = new Map<string, { checks: number[]; rules: number[] }>();
  for (const c of combos) {
    const r = { checks: [] as number[], rules: [] as number[] };
    for (const i of inPass) if (wants(checks[i].select, c)) r.checks.push(i);
    if (wants(TRAIL_CONTEXT_SELECTOR, c)) r.checks.push(TRAIL);
    rules.forEach((rule, i) => {
      if (ruleWants(rule, c)) r.rules.push(i);
    });
    route.set(comboKey(c.name, c.source, c.identity_type, !!c.err), r);
  }

  // ---- 2. the shared pass
  const reader = new EvidenceReader(store);
  const bad = (eventId: string, message: string) => warnings.push({ unit: RUNNER_UNIT.name, eventId, message });
  let refs: RefsBuilder | null = null;
  if (opts.buildRefs && !store.readonly) {
    const st = refsState(store);
    if (st.available && !st.upToDate) refs = new RefsBuilder(store, opts.buildRefs.actor, st);
  }
  const buckets = new Map<number, AnalysisEvent[]>([[TRAIL, []]]);
  for (const i of inPass) buckets.set(i, []);
  const sigmaHits = new SigmaHits(rules);
  const warn = (unit: string, eventId: string | null, message: string) => warnings.push({ unit, eventId, message });
  let eventsRead = 0;
  let lastLeaf = -1;
  const page = store.db.prepare(
    'SELECT leaf, event_id, time_ms, evidence_id, pos, len, enc, name, source, identity_type, error_code FROM events WHERE leaf >= ? ORDER BY leaf LIMIT 2000',
  );
  let from = 0;
  progress('scan', 0, treeSize);
  for (;;) {
    checkAbort();
    const rows = page.all(from) as (EventLocator & { name: number | null; source: number | null; identity_type: number | null; error_code: number | null })[];
    if (!rows.length) break;
    for (const row of rows) {
      const r = route.get(comboKey(row.name, row.source, row.identity_type, row.error_code !== null));
      const needRefs = refs !== null && refs.wants(row.leaf);
      if (!needRefs && (!r || (r.checks.length === 0 && r.rules.length === 0))) continue;
      const e = readEvent(reader, row, bad);
      eventsRead++;
      if (!e) continue;
      if (needRefs) refs!.add(e);
      if (!r) continue;
      let light: AnalysisEvent | null = null;
      for (const i of r.rules) sigmaHits.feed(i, e, warn, () => light ?? (light = lightEvent(e)));
      for (const i of r.checks) {
        const pid = i >= 0 ? pidPred[i] : null;
        if (pid && !(e.n.principalId !== null && pid(e.n.principalId))) continue;
        buckets.get(i)!.push(e);
      }
    }
    lastLeaf = rows[rows.length - 1].leaf;
    from = lastLeaf + 1;
    refs?.flush();
    progress('scan', Math.min(from, treeSize), treeSize);
    await yieldNow();
  }
  if (refs) refs.finish(lastLeaf);

  // ---- 3. checks
  const accounts = (store.db.prepare('SELECT DISTINCT s FROM strings WHERE id IN (SELECT DISTINCT account FROM events WHERE account IS NOT NULL)').raw().all() as [string][]).map((r) => r[0]);
  // Address answers: those recorded in the case (enrichCase), never looked up here, so a run
  // is reproducible from the case; without any, the address indicators report nothing.
  const recorded = checks.some((c) => c.enrichment) ? enrichmentByText(store) : new Map();
  const ctx = buildCheckContext(buckets.get(TRAIL)!, {
    scope: store.scope(),
    extraAccounts: accounts,
    warn: (eventId, checkId, message) => warnings.push({ unit: checkId, eventId, message }),
    ipInfo: recorded.size ? (ip: string) => recorded.get(ip) : null,
  });
  const findings: Finding[] = [];
  const checksRun: UnitRef[] = [];
  const runOne = (check: Check, events: AnalysisEvent[]) => {
    checksRun.push({ id: check.id, version: check.version });
    if (!events.length) return;
    events.sort(byTime);
    const times = new Map(events.map((e) => [e.eventId, e.timeMs]));
    try {
      for (const d of check.run(events, ctx)) findings.push(toFinding(check, d, findingId, (id) => times.get(id) ?? null));
    } catch (err) {
      warnings.push({ unit: `${check.id}@${check.version}`, eventId: null, message: `check failed on ${events.length} events: ${(err as Error).message}` });
    }
  };
  let done = 0;
  let columns: AnalysisEvent[] | null = null;
  for (let i = 0; i < checks.length; i++) {
    checkAbort();
    const check = checks[i];
    if (fromColumns.has(i) && selCount[i] > 0 && (!check.enrichment || ctx.ipInfo)) {
      columns ??= columnEvents(store);
      const p = selectorPredicates(check.select);
      runOne(check, p.all ? columns.slice() : columns.filter((e) => matchesSelector(check.select, e)));
      await yieldNow();
    } else if (fromColumns.has(i)) {
      checksRun.push({ id: check.id, version: check.version });
    } else if (narrowed.has(i) && selCount[i] > 0) {
      columns ??= columnEvents(store);
      const p = selectorPredicates(check.select);
      const leaves = check.narrow!(p.all ? columns : columns.filter((e) => matchesSelector(check.select, e)));
      const events: AnalysisEvent[] = [];
      if (leaves.size) {
        const locs = store.db
          .prepare('SELECT leaf, event_id, time_ms, evidence_id, pos, len, enc FROM events WHERE leaf IN (SELECT value FROM json_each(?)) ORDER BY leaf')
          .all(JSON.stringify([...leaves])) as EventLocator[];
        for (const l of locs) {
          const e = readEvent(reader, l, bad);
          eventsRead++;
          if (e) events.push(e);
        }
      }
      runOne(check, events);
      await yieldNow();
    } else if (inPass.has(i)) {
      runOne(check, buckets.get(i)!);
      buckets.delete(i);
    } else if (selCount[i] === 0) {
      checksRun.push({ id: check.id, version: check.version });
    } else {
      // Its own pass: the combinations it wants, as SQL over the same columns.
      const wanted = combos.filter((c) => wants(check.select, c));
      const events: AnalysisEvent[] = [];
      const pid = pidIds[i];
      const locs = store.db
        .prepare(
          `SELECT leaf, event_id, time_ms, evidence_id, pos, len, enc FROM events WHERE ${comboSql()}${pid ? ' AND principal_id IN (SELECT value FROM json_each(?))' : ''} ORDER BY leaf`,
        )
        .all(...[comboParam(wanted), ...(pid ? [JSON.stringify([...pid])] : [])]) as EventLocator[];
      for (const l of locs) {
        const e = readEvent(reader, l, bad);
        eventsRead++;
        if (e) events.push(e);
      }
      runOne(check, events);
      await yieldNow();
    }
    progress('checks', ++done, checks.length, 'checks', check.id);
  }

  // ---- 4. Sigma findings
  const sigmaRun = rules.map((r) => ({ id: r.id, title: r.title }));
  // Correlation findings cite events read back by leaf.
  const load = (leaves: number[]) => locatorsByLeaves(store, leaves).flatMap((l) => readEvent(reader, l, bad) ?? []);
  findings.push(...sigmaHits.findings(load, warn));

  // ---- 5. extra units (registered by a higher layer)
  const extraRun: AnalysisResult['extraRun'] = [];
  for (const u of opts.extra ?? []) {
    checkAbort();
    const ran: AnalysisResult['extraRun'][number] = { id: u.id, version: u.version };
    extraRun.push(ran);
    try {
      const out = await u.run(opts.signal);
      findings.push(...out.findings);
      warnings.push(...out.warnings);
      if (out.record) ran.record = out.record;
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      warnings.push({ unit: `${u.id}@${u.version}`, eventId: null, message: (err as Error).message });
    }
  }

  return {
    findings: sortFindings(findings),
    checksRun,
    sigmaRun,
    sigmaUnsupported: sigma?.unsupported ?? [],
    sigmaFiles: sigma?.files ?? [],
    extraRun,
    seconds: (performance.now() - t0) / 1000,
    warnings,
    treeSize,
    eventsRead,
    passes: treeSize ? eventsRead / treeSize : 0,
    units: [...analysisUnits(checks, rules), ...extraRun.map((u) => ({ id: u.id, version: u.version }))],
  };
}
