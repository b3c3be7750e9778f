// The PDF lists a bounded number of items whatever the case size, and says so
// (docs/verification.md, "What the PDF holds"); report.json and timeline.csv,
// streamed to disk in batches, still hold every event, byte for byte what the
// whole-model form gives. Limits lowered so that the Stratus case (35 evidence
// items, 61 findings, 132 timeline events) is cut everywhere.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { analysisForReport } from '../../electron/report/analysis-bridge.ts';
import { loadCertificationTemplate } from '../../electron/report/certification.ts';
import { timelineCsv, timelineCsvChunks } from '../../electron/report/csv.ts';
import { generateReport } from '../../electron/report/generate.ts';
import { buildReportContent, buildReportModel, readCheckpoint, type ReportModel, type TimelineSource } from '../../electron/report/model.ts';
import { chromiumPrinter, chromiumUnavailableReason, type PdfPrinter } from '../../electron/report/pdf.ts';
import { reportJsonChunks } from '../../electron/report/stream.ts';
import { verifyReportDir } from '../../electron/report/verify-report.ts';
import { verifyCase } from '../../electron/case/verify.ts';
import type { CaseStore } from '../../electron/case/store.ts';
import { examiner, have, stratusCase, type Examiner } from './helpers.ts';

const skip = chromiumUnavailableReason() ?? (have('pdftotext') ? null : 'pdftotext (poppler-utils) is not installed');
if (skip) console.log(`# bounded PDF test skipped: ${skip}`);

const LIMITS = { rows: 5, findings: 3, briefFindings: 4, idsPerFinding: 2 };
const dir = mkdtempSync(join(tmpdir(), 'trailcase-bounded-'));
let alice: Examiner;
let store: CaseStore;
let casePath: string;
const out = join(dir, 'report');

before(async () => {
  alice = examiner('Alice Examiner', dir);
  casePath = join(dir, 'stratus.trailcase');
  store = await stratusCase(casePath, alice);
});

after(() => {
  store?.close();
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  else console.log(dir);
});

/** A timeline source over rows already in memory, in batches of `size` (to cross batch boundaries). */
function inBatches(rows: ReportModel['timeline']['rows'], size: number): TimelineSource {
  return {
    count: rows.length,
    *batches() {
      for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
    },
    head: (n) => rows.slice(0, n),
    has: (id) => rows.some((r) => r.eventId === id),
  };
}

test('streamed report.json and timeline.csv are byte for byte the whole-model files, across batch boundaries and empty', async () => {
  const cp = readCheckpoint(store)!;
  const input = { store, checkpoint: cp, examiner: { name: alice.name, keyFingerprint: alice.signer.fingerprint }, analysis: await analysisForReport(store), verify: verifyCase(store), template: loadCertificationTemplate() };
  const full = buildReportModel(input);
  const { model, timeline } = buildReportContent(input);
  assert.ok(full.timeline.rows.length > 20, `${full.timeline.rows.length} timeline rows`);
  assert.equal(timeline.count, full.timeline.rows.length);
  assert.deepEqual(model.timeline.rows, [], 'the content model holds no rows');
  const whole = JSON.stringify(full, null, 2) + '\n';
  assert.equal([...reportJsonChunks(model, timeline)].join(''), whole);
  for (const size of [1, 7, 1000]) {
    assert.equal([...reportJsonChunks(model, inBatches(full.timeline.rows, size))].join(''), whole, `batches of ${size}`);
    assert.equal([...timelineCsvChunks(inBatches(full.timeline.rows, size).batches())].join(''), timelineCsv(full), `CSV in batches of ${size}`);
  }
  const empty = { ...full, timeline: { ...full.timeline, count: 0, rows: [] } };
  assert.equal([...reportJsonChunks({ ...model, timeline: { ...model.timeline, count: 0 } }, inBatches([], 5))].join(''), JSON.stringify(empty, null, 2) + '\n');
});

test('the PDF says, for each shortened list, how many there are, how many it shows and which signed file holds them all; report.json and timeline.csv hold every event', { skip: skip ?? false }, async () => {
  const printer: PdfPrinter = chromiumPrinter();
  try {
    await generateReport(store, alice.signer, { outDir: out, printer, pdfLimits: LIMITS });
  } finally {
    await printer.close?.();
  }
  const ok = verifyReportDir(out, { fingerprint: alice.signer.fingerprint, casePath });
  assert.ok(ok.ok, ok.checks.filter((c) => !c.ok).map((c) => `${c.what}: ${c.message}`).join('\n'));

  const m = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportModel;
  // Every event every finding cites is on the timeline of report.json and in timeline.csv.
  const onTimeline = new Set(m.timeline.rows.map((r) => r.eventId));
  const csv = readFileSync(join(out, 'timeline.csv'), 'utf8').split('\r\n');
  assert.equal(m.timeline.count, m.timeline.rows.length);
  assert.equal(csv.length, m.timeline.count + 2, 'header, one line per event, final empty');
  const cited = new Set(m.findings.items.flatMap((f) => f.facts.eventIds));
  assert.ok(cited.size > LIMITS.rows && m.findings.items.length > LIMITS.findings);
  for (const id of cited) {
    assert.ok(onTimeline.has(id), `cited event ${id} not in report.json's timeline`);
    assert.ok(csv.some((l) => l.includes(`,${id},`)), `cited event ${id} not in timeline.csv`);
  }
  for (const r of m.timeline.rows) for (const f of r.findings) assert.ok(m.findings.items.find((x) => x.id === f)!.facts.eventIds.includes(r.eventId));

  const p = spawnSync('pdftotext', [join(out, 'report.pdf'), '-'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(p.status, 0, p.stderr);
  // pdftotext joins a word broken at a line end, dropping its hyphen ("SHA-" / "256").
  const text = p.stdout.replace(/\s+/g, ' ').replace(/SHA-? ?256/g, 'SHA-256');
  const note = (shown: number, total: number, where: string) =>
    `Shown here: the first ${shown} of ${total}. The other ${total - shown} are not printed; all ${total} are in ${where}, whose SHA-256 the signed manifest lists.`;
  const expect = (shown: number, total: number, where: string) => assert.ok(text.includes(note(shown, total, where)), `missing in the PDF: ${note(shown, total, where)}`);
  expect(LIMITS.rows, m.timeline.count, 'timeline.csv and report.json (timeline.rows)');
  expect(LIMITS.rows, m.evidence.count, 'report.json (evidence.items)');
  expect(LIMITS.findings + LIMITS.briefFindings, m.findings.items.length, 'report.json (findings.items, in this order: the findings not printed are the least severe)');
  const printed = m.findings.items.slice(0, LIMITS.findings);
  // The next ones in brief: their ids are printed, their cited events are not.
  for (const f of m.findings.items.slice(LIMITS.findings, LIMITS.findings + LIMITS.briefFindings)) assert.ok(text.includes(f.id), `brief finding ${f.id} not printed`);
  for (const f of printed) {
    const n = f.facts.eventIds.length;
    if (n > LIMITS.idsPerFinding) expect(LIMITS.idsPerFinding, n, `report.json (this finding's facts.eventIds) and timeline.csv (rows whose findings column holds ${f.id})`);
  }
  assert.ok(printed.some((f) => f.facts.eventIds.length > LIMITS.idsPerFinding), 'a printed finding cites more events than the PDF lists');
  // What is not printed is not there: the findings past both limits.
  const unprinted = m.findings.items.slice(LIMITS.findings + LIMITS.briefFindings);
  assert.ok(unprinted.length > 0 && unprinted.every((f) => !text.includes(f.id)), 'findings past the limit are not printed');
  const pages = Number(/Pages:\s+(\d+)/.exec(spawnSync('pdfinfo', [join(out, 'report.pdf')], { encoding: 'utf8' }).stdout)?.[1]);
  assert.ok(pages > 3 && pages < 30, `${pages} pages`);
});
