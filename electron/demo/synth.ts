// A synthetic CloudTrail trail in CloudTrail's S3 layout, for the bundled demo
// and the benchmarks: ordinary activity of a small company (engineers on the
// CLI and console, CI, applications assuming roles, AWS services) with, when
// asked, a realistic compromise inside it: a leaked CI access key used from an
// unknown address for discovery, privilege escalation, a backdoor user and
// role, defence evasion and data exfiltration. Deterministic for a given seed.
// Every value here is made up; account ids and addresses are documentation ranges.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface SynthOptions {
  outDir: string;
  totalEvents: number;
  start?: string; // ISO, default 2026-03-02T00:00:00Z
  days?: number; // default 7
  accounts?: string[];
  regions?: string[];
  eventsPerFile?: number; // about 1,000 as CloudTrail delivers
  seed?: number;
  compromise?: boolean;
}

export interface SynthResult {
  files: number;
  events: number;
  bytes: number;
  attacker: typeof ATTACKER;
}

export const ATTACKER = {
  ip: '198.51.100.23',
  ip2: '198.51.100.77',
  userAgent: 'python-requests/2.31.0 exploit-kit/0.3',
  leakedKey: 'AKIAQX3LEAKEDCI00001',
  leakedUser: 'ci-deploy',
  backdoorUser: 'svc-backup',
  backdoorKey: 'AKIAQX3BACKDOOR00002',
  backdoorRole: 'OrganizationAccountAccessRole-2',
  externalAccount: '999988887777',
  sessionKey: 'ASIAQX3EXTSESSION003',
  bucket: 'acme-customer-data',
};

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeUuid(r: () => number): string {
  const h = () => Math.floor(r() * 0x10000).toString(16).padStart(4, '0');
  return `${h()}${h()}-${h()}-4${h().slice(1)}-${(8 + Math.floor(r() * 4)).toString(16)}${h().slice(1)}-${h()}${h()}${h()}`;
}

interface Actor {
  kind: 'user' | 'role' | 'service' | 'root';
  name: string;
  key: string;
  ips: string[];
  uas: string[];
  weight: number;
  apis: [string, string, number][]; // [eventSource, eventName, weight]
}

const READ_APIS: [string, string, number][] = [
  ['ec2.amazonaws.com', 'DescribeInstances', 20],
  ['ec2.amazonaws.com', 'DescribeSecurityGroups', 6],
  ['ec2.amazonaws.com', 'DescribeVolumes', 4],
  ['s3.amazonaws.com', 'ListBuckets', 5],
  ['s3.amazonaws.com', 'GetBucketLocation', 4],
  ['s3.amazonaws.com', 'GetObject', 18],
  ['s3.amazonaws.com', 'PutObject', 8],
  ['sts.amazonaws.com', 'GetCallerIdentity', 6],
  ['iam.amazonaws.com', 'GetUser', 2],
  ['iam.amazonaws.com', 'ListRoles', 1],
  ['lambda.amazonaws.com', 'ListFunctions20150331', 3],
  ['logs.amazonaws.com', 'DescribeLogGroups', 4],
  ['cloudwatch.amazonaws.com', 'GetMetricData', 6],
  ['kms.amazonaws.com', 'Decrypt', 8],
  ['dynamodb.amazonaws.com', 'DescribeTable', 3],
  ['ssm.amazonaws.com', 'GetParameter', 3],
  ['secretsmanager.amazonaws.com', 'GetSecretValue', 1],
  ['sts.amazonaws.com', 'AssumeRole', 6],
];

const CORP_IPS = ['203.0.113.10', '203.0.113.11', '203.0.113.12'];

function actors(r: () => number): Actor[] {
  const key = (prefix: string, i: number) => `${prefix}QX3${String(i).padStart(2, '0')}${Math.floor(r() * 36 ** 8).toString(36).toUpperCase().padStart(8, '0')}EX`.slice(0, 20);
  return [
    { kind: 'user', name: 'alice', key: key('AKIA', 1), ips: CORP_IPS, uas: ['aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off command/ec2.describe-instances'], weight: 10, apis: READ_APIS },
    { kind: 'user', name: 'bob', key: key('AKIA', 2), ips: CORP_IPS, uas: ['aws-cli/2.13.5 Python/3.11.4 Linux/6.5.0 exe/x86_64.ubuntu.22'], weight: 8, apis: READ_APIS },
    { kind: 'user', name: 'carol', key: key('ASIA', 3), ips: ['203.0.113.40'], uas: ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'], weight: 5, apis: READ_APIS },
    { kind: 'user', name: ATTACKER.leakedUser, key: ATTACKER.leakedKey, ips: ['192.0.2.50'], uas: ['Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.40.0'], weight: 12, apis: READ_APIS },
    { kind: 'role', name: 'app-backend', key: key('ASIA', 5), ips: ['10.20.1.15', '10.20.2.31'], uas: ['aws-sdk-java/2.25.12 Linux/5.10.210 OpenJDK_64-Bit_Server_VM/17.0.10'], weight: 30, apis: READ_APIS },
    { kind: 'role', name: 'data-pipeline', key: key('ASIA', 6), ips: ['10.20.3.8'], uas: ['Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.210 lang/python#3.12.2'], weight: 20, apis: READ_APIS },
    { kind: 'service', name: 'cloudformation.amazonaws.com', key: '', ips: ['cloudformation.amazonaws.com'], uas: ['cloudformation.amazonaws.com'], weight: 3, apis: READ_APIS.slice(0, 4) },
  ];
}

function pick<T>(r: () => number, arr: T[]): T {
  return arr[Math.floor(r() * arr.length)];
}

function pickWeighted<T extends { weight: number }>(r: () => number, arr: T[], total: number): T {
  let x = r() * total;
  for (const a of arr) {
    x -= a.weight;
    if (x <= 0) return a;
  }
  return arr[arr.length - 1];
}

function identity(a: Actor, account: string, t = 0): Record<string, unknown> {
  if (a.kind === 'service') return { type: 'AWSService', invokedBy: a.name };
  if (a.kind === 'role') {
    // Role sessions (and their ASIA keys) last an hour, as instance and task credentials do.
    const hour = Math.floor(t / 3_600_000);
    const sess = a.key.startsWith('ASIA') && a.weight > 0 ? `${a.name}-${(hour % 100000).toString(36)}` : `${a.name}-session`;
    const key = a.weight > 0 ? `ASIA${a.key.slice(4, 10)}${(hour * 2654435761 % 2 ** 32).toString(36).toUpperCase().padStart(10, '0')}`.slice(0, 20) : a.key;
    return {
      type: 'AssumedRole',
      principalId: `AROAQX3ROLE${a.name.length}EXAMPLE:${sess}`,
      arn: `arn:aws:sts::${account}:assumed-role/${a.name}/${sess}`,
      accountId: account,
      accessKeyId: key,
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: `AROAQX3ROLE${a.name.length}EXAMPLE`, arn: `arn:aws:iam::${account}:role/${a.name}`, accountId: account, userName: a.name },
        attributes: { creationDate: new Date(hour * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'), mfaAuthenticated: 'false' },
      },
    };
  }
  return {
    type: 'IAMUser',
    principalId: `AIDAQX3${a.name.toUpperCase().padEnd(13, 'X').slice(0, 13)}`,
    arn: `arn:aws:iam::${account}:user/${a.name}`,
    accountId: account,
    accessKeyId: a.key,
    userName: a.name,
  };
}

const hex = (r: () => number, n: number) => {
  let o = '';
  for (let i = 0; i < n; i++) o += Math.floor(r() * 16).toString(16);
  return o;
};
const b64 = (r: () => number, n: number) => {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let o = '';
  for (let i = 0; i < n; i++) o += A[Math.floor(r() * 64)];
  return o;
};

// Real trails carry a lot of per-event detail (resource ids, filters, returned
// credentials); without it the synthetic files would compress far better than
// real CloudTrail (measured here: real samples 118-207 gzip bytes per event).
function requestParams(r: () => number, name: string, region: string): [unknown, unknown, Record<string, unknown> | undefined] {
  switch (name) {
    case 'DescribeInstances':
      return [
        r() < 0.5
          ? { instancesSet: { items: Array.from({ length: 1 + Math.floor(r() * 3) }, () => ({ instanceId: `i-0${hex(r, 16)}` })) }, filterSet: {} }
          : { instancesSet: {}, filterSet: { items: [{ name: 'tag:Environment', valueSet: { items: [{ value: pick(r, ['prod', 'staging', 'dev']) }] } }] } },
        null,
        undefined,
      ];
    case 'DescribeVolumes':
      return [{ volumeSet: { items: [{ volumeId: `vol-0${hex(r, 16)}` }] }, filterSet: {} }, null, undefined];
    case 'DescribeSecurityGroups':
      return [{ securityGroupIdSet: { items: [{ groupId: `sg-0${hex(r, 16)}` }] }, securityGroupSet: {}, filterSet: {} }, null, undefined];
    case 'GetMetricData':
      return [{ startTime: new Date(Date.UTC(2026, 2, 1, Math.floor(r() * 24))).toISOString(), endTime: new Date(Date.UTC(2026, 2, 2)).toISOString(), metricDataQueries: [{ id: `m${hex(r, 6)}`, metricStat: { metric: { namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensions: [{ name: 'InstanceId', value: `i-0${hex(r, 16)}` }] }, period: 300, stat: 'Average' } }] }, null, undefined];
    case 'DescribeTable':
      return [{ tableName: pick(r, ['orders', 'sessions', 'customers', 'audit']) + '-' + pick(r, ['prod', 'staging']) }, null, undefined];
    case 'DescribeLogGroups':
      return [{ logGroupNamePrefix: `/aws/lambda/${pick(r, ['api', 'worker', 'etl'])}-${hex(r, 6)}` }, null, undefined];
    case 'AssumeRole': {
      const session = `${pick(r, ['botocore-session', 'aws-go-sdk', 'ecs-task'])}-${Math.floor(r() * 1e10)}`;
      return [
        { roleArn: `arn:aws:iam::111122223333:role/${pick(r, ['app-backend', 'data-pipeline', 'ecs-task-role'])}`, roleSessionName: session, durationSeconds: 3600 },
        {
          credentials: { accessKeyId: `ASIA${b64(r, 16).toUpperCase().replace(/[^A-Z0-9]/g, 'Q')}`, sessionToken: b64(r, 420), expiration: 'Mar 5, 2026, 1:00:00 AM' },
          assumedRoleUser: { assumedRoleId: `AROA${hex(r, 16).toUpperCase()}:${session}`, arn: `arn:aws:sts::111122223333:assumed-role/app-backend/${session}` },
        },
        undefined,
      ];
    }
    case 'GetObject':
    case 'PutObject': {
      const bucket = pick(r, ['acme-app-assets', 'acme-logs-archive', 'acme-build-artifacts']);
      const key = `${pick(r, ['data', 'builds', 'exports'])}/${Math.floor(r() * 1e6)}.json`;
      return [
        { bucketName: bucket, Host: `${bucket}.s3.${region}.amazonaws.com`, key },
        null,
        { bytesTransferredIn: name === 'PutObject' ? Math.floor(r() * 50000) : 0, bytesTransferredOut: name === 'GetObject' ? Math.floor(r() * 200000) : 0 },
      ];
    }
    case 'Decrypt':
      return [{ encryptionAlgorithm: 'SYMMETRIC_DEFAULT' }, null, undefined];
    case 'GetParameter':
      return [{ name: `/app/${pick(r, ['db-host', 'feature-flags', 'api-url'])}`, withDecryption: false }, null, undefined];
    case 'GetSecretValue':
      return [{ secretId: 'app/db-password' }, null, undefined];
    default:
      return [null, null, undefined];
  }
}

function baseEvent(
  r: () => number,
  t: number,
  a: Actor,
  account: string,
  region: string,
  source: string,
  name: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const [rp, re, aed0] = requestParams(r, name, region);
  const aed = aed0 ?? (r() < 0.3 ? { SignatureVersion: 'SigV4', CipherSuite: 'ECDHE-RSA-AES128-GCM-SHA256', AuthenticationMethod: 'AuthHeader', 'x-amz-id-2': b64(r, 76) } : undefined);
  const readOnly = /^(Describe|List|Get)/.test(name) && name !== 'GetObject' ? true : name === 'GetObject';
  const ev: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: identity(a, account, t),
    eventTime: new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: source,
    eventName: name,
    awsRegion: region,
    sourceIPAddress: pick(r, a.ips),
    userAgent: pick(r, a.uas),
    requestParameters: rp,
    responseElements: re,
    ...(aed ? { additionalEventData: aed } : {}),
    requestID: makeUuid(r),
    eventID: makeUuid(r),
    readOnly,
    eventType: 'AwsApiCall',
    managementEvent: !source.startsWith('s3.') || !/Object$/.test(name),
    recipientAccountId: account,
    eventCategory: source.startsWith('s3.') && /Object$/.test(name) ? 'Data' : 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `${source.split('.')[0]}.${region}.amazonaws.com` },
  };
  return { ...ev, ...extra };
}

/** The attacker's story, as CloudTrail would have recorded it. */
function compromiseEvents(r: () => number, t0: number, account: string, region: string): Record<string, unknown>[] {
  const A = ATTACKER;
  const leaked: Actor = { kind: 'user', name: A.leakedUser, key: A.leakedKey, ips: [A.ip], uas: [A.userAgent], weight: 0, apis: [] };
  const backdoor: Actor = { kind: 'user', name: A.backdoorUser, key: A.backdoorKey, ips: [A.ip2], uas: [A.userAgent], weight: 0, apis: [] };
  const out: Record<string, unknown>[] = [];
  let t = t0;
  const step = (a: Actor, source: string, name: string, extra: Record<string, unknown> = {}, gap = 20_000) => {
    t += gap + Math.floor(r() * 10_000);
    out.push(baseEvent(r, t, a, account, region, source, name, extra));
  };
  // Discovery with the leaked key
  step(leaked, 'sts.amazonaws.com', 'GetCallerIdentity');
  for (const n of ['ListUsers', 'ListRoles', 'ListPolicies', 'ListAttachedUserPolicies']) step(leaked, 'iam.amazonaws.com', n, { readOnly: true });
  step(leaked, 's3.amazonaws.com', 'ListBuckets', { readOnly: true });
  for (let i = 0; i < 12; i++) {
    step(leaked, pick(r, ['secretsmanager.amazonaws.com', 'organizations.amazonaws.com', 'guardduty.amazonaws.com']), pick(r, ['ListSecrets', 'DescribeOrganization', 'ListDetectors']), {
      errorCode: 'AccessDenied',
      errorMessage: `User: arn:aws:iam::${account}:user/${A.leakedUser} is not authorized to perform this action`,
      readOnly: true,
    }, 2_000);
  }
  // Privilege escalation and persistence
  step(leaked, 'iam.amazonaws.com', 'CreateUser', {
    requestParameters: { userName: A.backdoorUser },
    responseElements: { user: { userName: A.backdoorUser, arn: `arn:aws:iam::${account}:user/${A.backdoorUser}`, userId: 'AIDAQX3SVCBACKUP0001', createDate: 'Mar 4, 2026 2:10:00 AM', path: '/' } },
  });
  step(leaked, 'iam.amazonaws.com', 'AttachUserPolicy', { requestParameters: { userName: A.backdoorUser, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } });
  step(leaked, 'iam.amazonaws.com', 'CreateAccessKey', {
    requestParameters: { userName: A.backdoorUser },
    responseElements: { accessKey: { accessKeyId: A.backdoorKey, status: 'Active', userName: A.backdoorUser, createDate: 'Mar 4, 2026 2:11:00 AM' } },
  });
  step(leaked, 'iam.amazonaws.com', 'CreateLoginProfile', { requestParameters: { userName: A.backdoorUser, passwordResetRequired: false }, responseElements: { loginProfile: { userName: A.backdoorUser, passwordResetRequired: false } } });
  // The backdoor user takes over
  step(backdoor, 'iam.amazonaws.com', 'CreateRole', {
    requestParameters: {
      roleName: A.backdoorRole,
      assumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A.externalAccount}:root` }, Action: 'sts:AssumeRole' }] }),
    },
    responseElements: { role: { roleName: A.backdoorRole, arn: `arn:aws:iam::${account}:role/${A.backdoorRole}`, roleId: 'AROAQX3BACKDOORROLE1' } },
  }, 600_000);
  step(backdoor, 'iam.amazonaws.com', 'AttachRolePolicy', { requestParameters: { roleName: A.backdoorRole, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } });
  step(backdoor, 'cloudtrail.amazonaws.com', 'StopLogging', { requestParameters: { name: `arn:aws:cloudtrail:${region}:${account}:trail/management-events` } });
  step(backdoor, 'guardduty.amazonaws.com', 'DeleteDetector', { requestParameters: { detectorId: '12abc34d567e8fa901bc2d34eexample' } });
  // Cross-account use of the backdoor role
  const ext: Actor = { kind: 'role', name: A.backdoorRole, key: A.sessionKey, ips: [A.ip2], uas: [A.userAgent], weight: 0, apis: [] };
  t += 1_800_000;
  out.push(
    baseEvent(r, t, { ...ext, kind: 'service' }, account, region, 'sts.amazonaws.com', 'AssumeRole', {
      userIdentity: { type: 'AWSAccount', principalId: `AIDAEXTERNAL:attacker`, accountId: A.externalAccount },
      sourceIPAddress: A.ip2,
      userAgent: A.userAgent,
      requestParameters: { roleArn: `arn:aws:iam::${account}:role/${A.backdoorRole}`, roleSessionName: 'maint' },
      responseElements: {
        credentials: { accessKeyId: A.sessionKey, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE', expiration: 'Mar 4, 2026 4:00:00 AM' },
        assumedRoleUser: { assumedRoleId: 'AROAQX3BACKDOORROLE1:maint', arn: `arn:aws:sts::${account}:assumed-role/${A.backdoorRole}/maint` },
      },
      readOnly: true,
    }),
  );
  // Exfiltration through the role session
  step(ext, 's3.amazonaws.com', 'PutBucketPolicy', {
    requestParameters: { bucketName: A.bucket, bucketPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${A.bucket}/*` }] } },
  });
  for (let i = 0; i < 80; i++) {
    step(ext, 's3.amazonaws.com', 'GetObject', {
      requestParameters: { bucketName: A.bucket, key: `customers/export-${String(i).padStart(4, '0')}.csv.gz`, Host: `${A.bucket}.s3.${region}.amazonaws.com` },
      additionalEventData: { bytesTransferredIn: 0, bytesTransferredOut: 20_000_000 + Math.floor(r() * 5_000_000) },
      readOnly: true,
      eventCategory: 'Data',
      managementEvent: false,
    }, 3_000);
  }
  step(ext, 'ec2.amazonaws.com', 'ModifySnapshotAttribute', {
    requestParameters: { snapshotId: 'snap-0a1b2c3d4e5f60718', attributeType: 'CREATE_VOLUME_PERMISSION', createVolumePermission: { add: { items: [{ userId: A.externalAccount }] } } },
  });
  return out;
}

function s3Key(account: string, region: string, t: number, r: () => number): string {
  const d = new Date(t);
  const y = d.getUTCFullYear();
  const mo = String(d.getUTCMonth() + 1).padStart(2, '0');
  const da = String(d.getUTCDate()).padStart(2, '0');
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  const rand = Math.floor(r() * 36 ** 8).toString(36).toUpperCase().padStart(8, '0');
  return `AWSLogs/${account}/CloudTrail/${region}/${y}/${mo}/${da}/${account}_CloudTrail_${region}_${y}${mo}${da}T${hh}${mm}Z_${rand}.json.gz`;
}

/** Write the trail under opts.outDir in the S3 layout (as `aws s3 sync` leaves it). */
export function generateTrail(opts: SynthOptions): SynthResult {
  const r = rng(opts.seed ?? 20260302);
  const start = Date.parse(opts.start ?? '2026-03-02T00:00:00Z');
  const days = opts.days ?? 7;
  const span = days * 86_400_000;
  const accounts = opts.accounts ?? ['111122223333'];
  const regions = opts.regions ?? ['us-east-1', 'eu-west-1'];
  const perFile = opts.eventsPerFile ?? 1000;
  const cast = actors(r);
  const totalWeight = cast.reduce((a, x) => a + x.weight, 0);
  const apiTables = new Map(cast.map((a) => [a, { table: a.apis.map(([s, e, w]) => ({ s, e, weight: w })), total: a.apis.reduce((x, y) => x + y[2], 0) }]));
  const nFiles = Math.max(1, Math.ceil(opts.totalEvents / perFile));
  let written = 0;
  let bytes = 0;
  // The compromise lands in the middle of the window, in the first account and region.
  const attackAt = start + Math.floor(span * 0.55);
  let attack = opts.compromise ? compromiseEvents(r, attackAt, accounts[0], regions[0]) : [];
  for (let f = 0; f < nFiles; f++) {
    const n = Math.min(perFile, opts.totalEvents - written);
    const account = accounts[f % accounts.length];
    const region = regions[Math.floor(f / accounts.length) % regions.length];
    const fileStart = start + Math.floor((f / nFiles) * span);
    const fileEnd = start + Math.floor(((f + 1) / nFiles) * span);
    const recs: Record<string, unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const a = pickWeighted(r, cast, totalWeight);
      const api = apiTables.get(a)!;
      const { s: src, e: name } = pickWeighted(r, api.table, api.total);
      const t = fileStart + Math.floor(r() * Math.max(1, fileEnd - fileStart));
      recs.push(baseEvent(r, t, a, account, region, src, name));
    }
    if (attack.length && account === accounts[0] && region === regions[0] && fileEnd > attackAt) {
      recs.push(...attack);
      attack = [];
    }
    recs.sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
    const key = s3Key(account, region, fileEnd, r);
    const body = gzipSync(JSON.stringify({ Records: recs }), { level: 6 });
    const path = join(opts.outDir, ...key.split('/'));
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, body);
    written += n;
    bytes += body.length;
  }
  return { files: nFiles, events: written, bytes, attacker: ATTACKER };
}
