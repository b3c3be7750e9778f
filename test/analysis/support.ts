// Helpers for the analysis tests: a temporary examiner key and case (test/support/case.ts), fixtures imported.
import { importPaths } from '../../electron/ingest/import-files.ts';
import { tempCase, tempDir as baseTempDir, type TempCase } from '../support/case.ts';

export type AnalysisTestCase = TempCase;

export function tempDir(prefix = 'trailcase-analysis-'): string {
  return baseTempDir(prefix);
}

export async function caseWith(sources: string[], title = 'analysis test'): Promise<AnalysisTestCase> {
  const c = tempCase(title);
  if (sources.length) await importPaths(c.store, c.signer, { sources }, { workers: 1 });
  return c;
}
