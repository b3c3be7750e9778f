// Node-side part of the Sigma engine: reading rule files from disk (the shipped
// SigmaHQ rules and the examiner's own folders), the SHA-256 finding id
// (hits.ts, node:crypto), and the per-run collector that turns matches and
// correlations into findings (hits.ts); kept out of the pure engine.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalysisEvent, Finding } from '../../../shared/analysis/findings.ts';
import { UserError } from '../../errors.ts';
import { compileSigmaCollection, SIGMA_LIMITS, type CompiledSigmaRule, type SigmaSource } from './engine.ts';
import { sigmaFindingId } from './hits.ts';
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

/** The Finding for the events a rule matched, with the node-side stable id. */
export function sigmaFinding(rule: CompiledSigmaRule, events: AnalysisEvent[], correlation?: CorrelationHit): Finding {
  return buildSigmaFinding(rule, events, sigmaFindingId, correlation);
}

export { SigmaHits, sigmaFindingId, sigmaFindingIdOfSorted, type HitSource, type HitSpill } from './hits.ts';
