// Node-side part of the Sigma engine: reading rule files from disk (the shipped
// SigmaHQ rules and the examiner's own folders), the SHA-256 finding id
// (node:crypto), and the per-run collector that turns matches and
// correlations into findings; kept out of the pure engine.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalysisEvent, Finding } from '../../../shared/analysis/findings.ts';
import { UserError } from '../../errors.ts';
import { compileSigmaCollection, matchSigma, newCorrelationState, SIGMA_LIMITS, type CompiledSigmaRule, type SigmaSource } from './engine.ts';
import type { CorrelationState } from './correlation.ts';
import { buildSigmaFinding, type CorrelationHit } from './finding.ts';

/** Folder holding the shipped rules, laid out as in the SigmaHQ repository (see rules/ATTRIBUTION.md). */
export const BUNDLED_SIGMA_DIR = join(dirname(fileURLToPath(import.meta.url)), 'rules');

export interface UnsupportedSigmaRule {
  /** Path relative to the rules folder, i.e. the rule's path in the SigmaHQ repository. */
  file: string;
  id?: string;
  title?: string;
  reason: string;
}

export interface BundledSigmaRules {
  rules: CompiledSigmaRule[];
  unsupported: UnsupportedSigmaRule[];
}

/** A rule file the examiner supplied, as recorded in the run and the report. */
export interface SigmaRuleFile {
  file: string;
  sha256: string;
  bytes: number;
}

/** Limits on an examiner's rule folder (hostile input). */
export const RULE_DIR_LIMITS = { files: 2000, totalBytes: 64 * 1024 * 1024, depth: 8 } as const;

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) out.push(...yamlFiles(p));
    else if (ent.isFile() && /\.ya?ml$/i.test(ent.name)) out.push(p);
  }
  return out.sort();
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Compile every shipped rule. Rules that cannot run are returned in
 * `unsupported` with the reason (placeholders, rules SigmaHQ marks unsupported
 * for reasons other than a correlation); an unreadable file is listed the same
 * way. Duplicate rule ids are reported rather than both run.
 */
export function loadBundledSigmaRules(dir: string = BUNDLED_SIGMA_DIR): BundledSigmaRules {
  const sources: SigmaSource[] = [];
  const unreadable: UnsupportedSigmaRule[] = [];
  for (const path of yamlFiles(dir)) {
    const file = relative(dir, path).split(sep).join('/');
    try {
      const buf = readFileSync(path);
      sources.push({ file, text: buf.toString('utf8'), sha256: sha256(buf) });
    } catch (e) {
      unreadable.push({ file, reason: `cannot read: ${(e as Error).message}` });
    }
  }
  const r = compileSigmaCollection(sources);
  return { rules: r.rules, unsupported: [...unreadable, ...r.unsupported] };
}

export interface UserSigmaRules extends BundledSigmaRules {
  /** Every rule file read, with its SHA-256 (what a receiver needs to check they hold the same rules). */
  files: SigmaRuleFile[];
}

/**
 * The examiner's own rule files, given as text (the API: the UI reads the
 * files, the CLI a folder). Each is limited in size; names are checked.
 */
export function compileUserSigmaRules(files: { file: string; text: string }[]): UserSigmaRules {
  const list: SigmaRuleFile[] = [];
  const sources: SigmaSource[] = [];
  for (const f of files) {
    const buf = Buffer.from(f.text, 'utf8');
    const sum = sha256(buf);
    list.push({ file: f.file, sha256: sum, bytes: buf.length });
    sources.push({ file: f.file, text: f.text, sha256: sum });
  }
  const r = compileSigmaCollection(sources, { origin: 'user' });
  return { rules: r.rules, unsupported: r.unsupported, files: list };
}

/**
 * Read an examiner's rule folder (`trailcase check CASE --rules DIR`): every
 * *.yml / *.yaml below it, in name order. Symbolic links are not followed;
 * too many files, too deep a tree or too large a file is an error naming it.
 */
export function readSigmaRuleDir(dir: string): { file: string; text: string }[] {
  const root = resolve(dir);
  let st;
  try {
    st = lstatSync(root);
  } catch (e) {
    throw new UserError(`--rules ${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (e as Error).message}`);
  }
  const out: { file: string; text: string }[] = [];
  let total = 0;
  const add = (path: string, size: number) => {
    const file = relative(root, path).split(sep).join('/') || path.split(sep).pop()!;
    if (size > SIGMA_LIMITS.fileBytes) throw new UserError(`rule file ${file}: ${size} bytes, larger than the ${SIGMA_LIMITS.fileBytes}-byte limit for a Sigma rule file`);
    total += size;
    if (total > RULE_DIR_LIMITS.totalBytes) throw new UserError(`--rules ${dir}: more than ${RULE_DIR_LIMITS.totalBytes} bytes of rule files`);
    if (out.length >= RULE_DIR_LIMITS.files) throw new UserError(`--rules ${dir}: more than ${RULE_DIR_LIMITS.files} rule files`);
    const buf = readFileSync(path);
    const text = buf.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(buf)) throw new UserError(`rule file ${file}: not UTF-8 text`);
    out.push({ file, text });
  };
  if (st.isFile()) {
    add(root, st.size);
    return out;
  }
  if (!st.isDirectory()) throw new UserError(`--rules ${dir}: not a folder or a file`);
  const walk = (d: string, depth: number) => {
    if (depth > RULE_DIR_LIMITS.depth) throw new UserError(`--rules ${dir}: folders nested deeper than ${RULE_DIR_LIMITS.depth} levels`);
    for (const ent of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) walk(p, depth + 1);
      else if (ent.isFile() && /\.ya?ml$/i.test(ent.name)) add(p, lstatSync(p).size);
    }
  };
  walk(root, 0);
  if (!out.length) throw new UserError(`--rules ${dir}: no .yml or .yaml files in it`);
  return out;
}

/** Stable finding id: first 16 hex digits of SHA-256 over the check id and the sorted event ids, newline-separated. */
export function sigmaFindingId(checkId: string, eventIds: string[]): string {
  const h = createHash('sha256');
  h.update(checkId);
  for (const id of [...eventIds].sort()) h.update('\n' + id);
  return h.digest('hex').slice(0, 16);
}

/** The Finding for the events a rule matched, with the node-side stable id. */
export function sigmaFinding(rule: CompiledSigmaRule, events: AnalysisEvent[], correlation?: CorrelationHit): Finding {
  return buildSigmaFinding(rule, events, sigmaFindingId, correlation);
}

const NO_RECORD: Record<string, any> = Object.freeze({});

/**
 * One run's Sigma state: `feed` each event a rule wants, `findings` at the end.
 * A single-event rule keeps its hits without their records (a Sigma finding is
 * built from the normalised fields, id and time; some SigmaHQ rules match most
 * of a case); a correlation keeps five numbers per matching event
 * (correlation.ts) and reads the cited events back through `load` at the end.
 */
export class SigmaHits {
  private readonly hits: AnalysisEvent[][];
  private readonly states: (CorrelationState | null)[];
  constructor(readonly rules: CompiledSigmaRule[]) {
    this.hits = rules.map(() => []);
    this.states = rules.map((r) => (r.correlation ? newCorrelationState(r) : null));
  }

  feed(i: number, e: AnalysisEvent, warn: (unit: string, eventId: string | null, message: string) => void, light?: () => AnalysisEvent): void {
    try {
      const st = this.states[i];
      if (st) st.add(e.leaf, e.timeMs, e.record);
      else if (matchSigma(this.rules[i], e.record)) this.hits[i].push(light ? light() : { leaf: e.leaf, eventId: e.eventId, timeMs: e.timeMs, record: NO_RECORD, n: e.n });
    } catch (err) {
      warn(`sigma:${this.rules[i].id}`, e.eventId, (err as Error).message);
    }
  }

  /** The findings; `load` reads events back by leaf (for correlations). */
  findings(load: (leaves: number[]) => AnalysisEvent[], warn: (unit: string, eventId: string | null, message: string) => void): Finding[] {
    const out: Finding[] = [];
    this.rules.forEach((rule, i) => {
      try {
        const st = this.states[i];
        if (!st) {
          if (this.hits[i].length) out.push(sigmaFinding(rule, this.hits[i]));
          return;
        }
        if (st.noTime) warn(`sigma:${rule.id}`, null, `${st.noTime} matching event${st.noTime === 1 ? ' has' : 's have'} no eventTime and could not be placed in a correlation window`);
        for (const c of st.clusters()) {
          const events = load(c.leaves).map((e) => ({ ...e, record: NO_RECORD }));
          if (events.length) out.push(sigmaFinding(rule, events, { group: c.group, metric: c.metric }));
        }
      } catch (err) {
        warn(`sigma:${rule.id}`, null, (err as Error).message);
      }
    });
    return out;
  }
}
