// The address indicators (README.md, "Addresses and profiles"): each fires on its fixture and stays quiet
// on the quiet twin; the Stratus, Panther and OTRF corpora raise only the
// alarms explained below; the SQL runner over a case agrees with the
// in-memory reference runner once the case is enriched, and reports nothing
// from them before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getCheck, runChecks } from '../../../electron/analysis/checks/index.ts';
import { TRAVEL, uaFamily } from '../../../electron/analysis/checks/identity.ts';
import { enrichCase } from '../../../electron/analysis/enrich/enrich.ts';
import { analyseCase } from '../../../electron/analysis/run.ts';
import { caseWith, tempDir } from '../support.ts';
import { firingRecords, IDENTITY_CHECK_IDS, quietRecords, toEvents } from './identity-fixtures.ts';

const checks = IDENTITY_CHECK_IDS.map((id) => getCheck(id)!);
const fired = (records: Record<string, unknown>[]) => runChecks(toEvents(records), checks);

test('each indicator fires once on the firing trail, explaining itself with its events', () => {
  const f = fired(firingRecords());
  assert.deepEqual(f.map((x) => x.checkId).sort(), [...IDENTITY_CHECK_IDS].sort());
  const by = new Map(f.map((x) => [x.checkId, x]));
  const travel = by.get('initial-access.impossible-travel')!;
  assert.equal(travel.eventIds.length, 2);
  assert.match(travel.explanation, /73\.1\.1\.1 .*Plant City, US.*20 minutes later.*95\.216\.1\.1 \(Helsinki, FI, AS24940 Hetzner Online GmbH\), [\d,]+ km away: [\d,]+ km\/h, above the 1000 km\/h an airliner allows/);
  assert.match(by.get('initial-access.new-country-for-principal')!.title, /user\/dana active from FI, a new country/);
  assert.match(by.get('initial-access.new-country-for-principal')!.explanation, /seen only from US/);
  assert.match(by.get('initial-access.new-network-for-principal')!.title, /AS24940 Hetzner Online GmbH, a new network \(hosting provider Hetzner\)/);
  assert.equal(by.get('initial-access.new-network-for-principal')!.severity, 'medium');
  assert.match(by.get('credential-access.instance-credentials-outside-aws')!.title, /i-0123456789abcdef0 used from outside AWS \(167\.99\.1\.1\)/);
  assert.match(by.get('initial-access.console-login-from-hosting-network')!.explanation, /AS24940 Hetzner Online GmbH \(Helsinki, FI\), a hosting provider's network \(MFA used: Yes\)/);
  assert.match(by.get('initial-access.new-user-agent-family')!.title, /user\/dana used a new client: browser/);
  for (const x of f) {
    assert.ok(x.attack.length && x.remediation.length && x.eventIds.length, x.checkId);
    assert.ok(getCheck(x.checkId)!.description.length > 100, `${x.checkId} documents its thresholds`);
  }
  assert.match(getCheck('initial-access.impossible-travel')!.description, new RegExp(`${TRAVEL.speedKmh} km/h is an airliner`));
});

test('quiet: a plausible trip, an upgraded client, the instance at work, a first-time user', () => {
  assert.deepEqual(fired(quietRecords()).map((x) => `${x.checkId}: ${x.title}`), []);
});

test('user-agent families ignore versions and platforms', () => {
  assert.equal(uaFamily('aws-cli/2.15.0 Python/3.11.6 Linux/6.1'), 'aws-cli');
  assert.equal(uaFamily('[aws-cli/1.18.39 Python/3.7.2]'), 'aws-cli');
  assert.equal(uaFamily('Boto3/1.34.69 md/Botocore#1.34.69'), 'boto3');
  assert.equal(uaFamily('Mozilla/5.0 (Windows NT 10.0)'), 'browser');
  assert.equal(uaFamily('console.amazonaws.com'), null);
  assert.equal(uaFamily('AWS Internal'), null);
  assert.equal(uaFamily(null), null);
});

const records = (p: string) => {
  const j = JSON.parse(readFileSync(p, 'utf8'));
  return (Array.isArray(j) ? j : j.Records) as Record<string, unknown>[];
};

test('real corpora: no false alarms; the alarms raised are the attacks of the scenario', () => {
  // Stratus Red Team: all 35 detonations as one trail (310 events). Quiet: the detonations last minutes,
  // so no principal has an established history, and the stolen instance credentials were used from EC2.
  const dir = 'test/fixtures/stratus-red-team/detonation-logs';
  const stratus = readdirSync(dir).filter((f) => f.endsWith('.json')).flatMap((f) => records(join(dir, f)));
  assert.equal(stratus.length, 310);
  assert.deepEqual(fired(stratus), []);
  // OTRF "EC2 proxy S3 exfiltration": the instance role's credentials used from 1.2.3.4, outside AWS: the attack itself.
  const otrf = fired(records('test/fixtures/otrf-security-datasets/ec2_proxy_s3_exfiltration.normalized.Records.json'));
  assert.deepEqual(otrf.map((x) => x.checkId), ['credential-access.instance-credentials-outside-aws']);
  assert.match(otrf[0].title, /i-0317f6c6b66ae9c40 used from outside AWS \(1\.2\.3\.4\)/);
  // Panther "compromised root credentials": the attacker's aws-cli after two weeks of the owner's browser sign-ins.
  const panther = fired(records('test/fixtures/panther-analysis/test_scenarios/compromised-root-creds/combined_cloudtrail.unique-ids.Records.json'));
  assert.deepEqual(panther.map((x) => x.checkId), ['initial-access.new-user-agent-family']);
  assert.match(panther[0].explanation, /from 92\.55\.146\.245 .*aws-cli\/1\.18\.39/);
});

test('the SQL runner: nothing from the address indicators before enrichment, the reference runner\'s findings after', async () => {
  const dir = tempDir();
  const file = join(dir, 'trail.json');
  const recs = firingRecords();
  writeFileSync(file, JSON.stringify({ Records: recs }));
  const c = await caseWith([file]);
  try {
    const before = await analyseCase(c.store, { sigma: null });
    assert.deepEqual(before.findings.filter((f) => IDENTITY_CHECK_IDS.includes(f.checkId) && f.checkId !== 'initial-access.new-user-agent-family').map((f) => f.checkId), []);
    enrichCase(c.store, 'tester');
    const after = await analyseCase(c.store, { sigma: null });
    const mine = after.findings.filter((f) => IDENTITY_CHECK_IDS.includes(f.checkId));
    const ref = fired(recs);
    assert.deepEqual(mine.map((f) => f.id).sort(), ref.map((f) => f.id).sort());
    for (const f of mine) assert.deepEqual(f, ref.find((r) => r.id === f.id));
  } finally {
    c.cleanup();
  }
});
