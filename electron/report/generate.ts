// `trailcase report CASE --out DIR` (docs/verification.md): report.pdf, report.json,
// timeline.csv, manifest.json, manifest.json.sig and examiner-public-key.pem.
// Order matters for determinism and honesty:
//   1. verify the whole case, once (a damaged case gets no report);
//   2. take the stored analysis run when it still describes the verified case,
//      else analyse again (analysis-bridge.ts; the methodology says which);
//   3. make sure one signed checkpoint covers everything the report draws on:
//      sign a fresh one when there are events, evidence or custody entries
//      after the last (other than earlier reports' own log entries), and
//      check it against the root the verification computed;
//   4. build the content from the case at that checkpoint, render, hash, sign;
//   5. log the report in the custody log: the time of generation lives there,
//      never in the hashed files.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ReportSummary } from '../../shared/api/report.ts';
import type { Progress, VerifyReport } from '../../shared/types.ts';
import { verifySignature, type Signer } from '../case/keys.ts';
import type { CaseStore } from '../case/store.ts';
import { verifyCaseParallel } from '../case/verify.ts';
import { UserError } from '../errors.ts';
import { analysisForReport } from './analysis-bridge.ts';
// Registers the CloudTrail digest validator with verify (and the evidence lookup), so the
// evidence inventory carries each source's validation result whichever transport called us.
import '../ingest/aws/index.ts';
import { loadCertificationTemplate } from './certification.ts';
import { timelineCsvChunks } from './csv.ts';
import { footerTemplate, PDF_LIMITS, renderReportHtml, type PdfLimits } from './html.ts';
import { HashedFile, reportJsonChunks } from './stream.ts';
import {
  fileEntry, MANIFEST_FILE, manifestBytes, manifestFor, PUBLIC_KEY_FILE, REPORT_FILES, SIGNATURE_FILE, VERIFIER_FILE, verifierScript, type Manifest, type ManifestFile,
} from './manifest.ts';
import { buildReportContent, readCheckpoint, reportTimestamps, type CheckpointRecord, type ReportModel } from './model.ts';
import { timestampCheckpoint } from '../case/timestamp.ts';
import { actionsAfter } from '../case/data/custody.ts';
import { evidenceCount } from '../case/data/evidence.ts';
import { publicKeyOf } from '../case/data/meta.ts';
import { eventCount } from '../case/data/events.ts';
import { withPageCache } from '../case/data/db.ts';
import { ChromiumUnavailable, chromiumUnavailableReason, getDefaultPdfPrinter, renderReportPdf, type PdfPrinter } from './pdf.ts';

export type { ReportSummary };

/**
 * Custody actions that do not change what a report says, so they need no fresh
 * checkpoint: the log of a report or a verification, and derived data rebuilt
 * from the events (a stored analysis run, the analysis index, the timeline
 * rollup); the report recomputes the analysis itself. Without this, running the
 * analysis for a report (which may build its index) or verifying the case would
 * give every report run a new checkpoint and a different report.
 */
export const REPORT_NEUTRAL_ACTIONS = new Set(['report.generated', 'verify', 'analysis.run', 'analysis.refs-indexed', 'timeline.indexed']);

export interface ReportOptions {
  outDir: string;
  /** Certification template (Markdown); default build/report-certification-template.md. */
  templatePath?: string;
  printer?: PdfPrinter;
  /** Overwrite report files already in outDir. */
  force?: boolean;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** On a connected machine: time-stamp the report's checkpoint at this RFC 3161 TSA first (docs/verification.md), unless it already is. */
  tsa?: string;
  tsaCaFile?: string;
  /** How much the PDF lists (html.ts PDF_LIMITS); lower only in tests. */
  pdfLimits?: PdfLimits;
}

/** The token and checkpoint-text files a report folder carries for its time-stamps. */
export const STAMP_FILE = /^checkpoint-\d+(-\d+\.tsr|\.txt)$/;

/** Why the last checkpoint does not cover the case as it is (null when it does). */
export function uncoveredChanges(store: CaseStore, cp: CheckpointRecord | null): string | null {
  if (!cp) return 'the case has no signed checkpoint';
  const events = eventCount(store.reader);
  if (events > cp.treeSize) return `${events - cp.treeSize} events after checkpoint #${cp.seq}`;
  const evidence = evidenceCount(store.reader);
  if (evidence > cp.evidenceCount) return `${evidence - cp.evidenceCount} evidence items after checkpoint #${cp.seq}`;
  const substantive = actionsAfter(store.reader, cp.custodySeq).filter((a) => !REPORT_NEUTRAL_ACTIONS.has(a));
  if (substantive.length) return `custody entries after checkpoint #${cp.seq} (${substantive.sort().join(', ')})`;
  return null;
}

function refuseDamaged(r: VerifyReport): never {
  const first = r.problems.slice(0, 3).map((p) => `${p.where}: ${p.message}`).join('; ');
  throw new UserError(`the case does not verify (${r.problems.length} problems; ${first}); no report is produced from a damaged case (run trailcase verify CASE)`, 1);
}

/**
 * The verification, extended to the checkpoint the report has just signed
 * after it. Instead of verifying every record a second time: the new
 * checkpoint must carry a valid signature and commit to exactly the events and
 * root the verification recomputed from the evidence (nothing but derived data
 * and neutral log entries can have been added in between). Its coverage
 * warnings ("events after the last signed checkpoint") no longer hold.
 */
export function withFreshCheckpoint(verify: VerifyReport, cp: CheckpointRecord, signer: Signer): VerifyReport {
  const problems: string[] = [];
  if (!verifySignature(signer.publicKeyPem, Buffer.from(cp.body, 'utf8'), Buffer.from(cp.signature, 'base64'))) problems.push('its signature does not verify');
  if (cp.treeSize !== verify.treeSize || cp.root !== verify.root) problems.push(`it covers ${cp.treeSize} events with root ${cp.root}; the verification computed ${verify.treeSize} with root ${verify.root}`);
  if (cp.evidenceCount !== verify.counts.evidence) problems.push(`it covers ${cp.evidenceCount} evidence items; the verification saw ${verify.counts.evidence}`);
  if (problems.length) throw new UserError(`checkpoint #${cp.seq}, signed for this report, does not match the verified case (${problems.join('; ')}); no report is produced`, 1);
  return {
    ...verify,
    counts: { ...verify.counts, checkpoints: verify.counts.checkpoints + 1, custody: Math.max(verify.counts.custody, cp.custodySeq) },
    warnings: verify.warnings.filter((w) => w.where !== 'checkpoint'),
  };
}

/** Where buildReport leaves a big file it streamed: `.NAME.tmp` in the staging folder. */
const stagedPath = (stageDir: string, name: string) => join(stageDir, `.${name}.tmp`);

/**
 * Build the report (nothing logged). report.json and timeline.csv are streamed
 * into `stageDir` as `.NAME.tmp`, hashed as written (generateReport renames
 * them into place); without a `stageDir` they go to a temporary folder that is
 * removed before returning (their hashes stay in the manifest). The model
 * returned has `timeline.rows` empty (`timeline.count` holds the number):
 * report.json holds the rows.
 */
export function buildReport(store: CaseStore, signer: Signer, opts: BuildOptions = {}): Promise<BuiltReport> {
  // The report reads the case once over (the analysis, the coverage, the timeline): the small page cache (case/data/db.ts).
  return withPageCache(store.reader, () => build(store, signer, opts));
}

type BuildOptions = Pick<ReportOptions, 'templatePath' | 'printer' | 'onProgress' | 'signal' | 'tsa' | 'tsaCaFile' | 'pdfLimits'> & { stageDir?: string };
type BuiltReport = { model: ReportModel; files: Map<string, Buffer>; staged: Map<string, string>; manifest: Manifest; manifestBytes: Buffer; signature: Buffer; fresh: boolean; renderer: string };

async function build(store: CaseStore, signer: Signer, opts: BuildOptions): Promise<BuiltReport> {
  const progress = (phase: string, done: number, total: number) => opts.onProgress?.({ phase, done, total, unit: 'steps' });
  const template = loadCertificationTemplate(opts.templatePath);
  // Fail before any work (and any change to the case) when nothing can print the PDF.
  if (!opts.printer && !getDefaultPdfPrinter()) {
    const why = chromiumUnavailableReason();
    if (why) throw new ChromiumUnavailable(`cannot render report.pdf: ${why}`);
  }
  progress('verify', 0, 5);
  let verify = await verifyCaseParallel(store);
  if (!verify.ok) refuseDamaged(verify);
  if (opts.signal?.aborted) throw new UserError('cancelled');

  store.ensureKey(signer);
  // Analysis first: it may bring its derived index up to date (custody-logged),
  // which must not land after the checkpoint the report is built from.
  progress('analysis', 1, 5);
  const analysis = await analysisForReport(store, { signal: opts.signal, actor: signer.examiner, current: { treeSize: verify.treeSize, root: verify.root } });
  if (opts.signal?.aborted) throw new UserError('cancelled');

  let cp = readCheckpoint(store);
  const why = uncoveredChanges(store, cp);
  const fresh = why !== null;
  if (fresh) {
    store.checkpoint(signer, `report: ${why}`);
    cp = readCheckpoint(store)!;
    verify = withFreshCheckpoint(verify, cp, signer);
  }
  const checkpoint = cp!;
  if (opts.tsa && !reportTimestamps(store, checkpoint.seq).some((t) => t.checkpointSeq === checkpoint.seq)) {
    await timestampCheckpoint(store, opts.tsa, { seq: checkpoint.seq, caFile: opts.tsaCaFile });
  }

  progress('content', 2, 5);
  const { model, timeline } = buildReportContent({ store, checkpoint, examiner: { name: signer.examiner, keyFingerprint: signer.fingerprint }, analysis, verify, template });
  const stageDir = opts.stageDir ?? mkdtempSync(join(tmpdir(), 'trailcase-report-'));
  const staged = new Map<string, string>();
  const entries = new Map<string, ManifestFile>();
  try {
    // report.json and timeline.csv are streamed into files rather than held (stream.ts).
    const stream = (name: 'report.json' | 'timeline.csv', chunks: Iterable<string>) => {
      const path = stagedPath(stageDir, name);
      staged.set(name, path);
      const f = new HashedFile(path);
      try {
        for (const c of chunks) f.write(c);
      } catch (e) {
        f.abandon();
        throw e;
      }
      entries.set(name, f.close(name));
    };
    stream('report.json', reportJsonChunks(model, timeline));
    stream('timeline.csv', timelineCsvChunks(timeline.batches()));
    if (opts.signal?.aborted) throw new UserError('cancelled');

    progress('pdf', 3, 5);
    const limits = opts.pdfLimits ?? PDF_LIMITS;
    // The PDF prints the first rows of the timeline (html.ts says how many and where the rest are).
    const shown: ReportModel = { ...model, timeline: { ...model.timeline, rows: timeline.head(limits.rows) } };
    const { pdf, printer } = await renderReportPdf((toc) => renderReportHtml(shown, toc, limits), {
      printer: opts.printer,
      footerTemplate: footerTemplate(model),
      pdfTime: checkpoint.createdAt,
    });

    progress('sign', 4, 5);
    const files = new Map<string, Buffer>([
      ['report.pdf', pdf],
      [VERIFIER_FILE, verifierScript()],
    ]);
    // Each RFC 3161 token, with the checkpoint text it stamps, for `openssl ts -verify` (docs/verification.md).
    const stamps = reportTimestamps(store, checkpoint.seq);
    for (const t of stamps) {
      files.set(t.file, t.token);
      files.set(`checkpoint-${t.checkpointSeq}.txt`, Buffer.from(readCheckpoint(store, t.checkpointSeq)!.body, 'utf8'));
    }
    for (const [name, data] of files) entries.set(name, fileEntry(name, data));
    const cpKeyPem = publicKeyOf(store.reader, checkpoint.keyFingerprint);
    if (cpKeyPem === undefined) throw new UserError(`checkpoint #${checkpoint.seq} is signed by key ${checkpoint.keyFingerprint}, which is not in the case`);
    const manifest = manifestFor({
      reportId: model.reportId,
      caseId: model.case.caseId,
      tool: model.tool,
      examiner: model.examiner,
      checkpoint,
      checkpointPublicKeyPem: cpKeyPem,
      renderer: printer,
      files: [...REPORT_FILES, VERIFIER_FILE, ...[...files.keys()].filter((n) => STAMP_FILE.test(n)).sort()].map((name) => entries.get(name)!),
    });
    const mBytes = manifestBytes(manifest);
    const signature = signer.sign(mBytes);
    progress('done', 5, 5);
    return { model, files, staged: opts.stageDir ? staged : new Map(), manifest, manifestBytes: mBytes, signature, fresh, renderer: printer };
  } catch (e) {
    for (const p of staged.values()) rmSync(p, { force: true });
    throw e;
  } finally {
    if (!opts.stageDir) rmSync(stageDir, { recursive: true, force: true });
  }
}

/** Generate, write and log a report. */
export async function generateReport(store: CaseStore, signer: Signer, opts: ReportOptions): Promise<ReportSummary> {
  const outDir = resolve(opts.outDir);
  const names = [...REPORT_FILES, VERIFIER_FILE, MANIFEST_FILE, SIGNATURE_FILE, PUBLIC_KEY_FILE];
  if (!opts.force) {
    const present = names.filter((n) => existsSync(join(outDir, n)));
    if (present.length) throw new UserError(`${outDir} already holds a report (${present.join(', ')}); choose another folder or use --force`);
  }
  // A file the manifest does not list fails every verification of the folder (docs/verification.md), so none may be there to begin with.
  const strangers = existsSync(outDir) ? readdirSync(outDir).filter((n) => !names.includes(n) && !(opts.force && STAMP_FILE.test(n))) : [];
  if (strangers.length) throw new UserError(`${outDir} holds other files (${strangers.slice(0, 5).join(', ')}); a report folder holds only the report's files: choose an empty folder`);
  const created = !existsSync(outDir);
  mkdirSync(outDir, { recursive: true });
  let r: Awaited<ReturnType<typeof buildReport>>;
  try {
    r = await buildReport(store, signer, { ...opts, stageDir: outDir });
  } catch (e) {
    // A folder this run made stays only if something else wrote into it meanwhile.
    if (created) {
      try {
        rmdirSync(outDir);
      } catch {
        /* not empty */
      }
    }
    throw e;
  }
  const write = (name: string, data: Uint8Array | string) => {
    // Write beside, then rename: a reader never sees half a file.
    const tmp = join(outDir, `.${name}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(outDir, name));
  };
  try {
    for (const [name, data] of r.files) write(name, data);
    for (const [name, path] of r.staged) renameSync(path, join(outDir, name));
  } catch (e) {
    // Leave no half-written report: the streamed files not yet in place go too.
    for (const path of r.staged.values()) rmSync(path, { force: true });
    throw e;
  }
  write(PUBLIC_KEY_FILE, signer.publicKeyPem);
  write(MANIFEST_FILE, r.manifestBytes);
  write(SIGNATURE_FILE, r.signature);

  const manifestSha256 = fileEntry(MANIFEST_FILE, r.manifestBytes).sha256;
  const custodySeq = store.transaction(() =>
    store.appendCustody(signer.examiner, 'report.generated', {
      reportId: r.model.reportId,
      outDir,
      checkpoint: { seq: r.model.checkpoint.seq, treeSize: r.model.checkpoint.treeSize, root: r.model.checkpoint.root },
      files: r.manifest.files,
      manifestSha256,
      examinerFingerprint: signer.fingerprint,
      renderer: r.renderer,
    }),
  );
  return {
    reportId: r.model.reportId,
    outDir,
    files: [...r.manifest.files, fileEntry(MANIFEST_FILE, r.manifestBytes), fileEntry(SIGNATURE_FILE, r.signature)],
    manifestSha256,
    checkpoint: { seq: r.model.checkpoint.seq, treeSize: r.model.checkpoint.treeSize, root: r.model.checkpoint.root, fresh: r.fresh },
    findings: r.model.findings.items.length,
    timelineEvents: r.model.timeline.count,
    renderer: r.renderer,
    custodySeq,
  };
}
