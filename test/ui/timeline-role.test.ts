// The timeline's 'role' grouping (README.md, "Addresses and profiles"): every session of a role counts in
// one row under the role (the demo showed one row per single-event session),
// the same from the direct SQL path and from the rollup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { makeContext } from '../../electron/api/context.ts';
import { dispatch } from '../../electron/api/handlers.ts';
import { tempCase } from '../support/case.ts';
import { timelineDensity } from '../../electron/api/timeline-handlers.ts';

const ACCT = '111122223333';
const ROLE = `arn:aws:iam::${ACCT}:role/deploy`;

test("grouping by role puts a role's sessions in one row, from SQL and from the rollup alike", async () => {
  const c = tempCase();
  try {
    const recs = [];
    for (let i = 0; i < 6; i++) {
      recs.push({
        eventVersion: '1.08', eventTime: `2026-03-01T0${i}:00:00Z`, eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity', awsRegion: 'us-east-1',
        sourceIPAddress: '198.51.100.1', userAgent: 'aws-cli/2', eventID: `00000000-0000-4000-8000-00000000000${i}`, requestID: `r${i}`, eventType: 'AwsApiCall', recipientAccountId: ACCT,
        userIdentity: i < 5
          ? { type: 'AssumedRole', arn: `arn:aws:sts::${ACCT}:assumed-role/deploy/run-${i}`, principalId: `AROADEPLOY:run-${i}`, accountId: ACCT, sessionContext: { sessionIssuer: { type: 'Role', arn: ROLE, userName: 'deploy' } } }
          : { type: 'IAMUser', arn: `arn:aws:iam::${ACCT}:user/alice`, userName: 'alice', accountId: ACCT },
      });
    }
    const file = join(c.dir, 'trail.json');
    writeFileSync(file, JSON.stringify({ Records: recs }));
    await importPaths(c.store, c.signer, { sources: [file] });
    const ctx = makeContext(c.store, { signer: c.signer });
    const density = (filter = {}) => timelineDensity(c.store, { groupBy: 'role', maxGroups: 50, buckets: 100, bucketMs: 3_600_000, filter });
    // The import keeps the rollup current (README.md, "Speed and size"); "since 1970" keeps every event but is a filter, so it is counted directly.
    const direct = density({ since: '1970-01-01' });
    assert.equal(direct.path, 'direct');
    assert.deepEqual(direct.groups.map((g) => [g.label, g.count]).sort(), [[ROLE, 5], [`arn:aws:iam::${ACCT}:user/alice`, 1]].sort());
    const byPrincipal = await dispatch(ctx, 'timelineDensity', { groupBy: 'principal', bucketMs: 3_600_000 });
    assert.equal(byPrincipal.groups.length, 6, 'by principal, one row per session');
    await dispatch(ctx, 'timelineIndex', {});
    const rolled = density();
    assert.equal(rolled.path, 'rollup');
    assert.deepEqual(rolled.groups.map((g) => [g.label, g.count]).sort(), direct.groups.map((g) => [g.label, g.count]).sort());
    const items = await dispatch(ctx, 'timelineItems', { groupBy: 'role' });
    assert.equal(new Set(items.items.map((x) => x.group)).size, 2);
  } finally {
    c.cleanup();
  }
});
