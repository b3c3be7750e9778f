// Display integrity in the signed report (docs/architecture.md, "Display integrity"), on a small hostile case
// (test/support/hostile.ts): in report.pdf the RLO user name shows as
// admin⟨U+202E⟩txt.exe and the address after it reads 198.51.100.66, the
// zero-width name shows its escape, both are listed under "Names to check",
// the 2 MB user agent is shortened with its length; report.json keeps every
// value exactly; timeline.csv neutralises formula cells.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { analyseCase } from '../../electron/analysis/run.ts';
import { recordRun } from '../../electron/analysis/runs.ts';
import { parseCsv } from '../../electron/analysis/ioc-formats.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { generateReport } from '../../electron/report/generate.ts';
import type { ReportModel } from '../../electron/report/model.ts';
import { chromiumPrinter, chromiumUnavailableReason, type PdfPrinter } from '../../electron/report/pdf.ts';
import { tempCase, type TempCase } from '../support/case.ts';
import { ATTACKER_IP, FORMULA_ERROR, FORMULA_IP, FORMULA_UA, IDS, LONG_UA, RLO_USER, writeHostileTrail, ZW_USER } from '../support/hostile.ts';
import { have } from './helpers.ts';

const skip = chromiumUnavailableReason();
if (skip) console.log(`# report display-integrity tests skipped: ${skip}`);
const noPdftotext = have('pdftotext') ? false : 'pdftotext (poppler-utils) is not installed';
if (!skip && noPdftotext) console.log(`# PDF text checks skipped: ${noPdftotext}`);

let c: TempCase;
let printer: PdfPrinter;
let out: string;

before(async () => {
  if (skip) return;
  c = tempCase('Hostile names');
  await importPaths(c.store, c.signer, { sources: [writeHostileTrail(c.dir)] }, { workers: 1 });
  recordRun(c.store, c.signer.examiner, await analyseCase(c.store));
  // Tagged events join the report's timeline: the 2 MB user agent and the formula values.
  for (const id of [IDS.longUa, IDS.formula]) c.store.db.transaction(() => c.store.appendCustody(c.signer.examiner, 'tag', { eventId: id, tag: 'review' }))();
  out = join(c.dir, 'report');
  printer = chromiumPrinter();
  await generateReport(c.store, c.signer, { outDir: out, printer });
});

after(async () => {
  await printer?.close?.();
  c?.cleanup();
});

test('report.pdf shows the escapes, keeps the address after the RLO name in order, and shortens the 2 MB user agent', { skip: skip ?? noPdftotext }, () => {
  const r = spawnSync('pdftotext', [join(out, 'report.pdf'), '-'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  const text = r.stdout.replace(/\s+/g, ' ');
  assert.doesNotMatch(text, /[\u202A-\u202E\u2066-\u2069\u200B-\u200F]/, 'no raw bidi or zero-width character in the PDF text');
  assert.match(text, new RegExp(`admin⟨U\\+202E⟩txt\\.exe from ${ATTACKER_IP.replace(/\./g, '\\.')}`));
  assert.doesNotMatch(text, /66\.001\.15\.891/);
  assert.match(text, /backup⟨U\+200B⟩-svc/);
  assert.match(text, /…\(2,097,152 chars\)/);
  assert.ok(text.length < 200_000, `the PDF text is ${text.length} characters: the user agent was not shortened`);
  // Warnings: the names to check, with the reason.
  const w = text.slice(text.lastIndexOf('Warnings and exclusions'));
  assert.match(w, /Names to check/);
  assert.match(w, /admin⟨U\+202E⟩txt\.exe/);
  assert.match(w, /U\+202E RIGHT-TO-LEFT OVERRIDE/);
  assert.match(w, /U\+200B ZERO WIDTH SPACE/);
});

test('report.json keeps every value exactly and lists the flagged names', { skip: skip ?? false }, () => {
  const m = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportModel;
  const ua = m.timeline.rows.find((x) => x.eventId === IDS.longUa)!;
  assert.equal(ua.userAgent, LONG_UA);
  assert.ok(m.timeline.rows.some((x) => x.principal === `arn:aws:iam::111122223333:user/${RLO_USER}`));
  const names = m.warnings.names.map((n) => n.value);
  assert.ok(names.includes(`arn:aws:iam::111122223333:user/${RLO_USER}`), names.join(' | '));
  assert.ok(names.includes(`arn:aws:iam::111122223333:user/${ZW_USER}`), names.join(' | '));
  assert.ok(!names.some((n) => n.endsWith('user/backup-svc')), 'the real backup-svc is not flagged');
  const rlo = m.warnings.names.find((n) => n.value.endsWith(RLO_USER) && n.field === 'principal ARN')!;
  assert.equal(rlo.events, 2);
});

test('timeline.csv neutralises formula cells', { skip: skip ?? false }, () => {
  const rows = parseCsv(readFileSync(join(out, 'timeline.csv'), 'utf8'));
  for (const r of rows) for (const cell of r) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `formula cell ${cell.slice(0, 80)}`);
  const head = rows[0];
  const f = rows.find((r) => r[head.indexOf('eventID')] === IDS.formula)!;
  assert.equal(f[head.indexOf('userAgent')], `'${FORMULA_UA}`);
  assert.equal(f[head.indexOf('errorCode')], `'${FORMULA_ERROR}`);
  assert.equal(f[head.indexOf('sourceIPAddress')], `'${FORMULA_IP}`);
  assert.equal(rows.find((r) => r[head.indexOf('eventID')] === IDS.longUa)![head.indexOf('userAgent')], LONG_UA);
});
