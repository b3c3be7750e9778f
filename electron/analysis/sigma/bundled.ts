// Node-side part of the Sigma engine: reading the shipped SigmaHQ rules from
// disk and the SHA-256 finding id (node:crypto), kept out of the pure engine.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnalysisEvent, Finding } from '../../../shared/analysis/findings.ts';
import { compileSigmaRule, type CompiledSigmaRule } from './engine.ts';
import { buildSigmaFinding } from './finding.ts';

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

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) out.push(...yamlFiles(p));
    else if (ent.isFile() && /\.ya?ml$/i.test(ent.name)) out.push(p);
  }
  return out.sort();
}

/**
 * Compile every shipped rule. Rules that cannot run are returned in
 * `unsupported` with the reason (placeholders, aggregations, correlations,
 * rules SigmaHQ marks unsupported); an unreadable file is listed the same way.
 * Duplicate rule ids are reported rather than both run.
 */
export function loadBundledSigmaRules(dir: string = BUNDLED_SIGMA_DIR): BundledSigmaRules {
  const rules: CompiledSigmaRule[] = [];
  const unsupported: UnsupportedSigmaRule[] = [];
  const byId = new Map<string, string>();
  for (const path of yamlFiles(dir)) {
    const file = relative(dir, path).split(sep).join('/');
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      unsupported.push({ file, reason: `cannot read: ${(e as Error).message}` });
      continue;
    }
    const r = compileSigmaRule(text, file);
    if (!r.ok) {
      // compileSigmaRule prefixes the file name; the entry names it separately.
      const reason = r.reason.startsWith(`${file}: `) ? r.reason.slice(file.length + 2) : r.reason;
      unsupported.push({ file, ...(r.id ? { id: r.id } : {}), ...(r.title ? { title: r.title } : {}), reason });
      continue;
    }
    const prev = byId.get(r.rule.id);
    if (prev) {
      unsupported.push({ file, id: r.rule.id, title: r.rule.title, reason: `duplicate rule id, already used by ${prev}` });
      continue;
    }
    byId.set(r.rule.id, file);
    rules.push(r.rule);
  }
  return { rules, unsupported };
}

/** Stable finding id: first 16 hex digits of SHA-256 over the check id and the sorted event ids, newline-separated. */
export function sigmaFindingId(checkId: string, eventIds: string[]): string {
  const h = createHash('sha256');
  h.update(checkId);
  for (const id of [...eventIds].sort()) h.update('\n' + id);
  return h.digest('hex').slice(0, 16);
}

/** The Finding for the events a rule matched, with the node-side stable id. */
export function sigmaFinding(rule: CompiledSigmaRule, events: AnalysisEvent[]): Finding {
  return buildSigmaFinding(rule, events, sigmaFindingId);
}
