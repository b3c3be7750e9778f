// Unit tests for the built-in checks: policy parsing (string/array principals,
// "*", account ids vs own accounts, URL-encoded documents), the registry and
// finding ids, and the thresholds of the aggregating checks.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { AnalysisEvent } from '../../shared/analysis/findings.ts';
import { normalizeRecord } from '../../shared/record.ts';
import {
  allChecks, buildCheckContext, findingId, getCheck, matchesSelector, registerCheck, runChecks, selectorPredicates, toFinding, validateCheck, type Check,
} from '../../electron/analysis/checks/index.ts';
import { adminLevel, externalGrants, parsePolicy, restrictingConditionKeys } from '../../electron/analysis/checks/policy.ts';
import { selectorReductions, shortestExpirationDays } from '../../electron/analysis/checks/defense-evasion.ts';
import { isWorldCidr, publicAclGrants } from '../../electron/analysis/checks/data.ts';
import { baseEventName, callerName, isPublicIp } from '../../electron/analysis/checks/event.ts';
import { firingRecords, IDENTITY_CHECK_IDS, quietRecords, toEvents as identityEvents } from './enrich/identity-fixtures.ts';

const OWN = '111111111111';
const OTHER = '222222222222';
let seq = 0;

/** A CloudTrail record with sensible defaults (IAM user alice of account OWN). */
function ev(p: Record<string, any>): AnalysisEvent {
  const r: Record<string, any> = {
    eventVersion: '1.09', eventID: `ev-${++seq}`, eventTime: '2024-05-01T10:00:00Z', awsRegion: 'us-east-1', eventType: 'AwsApiCall',
    recipientAccountId: OWN, sourceIPAddress: '203.0.113.10', userAgent: 'aws-cli/2',
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${OWN}:user/alice`, userName: 'alice', principalId: 'AIDAALICE', accountId: OWN, accessKeyId: 'AKIAALICE' },
    ...p,
  };
  const n = normalizeRecord(r)!;
  return { leaf: seq, eventId: r.eventID, timeMs: n.timeMs, record: r, n };
}
const at = (min: number) => new Date(Date.parse('2024-05-01T10:00:00Z') + min * 60_000).toISOString().replace(/\.000Z$/, 'Z');
const fire = (checkId: string, events: AnalysisEvent[]) => runChecks(events, [getCheck(checkId)!]);

// ---- policy parsing --------------------------------------------------------

test('parsePolicy reads JSON strings, objects, URL-encoded and double-encoded documents', () => {
  const doc = { Version: '2012-10-17', Statement: { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OTHER}:root` }, Action: 'sts:AssumeRole' } };
  const json = JSON.stringify(doc);
  for (const input of [doc, json, encodeURIComponent(json), JSON.stringify(json), encodeURIComponent(JSON.stringify(doc, null, 2)).replace(/%20/g, '+')]) {
    const p = parsePolicy(input);
    assert.ok(p.ok, `not parsed: ${String(input).slice(0, 40)}`);
    assert.equal(p.policy.statements.length, 1);
    assert.deepEqual(p.policy.statements[0].principals, [{ kind: 'AWS', value: `arn:aws:iam::${OTHER}:root` }]);
    assert.deepEqual(p.policy.statements[0].actions, ['sts:AssumeRole']);
  }
  const bad = parsePolicy('invalid-json-policy');
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.reason : '', /not JSON/);
  assert.equal(parsePolicy({ Version: '2012-10-17' }).ok, false);
  assert.equal(parsePolicy(null).ok, false);
  assert.equal(parsePolicy('%E0%A4%A').ok, false); // malformed URL encoding: a reason, not a throw
});

test('principals: "*" string, {"AWS":"*"}, arrays, accounts vs own accounts, services, federated', () => {
  const own = new Set([OWN]);
  const grants = (stmt: object, accounts: ReadonlySet<string> = own) => {
    const p = parsePolicy({ Statement: [stmt] });
    assert.ok(p.ok);
    return externalGrants(p.policy, accounts).map((g) => `${g.kind}:${g.account ?? g.principal}`);
  };
  assert.deepEqual(grants({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject' }), ['public:*']);
  assert.deepEqual(grants({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject' }), ['public:*']);
  assert.deepEqual(grants({ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: 's3:GetObject' }), ['public:*']);
  assert.deepEqual(grants({ Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::${OWN}:role/x`, OTHER, `arn:aws:iam::333333333333:user/bob`] }, Action: 'sts:AssumeRole' }),
    [`outside-account:${OTHER}`, 'outside-account:333333333333']);
  assert.deepEqual(grants({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OWN}:root` }, Action: 'sts:AssumeRole' }), []);
  // With no known own accounts every explicit account is outside.
  assert.deepEqual(grants({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${OWN}:root` }, Action: 'sts:AssumeRole' }, new Set()), [`outside-account:${OWN}`]);
  assert.deepEqual(grants({ Effect: 'Allow', Principal: { Service: ['ec2.amazonaws.com', 'lambda.amazonaws.com'] }, Action: 'sts:AssumeRole' }), []);
  assert.deepEqual(grants({ Effect: 'Deny', Principal: '*', Action: '*' }), []);
  // sts:ExternalId is a shared string, not an identity restriction: still public.
  assert.deepEqual(grants({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': '12345' } } }), ['public:*']);
  assert.deepEqual(grants({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc' } } }), []);
  // Negated and IfExists operators, and wildcard-only values, do not restrict.
  assert.deepEqual(grants({ Effect: 'Allow', Principal: '*', Action: 's3:*', Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc' } } }), ['public:*']);
  assert.deepEqual(grants({ Effect: 'Allow', Principal: '*', Action: 's3:*', Condition: { StringEqualsIfExists: { 'aws:SourceVpc': 'vpc-1' } } }), ['public:*']);
  assert.deepEqual(grants({ Effect: 'Allow', Principal: '*', Action: 's3:*', Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } }), ['public:*']);
  assert.deepEqual(grants({ Effect: 'Allow', Principal: '*', Action: 's3:*', Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } } }), []);
  assert.deepEqual(grants({ Effect: 'Allow', NotPrincipal: { AWS: `arn:aws:iam::${OWN}:root` }, Action: 's3:*' }).map((g) => g.split(':')[0]), ['public']);
  assert.deepEqual(grants({ Effect: 'Allow', Principal: { Federated: 'token.actions.githubusercontent.com' }, Action: 'sts:AssumeRoleWithWebIdentity' }), ['federated-unconditioned:token.actions.githubusercontent.com']);
  assert.deepEqual(grants({ Effect: 'Allow', Principal: { Federated: 'token.actions.githubusercontent.com' }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:org/x:*' } } }), []);
  const st = parsePolicy({ Statement: [{ Effect: 'Allow', Principal: '*', Condition: { StringEquals: { 'AWS:SourceAccount': OWN } } }] });
  assert.ok(st.ok);
  assert.deepEqual(restrictingConditionKeys(st.policy.statements[0]), ['AWS:SourceAccount']);
});

test('adminLevel: "*" on "*", "iam:*" on "*", deny and NotAction ignored', () => {
  const lvl = (Statement: object[]) => { const p = parsePolicy({ Statement }); assert.ok(p.ok); return adminLevel(p.policy); };
  assert.equal(lvl([{ Effect: 'Allow', Action: '*', Resource: '*' }]), 'admin');
  assert.equal(lvl([{ Effect: 'Allow', Action: ['s3:GetObject', '*:*'], Resource: ['*'] }]), 'admin');
  assert.equal(lvl([{ Effect: 'Allow', Action: 'IAM:*', Resource: '*' }]), 'iam-full');
  assert.equal(lvl([{ Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b/*' }]), null);
  assert.equal(lvl([{ Effect: 'Deny', Action: '*', Resource: '*' }]), null);
  assert.equal(lvl([{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }]), null);
});

// ---- trust policy check on events --------------------------------------------

test('role trust check: outside account, "*", own account, and URL-encoded response documents', () => {
  const trust = (principal: unknown, extra: Record<string, any> = {}) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...extra }] });
  const update = (doc: string) => ev({ eventSource: 'iam.amazonaws.com', eventName: 'UpdateAssumeRolePolicy', requestParameters: { roleName: 'r1', policyDocument: doc } });
  assert.equal(fire('persistence.iam-role-trust-outside', [update(trust({ AWS: `arn:aws:iam::${OTHER}:root` }))])[0]?.severity, 'high');
  assert.equal(fire('persistence.iam-role-trust-outside', [update(trust('*'))])[0]?.severity, 'critical');
  assert.equal(fire('persistence.iam-role-trust-outside', [update(trust({ AWS: `arn:aws:iam::${OWN}:root` }))]).length, 0);
  assert.equal(fire('persistence.iam-role-trust-outside', [update(trust({ Service: 'ec2.amazonaws.com' }))]).length, 0);
  // CreateRole whose document is only in the (URL-encoded) response.
  const created = ev({ eventSource: 'iam.amazonaws.com', eventName: 'CreateRole', requestParameters: { roleName: 'r2' }, responseElements: { role: { roleName: 'r2', assumeRolePolicyDocument: encodeURIComponent(trust({ AWS: [OTHER] })) } } });
  const f = fire('persistence.iam-role-trust-outside', [created]);
  assert.equal(f.length, 1);
  assert.ok(f[0].artefacts.some((a) => a.type === 'account' && a.value === OTHER));
  assert.match(f[0].explanation, /created role r2/);
  // Failed calls change nothing.
  assert.equal(fire('persistence.iam-role-trust-outside', [ev({ eventSource: 'iam.amazonaws.com', eventName: 'UpdateAssumeRolePolicy', errorCode: 'AccessDenied', requestParameters: { roleName: 'r1', policyDocument: trust('*') } })]).length, 0);
});

test('unreadable policy documents reach ctx.warn instead of vanishing', () => {
  const warnings: string[] = [];
  const e = ev({ eventSource: 'iam.amazonaws.com', eventName: 'UpdateAssumeRolePolicy', requestParameters: { roleName: 'r1', policyDocument: '{not json' } });
  const ctx = buildCheckContext([e], { warn: (id, check, msg) => warnings.push(`${id} ${check} ${msg}`) });
  assert.equal(runChecks([e], [getCheck('persistence.iam-role-trust-outside')!], { ctx }).length, 0);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], new RegExp(`^${e.eventId} persistence.iam-role-trust-outside trust policy of role r1 could not be read`));
});

test('cross-account AssumeRole: outside caller account reported, high after the trust was opened', () => {
  const roleArn = `arn:aws:iam::${OWN}:role/r1`;
  const assume = ev({ eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', eventTime: at(5), userIdentity: { type: 'AWSAccount', principalId: 'AIDAEXT', accountId: OTHER }, requestParameters: { roleArn, roleSessionName: 's' } });
  assert.equal(fire('persistence.cross-account-assume-role', [assume])[0]?.severity, 'medium');
  const opened = ev({ eventSource: 'iam.amazonaws.com', eventName: 'UpdateAssumeRolePolicy', requestParameters: { roleName: 'r1', policyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: OTHER }, Action: 'sts:AssumeRole' }] }) } });
  assert.equal(fire('persistence.cross-account-assume-role', [opened, assume])[0]?.severity, 'high');
  const internal = ev({ eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', requestParameters: { roleArn } });
  assert.equal(fire('persistence.cross-account-assume-role', [internal]).length, 0);
});

// ---- registry, selectors, finding ids -------------------------------------------

test('registry: built-ins valid, duplicate ids and malformed checks rejected', () => {
  const checks = allChecks();
  assert.ok(checks.length >= 50, `${checks.length} checks`);
  assert.equal(new Set(checks.map((c) => c.id)).size, checks.length);
  for (const c of checks) {
    assert.deepEqual(validateCheck(c), [], c.id);
    assert.ok(c.id.startsWith(`${c.category}.`), `${c.id} is filed under ${c.category}`);
    assert.ok(c.attack.length > 0 && c.description.length > 40, c.id);
  }
  assert.throws(() => registerCheck(checks[0]), /already registered/);
  const bogus: Check = { ...checks[0], id: 'persistence.test-bogus', select: {} };
  assert.throws(() => registerCheck(bogus), /selector has no criterion/);
  assert.throws(() => registerCheck({ ...bogus, id: 'Not An Id', select: { all: true } }), /is not '<category>.<kebab-name>'/);
  assert.throws(() => registerCheck({ ...bogus, version: '1.0', select: { all: true } }), /semver/);
  assert.equal(getCheck('persistence.test-bogus'), undefined);
});

test('selectors: AND across criteria, API-version suffixes removed, errorCodes and identity types', () => {
  const lam = ev({ eventSource: 'lambda.amazonaws.com', eventName: 'UpdateFunctionCode20150331v2' });
  assert.equal(baseEventName('AddPermission20150331'), 'AddPermission');
  assert.equal(baseEventName('GetObject'), 'GetObject');
  assert.ok(matchesSelector({ eventNames: ['UpdateFunctionCode'], eventSources: ['lambda.amazonaws.com'] }, lam));
  assert.ok(!matchesSelector({ eventNames: ['UpdateFunctionCode'], eventSources: ['iam.amazonaws.com'] }, lam));
  assert.ok(!matchesSelector({ errorCodes: true }, lam));
  assert.ok(matchesSelector({ errorCodes: true }, ev({ eventName: 'X', eventSource: 'y', errorCode: 'AccessDenied' })));
  assert.ok(matchesSelector({ identityTypes: ['Root'] }, ev({ eventName: 'X', userIdentity: { type: 'Root', arn: `arn:aws:iam::${OWN}:root` } })));
  assert.ok(!matchesSelector({}, lam));
  const p = selectorPredicates({ eventNames: ['UpdateFunctionCode'], errorCodes: true });
  assert.ok(p.eventName!('UpdateFunctionCode20150331v2') && !p.eventName!('UpdateFunctionConfiguration20150331v2') && p.errorCode && p.eventSource === null);
  assert.ok(matchesSelector({ all: true }, lam));
});

test('finding ids: 16-hex SHA-256 prefix of check id and sorted event ids; toFinding fills provenance and time span', () => {
  const expect = createHash('sha256').update('persistence.x' + '\na\nb').digest('hex').slice(0, 16);
  assert.equal(findingId('persistence.x', ['b', 'a']), expect);
  assert.equal(findingId('persistence.x', ['a', 'b']), expect);
  assert.notEqual(findingId('persistence.y', ['a', 'b']), expect);
  const check = getCheck('persistence.iam-user-created')!;
  const draft = { title: 't', severity: 'high' as const, category: 'persistence' as const, attack: ['T1136.003'], eventIds: ['b', 'a'], artefacts: [], explanation: 'x', remediation: ['y'] };
  const times: Record<string, number> = { a: Date.parse('2024-01-01T00:00:00Z'), b: Date.parse('2024-01-02T00:00:00Z') };
  const f = toFinding(check, draft, findingId, (id) => times[id] ?? null);
  assert.equal(f.id, findingId(check.id, ['a', 'b']));
  assert.equal(f.source, 'check');
  assert.equal(f.checkVersion, check.version);
  assert.equal(f.firstSeen, '2024-01-01T00:00:00.000Z');
  assert.equal(f.lastSeen, '2024-01-02T00:00:00.000Z');
  assert.equal(toFinding(check, draft, () => 'custom').id, 'custom');
  assert.throws(() => toFinding(check, { ...draft, eventIds: [] }), /persistence.iam-user-created@1.0.0 produced an invalid finding: no eventIds/);
  // Re-running gives the same ids.
  const e = ev({ eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', requestParameters: { userName: 'mallory' } });
  assert.deepEqual(runChecks([e]).map((x) => x.id), runChecks([e]).map((x) => x.id));
});

test('runChecks: a failing check is named; onError lets the others run', () => {
  const boom: Check = { ...getCheck('persistence.iam-user-created')!, id: 'persistence.boom', run: () => { throw new Error('kaput'); } };
  const e = ev({ eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', requestParameters: { userName: 'mallory' } });
  assert.throws(() => runChecks([e], [boom]), /check persistence.boom@1.0.0 failed on 1 events: kaput/);
  const errors: string[] = [];
  const out = runChecks([e], [boom, getCheck('persistence.iam-user-created')!], { onError: (id, err) => errors.push(`${id}: ${err.message}`) });
  assert.equal(out.length, 1);
  assert.equal(errors.length, 1);
});

test('odd records (wrong types, nulls, arrays) never crash any check', () => {
  const weird = [
    { requestParameters: 'text', responseElements: [1, 2], additionalEventData: null },
    { requestParameters: { policyDocument: 42, userName: ['x'], layers: 'arn', instancesSet: 'x', ipPermissions: { items: 'x' } }, responseElements: { accessKey: 'x', role: [] } },
    { userIdentity: null, requestParameters: { bucketPolicy: { Statement: 'nope' }, VersioningConfiguration: 'x', LifecycleConfiguration: { Rule: [null, 1] } } },
    { eventTime: 'not a time', requestParameters: { names: [null, 3], withDecryption: 'TRUE', createVolumePermission: { add: { items: [null, 'all', { userId: 12 }] } } } },
  ];
  const events: AnalysisEvent[] = [];
  for (const c of allChecks()) {
    const names = c.select.eventNames ?? ['ConsoleLogin'];
    const sources = c.select.eventSources ?? ['signin.amazonaws.com'];
    for (const w of weird) for (const name of names) events.push(ev({ eventSource: sources[0], eventName: name, errorCode: c.select.errorCodes ? 'AccessDenied' : undefined, ...w }));
  }
  assert.doesNotThrow(() => runChecks(events));
});

// ---- per-check thresholds and semantics ------------------------------------------

test('S3 read volume: 1000 objects or 1 GiB per principal, bucket and hour', () => {
  const get = (i: number, bytes = 10, min = 0) => ev({ eventSource: 's3.amazonaws.com', eventName: 'GetObject', eventTime: at(min), eventCategory: 'Data', requestParameters: { bucketName: 'b1', key: `k${i}` }, additionalEventData: { bytesTransferredOut: bytes } });
  const many = (n: number) => Array.from({ length: n }, (_, i) => get(i, 10, i % 50));
  assert.equal(fire('collection.s3-read-volume', many(999)).length, 0);
  const f = fire('collection.s3-read-volume', many(1000));
  assert.equal(f.length, 1);
  assert.equal(f[0].eventIds.length, 1000);
  assert.equal(f[0].severity, 'medium');
  assert.equal(fire('collection.s3-read-volume', [get(1, 600 * 1024 ** 2), get(2, 600 * 1024 ** 2)]).length, 1);
  assert.equal(fire('collection.s3-read-volume', [get(1, 11 * 1024 ** 3)])[0].severity, 'high');
  // Split across two clock hours, 600 + 600 objects stay under the threshold.
  const split = [...Array.from({ length: 600 }, (_, i) => get(i, 1, 10)), ...Array.from({ length: 600 }, (_, i) => get(i, 1, 70))];
  assert.equal(fire('collection.s3-read-volume', split).length, 0);
});

test('access-denied burst: 10 denials within 10 minutes per principal', () => {
  const denied = (min: number, name = 'ListUsers') => ev({ eventSource: 'iam.amazonaws.com', eventName: name, errorCode: 'AccessDenied', eventTime: at(min) });
  assert.equal(fire('discovery.access-denied-burst', Array.from({ length: 9 }, (_, i) => denied(i))).length, 0);
  assert.equal(fire('discovery.access-denied-burst', Array.from({ length: 10 }, (_, i) => denied(i))).length, 1);
  assert.equal(fire('discovery.access-denied-burst', Array.from({ length: 10 }, (_, i) => denied(i * 3))).length, 0, '10 denials over 27 minutes');
  assert.equal(fire('discovery.access-denied-burst', Array.from({ length: 10 }, (_, i) => ev({ eventSource: 's3.amazonaws.com', eventName: 'GetObject', errorCode: 'NoSuchKey', eventTime: at(i) }))).length, 0);
  assert.equal(fire('discovery.access-denied-burst', Array.from({ length: 10 }, (_, i) => denied(i, `Api${i}`)))[0].severity, 'high');
});

test('console sign-in after failures: 3 failures within the hour before a success', () => {
  const login = (min: number, ok: boolean) => ev({ eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', eventType: 'AwsConsoleSignIn', eventTime: at(min), responseElements: { ConsoleLogin: ok ? 'Success' : 'Failure' }, additionalEventData: { MFAUsed: 'No' } });
  assert.equal(fire('initial-access.console-login-after-failures', [login(0, false), login(1, false), login(2, false), login(3, true)]).length, 1);
  assert.equal(fire('initial-access.console-login-after-failures', [login(0, false), login(1, false), login(3, true)]).length, 0);
  assert.equal(fire('initial-access.console-login-after-failures', [login(0, false), login(1, false), login(2, false), login(90, true)]).length, 0);
  assert.equal(fire('initial-access.console-login-without-mfa', [login(0, false), login(3, true)]).length, 1, 'only the successful one');
});

test('secrets read in bulk: 10 distinct secrets per principal per hour; batch calls count alone; plain SSM parameters do not', () => {
  const get = (i: number, min = 0) => ev({ eventSource: 'secretsmanager.amazonaws.com', eventName: 'GetSecretValue', eventTime: at(min), requestParameters: { secretId: `s${i}` } });
  assert.equal(fire('credential-access.secrets-bulk-read', Array.from({ length: 9 }, (_, i) => get(i))).length, 0);
  assert.equal(fire('credential-access.secrets-bulk-read', Array.from({ length: 10 }, (_, i) => get(i % 5))).length, 0, 'repeats of 5 secrets');
  assert.equal(fire('credential-access.secrets-bulk-read', Array.from({ length: 10 }, (_, i) => get(i))).length, 1);
  assert.equal(fire('credential-access.secrets-bulk-read', Array.from({ length: 10 }, (_, i) => get(i, i * 20))).length, 0, 'spread over 3 hours');
  assert.equal(fire('credential-access.secrets-bulk-read', [ev({ eventSource: 'secretsmanager.amazonaws.com', eventName: 'BatchGetSecretValue', requestParameters: { filters: [] } })]).length, 1);
  const names = Array.from({ length: 12 }, (_, i) => `/p/${i}`);
  assert.equal(fire('credential-access.secrets-bulk-read', [ev({ eventSource: 'ssm.amazonaws.com', eventName: 'GetParameters', requestParameters: { names } })]).length, 0);
  const f = fire('credential-access.secrets-bulk-read', [ev({ eventSource: 'ssm.amazonaws.com', eventName: 'GetParameters', requestParameters: { names, withDecryption: true } })]);
  assert.equal(f.length, 1);
  assert.ok(f[0].artefacts.filter((a) => a.type === 'parameter').length === 12);
});

test('secrets read in bulk: with every event timed, a principal\'s cluster is judged once the pass is a gap past it, with the same findings', () => {
  // Frank reads one secret every 7 minutes all along (never fires; his reads move the pass on). Alice reads 5 secrets, then 5
  // more 36 minutes later (one cluster: fires; a sweep comes between them), and 10 more hours later (fires again); Carol
  // reads 10 and stops (judged once the pass is an hour past her); Dan's 10 come hours later; Erin's 9 never fire.
  const get = (user: string, i: number, min: number) => ev({
    eventSource: 'secretsmanager.amazonaws.com', eventName: 'GetSecretValue', eventTime: at(min), requestParameters: { secretId: `${user}-s${i}` },
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${OWN}:user/${user}`, userName: user, principalId: `AIDA${user.toUpperCase()}`, accountId: OWN, accessKeyId: `AKIA${user.toUpperCase()}` },
  });
  const events = [
    ...Array.from({ length: 100 }, (_, i) => get('frank', 0, i * 7)),
    ...Array.from({ length: 5 }, (_, i) => get('alice', i, 40 + i)),
    ...Array.from({ length: 10 }, (_, i) => get('carol', i, i + 1)),
    ...Array.from({ length: 3 }, (_, i) => get('bob', i, 30 + i)),
    ...Array.from({ length: 5 }, (_, i) => get('alice', 5 + i, 80 + i)),
    ...Array.from({ length: 9 }, (_, i) => get('erin', i, 60 + i)),
    ...Array.from({ length: 10 }, (_, i) => get('dan', i, 300 + i * 2)),
    ...Array.from({ length: 10 }, (_, i) => get('alice', 20 + i, 600 + i)),
  ].sort((a, b) => a.timeMs! - b.timeMs!);
  const drafts = (everyEventTimed: boolean) => {
    const s = getCheck('credential-access.secrets-bulk-read')!.stream!(buildCheckContext([], { ipInfo: null, everyEventTimed }));
    for (const e of events) s.add(e);
    return s.finish().map((d) => JSON.stringify(d)).sort();
  };
  const swept = drafts(true);
  assert.deepEqual(swept, drafts(false));
  const titles = swept.map((d) => (JSON.parse(d) as { title: string }).title).sort();
  assert.equal(titles.length, 4, titles.join(' | '));
  assert.deepEqual(titles.map((t) => t.split(' ')[0]), ['alice', 'alice', 'carol', 'dan']);
});

test('instance-role credentials from public addresses: private, service and agent traffic ignored, two addresses high', () => {
  const inst = (ip: string, extra: Record<string, any> = {}) => ev({
    eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances', sourceIPAddress: ip,
    userIdentity: { type: 'AssumedRole', principalId: 'AROAROLE:i-0abc1234def567890', arn: `arn:aws:sts::${OWN}:assumed-role/web/i-0abc1234def567890`, accountId: OWN, sessionContext: { sessionIssuer: { arn: `arn:aws:iam::${OWN}:role/web` }, ec2RoleDelivery: '2.0' } },
    ...extra,
  });
  assert.equal(fire('credential-access.instance-credentials-used-outside', [inst('10.0.1.5'), inst('ec2.amazonaws.com'), inst('AWS Internal')]).length, 0);
  assert.equal(fire('credential-access.instance-credentials-used-outside', [inst('45.33.32.156', { eventSource: 'ssmmessages.amazonaws.com', eventName: 'CreateControlChannel' })]).length, 0);
  assert.equal(fire('credential-access.instance-credentials-used-outside', [inst('45.33.32.156', { userIdentity: { ...inst('1.1.1.1').record.userIdentity, invokedBy: 'ec2.amazonaws.com' } })]).length, 0);
  const one = fire('credential-access.instance-credentials-used-outside', [inst('045.033.032.156'), inst('045.033.032.156')]);
  assert.equal(one.length, 1);
  assert.equal(one[0].severity, 'medium');
  const two = fire('credential-access.instance-credentials-used-outside', [inst('45.33.32.156'), inst('198.51.100.7')]);
  assert.deepEqual(two.map((f) => f.severity), ['high', 'high']);
  assert.ok(isPublicIp('8.8.8.8') && !isPublicIp('172.20.0.1') && !isPublicIp('100.64.1.1') && !isPublicIp('fd00::1') && isPublicIp('2001:4860::1') && !isPublicIp('::ffff:10.0.0.1'));
});

test('log bucket lifecycle: known trail bucket high, other bucket medium, long retention ignored', () => {
  const lc = (bucket: string, days: number, status = 'Enabled') => ev({ eventSource: 's3.amazonaws.com', eventName: 'PutBucketLifecycle', requestParameters: { bucketName: bucket, LifecycleConfiguration: { Rule: { ID: 'x', Status: status, Expiration: { Days: days } } } } });
  const trail = ev({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'CreateTrail', requestParameters: { name: 't', s3BucketName: 'org-logs' } });
  assert.equal(runChecks([trail, lc('org-logs', 1)]).find((f) => f.checkId === 'defense-evasion.log-bucket-lifecycle')?.severity, 'high');
  assert.equal(fire('defense-evasion.log-bucket-lifecycle', [lc('org-logs', 1)])[0].severity, 'medium', 'without the trail event the bucket is not known');
  assert.equal(fire('defense-evasion.log-bucket-lifecycle', [lc('my-cloudtrail-logs', 3)])[0].severity, 'high', 'name says cloudtrail');
  assert.equal(fire('defense-evasion.log-bucket-lifecycle', [lc('org-logs', 365)]).length, 0);
  assert.equal(fire('defense-evasion.log-bucket-lifecycle', [lc('org-logs', 1, 'Disabled')]).length, 0);
  assert.equal(shortestExpirationDays({ LifecycleConfiguration: { Rule: [{ Status: 'Enabled', Expiration: { Days: 30 } }, { Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: '7' } }] } }), 7);
});

test('event selectors: basic and advanced reductions', () => {
  assert.deepEqual(selectorReductions({ eventSelectors: [{ includeManagementEvents: true, readWriteType: 'All' }] }), []);
  assert.match(selectorReductions({ eventSelectors: [{ includeManagementEvents: false, readWriteType: 'All' }] })[0], /no longer recorded/);
  assert.match(selectorReductions({ eventSelectors: [{ readWriteType: 'ReadOnly' }] })[0], /limited to ReadOnly/);
  assert.deepEqual(selectorReductions({ eventSelectors: [{ includeManagementEvents: false, dataResources: [{}] }, { includeManagementEvents: true, readWriteType: 'All' }] }), []);
  assert.match(selectorReductions({ eventSelectors: [{ includeManagementEvents: true, excludeManagementEventSources: ['kms.amazonaws.com'] }] })[0], /kms.amazonaws.com excluded/);
  const mgmt = { field: 'eventCategory', equals: ['Management'] };
  assert.deepEqual(selectorReductions({ advancedEventSelectors: [{ name: 'm', fieldSelectors: [mgmt] }] }), []);
  assert.match(selectorReductions({ advancedEventSelectors: [{ name: 'd', fieldSelectors: [{ field: 'eventCategory', equals: ['Data'] }] }] })[0], /no advanced selector/);
  assert.match(selectorReductions({ advancedEventSelectors: [{ name: 'm', fieldSelectors: [mgmt, { field: 'eventSource', notEquals: ['iam.amazonaws.com'] }] }] })[0], /excludes eventSource notEquals iam.amazonaws.com/);
  assert.match(selectorReductions({ advancedEventSelectors: [{ name: 'm', fieldSelectors: [mgmt, { field: 'readOnly', equals: ['true'] }] }] })[0], /readOnly/);
});

test('security groups: /0 by prefix length (anonymised addresses too), admin ports in range, all traffic; 443 ignored', () => {
  assert.ok(isWorldCidr('0.0.0.0/0') && isWorldCidr('208.236.235.254/0') && isWorldCidr('::/0') && !isWorldCidr('0.0.0.0/16') && !isWorldCidr('10.0.0.0/8'));
  const sg = (perm: Record<string, any>) => ev({ eventSource: 'ec2.amazonaws.com', eventName: 'AuthorizeSecurityGroupIngress', requestParameters: { groupId: 'sg-1', ipPermissions: { items: [perm] } } });
  const ranges = (c: string) => ({ ipRanges: { items: [{ cidrIp: c }] } });
  assert.equal(fire('exfiltration.security-group-admin-port-open', [sg({ ipProtocol: 'tcp', fromPort: 20, toPort: 25, ...ranges('0.0.0.0/0') })]).length, 1);
  assert.equal(fire('exfiltration.security-group-admin-port-open', [sg({ ipProtocol: '-1', ...ranges('0.0.0.0/0') })]).length, 1);
  assert.equal(fire('exfiltration.security-group-admin-port-open', [sg({ ipProtocol: 'tcp', fromPort: '3389', toPort: '3389', ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] } })]).length, 1);
  assert.equal(fire('exfiltration.security-group-admin-port-open', [sg({ ipProtocol: 'tcp', fromPort: 443, toPort: 443, ...ranges('0.0.0.0/0') })]).length, 0);
  assert.equal(fire('exfiltration.security-group-admin-port-open', [sg({ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ...ranges('198.51.100.0/24') })]).length, 0);
});

test('shares: own-account targets ignored, outside accounts high, "all" critical', () => {
  const snap = (items: object[]) => ev({ eventSource: 'ec2.amazonaws.com', eventName: 'ModifySnapshotAttribute', requestParameters: { snapshotId: 'snap-1', attributeType: 'CREATE_VOLUME_PERMISSION', createVolumePermission: { add: { items } } } });
  assert.equal(fire('exfiltration.ebs-snapshot-shared', [snap([{ userId: OWN }])]).length, 0);
  assert.equal(fire('exfiltration.ebs-snapshot-shared', [snap([{ userId: OTHER }])])[0].severity, 'high');
  assert.equal(fire('exfiltration.ebs-snapshot-shared', [snap([{ group: 'all' }])])[0].severity, 'critical');
  const rds = (values: string[], attributeName = 'restore') => ev({ eventSource: 'rds.amazonaws.com', eventName: 'ModifyDBSnapshotAttribute', requestParameters: { dBSnapshotIdentifier: 'db1', attributeName, valuesToAdd: values } });
  assert.equal(fire('exfiltration.rds-snapshot-shared', [rds([OTHER])]).length, 1);
  assert.equal(fire('exfiltration.rds-snapshot-shared', [rds([])]).length, 0);
  assert.equal(fire('exfiltration.rds-snapshot-shared', [rds([OTHER], 'other')]).length, 0);
  assert.deepEqual(publicAclGrants({ 'x-amz-acl': ['public-read'] }), ['canned ACL public-read']);
  assert.deepEqual(publicAclGrants({ 'x-amz-acl': ['private'] }), []);
  assert.deepEqual(publicAclGrants({ AccessControlPolicy: { AccessControlList: { Grant: [{ Grantee: { URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' }] } } }), ['READ to AllUsers']);
});

test('caller names compare with target users: IAM users, role sessions, root', () => {
  assert.equal(callerName(ev({})), 'alice');
  assert.equal(callerName(ev({ userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::${OWN}:assumed-role/Admin/bob@example.com`, principalId: 'AROA:bob@example.com' } })), 'bob@example.com');
  assert.equal(callerName(ev({ userIdentity: { type: 'Root', arn: `arn:aws:iam::${OWN}:root` } })), 'root');
  const upd = (user: string, reset = false) => ev({ eventSource: 'iam.amazonaws.com', eventName: 'UpdateLoginProfile', requestParameters: { userName: user, passwordResetRequired: reset } });
  assert.equal(fire('privilege-escalation.iam-login-profile-updated-other-user', [upd('alice')]).length, 0);
  assert.equal(fire('privilege-escalation.iam-login-profile-updated-other-user', [upd('bob')])[0].severity, 'high');
  assert.equal(fire('privilege-escalation.iam-login-profile-updated-other-user', [upd('bob', true)])[0].severity, 'medium');
  const key = (user?: string) => ev({ eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', requestParameters: user ? { userName: user } : null, responseElements: { accessKey: { accessKeyId: 'AKIANEW', userName: user ?? 'alice' } } });
  assert.deepEqual(runChecks([key('bob')]).map((f) => f.checkId), ['persistence.iam-access-key-created-for-other-user']);
  assert.deepEqual(runChecks([key()]).map((f) => f.checkId), ['persistence.iam-access-key-created']);
});

test('admin policy attach: AWS managed admin policies and customer policies created admin in the case', () => {
  const attach = (arn: string) => ev({ eventSource: 'iam.amazonaws.com', eventName: 'AttachRolePolicy', eventTime: at(5), requestParameters: { roleName: 'r', policyArn: arn } });
  assert.equal(fire('privilege-escalation.iam-admin-policy-attached', [attach('arn:aws:iam::aws:policy/AdministratorAccess')]).length, 1);
  assert.equal(fire('privilege-escalation.iam-admin-policy-attached', [attach('arn:aws:iam::aws:policy/ReadOnlyAccess')]).length, 0);
  const custom = `arn:aws:iam::${OWN}:policy/helper`;
  const create = ev({ eventSource: 'iam.amazonaws.com', eventName: 'CreatePolicy', requestParameters: { policyName: 'helper', policyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }) }, responseElements: { policy: { arn: custom } } });
  assert.equal(fire('privilege-escalation.iam-admin-policy-attached', [attach(custom)]).length, 0);
  assert.equal(fire('privilege-escalation.iam-admin-policy-attached', [create, attach(custom)]).length, 1);
});

test('PassRole: role prepared by the same principal within the hour, then passed to a new function', () => {
  const role = ev({ eventSource: 'iam.amazonaws.com', eventName: 'AttachRolePolicy', eventTime: at(0), requestParameters: { roleName: 'r9', policyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' } });
  const fn = (min: number, who?: Record<string, any>) => ev({ eventSource: 'lambda.amazonaws.com', eventName: 'CreateFunction20150331', eventTime: at(min), requestParameters: { functionName: 'f', role: `arn:aws:iam::${OWN}:role/r9` }, ...(who ? { userIdentity: who } : {}) });
  assert.equal(fire('privilege-escalation.passrole-to-compute', [role, fn(10)]).length, 1);
  assert.equal(fire('privilege-escalation.passrole-to-compute', [role, fn(90)]).length, 0);
  assert.equal(fire('privilege-escalation.passrole-to-compute', [role, fn(10, { type: 'IAMUser', arn: `arn:aws:iam::${OWN}:user/bob`, userName: 'bob' })]).length, 0);
  const admin = ev({ eventSource: 'iam.amazonaws.com', eventName: 'AttachRolePolicy', requestParameters: { roleName: 'r9', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }, userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${OWN}:user/bob`, userName: 'bob' } });
  assert.equal(fire('privilege-escalation.passrole-to-compute', [admin, fn(600)]).length, 1, 'admin role passed by anyone');
});

test('root usage: service-invoked and failed root events are not counted; activity grouped per hour', () => {
  const root = (min: number, extra: Record<string, any> = {}) => ev({ eventSource: 'iam.amazonaws.com', eventName: 'ListUsers', eventTime: at(min), userIdentity: { type: 'Root', arn: `arn:aws:iam::${OWN}:root`, principalId: OWN, accountId: OWN }, ...extra });
  assert.equal(fire('initial-access.root-user-activity', [root(0), root(30), root(200)]).length, 2);
  assert.equal(fire('initial-access.root-user-activity', [root(0, { userIdentity: { type: 'Root', arn: `arn:aws:iam::${OWN}:root`, invokedBy: 'support.amazonaws.com' } })]).length, 0);
  assert.equal(fire('initial-access.root-user-activity', [root(0, { eventType: 'AwsServiceEvent' })]).length, 0);
  assert.equal(fire('initial-access.root-user-activity', [root(0, { errorCode: 'AccessDenied' })]).length, 0);
});

test('every built-in check has a positive example (here or in the Stratus/Panther corpora) and stays silent on its benign twin', () => {
  const iam = 'iam.amazonaws.com';
  const adminDoc = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
  const get = (i: number) => ev({ eventSource: 's3.amazonaws.com', eventName: 'GetObject', requestParameters: { bucketName: 'b', key: `k${i}` } });
  const login = (min: number, ok: boolean) => ev({ eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', eventTime: at(min), responseElements: { ConsoleLogin: ok ? 'Success' : 'Failure' }, additionalEventData: { MFAUsed: 'Yes' } });
  const assume = (acct: string) => ev({ eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole', userIdentity: { type: 'AWSAccount', principalId: 'AIDAX', accountId: acct }, requestParameters: { roleArn: `arn:aws:iam::${OWN}:role/r` } });
  const createFn = (role: string) => ev({ eventSource: 'lambda.amazonaws.com', eventName: 'CreateFunction20150331', eventTime: at(5), requestParameters: { functionName: 'f', role: `arn:aws:iam::${OWN}:role/${role}` } });
  const instanceCall = (ip: string) => ev({ eventSource: 's3.amazonaws.com', eventName: 'ListBuckets', sourceIPAddress: ip, userIdentity: { type: 'AssumedRole', principalId: 'AROAX:i-0abc1234def567890', arn: `arn:aws:sts::${OWN}:assumed-role/web/i-0abc1234def567890`, accountId: OWN, accessKeyId: 'ASIAX', sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${OWN}:role/web` } } } });
  // [check id, positive event(s), benign event(s)] for checks the Stratus/Panther corpora do not reach.
  const cases: [string, AnalysisEvent[], AnalysisEvent[]][] = [
    ['persistence.lambda-function-created', [ev({ eventSource: 'lambda.amazonaws.com', eventName: 'CreateFunction20150331', requestParameters: { functionName: 'f', role: 'r' } })], [ev({ eventSource: 'lambda.amazonaws.com', eventName: 'CreateFunction20150331', errorCode: 'AccessDenied' })]],
    ['persistence.ec2-key-pair', [ev({ eventSource: 'ec2.amazonaws.com', eventName: 'ImportKeyPair', requestParameters: { keyName: 'k' } })], [ev({ eventSource: 'ec2.amazonaws.com', eventName: 'DescribeKeyPairs' })]],
    ['persistence.ec2-instance-launched-with-user-data', [ev({ eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', requestParameters: { userData: '<sensitiveDataRemoved>' } })], [ev({ eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', requestParameters: { instanceType: 't3.micro' } })]],
    ['persistence.identity-center-change', [ev({ eventSource: 'sso.amazonaws.com', eventName: 'AttachManagedPolicyToPermissionSet', requestParameters: { managedPolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } })], [ev({ eventSource: 'sso.amazonaws.com', eventName: 'ListPermissionSets' })]],
    ['privilege-escalation.iam-policy-version-default', [ev({ eventSource: iam, eventName: 'CreatePolicyVersion', requestParameters: { policyArn: 'arn:aws:iam::1:policy/p', setAsDefault: true, policyDocument: adminDoc } })], [ev({ eventSource: iam, eventName: 'CreatePolicyVersion', requestParameters: { policyArn: 'arn:aws:iam::1:policy/p', setAsDefault: false, policyDocument: adminDoc } })]],
    ['privilege-escalation.iam-inline-policy', [ev({ eventSource: iam, eventName: 'PutRolePolicy', requestParameters: { roleName: 'r', policyName: 'p', policyDocument: adminDoc } })], [ev({ eventSource: iam, eventName: 'PutRolePolicy', requestParameters: { roleName: 'r', policyName: 'deny', policyDocument: JSON.stringify({ Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }) } })]],
    ['defense-evasion.cloudtrail-trail-updated', [ev({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'UpdateTrail', requestParameters: { name: 't', isMultiRegionTrail: false } })], [ev({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'GetTrail' })]],
    ['defense-evasion.guardduty-impaired', [ev({ eventSource: 'guardduty.amazonaws.com', eventName: 'UpdateDetector', requestParameters: { detectorId: 'd', enable: false } })], [ev({ eventSource: 'guardduty.amazonaws.com', eventName: 'UpdateDetector', requestParameters: { detectorId: 'd', enable: true } })]],
    ['defense-evasion.securityhub-disabled', [ev({ eventSource: 'securityhub.amazonaws.com', eventName: 'DisableSecurityHub' })], [ev({ eventSource: 'securityhub.amazonaws.com', eventName: 'EnableSecurityHub' })]],
    ['defense-evasion.access-analyzer-deleted', [ev({ eventSource: 'access-analyzer.amazonaws.com', eventName: 'DeleteAnalyzer', requestParameters: { analyzerName: 'a' } })], [ev({ eventSource: 'access-analyzer.amazonaws.com', eventName: 'CreateAnalyzer' })]],
    ['exfiltration.s3-acl-public', [ev({ eventSource: 's3.amazonaws.com', eventName: 'PutBucketAcl', requestParameters: { bucketName: 'b', 'x-amz-acl': ['public-read'] } })], [ev({ eventSource: 's3.amazonaws.com', eventName: 'PutBucketAcl', requestParameters: { bucketName: 'b', 'x-amz-acl': ['private'] } })]],
    ['impact.bedrock-model-invocation', [ev({ eventSource: 'bedrock.amazonaws.com', eventName: 'InvokeModel', requestParameters: { modelId: 'm' } })], [ev({ eventSource: 'bedrock.amazonaws.com', eventName: 'ListFoundationModels' })]],
    ['collection.s3-read-volume', Array.from({ length: 1000 }, (_, i) => get(i)), Array.from({ length: 10 }, (_, i) => get(i))],
    ['initial-access.console-login-after-failures', [login(0, false), login(1, false), login(2, false), login(3, true)], [login(3, true)]],
    ['persistence.cross-account-assume-role', [assume(OTHER)], [assume(OWN)]],
    ['privilege-escalation.passrole-to-compute', [ev({ eventSource: iam, eventName: 'CreateRole', requestParameters: { roleName: 'r7' } }), createFn('r7')], [createFn('r7')]],
    ['credential-access.session-multiple-origins', [instanceCall('10.0.1.15'), instanceCall('203.0.113.99')], [instanceCall('10.0.1.15'), instanceCall('10.0.1.15')]],
    // Address indicators (README.md, "Addresses and profiles"): one firing and one quiet trail of public addresses, answered by the installed databases.
    ...IDENTITY_CHECK_IDS.map((id): [string, AnalysisEvent[], AnalysisEvent[]] => [id, identityEvents(firingRecords()), identityEvents(quietRecords())]),
  ];
  const covered = new Set<string>();
  for (const [id, pos, neg] of cases) {
    assert.ok(getCheck(id), id);
    assert.equal(fire(id, pos).length, 1, `${id} positive`);
    // The benign twin is judged alone (with the positive events absent).
    assert.equal(fire(id, neg).length, 0, `${id} benign`);
    covered.add(id);
  }
  // The real corpora: each Stratus log and each Panther test event analysed alone.
  const fixtures = new URL('../fixtures/', import.meta.url);
  const toEvents = (records: Record<string, any>[]) => records.map((r, i) => { const n = normalizeRecord(r)!; return { leaf: i, eventId: n.eventId ?? `r${i}`, timeMs: n.timeMs, record: r, n }; });
  for (const f of readdirSync(new URL('stratus-red-team/detonation-logs/', fixtures))) {
    for (const x of runChecks(toEvents(JSON.parse(readFileSync(new URL(`stratus-red-team/detonation-logs/${f}`, fixtures), 'utf8'))))) covered.add(x.checkId);
  }
  for (const c of JSON.parse(readFileSync(new URL('panther-analysis/panther_cloudtrail_rule_tests.json', fixtures), 'utf8')) as { log: Record<string, any> }[]) {
    for (const x of runChecks(toEvents([c.log]))) covered.add(x.checkId);
  }
  const missing = allChecks().map((c) => c.id).filter((id) => !covered.has(id));
  assert.deepEqual(missing, [], `checks without a positive example: ${missing.join(', ')}`);
});
