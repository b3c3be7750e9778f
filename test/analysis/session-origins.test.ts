// credential-access.session-multiple-origins (docs/architecture.md, "Display integrity"): one role session, or one EC2
// instance's role sessions, used from more than one network origin, including a
// private or unrecorded second address; quiet on one origin and on the real corpora.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { AnalysisEvent } from '../../shared/analysis/findings.ts';
import { normalizeRecord } from '../../shared/record.ts';
import { getCheck, runChecks } from '../../electron/analysis/checks/index.ts';
import { instanceOf, originKind, originOf, sessionOriginsDraft } from '../../electron/analysis/checks/access.ts';
import { defineCheck } from '../../electron/analysis/checks/define.ts';
import { during, invokedBy, isAwsServiceSource, str, uniq } from '../../electron/analysis/checks/event.ts';

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

/**
 * The check's grouping as it was written over a whole list of events (before it became a stream holding
 * at most 2 × 5 calls per origin): the reference the stream must agree with. The finding's wording is
 * shared (sessionOriginsDraft); which events each origin cites, its count, span and endpoints are not.
 */
const reference = defineCheck({ ...getCheck(ID)! }, (events, _ctx, make) => {
  const sessions = new Map<string, AnalysisEvent[]>();
  for (const e of events) {
    if (e.n.identityType !== 'AssumedRole' || invokedBy(e) || isAwsServiceSource(e.n.sourceIPAddress)) continue;
    const i = instanceOf(e);
    const key = i ? `instance\u0000${e.n.sessionIssuerArn ?? e.n.principalArn ?? ''}\u0000${i}` : e.n.accessKeyId ? `key\u0000${e.n.accessKeyId}` : null;
    if (!key) continue;
    sessions.set(key, [...(sessions.get(key) ?? []), e]);
  }
  const K = 5;
  const out = [];
  for (const [key, sess] of sessions) {
    const byOrigin = new Map<string, AnalysisEvent[]>();
    for (const e of sess) byOrigin.set(originOf(e), [...(byOrigin.get(originOf(e)) ?? []), e]);
    if (byOrigin.size < 2) continue;
    const i = key.startsWith('instance') ? instanceOf(sess[0]) : null;
    if (!i && ![...byOrigin.keys()].some((o) => originKind(o) === 'public')) continue;
    const first = (l: AnalysisEvent[]) => l.reduce((m, e) => Math.min(m, e.timeMs ?? Infinity), Infinity);
    const origins = [...byOrigin.entries()].sort((a, b) => first(a[1]) - first(b[1]) || (a[0] < b[0] ? -1 : 1));
    const role = sess[0].n.sessionIssuerArn ?? sess[0].n.principalArn ?? '(role not recorded)';
    const keys = uniq(sess.map((e) => e.n.accessKeyId).filter((x): x is string => x !== null));
    out.push(
      sessionOriginsDraft(make, {
        inst: i,
        role,
        principalArn: sess[0].n.principalArn,
        keys,
        origins: origins.map(([o, l]) => {
          const sorted = [...l].sort((a, b) => (a.timeMs ?? Infinity) - (b.timeMs ?? Infinity));
          const timed = sorted.filter((e) => e.timeMs !== null);
          return {
            origin: o,
            count: l.length,
            when: timed.length === 0 ? 'at an unrecorded time' : during([timed[0], timed[timed.length - 1]]),
            cited: sorted.length <= 2 * K ? sorted : [...sorted.slice(0, K), ...sorted.slice(-K)],
            endpoints: uniq(l.map((e) => str(e.record.vpcEndpointId)).filter((x): x is string => x !== null)),
          };
        }),
      }),
    );
  }
  return out;
});

test('the check streams (at most 2 × 5 calls kept per origin) and gives what the whole-list reference gives', () => {
  const sess = (ip: string, key: string, name = 'bob-cli', minute = 0) => toEvent({
    eventVersion: '1.09', eventID: `n-${++seq}`, eventTime: new Date(Date.parse('2026-03-04T11:00:00Z') + minute * 60_000).toISOString().replace('.000Z', 'Z'),
    eventSource: 'iam.amazonaws.com', eventName: 'ListRoles',
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
    // A busy session: many calls from one origin (ties in time, untimed calls) and a few from another, with a VPC endpoint.
    ...Array.from({ length: 40 }, (_, k) => sess('10.7.7.7', 'ASIABUSY', 'busy', Math.floor(k / 3))),
    ...Array.from({ length: 7 }, (_, k) => sess('198.51.100.50', 'ASIABUSY', 'busy', 100 - k)),
    { ...sess('10.7.7.7', 'ASIABUSY', 'busy'), timeMs: null },
    ...[0, 1, 2].map((k) => { const e = sess('10.7.7.8', 'ASIABUSY', 'busy', 50 + k); e.record.vpcEndpointId = 'vpce-0abc'; return e; }),
  ];
  const full = fire(all);
  const ref = runChecks(all, [reference]);
  assert.equal(full.length, 3, 'the instance (its redacted session joins it by role and session name), the public-and-private key, the busy key');
  for (const e of all.filter((x) => x.n.principalId === 'redacted')) assert.ok(full.some((f) => f.eventIds.includes(e.eventId)));
  assert.deepEqual(full, ref);
  // In another order (the in-memory runner hands events in leaf order, the SQL runner in time order): the same.
  const shuffled = [...all].reverse();
  assert.deepEqual(runChecks(shuffled, [getCheck(ID)!]), runChecks(shuffled, [reference]));
  const busy = full.find((f) => /ASIABUSY|busy/.test(f.title))!;
  assert.equal(busy.eventIds.length, 10 + 7 + 3, 'a busy origin cites its earliest and latest five calls');
  assert.match(busy.explanation, /41 calls/);
});
