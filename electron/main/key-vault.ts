// The examiner's key in the desktop app (docs/packaging.md).
//
// The key is the same file the CLI uses (electron/case/keys.ts: Ed25519,
// PKCS#8 PEM encrypted with the passphrase, in TRAILCASE_HOME), so the
// examiner's CLI and desktop signatures are the same identity. What the
// desktop adds: on request, the passphrase is kept encrypted by the operating
// system (safeStorage: macOS Keychain, Windows DPAPI, Linux libsecret/kwallet)
// in userData, bound to the key's fingerprint, so the examiner is not asked
// at every start. On Linux without a keyring Electron falls back to
// "basic_text" (a fixed, public key): that protects nothing, so remembering is
// refused there and the examiner types the passphrase each session.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyStatus } from '../../shared/api/app.ts';
import { generateKey, readKeyFile, trailcaseHome, unlockKey, type KeyFile } from '../case/keys.ts';
import { UserError } from '../errors.ts';

export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  getSelectedStorageBackend?(): string;
}

export const REMEMBERED_FILE = 'examiner-passphrase.json';
/** Linux backends that are not real OS protection. */
export const WEAK_LINUX_BACKENDS = new Set(['basic_text', 'unknown']);

interface RememberedV1 {
  format: 'trailcase-remembered-passphrase/1';
  /** Fingerprint of the key the passphrase unlocks: a replaced key makes the entry stale. */
  fingerprint: string;
  storage: string;
  /** safeStorage.encryptString(passphrase), base64. */
  encrypted: string;
}

export interface KeyVaultOptions {
  userData: string;
  safeStorage: SafeStorageLike;
  platform?: NodeJS.Platform;
  /** TRAILCASE_HOME (defaults to the CLI's). */
  home?: string;
  /** A passphrase from the environment (TRAILCASE_PASSPHRASE), as the CLI accepts; used like a remembered one. */
  envPassphrase?: string;
}

export class KeyVault {
  private readonly home: string;
  private readonly platform: NodeJS.Platform;
  private unlockedFingerprint: string | null = null;
  /** Non-fatal problems (a stale or undecryptable remembered passphrase), for the log. */
  readonly problems: string[] = [];

  constructor(private readonly opts: KeyVaultOptions) {
    this.home = opts.home ?? trailcaseHome();
    this.platform = opts.platform ?? process.platform;
  }

  get rememberedFile(): string {
    return join(this.opts.userData, REMEMBERED_FILE);
  }

  storageName(): string {
    if (this.platform === 'darwin') return 'keychain';
    if (this.platform === 'win32') return 'dpapi';
    try {
      return this.opts.safeStorage.getSelectedStorageBackend?.() ?? 'unknown';
    } catch {
      return 'unknown';
    }
  }

  canRemember(): boolean {
    let available = false;
    try {
      available = this.opts.safeStorage.isEncryptionAvailable();
    } catch {
      available = false;
    }
    if (!available) return false;
    return this.platform !== 'linux' || !WEAK_LINUX_BACKENDS.has(this.storageName());
  }

  keyFile(): KeyFile | null {
    return readKeyFile(this.home);
  }

  private readRemembered(): RememberedV1 | null {
    if (!existsSync(this.rememberedFile)) return null;
    try {
      const r = JSON.parse(readFileSync(this.rememberedFile, 'utf8')) as RememberedV1;
      if (r.format !== 'trailcase-remembered-passphrase/1') throw new Error('unknown format');
      return r;
    } catch (e) {
      this.problems.push(`${this.rememberedFile}: ${(e as Error).message}; ignored`);
      return null;
    }
  }

  status(): KeyStatus {
    const kf = this.keyFile();
    const r = this.readRemembered();
    return {
      exists: !!kf,
      examiner: kf?.examiner ?? null,
      fingerprint: kf?.fingerprint ?? null,
      unlocked: !!kf && this.unlockedFingerprint === kf.fingerprint,
      remembered: !!kf && !!r && r.fingerprint === kf.fingerprint,
      canRemember: this.canRemember(),
      storage: this.storageName(),
    };
  }

  /** Check a passphrase against the key; returns it when it unlocks the key. */
  private check(kf: KeyFile, passphrase: string): string {
    unlockKey(kf, passphrase); // throws UserError('wrong passphrase ...')
    this.unlockedFingerprint = kf.fingerprint;
    return passphrase;
  }

  private assertCanRemember(): void {
    if (!this.canRemember()) {
      throw new UserError(
        `this system offers no OS-protected storage (${this.storageName()}); the passphrase cannot be remembered: untick "remember" (it will be asked each session)`,
      );
    }
  }

  private remember(kf: KeyFile, passphrase: string): void {
    this.assertCanRemember();
    const body: RememberedV1 = {
      format: 'trailcase-remembered-passphrase/1',
      fingerprint: kf.fingerprint,
      storage: this.storageName(),
      encrypted: this.opts.safeStorage.encryptString(passphrase).toString('base64'),
    };
    mkdirSync(this.opts.userData, { recursive: true });
    const tmp = this.rememberedFile + '.tmp';
    writeFileSync(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.rememberedFile);
  }

  /** First use: create the key. Returns the passphrase for the case process. */
  create(examiner: string, passphrase: string, remember: boolean): string {
    if (remember) this.assertCanRemember(); // before anything is written
    const kf = generateKey(examiner, passphrase, this.home);
    this.check(kf, passphrase);
    if (remember) this.remember(kf, passphrase);
    return passphrase;
  }

  unlock(passphrase: string, remember: boolean): string {
    const kf = this.keyFile();
    if (!kf) throw new UserError(`no examiner key in ${this.home}: create one first`);
    if (remember) this.assertCanRemember();
    this.check(kf, passphrase);
    if (remember) this.remember(kf, passphrase);
    return passphrase;
  }

  /**
   * At start: a passphrase that unlocks the key without asking (the
   * environment's, else the remembered one), or null. A remembered entry that
   * no longer decrypts or no longer unlocks the key is deleted.
   */
  unlockWithoutAsking(): string | null {
    const kf = this.keyFile();
    if (!kf) return null;
    if (this.opts.envPassphrase !== undefined) {
      try {
        return this.check(kf, this.opts.envPassphrase);
      } catch (e) {
        this.problems.push(`TRAILCASE_PASSPHRASE: ${(e as Error).message}`);
      }
    }
    const r = this.readRemembered();
    if (!r) return null;
    if (r.fingerprint !== kf.fingerprint) {
      this.problems.push('the remembered passphrase belongs to another key; forgotten');
      this.forget();
      return null;
    }
    if (!this.canRemember()) return null;
    try {
      const pass = this.opts.safeStorage.decryptString(Buffer.from(r.encrypted, 'base64'));
      return this.check(kf, pass);
    } catch (e) {
      this.problems.push(`the remembered passphrase could not be used (${(e as Error).message}); forgotten`);
      this.forget();
      return null;
    }
  }

  forget(): void {
    rmSync(this.rememberedFile, { force: true });
  }

  lock(): void {
    this.unlockedFingerprint = null;
  }
}
