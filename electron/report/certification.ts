// The certification block of a report comes from an editable Markdown template
// (build/report-certification-template.md by default; `--template FILE`),
// in the spirit of US FRE 902(13)/(14). Placeholders are {{name}}; an unknown
// one is an error naming it, never printed as-is into a signed report.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { ROOT } from '../version.ts';
import { sha256Hex } from '../case/canonical.ts';

export const DEFAULT_CERTIFICATION_TEMPLATE = join(ROOT, 'build', 'report-certification-template.md');

export const CERTIFICATION_PLACEHOLDERS = [
  'examiner', 'examinerFingerprint', 'caseId', 'caseTitle', 'reportId', 'checkpointSeq', 'treeSize', 'root',
  'evidenceCount', 'evidenceRoot', 'checkpointTime', 'toolName', 'toolVersion', 'buildHash',
] as const;
export type CertificationValues = Record<(typeof CERTIFICATION_PLACEHOLDERS)[number], string>;

export interface CertificationTemplate {
  path: string;
  text: string;
  sha256: string;
}

export function loadCertificationTemplate(path = DEFAULT_CERTIFICATION_TEMPLATE): CertificationTemplate {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new UserError(`certification template ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const text = buf.toString('utf8');
  if (!text.trim()) throw new UserError(`certification template ${path} is empty`);
  return { path, text, sha256: sha256Hex(buf) };
}

/** Fill the template: comments removed, every {{placeholder}} replaced. Returns Markdown. */
export function fillCertification(t: CertificationTemplate, values: CertificationValues): string {
  const body = t.text.replace(/<!--[\s\S]*?-->/g, '').replace(/\r\n/g, '\n').trim();
  return (
    body.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, name: string) => {
      if (!(CERTIFICATION_PLACEHOLDERS as readonly string[]).includes(name)) {
        throw new UserError(`certification template ${t.path}: unknown placeholder {{${name}}} (known: ${CERTIFICATION_PLACEHOLDERS.join(', ')})`);
      }
      return values[name as keyof CertificationValues];
    }) + '\n'
  );
}
