// CloudTrail validation wired into the case (README.md, "Acquisition from AWS"): the verify exit-code
// table agrees with the result severities, listEvidence shows each item's
// result, and the API reports per object, on a folder copy (no S3 needed).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { makeContext } from '../../../electron/api/context.ts';
import { dispatch } from '../../../electron/api/handlers.ts';
import { SOURCE_FAILURES, verifyExitCode } from '../../../electron/case/verify.ts';
import { importPaths } from '../../../electron/ingest/import-files.ts';
import { RESULT_SEVERITY } from '../../../electron/ingest/aws/validation.ts';
import { generateTrail, writeTrailToFolder } from '../../support/cloudtrail-signer.ts';
import { tempCase, tempDir, type TempCase } from '../../support/case.ts';

const cases: TempCase[] = [];
after(() => {
  for (const c of cases) c.cleanup();
});

test("verify's failure set is exactly the failures of the validation results", () => {
  const failures = Object.entries(RESULT_SEVERITY).filter(([, s]) => s === 'failure').map(([k]) => k).sort();
  assert.deepEqual([...SOURCE_FAILURES].sort(), failures);
});

test('listEvidence, cloudTrailValidation and verify on a folder copy with an altered log and a missing digest', async () => {
  const c = tempCase('validation');
  cases.push(c);
  const trail = generateTrail({ hours: 4, seed: 21, alterLogs: [{ hour: 0, index: 1 }], dropDigestHours: [2] });
  const dir = tempDir('trailcase-val-');
  await writeTrailToFolder(trail.files, join(dir, 'copy'));
  writeFileSync(join(dir, 'keys.json'), trail.publicKeys);
  await importPaths(c.store, c.signer, { sources: [join(dir, 'copy')] });
  const ctx = makeContext(c.store, { signer: c.signer });
  const added = await dispatch(ctx, 'addPublicKeys', { path: join(dir, 'keys.json') });
  assert.equal(added.objects, 1);

  const ev = await dispatch(ctx, 'listEvidence', { limit: 100 });
  const byKey = new Map(ev.items.filter((i) => i.originMeta.s3Key).map((i) => [i.originMeta.s3Key as string, i.validation]));
  const altered = trail.hours[0].logKeys[1];
  assert.equal(byKey.get(altered), 'hash-mismatch');
  assert.equal(byKey.get(trail.hours[0].logKeys[0]), 'valid');
  for (const k of trail.hours[2].logKeys) assert.equal(byKey.get(k), 'digest-missing');
  assert.equal(byKey.get(trail.hours[0].digestKey), 'valid', 'signature from its successor (previousDigestSignature), key from the case');
  assert.equal(byKey.get(trail.hours[1].digestKey), 'signature-unavailable', 'its successor is the missing digest: nothing carries its signature');
  assert.equal(byKey.get(trail.hours[3].digestKey), 'digest-missing', 'the digest after the gap');
  assert.equal(ev.items.find((i) => i.originMeta.role === 'cloudtrail-public-keys')!.validation, null);

  const r = await dispatch(ctx, 'cloudTrailValidation', { onlyProblems: true });
  assert.equal(r.failures, 1);
  assert.equal(r.publicKeys.count, 1);
  assert.ok(r.objects.every((o) => o.severity !== 'ok'), 'only problems listed');
  assert.equal(r.objects.find((o) => o.result === 'hash-mismatch')!.key, altered);
  assert.ok(r.digests.some((d) => d.gapBefore?.reason === 'previous-digest-missing'), 'the gap is reported');

  const v = await dispatch(ctx, 'verify', {});
  assert.equal(v.ok, true);
  assert.equal(verifyExitCode(v), 3);
  assert.deepEqual(
    v.sourceValidation.filter((s) => SOURCE_FAILURES.has(s.result)).map((s) => s.origin),
    [join(dir, 'copy', ...altered.split('/'))],
  );
});
