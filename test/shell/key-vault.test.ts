// The examiner's key in the desktop app (electron/main/key-vault.ts): created
// on first use with the CLI's format, unlocked with the passphrase, the
// passphrase kept only through OS encryption (a fake safeStorage here) and
// never on Linux's basic_text fallback; stale or foreign entries forgotten.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateKey, readKeyFile, unlockKey } from '../../electron/case/keys.ts';
import { KeyVault, type SafeStorageLike } from '../../electron/main/key-vault.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'trailcase-vault-'));
  dirs.push(d);
  return d;
}

/** A reversible stand-in for the OS: the "encrypted" form must not contain the passphrase. */
function fakeSafeStorage(backend = 'gnome_libsecret', available = true): SafeStorageLike & { calls: number } {
  return {
    calls: 0,
    isEncryptionAvailable: () => available,
    getSelectedStorageBackend: () => backend,
    encryptString(s: string) {
      this.calls++;
      return Buffer.from([...Buffer.from(s, 'utf8')].map((b) => b ^ 0x5a));
    },
    decryptString(b: Buffer) {
      return Buffer.from([...b].map((x) => x ^ 0x5a)).toString('utf8');
    },
  };
}

test('first use: create the key (CLI format), remember the passphrase through the OS, unlock next start without asking', () => {
  const home = tmp();
  const userData = tmp();
  const ss = fakeSafeStorage();
  const v = new KeyVault({ home, userData, safeStorage: ss, platform: 'linux' });
  let s = v.status();
  assert.deepEqual([s.exists, s.unlocked, s.remembered, s.canRemember, s.storage], [false, false, false, true, 'gnome_libsecret']);
  assert.equal(v.unlockWithoutAsking(), null);
  v.create('Dana Examiner', 'correct horse battery', true);
  s = v.status();
  assert.equal(s.exists, true);
  assert.equal(s.examiner, 'Dana Examiner');
  assert.equal(s.unlocked, true);
  assert.equal(s.remembered, true);
  // Same key file the CLI reads and unlocks.
  const kf = readKeyFile(home)!;
  assert.equal(unlockKey(kf, 'correct horse battery').fingerprint, s.fingerprint);
  // The remembered file holds only the OS-encrypted form.
  const stored = readFileSync(v.rememberedFile, 'utf8');
  assert.ok(!stored.includes('correct horse battery'));
  assert.equal(JSON.parse(stored).fingerprint, kf.fingerprint);
  // Next start: a new vault (new process) unlocks without asking.
  const v2 = new KeyVault({ home, userData, safeStorage: ss, platform: 'linux' });
  assert.equal(v2.status().unlocked, false);
  assert.equal(v2.unlockWithoutAsking(), 'correct horse battery');
  assert.equal(v2.status().unlocked, true);
  v2.forget();
  assert.equal(new KeyVault({ home, userData, safeStorage: ss, platform: 'linux' }).unlockWithoutAsking(), null);
});

test("Linux basic_text (no keyring) is not protection: remembering is refused, the key still works", () => {
  const home = tmp();
  const userData = tmp();
  const ss = fakeSafeStorage('basic_text');
  const v = new KeyVault({ home, userData, safeStorage: ss, platform: 'linux' });
  assert.equal(v.status().canRemember, false);
  assert.throws(() => v.create('Dana', 'correct horse battery', true), /no OS-protected storage \(basic_text\)/);
  assert.equal(v.status().exists, false, 'refused before anything was written');
  v.create('Dana', 'correct horse battery', false);
  assert.throws(() => v.unlock('correct horse battery', true), /no OS-protected storage/);
  const v2 = new KeyVault({ home, userData, safeStorage: ss, platform: 'linux' });
  assert.equal(v2.unlock('correct horse battery', false), 'correct horse battery');
  assert.equal(ss.calls, 0, 'nothing was encrypted with the fallback key');
  // Unavailable encryption anywhere: cannot remember either.
  assert.equal(new KeyVault({ home, userData, safeStorage: fakeSafeStorage('x', false), platform: 'darwin' }).canRemember(), false);
  assert.equal(new KeyVault({ home, userData, safeStorage: fakeSafeStorage('x', true), platform: 'win32' }).status().storage, 'dpapi');
});

test('wrong passphrases are refused; a remembered passphrase of a replaced key is forgotten', () => {
  const home = tmp();
  const userData = tmp();
  const ss = fakeSafeStorage();
  generateKey('Dana', 'first passphrase', home);
  const v = new KeyVault({ home, userData, safeStorage: ss, platform: 'darwin' });
  assert.throws(() => v.unlock('wrong passphrase', true), /wrong passphrase/);
  assert.equal(v.status().remembered, false, 'a wrong passphrase is never remembered');
  v.unlock('first passphrase', true);
  assert.equal(v.status().remembered, true);
  generateKey('Dana', 'second passphrase', home, true); // the key is replaced
  const v2 = new KeyVault({ home, userData, safeStorage: ss, platform: 'darwin' });
  assert.equal(v2.status().remembered, false);
  assert.equal(v2.unlockWithoutAsking(), null);
  assert.match(v2.problems.join('\n'), /belongs to another key/);
  // A passphrase from the environment (scripts, the e2e suite) unlocks like the CLI's TRAILCASE_PASSPHRASE.
  const v3 = new KeyVault({ home, userData, safeStorage: ss, platform: 'darwin', envPassphrase: 'second passphrase' });
  assert.equal(v3.unlockWithoutAsking(), 'second passphrase');
  const v4 = new KeyVault({ home, userData, safeStorage: ss, platform: 'darwin', envPassphrase: 'nope nope nope' });
  assert.equal(v4.unlockWithoutAsking(), null);
  assert.match(v4.problems.join('\n'), /TRAILCASE_PASSPHRASE: wrong passphrase/);
});
