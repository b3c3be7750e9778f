// The report's small units without Chromium: PDF date rewriting and named
// destinations, CSV quoting, the certification template, checkpoint text
// parsing, and which custody entries need a fresh checkpoint before a report.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CaseStore, checkpointBody } from '../../electron/case/store.ts';
import { DEFAULT_CERTIFICATION_TEMPLATE, fillCertification, loadCertificationTemplate, CERTIFICATION_PLACEHOLDERS, type CertificationValues } from '../../electron/report/certification.ts';
import { csvCell } from '../../electron/report/csv.ts';
import { uncoveredChanges } from '../../electron/report/generate.ts';
import { esc, miniMarkdown } from '../../electron/report/html.ts';
import { checkCheckpointSignature, parseCheckpointBody } from '../../electron/report/manifest.ts';
import { readCheckpoint, reportIdFor } from '../../electron/report/model.ts';
import { fixPdfDates, pdfDates, pdfDestinationPages, printToPdfPrinter, REPORT_PRINT_OPTIONS, type ElectronPrintToPdfOptions } from '../../electron/report/pdf.ts';
import { examiner } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-report-units-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A minimal PDF in the layout Skia writes (objects, xref offsets, trailer). */
function pdf(info: string, extraObjects: string[] = [], catalogExtra = ''): Buffer {
  const objs = [
    `<</Title (t)\n/CreationDate ${info}\n/ModDate ${info}>>`,
    `<</Type /Catalog\n/Pages 3 0 R${catalogExtra}>>`,
    `<</Type /Pages\n/Count 3\n/Kids [4 0 R 5 0 R]>>`,
    `<</Type /Page\n/Parent 3 0 R>>`,
    `<</Type /Pages\n/Count 2\n/Kids [6 0 R 7 0 R]>>`,
    `<</Type /Page\n/Parent 5 0 R>>`,
    `<</Type /Page\n/Parent 5 0 R>>`,
    ...extraObjects,
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<</Size ${objs.length + 1}\n/Root 2 0 R\n/Info 1 0 R>>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

test('PDF dates are rewritten to the given UTC time without moving a byte', () => {
  const cases: [string, string][] = [
    ["(D:20261126104001+00'00')", "D:20240731125043+00'00'"],
    ["(D:20261126104001-05'00')", "D:20240731125043+00'00'"],
    ['(D:20261126104001Z)', 'D:20240731125043Z'],
    ['(D:20261126104001)', 'D:20240731125043'],
    ["(D:20261126104001+05'30)", "D:20240731125043+00'00"],
  ];
  for (const [orig, want] of cases) {
    const before = pdf(orig);
    const after = fixPdfDates(before, '2024-07-31T12:50:43.987Z');
    assert.equal(after.length, before.length);
    assert.deepEqual(pdfDates(after), [want, want], orig);
    // Everything but the dates is untouched, so the xref offsets still point at their objects.
    const diff = [...after].filter((b, i) => b !== before[i]).length;
    assert.ok(diff > 0 && diff <= 2 * 16, `${diff} bytes changed`);
  }
  assert.throws(() => fixPdfDates(pdf('(D:20261126104001 local)'), '2024-07-31T12:50:43Z'), /unrecognised time zone/);
  assert.throws(() => fixPdfDates(Buffer.concat([pdf('(D:20261126104001Z)'), Buffer.from('trailer\n<</ID [<00> <00>]>>')]), '2024-07-31T12:50:43Z'), /\/ID/);
});

test('named destinations give page numbers through a nested page tree', () => {
  const p = pdf('(D:20261126104001Z)', ['<</s-case [4 0 R /XYZ 6 800 0]\n/s-find#2Dings [7 0 R /XYZ 6 800 0]\n/s-two [6 0 R /XYZ 6 10 0]>>'], '\n/Dests 8 0 R');
  assert.deepEqual([...pdfDestinationPages(p)].sort(), [['s-case', 1], ['s-find-ings', 3], ['s-two', 2]]);
  assert.equal(pdfDestinationPages(pdf('(D:20261126104001Z)')).size, 0);
});

test('CSV cells are quoted per RFC 4180 and formula-looking cells defused', () => {
  assert.equal(csvCell(null), '');
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  assert.equal(csvCell('+1'), "'+1");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell(42), '42');
});

test('HTML escaping and the Markdown subset of the certification template', () => {
  assert.equal(esc(`<script>alert("x")</script>&'`), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  const h = miniMarkdown('## Title <b>\n\nI, **Jane**, certify.\n\n- one\n  continued\n- two <i>\n\nEnd.');
  assert.equal(h, '<h3>Title &lt;b&gt;</h3>\n<p>I, <strong>Jane</strong>, certify.</p>\n<ul><li>one continued</li><li>two &lt;i&gt;</li></ul>\n<p>End.</p>');
});

test('the certification template fills every placeholder and rejects unknown ones', () => {
  const t = loadCertificationTemplate(DEFAULT_CERTIFICATION_TEMPLATE);
  const values = Object.fromEntries(CERTIFICATION_PLACEHOLDERS.map((k) => [k, `<${k}>`])) as CertificationValues;
  const md = fillCertification(t, values);
  assert.ok(!md.includes('{{') && !md.includes('<!--'), '!md.includes({{) && !md.includes(<!--)');
  for (const k of ['examiner', 'caseId', 'reportId', 'root', 'examinerFingerprint', 'buildHash']) assert.ok(md.includes(`<${k}>`), k);
  assert.match(t.sha256, /^[0-9a-f]{64}$/);
  const custom = join(dir, 'cert.md');
  writeFileSync(custom, 'Signed by {{examiner}} for {{courtName}}');
  assert.throws(() => fillCertification(loadCertificationTemplate(custom), values), /unknown placeholder \{\{courtName\}\}/);
  assert.throws(() => loadCertificationTemplate(join(dir, 'missing.md')), /no such file/);
});

test('checkpoint text parses, and its signature is checked against the named key', () => {
  const f = {
    caseId: 'c1', seq: 3, treeSize: 10, root: 'a'.repeat(64), evidenceCount: 2, evidenceRoot: 'b'.repeat(64), custodySeq: 7, custodyHead: 'c'.repeat(64),
    metaHash: 'd'.repeat(64), createdAt: '2026-01-01T00:00:00.000Z', reason: 'handoff to Bob', keyFingerprint: 'e'.repeat(64),
  };
  assert.deepEqual(parseCheckpointBody(checkpointBody(f)), f);
  assert.equal(parseCheckpointBody(checkpointBody(f).replace('events 10', 'events ten')), null);
  assert.equal(parseCheckpointBody('hello'), null);
  const a = examiner('Unit Examiner', dir);
  const body = checkpointBody({ ...f, keyFingerprint: a.signer.fingerprint });
  const sig = a.signer.sign(Buffer.from(body)).toString('base64');
  assert.equal(checkCheckpointSignature(body, sig, a.signer.publicKeyPem), null);
  assert.match(checkCheckpointSignature(body.replace('seq 3', 'seq 4'), sig, a.signer.publicKeyPem) ?? '', /does not verify/);
  const b = examiner('Other Examiner', dir);
  assert.match(checkCheckpointSignature(body, sig, b.signer.publicKeyPem) ?? '', /names key .* but the key given has fingerprint/);
});

test('report ids are derived from the case, the checkpoint and the key', () => {
  const cp = { seq: 2, treeSize: 310, root: 'a'.repeat(64) };
  const id = reportIdFor('case-1', cp, 'f'.repeat(64));
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(reportIdFor('case-1', cp, 'f'.repeat(64)), id);
  assert.notEqual(reportIdFor('case-1', { ...cp, seq: 3 }, 'f'.repeat(64)), id);
  assert.notEqual(reportIdFor('case-2', cp, 'f'.repeat(64)), id);
  assert.notEqual(reportIdFor('case-1', cp, 'e'.repeat(64)), id);
});

test('a report needs a fresh checkpoint after any custody entry but its own log, a verification or a rebuilt index', () => {
  const a = examiner('Checkpoint Examiner', dir);
  const s = CaseStore.create(join(dir, 'cp.trailcase'), { title: 'cp', examiner: a.name }, a.signer);
  try {
    assert.equal(uncoveredChanges(s, readCheckpoint(s)), null);
    for (const action of ['report.generated', 'verify', 'analysis.run', 'analysis.refs-indexed', 'timeline.indexed']) s.appendCustody(a.name, action, {});
    assert.equal(uncoveredChanges(s, readCheckpoint(s)), null);
    s.appendCustody(a.name, 'note', { text: 'x' });
    assert.match(uncoveredChanges(s, readCheckpoint(s)) ?? '', /custody entries after checkpoint #1 \(note\)/);
    s.checkpoint(a.signer, 'again');
    assert.equal(uncoveredChanges(s, readCheckpoint(s)), null);
    assert.match(uncoveredChanges(s, null) ?? '', /no signed checkpoint/);
  } finally {
    s.close();
  }
});

test('the Electron printToPDF printer gets inches, A4, header/footer, outline and tags, and always closes its page', async () => {
  const calls: { html: string; o: ElectronPrintToPdfOptions }[] = [];
  let closed = 0;
  const p = printToPdfPrinter(async (html) => ({
    printToPDF: async (o) => {
      calls.push({ html, o });
      if (html === 'fail') throw new Error('print failed');
      return Buffer.from('%PDF-1.4');
    },
    close: () => {
      closed++;
    },
  }));
  const opts = { ...REPORT_PRINT_OPTIONS, footerTemplate: '<div>case X</div>' };
  assert.equal(Buffer.from(await p.print('<html></html>', opts)).toString(), '%PDF-1.4');
  const o = calls[0].o;
  assert.equal(o.pageSize, 'A4');
  assert.equal(o.margins.top, REPORT_PRINT_OPTIONS.marginMm.top / 25.4);
  assert.equal(o.margins.left, REPORT_PRINT_OPTIONS.marginMm.left / 25.4);
  assert.deepEqual([o.displayHeaderFooter, o.generateDocumentOutline, o.generateTaggedPDF, o.printBackground], [true, true, true, true]);
  assert.equal(o.footerTemplate, '<div>case X</div>');
  await assert.rejects(p.print('fail', opts), /print failed/);
  assert.equal(closed, 2, 'the page is closed after success and after failure');
});
