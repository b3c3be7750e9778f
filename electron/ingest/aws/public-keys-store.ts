// CloudTrail's digest-signing public keys kept in the case (README.md, "Acquisition from AWS"): offline
// validation needs the keys captured while online (CloudTrail User Guide,
// "Validating digest and log files offline"). Either the raw ListPublicKeys
// response captured at acquisition (an 'api-page' evidence item), or a file
// of `aws cloudtrail list-public-keys` output given with --public-keys (a
// 'file' item). Both are marked originMeta.role = 'cloudtrail-public-keys' and
// re-read from their preserved bytes by validation; no separate table, so the
// keys are covered by the evidence hash, the evidence Merkle root and the
// signed checkpoints like any other evidence.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ListPublicKeysCommand } from '@aws-sdk/client-cloudtrail';
import { UserError } from '../../errors.ts';
import { evidenceBytes } from '../../case/evidence.ts';
import type { CaseStore } from '../../case/store.ts';
import { evidenceOfRole } from '../../case/data/evidence.ts';
import type { ImportSummary } from '../../../shared/types.ts';
import { ImportSession } from '../session.ts';
import { parsePublicKeys, PublicKeyListError, type PublicKeyEntry } from './public-keys.ts';
import { describeAwsError, rawBody, rawStatus, withRetry, type AwsClients, type CallerIdentity } from './client.ts';
import { storeOpaque } from './write.ts';

export const PUBLIC_KEYS_ROLE = 'cloudtrail-public-keys';
export const PUBLIC_KEYS_FORMAT = 'cloudtrail-public-keys';

function keySummary(keys: PublicKeyEntry[]) {
  return keys.map((k) => ({
    fingerprint: k.fingerprint,
    validityStart: k.validityStart === null ? null : new Date(k.validityStart).toISOString(),
    validityEnd: k.validityEnd === null ? null : new Date(k.validityEnd).toISOString(),
  }));
}

/** --public-keys FILE: check it parses, then preserve it byte for byte. */
export function storePublicKeysFile(session: ImportSession, path: string): { evidenceId: number | null; keys: number } {
  const abs = resolve(path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(abs);
  } catch (e) {
    throw new UserError(`--public-keys ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let keys: PublicKeyEntry[];
  try {
    keys = parsePublicKeys(bytes.toString('utf8'), path);
  } catch (e) {
    if (e instanceof PublicKeyListError) throw new UserError(`--public-keys: ${e.message}`);
    throw e;
  }
  const out = storeOpaque(
    session,
    { kind: 'file', origin: abs, originMeta: { path: abs, size: bytes.length, role: PUBLIC_KEYS_ROLE, keys: keySummary(keys) } },
    bytes,
    PUBLIC_KEYS_FORMAT,
  );
  return { evidenceId: out.evidenceId ?? out.duplicateOf ?? null, keys: keys.length };
}

/**
 * ListPublicKeys for a Region and time range, preserved as the raw response.
 * Returns null with a reason when the call fails: missing keys make
 * signatures unverifiable (a warning), not the acquisition invalid.
 */
export async function fetchPublicKeys(
  session: ImportSession,
  clients: AwsClients,
  region: string,
  range: { startMs: number; endMs: number },
  identity: CallerIdentity | null,
  signal?: AbortSignal,
): Promise<{ evidenceId: number | null; keys: number } | { error: string }> {
  const request = { StartTime: new Date(range.startMs), EndTime: new Date(range.endMs) };
  const requestedAt = new Date().toISOString();
  let out;
  try {
    out = await withRetry(() => clients.cloudtrail(region).send(new ListPublicKeysCommand(request), { abortSignal: signal as any }), {
      ...clients.options.retry,
      signal,
      what: `ListPublicKeys ${region}`,
    });
  } catch (e) {
    return { error: describeAwsError(e, `CloudTrail ListPublicKeys in ${region}`, clients.options) };
  }
  const bytes = rawBody(out);
  let keys: PublicKeyEntry[];
  try {
    keys = parsePublicKeys(bytes.toString('utf8'), `ListPublicKeys ${region}`);
  } catch (e) {
    return { error: `CloudTrail ListPublicKeys in ${region}: response not usable (${(e as Error).message})` };
  }
  const res = storeOpaque(
    session,
    {
      kind: 'api-page',
      origin: `cloudtrail:ListPublicKeys?region=${region}&start=${request.StartTime.toISOString()}&end=${request.EndTime.toISOString()}`,
      originMeta: {
        api: 'ListPublicKeys',
        region,
        request: { StartTime: request.StartTime.toISOString(), EndTime: request.EndTime.toISOString() },
        requestedAt,
        receivedAt: new Date().toISOString(),
        httpStatus: rawStatus(out),
        requestId: out.$metadata.requestId ?? null,
        endpoint: clients.options.endpointUrl ?? null,
        callerIdentity: identity,
        role: PUBLIC_KEYS_ROLE,
        keys: keySummary(keys),
      },
    },
    bytes,
    PUBLIC_KEYS_FORMAT,
  );
  return { evidenceId: res.evidenceId ?? res.duplicateOf ?? null, keys: keys.length };
}

/** Every public key preserved in the case, de-duplicated, with problems reading any of them. */
export function casePublicKeys(store: CaseStore): { keys: PublicKeyEntry[]; problems: string[]; sources: number[] } {
  const rows = evidenceOfRole(store.reader, PUBLIC_KEYS_ROLE);
  const keys: PublicKeyEntry[] = [];
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const r of rows) {
    try {
      for (const k of parsePublicKeys(evidenceBytes(store, r.id).toString('utf8'), `evidence ${r.id} (${r.origin})`)) {
        const id = `${k.fingerprint}|${k.validityStart}|${k.validityEnd}`;
        if (seen.has(id)) continue;
        seen.add(id);
        keys.push(k);
      }
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return { keys, problems, sources: rows.map((r) => r.id) };
}

/**
 * Add a list-public-keys file to a case on its own (for folder copies, where no
 * S3 import takes --public-keys): one import session, custody-logged, signed.
 */
export function importPublicKeysFile(store: CaseStore, signer: import('../../case/keys.ts').Signer, path: string): ImportSummary {
  const session = ImportSession.begin(store, signer, { sources: [path], source: 'public-keys' });
  try {
    storePublicKeysFile(session, path);
  } catch (e) {
    session.finish('failed', (e as Error).message);
    throw e;
  }
  return session.finish('completed');
}
