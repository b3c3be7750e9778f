// The timeline's country and network (ASN) groupings (README.md, "Addresses and profiles"): folded from
// the per-address counts by the enrichment answers recorded in the case; before
// enrichment every address is "not enriched" and the answer says so. The
// expected groups are computed here from the installed databases (liveIpInfo,
// itself checked against the database files in test/analysis/enrich/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { makeContext } from '../../electron/api/context.ts';
import { dispatch } from '../../electron/api/handlers.ts';
import { liveIpInfo } from '../../electron/analysis/enrich/enrich.ts';
import { tempCase } from '../support/case.ts';
import { timelineDensity } from '../../electron/api/timeline-handlers.ts';
import { NONE_GROUP } from '../../shared/api/timeline.ts';

const ACCT = '111122223333';
// Two Google addresses (one network, one country), Quad9, Cloudflare, a private address, an AWS service name, and no address at all.
const FROM = ['8.8.8.8', '8.8.8.8', '8.8.4.4', '9.9.9.9', '9.9.9.9', '1.1.1.1', '10.0.0.5', '10.0.0.5', 's3.amazonaws.com', null];

function expected(kind: 'country' | 'asn'): Map<string, number> {
  const info = liveIpInfo();
  const out = new Map<string, number>();
  for (const ip of FROM) {
    let label: string;
    if (ip === null) label = '(no source IP)';
    else {
      const i = info(ip);
      if (i.class === 'aws-service') label = '(AWS service, no address)';
      else if (i.class !== 'public') label = `(${i.class} address)`;
      else if (kind === 'country') label = i.country ?? '(country unknown)';
      else label = i.asn === null ? '(network unknown)' : `AS${i.asn}`;
    }
    out.set(label, (out.get(label) ?? 0) + 1);
  }
  return out;
}

/** A group label reduced to what `expected` computes (the country's name and the AS organisation are left out). */
const short = (label: string) => (label.startsWith('(') ? label : label.split(' ')[0]);

test('timeline groups by country and by network from the recorded enrichment answers; before enrichment it says so', async () => {
  const c = tempCase();
  try {
    const recs = FROM.map((ip, i) => ({
      eventVersion: '1.08', eventTime: `2026-03-01T0${i}:00:00Z`, eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity', awsRegion: 'us-east-1',
      ...(ip === null ? {} : { sourceIPAddress: ip }), userAgent: 'aws-cli/2', eventID: `00000000-0000-4000-8000-00000000000${i}`, requestID: `r${i}`, eventType: 'AwsApiCall',
      recipientAccountId: ACCT, userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCT}:user/alice`, userName: 'alice', accountId: ACCT },
    }));
    const file = join(c.dir, 'trail.json');
    writeFileSync(file, JSON.stringify({ Records: recs }));
    await importPaths(c.store, c.signer, { sources: [file] });
    const ctx = makeContext(c.store, { signer: c.signer });

    const before = await dispatch(ctx, 'timelineDensity', { groupBy: 'country', bucketMs: 3_600_000 });
    assert.match(before.note ?? '', /Enrichment has not been run/);
    assert.deepEqual(
      before.groups.map((g) => [g.label, g.count]).sort(),
      [['(address not enriched)', FROM.filter((x) => x !== null).length], ['(no source IP)', 1]].sort(),
    );

    await dispatch(ctx, 'enrichAddresses', {});
    for (const kind of ['country', 'asn'] as const) {
      const want = [...expected(kind)].sort();
      // The import keeps the rollups; "since 1970" keeps every event but is a filter, so it is counted directly.
      const density = () => timelineDensity(c.store, { groupBy: kind, maxGroups: 50, buckets: 100, bucketMs: 3_600_000, filter: { since: '1970-01-01' } });
      const direct = density();
      assert.equal(direct.note, undefined, 'every address answered: no note');
      assert.equal(direct.path, 'direct');
      assert.deepEqual(direct.groups.map((g) => [short(g.label), g.count]).sort(), want, `${kind}, direct`);
      assert.equal(direct.cells.reduce((n, x) => n + x.count, 0), FROM.length);
      assert.ok(direct.groups.some((g) => g.id === NONE_GROUP));
      // The items path and the density path put each event in the same group.
      const items = await dispatch(ctx, 'timelineItems', { groupBy: kind });
      const perGroup = new Map<string, number>();
      for (const it of items.items) perGroup.set(it.group, (perGroup.get(it.group) ?? 0) + 1);
      assert.deepEqual([...perGroup].sort(), direct.groups.map((g) => [g.id, g.count]).sort(), `${kind}, items`);
      // Fewer rows than groups: the smallest fold into "others", as for every grouping.
      const two = timelineDensity(c.store, { groupBy: kind, maxGroups: 2, buckets: 100, bucketMs: 3_600_000, filter: { since: '1970-01-01' } });
      assert.equal(two.groups.length, 2);
      assert.equal(two.groups.reduce((n, g) => n + g.count, 0), FROM.length);
      assert.equal(two.otherValues, want.length - 1);
    }
    if (expected('country').get('US')) {
      const us = timelineDensity(c.store, { groupBy: 'country', maxGroups: 50, buckets: 100, bucketMs: 3_600_000, filter: {} }).groups.find((g) => g.id === 'country:US');
      assert.ok(us && /^US\b/.test(us.label), 'a country row is labelled with its code');
    }
    // From the rollup (unfiltered, hour buckets) the same rows as counted directly.
    await dispatch(ctx, 'timelineIndex', {});
    const rolled = timelineDensity(c.store, { groupBy: 'country', maxGroups: 50, buckets: 100, bucketMs: 3_600_000, filter: {} });
    assert.equal(rolled.path, 'rollup');
    assert.deepEqual(rolled.groups.map((g) => [short(g.label), g.count]).sort(), [...expected('country')].sort());
    // An address filter keeps its country only.
    const one = timelineDensity(c.store, { groupBy: 'asn', maxGroups: 50, buckets: 100, bucketMs: 3_600_000, filter: { ips: ['9.9.9.9'] } });
    assert.deepEqual(one.groups.map((g) => [short(g.label), g.count]), [[`AS${liveIpInfo()('9.9.9.9').asn}`, 2]]);
  } finally {
    c.cleanup();
  }
});
