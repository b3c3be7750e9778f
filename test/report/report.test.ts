// The signed report (docs/verification.md) on a real case (Stratus Red Team detonation
// logs): byte-identical across runs, PDF contents, verification by
// verify-report and by the standard-tools recipe of docs/verification.md, and
// every kind of alteration caught with a message that says what.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { addIoc } from '../../electron/analysis/ioc.ts';
import { analyseCase } from '../../electron/analysis/run.ts';
import { decideFinding, recordRun } from '../../electron/analysis/runs.ts';
import { makeContext } from '../../electron/api/context.ts';
import { dispatch } from '../../electron/api/handlers.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { generateReport } from '../../electron/report/generate.ts';
import { SECTIONS } from '../../electron/report/html.ts';
import { MANIFEST_FILE, PUBLIC_KEY_FILE, SIGNATURE_FILE } from '../../electron/report/manifest.ts';
import type { ReportModel } from '../../electron/report/model.ts';
import { chromiumPrinter, chromiumUnavailableReason, pdfDates, pdfDestinationPages, setDefaultPdfPrinter, type PdfPrinter, type PdfPrintOptions } from '../../electron/report/pdf.ts';
import { verifyReportDir } from '../../electron/report/verify-report.ts';
import type { ReportSummary } from '../../shared/api/report.ts';
import { alterEvidence, cli, examiner, flipByte, have, runRecipe, stratusCase, type Examiner } from './helpers.ts';
import { forgeRecordBytes } from '../support/forgery.ts';

const skip = chromiumUnavailableReason();
if (skip) console.log(`# report tests skipped: ${skip}`);
const pdftotext = have('pdftotext');
if (!skip && !pdftotext) console.log('# PDF text checks skipped: pdftotext (poppler-utils) is not installed');

const dir = mkdtempSync(join(tmpdir(), 'trailcase-report-'));
let alice: Examiner;
let mallory: Examiner;
let casePath: string;
let printer: PdfPrinter;
let r1: ReportSummary;
let r2: ReportSummary;
let accepted: string;
let dismissed: string;
let iocIp: string;
let iocValue: string;
let cacheBefore: unknown;
let cacheWhilePrinting: unknown;
let cacheAfter: unknown;
const out1 = join(dir, 'report-1');
const out2 = join(dir, 'report-2');

before(async () => {
  if (skip) return;
  alice = examiner('Alice Examiner', dir);
  mallory = examiner('Mallory', dir);
  casePath = join(dir, 'stratus.trailcase');
  const store = await stratusCase(casePath, alice);
  // The examiner's review, as the analysis domain records it: a stored run, one finding accepted, one dismissed, an IOC.
  const run = await analyseCase(store);
  recordRun(store, alice.name, run);
  assert.ok(run.findings.length >= 2, 'the Stratus detonations give findings');
  accepted = run.findings[0].id;
  dismissed = run.findings[1].id;
  decideFinding(store, alice.name, accepted, 'accepted', 'matches the detonation plan');
  decideFinding(store, alice.name, dismissed, 'dismissed', 'expected test activity');
  iocIp = (store.db.prepare("SELECT text FROM ips WHERE text LIKE '%.%' ORDER BY text LIMIT 1").get() as { text: string }).text;
  // The IOC list keeps addresses canonical (035.249.253.232 -> 35.249.253.232) and matches the padded form too.
  iocValue = addIoc(store, alice.name, { type: 'ip', value: iocIp, label: 'detonation host' }).ioc.value;
  printer = chromiumPrinter();
  try {
    r1 = await generateReport(store, alice.signer, { outDir: out1, printer });
    // Second run: a separate Chromium launch, same case, same checkpoint.
    const second = chromiumPrinter();
    try {
      cacheBefore = store.db.pragma('cache_size', { simple: true });
      // What the case's connection caches while the report is built (read as the PDF is printed).
      const watching: PdfPrinter = { get name() { return second.name; }, print: (html, o) => ((cacheWhilePrinting = store.db.pragma('cache_size', { simple: true })), second.print(html, o)) };
      r2 = await generateReport(store, alice.signer, { outDir: out2, printer: watching });
      cacheAfter = store.db.pragma('cache_size', { simple: true });
    } finally {
      await second.close?.();
    }
  } finally {
    store.close();
  }
});

after(async () => {
  await printer?.close?.();
  rmSync(dir, { recursive: true, force: true });
});

test('the report is built under a 16 MB page cache, and the case connection gets its own back', { skip: skip ?? false }, () => {
  // A report reads the case once over; a bigger cache only raised its peak (a 5M case's report: 537 MB).
  assert.equal(cacheWhilePrinting, -16384);
  assert.notEqual(cacheBefore, -16384);
  assert.equal(cacheAfter, cacheBefore);
});

const files = (d: string) => readdirSync(d).filter((n) => !n.startsWith('.')).sort();
const model = (d: string) => JSON.parse(readFileSync(join(d, 'report.json'), 'utf8')) as ReportModel;

test('the same case at the same checkpoint gives byte-identical report files', { skip: skip ?? false }, () => {
  assert.deepEqual(files(out1), ['examiner-public-key.pem', 'manifest.json', 'manifest.json.sig', 'report.json', 'report.pdf', 'timeline.csv', 'verify-case.py']);
  for (const f of files(out1)) assert.ok(readFileSync(join(out1, f)).equals(readFileSync(join(out2, f))), `${f} differs between two runs`);
  assert.equal(r1.reportId, r2.reportId);
  assert.equal(r1.checkpoint.seq, r2.checkpoint.seq);
  // The first run signed a checkpoint (the note and tag came after the import's); the second did not need one.
  assert.equal(r1.checkpoint.fresh, true);
  assert.equal(r2.checkpoint.fresh, false);
  // The time of generation is in the custody log, not in the files.
  const store = CaseStore.open(casePath, { readonly: true });
  try {
    const logged = store.db.prepare("SELECT seq, details FROM custody WHERE action = 'report.generated' ORDER BY seq").all() as { seq: number; details: string }[];
    assert.equal(logged.length, 2);
    assert.deepEqual(logged.map((l) => l.seq), [r1.custodySeq, r2.custodySeq]);
    assert.equal(JSON.parse(logged[0].details).manifestSha256, r1.manifestSha256);
    const m = model(out1);
    assert.ok(m.custody.entries.every((e) => e.seq <= m.checkpoint.custodySeq), 'custody shown up to the checkpoint only');
    assert.ok(!m.custody.entries.some((e) => e.action === 'report.generated'), '!m.custody.entries.some((e) => e.action === report.generated)');
  } finally {
    store.close();
  }
});

test('Chromium dates in the PDF are the checkpoint time, not the wall clock', { skip: skip ?? false }, () => {
  const m = model(out1);
  const pdf = readFileSync(join(out1, 'report.pdf'));
  const digits = new Date(m.checkpoint.createdAt).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const dates = pdfDates(pdf);
  assert.equal(dates.length, 2, 'CreationDate and ModDate');
  for (const d of dates) assert.equal(d, `D:${digits}+00'00'`);
});

function pdfText(pdf: string, page?: number): string {
  const args = page ? ['-f', String(page), '-l', String(page)] : [];
  const r = spawnSync('pdftotext', ['-layout', ...args, pdf, '-'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('the PDF holds the evidence hashes, every finding eventID, the ToC pages and the footer on every page', { skip: skip ?? (!pdftotext && 'pdftotext missing') }, () => {
  const pdf = join(out1, 'report.pdf');
  const m = model(out1);
  const text = pdfText(pdf);
  assert.equal(m.evidence.items.length, 35);
  for (const e of m.evidence.items) assert.ok(text.includes(e.sha256), `evidence ${e.id} SHA-256 ${e.sha256} not in the PDF text`);
  if (m.findings.available) {
    assert.ok(m.findings.items.length > 0, 'the Stratus detonations give findings');
    for (const f of m.findings.items) for (const id of f.facts.eventIds) assert.ok(text.includes(id), `finding ${f.id}: eventID ${id} not in the PDF text`);
    assert.ok(m.timeline.rows.length > 0, 'm.timeline.rows.length > 0');
  } else {
    assert.ok(text.includes('is not part of this build'), 'the report says analysis is not available');
  }
  // The examiner's decisions: the accepted finding is confirmed, the dismissed one moved to the exclusions.
  const acc = m.findings.items.find((f) => f.id === accepted);
  assert.match(acc?.interpretation.confidence ?? '', /^Confirmed by examiner Alice Examiner on .* \("matches the detonation plan"\)/);
  assert.ok(!m.findings.items.some((f) => f.id === dismissed), 'a dismissed finding is not in the summary');
  assert.deepEqual(m.warnings.dismissedFindings.map((d) => [d.id, d.decision, d.note]), [[dismissed, 'dismissed', 'expected test activity']]);
  assert.ok(text.includes('expected test activity'), 'the dismissal note is printed');
  // The IOC with its hit count, from the analysis IOC matcher.
  const ioc = m.iocs.items.find((i) => i.type === 'ip' && i.value === iocValue);
  const s = CaseStore.open(casePath, { readonly: true });
  const n = (s.db.prepare('SELECT count(*) AS n FROM events WHERE ip = (SELECT id FROM ips WHERE text = ?)').get(iocIp) as { n: number }).n;
  s.close();
  assert.ok(n > 0 && ioc?.hits === n, `IOC ${iocIp}: ${ioc?.hits} hits, ${n} events`);
  assert.ok(text.includes(iocValue) && text.includes('detonation host'), 'the IOC is printed');
  // The tagged StopLogging event is on the timeline either way.
  assert.ok(m.timeline.rows.some((r) => r.tags.includes('logging-disabled') && r.eventName === 'StopLogging'), 'm.timeline.rows.some((r) => r.tags.includes(logging-disabled) && r.eventName === StopLoggi');
  assert.ok(text.includes('Engagement letter 2026-117'), 'text.includes(Engagement letter 2026-117)');
  assert.ok(text.includes(m.examiner.keyFingerprint), 'text.includes(m.examiner.keyFingerprint)');
  // Table of contents: each section starts on the page the ToC gives.
  const dests = pdfDestinationPages(readFileSync(pdf));
  const toc = pdfText(pdf, 2);
  SECTIONS.forEach(([id, title], i) => {
    const page = dests.get(id);
    assert.ok(page, `no destination for ${id}`);
    assert.match(toc, new RegExp(`${i + 1}\\. ${title}\\s+${page}\\b`), `ToC line for ${title}`);
    assert.ok(pdfText(pdf, page).includes(`${i + 1}. ${title}`), `${title} is not on page ${page}`);
  });
  // Footer: case id, checkpoint root and page x of y on every page.
  const pages = Number(/Pages:\s+(\d+)/.exec(spawnSync('pdfinfo', [pdf], { encoding: 'utf8' }).stdout)?.[1]);
  assert.ok(pages > 3, 'pages > 3');
  for (let p = 1; p <= pages; p++) {
    const t = pdfText(pdf, p);
    assert.ok(t.includes(m.case.caseId) && t.includes(m.checkpoint.root) && t.includes(`Page ${p} of ${pages}`), `footer missing on page ${p}`);
  }
});

test('timeline.csv has the timeline rows in time order', { skip: skip ?? false }, () => {
  const m = model(out1);
  const lines = readFileSync(join(out1, 'timeline.csv'), 'utf8').split('\r\n');
  assert.equal(lines[0], 'eventTime,eventID,leaf,eventName,eventSource,awsRegion,sourceIPAddress,userAgent,principal,accessKeyId,recipientAccountId,errorCode,findings,tags');
  assert.equal(lines.length, m.timeline.rows.length + 2); // header + rows + final empty
  const times = m.timeline.rows.map((r) => r.time ?? '');
  assert.deepEqual(times, [...times].sort());
  m.timeline.rows.forEach((r, i) => assert.ok(lines[i + 1].startsWith(`${r.time},${r.eventId},${r.leaf},`), 'lines[i + 1].startsWith(${r.time},${r.eventId},${r.leaf},)'));
});

function copyReport(name: string): string {
  const d = join(dir, name);
  cpSync(out1, d, { recursive: true });
  return d;
}

function failed(r: ReturnType<typeof verifyReportDir>): string[] {
  return r.checks.filter((c) => !c.ok).map((c) => `${c.what}: ${c.message}`);
}

test('verify-report accepts the report and catches each alteration, saying what', { skip: skip ?? false }, () => {
  const ok = verifyReportDir(out1, { fingerprint: alice.signer.fingerprint, casePath });
  assert.ok(ok.ok, failed(ok).join('\n'));
  assert.deepEqual(ok.checks.map((c) => c.what), ['manifest', 'key', 'signature', 'report.pdf', 'report.json', 'timeline.csv', 'verify-case.py', 'folder', 'checkpoint', 'case']);

  for (const f of ['report.pdf', 'report.json', 'timeline.csv']) {
    const d = copyReport(`flip-${f}`);
    flipByte(join(d, f));
    const r = verifyReportDir(d);
    assert.equal(r.ok, false, f);
    const bad = failed(r);
    assert.equal(bad.length, 1, bad.join('\n'));
    assert.match(bad[0], new RegExp(`^${f.replace('.', '\\.')}: ${f.replace('.', '\\.')}: SHA-256 is [0-9a-f]{64}, the signed manifest says [0-9a-f]{64}: the file was changed`));
  }

  // One flipped byte in the manifest: a hex digit of a file hash.
  const dm = copyReport('flip-manifest');
  const mtext = readFileSync(join(dm, MANIFEST_FILE), 'utf8');
  const at = mtext.indexOf('"sha256": "') + 11;
  flipByte(join(dm, MANIFEST_FILE), at);
  const rm = verifyReportDir(dm);
  assert.equal(rm.ok, false);
  assert.ok(failed(rm).some((m) => m.startsWith('signature: manifest.json.sig does not verify')), failed(rm).join('\n'));

  const ds = copyReport('flip-signature');
  flipByte(join(ds, SIGNATURE_FILE), 10);
  const rs = verifyReportDir(ds);
  assert.deepEqual(failed(rs).map((m) => m.split(':')[0]), ['signature']);

  // A wrong public key: put Mallory's key in the folder.
  const dk = copyReport('wrong-key');
  writeFileSync(join(dk, PUBLIC_KEY_FILE), mallory.signer.publicKeyPem);
  const rk = verifyReportDir(dk);
  assert.deepEqual(failed(rk).map((m) => m.split(':')[0]), ['key', 'signature']);
  assert.match(failed(rk)[0], /wrong public key/);
  // ... or pass it, or pin a fingerprint the key does not have.
  assert.match(failed(verifyReportDir(out1, { publicKeyPem: mallory.signer.publicKeyPem })).join('\n'), /does not verify with key/);
  assert.match(failed(verifyReportDir(out1, { fingerprint: mallory.signer.fingerprint })).join('\n'), /not the expected/);
});

test('a case altered after its report is caught; a case that only grew is not', { skip: skip ?? false }, () => {
  const altered = join(dir, 'altered.trailcase');
  copyFileSync(casePath, altered);
  alterEvidence(altered);
  const r = verifyReportDir(out1, { casePath: altered });
  assert.equal(r.ok, false);
  const bad = failed(r);
  assert.equal(bad.length, 1);
  assert.match(bad[0], /^case: the case was altered after its report: it no longer verifies \(\d+ problems: .*evidence:1: evidence item 1 .*SHA-256 of the preserved bytes is [0-9a-f]{64}, recorded [0-9a-f]{64}: the bytes were altered/);

  const grown = join(dir, 'grown.trailcase');
  copyFileSync(casePath, grown);
  const s = CaseStore.open(grown);
  s.db.transaction(() => s.appendCustody('Alice Examiner', 'note', { text: 'later work' }))();
  s.checkpoint(alice.signer, 'later');
  s.close();
  const g = verifyReportDir(out1, { casePath: grown });
  assert.ok(g.ok, failed(g).join('\n'));
});

test('docs/verification.md standard-tools recipes check the report and the case, and fail on alterations', { skip: skip ?? ((!have('openssl') || !have('sqlite3') || !have('sha256sum')) && 'openssl, sqlite3 or sha256sum missing') }, () => {
  const m = model(out1);
  const fpr = alice.signer.fingerprint;
  const good = runRecipe('report', out1, { FPR: fpr });
  assert.equal(good.status, 0, good.out);
  assert.match(good.out, /Signature Verified Successfully/);
  assert.match(good.out, /report\.pdf: OK/);

  const d = copyReport('recipe-flip');
  flipByte(join(d, 'report.pdf'));
  const bad = runRecipe('report', d, { FPR: fpr });
  assert.notEqual(bad.status, 0);
  assert.match(bad.out, /report\.pdf: FAILED/);
  assert.notEqual(runRecipe('report', out1, { FPR: mallory.signer.fingerprint }).status, 0, 'a fingerprint that is not the key must fail');

  const work = mkdtempSync(join(dir, 'recipe-case-'));
  const vars = { CASE: casePath, SEQ: String(m.checkpoint.seq), TREE: String(m.checkpoint.treeSize), ROOT: m.checkpoint.root, FPR: fpr, VERIFIER: join(out1, 'verify-case.py') };
  const c = runRecipe('case', work, vars);
  assert.equal(c.status, 0, c.out);
  const altered = join(dir, 'recipe-altered.trailcase');
  copyFileSync(casePath, altered);
  alterEvidence(altered, 3);
  assert.notEqual(runRecipe('case', work, { ...vars, CASE: altered }).status, 0, 'altered evidence must fail the recipe');
  assert.notEqual(runRecipe('case', work, { ...vars, ROOT: '0'.repeat(64) }).status, 0, 'another root must fail the recipe');
  // docs/verification.md: the loop names the failing item even when it is not the last, and a consistent forgery fails step 5.
  const item = runRecipe('case', work, { ...vars, CASE: altered });
  assert.match(item.out, /evidence item 3: SHA-256 [0-9a-f]{64}, recorded [0-9a-f]{64}: FAILED/);
  const forged = join(dir, 'recipe-forged.trailcase');
  copyFileSync(casePath, forged);
  forgeRecordBytes(forged, 3);
  const f = runRecipe('case', work, { ...vars, CASE: forged });
  assert.notEqual(f.status, 0, 'record bytes edited with every hash fixed up must fail the recipe');
  assert.match(f.out, /FAIL checkpoints:seq \d+: signs event root/);
  const unlisted = copyReport('recipe-unlisted');
  writeFileSync(join(unlisted, 'extra.txt'), 'x');
  const u = runRecipe('report', unlisted, { FPR: fpr });
  assert.notEqual(u.status, 0);
  assert.match(u.out, /NOT IN THE MANIFEST: extra\.txt/);
});

test('trailcase verify-report exits 0 only when everything holds', { skip: skip ?? false }, () => {
  const good = cli(['verify-report', out1, '--fingerprint', alice.signer.fingerprint, '--case', casePath], {});
  assert.equal(good.status, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /^VERIFIED: report [0-9a-f]{32}/);
  const d = copyReport('cli-flip');
  flipByte(join(d, 'report.json'));
  const bad = cli(['verify-report', d, '--json'], {});
  assert.equal(bad.status, 1);
  const j = JSON.parse(bad.stdout);
  assert.equal(j.ok, false);
  assert.deepEqual(j.checks.filter((c: any) => !c.ok).map((c: any) => c.what), ['report.json']);
});

test('an injected printer (as Electron printToPDF) gets the footer and outline options and prints the same PDF', { skip: skip ?? false }, async () => {
  const seen: PdfPrintOptions[] = [];
  const injected: PdfPrinter = {
    name: 'test printer over Chromium',
    print: (html, o) => {
      seen.push(o);
      return printer.print(html, o);
    },
  };
  const m = model(out1);
  const store = CaseStore.open(casePath);
  try {
    // Through the API, as the shell calls it: a job, with the printer installed as the default.
    setDefaultPdfPrinter(injected);
    const ctx = makeContext(store, { signer: alice.signer });
    const { jobId } = await dispatch(ctx, 'generateReport', { outDir: join(dir, 'report-api') });
    const st = await ctx.jobs.wait(jobId);
    assert.equal(st.state, 'done', st.error);
    const r = st.result as ReportSummary;
    assert.equal(r.renderer, 'test printer over Chromium');
    assert.equal(r.reportId, m.reportId);
  } finally {
    setDefaultPdfPrinter(null);
    store.close();
  }
  assert.ok(seen.length >= 2, 'two passes: one for the ToC page numbers');
  for (const o of seen) {
    assert.ok(o.footerTemplate.includes(m.case.caseId) && o.footerTemplate.includes(m.checkpoint.root), 'o.footerTemplate.includes(m.case.caseId) && o.footerTemplate.includes(m.checkpoint.root)');
    assert.ok(o.footerTemplate.includes('pageNumber') && o.footerTemplate.includes('totalPages'), 'o.footerTemplate.includes(pageNumber) && o.footerTemplate.includes(totalPages)');
    assert.equal(o.outline, true);
    assert.equal(o.tagged, true);
  }
  assert.ok(readFileSync(join(dir, 'report-api', 'report.pdf')).equals(readFileSync(join(out1, 'report.pdf'))));
  assert.ok(verifyReportDir(join(dir, 'report-api')).ok);
});

test('no report from a damaged case, and no overwriting an existing report', { skip: skip ?? false }, async () => {
  const damaged = join(dir, 'damaged.trailcase');
  copyFileSync(casePath, damaged);
  alterEvidence(damaged, 2);
  const store = CaseStore.open(damaged);
  try {
    await assert.rejects(generateReport(store, alice.signer, { outDir: join(dir, 'never'), printer }), (e: any) => e.exitCode === 1 && /does not verify .*evidence:2/.test(e.message));
  } finally {
    store.close();
  }
  const again = CaseStore.open(casePath);
  try {
    await assert.rejects(generateReport(again, alice.signer, { outDir: out1, printer }), /already holds a report/);
  } finally {
    again.close();
  }
});

// docs/verification.md: the "How to verify" commands as a reader copies them out of report.pdf,
// run in an empty folder on the genuine report (pass) and on forgeries (fail, naming what).
test('the commands printed in report.pdf run as extracted: the genuine report passes, forgeries fail', { skip: skip ?? ((!pdftotext || !have('python3') || !have('openssl')) && 'pdftotext, python3 or openssl missing') }, async () => {
  const lines = pdfText(join(out1, 'report.pdf')).split('\n');
  const from = lines.findIndex((l) => l.trim().startsWith('# Tools:'));
  const to = lines.findIndex((l, i) => i > from && l.includes('python3 verify-case.py'));
  assert.ok(from >= 0 && to > from, 'the command block is in the PDF text');
  const script = join(dir, 'from-pdf.sh');
  writeFileSync(script, lines.slice(from, to + 1).join('\n') + '\n');
  const run = (folder: string, vars: Record<string, string>) => {
    const r = spawnSync('bash', ['-e', '-o', 'pipefail', script], { cwd: folder, env: { ...process.env, ...vars }, encoding: 'utf8', timeout: 300_000 });
    return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  };
  const fresh = (name: string) => {
    const d = mkdtempSync(join(dir, `empty-${name}-`));
    cpSync(out1, d, { recursive: true });
    return d;
  };
  const fpr = alice.signer.fingerprint;
  const good = run(fresh('genuine'), { FPR: fpr, CASE: casePath });
  assert.equal(good.status, 0, good.out);
  assert.match(good.out, /key OK/);
  assert.match(good.out, /Signature Verified Successfully/);
  assert.match(good.out, /report\.pdf: OK/);
  assert.match(good.out, /verify-case\.py: OK/);
  assert.match(good.out, /INTACT: 0 failure/);

  // (d) a file the manifest does not list: the printed loop, verify-report and verify-case.py.
  const extra = fresh('unlisted');
  writeFileSync(join(extra, 'notes.txt'), 'planted');
  const u = run(extra, { FPR: fpr, CASE: casePath });
  assert.notEqual(u.status, 0);
  assert.match(u.out, /NOT IN THE MANIFEST: notes\.txt/);
  assert.deepEqual(failed(verifyReportDir(extra, { fingerprint: fpr })), ['folder: "notes.txt": in the folder but not listed in the signed manifest']);
  const { verifyCasePy, forgeRecordBytes } = await import('../support/forgery.ts');
  const py = verifyCasePy([casePath, '--report', extra, '--fingerprint', fpr]);
  assert.equal(py.status, 1);
  assert.match(py.out, /FAIL report:notes\.txt: this file is in the folder but the signed manifest does not list it/);

  // (e) a report from another case.
  const other = join(dir, 'other.trailcase');
  CaseStore.create(other, { title: 'another case', examiner: alice.name }, alice.signer).close();
  const o = run(fresh('other-case'), { FPR: fpr, CASE: other });
  assert.notEqual(o.status, 0);
  assert.match(o.out, /FAIL report:manifest\.json: case \S+, this case file is \S+: the report is of another case/);
  assert.ok(failed(verifyReportDir(out1, { fingerprint: fpr, casePath: other })).some((f) => /^case: .* is case .*, the report is about case/.test(f)));

  // (a) on the case: record bytes edited with every hash fixed up and the triggers re-created.
  const forged = join(dir, 'forged-for-pdf.trailcase');
  copyFileSync(casePath, forged);
  forgeRecordBytes(forged, 3);
  const f = run(fresh('forged-case'), { FPR: fpr, CASE: forged });
  assert.notEqual(f.status, 0);
  assert.match(f.out, /FAIL checkpoints:seq \d+: signs event root/);
  assert.ok(failed(verifyReportDir(out1, { fingerprint: fpr, casePath: forged })).some((x) => x.startsWith('case: ')));

  // A flipped byte in a listed file, and another key.
  const flipped = fresh('flipped');
  flipByte(join(flipped, 'timeline.csv'));
  assert.match(run(flipped, { FPR: fpr }).out, /timeline\.csv: FAILED/);
  assert.notEqual(run(fresh('other-key'), { FPR: mallory.signer.fingerprint }).status, 0);
});
