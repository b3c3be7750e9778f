// Pivot (docs/analysis.md) on real scenarios - Panther's stolen root credentials and
// OTRF's S3 theft through an EC2 proxy - and on a synthetic chain that walks
// every rule: keys and users created, a role created and assumed, sourceIdentity,
// a password reset and the console logins after it, a trust policy opened to
// an outside account, a shared office IP that must not be followed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pivot } from '../../electron/analysis/pivot/index.ts';
import { refsState } from '../../electron/analysis/refs.ts';
import { caseAccountIds, eventsWhere } from '../../electron/case/data/pivot.ts';
import { scanTuning } from '../../electron/case/data/timeline.ts';
import { caseWith, tempDir } from './support.ts';
import { ACCT, ATK_IP, chain, OFFICE, OTRF, PANTHER, scenarioCase, SEED, SNAPSHOT_PIVOTS, snapshotOf, type PivotSnapshot, type ScenarioCase } from './pivot-scenarios.ts';

const records = (path: string) => JSON.parse(readFileSync(path, 'utf8')).Records as any[];

test('Panther stolen root credentials: from the attacker IP every attacker event, nothing of the legitimate root user', async () => {
  const recs = records(PANTHER);
  // The scenario README: attacker IP 92.55.146.245, legitimate employee (Tracey Stone) at 71.253.251.71.
  const attacker = new Set(recs.filter((r) => r.sourceIPAddress === '92.55.146.245').map((r) => r.eventID));
  const benign = new Set(recs.filter((r) => r.sourceIPAddress === '71.253.251.71').map((r) => r.eventID));
  assert.equal(attacker.size + benign.size, recs.length);
  assert.ok(attacker.size >= 10 && benign.size >= 3, "expected true: attacker.size >= 10 && benign.size >= 3");
  const c = await caseWith([PANTHER]);
  try {
    const r = pivot(c.store, { ip: '92.55.146.245' });
    const got = new Set(r.events.map((e) => e.eventId));
    assert.deepEqual(got, attacker);
    for (const id of benign) assert.ok(!got.has(id), `benign event ${id} dragged in`);
    const ind = new Map(r.indicators.map((i) => [`${i.type} ${i.value}`, i]));
    // What the attacker created, each with the event that created it.
    const key = ind.get('access-key AKIASWJJJ66ZZZII4IYY')!;
    assert.ok(key && key.followed && key.hop === 1, "expected true: key && key.followed && key.hop === 1");
    const createKey = recs.find((r) => r.responseElements?.accessKey?.accessKeyId === 'AKIASWJJJ66ZZZII4IYY');
    assert.equal(key.viaEventId, createKey.eventID);
    assert.ok(ind.get('access-key AKIA5ZZZK44445XXFFVB')?.followed, 'the root access key the attacker created');
    const user = ind.get('user arn:aws:iam::493859302102:user/tracy_stone')!;
    assert.equal(user.viaEventId, recs.find((r) => r.eventName === 'CreateUser').eventID);
    // The root user is compromised, reported, never followed as a whole (its owner also uses it).
    assert.ok(r.context.some((x) => x.kind === 'compromised-principal' && x.value === 'arn:aws:iam::493859302102:root'), "expected true: r.context.some((x) => x.kind === 'compromised-principal' && x.value === 'arn:aws:iam::493859302102:root')");
    // The browser user agent is shared with the legitimate root logins: reported with that context, not followed.
    const mozilla = ind.get('user-agent Mozilla')!;
    assert.equal(mozilla.followed, false);
    assert.match(mozilla.reason, /also in \d+ other events/);
    // Every hop is explained: each non-seed indicator names an event that is itself in the result.
    for (const i of r.indicators) if (i.hop > 0) assert.ok(got.has(i.viaEventId!), `${i.type} ${i.value} via ${i.viaEventId}`);
    for (const e of r.events) assert.ok(e.reason.length > 0, "expected true: e.reason.length > 0");
  } finally {
    c.cleanup();
  }
});

test('Panther: from the malicious key, the creator is context unless followCreators; then the same attacker events', async () => {
  const recs = records(PANTHER);
  const attacker = new Set(recs.filter((r) => r.sourceIPAddress === '92.55.146.245').map((r) => r.eventID));
  const c = await caseWith([PANTHER]);
  try {
    // The key never appears as a caller credential in the scenario: nothing to follow by itself.
    const plain = pivot(c.store, { key: 'AKIASWJJJ66ZZZII4IYY' });
    assert.equal(plain.events.length, 0);
    const creator = plain.context.find((x) => x.kind === 'creator')!;
    assert.ok(creator, 'the event that created the seed key is reported');
    assert.match(creator.note, /CreateAccessKey of arn:aws:iam::493859302102:root from 92\.55\.146\.245/);
    assert.match(creator.note, /not followed/);

    const followed = pivot(c.store, { key: 'AKIASWJJJ66ZZZII4IYY' }, { followCreators: true });
    assert.deepEqual(new Set(followed.events.map((e) => e.eventId)), attacker);
    const fromUser = pivot(c.store, { principal: 'tracy_stone' }, { followCreators: true });
    assert.deepEqual(new Set(fromUser.events.map((e) => e.eventId)), attacker);
    // Without followCreators the attacker IP is shared with the (not yet compromised) root user: reported, not followed.
    const userOnly = pivot(c.store, { principal: 'tracy_stone' });
    assert.deepEqual(userOnly.events.map((e) => e.eventName), ['RunInstances']);
    assert.ok(userOnly.context.some((x) => x.kind === 'shared-ip' && x.value === '92.55.146.245' && /root/.test(x.note)), "expected true: userOnly.context.some((x) => x.kind === 'shared-ip' && x.value === '92.55.146.245' && /root/.test(x.note))");
  } finally {
    c.cleanup();
  }
});

test('OTRF S3 theft: from the stolen instance-role key, the attacker S3 calls and none of user pedro\'s console calls', async () => {
  const recs = records(OTRF);
  const attacker = new Set(recs.filter((r) => r.userIdentity?.accessKeyId === 'ASIA5FLZVX4OPVKKVBMX').map((r) => r.eventID));
  const pedro = new Set(recs.filter((r) => r.userIdentity?.userName === 'pedro').map((r) => r.eventID));
  assert.ok(attacker.size >= 10 && pedro.size >= 50, "expected true: attacker.size >= 10 && pedro.size >= 50");
  const c = await caseWith([OTRF]);
  try {
    for (const followCreators of [false, true]) {
      const r = pivot(c.store, { key: 'ASIA5FLZVX4OPVKKVBMX' }, { followCreators });
      const got = new Set(r.events.map((e) => e.eventId));
      assert.deepEqual(got, attacker);
      for (const id of pedro) assert.ok(!got.has(id), "expected true: !got.has(id)");
      // The anonymised IP 1.2.3.4 is shared by the attacker and pedro: reported, not followed.
      const ip = r.indicators.find((i) => i.type === 'ip' && i.value === '1.2.3.4')!;
      assert.equal(ip.followed, false);
      assert.ok(r.context.some((x) => x.kind === 'shared-ip' && /user\/pedro/.test(x.note)), "expected true: r.context.some((x) => x.kind === 'shared-ip' && /user\\/pedro/.test(x.note))");
      // The key was issued by EC2 to the instance: an AWS service, never followed.
      const creator = r.context.find((x) => x.kind === 'creator')!;
      assert.match(creator.note, /AssumeRole of AWSService from ec2\.amazonaws\.com/);
      assert.match(creator.note, /an AWS service issued it: not followed/);
      assert.ok(r.indicators.some((i) => i.type === 'bucket' && i.value === 'mordors3stack-s3bucket-llp2yingx64a'), "expected true: r.indicators.some((i) => i.type === 'bucket' && i.value === 'mordors3stack-s3bucket-llp2yingx64a')");
    }
  } finally {
    c.cleanup();
  }
});

test('synthetic chain: every rule, to a fixed point, with the shared office IP and legitimate sessions left out', async () => {
  const dir = (await import('./support.ts')).tempDir();
  const file = join(dir, 'chain.json');
  const recs = chain();
  writeFileSync(file, JSON.stringify({ Records: recs }));
  const c = await caseWith([file]);
  try {
    assert.equal(refsState(c.store).upToDate, false);
    const r = pivot(c.store, { key: SEED }, { actor: 'Pivot Tester' });
    assert.equal(refsState(c.store).upToDate, true, 'the event index was built first (custody-logged)');
    assert.equal((c.store.db.prepare("SELECT count(*) n FROM custody WHERE action = 'analysis.refs-indexed' AND actor = 'Pivot Tester'").get() as any).n, 1);
    const got = new Set(r.events.map((e) => e.eventId));
    const want = new Set(recs.filter((x) => x.eventID.startsWith('atk-') || x.eventID === 'seedkey-office').map((x) => x.eventID));
    assert.deepEqual([...got].sort(), [...want].sort());
    const ind = new Map(r.indicators.map((i) => [`${i.type} ${i.value}`, i]));
    const hop = (k: string) => {
      const i = ind.get(k);
      assert.ok(i, `missing indicator ${k}`);
      return i!;
    };
    assert.equal(hop(`user arn:aws:iam::${ACCT}:user/backdoor`).viaEventId, 'atk-create-user');
    assert.equal(hop('access-key AKIABACKDOOR00000001').viaEventId, 'atk-create-key');
    assert.equal(hop('access-key ASIAEXFIL00000000001').viaEventId, 'atk-assume-exfil');
    assert.equal(hop('source-identity evil').viaEventId, 'atk-assume-exfil');
    assert.equal(hop('access-key ASIACHAIN00000000001').viaEventId, 'atk-chain');
    assert.equal(hop('access-key ASIAOPS0000000000001').viaEventId, 'atk-outside-assume');
    assert.equal(hop('user alice').viaEventId, 'atk-reset-alice');
    assert.equal(hop('role ops-role').viaEventId, 'atk-open-trust');
    assert.equal(hop(`role arn:aws:iam::${ACCT}:role/exfil-role`).viaEventId, 'atk-create-role');
    // Hops grow along the chain (breadth first: the shortest explanation wins).
    assert.ok(hop('access-key ASIACHAIN00000000001').hop >= hop('access-key ASIAEXFIL00000000001').hop, "expected true: hop('access-key ASIACHAIN00000000001').hop >= hop('access-key ASIAEXFIL00000000001').hop");
    assert.ok(hop('access-key ASIAEXFIL00000000001').hop > hop('access-key AKIABACKDOOR00000001').hop, "expected true: hop('access-key ASIAEXFIL00000000001').hop > hop('access-key AKIABACKDOOR00000001').hop");
    assert.ok(hop('access-key AKIABACKDOOR00000001').hop > hop(`access-key ${SEED}`).hop, "expected true: hop('access-key AKIABACKDOOR00000001').hop > hop(`access-key ${SEED}`).hop");
    // IPs: the attacker's own are followed (that is how dev's console login comes in); the office is not.
    assert.equal(hop(`ip ${ATK_IP}`).followed, true);
    assert.equal(hop(`ip ${OFFICE}`).followed, false);
    assert.ok(r.context.some((x) => x.kind === 'shared-ip' && x.value === OFFICE && /alice|bob/.test(x.note)), "expected true: r.context.some((x) => x.kind === 'shared-ip' && x.value === OFFICE && /alice|bob/.test(x.note))");
    assert.equal(r.events.find((e) => e.eventId === 'atk-dev-console')!.reason.startsWith(`from attacker IP ${ATK_IP}`), true);
    // Private addresses are never followed.
    assert.ok(!r.indicators.some((i) => i.type === 'ip' && i.value.startsWith('10.') && i.followed), "expected true: !r.indicators.some((i) => i.type === 'ip' && i.value.startsWith('10.') && i.followed)");
    // The in-account AssumeRole into ops-role after the trust change is context, not attacker activity.
    assert.ok(r.context.some((x) => x.kind === 'not-followed' && x.value === 'benign-ops-assume'), "expected true: r.context.some((x) => x.kind === 'not-followed' && x.value === 'benign-ops-assume')");
    assert.ok(r.indicators.some((i) => i.type === 'bucket' && i.value === 'secret-bucket' && !i.followed), "expected true: r.indicators.some((i) => i.type === 'bucket' && i.value === 'secret-bucket' && !i.followed)");
    // A window from the theft on: the seed key's earlier office use is no longer the attacker's.
    const windowed = pivot(c.store, { key: SEED }, { since: '2024-05-01T10:05:00Z' });
    const wg = new Set(windowed.events.map((e) => e.eventId));
    assert.equal(wg.has('seedkey-office'), false);
    assert.deepEqual([...wg].sort(), [...want].filter((x) => x !== 'seedkey-office').sort());
    assert.throws(() => pivot(c.store, { key: SEED }, { since: 'yesterday' }), /not a time/);
    // A limit makes the result say it is incomplete.
    const small = pivot(c.store, { key: SEED }, { maxEvents: 3 });
    assert.equal(small.truncated, true);
    assert.equal(small.events.length, 3);
    assert.ok(small.context.some((x) => x.kind === 'limit'), "expected true: small.context.some((x) => x.kind === 'limit')");
  } finally {
    c.cleanup();
  }
});

test('pivot refuses a missing or malformed seed', async () => {
  const c = await caseWith([]);
  try {
    assert.throws(() => pivot(c.store, {}), /needs a seed/);
    assert.throws(() => pivot(c.store, { ip: 'not-an-ip' }), /not an IP address/);
    assert.throws(() => pivot(c.store, { key: 'hello' }), /not an access key/);
    assert.throws(() => pivot(c.store, { key: 'AKIANOTINTHECASE0001' }, { eventLimit: -1 }), /eventLimit -1 is not a count/);
    assert.equal(pivot(c.store, { key: 'AKIANOTINTHECASE0001' }).events.length, 0);
  } finally {
    c.cleanup();
  }
});

test('every event, indicator and context entry as pivot 1.0.0 found them (snapshot), with the list limit lifted; a capped list is the earliest events of it', async () => {
  const want = JSON.parse(readFileSync('test/fixtures/pivot-snapshot/results.json', 'utf8')) as Record<string, PivotSnapshot>;
  assert.deepEqual(Object.keys(want).sort(), SNAPSHOT_PIVOTS.map((s) => s.label).sort());
  const cases = new Map<ScenarioCase, Awaited<ReturnType<typeof scenarioCase>>>();
  try {
    for (const s of SNAPSHOT_PIVOTS) {
      if (!cases.has(s.on)) cases.set(s.on, await scenarioCase(s.on));
      const store = cases.get(s.on)!.store;
      const all = pivot(store, s.seed, { ...s.opts, eventLimit: Infinity, allEventIds: true });
      assert.deepEqual(snapshotOf(all), want[s.label], s.label);
      // The counts describe the same events.
      assert.equal(all.eventCount, all.events.length, s.label);
      assert.equal(all.eventsTruncated, false);
      assert.deepEqual(all.eventIds, all.events.map((e) => e.eventId), s.label);
      assert.deepEqual(all.eventsByHop, Array.from({ length: all.eventsByHop.length }, (_, h) => all.events.filter((e) => e.hop === h).length), s.label);
      assert.equal(all.eventsByHop.length, all.eventCount ? Math.max(...all.events.map((e) => e.hop)) + 1 : 0, s.label);
      // Each event counted once, for the indicator that brought it in (events of the seed's creator, with followCreators, have none).
      const fromCreator = all.events.filter((e) => e.reason.startsWith('created the seed')).length;
      assert.equal(all.indicators.reduce((a, i) => a + i.events, 0) + fromCreator, all.eventCount, s.label);
      for (const i of all.indicators) if (!i.followed) assert.equal(i.events, 0, `${s.label}: ${i.type} ${i.value}`);
      const times = all.events.map((e) => e.eventTime).filter((t) => t !== null);
      assert.equal(all.firstEventTime, times.length ? times[0] : null);
      assert.equal(all.lastEventTime, times.length ? [...times].sort().at(-1) : null);
      // Capped: the same pivot, the earliest two listed.
      const capped = pivot(store, s.seed, { ...s.opts, eventLimit: 2 });
      assert.deepEqual(capped.events, all.events.slice(0, 2), s.label);
      assert.equal(capped.eventCount, all.eventCount);
      assert.equal(capped.eventsTruncated, all.eventCount > 2);
      assert.equal(capped.eventIds, undefined);
      assert.deepEqual(capped.indicators, all.indicators);
      assert.deepEqual(capped.context, all.context);
      assert.deepEqual(capped.eventsByHop, all.eventsByHop);
      // Only the eventIDs (what the UI reads to filter the timeline when the list is partial).
      const idsOnly = pivot(store, s.seed, { ...s.opts, eventLimit: 0, allEventIds: true });
      assert.deepEqual(idsOnly.events, []);
      assert.deepEqual(idsOnly.eventIds, all.eventIds);
      assert.equal(idsOnly.eventsTruncated, all.eventCount > 0);
      // The default lists up to 1,000: every event of these small cases.
      assert.deepEqual(pivot(store, s.seed, s.opts).events, all.events, s.label);
    }
  } finally {
    for (const c of cases.values()) c.cleanup();
  }
});


test("a role's sessions and the case's accounts: through the rollups, the same as reading every row, untimed events included", async () => {
  const c = await caseWith([PANTHER, OTRF]);
  const tuned = scanTuning.fraction;
  try {
    const db = c.store.db;
    // An untimed copy of a session event (real data has records without a usable eventTime): the rollup cannot name its hour.
    const issuers = db.prepare('SELECT DISTINCT issuer_arn FROM events WHERE issuer_arn IS NOT NULL').pluck().all() as number[];
    assert.ok(issuers.length > 0, 'the fixtures have role sessions');
    const plain = (ids: number[]) => db.prepare(`SELECT leaf FROM events WHERE issuer_arn IN (SELECT value FROM json_each(?)) ORDER BY leaf`).pluck().all(JSON.stringify(ids));
    // These small fixtures' role hours hold much of the case: the scan threshold is lifted to test the hour path.
    scanTuning.fraction = 1;
    const fast = (ids: number[]) => {
      const w = eventsWhere.issuedBy(c.store, ids);
      assert.match(w.sql, /json_each\(\?\) r CROSS JOIN events/, 'the rollup is current after an import, so its hours are used');
      return db.prepare(`SELECT leaf FROM events WHERE ${w.sql}`).pluck().all(...w.params);
    };
    assert.deepEqual(fast(issuers), plain(issuers));
    const one = db.prepare('SELECT leaf, issuer_arn FROM events WHERE issuer_arn IS NOT NULL ORDER BY leaf LIMIT 1').get() as { leaf: number; issuer_arn: number };
    // (events is append-only: this test case's guard is lifted to make the untimed row.)
    for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'").pluck().all() as string[]) db.exec(`DROP TRIGGER ${t}`);
    db.prepare('UPDATE events SET time_ms = NULL WHERE leaf = ?').run(one.leaf);
    const got = fast([one.issuer_arn]);
    assert.ok(got.includes(one.leaf), 'an untimed session event is still found');
    assert.deepEqual(got, plain([one.issuer_arn]));
    scanTuning.fraction = 0;
    assert.doesNotMatch(eventsWhere.issuedBy(c.store, issuers).sql, /CROSS JOIN/, 'hours holding more than the threshold: a scan');
    scanTuning.fraction = tuned;
    // The case's accounts come from the account rollup, with the untimed events read apart.
    const plainAccounts = () => db.prepare('SELECT DISTINCT account FROM events WHERE account IS NOT NULL ORDER BY account').pluck().all();
    assert.deepEqual(caseAccountIds(c.store), plainAccounts());
    const other = db.prepare('SELECT id FROM strings WHERE id NOT IN (SELECT account FROM events WHERE account IS NOT NULL) LIMIT 1').pluck().get() as number;
    db.prepare('UPDATE events SET account = ? WHERE leaf = ?').run(other, one.leaf);
    assert.ok(caseAccountIds(c.store).includes(other), 'an account seen only on an untimed event is found');
    assert.deepEqual(caseAccountIds(c.store), plainAccounts());
    const none = eventsWhere.issuedBy(c.store, []);
    assert.deepEqual(db.prepare(`SELECT leaf FROM events WHERE ${none.sql}`).pluck().all(...none.params), []);
  } finally {
    scanTuning.fraction = tuned;
    c.cleanup();
  }
});

test('a principal pivot cut at the event limit keeps the events in the order the index gives them, across several ARNs of one name', async () => {
  // The user "dana" in two accounts (two ARNs, interleaved in time) and a failed sign-in by name only.
  const base = Date.parse('2026-03-04T00:00:00Z');
  const ev = (i: number, acct: string | null) => ({
    eventVersion: '1.08',
    eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    eventTime: new Date(base + i * 60_000).toISOString().replace('.000', ''),
    eventSource: 'ec2.amazonaws.com',
    eventName: acct ? 'DescribeInstances' : 'ConsoleLogin',
    awsRegion: 'us-east-1',
    sourceIPAddress: `198.51.100.${1 + (i % 50)}`,
    userAgent: 'aws-cli/2.15.30',
    userIdentity: acct
      ? { type: 'IAMUser', principalId: `AIDA${acct}`, arn: `arn:aws:iam::${acct}:user/dana`, accountId: acct, accessKeyId: `AKIA${acct.slice(0, 8)}DANA0001`, userName: 'dana' }
      : { type: 'IAMUser', principalId: 'AIDAUNKNOWN', accountId: '111111111111', userName: 'dana' },
    ...(acct ? {} : { errorMessage: 'Failed authentication' }),
    recipientAccountId: acct ?? '111111111111',
  });
  // Account A's ARN is seen first (so interned first): A's events in leaf order come first in the ARN index, then B's.
  const recs = Array.from({ length: 40 }, (_, i) => ev(i, i === 17 ? null : i % 3 === 1 ? '222222222222' : '111111111111'));
  const dir = tempDir();
  const file = join(dir, 'dana.json');
  writeFileSync(file, JSON.stringify({ Records: recs }));
  const c = await caseWith([file]);
  try {
    const a = recs.filter((r) => r.userIdentity.arn?.includes('111111111111')).map((r) => r.eventID);
    const b = recs.filter((r) => r.userIdentity.arn?.includes('222222222222')).map((r) => r.eventID);
    const order = [...a, ...b];
    const all = pivot(c.store, { principal: 'dana' });
    assert.equal(all.truncated, false);
    assert.deepEqual(new Set(all.events.map((e) => e.eventId)), new Set(recs.map((r) => r.eventID)), 'every event of the name: both ARNs and the failed sign-in');
    for (const k of [1, 5, a.length - 1, a.length, a.length + 1, a.length + 4, order.length - 1]) {
      const r = pivot(c.store, { principal: 'dana' }, { maxEvents: k });
      assert.equal(r.truncated, true, `limit ${k}`);
      assert.deepEqual(new Set(r.events.map((e) => e.eventId)), new Set(order.slice(0, k)), `limit ${k}: the first ${k} in the index's order`);
    }
  } finally {
    c.cleanup();
  }
});
