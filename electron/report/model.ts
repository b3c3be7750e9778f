// The report's content as data (report.json), built from a case at one signed
// checkpoint (docs/verification.md). Everything here is a function of the case at that
// checkpoint, the examiner who signs, the tool build and the certification
// template: no wall-clock time, no file system path of the case, and every list
// in a fixed order, so the same case at the same checkpoint gives the same bytes.
// The HTML/PDF (html.ts) and timeline.csv (csv.ts) are renderings of this model.
// The timeline rows are not held with it (timeline.ts reads them back in batches;
// generate.ts streams them into report.json and timeline.csv): buildReportContent.
import type { Finding, Severity } from '../../shared/analysis/findings.ts';
import type { GapReport } from '../../shared/analysis/types.ts';
import type { CaseScope, VerifyReport } from '../../shared/types.ts';
import { SEVERITIES, severityRank } from '../../shared/analysis/findings.ts';
import { isoUtc } from '../../shared/time.ts';
import { canonicalJson, sha256Hex } from '../case/canonical.ts';
import type { CaseStore } from '../case/store.ts';
import { TOOL_NAME, TOOL_VERSION, buildHash } from '../version.ts';
import { type AnalysisForReport, type ReportAnalysisRun, cmp } from './analysis-bridge.ts';
import { type CertificationTemplate, fillCertification } from './certification.ts';
import type { CheckpointFields } from '../case/store.ts';
import { checkpointRow, checkpointSummary, checkpointCountUpTo, lastCheckpointRow, timestampTokensUpTo } from '../case/data/checkpoints.ts';
import { custodyUpTo } from '../case/data/custody.ts';
import { evidenceExclusions, evidenceUpTo } from '../case/data/evidence.ts';
import { copyCounts, eventTimeRangeBelow } from '../case/data/events.ts';
import { importRecord, importRows } from '../case/data/imports.ts';
import { keyExaminer, schemaVersion } from '../case/data/meta.ts';
import { findingDecisionsUpTo } from '../case/data/report.ts';
import { warningCountsByCode, warningExamples } from '../case/data/warnings.ts';
import { flaggedNames, type FlaggedName } from './names.ts';
import { buildTimeline, type TimelineRow, type TimelineSource } from './timeline.ts';
import { listSources } from '../analysis/enrich/enrich.ts';
import type { EnrichmentSource } from '../../shared/analysis/enrichment.ts';

export const REPORT_FORMAT = 'trailcase-report/1';

/** A checkpoint row as stored (the signed text and its signature included). */
export type CheckpointRecord = Omit<CheckpointFields, 'caseId'> & {
  signedBy: string | null;
  body: string;
  /** base64 Ed25519 signature over body */
  signature: string;
};

export function readCheckpoint(store: CaseStore, seq?: number): CheckpointRecord | null {
  const r = seq === undefined ? lastCheckpointRow(store.reader) : checkpointRow(store.reader, seq);
  if (!r) return null;
  return {
    ...checkpointSummary(r),
    custodyHead: r.custody_head,
    metaHash: r.meta_hash,
    signedBy: keyExaminer(store.reader, r.key_fingerprint) ?? null,
    body: r.body,
    signature: r.signature,
  };
}

/**
 * Report id: derived, never random. SHA-256 over the case id, the checkpoint
 * (seq, size, root) and the signing examiner's key, first 32 hex digits: the
 * same examiner reporting on the same case at the same checkpoint gets the
 * same id; anything else gets another.
 */
export function reportIdFor(caseId: string, cp: { seq: number; treeSize: number; root: string }, examinerFingerprint: string): string {
  return sha256Hex(`trailcase-report-id/1\ncase ${caseId}\ncheckpoint ${cp.seq} ${cp.treeSize} ${cp.root}\nkey ${examinerFingerprint}\n`).slice(0, 32);
}

export interface ReportFinding {
  id: string;
  title: string;
  source: 'check' | 'sigma';
  checkId: string;
  checkVersion: string;
  severity: Severity;
  category: string;
  attack: string[];
  /** Facts: what the cited events show. */
  /** `eventCount`: present when the finding rests on more events than it lists (a finding lists at most 10,000: shared/analysis/findings.ts). */
  facts: { statement: string; eventIds: string[]; eventCount?: number; firstSeen: string | null; lastSeen: string | null; missingEventIds: string[] };
  /** Interpretation and how sure it is. */
  interpretation: { summary: string; confidence: string; decision: { decision: string; note: string | null; actor: string; at: string } | null };
  artefacts: { type: string; value: string }[];
  remediation: string[];
  attribution: string | null;
}

export interface ReportTimestamp {
  checkpointSeq: number;
  tsa: string;
  genTime: string;
  tokenSha256: string;
  file: string;
}

/** The time-stamp tokens of checkpoints 1..seq, with the file name each gets in the report folder. */
export function reportTimestamps(store: CaseStore, seq: number): (ReportTimestamp & { token: Buffer })[] {
  return timestampTokensUpTo(store.reader, seq).map((r) => ({ checkpointSeq: r.checkpoint_seq, tsa: r.tsa_url, genTime: r.gen_time, tokenSha256: sha256Hex(r.token), file: `checkpoint-${r.checkpoint_seq}-${r.id}.tsr`, token: Buffer.from(r.token) }));
}

export type { TimelineRow, TimelineSource } from './timeline.ts';

export interface ReportModel {
  format: typeof REPORT_FORMAT;
  reportId: string;
  case: { caseId: string; title: string; createdAt: string; createdBy: string; createdWith: string; schemaVersion: number };
  examiner: { name: string; keyFingerprint: string };
  tool: { name: string; version: string; buildHash: string };
  checkpoint: CheckpointRecord;
  authorisation: { scope: CaseScope; notes: { seq: number; at: string; actor: string; text: string }[]; note: string | null };
  findings: { available: boolean; note: string | null; counts: Record<Severity, number>; items: ReportFinding[] };
  timeline: { note: string; count: number; rows: TimelineRow[] };
  persistence: { note: string | null; items: { findingId: string; title: string; severity: Severity; artefacts: { type: string; value: string }[]; remediation: string[]; eventIds: string[] }[] };
  iocs: {
    note: string | null;
    hitsAvailable: boolean;
    items: { type: string; value: string; label: string | null; source: string | null; enabled: boolean; hits: number | null; firstSeen: string | null; lastSeen: string | null; note: string | null }[];
  };
  evidence: {
    count: number;
    totalBytes: number;
    items: {
      id: number; kind: string; origin: string; format: string; compression: string; acquiredAt: string; examiner: string; toolVersion: string;
      size: number; sha256: string; events: number; copies: number; rejected: number; excluded: number; validation: string;
    }[];
  };
  coverage: {
    timeRange: { first: string | null; last: string | null };
    /** The analysis gap report (electron/analysis/gaps.ts), without its run time. */
    gaps: { available: boolean; note: string | null; data: Omit<GapReport, 'seconds'> | null };
  };
  methodology: {
    tool: { name: string; version: string; buildHash: string };
    imports: { importId: number; startedAt: string; actor: string; toolVersion: string; params: unknown }[];
    formats: { kind: string; format: string; items: number; events: number }[];
    checks: { id: string; version: string }[];
    sigma: { id: string; title: string; version?: string }[];
    /** The examiner's own Sigma rule files (docs/queries.md) with their SHA-256. */
    sigmaFiles: { file: string; sha256: string }[];
    /** Saved queries promoted to checks (docs/queries.md): version, query text SHA-256 and this run's result hash. */
    promoted: { id: string; version: string; textSha256: string | null; resultSha256: string | null }[];
    /** Analysis engine units (runner, Sigma engine) with versions. */
    engines: { id: string; version: string }[];
    /** The analysis run the findings come from: the case's stored run, or one computed for this report and why. */
    analysisRun: ReportAnalysisRun;
    analysisNote: string | null;
    certificationTemplateSha256: string;
    /** Address enrichment databases recorded in the case (derived data, README.md, "Addresses and profiles"), with hashes and attribution. */
    enrichment: { note: string; sources: Omit<EnrichmentSource, 'files'>[] };
    /** Every query run (custody `query.run`, docs/queries.md) with its result hash, so another examiner can re-run it and compare. */
    queries: {
      seq: number;
      at: string;
      actor: string;
      source: string;
      text: string;
      savedQuery: string | null;
      engine: string;
      treeSize: number;
      root: string;
      rows: number;
      resultSha256: string;
      /** Volatile functions it names (now(), random(), …): running it again can give another hash (docs/queries.md "The same answer again"). */
      volatile: string[];
      /** The run this one repeats (trailcase query --recheck), or null. */
      recheckOf: number | null;
    }[];
  };
  warnings: {
    importWarnings: { code: string; count: number; examples: { origin: string; recordIndex: number | null; message: string }[] }[];
    totals: { warnings: number; rejectedRecords: number; excludedOutOfScope: number; copies: number; conflicts: number };
    dismissedFindings: { id: string; title: string; decision: string; note: string | null; actor: string; at: string }[];
    sigmaUnsupported: { id: string; title?: string; reason?: string }[];
    analysisWarnings: { unit: string; count: number; examples: { eventId: string | null; message: string }[] }[];
    missingEvents: string[];
    /** Principal and resource names with invisible or direction-changing characters or mixed scripts (docs/architecture.md, "Display integrity"). */
    names: FlaggedName[];
  };
  custody: { count: number; head: string; entries: { seq: number; at: string; actor: string; action: string; details: unknown; hash: string }[] };
  integrity: {
    checkpoint: { seq: number; treeSize: number; root: string; evidenceCount: number; evidenceRoot: string; custodySeq: number; custodyHead: string; createdAt: string; keyFingerprint: string; signedBy: string | null };
    checkpointsInCase: number;
    verify: { ok: boolean; integrityCheck: string; problems: { where: string; message: string }[]; warnings: { where: string; message: string }[] };
    /** RFC 3161 time-stamps of checkpoints up to the report's (docs/verification.md); each token is in the folder as `file`. */
    timestamps: ReportTimestamp[];
    sourceValidation: { result: string; count: number }[];
  };
  verification: string[];
  certification: { templateSha256: string; markdown: string };
}

export interface BuildModelInput {
  store: CaseStore;
  checkpoint: CheckpointRecord;
  examiner: { name: string; keyFingerprint: string };
  analysis: AnalysisForReport;
  verify: VerifyReport;
  template: CertificationTemplate;
}


function latestDecisions(store: CaseStore, custodySeq: number): Map<string, { decision: string; note: string | null; actor: string; at: string }> {
  const m = new Map<string, { decision: string; note: string | null; actor: string; at: string }>();
  for (const r of findingDecisionsUpTo(store.reader, custodySeq)) m.set(r.finding_id, { decision: r.decision, note: r.note, actor: r.actor, at: r.at });
  return m;
}

// Decisions as analysis records them (shared/analysis/types.ts FindingDecision: accepted | dismissed | open).
const DISMISSED = /^dismissed$/;
const ACCEPTED = /^accepted$/;

function confidenceOf(f: Finding, d: { decision: string; note: string | null; actor: string; at: string } | undefined): string {
  const how = f.source === 'sigma' ? `Sigma rule ${f.checkId} v${f.checkVersion}` : `built-in check ${f.checkId} v${f.checkVersion}`;
  const note = d?.note ? ` ("${d.note}")` : '';
  if (d && ACCEPTED.test(d.decision)) return `Confirmed by examiner ${d.actor} on ${d.at}${note}; detected by ${how}.`;
  if (d && d.decision === 'open') return `Automated detection by ${how}; reopened for review by ${d.actor} on ${d.at}${note}, not confirmed.`;
  if (d) return `Examiner decision "${d.decision}" by ${d.actor} on ${d.at}${note}; detected by ${how}.`;
  return `Automated detection by ${how}; not yet reviewed by the examiner.`;
}

/** The whole model, timeline rows included (small cases and tests; a report streams them: buildReportContent). */
export function buildReportModel(input: BuildModelInput): ReportModel {
  const { model, timeline } = buildReportContent(input);
  const rows: TimelineRow[] = [];
  for (const batch of timeline.batches()) rows.push(...batch);
  return { ...model, timeline: { ...model.timeline, rows } };
}

/**
 * The report's content: the model with `timeline.rows` left empty (its
 * `count` is right), and the timeline as a source of rows read back in bounded
 * batches: at organisation scale the rows are most of report.json and are never
 * all in memory (generate.ts streams them into report.json and timeline.csv).
 */
export function buildReportContent(input: BuildModelInput): { model: ReportModel; timeline: TimelineSource } {
  const { store, checkpoint: cp, examiner, analysis, verify, template } = input;
  const meta = store.meta();
  const reportId = reportIdFor(meta.caseId, cp, examiner.keyFingerprint);
  const tool = { name: TOOL_NAME, version: TOOL_VERSION, buildHash: buildHash() };

  // ---- custody up to the checkpoint (everything later is not covered by its signature) ----
  // The report carries the entries without their tool version (as it always has).
  const custodyEntries = custodyUpTo(store.reader, cp.custodySeq).map((e) => ({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, details: e.details as any, hash: e.hash }));

  // ---- authorisation and scope ----
  const authNotes = custodyEntries
    .filter((e) => e.action === 'note' && typeof e.details?.target === 'string' && /^(authori[sz]ation|authority|mandate)$/i.test(e.details.target))
    .map((e) => ({ seq: e.seq, at: e.at, actor: e.actor, text: String(e.details.text ?? '') }));
  const scopeSet = custodyEntries.filter((e) => e.action === 'scope.set').pop();
  const scope: CaseScope = scopeSet ? (scopeSet.details.scope as CaseScope) : meta.scope;

  // ---- findings ----
  const decisions = latestDecisions(store, cp.custodySeq);
  const allFindings = [...analysis.findings.items].sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || cmp(a.firstSeen ?? '', b.firstSeen ?? '') || cmp(a.id, b.id),
  );
  const dismissed = allFindings.filter((f) => DISMISSED.test(decisions.get(f.id)?.decision ?? ''));
  const kept = allFindings.filter((f) => !dismissed.includes(f));

  // Tagged events (the examiner's own marks) join the findings' events on the timeline.
  const tags = new Map<string, string[]>();
  for (const e of custodyEntries) {
    if (e.action !== 'tag' || typeof e.details?.eventId !== 'string') continue;
    const list = tags.get(e.details.eventId) ?? [];
    if (!list.includes(String(e.details.tag))) list.push(String(e.details.tag));
    tags.set(e.details.eventId, list);
  }
  const timeline = buildTimeline(store, cp.treeSize, kept, tags);
  const missing = new Set<string>();
  for (const f of kept) for (const id of f.eventIds) if (!timeline.has(id)) missing.add(id);
  for (const id of tags.keys()) if (!timeline.has(id)) missing.add(id);
  const missingEvents = [...missing].sort();

  const items: ReportFinding[] = kept.map((f) => {
    const d = decisions.get(f.id);
    return {
      id: f.id,
      title: f.title,
      source: f.source,
      checkId: f.checkId,
      checkVersion: f.checkVersion,
      severity: f.severity,
      category: f.category,
      attack: [...f.attack],
      facts: {
        statement: f.explanation,
        eventIds: [...f.eventIds],
        ...(f.eventCount !== undefined ? { eventCount: f.eventCount } : {}),
        firstSeen: f.firstSeen,
        lastSeen: f.lastSeen,
        missingEventIds: f.eventIds.filter((id) => !timeline.has(id)),
      },
      interpretation: {
        summary: `${f.title} (${f.severity} severity, ${f.category}${f.attack.length ? `; ATT&CK ${f.attack.join(', ')}` : ''}).`,
        confidence: confidenceOf(f, d),
        decision: d ?? null,
      },
      artefacts: f.artefacts.map((a) => ({ type: a.type, value: a.value })),
      remediation: [...f.remediation],
      attribution: f.attribution ?? null,
    };
  });
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of items) counts[f.severity]++;

  // ---- persistence ----
  const persistence = kept
    .filter((f) => f.category === 'persistence')
    .map((f) => ({ findingId: f.id, title: f.title, severity: f.severity, artefacts: f.artefacts.map((a) => ({ type: a.type, value: a.value })), remediation: [...f.remediation], eventIds: [...f.eventIds] }));

  // ---- IOCs: the list as it stands (no IOC change after the checkpoint: ioc.* entries force a fresh one) ----
  const iocItems = analysis.iocs.items.map((i) => ({ ...i }));

  // ---- evidence inventory (items covered by the checkpoint) ----
  const validation = new Map<number, string[]>();
  for (const s of verify.sourceValidation) validation.set(s.evidenceId, [...(validation.get(s.evidenceId) ?? []), s.result + (s.detail ? ` (${s.detail})` : '')]);
  const evRows = evidenceUpTo(store.reader, cp.evidenceCount);
  const evidence = evRows.map((r) => ({
    id: r.id,
    kind: r.kind,
    origin: r.origin,
    format: r.format,
    compression: r.compression,
    acquiredAt: r.acquired_at,
    examiner: r.examiner,
    toolVersion: r.tool_version,
    size: r.size,
    sha256: r.sha256,
    events: r.n_events,
    copies: r.n_copies,
    rejected: r.n_rejected,
    excluded: r.n_excluded,
    validation: validation.get(r.id)?.join('; ') ?? (r.format === 'cloudtrail-digest' ? 'digest file (validates the log files)' : 'not validated (no CloudTrail digest validation result for this source)'),
  }));

  // ---- coverage ----
  const range = eventTimeRangeBelow(store.reader, cp.treeSize);

  // ---- methodology ----
  const importsLogged = new Set(custodyEntries.filter((e) => e.action === 'import.started').map((e) => e.details?.importId));
  const imports = importRows(store.reader)
    .filter((r) => importsLogged.has(r.id))
    .map(importRecord);
  const fm = new Map<string, { kind: string; format: string; items: number; events: number }>();
  for (const e of evidence) {
    const k = `${e.kind}\u0000${e.format}`;
    const x = fm.get(k) ?? { kind: e.kind, format: e.format, items: 0, events: 0 };
    x.items++;
    x.events += e.events;
    fm.set(k, x);
  }

  // ---- warnings and exclusions ----
  const warnCounts = warningCountsByCode(store.reader);
  const importWarnings = warnCounts.map((w) => ({
    code: w.code,
    count: w.n,
    examples: warningExamples(store.reader, w.code, 3).map((x) => ({ origin: x.origin, recordIndex: x.recordIndex, message: x.message })),
  }));
  const tot = evidenceExclusions(store.reader, cp.evidenceCount);
  const copies = copyCounts(store.reader, cp.evidenceCount);

  // ---- integrity ----
  const sv = new Map<string, number>();
  for (const s of verify.sourceValidation) sv.set(s.result, (sv.get(s.result) ?? 0) + 1);
  const checkpointsInCase = checkpointCountUpTo(store.reader, cp.seq);

  const values = {
    examiner: examiner.name,
    examinerFingerprint: examiner.keyFingerprint,
    caseId: meta.caseId,
    caseTitle: meta.title,
    reportId,
    checkpointSeq: String(cp.seq),
    treeSize: String(cp.treeSize),
    root: cp.root,
    evidenceCount: String(cp.evidenceCount),
    evidenceRoot: cp.evidenceRoot,
    checkpointTime: cp.createdAt,
    toolName: tool.name,
    toolVersion: tool.version,
    buildHash: tool.buildHash,
  };

  const model: ReportModel = {
    format: REPORT_FORMAT,
    reportId,
    case: {
      caseId: meta.caseId,
      title: meta.title,
      createdAt: meta.createdAt,
      createdBy: meta.examiner,
      createdWith: meta.toolVersion,
      schemaVersion: schemaVersion(store.reader),
    },
    examiner,
    tool,
    checkpoint: cp,
    authorisation: {
      scope,
      notes: authNotes,
      note: authNotes.length ? null : 'No authorisation is recorded in the case. Record it with: trailcase note CASE "TEXT" --target authorisation',
    },
    findings: { available: analysis.findings.available, note: analysis.findings.note, counts, items },
    timeline: {
      note: 'The events cited by the findings and the events the examiner tagged, in time order (UTC).',
      count: timeline.count,
      rows: [],
    },
    persistence: {
      note: analysis.findings.available ? (persistence.length ? null : 'No persistence findings.') : analysis.findings.note,
      items: persistence,
    },
    iocs: { note: analysis.iocs.note, hitsAvailable: analysis.iocs.available, items: iocItems },
    evidence: { count: evidence.length, totalBytes: evidence.reduce((a, e) => a + e.size, 0), items: evidence },
    coverage: {
      timeRange: { first: range.a === null ? null : isoUtc(range.a), last: range.b === null ? null : isoUtc(range.b) },
      gaps: { available: analysis.gaps.available, note: analysis.gaps.note, data: analysis.gaps.available ? (withoutTimings(analysis.gaps.data) as Omit<GapReport, 'seconds'>) : null },
    },
    methodology: {
      tool,
      imports,
      formats: [...fm.values()].sort((a, b) => cmp(a.kind, b.kind) || cmp(a.format, b.format)),
      checks: analysis.checksRun,
      sigma: analysis.sigmaRun,
      sigmaFiles: analysis.sigmaFiles,
      promoted: analysis.promoted,
      engines: analysis.units.filter((u) => !u.id.startsWith('sigma:') && !analysis.promoted.some((p) => p.id === u.id) && !analysis.checksRun.some((c) => c.id === u.id)),
      analysisRun: analysis.run,
      analysisNote: analysis.findings.note,
      certificationTemplateSha256: template.sha256,
      enrichment: {
        note: 'Country, city, network (ASN) and AWS-range answers about source addresses are derived from these databases, never from the evidence; each answer in the case names the database that gave it. GeoIP data locates networks, not people, and can be wrong.',
        sources: listSources(store, cp.custodySeq).map(({ files: _f, ...rest }) => rest),
      },
      queries: custodyEntries
        .filter((e) => e.action === 'query.run')
        .map((e) => ({
          seq: e.seq,
          at: e.at,
          actor: e.actor,
          source: String(e.details.source),
          text: String(e.details.text),
          savedQuery: e.details.savedQuery ?? null,
          engine: String(e.details.engine),
          treeSize: Number(e.details.checkpoint?.treeSize),
          root: String(e.details.checkpoint?.root),
          rows: Number(e.details.rows),
          resultSha256: String(e.details.resultSha256),
          volatile: Array.isArray(e.details.volatile) ? e.details.volatile.map(String) : [],
          recheckOf: typeof e.details.recheckOf === 'number' ? e.details.recheckOf : null,
        })),
    },
    warnings: {
      importWarnings,
      totals: {
        warnings: warnCounts.reduce((a, w) => a + w.n, 0),
        rejectedRecords: tot.rej,
        excludedOutOfScope: tot.exc,
        copies: copies.n,
        conflicts: copies.c,
      },
      dismissedFindings: dismissed.map((f) => {
        const d = decisions.get(f.id)!;
        return { id: f.id, title: f.title, decision: d.decision, note: d.note, actor: d.actor, at: d.at };
      }),
      sigmaUnsupported: analysis.sigmaUnsupported,
      analysisWarnings: groupWarnings(analysis.warnings),
      missingEvents,
      names: flaggedNames(store, cp.treeSize, items.flatMap((f) => f.artefacts)),
    },
    custody: { count: custodyEntries.length, head: cp.custodyHead, entries: custodyEntries },
    integrity: {
      checkpoint: {
        seq: cp.seq,
        treeSize: cp.treeSize,
        root: cp.root,
        evidenceCount: cp.evidenceCount,
        evidenceRoot: cp.evidenceRoot,
        custodySeq: cp.custodySeq,
        custodyHead: cp.custodyHead,
        createdAt: cp.createdAt,
        keyFingerprint: cp.keyFingerprint,
        signedBy: cp.signedBy,
      },
      checkpointsInCase,
      verify: {
        ok: verify.ok,
        integrityCheck: verify.integrityCheck,
        problems: verify.problems.map((p) => ({ where: p.where, message: p.message })),
        warnings: verify.warnings.map((p) => ({ where: p.where, message: p.message })),
      },
      sourceValidation: [...sv.entries()].map(([result, count]) => ({ result, count })).sort((a, b) => cmp(a.result, b.result)),
      timestamps: reportTimestamps(store, cp.seq).map(({ token: _token, ...t }) => t),
    },
    verification: verificationSteps(examiner.keyFingerprint),
    certification: { templateSha256: template.sha256, markdown: fillCertification(template, values) },
  };
  return { model, timeline };
}

/** Analysis output without run timings (`seconds`): how long a run took is not a fact about the case and would make reports differ. */
function withoutTimings(v: unknown): unknown {
  return JSON.parse(canonicalJson(v), (k, x) => (k === 'seconds' && typeof x === 'number' ? undefined : x));
}

function groupWarnings(ws: { unit: string; eventId: string | null; message: string }[]): ReportModel['warnings']['analysisWarnings'] {
  const by = new Map<string, { unit: string; count: number; examples: { eventId: string | null; message: string }[] }>();
  for (const w of ws) {
    const g = by.get(w.unit) ?? { unit: w.unit, count: 0, examples: [] };
    g.count++;
    if (g.examples.length < 3) g.examples.push({ eventId: w.eventId, message: w.message });
    by.set(w.unit, g);
  }
  return [...by.values()].sort((a, b) => cmp(a.unit, b.unit));
}

/**
 * The commands printed in the report's "How to verify" section (docs/verification.md),
 * one shell line each, rendered in a <pre> block so that they survive being
 * copied out of the PDF: no line relies on a run of spaces, and each line is
 * short enough not to be clipped. Every command exits non-zero on a failure
 * and names what failed; docs/verification.md explains each one.
 */
export function verificationSteps(fingerprint: string): string[] {
  return [
    '# Tools: bash, GNU coreutils, OpenSSL 3.0 or later, Python 3.8 or later.',
    '# Copy this report folder into an empty folder and run these lines inside it,',
    '# with FPR the examiner\'s key fingerprint, obtained from the examiner by another',
    `# channel (the report was signed with ${fingerprint.slice(0, 16)}...: compare, do not copy),`,
    '# and CASE the case file. Each line exits non-zero, naming what failed.',
    'FPR=${FPR:?set FPR to the examiner fingerprint} CASE=${CASE:-}',
    '# 1. The public key is the examiner\'s key.',
    'openssl pkey -pubin -in examiner-public-key.pem -outform DER | sha256sum \\',
    '  | grep -q "^$FPR " && echo "key OK" || { echo "key: NOT THE EXAMINER\'S"; false; }',
    '# 2. The manifest is exactly what the examiner signed.',
    'openssl pkeyutl -verify -pubin -inkey examiner-public-key.pem -rawin \\',
    '  -in manifest.json -sigfile manifest.json.sig',
    '# 3. Every file the signed manifest lists is as signed.',
    "grep -o '[0-9a-f]\\{64\\} \\+[A-Za-z0-9._-]*' manifest.json | sha256sum --strict -c -",
    '# 4. No file in the folder that the signed manifest does not list.',
    'ls -A | while read -r f; do case "$f" in manifest.json|manifest.json.sig) ;; \\',
    '  examiner-public-key.pem) ;; *) grep -qF " $f\\"" manifest.json \\',
    '  || { echo "NOT IN THE MANIFEST: $f"; exit 1; } ;; esac; done',
    '# 5. The case file against this report, its signed checkpoint and every record.',
    'test -z "$CASE" || python3 verify-case.py "$CASE" --report . --fingerprint "$FPR"',
  ];
}
