// Sigma rule engine for `logsource: product: aws, service: cloudtrail`
// (issue "Analysis", Sigma section). Pure TypeScript: no node:* imports, so the
// same code can run in a worker or the renderer. Rules are compiled once into
// closures (regexes and lower-cased values precomputed) and then matched
// against verbatim CloudTrail records one event at a time.
//
// Correlations over several events (`timeframe` with `| count()`, `near`, and
// the correlation-rule types event_count, value_count, temporal) compile to a
// SigmaCorrelation run by correlation.ts; a correlation rule and the rules it
// names may sit in one multi-document file or in several files of one folder
// (compileSigmaCollection).
//
// Not supported, each reported with a reason instead of being skipped silently:
// keyword (unnamed-field) selections, aggregations other than count, chained
// correlations, temporal_ordered, field-name aliases, placeholder (`expand`)
// values, and rules whose logsource is not aws/cloudtrail.
//
// Rule files may come from the examiner (`trailcase check --rules DIR`), so the
// YAML is read defensively: a size limit, no tags (`!foo`, `!!binary`: a rule
// never needs them), few aliases, duplicate keys refused.
import { LineCounter, parseAllDocuments, visit, isNode } from 'yaml';
import { SEVERITIES, type Severity } from '../../../shared/analysis/findings.ts';
import { parseCondition, type CondNode } from './condition.ts';
import { compileFieldEntry, SigmaCompileError, type FieldMatcher } from './values.ts';
import { CorrelationState, parseCorrelationCondition, parseTimespan, type CorrelationType, type SigmaCorrelation } from './correlation.ts';

export const SIGMA_ENGINE_NAME = 'trailcase-sigma';
/** Bump when matching semantics change: findings record it via the rule version. */
export const SIGMA_ENGINE_VERSION = '1.1.0';

/** Limits on a rule file (hostile input: examiners add rule files from anywhere). */
export const SIGMA_LIMITS = { fileBytes: 512 * 1024, documents: 100, aliases: 50 } as const;

export interface SigmaPrefilter {
  eventSources?: string[];
  eventNames?: string[];
}

type Evaluator = (rec: Record<string, any>) => boolean;
interface Internal {
  evaluate: Evaluator;
  /** eventName values as written and lower-cased; null = no constraint */
  names: Set<string> | null;
  /** Correlation rules: a fresh state for one run (correlation.ts). */
  correlate?: () => CorrelationState;
}
const INTERNAL: unique symbol = Symbol('sigma-internal');

export interface CompiledSigmaRule {
  id: string;
  title: string;
  level: Severity;
  status: string;
  /** MITRE ATT&CK technique ids from `attack.tXXXX[.YYY]` tags, upper-cased (T1562.008). */
  tags: string[];
  /** ATT&CK tactics from `attack.<tactic>` tags, in rule order, normalised to kebab-case. */
  tactics: string[];
  /** All tags as written in the rule. */
  rawTags: string[];
  author: string;
  references: string[];
  description: string;
  falsepositives: string[];
  date: string | null;
  modified: string | null;
  /** Path of the rule file (SigmaHQ repository-relative for bundled rules), or null. */
  file: string | null;
  /** The condition text(s) as written. */
  condition: string;
  /**
   * SQL pre-filter: when non-null, every way the condition can be true requires
   * eventName (resp. eventSource) to equal one of these values, compared
   * case-insensitively (Sigma plain values are case-insensitive: use
   * COLLATE NOCASE). Absent key = no constraint on that column.
   */
  prefilter: SigmaPrefilter | null;
  /** Non-fatal remarks (e.g. "no level given; medium assumed"). */
  warnings: string[];
  /** The rule's `name` (what correlation rules refer to), or null. */
  name: string | null;
  /** Set when the rule correlates several events; such a rule is run by a CorrelationState, not matchSigma. */
  correlation: SigmaCorrelation | null;
  /** Where the rule comes from: the bundled SigmaHQ set or the examiner's own files. */
  origin: 'sigmahq' | 'user';
  /** SHA-256 of the rule file as read (set by the loaders; recorded in the run and the report). */
  fileSha256?: string;
  /** Compiled matcher; symbol-keyed so the rule stays JSON/IPC-serialisable. */
  readonly [INTERNAL]: Internal;
}

export type CompileResult = { ok: true; rule: CompiledSigmaRule } | { ok: false; id?: string; title?: string; reason: string };

const RESERVED_DETECTION_KEYS = new Set(['condition', 'timeframe']);

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function strList(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map((x) => String(x));
  if (typeof v === 'string' && v !== '') return [v];
  return [];
}

function dateText(v: unknown): string | null {
  if (typeof v !== 'string' && !(v instanceof Date)) return null;
  const s = v instanceof Date ? v.toISOString().slice(0, 10) : v.trim();
  // Older SigmaHQ rules write 2020/02/11; normalise to ISO dates.
  return /^\d{4}[/-]\d{2}[/-]\d{2}$/.test(s) ? s.replace(/\//g, '-') : s || null;
}

/** Per-field constraint: a map from lower-cased value to the value as written; null = unconstrained. */
type Constraint = Map<string, string> | null;

function intersect(a: Constraint, b: Constraint): Constraint {
  if (a === null) return b;
  if (b === null) return a;
  const out = new Map<string, string>();
  for (const [k, v] of a) if (b.has(k)) out.set(k, v);
  return out;
}

function union(a: Constraint, b: Constraint): Constraint {
  if (a === null || b === null) return null;
  const out = new Map(a);
  for (const [k, v] of b) if (!out.has(k)) out.set(k, v);
  return out;
}

/**
 * What one `field|mods: values` entry requires of `field`: only plain values
 * (no modifiers other than `all`/`cased`, no wildcards, no null) constrain it.
 */
function entryConstraint(key: string, raw: unknown, field: string): Constraint {
  const [name, ...mods] = key.split('|');
  if (name !== field) return null;
  if (mods.some((m) => m !== 'all' && m !== 'cased')) return null;
  const values = Array.isArray(raw) ? raw : [raw];
  const m = new Map<string, string>();
  for (const v of values) {
    if (v === null || typeof v === 'object') return null;
    const s = String(v);
    if (typeof v === 'string' && /[*?\\]/.test(s)) return null;
    m.set(s.toLowerCase(), s);
  }
  // `all` over different values can never hold for one string field.
  if (mods.includes('all') && m.size > 1) return new Map();
  return m;
}

function selectionConstraint(sel: unknown, field: string): Constraint {
  const maps = Array.isArray(sel) ? sel : [sel];
  let out: Constraint = new Map();
  for (const m of maps) {
    let c: Constraint = null;
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) c = intersect(c, entryConstraint(k, v, field));
    out = union(out, c);
    if (out === null) return null;
  }
  return out;
}

function condConstraint(node: CondNode, sel: Map<string, Constraint>): Constraint {
  switch (node.t) {
    case 'sel':
      return sel.get(node.name) ?? null;
    case 'and':
      return node.kids.reduce<Constraint>((acc, k) => intersect(acc, condConstraint(k, sel)), null);
    case 'or':
      return node.kids.reduce<Constraint>((acc, k, i) => (i === 0 ? condConstraint(k, sel) : union(acc, condConstraint(k, sel))), null);
    case 'not':
      return null; // a negation admits any value of the field
  }
}

function compileSelection(name: string, sel: unknown): FieldMatcher {
  const where = `selection '${name}'`;
  if (Array.isArray(sel)) {
    if (sel.length === 0) throw new SigmaCompileError(`${where} is an empty list`);
    if (!sel.every(isMap)) {
      if (sel.every((x) => !isMap(x) && !Array.isArray(x))) throw new SigmaCompileError(`${where} is a keyword (unnamed-field) search, which is not supported`);
      throw new SigmaCompileError(`${where} mixes maps and keywords`);
    }
    const alts = sel.map((m, i) => compileMap(`${where} item ${i + 1}`, m as Record<string, unknown>));
    return (rec) => {
      for (let k = 0; k < alts.length; k++) if (alts[k](rec)) return true;
      return false;
    };
  }
  if (isMap(sel)) return compileMap(where, sel);
  throw new SigmaCompileError(`${where} is ${sel === null ? 'empty' : typeof sel}, expected a map or a list of maps`);
}

function compileMap(where: string, m: Record<string, unknown>): FieldMatcher {
  const entries = Object.entries(m);
  if (entries.length === 0) throw new SigmaCompileError(`${where} is an empty map`);
  const fields = entries.map(([k, v]) => {
    try {
      return compileFieldEntry(k, v);
    } catch (e) {
      if (e instanceof SigmaCompileError) throw new SigmaCompileError(`${where}: ${e.message}`);
      throw e;
    }
  });
  if (fields.length === 1) return fields[0];
  return (rec) => {
    for (let k = 0; k < fields.length; k++) if (!fields[k](rec)) return false;
    return true;
  };
}

function compileCond(node: CondNode, sels: Map<string, FieldMatcher>): Evaluator {
  switch (node.t) {
    case 'sel':
      return sels.get(node.name)!;
    case 'not': {
      const kid = compileCond(node.kid, sels);
      return (rec) => !kid(rec);
    }
    case 'and': {
      const kids = node.kids.map((k) => compileCond(k, sels));
      return (rec) => {
        for (let i = 0; i < kids.length; i++) if (!kids[i](rec)) return false;
        return true;
      };
    }
    case 'or': {
      const kids = node.kids.map((k) => compileCond(k, sels));
      return (rec) => {
        for (let i = 0; i < kids.length; i++) if (kids[i](rec)) return true;
        return false;
      };
    }
  }
}

export interface CompileOptions {
  origin?: 'sigmahq' | 'user';
}

/**
 * Parse rule-file text into plain documents, defensively: a size limit, at most
 * SIGMA_LIMITS.documents documents, no YAML tags, few aliases, unique keys.
 */
export function parseSigmaYaml(yamlText: string): { ok: true; docs: unknown[] } | { ok: false; reason: string } {
  if (yamlText.length > SIGMA_LIMITS.fileBytes) return { ok: false, reason: `larger than ${SIGMA_LIMITS.fileBytes} bytes; a Sigma rule file is a few kilobytes` };
  try {
    const lines = new LineCounter();
    const docs = parseAllDocuments(yamlText, { lineCounter: lines, uniqueKeys: true });
    if (!Array.isArray(docs)) return { ok: false, reason: 'not a YAML document stream' };
    if (docs.length === 0) return { ok: false, reason: 'empty file' };
    if (docs.length > SIGMA_LIMITS.documents) return { ok: false, reason: `${docs.length} YAML documents; at most ${SIGMA_LIMITS.documents} per file` };
    const errs = docs.flatMap((d) => d.errors);
    if (errs.length) return { ok: false, reason: `YAML error: ${errs[0].message.split('\n')[0]}` };
    for (const d of docs) {
      let tag: { tag: string; at: number } | null = null;
      visit(d, (_k, node) => {
        if (isNode(node) && node.tag) {
          tag = { tag: node.tag, at: node.range?.[0] ?? 0 };
          return visit.BREAK;
        }
      });
      if (tag) {
        const { tag: t, at } = tag as { tag: string; at: number };
        const pos = lines.linePos(at);
        return { ok: false, reason: `YAML tag '${t.slice(0, 80)}' at line ${pos.line}, column ${pos.col}: tags are not allowed in rule files` };
      }
    }
    return { ok: true, docs: docs.map((d) => d.toJS({ maxAliasCount: SIGMA_LIMITS.aliases })) };
  } catch (e) {
    return { ok: false, reason: `YAML error: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** Compile one Sigma rule (YAML text). Never throws: bad or unsupported rules come back with a reason. */
export function compileSigmaRule(yamlText: string, file?: string, opts: CompileOptions = {}): CompileResult {
  const where = file ? `${file}: ` : '';
  const p = parseSigmaYaml(yamlText);
  if (!p.ok) return { ok: false, reason: where + p.reason };
  if (p.docs.length > 1) return { ok: false, reason: `${where}${p.docs.length} YAML documents (Sigma rule collection); load it with compileSigmaCollection` };
  const doc = p.docs[0];
  if (isMap(doc) && doc.correlation !== undefined) return { ok: false, reason: `${where}a correlation rule names other rules; load it together with them (a rule folder or a multi-document file)` };
  return compileSigmaDoc(doc, file, opts);
}

/** A rule's descriptive fields as CompiledSigmaRule carries them, with its `name` (what correlations refer to) and the warnings met reading them. */
type Meta = Pick<CompiledSigmaRule, 'id' | 'title' | 'level' | 'status' | 'tags' | 'tactics' | 'rawTags' | 'author' | 'references' | 'description' | 'falsepositives' | 'date' | 'modified'> & {
  name: string | null;
  warnings: string[];
};

/** The descriptive fields every rule (plain or correlation) has; a reason when they are unusable. */
function ruleMeta(doc: Record<string, unknown>): Meta | string {
  const id = typeof doc.id === 'string' && doc.id.trim() ? doc.id.trim() : undefined;
  const title = typeof doc.title === 'string' && doc.title.trim() ? doc.title.trim() : undefined;
  if (!title) return 'no title';
  if (!id) return 'no id (needed for a stable finding id)';
  const warnings: string[] = [];
  let level: Severity = 'medium';
  if (doc.level === undefined || doc.level === null) warnings.push('no level given; medium assumed');
  else if (SEVERITIES.includes(String(doc.level).toLowerCase() as Severity)) level = String(doc.level).toLowerCase() as Severity;
  else return `level '${String(doc.level).slice(0, 50)}' is not one of ${SEVERITIES.join(', ')}`;
  const rawTags = strList(doc.tags);
  const tags: string[] = [];
  const tactics: string[] = [];
  for (const t of rawTags) {
    const m = /^attack\.(t\d{4}(?:\.\d{3})?)$/i.exec(t.trim());
    if (m) {
      const tech = m[1].toUpperCase();
      if (!tags.includes(tech)) tags.push(tech);
      continue;
    }
    const tac = /^attack\.([a-z_-]+)$/i.exec(t.trim());
    if (tac && !/^(g|s)\d{4}$/i.test(tac[1])) {
      const name = tac[1].toLowerCase().replace(/_/g, '-');
      if (!tactics.includes(name)) tactics.push(name);
    }
  }
  return {
    id,
    title,
    level,
    status: typeof doc.status === 'string' ? doc.status : '',
    tags,
    tactics,
    rawTags,
    author: typeof doc.author === 'string' ? doc.author.trim() : strList(doc.author).join(', '),
    references: strList(doc.references),
    description: typeof doc.description === 'string' ? doc.description.trim() : '',
    falsepositives: strList(doc.falsepositives),
    date: dateText(doc.date),
    modified: dateText(doc.modified),
    name: typeof doc.name === 'string' && doc.name.trim() ? doc.name.trim() : null,
    warnings,
  };
}

function idOf(doc: unknown): { id?: string; title?: string } {
  if (!isMap(doc)) return {};
  const id = typeof doc.id === 'string' && doc.id.trim() ? doc.id.trim() : undefined;
  const title = typeof doc.title === 'string' && doc.title.trim() ? doc.title.trim() : undefined;
  return { ...(id ? { id } : {}), ...(title ? { title } : {}) };
}

function usedSelections(n: CondNode, out: string[] = []): string[] {
  if (n.t === 'sel') {
    if (!out.includes(n.name)) out.push(n.name);
  } else if (n.t === 'not') usedSelections(n.kid, out);
  else n.kids.forEach((k) => usedSelections(k, out));
  return out;
}

function hasNot(n: CondNode): boolean {
  return n.t === 'not' || (n.t !== 'sel' && n.kids.some(hasNot));
}

/** A condition tree over "which selections were seen in the window". */
function seenEvaluator(n: CondNode, index: Map<string, number>): (seen: boolean[]) => boolean {
  switch (n.t) {
    case 'sel': {
      const k = index.get(n.name)!;
      return (seen) => seen[k];
    }
    case 'and': {
      const kids = n.kids.map((x) => seenEvaluator(x, index));
      return (seen) => kids.every((f) => f(seen));
    }
    case 'or': {
      const kids = n.kids.map((x) => seenEvaluator(x, index));
      return (seen) => kids.some((f) => f(seen));
    }
    case 'not':
      throw new SigmaCompileError('a negation cannot be correlated');
  }
}

const COUNT_OPS: Record<string, keyof import('./correlation.ts').CorrelationCondition> = { '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte', '=': 'eq', '==': 'eq' };

interface Legacy {
  parts: CondNode[];
  partNames: string[];
  spec: SigmaCorrelation;
  fires?: (seen: boolean[]) => boolean;
}

/**
 * The in-rule correlation forms of Sigma 1 (SigmaHQ still ships CloudTrail rules
 * in them): `sel | count() [by f] OP N`, `sel | count(x) [by f] OP N`,
 * `a | near b [and c]`, and a condition over several selections with a
 * `timeframe` (each named selection seen within the timeframe). Null: not one.
 */
function legacyCorrelation(cond: string, timeframe: unknown, selNames: string[]): Legacy | null {
  const pipe = cond.indexOf('|');
  const timespanMs = timeframe === undefined ? null : parseTimespan(timeframe, 'timeframe');
  const timespan = timeframe === undefined ? null : String(timeframe).trim();
  const form = `condition '${cond.trim()}'${timespan ? `, timeframe ${timespan}` : ''}`;
  if (pipe < 0) {
    if (timeframe === undefined) return null;
    const tree = parseCondition(cond, selNames);
    const names = usedSelections(tree);
    if (names.length < 2) return null; // one selection: the timeframe changes nothing (a warning says so)
    if (hasNot(tree)) throw new SigmaCompileError(`condition '${cond.trim()}' negates a selection under a timeframe; only and/or of selections can be correlated`);
    const index = new Map(names.map((n, i) => [n, i]));
    return {
      parts: names.map((name) => ({ t: 'sel', name })),
      partNames: names,
      spec: { type: 'temporal', parts: names, groupBy: [], timespan, timespanMs, condition: null, field: null, form },
      fires: seenEvaluator(tree, index),
    };
  }
  const left = cond.slice(0, pipe);
  const right = cond.slice(pipe + 1).trim();
  if (right.includes('|')) throw new SigmaCompileError(`condition '${cond.trim()}' chains several aggregations; one is supported`);
  const base = parseCondition(left, selNames);
  const count = /^count\(\s*([A-Za-z0-9_.-]*)\s*\)(?:\s+by\s+([A-Za-z0-9_.-]+))?\s*(>=|<=|==|=|>|<)\s*(\d{1,9})$/i.exec(right);
  if (count) {
    const field = count[1] || null;
    const type: CorrelationType = field ? 'value_count' : 'event_count';
    return {
      parts: [base],
      partNames: [left.trim()],
      spec: { type, parts: [left.trim()], groupBy: count[2] ? [count[2]] : [], timespan, timespanMs, condition: { [COUNT_OPS[count[3]]]: Number(count[4]) }, field, form },
    };
  }
  const near = /^near\s+(.+)$/i.exec(right);
  if (near) {
    const other = parseCondition(near[1], selNames);
    if (hasNot(other) || other.t === 'or') throw new SigmaCompileError(`condition '${cond.trim()}': 'near' is supported with selections joined by 'and' only`);
    const more = other.t === 'and' ? other.kids : [other];
    const parts = [base, ...more];
    const partNames = [left.trim(), ...more.map((k) => usedSelections(k).join(' '))];
    return { parts, partNames, spec: { type: 'temporal', parts: partNames, groupBy: [], timespan, timespanMs, condition: null, field: null, form } };
  }
  throw new SigmaCompileError(`condition '${cond.trim()}' uses an aggregation ('| ${right.slice(0, 60)}') other than count() and near, which is not supported`);
}

/** Compile one plain rule from its parsed document. */
export function compileSigmaDoc(doc: unknown, file?: string, opts: CompileOptions = {}): CompileResult {
  const where = file ? `${file}: ` : '';
  if (!isMap(doc)) return { ok: false, reason: `${where}not a Sigma rule (top level is not a map)` };
  const named = idOf(doc);
  const fail = (reason: string): CompileResult => ({ ok: false, ...named, reason: where + reason });
  const meta = ruleMeta(doc);
  if (typeof meta === 'string' && (meta === 'no title' || meta.startsWith('no id'))) return fail(meta);
  const ls = doc.logsource;
  if (!isMap(ls)) return fail('no logsource');
  const product = String(ls.product ?? '').toLowerCase();
  const service = String(ls.service ?? '').toLowerCase();
  if (product !== 'aws' || service !== 'cloudtrail') return fail(`logsource is product '${String(ls.product ?? '').slice(0, 50)}', service '${String(ls.service ?? '').slice(0, 50)}'; only aws/cloudtrail is supported`);

  const det = doc.detection;
  if (!isMap(det)) return fail('no detection map');
  const condRaw = det.condition;
  const condTexts = typeof condRaw === 'string' ? [condRaw] : Array.isArray(condRaw) && condRaw.every((c) => typeof c === 'string') ? (condRaw as string[]) : null;
  if (!condTexts || condTexts.length === 0) return fail('detection has no condition');
  const selNames = Object.keys(det).filter((k) => !RESERVED_DETECTION_KEYS.has(k));
  if (selNames.length === 0) return fail('detection has no selections');

  let evaluate: Evaluator;
  let prefilter: SigmaPrefilter | null = null;
  let namesLower: Set<string> | null = null;
  let correlation: SigmaCorrelation | null = null;
  let correlate: (() => CorrelationState) | undefined;
  const extraWarnings: string[] = [];
  try {
    let legacy: Legacy | null = null;
    if (condTexts.length === 1) legacy = legacyCorrelation(condTexts[0], det.timeframe, selNames);
    else if (det.timeframe !== undefined || condTexts.some((c) => c.includes('|'))) throw new SigmaCompileError('a list of conditions cannot be combined with a timeframe or an aggregation');
    if (!legacy && det.timeframe !== undefined) {
      parseTimespan(det.timeframe, 'timeframe');
      extraWarnings.push(`timeframe '${String(det.timeframe).slice(0, 20)}' has no effect: the condition names one selection, so each matching event is a hit on its own`);
    }
    // Parse conditions first: an aggregation is a more useful reason than a selection detail.
    const trees = legacy ? legacy.parts : condTexts.map((c) => parseCondition(c, selNames));
    const sels = new Map<string, FieldMatcher>();
    for (const name of selNames) sels.set(name, compileSelection(name, det[name]));
    const partEvals = trees.map((t) => compileCond(t, sels));
    // A list of conditions is an OR of them (Sigma spec, deprecated form); a correlation's
    // events are those matching any of its parts.
    const tree: CondNode = trees.length === 1 ? trees[0] : { t: 'or', kids: trees };
    evaluate = compileCond(tree, sels);
    if (legacy) {
      const spec = legacy.spec;
      const fires = legacy.fires;
      correlation = spec;
      correlate = () => new CorrelationState(spec, partEvals, fires);
    }
    const used = new Set(usedSelections(tree));
    const pf: SigmaPrefilter = {};
    for (const [field, key] of [['eventName', 'eventNames'], ['eventSource', 'eventSources']] as const) {
      const per = new Map<string, Constraint>();
      for (const name of used) per.set(name, selectionConstraint(det[name], field));
      const c = condConstraint(tree, per);
      if (c !== null) {
        pf[key] = [...c.values()].sort();
        if (field === 'eventName') namesLower = new Set([...c.keys(), ...c.values()]);
      }
    }
    if (pf.eventNames || pf.eventSources) prefilter = pf;
  } catch (e) {
    if (e instanceof SigmaCompileError) return fail(e.message);
    return fail(`internal error while compiling: ${(e as Error).message}`);
  }
  if (typeof meta === 'string') return fail(meta);

  if (meta.status === 'unsupported') {
    // SigmaHQ files rules its converters cannot express (correlations) under 'unsupported'; those run here.
    if (!correlation) return fail("SigmaHQ marks this rule 'status: unsupported'");
    extraWarnings.push("SigmaHQ marks this rule 'status: unsupported' because its query converters cannot express the correlation; TrailCase runs it as a correlation");
  }
  if (meta.status === 'deprecated') return fail("SigmaHQ marks this rule 'status: deprecated'");

  const rule: CompiledSigmaRule = {
    ...meta,
    warnings: [...meta.warnings, ...extraWarnings],
    file: file ?? null,
    condition: condTexts.length === 1 ? condTexts[0] : condTexts.map((c) => `(${c})`).join(' or '),
    prefilter,
    correlation,
    origin: opts.origin ?? 'sigmahq',
    [INTERNAL]: { evaluate, names: namesLower, ...(correlate ? { correlate } : {}) },
  };
  return { ok: true, rule };
}

const CORRELATION_TYPES: CorrelationType[] = ['event_count', 'value_count', 'temporal'];

/** One file's text, as handed to compileSigmaCollection. */
export interface SigmaSource {
  file: string;
  text: string;
  sha256?: string;
}

export interface SigmaCollectionResult {
  rules: CompiledSigmaRule[];
  unsupported: { file: string; id?: string; title?: string; reason: string }[];
}

/**
 * Compile a set of rule files (a folder, or one multi-document file): plain
 * rules, and correlation rules (Sigma correlation specification v2) that refer
 * to plain rules of the set by `name` or `id`. A plain rule a correlation
 * refers to does not report on its own unless the correlation says
 * `generate: true`. Duplicate ids are reported, never run twice.
 */
export function compileSigmaCollection(sources: SigmaSource[], opts: CompileOptions = {}): SigmaCollectionResult {
  const rules: CompiledSigmaRule[] = [];
  const unsupported: SigmaCollectionResult['unsupported'] = [];
  const correlations: { file: string; doc: Record<string, unknown>; sha256?: string }[] = [];
  const strip = (file: string, reason: string) => (reason.startsWith(`${file}: `) ? reason.slice(file.length + 2) : reason);
  for (const src of sources) {
    const p = parseSigmaYaml(src.text);
    if (!p.ok) {
      unsupported.push({ file: src.file, reason: p.reason });
      continue;
    }
    for (const doc of p.docs) {
      if (isMap(doc) && doc.correlation !== undefined) {
        correlations.push({ file: src.file, doc, sha256: src.sha256 });
        continue;
      }
      const r = compileSigmaDoc(doc, src.file, opts);
      if (!r.ok) unsupported.push({ file: src.file, ...(r.id ? { id: r.id } : {}), ...(r.title ? { title: r.title } : {}), reason: strip(src.file, r.reason) });
      else rules.push(src.sha256 ? { ...r.rule, fileSha256: src.sha256 } : r.rule);
    }
  }
  const byRef = new Map<string, CompiledSigmaRule>();
  for (const r of rules) {
    byRef.set(r.id, r);
    if (r.name) byRef.set(r.name, r);
  }
  const referenced = new Set<CompiledSigmaRule>();
  const generated = new Set<CompiledSigmaRule>();
  const out: CompiledSigmaRule[] = [];
  for (const c of correlations) {
    const named = idOf(c.doc);
    const fail = (reason: string) => unsupported.push({ file: c.file, ...named, reason });
    const meta = ruleMeta(c.doc);
    if (typeof meta === 'string') {
      fail(meta);
      continue;
    }
    try {
      const sec = c.doc.correlation;
      if (!isMap(sec)) throw new SigmaCompileError('the correlation section is not a map');
      const type = String(sec.type ?? '') as CorrelationType;
      if (!CORRELATION_TYPES.includes(type)) {
        throw new SigmaCompileError(`correlation type '${String(sec.type ?? '').slice(0, 40)}' is not supported (${CORRELATION_TYPES.join(', ')} are)`);
      }
      if (sec.aliases !== undefined) throw new SigmaCompileError('field-name aliases are not supported');
      const refs = strList(sec.rules);
      if (!refs.length) throw new SigmaCompileError('the correlation names no rules');
      const parts = refs.map((ref) => {
        const r = byRef.get(ref);
        if (r) return r;
        if (correlations.some((o) => isMap(o.doc) && (o.doc.id === ref || o.doc.name === ref))) throw new SigmaCompileError(`rule '${ref.slice(0, 80)}' is itself a correlation; chained correlations are not supported`);
        throw new SigmaCompileError(`rule '${ref.slice(0, 80)}' is not in this rule set (or could not be compiled)`);
      });
      const groupBy = strList(sec['group-by']);
      if (sec.timespan === undefined) throw new SigmaCompileError('the correlation has no timespan');
      const timespanMs = parseTimespan(sec.timespan);
      const { condition, field } = parseCorrelationCondition(sec.condition, type);
      const partNames = refs.map((ref, i) => (parts[i].name ?? parts[i].title) + (ref === parts[i].id || ref === parts[i].name ? '' : ` (${ref})`));
      const spec: SigmaCorrelation = {
        type,
        parts: partNames,
        groupBy,
        timespan: String(sec.timespan).trim(),
        timespanMs,
        condition,
        field,
        form: `correlation ${type} of ${refs.join(', ')}${groupBy.length ? ` by ${groupBy.join(', ')}` : ''}, timespan ${String(sec.timespan).trim()}`,
      };
      const evals = parts.map((p) => p[INTERNAL].evaluate);
      // The union of the parts' prefilters (each part is a plain rule), or none.
      const names = parts.every((p) => p[INTERNAL].names) ? new Set(parts.flatMap((p) => [...p[INTERNAL].names!])) : null;
      const pf: SigmaPrefilter = {};
      if (parts.every((p) => p.prefilter?.eventNames)) pf.eventNames = [...new Set(parts.flatMap((p) => p.prefilter!.eventNames!))].sort();
      if (parts.every((p) => p.prefilter?.eventSources)) pf.eventSources = [...new Set(parts.flatMap((p) => p.prefilter!.eventSources!))].sort();
      for (const p of parts) referenced.add(p);
      if (sec.generate === true) for (const p of parts) generated.add(p);
      out.push({
        ...meta,
        file: c.file,
        condition: spec.form,
        prefilter: pf.eventNames || pf.eventSources ? pf : null,
        correlation: spec,
        origin: opts.origin ?? 'sigmahq',
        ...(c.sha256 ? { fileSha256: c.sha256 } : {}),
        [INTERNAL]: {
          evaluate: (rec) => evals.some((f) => f(rec)),
          names,
          correlate: () => new CorrelationState(spec, evals),
        },
      });
    } catch (e) {
      if (e instanceof SigmaCompileError) fail(e.message);
      else fail(`internal error while compiling: ${(e as Error).message}`);
    }
  }
  const all = [...rules.filter((r) => !referenced.has(r) || generated.has(r)), ...out];
  const seen = new Map<string, string>();
  const kept: CompiledSigmaRule[] = [];
  for (const r of all) {
    const prev = seen.get(r.id);
    if (prev !== undefined) {
      unsupported.push({ file: r.file ?? '', id: r.id, title: r.title, reason: `duplicate rule id, already used by ${prev}` });
      continue;
    }
    seen.set(r.id, r.file ?? '');
    kept.push(r);
  }
  return { rules: kept, unsupported };
}

/** A fresh correlation state for one run of a correlation rule. */
export function newCorrelationState(rule: CompiledSigmaRule): CorrelationState {
  const make = rule[INTERNAL]?.correlate;
  if (!make) throw new Error(`Sigma rule ${rule.id} is not a correlation, or was not compiled in this process`);
  return make();
}

// eventName values repeat endlessly across a case; lower-case each distinct one
// once instead of allocating per event and rule. Bounded so hostile input
// cannot grow it without limit.
const lowerCache = new Map<string, string>();
function lowerCached(s: string): string {
  let l = lowerCache.get(s);
  if (l === undefined) {
    if (lowerCache.size >= 65_536) lowerCache.clear();
    l = s.toLowerCase();
    lowerCache.set(s, l);
  }
  return l;
}

/**
 * Does the record (a verbatim CloudTrail record) satisfy the rule? For a
 * correlation rule: is it one of the events the correlation counts (it
 * matches one of the correlated selections or rules); whether those events
 * fire is decided over several events (newCorrelationState).
 */
export function matchSigma(rule: CompiledSigmaRule, record: Record<string, any>): boolean {
  const internal = rule[INTERNAL];
  if (!internal) throw new Error(`Sigma rule ${rule.id} was not compiled in this process (copied rules lose their matcher; compile again)`);
  // Cheap reject using the prefilter: sound because the constraint holds for
  // every way the condition can be true. Non-string eventNames (never seen in
  // CloudTrail) fall through to the full evaluation.
  // A CloudTrail record is a JSON object; anything else matches nothing.
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return false;
  const names = internal.names;
  if (names !== null) {
    const en = record.eventName;
    if (en === undefined || en === null) return false;
    if (typeof en === 'string' && !names.has(en) && !names.has(lowerCached(en))) return false;
  }
  return internal.evaluate(record);
}

/** Full evaluation without the prefilter shortcut; for tests that prove the prefilter sound. */
export function matchSigmaUnfiltered(rule: CompiledSigmaRule, record: Record<string, any>): boolean {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return false;
  return rule[INTERNAL].evaluate(record);
}
