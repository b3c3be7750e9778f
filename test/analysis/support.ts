// Helpers for the analysis tests: a temporary examiner key and case, fixtures imported.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, unlockKey, type Signer } from '../../electron/case/keys.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';

export interface AnalysisTestCase {
  dir: string;
  path: string;
  signer: Signer;
  store: CaseStore;
  cleanup(): void;
}

export function tempDir(prefix = 'trailcase-analysis-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function caseWith(sources: string[], title = 'analysis test'): Promise<AnalysisTestCase> {
  const dir = tempDir();
  const kf = generateKey('Analysis Tester', 'analysis-pass-1', join(dir, 'home'));
  const signer = unlockKey(kf, 'analysis-pass-1');
  const path = join(dir, 'case.trailcase');
  const store = CaseStore.create(path, { title, examiner: signer.examiner }, signer);
  if (sources.length) await importPaths(store, signer, { sources }, { workers: 1 });
  return {
    dir,
    path,
    signer,
    store,
    cleanup() {
      try {
        store.close();
      } catch {
        /* already closed */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
