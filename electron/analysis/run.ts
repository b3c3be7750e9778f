// Running every built-in check and every Sigma rule on a case (docs/analysis.md):
// `analyseCase(store)` -> findings with eventIds, the units that ran and their
// versions, the Sigma rules that cannot run and why.
//
// Speed and memory (README.md, "Speed and size": under 5 full scans and memory flat in the case
// size, whatever the size):
//  1. One GROUP BY over the indexed columns gives every combination of
//     (eventName, eventSource, identity type, has errorCode) with its count and
//     record bytes. Each check's selector and each Sigma rule's SQL prefilter is
//     evaluated once per combination, so the runner knows which events each
//     unit wants without reading a record.
//  2. One pass over the events in time order (events without a time last, ties
//     by leaf), in pages by a keyset cursor (electron/case/data/analysis-scan.ts),
//     parses each wanted record once and hands it on at once, holding nothing:
//     - to the Sigma rules whose prefilter admits it; a hit is kept as 8 bytes
//       (its leaf and the index of its normalised fields among the distinct
//       ones), read back at the end, through a TEMP table SQLite sorts when a
//       rule matches many (sigma/hits.ts);
//     - to every streaming check (Check.stream: per-event checks and the
//       behaviour indicators), whose state is bounded by entities;
//     - to the event_refs index builder when asked;
//     - to the remaining checks (run() over all their events: aggregations)
//       whose selections fit the memory budget: their events are collected.
//  3. After the pass, each check too big for the budget reads its own
//     selection, one at a time, in time order, by SQL over the same columns.
// Where each check keeps its state: docs/analysis.md.
import type { AnalysisEvent, Finding } from '../../shared/analysis/findings.ts';
import { severityRank } from '../../shared/analysis/findings.ts';
import type { AnalysisWarning, UnitRef } from '../../shared/analysis/types.ts';
import type { Progress } from '../../shared/types.ts';
import { caseAccounts, hasUntimedEvents, columnCombos, eventTimes, principalIdStrings, scanPage, SCAN_START, selectionSize, stringsById, type ColumnCombo, type ScanCursor, type ScanFilter, type ScanRow } from '../case/data/analysis-scan.ts';
import { clearSpill, clearSpillKey, hitLocators, spilledIdsSorted, spilledInOrder, spillHits } from '../case/data/sigma-hits.ts';
import { withPageCache } from '../case/data/db.ts';
import { EvidenceReader } from '../case/evidence.ts';
import type { CaseStore } from '../case/store.ts';
import { allChecks, buildCheckContext, findingId, selectorPredicates, toFinding, TRAIL_CONTEXT_SELECTOR, type Check } from './checks/index.ts';
import { draftTimes } from './checks/define.ts';
import type { CheckContext, CheckStream, FindingDraft } from './checks/types.ts';
import { loadBundledSigmaRules, SigmaHits, type SigmaRuleFile, type UnsupportedSigmaRule } from './sigma/bundled.ts';
import { SIGMA_ENGINE_NAME, SIGMA_ENGINE_VERSION, type CompiledSigmaRule } from './sigma/engine.ts';
import { sigmaRuleVersion } from './sigma/finding.ts';
import { readEvent } from './records.ts';
import { RefsBuilder, refsState } from './refs.ts';
import { enrichmentByText } from './enrich/enrich.ts';

export const RUNNER_UNIT = { name: 'analysis-runner', version: '1.0.0' } as const;

export interface AnalyseOptions {
  /** Checks to run (default: every registered built-in check). */
  checks?: Check[];
  /** Sigma rules to run (default: the bundled SigmaHQ CloudTrail rules); null runs none. `files`: the examiner's rule files, recorded with the run. */
  sigma?: { rules: CompiledSigmaRule[]; unsupported: UnsupportedSigmaRule[]; files?: SigmaRuleFile[] } | null;
  /** Units run after the checks and rules, composed by a higher layer (the examiner's promoted query checks: docs/detections.md). */
  extra?: ExtraUnit[];
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** Build/refresh the event_refs index in the same pass (needs a writable case); the actor is logged in custody. */
  buildRefs?: { actor: string };
  /** At most this many events are held for the checks that need all their events at once (run() without stream) during the shared pass (default 150,000); bigger selections get their own pass. */
  memoryBudgetEvents?: number;
  /** The same budget in record bytes (JSON text; parsed records take a few times that): default 24 MB. */
  memoryBudgetBytes?: number;
  /** A Sigma rule with more matches than this builds its finding through a table SQLite sorts (sigma/hits.ts; tests lower it). */
  sigmaSpillAt?: number;
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
 * role session), so holding whole records would hold the case in memory. The
 * normalised fields the finding reads (who, from where, which call) are shared
 * between hits with the same values, so a hit costs its id and a few pointers.
 * test/analysis/run.test.ts checks the findings equal those built from full events.
 */
const comboKey = (name: number | null, source: number | null, type: number | null, err: boolean) => `${name ?? ''}|${source ?? ''}|${type ?? ''}|${err ? 1 : 0}`;


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

/** Context events (trail definitions) up to this many record bytes are kept from the first read for the pass; beyond, read again. */
const CONTEXT_CACHE_BYTES = 8 * 1024 * 1024;

export function analyseCase(store: CaseStore, opts: AnalyseOptions = {}): Promise<AnalysisResult> {
  // One pass in time order re-reads few pages, and the spilled Sigma findings' sorts are sized by the cache:
  // a 16 MB page cache for the run (case/data/db.ts, withPageCache).
  return withPageCache(store.reader, () => analyse(store, opts));
}

async function analyse(store: CaseStore, opts: AnalyseOptions): Promise<AnalysisResult> {
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
  const combos = columnCombos(store);
  const treeSize = combos.reduce((a, c) => a + c.n, 0);
  const ids = new Set<number>();
  for (const c of combos) for (const v of [c.name, c.source, c.identity_type]) if (v !== null) ids.add(v);
  const text = stringsById(store, ids);
  const t = (id: number | null) => (id === null ? null : text.get(id) ?? null);

  const wants = (sel: Check['select'], c: ColumnCombo): boolean => {
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
  const ruleWants = (r: CompiledSigmaRule, c: ColumnCombo): boolean => {
    if (!r.prefilter) return true;
    const name = t(c.name)?.toLowerCase() ?? null;
    const source = t(c.source)?.toLowerCase() ?? null;
    if (r.prefilter.eventNames && (name === null || !r.prefilter.eventNames.some((n) => n.toLowerCase() === name))) return false;
    if (r.prefilter.eventSources && (source === null || !r.prefilter.eventSources.some((s) => s.toLowerCase() === source))) return false;
    return true;
  };

  // Selection sizes decide which checks that need all their events at once ride along the pass.
  // A principalId condition is not a GROUP BY column: its matching strings become principal_id ids.
  const pidPred = checks.map((ch) => selectorPredicates(ch.select).principalId);
  let principalIds: { id: number; s: string }[] | null = null;
  const pidIds = pidPred.map((p) => {
    if (!p) return null;
    principalIds ??= principalIdStrings(store);
    return new Set(principalIds.filter((r) => p(r.s)).map((r) => r.id));
  });
  const comboParam = (wanted: ColumnCombo[]) => JSON.stringify(wanted.map((c) => [c.name ?? -1, c.source ?? -1, c.identity_type ?? -1, c.err ? 1 : 0]));
  const filterOf = (sel: Check['select'], pid: Set<number> | null): ScanFilter => ({
    combos: comboParam(combos.filter((c) => wants(sel, c))),
    principalIds: pid ? JSON.stringify([...pid]) : null,
  });
  const size = checks.map((ch, i) => {
    const wanted = combos.filter((c) => wants(ch.select, c));
    if (!pidIds[i]) return { n: wanted.reduce((a, c) => a + c.n, 0), bytes: wanted.reduce((a, c) => a + c.bytes, 0) };
    if (!wanted.length || !pidIds[i]!.size) return { n: 0, bytes: 0 };
    return selectionSize(store, { combos: comboParam(wanted), principalIds: JSON.stringify([...pidIds[i]!]) });
  });

  // Decoded evidence objects are cached; in time order the objects in use at once are those whose
  // times overlap (a few per region and account), so a modest cache decodes each about once.
  const reader = new EvidenceReader(store, 32 * 1024 * 1024);
  const bad = (eventId: string, message: string) => warnings.push({ unit: RUNNER_UNIT.name, eventId, message });
  let eventsRead = 0;
  /** The events of a selection in time order, read and parsed one page at a time. */
  function* selected(f: ScanFilter): Generator<AnalysisEvent> {
    let cur: ScanCursor = SCAN_START;
    for (;;) {
      checkAbort();
      const { rows, next } = scanPage(store, cur, 2000, f);
      if (!rows.length) return;
      for (const row of rows) {
        const e = readEvent(reader, row, bad);
        eventsRead++;
        if (e) yield e;
      }
      cur = next;
    }
  }

  // ---- 2. the context (before the pass: streaming checks judge events as they go by)
  const accounts = caseAccounts(store);
  // Address answers: those recorded in the case (enrichCase), never looked up here, so a run
  // is reproducible from the case; without any, the address indicators report nothing.
  const recorded = checks.some((c) => c.enrichment) ? enrichmentByText(store) : new Map();
  const trailFilter = filterOf(TRAIL_CONTEXT_SELECTOR, null);
  const trailBytes = combos.filter((c) => wants(TRAIL_CONTEXT_SELECTOR, c)).reduce((a, c) => a + c.bytes, 0);
  // Few in practice: kept for the pass so they are parsed once; a case with very many is read twice rather than held.
  const contextCache = new Map<number, AnalysisEvent>();
  const trailEvents = trailBytes <= CONTEXT_CACHE_BYTES
    ? (() => { for (const e of selected(trailFilter)) contextCache.set(e.leaf, e); return contextCache.values(); })()
    : selected(trailFilter);
  const ctx: CheckContext = buildCheckContext(trailEvents, {
    scope: store.scope(),
    extraAccounts: accounts,
    warn: (eventId, checkId, message) => warnings.push({ unit: checkId, eventId, message }),
    ipInfo: recorded.size ? (ip: string) => recorded.get(ip) : null,
    everyEventTimed: !hasUntimedEvents(store),
  });

  // ---- 3. how each check is fed
  type Plan = 'none' | 'stream' | 'pass' | 'own';
  const plan: Plan[] = checks.map((ch, i) => {
    if (size[i].n === 0 || (ch.enrichment && !ctx.ipInfo)) return 'none';
    return ch.stream ? 'stream' : 'own';
  });
  const budget = opts.memoryBudgetEvents ?? 150_000;
  const budgetBytes = opts.memoryBudgetBytes ?? 24 * 1024 * 1024;
  let held = 0;
  let heldBytes = 0;
  for (const i of checks.map((_, i) => i).filter((i) => plan[i] === 'own').sort((a, b) => size[a].n - size[b].n)) {
    if (held + size[i].n > budget || heldBytes + size[i].bytes > budgetBytes) break;
    held += size[i].n;
    heldBytes += size[i].bytes;
    plan[i] = 'pass';
  }
  const streams = new Map<number, CheckStream>();
  const failedChecks = new Map<number, Error>();
  const fail = (i: number, err: unknown) => {
    failedChecks.set(i, err instanceof Error ? err : new Error(String(err)));
    streams.delete(i);
  };
  const buckets = new Map<number, AnalysisEvent[]>();
  checks.forEach((ch, i) => {
    try {
      if (plan[i] === 'stream') streams.set(i, ch.stream!(ctx));
      else if (plan[i] === 'pass') buckets.set(i, []);
    } catch (err) {
      fail(i, err);
    }
  });
  const route = new Map<string, { checks: number[]; rules: number[] }>();
  for (const c of combos) {
    const r = { checks: [] as number[], rules: [] as number[] };
    checks.forEach((ch, i) => {
      if ((plan[i] === 'stream' || plan[i] === 'pass') && wants(ch.select, c)) r.checks.push(i);
    });
    rules.forEach((rule, i) => {
      if (ruleWants(rule, c)) r.rules.push(i);
    });
    route.set(comboKey(c.name, c.source, c.identity_type, !!c.err), r);
  }

  // ---- 4. the shared pass, in time order
  let refs: RefsBuilder | null = null;
  if (opts.buildRefs && !store.readonly) {
    const st = refsState(store);
    if (st.available && !st.upToDate) refs = new RefsBuilder(store, opts.buildRefs.actor, st);
  }
  // A rule's matches past spillAt go to a TEMP table of this connection during the pass (sigma/hits.ts).
  const db = store.reader;
  clearSpill(db);
  const sigmaHits = new SigmaHits(rules, {
    ...(opts.sigmaSpillAt === undefined ? {} : { spillAt: opts.sigmaSpillAt }),
    spill: {
      append: (key, leaves, tags, n) => spillHits(db, key, leaves, tags, n),
      inOrder: (key) => spilledInOrder(db, key),
      sortedIds: (key) => spilledIdsSorted(db, key),
      clear: (key) => clearSpillKey(db, key),
    },
  });
  const warn = (unit: string, eventId: string | null, message: string) => warnings.push({ unit, eventId, message });
  let maxLeaf = -1;
  let scanned = 0;
  let cur: ScanCursor = SCAN_START;
  progress('scan', 0, treeSize);
  for (;;) {
    checkAbort();
    const { rows, next } = scanPage(store, cur, 2000);
    if (!rows.length) break;
    for (const row of rows as ScanRow[]) {
      if (row.leaf > maxLeaf) maxLeaf = row.leaf;
      const r = route.get(comboKey(row.name, row.source, row.identity_type, row.error_code !== null));
      const needRefs = refs !== null && refs.wants(row.leaf);
      if (!needRefs && (!r || (r.checks.length === 0 && r.rules.length === 0))) continue;
      let e = contextCache.get(row.leaf) ?? null;
      if (e) contextCache.delete(row.leaf);
      else {
        e = readEvent(reader, row, bad);
        eventsRead++;
      }
      if (!e) continue;
      if (needRefs) refs!.add(e);
      if (!r) continue;
      for (const i of r.rules) sigmaHits.feed(i, e, warn);
      for (const i of r.checks) {
        const pid = pidPred[i];
        if (pid && !(e.n.principalId !== null && pid(e.n.principalId))) continue;
        const s = streams.get(i);
        if (s) {
          try {
            s.add(e);
          } catch (err) {
            fail(i, err);
          }
        } else buckets.get(i)?.push(e);
      }
    }
    cur = next;
    scanned += rows.length;
    refs?.flush();
    progress('scan', scanned, treeSize);
    await yieldNow();
  }
  if (refs) refs.finish(maxLeaf);
  contextCache.clear();

  // ---- 5. findings of the checks, in registry order
  const findings: Finding[] = [];
  const checksRun: UnitRef[] = [];
  const failure = (check: Check, n: number, err: Error) =>
    warnings.push({ unit: `${check.id}@${check.version}`, eventId: null, message: `check failed on ${n} events: ${err.message}` });
  // Drafts carry their events' times (define.ts); a check built otherwise has them looked up.
  const complete = (check: Check, drafts: FindingDraft[]) => {
    const missing = drafts.filter((d) => !draftTimes.has(d)).flatMap((d) => d.eventIds);
    const looked = missing.length ? eventTimes(store, missing) : new Map<string, number | null>();
    return drafts.map((d) => {
      const times = draftTimes.get(d) ?? looked;
      return toFinding(check, d, findingId, (id) => times.get(id) ?? null);
    });
  };
  const runOne = (check: Check, events: AnalysisEvent[]) => {
    const times = new Map(events.map((e) => [e.eventId, e.timeMs]));
    try {
      for (const d of check.run(events, ctx)) findings.push(toFinding(check, d, findingId, (id) => times.get(id) ?? null));
    } catch (err) {
      failure(check, events.length, err as Error);
    }
  };
  let done = 0;
  for (let i = 0; i < checks.length; i++) {
    checkAbort();
    const check = checks[i];
    checksRun.push({ id: check.id, version: check.version });
    const failed = failedChecks.get(i);
    if (failed) failure(check, size[i].n, failed);
    else if (plan[i] === 'stream') {
      try {
        findings.push(...complete(check, streams.get(i)!.finish()));
      } catch (err) {
        failure(check, size[i].n, err as Error);
      }
      streams.delete(i);
    } else if (plan[i] === 'pass') {
      runOne(check, buckets.get(i)!);
      buckets.delete(i);
    } else if (plan[i] === 'own') {
      // Its own pass: the combinations it wants, as SQL over the same columns, in time order.
      runOne(check, [...selected(filterOf(check.select, pidIds[i]))]);
      await yieldNow();
    }
    progress('checks', ++done, checks.length, 'checks', check.id);
  }

  // ---- 6. Sigma findings
  const sigmaRun = rules.map((r) => ({ id: r.id, title: r.title }));
  // Findings' events are read back by leaf (eventID and time; the fields were kept at the match).
  // (Their sorts run within the run's 16 MB page cache: analyseCase.)
  findings.push(...sigmaHits.findings({ locate: (leaves) => hitLocators(db, leaves).map((r) => ({ leaf: r.leaf, eventId: r.event_id, timeMs: r.time_ms })) }, warn));
  clearSpill(db);

  // ---- 7. extra units (registered by a higher layer)
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
