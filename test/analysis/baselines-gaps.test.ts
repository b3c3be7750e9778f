// Baselines and gaps (docs/analysis.md) on synthetic histories whose answers are known
// by construction, plus a really signed CloudTrail folder with a missing
// digest hour (test/support/cloudtrail-signer.ts) and a LookupEvents page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baselines } from '../../electron/analysis/baselines.ts';
import { gaps } from '../../electron/analysis/gaps.ts';
import { ImportSession } from '../../electron/ingest/session.ts';
import { generateTrail, writeTrailToFolder } from '../support/cloudtrail-signer.ts';
import { caseWith, tempDir } from './support.ts';

const ACCT = '111122223333';
const T0 = Date.UTC(2024, 4, 1, 0, 30);
const H = 3_600_000;
let seq = 0;

function rec(t: number, user: string, name: string, source: string, o: { ip?: string; ua?: string; region?: string; account?: string; req?: unknown; err?: string } = {}) {
  seq++;
  return {
    eventVersion: '1.08',
    eventTime: new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: source,
    eventName: name,
    awsRegion: o.region ?? 'eu-west-1',
    sourceIPAddress: o.ip ?? '198.51.100.1',
    userAgent: o.ua ?? 'aws-cli/2.15.0',
    eventID: `ev-${String(seq).padStart(6, '0')}`,
    requestID: `rq-${seq}`,
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${o.account ?? ACCT}:user/${user}`, accountId: o.account ?? ACCT, userName: user, principalId: `AIDA${user.toUpperCase()}XXXXXXXXXX` },
    requestParameters: o.req ?? null,
    responseElements: null,
    recipientAccountId: o.account ?? ACCT,
    eventCategory: 'Management',
    ...(o.err ? { errorCode: o.err } : {}),
  };
}

function history() {
  const out: any[] = [];
  // alice: one or two calls every hour for 10 days, from one IP, one UA, one region, two APIs.
  for (let h = 0; h < 240; h++) {
    out.push(rec(T0 + h * H, 'alice', h % 2 ? 'ListBuckets' : 'DescribeInstances', h % 2 ? 's3.amazonaws.com' : 'ec2.amazonaws.com'));
    if (h % 3 === 0) out.push(rec(T0 + h * H + 60_000, 'alice', 'ListBuckets', 's3.amazonaws.com'));
  }
  // Day 5, 10:00-11:00: a burst of 60 DescribeInstances.
  const burst = T0 + 4 * 24 * H + 10 * H;
  for (let i = 0; i < 60; i++) out.push(rec(burst + i * 30_000, 'alice', 'DescribeInstances', 'ec2.amazonaws.com'));
  // Day 6: a new address, network, client, region and API, once.
  out.push(rec(T0 + 5 * 24 * H + 2 * H + 120_000, 'alice', 'CreateUser', 'iam.amazonaws.com', { ip: '203.0.113.5', ua: 'python-requests/2.31', region: 'us-east-1' }));
  // bob: too little history to baseline.
  for (let i = 0; i < 10; i++) out.push(rec(T0 + i * 7 * H, 'bob', 'ListBuckets', 's3.amazonaws.com', { ip: '198.51.100.2' }));
  return out;
}

test('baselines: first-seen values after the learning window, rare APIs, the hourly spike; impossible travel said to need GeoIP', async () => {
  const dir = tempDir();
  const file = join(dir, 'history.json');
  writeFileSync(file, JSON.stringify({ Records: history() }));
  const c = await caseWith([file]);
  try {
    const b = baselines(c.store);
    const alice = `arn:aws:iam::${ACCT}:user/alice`;
    const bob = `arn:aws:iam::${ACCT}:user/bob`;
    assert.deepEqual(
      b.firstSeen.map((f) => `${f.principal} ${f.dimension} ${f.value}`).sort(),
      [`${alice} api iam:CreateUser`, `${alice} ip 203.0.113.5`, `${alice} network 203.0.113.0/24`, `${alice} region us-east-1`, `${alice} user-agent python-requests/2.31`].sort(),
    );
    const first = b.firstSeen.find((f) => f.dimension === 'ip')!;
    assert.equal(first.count, 1);
    assert.equal(first.firstSeen, '2024-05-06T02:32:00.000Z');
    assert.deepEqual(b.principals.find((p) => p.principal === bob)!.baselined, false);
    assert.equal(b.principals.find((p) => p.principal === alice)!.learnUntil, new Date(T0 + Math.floor(239 * H * 0.2)).toISOString()); // first 20% of 239 hours
    assert.deepEqual(b.rareApis.map((r) => `${r.api} ${r.count}`), ['iam:CreateUser 1']);
    assert.deepEqual(b.rareApis[0].principals, [alice]);
    assert.equal(b.spikes.length, 1);
    assert.equal(b.spikes[0].principal, alice);
    assert.equal(b.spikes[0].hour, '2024-05-05T10:00:00.000Z');
    assert.ok(b.spikes[0].events >= 60 && b.spikes[0].robustZ > 3.5, `spike ${JSON.stringify(b.spikes[0])}`);
    assert.match(b.notAvailable.join(' '), /GeoIP/);
    // A learning date instead of a fraction: with everything before day 7 learnt, nothing is new.
    assert.equal(baselines(c.store, { learnUntil: '2024-05-07' }).firstSeen.length, 0);
    assert.throws(() => baselines(c.store, { learnFraction: 1.5 }), /between 0 and 1/);
  } finally {
    c.cleanup();
  }
});

test('gaps: coverage per account/region/hour, empty hours, logging stopped and restarted, no data events', async () => {
  const dir = tempDir();
  const file = join(dir, 'g.json');
  const t = (h: number) => Date.UTC(2024, 5, 1, h, 15);
  const recs = [
    rec(t(0), 'ops', 'ListBuckets', 's3.amazonaws.com'),
    rec(t(1), 'ops', 'ListBuckets', 's3.amazonaws.com'),
    rec(t(2) + 60_000, 'mallory', 'StopLogging', 'cloudtrail.amazonaws.com', { req: { name: `arn:aws:cloudtrail:eu-west-1:${ACCT}:trail/main` } }),
    rec(t(2) + 90_000, 'mallory', 'PutEventSelectors', 'cloudtrail.amazonaws.com', { req: { trailName: 'other', eventSelectors: [{ readWriteType: 'ReadOnly', includeManagementEvents: false }] } }),
    rec(t(2) + 99_000, 'mallory', 'DeleteTrail', 'cloudtrail.amazonaws.com', { req: { name: 'gone' }, err: 'AccessDenied' }),
    // hours 3, 4 and 5 silent in eu-west-1
    rec(t(6), 'ops', 'StartLogging', 'cloudtrail.amazonaws.com', { req: { name: 'main' } }),
    rec(t(7), 'ops', 'ListBuckets', 's3.amazonaws.com'),
    rec(t(4), 'ops', 'DescribeRegions', 'ec2.amazonaws.com', { region: 'us-east-1', account: '444455556666' }),
  ];
  writeFileSync(file, JSON.stringify({ Records: recs }));
  const c = await caseWith([file]);
  try {
    // The coverage's GROUP BY over every event runs under a 16 MB page cache, and the connection's own is put back.
    const db = c.store.db;
    const cacheBefore = db.pragma('cache_size', { simple: true });
    const pragmas: string[] = [];
    const pragma = db.pragma.bind(db);
    db.pragma = ((source: string, o?: { simple?: boolean }) => (pragmas.push(source), pragma(source, o))) as typeof db.pragma;
    let g: Awaited<ReturnType<typeof gaps>>;
    try {
      g = await gaps(c.store);
    } finally {
      db.pragma = pragma;
    }
    assert.ok(pragmas.includes('cache_size = -16384'), pragmas.join('; '));
    assert.equal(db.pragma('cache_size', { simple: true }), cacheBefore);
    assert.equal(g.range.first, '2024-06-01T00:15:00.000Z');
    assert.equal(g.range.hours, 8);
    assert.deepEqual(g.accounts, [ACCT, '444455556666']);
    const eu = g.coverage.find((x) => x.region === 'eu-west-1')!;
    assert.equal(eu.events, 7);
    assert.equal(eu.hoursWithEvents, 5);
    assert.deepEqual(eu.missing, [{ from: '2024-06-01T03:00:00.000Z', to: '2024-06-01T05:59:59.999Z', hours: 3 }]);
    const us = g.coverage.find((x) => x.region === 'us-east-1')!;
    assert.equal(us.account, '444455556666');
    assert.equal(us.missingHours, 7);
    // Hour 4 has the us-east-1 event: the case as a whole is silent in hours 3 and 5 only.
    assert.deepEqual(g.emptyHours.map((h) => h.from), ['2024-06-01T03:00:00.000Z', '2024-06-01T05:00:00.000Z']);
    // Logging changes: the failed DeleteTrail changed nothing and is not listed.
    assert.deepEqual(g.loggingChanges.map((x) => x.eventName), ['StopLogging', 'PutEventSelectors', 'StartLogging']);
    assert.match(g.loggingChanges[1].detail, /only ReadOnly events; management events excluded/);
    assert.deepEqual(g.loggingOff, [
      { trail: `arn:aws:cloudtrail:eu-west-1:${ACCT}:trail/main`, from: '2024-06-01T02:16:00.000Z', to: '2024-06-01T06:15:00.000Z', stoppedBy: recs[2].eventID, restartedBy: recs[5].eventID },
    ]);
    assert.equal(g.dataEvents.present, false);
    assert.match(g.dataEvents.note, /no data events/);
    assert.equal(g.lookupEvents.present, false);
    assert.equal(g.digest.available, true);
    assert.match(g.digest.note, /no CloudTrail digest files/);
  } finally {
    c.cleanup();
  }
});

test('gaps: a missing digest hour in a signed trail, and the LookupEvents horizon', async () => {
  const trail = generateTrail({ hours: 4, seed: 7, dropDigestHours: [2] });
  const dir = tempDir();
  await writeTrailToFolder(trail.files, join(dir, 'copy'));
  const c = await caseWith([join(dir, 'copy')]);
  try {
    // A LookupEvents page, as the acquisition importer stores it (kind api-page, origin naming the region).
    const s = ImportSession.begin(c.store, c.signer, { sources: ['lookup:'] });
    const page = { Events: [{ EventId: 'lk-1', EventName: 'ListBuckets', CloudTrailEvent: JSON.stringify(rec(Date.UTC(2024, 2, 1, 1, 0), 'ops', 'ListBuckets', 's3.amazonaws.com')) }] };
    async function* one() {
      yield Buffer.from(JSON.stringify(page));
    }
    await s.ingest({ kind: 'api-page', origin: 'cloudtrail:LookupEvents?region=us-east-2&page=1', originMeta: { region: 'us-east-2' } }, one());
    s.finish();
    const g = await gaps(c.store);
    assert.equal(g.digest.available, true);
    const gap = g.digest.gaps.find((x) => x.result.startsWith('digest-gap:'));
    assert.ok(gap, `a digest gap is reported: ${JSON.stringify(g.digest)}`);
    assert.match(gap!.detail ?? '', /no digest from/);
    assert.ok(g.digest.gaps.some((x) => x.result === 'digest-missing'), 'log files of the missing hour');
    assert.equal(g.lookupEvents.present, true);
    assert.equal(g.lookupEvents.horizon.length, 1);
    assert.equal(g.lookupEvents.horizon[0].region, 'us-east-2');
    assert.equal(Date.parse(g.lookupEvents.horizon[0].acquiredAt) - Date.parse(g.lookupEvents.horizon[0].earliestAvailable), 90 * 24 * H);
    assert.match(g.lookupEvents.notes.join(' '), /90 days/);
    assert.match(g.lookupEvents.notes.join(' '), /data events/);
    const off = await gaps(c.store, { digest: false });
    assert.match(off.digest.note, /not checked/);
  } finally {
    c.cleanup();
  }
});

