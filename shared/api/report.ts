// Court-ready output (docs/verification.md): the signed report, the single-file handoff, the
// redacted export and their verification. Long work (Chromium, VACUUM INTO,
// audit paths over every event) runs as a job; poll jobStatus for the result.
// Receiving a handoff happens before a case is open: `receiveCase` in
// shared/api/local.ts (the CLI and the shell's case process call it).
import { z } from 'zod';
import { read, write } from './define.ts';
import { eventFilterSchema } from './case.ts';

export const tsaUrl = z.string().max(2048).regex(/^https?:\/\//i, 'an http(s) URL of an RFC 3161 time-stamp authority');

const path = z.string().min(1).max(4096);
const fingerprint = z.string().regex(/^[0-9a-fA-F]{64}$/, 'a 64-digit hex SHA-256 key fingerprint');
const pem = z.string().max(10_000);

export interface ReportFileEntry {
  name: string;
  bytes: number;
  sha256: string;
}

/** Result of generateReport (job result) and `trailcase report --json`. */
export interface ReportSummary {
  reportId: string;
  outDir: string;
  files: ReportFileEntry[];
  manifestSha256: string;
  /** The checkpoint the report was built from; fresh when it was signed for this report. */
  checkpoint: { seq: number; treeSize: number; root: string; fresh: boolean };
  findings: number;
  timelineEvents: number;
  renderer: string;
  /** The custody entry that logs the report. */
  custodySeq: number;
}

/** Result of exportCase (job result) and `trailcase export --json`. */
export interface ExportSummary {
  out: string;
  sha256: string;
  bytes: number;
  handoffSeq: number;
  checkpoint: { seq: number; treeSize: number; root: string };
  to: string | null;
  reason: string | null;
}

/** Result of `trailcase receive --json`. */
export interface ReceiveSummary {
  file: string;
  sha256AtReceipt: string;
  from: { examiner: string; keyFingerprint: string | null } | null;
  handoffSeq: number | null;
  verified: { events: number; evidence: number; checkpoints: number; custody: number; integrityCheck: string; root: string };
  acceptanceSeq: number;
  checkpoint: { seq: number; treeSize: number; root: string };
}

/** Result of exportRedacted (job result) and `trailcase export --only --json`. */
export interface RedactedSummary {
  out: string;
  events: number;
  bytes: number;
  sha256: string;
  checkpoint: { seq: number; treeSize: number; root: string };
  custodySeq: number;
}

export interface VerificationCheck {
  /** What was checked: manifest, key, signature, report.pdf, report.json, timeline.csv, checkpoint, case, bundle, event, events. */
  what: string;
  ok: boolean;
  message: string;
}

export interface VerifyReportResult {
  ok: boolean;
  dir: string;
  reportId: string | null;
  caseId: string | null;
  keyFingerprint: string | null;
  checkpoint: { seq: number; treeSize: number; root: string } | null;
  checks: VerificationCheck[];
}

export interface VerifyRedactedResult {
  ok: boolean;
  file: string;
  caseId: string | null;
  events: number;
  verifiedEvents: number;
  checkpoint: { seq: number; treeSize: number; root: string; keyFingerprint: string } | null;
  checks: VerificationCheck[];
}

export const reportApi = {
  generateReport: write(
    z.object({ outDir: path, templatePath: path.optional(), force: z.boolean().default(false), tsa: tsaUrl.optional(), tsaCaFile: path.optional() }).strict(),
    'Write the signed report (report.pdf, report.json, timeline.csv, manifest.json + .sig, examiner-public-key.pem) into a folder, as a job; its result is a ReportSummary. Custody-logged.',
  ).returns<{ jobId: string }>(),
  exportCase: write(
    z.object({ out: path, to: z.string().max(300).optional(), reason: z.string().max(2000).optional() }).strict(),
    'Write a self-contained handoff copy of the case (signed handoff checkpoint, custody transfer entry), as a job; its result is an ExportSummary.',
  ).returns<{ jobId: string }>(),
  exportRedacted: write(
    z.object({ out: path, filter: eventFilterSchema }).strict(),
    'Write a redacted export: the events matching the filter with RFC 6962 inclusion proofs against the signed root, as a job; its result is a RedactedSummary.',
  ).returns<{ jobId: string }>(),
  verifyReport: read(
    z
      .object({ dir: path, publicKeyPem: pem.optional(), fingerprint: fingerprint.optional(), checkCase: z.boolean().default(false), casePath: path.optional() })
      .strict(),
    'Check a report folder: manifest signature, every file hash, the checkpoint; with checkCase (the open case) or casePath (a case file, opened read-only), also that the case still holds that checkpoint and verifies.',
    { needs: 'none' },
  ).returns<VerifyReportResult>(),
  verifyRedacted: read(
    z.object({ file: path, publicKeyPem: pem.optional(), fingerprint: fingerprint.optional() }).strict(),
    'Check a redacted export: the checkpoint signature, the bundle signature, and every event against the signed root.',
    { needs: 'none' },
  ).returns<VerifyRedactedResult>(),
};
