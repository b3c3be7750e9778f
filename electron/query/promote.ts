// Saved queries promoted to checks (docs/queries.md, item 6). A promotion freezes the
// query text with a definition (id, title, severity, ATT&CK ids, explanation,
// remediation) in the case (schema 9, kind 'query-check'), custody-logged. The
// check then runs with the built-in checks (analysis run, `trailcase check`,
// the report) as an extra unit of the runner: its query runs read-only over
// the derived form (built or brought up to date first), as a custody-logged
// query.run, and every event the result names (its eventID column) is cited
// by one finding whose evidence carries the query text, its SHA-256 and the
// result hash, so a receiver can re-run it and compare.
import { createHash } from 'node:crypto';
import type { Category, Finding, Severity } from '../../shared/analysis/findings.ts';
import { FINDING_EVENT_LIST_LIMIT, SEVERITIES } from '../../shared/analysis/findings.ts';
import type { AnalysisWarning } from '../../shared/analysis/types.ts';
import { compileSearch, SearchSyntaxError } from '../../shared/query/search.ts';
import { isoUtc } from '../../shared/time.ts';
import type { AnalyseOptions, ExtraUnit } from '../analysis/run.ts';
import { bundledSigma } from '../analysis/run.ts';
import { sigmaFindingId } from '../analysis/sigma/bundled.ts';
import { withCaseSigmaRules } from '../analysis/sigma/user.ts';
import { currentDetections, eventTimesByIds, hasDetections, insertDetection } from '../case/data/detections.ts';
import type { CaseStore } from '../case/store.ts';
import { UserError } from '../errors.ts';
import { runQuery } from './engine.ts';
import { getSavedQuery } from './saved.ts';

export const PROMOTED_PREFIX = 'query:';
/** At most this many events are cited by one promoted check's finding; more are counted and reported. */
export const PROMOTED_MAX_EVENTS = 100_000;

const CATEGORIES: Category[] = ['persistence', 'privilege-escalation', 'defense-evasion', 'exfiltration', 'collection', 'initial-access', 'credential-access', 'discovery', 'execution', 'lateral-movement', 'impact'];

export interface PromoteInput {
  savedQuery: string;
  id: string;
  title: string;
  severity: Severity;
  attack: string[];
  category?: Category;
  explanation: string;
  remediation: string[];
}

export interface PromotedCheck extends Required<Omit<PromoteInput, 'category'>> {
  category: Category;
  /** query:<id>, the finding's checkId. */
  checkId: string;
  /** First 12 hex digits of the SHA-256 of the definition: a change makes earlier runs stale. */
  version: string;
  mode: 'sql' | 'search';
  text: string;
  textSha256: string;
  at: string;
  actor: string;
  custodySeq: number;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

function checkInput(a: PromoteInput): void {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(a.id)) throw new UserError(`check id ${JSON.stringify(a.id.slice(0, 80))}: use 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit`);
  if (!a.title.trim()) throw new UserError('a promoted check needs a title');
  if (!SEVERITIES.includes(a.severity)) throw new UserError(`severity must be one of ${SEVERITIES.join(', ')}`);
  for (const t of a.attack) if (!/^T\d{4}(\.\d{3})?$/.test(t)) throw new UserError(`ATT&CK id ${JSON.stringify(t.slice(0, 40))} is not a technique id such as T1530 or T1098.001`);
  if (a.category && !CATEGORIES.includes(a.category)) throw new UserError(`category must be one of ${CATEGORIES.join(', ')}`);
  if (!a.explanation.trim()) throw new UserError('a promoted check needs an explanation (what its events show)');
}

/** Promote a saved query to a check: its text frozen with the definition, custody-logged (detection.promoted). */
export function promoteQuery(store: CaseStore, actor: string, a: PromoteInput): { seq: number; check: PromotedCheck } {
  if (store.readonly) throw new UserError('the case is open read-only: a promotion is custody-logged');
  if (!hasDetections(store)) throw new UserError('the case predates examiner detections (schema 9); open it for writing once to upgrade it');
  checkInput(a);
  const q = getSavedQuery(store, a.savedQuery);
  if (q.mode === 'search') {
    try {
      compileSearch(q.text);
    } catch (e) {
      if (e instanceof SearchSyntaxError) throw new UserError(`saved query ${a.savedQuery}: ${e.message}`);
      throw e;
    }
  }
  const def = {
    savedQuery: q.name,
    id: a.id,
    title: a.title.trim(),
    severity: a.severity,
    attack: [...new Set(a.attack)],
    category: a.category ?? 'execution',
    explanation: a.explanation.trim(),
    remediation: a.remediation.map((r) => r.trim()).filter(Boolean),
    mode: q.mode,
    text: q.text,
    textSha256: sha256(q.text),
  };
  const version = sha256(JSON.stringify(def)).slice(0, 12);
  return store.transaction(() => {
    const at = new Date().toISOString();
    const seq = store.appendCustody(actor, 'detection.promoted', { checkId: PROMOTED_PREFIX + def.id, version, ...def });
    insertDetection(store, { kind: 'query-check', key: def.id, body: JSON.stringify({ ...def, version }), sha256: def.textSha256, op: 'add', at, actor, custodySeq: seq });
    return { seq, check: { ...def, checkId: PROMOTED_PREFIX + def.id, version, at, actor, custodySeq: seq } };
  });
}

/** Withdraw a promoted check (custody-logged); its past findings stay in the runs that produced them. */
export function removePromoted(store: CaseStore, actor: string, id: string): { seq: number } {
  if (store.readonly) throw new UserError('the case is open read-only: removing a promoted check is custody-logged');
  const cur = listPromoted(store).find((c) => c.id === id);
  if (!cur) throw new UserError(`no promoted check ${JSON.stringify(id.slice(0, 80))}`);
  return store.transaction(() => {
    const seq = store.appendCustody(actor, 'detection.removed', { checkId: cur.checkId, version: cur.version });
    insertDetection(store, { kind: 'query-check', key: id, body: '', sha256: cur.textSha256, op: 'remove', at: new Date().toISOString(), actor, custodySeq: seq });
    return { seq };
  });
}

export function listPromoted(store: CaseStore): PromotedCheck[] {
  return currentDetections(store, 'query-check').map((r) => {
    const d = JSON.parse(r.body);
    return { ...d, checkId: PROMOTED_PREFIX + d.id, at: r.at, actor: r.actor, custodySeq: r.custody_seq } as PromotedCheck;
  });
}

/** The runner unit of one promoted check. */
export function promotedUnit(store: CaseStore, actor: string, c: PromotedCheck): ExtraUnit {
  return {
    id: c.checkId,
    version: c.version,
    async run(signal) {
      const warnings: AnalysisWarning[] = [];
      const unit = `${c.checkId}@${c.version}`;
      if (store.readonly) {
        warnings.push({ unit, eventId: null, message: 'not run: the case is open read-only, and a promoted check runs a custody-logged query' });
        return { findings: [], warnings };
      }
      let compiled: { sql: string; params: (string | number)[] } | undefined;
      if (c.mode === 'search') compiled = compileSearch(c.text);
      let col = -1;
      let extra = 0;
      const ids = new Set<string>();
      const r = await runQuery(store, {
        text: c.text,
        sql: compiled?.sql,
        params: compiled?.params,
        source: c.mode,
        actor,
        signal,
        keepRows: 0,
        savedQuery: c.savedQuery,
        onColumns: (cols) => {
          col = cols.findIndex((x) => x.name.toLowerCase() === 'eventid');
        },
        onRows: (rows) => {
          if (col < 0) return;
          for (const row of rows) {
            const v = row[col];
            if (typeof v !== 'string') continue;
            if (ids.size < PROMOTED_MAX_EVENTS || ids.has(v)) ids.add(v);
            else extra++;
          }
        },
      });
      const record = { savedQuery: c.savedQuery, textSha256: c.textSha256, rows: r.rowCount, resultSha256: r.resultSha256, custodySeq: r.custodySeq };
      if (col < 0) {
        warnings.push({ unit, eventId: null, message: 'its query returns no eventID column, so its rows cannot be cited as events; add eventID to the SELECT list' });
        return { findings: [], warnings, record };
      }
      if (extra) warnings.push({ unit, eventId: null, message: `its query named more than ${PROMOTED_MAX_EVENTS} events; the finding cites the first ${PROMOTED_MAX_EVENTS} (${extra} more rows)` });
      if (!ids.size) return { findings: [], warnings, record };
      const events = eventTimesByIds(store, [...ids]);
      const byTime = [...events].sort((a, b) => (a.time_ms ?? Infinity) - (b.time_ms ?? Infinity) || a.leaf - b.leaf);
      const eventIds = byTime.map((e) => e.event_id);
      const times = events.map((e) => e.time_ms).filter((t): t is number => t !== null);
      const missing = ids.size - events.length;
      if (missing > 0) warnings.push({ unit, eventId: null, message: `${missing} eventID value(s) in its result are not events of the case and are not cited` });
      if (!eventIds.length) return { findings: [], warnings, record };
      const finding: Finding = {
        id: sigmaFindingId(c.checkId, eventIds),
        source: 'check',
        checkId: c.checkId,
        checkVersion: c.version,
        title: c.title,
        severity: c.severity,
        category: c.category,
        attack: c.attack,
        // At most FINDING_EVENT_LIST_LIMIT listed, the rest counted; the id covers all of them.
        eventIds: eventIds.slice(0, FINDING_EVENT_LIST_LIMIT),
        ...(eventIds.length > FINDING_EVENT_LIST_LIMIT ? { eventCount: eventIds.length } : {}),
        artefacts: [],
        explanation: [
          c.explanation,
          `Examiner check promoted from the saved query '${c.savedQuery}' (${c.mode}, text SHA-256 ${c.textSha256}); it returned ${r.rowCount} row${r.rowCount === 1 ? '' : 's'} naming ${eventIds.length} event${eventIds.length === 1 ? '' : 's'} (result SHA-256 ${r.resultSha256}, custody entry ${r.custodySeq}, ${r.engine}, ${r.checkpoint.treeSize} events).`,
        ].join('\n'),
        remediation: c.remediation,
        firstSeen: times.length ? isoUtc(times.reduce((a, b) => Math.min(a, b))) : null,
        lastSeen: times.length ? isoUtc(times.reduce((a, b) => Math.max(a, b))) : null,
        evidence: {
          savedQuery: c.savedQuery,
          mode: c.mode,
          text: c.text,
          textSha256: c.textSha256,
          sql: r.sql,
          engine: r.engine,
          checkpoint: r.checkpoint,
          rows: r.rowCount,
          resultSha256: r.resultSha256,
          custodySeq: r.custodySeq,
        },
      };
      return { findings: [finding], warnings, record };
    },
  };
}

/**
 * What a full analysis run uses besides the built-in checks: the bundled and
 * the case's own Sigma rules, and the promoted checks as extra units. The api
 * layer and the report pass it to analyseCase (analysis may not import query).
 */
export function detectionOptions(store: CaseStore, actor: string): Pick<AnalyseOptions, 'sigma' | 'extra'> {
  return {
    sigma: withCaseSigmaRules(bundledSigma(), store),
    extra: listPromoted(store).map((c) => promotedUnit(store, actor, c)),
  };
}
