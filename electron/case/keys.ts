// The examiner's Ed25519 signing key. The private key never enters a case: it
// lives in the examiner's TrailCase folder (TRAILCASE_HOME, default ~/.trailcase),
// as PKCS#8 PEM encrypted with a passphrase (asked on a terminal, or taken from
// TRAILCASE_PASSPHRASE for scripts). The public key and its fingerprint go into
// every case the examiner touches. Fingerprint = hex SHA-256 of the SPKI DER, so
// `openssl pkey -pubin -outform DER | sha256sum` reproduces it.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.ts';

export interface KeyFile {
  format: 'trailcase-examiner-key/1';
  examiner: string;
  createdAt: string;
  fingerprint: string;
  publicKeyPem: string;
  encryptedPrivateKeyPem: string;
}

export interface Signer {
  examiner: string;
  fingerprint: string;
  publicKeyPem: string;
  sign(data: Uint8Array): Buffer;
}

export function trailcaseHome(): string {
  return process.env.TRAILCASE_HOME || join(homedir(), '.trailcase');
}

export function keyPath(home = trailcaseHome()): string {
  return join(home, 'examiner-key.json');
}

export function fingerprintOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

export function generateKey(examiner: string, passphrase: string, home = trailcaseHome(), overwrite = false): KeyFile {
  if (!examiner.trim()) throw new UserError('an examiner name is needed for the key (--examiner NAME)');
  if (passphrase.length < 8) throw new UserError('the passphrase must be at least 8 characters');
  const path = keyPath(home);
  if (existsSync(path) && !overwrite) throw new UserError(`a key already exists at ${path}; refusing to overwrite it (use --force to replace it)`);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const encryptedPrivateKeyPem = privateKey
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })
    .toString();
  const kf: KeyFile = {
    format: 'trailcase-examiner-key/1',
    examiner: examiner.trim(),
    createdAt: new Date().toISOString(),
    fingerprint: fingerprintOf(publicKeyPem),
    publicKeyPem,
    encryptedPrivateKeyPem,
  };
  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify(kf, null, 2) + '\n', { mode: 0o600 });
  try {
    chmodSync(path, 0o600);
  } catch {
    /* best effort on filesystems without modes */
  }
  return kf;
}

export function readKeyFile(home = trailcaseHome()): KeyFile | null {
  const path = keyPath(home);
  if (!existsSync(path)) return null;
  let kf: KeyFile;
  try {
    kf = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`the key file ${path} is not readable JSON: ${(e as Error).message}`);
  }
  if (kf.format !== 'trailcase-examiner-key/1') throw new UserError(`${path} is not a TrailCase examiner key`);
  return kf;
}

export function unlockKey(kf: KeyFile, passphrase: string): Signer {
  let priv: KeyObject;
  try {
    priv = createPrivateKey({ key: kf.encryptedPrivateKeyPem, format: 'pem', passphrase });
  } catch {
    throw new UserError('wrong passphrase for the examiner key');
  }
  return {
    examiner: kf.examiner,
    fingerprint: kf.fingerprint,
    publicKeyPem: kf.publicKeyPem,
    sign: (data) => sign(null, data, priv),
  };
}

export function verifySignature(publicKeyPem: string, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(null, data, createPublicKey(publicKeyPem), signature);
  } catch {
    return false;
  }
}

/** Passphrase from the environment or, on a terminal, asked without echo. */
export async function askPassphrase(prompt = 'Passphrase for the examiner key: '): Promise<string> {
  const env = process.env.TRAILCASE_PASSPHRASE;
  if (env !== undefined) return env;
  if (!process.stdin.isTTY) {
    throw new UserError('no passphrase: set TRAILCASE_PASSPHRASE or run on a terminal');
  }
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let buf = '';
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(buf);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new UserError('cancelled'));
          return;
        }
        if (ch === '\u007f') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    const done = () => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

/** Load and unlock the examiner's key; a clear error when there is none. */
export async function loadSigner(home = trailcaseHome()): Promise<Signer> {
  const kf = readKeyFile(home);
  if (!kf) throw new UserError(`no examiner key in ${home}: run \`trailcase keygen --examiner "Your Name"\` first`);
  return unlockKey(kf, await askPassphrase());
}
