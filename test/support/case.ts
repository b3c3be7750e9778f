// Test helpers: a temporary examiner home with a key, and a fresh case.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, unlockKey, type Signer } from '../../electron/case/keys.ts';
import { CaseStore } from '../../electron/case/store.ts';

export const PASSPHRASE = 'test-passphrase-1';

export interface TempCase {
  dir: string;
  home: string;
  path: string;
  signer: Signer;
  store: CaseStore;
  cleanup(): void;
}

export function tempDir(prefix = 'trailcase-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function tempSigner(dir: string, examiner = 'Test Examiner'): { home: string; signer: Signer } {
  const home = join(dir, 'home-' + examiner.replace(/\W+/g, '-'));
  const kf = generateKey(examiner, PASSPHRASE, home);
  return { home, signer: unlockKey(kf, PASSPHRASE) };
}

export function tempCase(title = 'Test case'): TempCase {
  const dir = tempDir();
  const { home, signer } = tempSigner(dir);
  const path = join(dir, 'case.trailcase');
  const store = CaseStore.create(path, { title, examiner: signer.examiner }, signer);
  return {
    dir,
    home,
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

