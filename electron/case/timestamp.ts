// Trusted time for checkpoints (docs/verification.md): an RFC 3161 time-stamp token over
// SHA-256 of a checkpoint's signed text, from a time-stamping authority (TSA),
// on a machine that has a connection (the acquisition machine). A checkpoint's
// own `time` line is the examiner's clock; a TSA token shows the checkpoint
// existed by the TSA's time, which the key holder cannot move later.
//
// The request is a few dozen bytes of DER, built here by hand (RFC 3161 §2.4.1):
//   TimeStampReq ::= SEQUENCE { version INTEGER (1), messageImprint MessageImprint,
//                               nonce INTEGER, certReq BOOLEAN (TRUE) }
//   MessageImprint ::= SEQUENCE { AlgorithmIdentifier { sha256, NULL }, OCTET STRING }
// The token is stored as the TSA sent it (a CMS ContentInfo); the TSA's signature
// is checked with `openssl ts -verify` against the TSA's CA certificate, which
// the receiver must obtain from the TSA (the case cannot vouch for it).
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import type { CaseStore } from './store.ts';

const SHA256_ALG = Buffer.from('300d06096086480165030402010500', 'hex'); // AlgorithmIdentifier { 2.16.840.1.101.3.4.2.1, NULL }
const OID_TST_INFO = Buffer.from('060b2a864886f70d0109100104', 'hex'); // id-ct-TSTInfo 1.2.840.113549.1.9.16.1.4

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

/** A DER INTEGER from unsigned big-endian bytes (a leading 0x00 keeps it positive). */
function derUnsigned(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return der(0x02, v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

export function timeStampRequest(digest: Buffer, nonce: Buffer): Buffer {
  if (digest.length !== 32) throw new Error('a SHA-256 digest is 32 bytes');
  return der(0x30, der(0x02, Buffer.from([1])), der(0x30, SHA256_ALG, der(0x04, digest)), derUnsigned(nonce), der(0x01, Buffer.from([0xff])));
}

interface Tlv {
  tag: number;
  start: number; // of the tag byte
  body: number; // of the content
  end: number;
}

/** One DER element at `at` (definite lengths only, as DER requires). */
function tlv(b: Buffer, at: number): Tlv {
  if (at + 2 > b.length) throw new Error('truncated DER');
  const tag = b[at];
  let len = b[at + 1];
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || body + n > b.length) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[body + i];
    body += n;
  }
  if (body + len > b.length) throw new Error('truncated DER');
  return { tag, start: at, body, end: body + len };
}

function children(b: Buffer, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = t.body; at < t.end; ) {
    const c = tlv(b, at);
    out.push(c);
    at = c.end;
  }
  return out;
}

export interface TokenInfo {
  digest: string;
  genTime: string;
  nonce: string | null;
}

/**
 * What a token says: the message imprint, genTime (ISO) and nonce, read from
 * its TSTInfo (the eContent of the signed data). Not a signature check.
 */
export function tokenInfo(token: Buffer): TokenInfo {
  const i = token.indexOf(OID_TST_INFO);
  if (i < 0) throw new Error('not an RFC 3161 token (no TSTInfo)');
  // eContentType OID, then [0] EXPLICIT { OCTET STRING { TSTInfo } }
  const wrapper = tlv(token, i + OID_TST_INFO.length);
  const octets = tlv(token, wrapper.body);
  const info = tlv(token, octets.body);
  const f = children(token, info); // version, policy, messageImprint, serialNumber, genTime, [accuracy], [ordering], [nonce], ...
  const imprint = children(token, f[2]);
  const digest = token.subarray(imprint[1].body, imprint[1].end).toString('hex');
  const alg = token.subarray(imprint[0].start, imprint[0].end);
  if (!alg.subarray(0, 13).equals(SHA256_ALG.subarray(0, 13))) throw new Error('the token is not over a SHA-256 digest');
  const g = token.subarray(f[4].body, f[4].end).toString('latin1'); // YYYYMMDDHHMMSS[.fff]Z
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?Z$/.exec(g);
  if (f[4].tag !== 0x18 || !m) throw new Error(`the token's genTime ${JSON.stringify(g)} is not a GeneralizedTime`);
  const genTime = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}Z`;
  const n = f.slice(5).find((x) => x.tag === 0x02);
  return { digest, genTime, nonce: n ? token.subarray(n.body, n.end).toString('hex').replace(/^00/, '') : null };
}

/** The token inside a TimeStampResp, or an error naming the TSA's refusal. */
export function tokenFromResponse(resp: Buffer): Buffer {
  const outer = tlv(resp, 0);
  const parts = children(resp, outer);
  const status = children(resp, parts[0]);
  const code = resp[status[0].end - 1];
  if (status[0].tag !== 0x02 || (code !== 0 && code !== 1)) throw new Error(`the TSA refused the request (PKIStatus ${code})`);
  if (!parts[1]) throw new Error('the TSA granted the request but sent no token');
  return resp.subarray(parts[1].start, parts[1].end);
}

/** `openssl ts -verify` of a token over `data` against a CA file; null when it verifies, else what openssl said. */
export function opensslTsVerify(data: Buffer, token: Buffer, caFile: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'trailcase-ts-'));
  try {
    writeFileSync(join(dir, 'data'), data);
    writeFileSync(join(dir, 'token.der'), token);
    const r = spawnSync('openssl', ['ts', '-verify', '-data', join(dir, 'data'), '-in', join(dir, 'token.der'), '-token_in', '-CAfile', caFile], { encoding: 'utf8' });
    if (r.error) return `openssl could not run (${r.error.message})`;
    return r.status === 0 ? null : `${r.stdout}${r.stderr}`.trim().split('\n').slice(-2).join(' ');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TimestampResult {
  checkpointSeq: number;
  tsa: string;
  genTime: string;
  tokenSha256: string;
}

/**
 * Time-stamp a checkpoint (default: the last) with the TSA at `url` and store
 * the token. With `caFile` the token must pass `openssl ts -verify` first.
 */
export async function timestampCheckpoint(store: CaseStore, url: string, opts: { seq?: number; caFile?: string; timeoutMs?: number } = {}): Promise<TimestampResult> {
  if (!/^https?:\/\//.test(url)) throw new UserError(`--tsa ${url}: a time-stamping authority is an http:// or https:// URL`);
  const cp = (opts.seq === undefined
    ? store.db.prepare('SELECT seq, body FROM checkpoints ORDER BY seq DESC LIMIT 1').get()
    : store.db.prepare('SELECT seq, body FROM checkpoints WHERE seq = ?').get(opts.seq)) as { seq: number; body: string } | undefined;
  if (!cp) throw new UserError('no checkpoint to time-stamp');
  const body = Buffer.from(cp.body, 'utf8');
  const digest = createHash('sha256').update(body).digest();
  const nonce = randomBytes(8);
  let resp: Buffer;
  try {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
      body: new Uint8Array(timeStampRequest(digest, nonce)),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    resp = Buffer.from(await r.arrayBuffer());
  } catch (e) {
    throw new UserError(`time-stamping authority ${url}: ${(e as Error).message}; checkpoint #${cp.seq} is signed but not time-stamped`);
  }
  let token: Buffer;
  let info: TokenInfo;
  try {
    token = tokenFromResponse(resp);
    info = tokenInfo(token);
  } catch (e) {
    throw new UserError(`time-stamping authority ${url}: ${(e as Error).message}`);
  }
  if (info.digest !== digest.toString('hex')) throw new UserError(`time-stamping authority ${url}: the token is over ${info.digest}, not checkpoint #${cp.seq} (${digest.toString('hex')})`);
  if (info.nonce !== nonce.toString('hex').replace(/^00/, '')) throw new UserError(`time-stamping authority ${url}: the token does not answer this request (nonce differs)`);
  if (opts.caFile) {
    const bad = opensslTsVerify(body, token, opts.caFile);
    if (bad) throw new UserError(`time-stamping authority ${url}: the token does not verify against ${opts.caFile}: ${bad}`);
  }
  store.db
    .prepare('INSERT INTO checkpoint_timestamps(checkpoint_seq, tsa_url, digest, token, gen_time, received_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(cp.seq, url, digest.toString('hex'), token, info.genTime, new Date().toISOString());
  return { checkpointSeq: cp.seq, tsa: url, genTime: info.genTime, tokenSha256: createHash('sha256').update(token).digest('hex') };
}

/** Every stored token checked against its checkpoint's text (for `trailcase verify`). */
export function checkTimestamps(store: CaseStore): { where: string; message: string }[] {
  const has = store.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoint_timestamps'").get();
  if (!has) return [];
  const problems: { where: string; message: string }[] = [];
  const bodyOf = store.db.prepare('SELECT body FROM checkpoints WHERE seq = ?');
  for (const t of store.db.prepare('SELECT id, checkpoint_seq, tsa_url, digest, token, gen_time FROM checkpoint_timestamps ORDER BY id').all() as any[]) {
    const where = `timestamp:${t.id}`;
    const cp = bodyOf.get(t.checkpoint_seq) as { body: string } | undefined;
    if (!cp) {
      problems.push({ where, message: `time-stamp ${t.id} is for checkpoint #${t.checkpoint_seq}, which is not in the case` });
      continue;
    }
    const want = createHash('sha256').update(cp.body, 'utf8').digest('hex');
    try {
      const info = tokenInfo(Buffer.from(t.token));
      if (info.digest !== want) problems.push({ where, message: `time-stamp ${t.id} from ${t.tsa_url} is over ${info.digest}, not over checkpoint #${t.checkpoint_seq} (${want})` });
      else if (info.genTime !== t.gen_time) problems.push({ where, message: `time-stamp ${t.id}: the token says ${info.genTime}, the row says ${t.gen_time}` });
    } catch (e) {
      problems.push({ where, message: `time-stamp ${t.id} from ${t.tsa_url}: ${(e as Error).message}` });
    }
  }
  return problems;
}
