// Pivot scenarios shared by test/analysis/pivot.test.ts: the real fixtures
// (Panther's stolen root credentials, OTRF's S3 theft through an EC2 proxy),
// a synthetic chain that walks every pivot rule, and the list of pivots whose
// complete results are kept in test/fixtures/pivot-snapshot/results.json (as
// pivot 1.0.0 returned them, before attacker events were held compactly and
// listed up to an eventLimit).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PivotResult, PivotSeed } from '../../shared/analysis/types.ts';
import type { PivotOptions } from '../../electron/analysis/pivot/index.ts';
import { caseWith, tempDir, type AnalysisTestCase } from './support.ts';

export const PANTHER = 'test/fixtures/panther-analysis/test_scenarios/compromised-root-creds/combined_cloudtrail.unique-ids.Records.json';
export const OTRF = 'test/fixtures/otrf-security-datasets/ec2_proxy_s3_exfiltration.normalized.Records.json';

// ------------------------------------------------------------- synthetic chain

export const ACCT = '111122223333';
export const OUTSIDE = '999988887777';
let n = 0;
function ev(id: string, minute: number, name: string, source: string, ip: string, ui: Record<string, unknown>, req: unknown = null, resp: unknown = null, extra: Record<string, unknown> = {}) {
  n++;
  return {
    eventVersion: '1.08',
    eventTime: new Date(Date.UTC(2024, 4, 1, 10, 0) + minute * 60_000).toISOString().replace('.000Z', 'Z'),
    eventSource: source,
    eventName: name,
    awsRegion: 'eu-west-1',
    sourceIPAddress: ip,
    userAgent: 'synthetic/1.0',
    eventID: id,
    requestID: `req-${n}`,
    userIdentity: ui,
    requestParameters: req,
    responseElements: resp,
    recipientAccountId: ACCT,
    eventType: 'AwsApiCall',
    ...extra,
  };
}
const iamUser = (name: string, key?: string) => ({ type: 'IAMUser', principalId: `AIDA${name.toUpperCase().padEnd(16, 'X')}`, arn: `arn:aws:iam::${ACCT}:user/${name}`, accountId: ACCT, userName: name, ...(key ? { accessKeyId: key } : {}) });
const session = (role: string, sess: string, key: string, acct = ACCT, sourceIdentity?: string) => ({
  type: 'AssumedRole',
  principalId: `AROA${role.toUpperCase().replace(/-/g, '').padEnd(16, 'X')}:${sess}`,
  arn: `arn:aws:sts::${acct}:assumed-role/${role}/${sess}`,
  accountId: acct,
  accessKeyId: key,
  sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${acct}:role/${role}`, accountId: acct, userName: role }, ...(sourceIdentity ? { sourceIdentity } : {}) },
});
const creds = (key: string, arn: string) => ({ credentials: { accessKeyId: key, sessionToken: 'x', expiration: 'Jan 1, 2030 1:00:00 AM' }, assumedRoleUser: { arn, assumedRoleId: 'AROAX:s' } });

export const ATK_IP = '203.0.113.10';
export const ATK_IP2 = '198.51.100.20';
export const OFFICE = '198.51.100.77';
export const SEED = 'AKIADEVSEEDKEY000001';

export function chain() {
  n = 0;
  return [
    // Before the theft: dev uses the key from the office, as do alice and bob (a shared IP).
    ev('seedkey-office', 0, 'ListBuckets', 's3.amazonaws.com', OFFICE, iamUser('dev', SEED)),
    ev('benign-alice-login-before', 1, 'ConsoleLogin', 'signin.amazonaws.com', OFFICE, iamUser('alice'), null, { ConsoleLogin: 'Success' }),
    ev('benign-bob-office', 2, 'DescribeInstances', 'ec2.amazonaws.com', OFFICE, iamUser('bob', 'AKIABOBKEY0000000001')),
    ev('benign-dev-console-office', 3, 'DescribeInstances', 'ec2.amazonaws.com', OFFICE, iamUser('dev')),
    // The attacker with dev's stolen key.
    ev('atk-whoami', 10, 'GetCallerIdentity', 'sts.amazonaws.com', ATK_IP, iamUser('dev', SEED)),
    ev('atk-create-user', 11, 'CreateUser', 'iam.amazonaws.com', ATK_IP, iamUser('dev', SEED), { userName: 'backdoor' }, { user: { userName: 'backdoor', arn: `arn:aws:iam::${ACCT}:user/backdoor`, userId: 'AIDABACKDOOR' } }),
    ev('atk-create-key', 12, 'CreateAccessKey', 'iam.amazonaws.com', ATK_IP, iamUser('dev', SEED), { userName: 'backdoor' }, { accessKey: { accessKeyId: 'AKIABACKDOOR00000001', userName: 'backdoor', status: 'Active' } }),
    ev('atk-reset-alice', 13, 'UpdateLoginProfile', 'iam.amazonaws.com', ATK_IP, iamUser('dev', SEED), { userName: 'alice', passwordResetRequired: false }),
    ev('atk-create-role', 14, 'CreateRole', 'iam.amazonaws.com', ATK_IP, iamUser('dev', SEED), { roleName: 'exfil-role', assumeRolePolicyDocument: '{}' }, { role: { roleName: 'exfil-role', arn: `arn:aws:iam::${ACCT}:role/exfil-role` } }),
    ev('atk-open-trust', 15, 'UpdateAssumeRolePolicy', 'iam.amazonaws.com', ATK_IP, iamUser('dev', SEED), { roleName: 'ops-role', policyDocument: '{}' }),
    // dev's console password is also the attacker's: a console session from the attacker's IP (no key in the record).
    ev('atk-dev-console', 16, 'ConsoleLogin', 'signin.amazonaws.com', ATK_IP, iamUser('dev'), null, { ConsoleLogin: 'Success' }),
    // The backdoor user's key, from a second attacker address.
    ev('atk-backdoor-list', 20, 'ListBuckets', 's3.amazonaws.com', ATK_IP2, iamUser('backdoor', 'AKIABACKDOOR00000001')),
    ev('atk-assume-exfil', 21, 'AssumeRole', 'sts.amazonaws.com', ATK_IP2, iamUser('backdoor', 'AKIABACKDOOR00000001'),
      { roleArn: `arn:aws:iam::${ACCT}:role/exfil-role`, roleSessionName: 's1', sourceIdentity: 'evil' },
      creds('ASIAEXFIL00000000001', `arn:aws:sts::${ACCT}:assumed-role/exfil-role/s1`)),
    ev('atk-exfil-get', 22, 'GetObject', 's3.amazonaws.com', ATK_IP2, session('exfil-role', 's1', 'ASIAEXFIL00000000001', ACCT, 'evil'), { bucketName: 'secret-bucket', key: 'a' }, null, { eventCategory: 'Data' }),
    // Role chaining: the sourceIdentity travels; the chained session's key is issued in the response.
    ev('atk-chain', 23, 'AssumeRole', 'sts.amazonaws.com', ATK_IP2, session('exfil-role', 's1', 'ASIAEXFIL00000000001', ACCT, 'evil'),
      { roleArn: `arn:aws:iam::${ACCT}:role/data-role`, roleSessionName: 's2', sourceIdentity: 'evil' },
      creds('ASIACHAIN00000000001', `arn:aws:sts::${ACCT}:assumed-role/data-role/s2`)),
    ev('atk-chained-use', 24, 'ListObjects', 's3.amazonaws.com', ATK_IP2, session('data-role', 's2', 'ASIACHAIN00000000001', ACCT, 'evil'), { bucketName: 'secret-bucket' }, null, { eventCategory: 'Data' }),
    // data-role is a legitimate role: its other sessions are not the attacker's.
    ev('benign-data-role', 25, 'ListObjects', 's3.amazonaws.com', '10.0.0.5', session('data-role', 'etl', 'ASIAETL0000000000001'), { bucketName: 'secret-bucket' }, null, { eventCategory: 'Data' }),
    // alice: the attacker logs in with the reset password; alice herself keeps working from the office.
    ev('atk-alice-login', 30, 'ConsoleLogin', 'signin.amazonaws.com', '203.0.113.99', iamUser('alice'), null, { ConsoleLogin: 'Success' }),
    ev('benign-alice-office', 31, 'DescribeInstances', 'ec2.amazonaws.com', OFFICE, iamUser('alice', 'ASIAALICECONSOLE0001')),
    // ops-role: assumed from an outside account after the trust change (attacker), and by an in-account service role (not).
    ev('atk-outside-assume', 40, 'AssumeRole', 'sts.amazonaws.com', '192.0.2.200',
      { type: 'AWSAccount', principalId: `AIDAOUTSIDE:${OUTSIDE}`, accountId: OUTSIDE, arn: `arn:aws:iam::${OUTSIDE}:user/mallory` },
      { roleArn: `arn:aws:iam::${ACCT}:role/ops-role`, roleSessionName: 'x' }, creds('ASIAOPS0000000000001', `arn:aws:sts::${ACCT}:assumed-role/ops-role/x`)),
    ev('atk-ops-use', 41, 'ListUsers', 'iam.amazonaws.com', '192.0.2.200', session('ops-role', 'x', 'ASIAOPS0000000000001')),
    ev('benign-ops-assume', 42, 'AssumeRole', 'sts.amazonaws.com', '10.0.0.9', session('ci-role', 'build', 'ASIACI00000000000001'),
      { roleArn: `arn:aws:iam::${ACCT}:role/ops-role`, roleSessionName: 'deploy' }, creds('ASIAOPSCI00000000001', `arn:aws:sts::${ACCT}:assumed-role/ops-role/deploy`)),
    ev('benign-ops-ci-use', 43, 'ListUsers', 'iam.amazonaws.com', '10.0.0.9', session('ops-role', 'deploy', 'ASIAOPSCI00000000001')),
  ];
}

/** Which case a snapshot pivot runs on: a fixture file, or the synthetic chain (written to a temporary file). */
export type ScenarioCase = 'panther' | 'otrf' | 'chain';

export const SNAPSHOT_PIVOTS: { label: string; on: ScenarioCase; seed: PivotSeed; opts?: PivotOptions }[] = [
  { label: 'panther ip', on: 'panther', seed: { ip: '92.55.146.245' } },
  { label: 'panther ip, 5 events at most', on: 'panther', seed: { ip: '92.55.146.245' }, opts: { maxEvents: 5 } },
  { label: 'panther created key', on: 'panther', seed: { key: 'AKIASWJJJ66ZZZII4IYY' } },
  { label: 'panther created key, followCreators', on: 'panther', seed: { key: 'AKIASWJJJ66ZZZII4IYY' }, opts: { followCreators: true } },
  { label: 'panther user, followCreators', on: 'panther', seed: { principal: 'tracy_stone' }, opts: { followCreators: true } },
  { label: 'panther user', on: 'panther', seed: { principal: 'tracy_stone' } },
  { label: 'otrf instance key', on: 'otrf', seed: { key: 'ASIA5FLZVX4OPVKKVBMX' } },
  { label: 'otrf instance key, followCreators', on: 'otrf', seed: { key: 'ASIA5FLZVX4OPVKKVBMX' }, opts: { followCreators: true } },
  { label: 'otrf shared ip', on: 'otrf', seed: { ip: '1.2.3.4' } },
  { label: 'chain seed key', on: 'chain', seed: { key: SEED } },
  { label: 'chain seed key from the theft', on: 'chain', seed: { key: SEED }, opts: { since: '2024-05-01T10:05:00Z' } },
  { label: 'chain seed key, until', on: 'chain', seed: { key: SEED }, opts: { until: '2024-05-01T10:21:00Z' } },
  { label: 'chain seed key, 3 events at most', on: 'chain', seed: { key: SEED }, opts: { maxEvents: 3 } },
  { label: 'chain seed key, followCreators', on: 'chain', seed: { key: SEED }, opts: { followCreators: true } },
  { label: 'chain attacker ip', on: 'chain', seed: { ip: ATK_IP } },
  { label: 'chain office ip', on: 'chain', seed: { ip: OFFICE } },
  { label: 'chain user dev', on: 'chain', seed: { principal: 'dev' } },
  { label: 'chain backdoor user', on: 'chain', seed: { principal: `arn:aws:iam::${ACCT}:user/backdoor` } },
  { label: 'chain exfil role', on: 'chain', seed: { principal: `arn:aws:iam::${ACCT}:role/exfil-role` } },
];

export async function scenarioCase(on: ScenarioCase): Promise<AnalysisTestCase> {
  if (on === 'panther') return caseWith([PANTHER]);
  if (on === 'otrf') return caseWith([OTRF]);
  const file = join(tempDir(), 'chain.json');
  writeFileSync(file, JSON.stringify({ Records: chain() }));
  return caseWith([file]);
}

/** What the snapshot keeps of a result: every event (eventID, hop, reason) in the result's order, and the rest but the timing. */
export interface PivotSnapshot {
  events: [string, number, string][];
  indicators: Omit<PivotResult['indicators'][number], 'events'>[];
  context: PivotResult['context'];
  hops: number;
  truncated: boolean;
}

export function snapshotOf(r: Pick<PivotResult, 'events' | 'indicators' | 'context' | 'hops' | 'truncated'>): PivotSnapshot {
  return {
    events: r.events.map((e) => [e.eventId, e.hop, e.reason]),
    indicators: r.indicators.map(({ events: _events, ...i }) => i),
    context: r.context,
    hops: r.hops,
    truncated: r.truncated,
  };
}
