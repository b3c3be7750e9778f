// Validating CloudTrail digests and log files offline: the chain of digests,
// their signatures, and every log file's hash against the digest that lists it
// (aws-cli DigestTraverser is the reference). Pure: no I/O, no clock.
import { GzipFormatError } from '../../case/gzip.ts';
import { cloudTrailKeyPath, parseCloudTrailKey } from './cloudtrail-keys.ts';
import { inflateObject, parseDigest, sha256Hex, verifyDigestSignature } from './digest-parse.ts';
import {
  DEFAULT_DELIVERY_SLACK_MS,
  DIGEST_STATUSES,
  DIGEST_VALIDATOR_UNIT,
  DigestFormatError,
  HASH_ALGORITHM,
  HOUR_MS,
  LOG_FILE_STATUSES,
  SIGNATURE_ALGORITHM,
  type CloudTrailKeyInfo,
  type DigestInput,
  type DigestLogFileEntry,
  type DigestResult,
  type LogFileResult,
  type LogFileStatus,
  type LogInput,
  type ParsedDigest,
  type ValidateInput,
  type ValidationIssue,
  type ValidationResult,
} from './digest-types.ts';

interface DigestState {
  input: DigestInput;
  index: number;
  path: string;
  bucket: string | null;
  keyInfo: CloudTrailKeyInfo | null;
  parsed: ParsedDigest | null;
  error: DigestFormatError | null;
  result: DigestResult;
  successor: DigestState | null;
  moved: string | null;
}

interface LogState {
  input: LogInput;
  path: string;
  bucket: string | null;
  keyInfo: CloudTrailKeyInfo | null;
  sha256: string | null;
  gzipError: string | null;
}

interface Window {
  scope: string; // org/account/region
  from: number;
  to: number;
  failure: boolean;
  detail: string;
  file: string;
}

/**
 * Time windows per scope, bucketed by hour, so classifying N log files
 * against M digests costs O(N + M) rather than O(N x M) (a year of hourly
 * digests per region is ~8800 digests).
 */
class WindowIndex<W extends { scope: string; from: number; to: number }> {
  private readonly buckets = new Map<string, W[]>();
  add(w: W, pad: number): void {
    const first = Math.floor((w.from - pad) / HOUR_MS);
    const last = Math.floor((w.to + pad) / HOUR_MS);
    // A window longer than ~10 years is not a CloudTrail period; clamp the bucket span.
    for (let h = first; h <= Math.min(last, first + 87_600); h++) {
      const k = `${w.scope}|${h}`;
      const list = this.buckets.get(k);
      if (list) list.push(w);
      else this.buckets.set(k, [w]);
    }
  }
  find(scope: string, t: number, pred: (w: W) => boolean): W | undefined {
    return this.buckets.get(`${scope}|${Math.floor(t / HOUR_MS)}`)?.find(pred);
  }
}

const LOG_RANK: Record<LogFileStatus, number> = {
  valid: 0,
  'signature-unavailable': 1,
  'no-public-key': 2,
  'not-in-any-digest': 3,
  'digest-missing': 4,
  'digest-signature-invalid': 5,
  'hash-mismatch': 6,
  'bad-gzip': 7,
};

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

function scopeOf(k: { orgId: string | null; account: string; region: string }): string {
  return `${k.orgId ?? '-'}/${k.account}/${k.region}`;
}

function emptyCounts<T extends string>(keys: readonly T[]): Record<T, number> {
  const out = {} as Record<T, number>;
  for (const k of keys) out[k] = 0;
  return out;
}

/** Pick the entry among same-path candidates, honouring the bucket when both sides know it. */
function pick<T extends { bucket: string | null }>(cands: T[] | undefined, bucket: string | null): T | undefined {
  if (!cands || cands.length === 0) return undefined;
  if (bucket === null) return cands[0];
  return cands.find((c) => c.bucket === null || c.bucket === bucket);
}

/**
 * Validate CloudTrail digests and log files offline. Pure apart from CPU work:
 * no I/O, no clock; the result depends only on the input.
 */
export function validateCloudTrail(input: ValidateInput): ValidationResult {
  const opts = input.options ?? {};
  const slack = opts.deliverySlackMs ?? DEFAULT_DELIVERY_SLACK_MS;
  const failures: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  const fail = (code: string, file: string, message: string) => failures.push({ code, file, message });
  const warn = (code: string, file: string, message: string) => warnings.push({ code, file, message });

  // ---- digests: parse, locate
  const digests: DigestState[] = input.digests.map((d, index) => {
    const path = cloudTrailKeyPath(d.key);
    const bucket = d.bucket ?? null;
    const state: DigestState = {
      input: d,
      index,
      path,
      bucket,
      keyInfo: parseCloudTrailKey(d.key),
      parsed: null,
      error: null,
      successor: null,
      moved: null,
      result: {
        key: d.key,
        bucket,
        status: 'valid',
        detail: '',
        signature: 'unavailable',
        signatureSource: null,
        signatureDetail: '',
        keyFingerprint: null,
        chain: 'unchecked',
        chainDetail: '',
        gapBefore: null,
        account: null,
        region: null,
        trailName: null,
        homeRegion: null,
        backfill: false,
        digestStartTime: null,
        digestEndTime: null,
        sha256: null,
        logFilesListed: 0,
        logFilesPresent: 0,
      },
    };
    try {
      state.parsed = parseDigest(d.bytes, d.key, opts.limits);
    } catch (err) {
      if (!(err instanceof DigestFormatError)) throw err;
      state.error = err;
    }
    const r = state.result;
    if (state.parsed) {
      const dg = state.parsed.digest;
      // The digest names its own location; the signature covers that name, so a
      // digest stored under another name is out of place (aws-cli: "has been
      // moved from its original location").
      const own = parseCloudTrailKey(dg.digestS3Object);
      if (own) state.keyInfo = own;
      if (cloudTrailKeyPath(dg.digestS3Object) !== path) state.moved = `stored as ${path} but the digest says it is ${dg.digestS3Object}`;
      else if (bucket !== null && bucket !== dg.digestS3Bucket) state.moved = `stored in bucket ${bucket} but the digest says ${dg.digestS3Bucket}`;
      else if (bucket !== null && d.key.replace(/\\/g, '/') !== dg.digestS3Object) state.moved = `stored as s3://${bucket}/${d.key} but the digest says s3://${dg.digestS3Bucket}/${dg.digestS3Object}`;
      r.digestStartTime = dg.digestStartTime;
      r.digestEndTime = dg.digestEndTime;
      r.sha256 = state.parsed.sha256;
      r.keyFingerprint = dg.digestPublicKeyFingerprint;
      r.logFilesListed = dg.logFiles.length;
    }
    if (state.keyInfo) {
      r.account = state.keyInfo.account;
      r.region = state.keyInfo.region;
      r.trailName = state.keyInfo.trailName;
      r.homeRegion = state.keyInfo.homeRegion;
      r.backfill = state.keyInfo.backfill;
    }
    return state;
  });

  const digestByPath = new Map<string, DigestState[]>();
  for (const s of digests) {
    const list = digestByPath.get(s.path) ?? [];
    if (list.length > 0) warn('duplicate-input', s.input.key, `digest ${s.path} is given more than once; the first one is used for the chain`);
    list.push(s);
    digestByPath.set(s.path, list);
  }
  const lookupDigest = (s3Object: string, s3Bucket: string | null): DigestState | undefined =>
    pick(digestByPath.get(cloudTrailKeyPath(s3Object)), s3Bucket);

  // ---- successors (whose previousDigestSignature is this digest's signature)
  for (const d of digests) {
    const dg = d.parsed?.digest;
    if (!dg || dg.previousDigestS3Object === null) continue;
    const p = lookupDigest(dg.previousDigestS3Object, dg.previousDigestS3Bucket);
    if (!p) continue;
    if (p.successor && p.successor !== d) {
      warn('chain-fork', d.input.key, `both ${p.successor.input.key} and ${d.input.key} name ${p.input.key} as their previous digest`);
      continue;
    }
    p.successor = d;
  }

  // ---- signatures
  for (const d of digests) {
    const r = d.result;
    if (!d.parsed) continue;
    const dg = d.parsed.digest;
    const meta = d.input.signature?.trim() ? d.input.signature.trim().toLowerCase() : null;
    const fromNext = d.successor?.parsed?.digest.previousDigestSignature?.toLowerCase() ?? null;
    const sig = meta ?? fromNext;
    r.signatureSource = meta ? 'metadata' : fromNext ? 'next-digest' : null;
    if (dg.digestSignatureAlgorithm !== SIGNATURE_ALGORITHM) {
      r.signature = 'invalid';
      r.signatureDetail = `unsupported digestSignatureAlgorithm ${JSON.stringify(dg.digestSignatureAlgorithm)} (CloudTrail uses ${SIGNATURE_ALGORITHM})`;
      continue;
    }
    if (meta && d.input.signatureAlgorithm && d.input.signatureAlgorithm.trim() !== SIGNATURE_ALGORITHM) {
      r.signature = 'invalid';
      r.signatureDetail = `x-amz-meta-signature-algorithm is ${JSON.stringify(d.input.signatureAlgorithm)}, not ${SIGNATURE_ALGORITHM}`;
      continue;
    }
    if (sig === null) {
      r.signature = 'unavailable';
      r.signatureDetail = 'no x-amz-meta-signature was preserved and no later digest in the input carries its signature (previousDigestSignature)';
      continue;
    }
    const fp = dg.digestPublicKeyFingerprint;
    const withFp = input.publicKeys.filter((k) => k.fingerprint === fp);
    const usable = withFp.filter(
      (k) => (k.validityStart === null || k.validityStart <= d.parsed!.endMs) && (k.validityEnd === null || d.parsed!.endMs <= k.validityEnd),
    );
    if (withFp.length === 0) {
      r.signature = 'no-key';
      r.signatureDetail = `no public key with fingerprint ${fp} in the key list (${input.publicKeys.length} key(s)); list-public-keys must be run for region ${d.keyInfo?.homeRegion ?? d.keyInfo?.region ?? '?'} and this time`;
      continue;
    }
    if (usable.length === 0) {
      const k = withFp[0];
      r.signature = 'no-key';
      r.signatureDetail = `public key ${fp} is valid from ${k.validityStart === null ? '-' : iso(k.validityStart)} to ${k.validityEnd === null ? '-' : iso(k.validityEnd)}, which does not include digestEndTime ${dg.digestEndTime}`;
      continue;
    }
    const ok = usable.some((k) => verifyDigestSignature(d.parsed!, sig, k.key));
    const src = r.signatureSource === 'metadata' ? 'x-amz-meta-signature' : `previousDigestSignature of ${d.successor!.input.key}`;
    if (ok) {
      r.signature = 'valid';
      r.signatureDetail = `RSA/SHA-256 signature from ${src} verified with key ${fp}`;
    } else {
      r.signature = 'invalid';
      r.signatureDetail = `RSA/SHA-256 signature from ${src} does NOT verify with key ${fp}: the digest was altered or not signed by CloudTrail`;
    }
  }

  // ---- chains: one per trail + delivering region (+ home region, org)
  const missingWindows: Window[] = [];
  const chains = new Map<string, DigestState[]>();
  for (const d of digests) {
    if (!d.parsed) continue;
    const k = d.keyInfo;
    const id = k ? `${scopeOf(k)}/${k.trailName}/${k.homeRegion}` : `?/${d.parsed.digest.digestS3Bucket}`;
    const list = chains.get(id) ?? [];
    list.push(d);
    chains.set(id, list);
  }
  const checkLink = (d: DigestState, p: DigestState): string[] => {
    const dg = d.parsed!.digest;
    const problems: string[] = [];
    if (!p.parsed) return [`previous digest ${p.input.key} is unreadable (${p.error?.message ?? 'unknown error'})`];
    const pd = p.parsed.digest;
    if (dg.previousDigestS3Bucket !== null && dg.previousDigestS3Bucket !== pd.digestS3Bucket) {
      problems.push(`previousDigestS3Bucket ${dg.previousDigestS3Bucket} is not the previous digest's bucket ${pd.digestS3Bucket}`);
    }
    if (dg.previousDigestHashAlgorithm !== HASH_ALGORITHM) problems.push(`previousDigestHashAlgorithm is ${JSON.stringify(dg.previousDigestHashAlgorithm)}, not ${HASH_ALGORITHM}`);
    else if (dg.previousDigestHashValue !== p.parsed.sha256) {
      problems.push(`previousDigestHashValue ${dg.previousDigestHashValue} differs from the SHA-256 of ${p.input.key} (${p.parsed.sha256}): the previous digest was altered`);
    }
    const pMeta = p.input.signature?.trim() ? p.input.signature.trim().toLowerCase() : null;
    if (pMeta !== null && dg.previousDigestSignature?.toLowerCase() !== pMeta) {
      problems.push(`previousDigestSignature differs from the x-amz-meta-signature of ${p.input.key}`);
    }
    return problems;
  };
  for (const list of chains.values()) {
    const hourly = list.filter((d) => !d.keyInfo?.backfill).sort((a, b) => a.parsed!.endMs - b.parsed!.endMs || a.index - b.index);
    const backfill = list.filter((d) => d.keyInfo?.backfill);
    hourly.forEach((d, i) => {
      const r = d.result;
      const dg = d.parsed!.digest;
      const before = i > 0 ? hourly[i - 1] : null;
      const scope = d.keyInfo ? scopeOf(d.keyInfo) : '?';
      if (dg.previousDigestS3Object === null) {
        r.chain = 'start';
        r.chainDetail = 'starting digest: CloudTrail (re)started the digest chain here (previous* fields are null)';
        if (before) {
          r.gapBefore = { from: before.parsed!.digest.digestEndTime, to: dg.digestStartTime, reason: 'chain-restart' };
          warn('gap', d.input.key, `digest chain restarts: no digest covers ${before.parsed!.digest.digestEndTime} to ${dg.digestStartTime} (logging or log file validation was off, or the trail was stopped)`);
        }
        return;
      }
      const p = lookupDigest(dg.previousDigestS3Object, dg.previousDigestS3Bucket);
      if (!p) {
        const prevInfo = parseCloudTrailKey(dg.previousDigestS3Object);
        const missingEnd = prevInfo?.timeMs ?? d.parsed!.startMs;
        if (!before) {
          r.chain = 'edge';
          r.chainDetail = `previous digest ${dg.previousDigestS3Object} is not in the input and nothing earlier of this chain is: the chain continues before the acquired range`;
          missingWindows.push({
            scope,
            from: missingEnd - HOUR_MS,
            to: d.parsed!.startMs,
            failure: false,
            detail: `the digest covering it (${dg.previousDigestS3Object}) is before the acquired digests and not in the input`,
            file: d.input.key,
          });
          return;
        }
        r.chain = 'broken';
        r.chainDetail = `previous digest ${dg.previousDigestS3Bucket ?? '?'}/${dg.previousDigestS3Object} is missing between ${before.input.key} and this digest`;
        r.gapBefore = { from: before.parsed!.digest.digestEndTime, to: dg.digestStartTime, reason: 'previous-digest-missing' };
        fail('chain-broken', d.input.key, `chain broken: ${r.chainDetail} (deleted digest; no integrity evidence for ${before.parsed!.digest.digestEndTime} to ${dg.digestStartTime})`);
        missingWindows.push({
          scope,
          from: before.parsed!.endMs,
          to: d.parsed!.startMs,
          failure: true,
          detail: `the digest covering it (${dg.previousDigestS3Object}) is missing from the chain`,
          file: d.input.key,
        });
        return;
      }
      const problems = checkLink(d, p);
      if (problems.length > 0) {
        r.chain = 'broken';
        r.chainDetail = `link to previous digest ${p.input.key}: ${problems.join('; ')}`;
        fail('chain-broken', d.input.key, `chain broken: ${r.chainDetail}`);
      } else {
        r.chain = 'ok';
        r.chainDetail = `links to ${p.input.key}: name, SHA-256 and signature match`;
      }
      if (p.parsed) {
        if (before && before !== p) {
          warn('chain-fork', d.input.key, `previous digest ${p.input.key} is not the latest earlier digest (${before.input.key}) of this chain`);
        }
        if (p.parsed.endMs !== d.parsed!.startMs) {
          r.gapBefore = { from: p.parsed.digest.digestEndTime, to: dg.digestStartTime, reason: 'time-discontinuity' };
          warn('gap', d.input.key, `digestStartTime ${dg.digestStartTime} does not follow the previous digest's digestEndTime ${p.parsed.digest.digestEndTime}`);
        }
      }
    });
    // Backfill digests carry logs CloudTrail could not include on time; they
    // are checked like any digest but do not take part in hourly sequencing.
    for (const d of backfill) {
      const r = d.result;
      const dg = d.parsed!.digest;
      if (dg.previousDigestS3Object === null) {
        r.chain = 'start';
        r.chainDetail = 'backfill digest without a previous digest';
        continue;
      }
      const p = lookupDigest(dg.previousDigestS3Object, dg.previousDigestS3Bucket);
      if (!p) {
        r.chain = 'edge';
        r.chainDetail = `previous digest ${dg.previousDigestS3Object} of this backfill digest is not in the input`;
        continue;
      }
      const problems = checkLink(d, p);
      r.chain = problems.length ? 'broken' : 'ok';
      r.chainDetail = problems.length ? `link to previous digest ${p.input.key}: ${problems.join('; ')}` : `links to ${p.input.key}`;
      if (problems.length) fail('chain-broken', d.input.key, `chain broken: ${r.chainDetail}`);
    }
  }

  // Unreadable digests: their hour (from the object name) has no usable digest.
  for (const d of digests) {
    if (d.parsed) continue;
    const r = d.result;
    r.status = 'unreadable';
    r.chain = 'unchecked';
    r.detail = d.error!.message;
    fail(d.error!.code === 'bad-gzip' ? 'bad-gzip' : 'digest-unreadable', d.input.key, d.error!.message);
    if (d.keyInfo && !d.keyInfo.backfill) {
      missingWindows.push({
        scope: scopeOf(d.keyInfo),
        from: d.keyInfo.timeMs - HOUR_MS,
        to: d.keyInfo.timeMs,
        failure: true,
        detail: `the digest covering it (${d.input.key}) is unreadable`,
        file: d.input.key,
      });
    }
  }

  const missingIndex = new WindowIndex<Window>();
  for (const w of missingWindows) missingIndex.add(w, slack);

  // ---- log files
  const logs: LogState[] = input.logs.map((l) => {
    const st: LogState = { input: l, path: cloudTrailKeyPath(l.key), bucket: l.bucket ?? null, keyInfo: parseCloudTrailKey(l.key), sha256: null, gzipError: null };
    try {
      st.sha256 = sha256Hex(inflateObject(l.bytes, opts.limits));
    } catch (err) {
      if (!(err instanceof GzipFormatError)) throw err;
      st.gzipError = err.message;
    }
    return st;
  });
  const logByPath = new Map<string, LogState[]>();
  for (const l of logs) {
    const list = logByPath.get(l.path) ?? [];
    if (list.length > 0) warn('duplicate-input', l.input.key, `log file ${l.path} is given more than once`);
    list.push(l);
    logByPath.set(l.path, list);
  }

  // Which digests list each log; which listed logs are absent.
  const listedIn = new Map<LogState, { d: DigestState; entry: DigestLogFileEntry }[]>();
  const missingLogs: ValidationResult['missingLogs'] = [];
  for (const d of digests) {
    if (!d.parsed) continue;
    let present = 0;
    const absent: string[] = [];
    for (const entry of d.parsed.digest.logFiles) {
      const l = pick(logByPath.get(cloudTrailKeyPath(entry.s3Object)), entry.s3Bucket);
      if (!l) {
        missingLogs.push({ bucket: entry.s3Bucket, key: entry.s3Object, digestKey: d.input.key });
        absent.push(entry.s3Object);
        continue;
      }
      present++;
      const list = listedIn.get(l) ?? [];
      list.push({ d, entry });
      listedIn.set(l, list);
    }
    d.result.logFilesPresent = present;
    if (absent.length > 0) {
      const msg = `${absent.length} of ${d.parsed.digest.logFiles.length} log file(s) listed in this digest are not in the input (first: ${absent[0]})`;
      if (opts.missingLogs === 'fail') fail('missing-log', d.input.key, msg);
      else warn('missing-log', d.input.key, msg);
    }
  }

  // Scopes with more than one trail chain cannot attribute an unlisted log to a trail.
  const trailsPerScope = new Map<string, Set<string>>();
  const covered = new WindowIndex<{ scope: string; from: number; to: number; key: string }>();
  for (const d of digests) {
    if (!d.parsed || !d.keyInfo) continue;
    const sc = scopeOf(d.keyInfo);
    const set = trailsPerScope.get(sc) ?? new Set<string>();
    set.add(`${d.keyInfo.trailName}/${d.keyInfo.homeRegion}`);
    trailsPerScope.set(sc, set);
    if (!d.keyInfo.backfill) covered.add({ scope: sc, from: d.parsed.startMs, to: d.parsed.endMs, key: d.input.key }, 0);
  }

  // Digest-level outcomes that logs inherit.
  for (const d of digests) {
    if (!d.parsed) continue;
    const r = d.result;
    if (d.moved) {
      r.status = 'moved';
      r.detail = `digest is out of place: ${d.moved}`;
      fail('digest-moved', d.input.key, r.detail);
    } else if (r.signature === 'invalid') {
      r.status = 'signature-invalid';
      r.detail = r.signatureDetail;
    } else if (r.chain === 'broken') {
      r.status = 'chain-broken';
      r.detail = r.chainDetail;
    } else if (r.signature === 'no-key') {
      r.status = 'no-public-key';
      r.detail = r.signatureDetail;
    } else if (r.signature === 'unavailable') {
      r.status = 'signature-unavailable';
      r.detail = r.signatureDetail;
    } else {
      r.status = 'valid';
      r.detail = `${r.signatureDetail}; chain: ${r.chain}`;
    }
    if (r.signature === 'invalid') fail('digest-signature-invalid', d.input.key, r.signatureDetail);
    else if (r.signature === 'no-key') warn('no-public-key', d.input.key, r.signatureDetail);
    else if (r.signature === 'unavailable') warn('signature-unavailable', d.input.key, r.signatureDetail);
  }

  const logResults: LogFileResult[] = logs.map((l) => {
    const entries = listedIn.get(l) ?? [];
    const res: LogFileResult = {
      key: l.input.key,
      bucket: l.bucket,
      status: 'valid',
      detail: '',
      digestKeys: entries.map((e) => e.d.input.key),
      expectedSha256: entries[0]?.entry.hashValue ?? null,
      actualSha256: l.sha256,
    };
    if (l.gzipError !== null) {
      res.status = 'bad-gzip';
      res.detail = `not a clean gzip file: ${l.gzipError}`;
      fail('bad-gzip', l.input.key, res.detail);
      return res;
    }
    if (entries.length === 0) {
      const t = l.keyInfo?.timeMs;
      const sc = l.keyInfo ? scopeOf(l.keyInfo) : null;
      const win = t !== undefined ? missingIndex.find(sc!, t, (w) => w.from - slack < t && t <= w.to) : undefined;
      if (win) {
        res.status = 'digest-missing';
        res.detail = `not listed in any digest in the input; ${win.detail}`;
        (win.failure ? fail : warn)('digest-missing', l.input.key, res.detail);
        return res;
      }
      res.status = 'not-in-any-digest';
      const cover = t !== undefined ? covered.find(sc!, t, (c) => c.from <= t && t <= c.to - slack) : undefined;
      if (cover && (trailsPerScope.get(sc!)?.size ?? 0) === 1) {
        res.detail = `not listed in any digest, although digest ${cover.key} covers its time (${iso(t!)}) and would list it: the file was added or renamed after delivery`;
        fail('not-in-any-digest', l.input.key, res.detail);
      } else {
        res.detail = l.keyInfo
          ? 'not listed in any digest in the input (its digest is outside the acquired range, or it was delivered without log file validation)'
          : 'not listed in any digest in the input, and the name is not a CloudTrail log file name';
        warn('not-in-any-digest', l.input.key, res.detail);
      }
      return res;
    }
    let worst: { status: LogFileStatus; detail: string } = { status: 'valid', detail: '' };
    for (const { d, entry } of entries) {
      let st: LogFileStatus;
      let detail: string;
      if (entry.hashValue !== l.sha256) {
        st = 'hash-mismatch';
        detail = `SHA-256 of the decompressed file is ${l.sha256}, digest ${d.input.key} says ${entry.hashValue}: the log file was altered`;
        res.expectedSha256 = entry.hashValue;
      } else if (d.result.signature === 'invalid') {
        st = 'digest-signature-invalid';
        detail = `hash matches digest ${d.input.key}, but that digest's signature is invalid (${d.result.signatureDetail})`;
      } else if (d.result.signature === 'no-key') {
        st = 'no-public-key';
        detail = `hash matches digest ${d.input.key}, whose signature could not be checked: ${d.result.signatureDetail}`;
      } else if (d.result.signature === 'unavailable') {
        st = 'signature-unavailable';
        detail = `hash matches digest ${d.input.key} (chain: ${d.result.chain}), but that digest's signature is not available (no object metadata, no later digest)`;
      } else {
        st = 'valid';
        detail = `hash matches digest ${d.input.key}, whose signature verified (chain: ${d.result.chain})`;
      }
      if (LOG_RANK[st] > LOG_RANK[worst.status] || worst.detail === '') worst = { status: st, detail };
    }
    res.status = worst.status;
    res.detail = worst.detail;
    if (res.status === 'hash-mismatch') fail('hash-mismatch', l.input.key, res.detail);
    else if (res.status === 'digest-signature-invalid') fail('digest-signature-invalid', l.input.key, res.detail);
    return res;
  });

  const counts = { logs: emptyCounts(LOG_FILE_STATUSES), digests: emptyCounts(DIGEST_STATUSES) };
  for (const l of logResults) counts.logs[l.status]++;
  const digestResults = digests.map((d) => d.result);
  for (const d of digestResults) counts.digests[d.status]++;

  return {
    validator: { ...DIGEST_VALIDATOR_UNIT },
    ok: failures.length === 0,
    logs: logResults,
    digests: digestResults,
    missingLogs,
    failures,
    warnings,
    counts,
  };
}
