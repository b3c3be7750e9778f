// The examiner's own Sigma rule files, kept in the case (schema 9, kind
// 'sigma-file') so that every later run, the report and a receiver use the
// same rules; each change of the set is one custody entry naming every file
// with its SHA-256. A set with a bad file is refused as a whole, with every
// problem named (file and reason): a run never silently drops a rule.
import { createHash } from 'node:crypto';
import type { CaseStore } from '../../case/store.ts';
import { currentDetections, hasDetections, insertDetection } from '../../case/data/detections.ts';
import { UserError } from '../../errors.ts';
import { compileUserSigmaRules, type BundledSigmaRules, type SigmaRuleFile, type UserSigmaRules } from './bundled.ts';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** The rule files stored in the case, compiled. */
export function caseSigmaRules(store: CaseStore): UserSigmaRules {
  return compileUserSigmaRules(currentDetections(store, 'sigma-file').map((r) => ({ file: r.key, text: r.body })));
}

/** Every problem of a set of rule files, one line each (file: reason); empty when all compile. */
export function ruleProblems(r: UserSigmaRules): string[] {
  return r.unsupported.map((u) => `${u.file}: ${u.title ? `rule '${u.title}'${u.id ? ` (${u.id})` : ''}: ` : ''}${u.reason}`);
}

/**
 * Make the case's rule set exactly these files (the CLI's --rules DIR, the
 * UI's rule files). Refused, with every problem listed, unless each compiles.
 * No write when the set is unchanged.
 */
export function setCaseSigmaRules(store: CaseStore, actor: string, files: { file: string; text: string }[]): { seq: number | null; files: SigmaRuleFile[] } {
  if (store.readonly) throw new UserError('the case is open read-only: adding rule files is custody-logged');
  if (!hasDetections(store)) throw new UserError('the case predates examiner detections (schema 9); open it for writing once to upgrade it');
  const names = new Set<string>();
  for (const f of files) {
    // eslint-disable-next-line no-control-regex -- control characters are what is refused
    if (!f.file || f.file.length > 500 || /[\u0000-\u001f]/.test(f.file)) throw new UserError(`rule file name ${JSON.stringify(f.file.slice(0, 100))} is empty, too long or holds control characters`);
    if (names.has(f.file)) throw new UserError(`rule file ${f.file} given twice`);
    names.add(f.file);
  }
  const compiled = compileUserSigmaRules(files);
  const problems = ruleProblems(compiled);
  if (problems.length) {
    const shown = problems.slice(0, 20);
    throw new UserError(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the rule files; none were added:\n${shown.join('\n')}${problems.length > shown.length ? `\n… and ${problems.length - shown.length} more` : ''}`);
  }
  const current = new Map(currentDetections(store, 'sigma-file').map((r) => [r.key, r.sha256]));
  const next = new Map(files.map((f) => [f.file, sha256(f.text)]));
  const removed = [...current.keys()].filter((k) => !next.has(k));
  const added = files.filter((f) => current.get(f.file) !== next.get(f.file));
  if (!removed.length && !added.length) return { seq: null, files: compiled.files };
  return store.transaction(() => {
    const at = new Date().toISOString();
    const seq = store.appendCustody(actor, 'detection.sigma-rules', {
      files: compiled.files.map((f) => ({ file: f.file, sha256: f.sha256, bytes: f.bytes })),
      rules: compiled.rules.map((r) => ({ id: r.id, title: r.title, file: r.file })),
      removed,
    });
    for (const k of removed) insertDetection(store, { kind: 'sigma-file', key: k, body: '', sha256: current.get(k)!, op: 'remove', at, actor, custodySeq: seq });
    for (const f of added) insertDetection(store, { kind: 'sigma-file', key: f.file, body: f.text, sha256: next.get(f.file)!, op: 'add', at, actor, custodySeq: seq });
    return { seq, files: compiled.files };
  });
}

/**
 * The bundled rules plus the case's own: what a run uses. A user rule whose id
 * is already a bundled rule's is listed as unsupported, never run twice.
 */
export function withCaseSigmaRules(bundled: BundledSigmaRules, store: CaseStore): BundledSigmaRules & { files: SigmaRuleFile[] } {
  const user = caseSigmaRules(store);
  if (!user.files.length) return { ...bundled, files: [] };
  const ids = new Set(bundled.rules.map((r) => r.id));
  const dup = user.rules.filter((r) => ids.has(r.id));
  return {
    rules: [...bundled.rules, ...user.rules.filter((r) => !ids.has(r.id))],
    unsupported: [...bundled.unsupported, ...user.unsupported, ...dup.map((r) => ({ file: r.file ?? '', id: r.id, title: r.title, reason: 'duplicate rule id: a bundled SigmaHQ rule has it' }))],
    files: user.files,
  };
}
