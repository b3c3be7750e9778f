// Domain types shared by the back end, the CLI and the UI.
// Times are ISO-8601 UTC strings at this boundary.

export interface CaseScope {
  since?: string;
  until?: string;
  accounts?: string[];
  regions?: string[];
  /** Suspected credentials (access key IDs, principal ARNs) named when the case was opened. */
  suspectedCredentials?: string[];
  notes?: string;
}

export interface CaseInfo {
  caseId: string;
  title: string;
  examiner: string;
  scope: CaseScope;
  createdAt: string;
  toolVersion: string;
  schemaVersion: number;
  path: string;
  counts: { events: number; copies: number; evidence: number; warnings: number; conflicts: number; custody: number };
  timeRange: { first: string | null; last: string | null };
  keys: { fingerprint: string; examiner: string; addedAt: string }[];
  lastCheckpoint: CheckpointSummary | null;
}

export interface CheckpointSummary {
  seq: number;
  treeSize: number;
  root: string; // hex
  evidenceCount: number;
  evidenceRoot: string;
  custodySeq: number;
  createdAt: string;
  keyFingerprint: string;
  reason: string;
}

export interface EvidenceItem {
  id: number;
  kind: 'file' | 's3-object' | 'api-page' | string;
  origin: string;
  originMeta: Record<string, unknown>;
  size: number;
  sha256: string;
  compression: 'gzip' | 'none';
  format: string;
  acquiredAt: string;
  examiner: string;
  toolVersion: string;
  importId: number;
  counts: { events: number; copies: number; rejected: number; excluded: number };
  /** CloudTrail digest validation result (acquisition issue); null where not applicable. */
  validation: string | null;
}

export interface ImportWarning {
  id: number;
  importId: number;
  evidenceId: number | null;
  origin: string;
  recordIndex: number | null;
  code: string;
  message: string;
}

export interface CustodyEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
  toolVersion: string;
  hash: string;
}

/** The normalised, indexed view of one event. */
export interface EventSummary {
  leaf: number;
  eventId: string;
  eventTime: string | null;
  eventName: string | null;
  eventSource: string | null;
  awsRegion: string | null;
  sourceIPAddress: string | null;
  userAgent: string | null;
  identityType: string | null;
  principalArn: string | null;
  userName: string | null;
  principalId: string | null;
  accessKeyId: string | null;
  sessionIssuerArn: string | null;
  recipientAccountId: string | null;
  errorCode: string | null;
  readOnly: boolean | null;
  eventCategory: string | null;
  requestId: string | null;
  evidenceId: number;
}

export interface Provenance {
  evidenceId: number;
  origin: string;
  sha256: string;
  offset: number;
  length: number;
  encoding: string;
  leafHash: string;
  identical: boolean;
  validation: string | null;
}

export interface EventDetail {
  summary: EventSummary;
  /** The verbatim record text exactly as preserved in the evidence. */
  record: string;
  provenance: Provenance[];
  conflicts: { evidenceId: number; leafHash: string; detectedAt: string }[];
  /** Import warnings about this record in any of its copies (duplicate keys, lone surrogates, lost precision, no eventTime...). */
  warnings: { evidenceId: number; code: string; message: string }[];
}

export type { EventFilter } from './event-filter.ts';

export interface VerifyProblem {
  /** What is wrong, where: e.g. evidence:12, event:4411, checkpoint:3, custody:17, schema:trigger. */
  where: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  checkedAt: string;
  integrityCheck: string;
  counts: { evidence: number; events: number; copies: number; checkpoints: number; custody: number };
  root: string;
  treeSize: number;
  problems: VerifyProblem[];
  warnings: VerifyProblem[];
  /** CloudTrail's own integrity chain, per source object (acquisition issue). */
  sourceValidation: { evidenceId: number; origin: string; result: string; detail?: string }[];
}

export interface ImportSummary {
  importId: number;
  objects: number;
  skippedObjects: number;
  events: number;
  duplicates: number;
  conflicts: number;
  warnings: number;
  excluded: number;
  bytes: number;
  seconds: number;
  checkpoint: CheckpointSummary | null;
}

export interface Progress {
  phase: string;
  done: number;
  total: number | null;
  unit: string;
  detail?: string;
}

export interface JobStatus {
  id: string;
  kind: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  progress: Progress | null;
  result?: unknown;
  error?: string;
}
