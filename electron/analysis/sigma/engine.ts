// Sigma rule engine for `logsource: product: aws, service: cloudtrail`
// (issue "Analysis", Sigma section). Pure TypeScript: no node:* imports, so the
// same code can run in a worker or the renderer. Rules are compiled once into
// closures (regexes and lower-cased values precomputed) and then matched
// against verbatim CloudTrail records one event at a time.
//
// Not supported, each reported with a reason instead of being skipped silently:
// keyword (unnamed-field) selections, aggregations (`| count()`), `near`,
// `timeframe` correlations, placeholder (`expand`) values, multi-document rule
// collections, and rules whose logsource is not aws/cloudtrail.
import { parseAllDocuments } from 'yaml';
import type { Severity } from '../../../shared/analysis/findings.ts';
import { parseCondition, type CondNode } from './condition.ts';
import { compileFieldEntry, SigmaCompileError, type FieldMatcher } from './values.ts';

export const SIGMA_ENGINE_NAME = 'trailcase-sigma';
/** Bump when matching semantics change: findings record it via the rule version. */
export const SIGMA_ENGINE_VERSION = '1.0.0';

export interface SigmaPrefilter {
  eventSources?: string[];
  eventNames?: string[];
}

type Evaluator = (rec: Record<string, any>) => boolean;
interface Internal {
  evaluate: Evaluator;
  /** eventName values as written and lower-cased; null = no constraint */
  names: Set<string> | null;
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
  /** Compiled matcher; symbol-keyed so the rule stays JSON/IPC-serialisable. */
  readonly [INTERNAL]: Internal;
}

export type CompileResult = { ok: true; rule: CompiledSigmaRule } | { ok: false; id?: string; title?: string; reason: string };

const LEVELS: Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];
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

/** Compile one Sigma rule (YAML text). Never throws: bad or unsupported rules come back with a reason. */
export function compileSigmaRule(yamlText: string, file?: string): CompileResult {
  const where = file ? `${file}: ` : '';
  let doc: unknown;
  try {
    const docs = parseAllDocuments(yamlText);
    if (!Array.isArray(docs)) return { ok: false, reason: `${where}not a YAML document stream` };
    if (docs.length === 0) return { ok: false, reason: `${where}empty file` };
    const errs = docs.flatMap((d) => d.errors);
    if (errs.length) return { ok: false, reason: `${where}YAML error: ${errs[0].message.split('\n')[0]}` };
    if (docs.length > 1) return { ok: false, reason: `${where}${docs.length} YAML documents (Sigma rule collection); only single-document rules are supported` };
    doc = docs[0].toJS();
  } catch (e) {
    return { ok: false, reason: `${where}YAML error: ${(e as Error).message.split('\n')[0]}` };
  }
  if (!isMap(doc)) return { ok: false, reason: `${where}not a Sigma rule (top level is not a map)` };
  const id = typeof doc.id === 'string' && doc.id.trim() ? doc.id.trim() : undefined;
  const title = typeof doc.title === 'string' && doc.title.trim() ? doc.title.trim() : undefined;
  const fail = (reason: string): CompileResult => ({ ok: false, ...(id ? { id } : {}), ...(title ? { title } : {}), reason: where + reason });

  if (!title) return fail('no title');
  if (!id) return fail('no id (needed for a stable finding id)');
  const ls = doc.logsource;
  if (!isMap(ls)) return fail('no logsource');
  const product = String(ls.product ?? '').toLowerCase();
  const service = String(ls.service ?? '').toLowerCase();
  if (product !== 'aws' || service !== 'cloudtrail') return fail(`logsource is product '${ls.product ?? ''}', service '${ls.service ?? ''}'; only aws/cloudtrail is supported`);

  const det = doc.detection;
  if (!isMap(det)) return fail('no detection map');
  if (det.timeframe !== undefined) {
    return fail(`detection uses timeframe '${det.timeframe}' (correlation of several events within a window); TrailCase matches Sigma rules one event at a time`);
  }
  const condRaw = det.condition;
  const condTexts = typeof condRaw === 'string' ? [condRaw] : Array.isArray(condRaw) && condRaw.every((c) => typeof c === 'string') ? (condRaw as string[]) : null;
  if (!condTexts || condTexts.length === 0) return fail('detection has no condition');
  const selNames = Object.keys(det).filter((k) => !RESERVED_DETECTION_KEYS.has(k));
  if (selNames.length === 0) return fail('detection has no selections');

  let evaluate: Evaluator;
  let prefilter: SigmaPrefilter | null = null;
  let namesLower: Set<string> | null = null;
  try {
    // Parse conditions first: an aggregation is a more useful reason than a selection detail.
    const trees = condTexts.map((c) => parseCondition(c, selNames));
    // A list of conditions is an OR of them (Sigma spec, deprecated form).
    const tree: CondNode = trees.length === 1 ? trees[0] : { t: 'or', kids: trees };
    const used = new Set<string>();
    const collect = (n: CondNode): void => {
      if (n.t === 'sel') used.add(n.name);
      else if (n.t === 'not') collect(n.kid);
      else n.kids.forEach(collect);
    };
    collect(tree);
    const sels = new Map<string, FieldMatcher>();
    for (const name of selNames) sels.set(name, compileSelection(name, det[name]));
    evaluate = compileCond(tree, sels);

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

  const status = typeof doc.status === 'string' ? doc.status : '';
  if (status === 'unsupported') return fail("SigmaHQ marks this rule 'status: unsupported'");
  if (status === 'deprecated') return fail("SigmaHQ marks this rule 'status: deprecated'");

  const warnings: string[] = [];
  let level: Severity = 'medium';
  if (doc.level === undefined || doc.level === null) warnings.push('no level given; medium assumed');
  else if (LEVELS.includes(String(doc.level).toLowerCase() as Severity)) level = String(doc.level).toLowerCase() as Severity;
  else return fail(`level '${doc.level}' is not one of ${LEVELS.join(', ')}`);

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

  const rule: CompiledSigmaRule = {
    id,
    title,
    level,
    status,
    tags,
    tactics,
    rawTags,
    author: typeof doc.author === 'string' ? doc.author.trim() : strList(doc.author).join(', '),
    references: strList(doc.references),
    description: typeof doc.description === 'string' ? doc.description.trim() : '',
    falsepositives: strList(doc.falsepositives),
    date: dateText(doc.date),
    modified: dateText(doc.modified),
    file: file ?? null,
    condition: condTexts.length === 1 ? condTexts[0] : condTexts.map((c) => `(${c})`).join(' or '),
    prefilter,
    warnings,
    [INTERNAL]: { evaluate, names: namesLower },
  };
  return { ok: true, rule };
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

/** Does the record (a verbatim CloudTrail record) satisfy the rule? */
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
