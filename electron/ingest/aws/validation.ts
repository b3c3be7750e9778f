// CloudTrail's own integrity chain, checked on the case's preserved copies
// (README.md, "Acquisition from AWS"). Wires the digest engineer's validateCloudTrail (./digest.ts) into
// `trailcase verify` (a registered source validator) and into listEvidence
// (each item's result). Inputs come only from the case: S3 objects (key,
// bucket, x-amz-meta-signature from originMeta), local folder imports in
// CloudTrail's layout (originMeta.s3Key; no bucket, no signatures, as
// `aws s3 sync` leaves them) and the public keys preserved as evidence.
//
// Per object one result. Names follow the digest engineer's statuses; the
// issue decides failure vs warning: "exit ... 3 when the case is intact but a
// source fails CloudTrail's validation ... Gaps and missing keys are warnings,
// not failures". So a digest whose predecessor is missing (a gap) and a log
// file whose digest is not in the case are 'digest-missing' (warning), and
// 'not-in-any-digest' is kept for log files that a digest in the case should
// list but does not (a file added after delivery: failure).
import type { ValidationPopulation } from '../../../shared/api/acquire.ts';
import type { VerifyReport } from '../../../shared/types.ts';
import { evidenceBytes } from '../../case/evidence.ts';
import type { CaseStore } from '../../case/store.ts';
import { custodyActionCount, custodyDetailsOf } from '../../case/data/acquisition.ts';
import { evidenceFormatCounts, evidenceOfKinds, evidenceStamp } from '../../case/data/evidence.ts';
import {
  parseCloudTrailKey,
  validateCloudTrail,
  type DigestInput,
  type DigestResult,
  type LogFileResult,
  type LogInput,
  type ValidationIssue,
} from './digest.ts';
import { casePublicKeys, PUBLIC_KEYS_FORMAT } from './public-keys-store.ts';

export const CASE_VALIDATION_UNIT = { name: 'cloudtrail-case-validation', version: '1.0.0' } as const;

/** Every result this module reports, with its severity (verify's SOURCE_FAILURES must equal the failures). */
export const RESULT_SEVERITY = {
  valid: 'ok',
  'hash-mismatch': 'failure',
  'digest-signature-invalid': 'failure',
  'not-in-any-digest': 'failure',
  'chain-broken': 'failure',
  'bad-gzip': 'failure',
  'digest-unreadable': 'failure',
  'digest-moved': 'failure',
  'digest-missing': 'warning',
  'no-public-key': 'warning',
  'signature-unavailable': 'warning',
} as const;
export type CaseValidationResult = keyof typeof RESULT_SEVERITY;

/** Custody action recording the S3 identity of an object whose bytes were already in the case (see s3-source.ts). */
export const S3_DUPLICATE_ACTION = 'acquire.s3-duplicate';

export interface ObjectValidation {
  evidenceId: number;
  origin: string;
  kind: 'log' | 'digest';
  key: string;
  bucket: string | null;
  result: CaseValidationResult;
  detail: string;
}

export interface CaseValidationReport {
  validator: { name: string; version: string; digestValidator: { name: string; version: string } | null };
  objects: ObjectValidation[];
  digests: (DigestResult & { evidenceId: number })[];
  counts: Record<string, number>;
  failures: number;
  warnings: number;
  publicKeys: { count: number; sources: number[]; problems: string[] };
  /** Log files listed in digests but not in the case (a partial acquisition, or deleted files). */
  missingLogs: number;
  issues: { failures: ValidationIssue[]; warnings: ValidationIssue[] };
}

interface Candidate {
  id: number;
  origin: string;
  kind: 'log' | 'digest';
  key: string;
  bucket: string | null;
  signature: string | null;
  signatureAlgorithm: string | null;
  group: string;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function metaValue(meta: unknown, name: string): string | null {
  if (!meta || typeof meta !== 'object') return null;
  for (const [k, v] of Object.entries(meta as Record<string, unknown>)) if (k.toLowerCase() === name) return str(v);
  return null;
}

/** Evidence items that are CloudTrail log or digest files by their S3 key (S3 objects) or layout path (folders). */
function candidates(store: CaseStore): Candidate[] {
  const dupMeta = new Map<number, { bucket: string | null; metadata: unknown }>();
  for (const details of custodyDetailsOf(store.reader, S3_DUPLICATE_ACTION)) {
    try {
      const d = JSON.parse(details);
      if (typeof d.evidenceId === 'number' && !dupMeta.has(d.evidenceId)) dupMeta.set(d.evidenceId, { bucket: str(d.bucket), metadata: d.metadata });
    } catch {
      /* verify reports custody problems itself */
    }
  }
  const out: Candidate[] = [];
  const rows = evidenceOfKinds(store.reader, ['s3-object', 'file']);
  for (const r of rows) {
    let meta: Record<string, unknown>;
    try {
      meta = JSON.parse(r.origin_meta);
    } catch {
      continue;
    }
    const key = r.kind === 's3-object' ? str(meta.key) : str(meta.s3Key);
    if (!key) continue;
    const info = parseCloudTrailKey(key);
    const isDigest = info?.kind === 'digest' || (r.format === 'cloudtrail-digest' && key.includes('/CloudTrail-Digest/'));
    const isLog = !isDigest && info?.kind === 'log';
    if (!isDigest && !isLog) continue;
    let bucket = r.kind === 's3-object' ? str(meta.bucket) : null;
    let signature = metaValue(meta.metadata, 'signature');
    let signatureAlgorithm = metaValue(meta.metadata, 'signature-algorithm');
    const dup = dupMeta.get(r.id);
    if (dup && signature === null) {
      // Bytes first preserved from a folder copy; the S3 object with the same bytes carried the signature.
      signature = metaValue(dup.metadata, 'signature');
      signatureAlgorithm = metaValue(dup.metadata, 'signature-algorithm');
      bucket ??= dup.bucket;
    }
    out.push({
      id: r.id,
      origin: r.origin,
      kind: isDigest ? 'digest' : 'log',
      key,
      bucket,
      signature,
      signatureAlgorithm,
      group: info ? `${info.orgId ?? '-'}/${info.account}/${info.region}` : '?',
    });
  }
  return out;
}

function logResult(l: LogFileResult, failed: Set<string>): { result: CaseValidationResult; detail: string } {
  switch (l.status) {
    case 'not-in-any-digest':
      // The digest engineer fails it only when a digest in the input covers its time; otherwise its digest is simply not in the case.
      return failed.has(l.key) ? { result: 'not-in-any-digest', detail: l.detail } : { result: 'digest-missing', detail: l.detail };
    default:
      return { result: l.status, detail: l.detail };
  }
}

function digestResult(d: DigestResult): { result: CaseValidationResult; detail: string } {
  switch (d.status) {
    case 'valid':
      return { result: 'valid', detail: d.detail };
    case 'signature-invalid':
      return { result: 'digest-signature-invalid', detail: d.detail };
    case 'chain-broken':
      // Only the missing predecessor (a gap) is a warning; a link that does not match is tampering.
      if (d.gapBefore?.reason === 'previous-digest-missing' && /is missing between/.test(d.chainDetail)) {
        return { result: 'digest-missing', detail: `gap in the digest chain before this digest: ${d.chainDetail}` };
      }
      return { result: 'chain-broken', detail: d.detail };
    case 'unreadable':
      return { result: /gzip/i.test(d.detail) ? 'bad-gzip' : 'digest-unreadable', detail: d.detail };
    case 'moved':
      return { result: 'digest-moved', detail: d.detail };
    case 'no-public-key':
      return { result: 'no-public-key', detail: d.detail };
    case 'signature-unavailable':
      return { result: 'signature-unavailable', detail: `signatures were unavailable (no x-amz-meta-signature, e.g. a folder from aws s3 sync): ${d.detail}` };
  }
}

/** Validate every CloudTrail log and digest file in the case; one account/Region chain at a time to bound memory. */
export function validateCase(store: CaseStore): CaseValidationReport {
  const cands = candidates(store);
  const pk = cands.length ? casePublicKeys(store) : { keys: [], problems: [], sources: [] };
  const report: CaseValidationReport = {
    validator: { ...CASE_VALIDATION_UNIT, digestValidator: null },
    objects: [],
    digests: [],
    counts: {},
    failures: 0,
    warnings: 0,
    publicKeys: { count: pk.keys.length, sources: pk.sources, problems: pk.problems },
    missingLogs: 0,
    issues: { failures: [], warnings: [] },
  };
  const groups = new Map<string, Candidate[]>();
  for (const c of cands) {
    const list = groups.get(c.group) ?? [];
    list.push(c);
    groups.set(c.group, list);
  }
  for (const list of [...groups.keys()].sort().map((k) => groups.get(k)!)) {
    const digests = list.filter((c) => c.kind === 'digest');
    const logs = list.filter((c) => c.kind === 'log');
    // Bytes are read from the case when the validator asks for them (once per file, to hash it), so memory holds one
    // log file at a time rather than a whole Region's year of logs.
    const lazy = <T extends object>(c: Candidate, o: T): T & { bytes: Buffer } =>
      Object.defineProperty(o, 'bytes', { get: () => evidenceBytes(store, c.id), enumerable: true }) as T & { bytes: Buffer };
    const res = validateCloudTrail({
      digests: digests.map((c): DigestInput => lazy(c, { key: c.key, bucket: c.bucket, signature: c.signature, signatureAlgorithm: c.signatureAlgorithm })),
      logs: logs.map((c): LogInput => lazy(c, { key: c.key, bucket: c.bucket })),
      publicKeys: pk.keys,
    });
    report.validator.digestValidator = res.validator;
    const failed = new Set(res.failures.map((f) => f.file));
    res.logs.forEach((l, i) => {
      const c = logs[i];
      const r = logResult(l, failed);
      report.objects.push({ evidenceId: c.id, origin: c.origin, kind: 'log', key: c.key, bucket: c.bucket, ...r });
    });
    res.digests.forEach((d, i) => {
      const c = digests[i];
      const r = digestResult(d);
      report.objects.push({ evidenceId: c.id, origin: c.origin, kind: 'digest', key: c.key, bucket: c.bucket, ...r });
      report.digests.push({ ...d, evidenceId: c.id });
    });
    report.missingLogs += res.missingLogs.length;
    report.issues.failures.push(...res.failures);
    report.issues.warnings.push(...res.warnings);
  }
  report.objects.sort((a, b) => a.evidenceId - b.evidenceId);
  for (const o of report.objects) {
    report.counts[o.result] = (report.counts[o.result] ?? 0) + 1;
    if (RESULT_SEVERITY[o.result] === 'failure') report.failures++;
    else if (RESULT_SEVERITY[o.result] === 'warning') report.warnings++;
  }
  return report;
}

/** How many log and digest files the case holds, by format, and how many of them are in the S3 key layout. */
export function validationPopulation(store: CaseStore, report: CaseValidationReport): ValidationPopulation {
  const byFormat = new Map<string, number>();
  for (const r of evidenceFormatCounts(store.reader)) {
    byFormat.set(r.format, r.n);
  }
  const inLayout = (kind: 'log' | 'digest') => report.objects.filter((o) => o.kind === kind).length;
  const logFiles = byFormat.get('cloudtrail-s3') ?? 0;
  const digestFiles = byFormat.get('cloudtrail-digest') ?? 0;
  let otherSources = 0;
  for (const [f, n] of byFormat) if (f !== 'cloudtrail-s3' && f !== 'cloudtrail-digest' && !NOT_EVENT_SOURCES.has(f)) otherSources += n;
  return { logFiles, digestFiles, logFilesInLayout: inLayout('log'), digestFilesInLayout: inLayout('digest'), otherSources };
}

// Formats that hold no events (nothing a digest could cover).
const NOT_EVENT_SOURCES = new Set(['cloudtrail-s3', 'cloudtrail-digest', 'empty', 'unrecognised', PUBLIC_KEYS_FORMAT]);

const count = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
const LAYOUT = 'AWSLogs/<account>/CloudTrail[-Digest]/<region>/<yyyy>/<mm>/<dd>/';

/**
 * One sentence that says what is true of the case's CloudTrail files and why
 * what was not validated could not be (docs/architecture.md, "Display integrity": never "no files" when there are thousands).
 */
export function validationSummary(p: ValidationPopulation, counts: Record<string, number>): string {
  const results = Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ');
  const logs = p.logFiles ? count(p.logFiles, 'log file') : 'no log files';
  const digests = p.digestFiles ? count(p.digestFiles, 'digest file') : 'no digest files';
  const other = p.otherSources ? `; ${count(p.otherSources, 'other source')} (lookup-events, Lake, arrays, JSON lines) that CloudTrail digests never cover` : '';
  const outside = (n: number, inL: number, what: string) =>
    n > inL ? `${count(n - inL, what)} not under the S3 key layout (${LAYOUT}) and so not matched` : '';
  if (p.logFiles === 0 && p.digestFiles === 0) return `no CloudTrail log or digest files in the case${other}`;
  const notMatched = [outside(p.logFiles, p.logFilesInLayout, 'log file'), outside(p.digestFiles, p.digestFilesInLayout, 'digest file')].filter(Boolean);
  let why: string;
  if (p.digestFiles === 0) why = p.logFiles === 1 ? 'so it cannot be validated' : 'so none can be validated';
  else if (p.logFiles === 0) why = 'so no log file can be validated (the digests are checked on their own)';
  else if (p.logFilesInLayout === 0 || p.digestFilesInLayout === 0) why = 'but digests are matched to log files by their S3 keys, so none can be validated: import the trail folder with its AWSLogs/ structure, or from S3';
  else why = '';
  return `${logs}, ${digests}${why ? `, ${why}` : ''}${notMatched.length ? `; ${notMatched.join('; ')}` : ''}${results ? `; results: ${results}` : ''}${other}`;
}

/** The registered source validator: per object {evidenceId, origin, result, detail}. */
export function sourceValidation(store: CaseStore): VerifyReport['sourceValidation'] {
  return validateCase(store).objects.map((o) => ({ evidenceId: o.evidenceId, origin: o.origin, result: o.result, detail: o.detail }));
}

// listEvidence asks for results on every page: cache them per case until the evidence or the duplicate records change.
const cache = new WeakMap<CaseStore, { stamp: string; results: Map<number, string> }>();

export function evidenceValidationResults(store: CaseStore): Map<number, string> {
  const ev = evidenceStamp(store.reader);
  const stamp = `${ev.n}/${ev.m}/${custodyActionCount(store.reader, S3_DUPLICATE_ACTION)}`;
  const hit = cache.get(store);
  if (hit && hit.stamp === stamp) return hit.results;
  const results = new Map<number, string>();
  for (const o of validateCase(store).objects) results.set(o.evidenceId, o.result);
  cache.set(store, { stamp, results });
  return results;
}
