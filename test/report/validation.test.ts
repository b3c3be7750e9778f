// The report's evidence inventory and integrity section carry CloudTrail's own
// validation result per source (docs/verification.md: "CloudTrail digest validation
// result"), here on a signed trail from the digest fixture generator
// (test/support/cloudtrail-signer.ts) with one altered log file. Model level:
// no Chromium needed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeContext } from '../../electron/api/context.ts';
import { dispatch } from '../../electron/api/handlers.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { verifyCase } from '../../electron/case/verify.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { analysisForReport } from '../../electron/report/analysis-bridge.ts';
import { loadCertificationTemplate } from '../../electron/report/certification.ts';
import { renderReportHtml } from '../../electron/report/html.ts';
import { buildReportModel, readCheckpoint } from '../../electron/report/model.ts';
import { generateTrail, writeTrailToFolder } from '../support/cloudtrail-signer.ts';
import { examiner } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-report-validation-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('each evidence item shows its CloudTrail validation result; an altered log shows hash-mismatch', async () => {
  const a = examiner('Val Examiner', dir);
  const trail = generateTrail({ hours: 3, seed: 7, alterLogs: [{ hour: 1, index: 0 }] });
  await writeTrailToFolder(trail.files, join(dir, 'copy'));
  writeFileSync(join(dir, 'keys.json'), trail.publicKeys);
  const store = CaseStore.create(join(dir, 'v.trailcase'), { title: 'validation', examiner: a.name }, a.signer);
  try {
    await importPaths(store, a.signer, { sources: [join(dir, 'copy')] }, { workers: 1 });
    await dispatch(makeContext(store, { signer: a.signer }), 'addPublicKeys', { path: join(dir, 'keys.json') });
    store.checkpoint(a.signer, 'test');
    const verify = verifyCase(store);
    assert.equal(verify.ok, true, JSON.stringify(verify.problems));
    const m = buildReportModel({
      store,
      checkpoint: readCheckpoint(store)!,
      examiner: { name: a.name, keyFingerprint: a.signer.fingerprint },
      analysis: await analysisForReport(store),
      verify,
      template: loadCertificationTemplate(),
    });
    const byKey = new Map(
      m.evidence.items.map((e) => [e.origin.split('/AWSLogs/')[1] ? 'AWSLogs/' + e.origin.split('/AWSLogs/')[1] : e.origin, e.validation]),
    );
    const altered = trail.hours[1].logKeys[0];
    assert.match(byKey.get(altered) ?? '', /^hash-mismatch/, `altered log: ${byKey.get(altered)}`);
    assert.match(byKey.get(trail.hours[0].logKeys[0]) ?? '', /^valid/);
    // The last digest of a folder copy has no successor to carry its signature (and no S3 metadata).
    assert.match(byKey.get(trail.hours[2].logKeys[0]) ?? '', /^signature-unavailable \(hash matches digest/);
    const counts = Object.fromEntries(m.integrity.sourceValidation.map((s) => [s.result, s.count]));
    assert.equal(counts['hash-mismatch'], 1);
    assert.ok(counts.valid >= 2, JSON.stringify(counts));
    const html = renderReportHtml(m);
    assert.ok(html.includes('hash-mismatch'), 'the PDF source shows the failing validation');
  } finally {
    store.close();
  }
});
