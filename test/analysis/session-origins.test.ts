// credential-access.session-multiple-origins (docs/architecture.md, "Display integrity"): one role session, or one EC2
// instance's role sessions, used from more than one network origin, including a
// private or unrecorded second address; quiet on one origin and on the real corpora.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { AnalysisEvent } from '../../shared/analysis/findings.ts';
import { normalizeRecord } from '../../shared/record.ts';
import { getCheck, runChecks } from '../../electron/analysis/checks/index.ts';

const ID = 'credential-access.session-multiple-origins';
const ACCT = '111111111111';
const ROLE = `arn:aws:iam::${ACCT}:role/web-server`;
let seq = 0;

function toEvent(r: Record<string, any>, i = ++seq): AnalysisEvent {
  const n = normalizeRecord(r)!;
  return { leaf: i, eventId: n.eventId ?? `r${i}`, timeMs: n.timeMs, record: r, n };
}

/** A call made with the instance-role session of i-0abc1234def567890 (key ASIA…1 unless given). */
function inst(ip: string | undefined, minute: number, extra: Record<string, any> = {}): AnalysisEvent {
  const id = `ev-${++seq}`;
  return toEvent({
    eventVersion: '1.09', eventID: id, eventTime: new Date(Date.parse('2026-03-04T10:00:00Z') + minute * 60_000).toISOString().replace('.000Z', 'Z'),
    eventSource: 's3.amazonaws.com', eventName: 'ListBuckets', awsRegion: 'us-east-1', recipientAccountId: ACCT,
    ...(ip === undefined ? {} : { sourceIPAddress: ip }),
    userIdentity: {
      type: 'AssumedRole', principalId: 'AROAEXAMPLE:i-0abc1234def567890', arn: `arn:aws:sts::${ACCT}:assumed-role/web-server/i-0abc1234def567890`,
      accountId: ACCT, accessKeyId: extra.key ?? 'ASIAEXAMPLEKEY000001',
      sessionContext: { sessionIssuer: { type: 'Role', arn: ROLE, userName: 'web-server' }, ec2RoleDelivery: '2.0' },
    },
    ...extra.record,
  });
}

const fire = (events: AnalysisEvent[]) => runChecks(events, [getCheck(ID)!]);

test('an instance session used from its own private address and from a second address is flagged, both sides shown', () => {
  const own = [inst('10.0.1.15', 0), inst('10.0.1.15', 5), inst('10.0.1.15', 60)];
  const thief = [inst('203.0.113.99', 30, { key: 'ASIAEXAMPLEKEY000002' }), inst('203.0.113.99', 31, { key: 'ASIAEXAMPLEKEY000002' })];
  const f = fire([...own, ...thief]);
  assert.equal(f.length, 1);
  const x = f[0];
  assert.equal(x.severity, 'high');
  assert.deepEqual(x.attack, ['T1552.005', 'T1078.004']);
  assert.match(x.title, /Credentials of instance i-0abc1234def567890 used from 2 network origins/);
  assert.match(x.explanation, /10\.0\.1\.15 \(private\): 3 calls between 2026-03-04T10:00:00Z and 2026-03-04T11:00:00Z; eventIDs ev-\d+, ev-\d+, ev-\d+/);
  assert.match(x.explanation, /203\.0\.113\.99 \(public\): 2 calls between 2026-03-04T10:30:00Z and 2026-03-04T10:31:00Z/);
  assert.match(x.explanation, /InstanceCredentialExfiltration/);
  for (const e of [...own, ...thief]) assert.ok(x.eventIds.includes(e.eventId), e.eventId);
  assert.ok(x.explanation.includes(thief[0].eventId));
  // Two private addresses, or a call with no address recorded, are a second origin too.
  assert.equal(fire([inst('10.0.1.15', 0), inst('172.16.9.9', 1)]).length, 1);
  const unknown = fire([inst('10.0.1.15', 0), inst(undefined, 1)]);
  assert.equal(unknown.length, 1);
  assert.match(unknown[0].explanation, /\(no source address recorded\) \(unknown\): 1 call/);
});

test('any one role session (one access key) from two origins is flagged; one origin, service calls and separate sessions are not', () => {
  const sess = (ip: string, key: string, name = 'alice-cli') => toEvent({
    eventVersion: '1.09', eventID: `k-${++seq}`, eventTime: '2026-03-04T10:00:00Z', eventSource: 'iam.amazonaws.com', eventName: 'ListRoles',
    awsRegion: 'us-east-1', recipientAccountId: ACCT, sourceIPAddress: ip,
    userIdentity: { type: 'AssumedRole', principalId: `AROAADMIN:${name}`, arn: `arn:aws:sts::${ACCT}:assumed-role/admin/${name}`, accountId: ACCT, accessKeyId: key, sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCT}:role/admin` } } },
  });
  const two = fire([sess('198.51.100.1', 'ASIAONE'), sess('203.0.113.5', 'ASIAONE')]);
  assert.equal(two.length, 1);
  assert.equal(two[0].severity, 'high'); // two public addresses
  assert.equal(fire([sess('198.51.100.1', 'ASIAONE'), sess('10.1.2.3', 'ASIAONE')])[0].severity, 'medium');
  // Not an instance's session, and only private addresses: one workload spread over a VPC (Lambda, containers), not reported.
  assert.equal(fire([sess('10.1.2.3', 'ASIAONE'), sess('10.1.2.4', 'ASIAONE')]).length, 0);
  // The same role session name assumed twice (two keys) from two places is two sessions.
  assert.equal(fire([sess('198.51.100.1', 'ASIAONE'), sess('203.0.113.5', 'ASIATWO')]).length, 0);
  // One origin; and an AWS service acting for the session is no origin.
  assert.equal(fire([inst('10.0.1.15', 0), inst('10.0.1.15', 9)]).length, 0);
  assert.equal(fire([inst('10.0.1.15', 0), inst('athena.amazonaws.com', 1), inst('AWS Internal', 2), inst('198.51.100.8', 3, { record: { userIdentity: { ...inst('x', 0).record.userIdentity, invokedBy: 'cloudformation.amazonaws.com' } } })]).length, 0);
});

test('quiet on the real corpora: Stratus (each log and all together), OTRF and the Panther scenarios hold no session seen from two origins', () => {
  const fixtures = new URL('../fixtures/', import.meta.url);
  const load = (rel: string): Record<string, any>[] => {
    const j = JSON.parse(readFileSync(new URL(rel, fixtures), 'utf8'));
    return Array.isArray(j) ? j : j.Records;
  };
  const all: Record<string, any>[] = [];
  for (const f of readdirSync(new URL('stratus-red-team/detonation-logs/', fixtures))) {
    const recs = load(`stratus-red-team/detonation-logs/${f}`);
    all.push(...recs);
    assert.deepEqual(fire(recs.map((r, i) => toEvent(r, i))), [], f);
  }
  assert.deepEqual(fire(all.map((r, i) => toEvent(r, i))), [], 'all Stratus logs together');
  // OTRF: the stolen instance-role credentials appear from one (anonymised) address only, 1.2.3.4.
  const otrf = load('otrf-security-datasets/ec2_proxy_s3_exfiltration.normalized.Records.json');
  assert.ok(otrf.some((r) => /:i-/.test(r.userIdentity?.principalId ?? '')), 'OTRF holds an instance-role session');
  assert.deepEqual(fire(otrf.map((r, i) => toEvent(r, i))), []);
  const scen = new URL('panther-analysis/test_scenarios/', fixtures);
  for (const d of readdirSync(scen)) {
    for (const f of readdirSync(new URL(`${d}/`, scen)).filter((x) => x.endsWith('.json'))) {
      assert.deepEqual(fire(load(`panther-analysis/test_scenarios/${d}/${f}`).map((r, i) => toEvent(r, i))), [], `${d}/${f}`);
    }
  }
});

test("the SQL runner's column step (Check.narrow) keeps every event the check needs: same findings on the narrowed events as on all", async () => {
  const { sessionOriginCandidates } = await import('../../electron/analysis/checks/access.ts');
  const sess = (ip: string, key: string, name = 'bob-cli') => toEvent({
    eventVersion: '1.09', eventID: `n-${++seq}`, eventTime: '2026-03-04T11:00:00Z', eventSource: 'iam.amazonaws.com', eventName: 'ListRoles',
    awsRegion: 'us-east-1', recipientAccountId: ACCT, sourceIPAddress: ip,
    userIdentity: { type: 'AssumedRole', principalId: `AROAADMIN:${name}`, arn: `arn:aws:sts::${ACCT}:assumed-role/admin/${name}`, accountId: ACCT, accessKeyId: key },
  });
  // An instance session delivered to the instance whose principalId was redacted: run() keys it by role and session name.
  const redacted = (ip: string, key: string) => inst(ip, 7, { key, record: { userIdentity: { ...inst('x', 0).record.userIdentity, principalId: 'redacted', accessKeyId: key } } });
  const all = [
    inst('10.0.1.15', 0), inst('203.0.113.99', 30, { key: 'ASIAEXAMPLEKEY000002' }), // an instance from two origins
    sess('198.51.100.1', 'ASIAONE'), sess('10.1.2.3', 'ASIAONE'), // a key from a public and a private origin
    sess('10.1.2.3', 'ASIATWO'), sess('10.1.2.4', 'ASIATWO'), // private only: run() stays quiet
    sess('198.51.100.2', 'ASIATHREE'), // one origin
    redacted('10.9.9.9', 'ASIAR1'), redacted('192.0.2.77', 'ASIAR2'), // two keys, one instance session by name
    inst('198.51.100.8', 3, { key: 'ASIAEXAMPLEKEY000003', record: { userIdentity: { ...inst('x', 0).record.userIdentity, invokedBy: 'cloudformation.amazonaws.com' } } }),
  ];
  // What the runner hands the step: the same events built from the indexed columns, without their records.
  const leaves = sessionOriginCandidates(all.map((e) => ({ ...e, record: {} })));
  const narrowed = all.filter((e) => leaves.has(e.leaf));
  const full = fire(all);
  assert.equal(full.length, 2, 'the instance (its redacted session joins it by role and session name), the public-and-private key');
  for (const e of all.filter((x) => x.n.principalId === 'redacted')) assert.ok(full[0].eventIds.includes(e.eventId) || full[1].eventIds.includes(e.eventId));
  assert.deepEqual(fire(narrowed).map((f) => [f.title, f.eventIds]), full.map((f) => [f.title, f.eventIds]));
  assert.ok(narrowed.length < all.length, 'the step drops sessions that cannot fire');
});
