// Fixtures for the address indicators (README.md, "Addresses and profiles"), built from public addresses
// whose database answers the tests read from the installed databases:
// 73.1.1.1 and 24.1.1.1 (Comcast, US: Plant City FL / Morton Grove IL, ~1,600 km apart),
// 95.216.1.1 (Hetzner, Helsinki FI), 52.20.1.1 (Amazon, us-east-1), 167.99.1.1 (DigitalOcean, US).
import type { AnalysisEvent } from '../../../shared/analysis/findings.ts';
import { normalizeRecord } from '../../../shared/record.ts';

const ACCT = '444455556666';
const DANA = { type: 'IAMUser', arn: `arn:aws:iam::${ACCT}:user/dana`, userName: 'dana', principalId: 'AIDADANA', accountId: ACCT, accessKeyId: 'AKIADANAEXAMPLE00001' };
const ERIN = { type: 'IAMUser', arn: `arn:aws:iam::${ACCT}:user/erin`, userName: 'erin', principalId: 'AIDAERIN', accountId: ACCT };
const WEB = {
  type: 'AssumedRole', arn: `arn:aws:sts::${ACCT}:assumed-role/web/i-0123456789abcdef0`, principalId: 'AROAWEBEXAMPLE:i-0123456789abcdef0', accountId: ACCT,
  accessKeyId: 'ASIAWEBEXAMPLE000001', sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCT}:role/web`, userName: 'web' }, ec2RoleDelivery: '2.0' },
};

let n = 0;
function rec(time: string, ip: string, who: Record<string, unknown>, p: Record<string, unknown> = {}): Record<string, unknown> {
  n++;
  return {
    eventVersion: '1.09', eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, eventTime: time, awsRegion: 'us-east-1', eventType: 'AwsApiCall',
    recipientAccountId: ACCT, sourceIPAddress: ip, userAgent: 'aws-cli/2.15.0 Python/3.11.6', eventSource: 's3.amazonaws.com', eventName: 'ListBuckets',
    requestID: `req-${n}`, userIdentity: who, ...p,
  };
}
const login = (time: string, ip: string, who: Record<string, unknown>) =>
  rec(time, ip, who, {
    eventSource: 'signin.amazonaws.com', eventName: 'ConsoleLogin', eventType: 'AwsConsoleSignIn', userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0',
    responseElements: { ConsoleLogin: 'Success' }, additionalEventData: { MFAUsed: 'Yes', LoginTo: 'https://console.aws.amazon.com/' },
  });

/** Dana's usual three days from home (Comcast, Florida), and the instance role at work from its instance (AWS). */
function baseline(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let d = 1; d <= 3; d++) {
    out.push(rec(`2026-04-0${d}T09:00:00Z`, '73.1.1.1', DANA), rec(`2026-04-0${d}T15:00:00Z`, '73.1.1.1', DANA, { eventName: 'GetBucketLocation' }));
    out.push(rec(`2026-04-0${d}T12:00:00Z`, '52.20.1.1', WEB, { eventSource: 'ssm.amazonaws.com', eventName: 'GetParameter', userAgent: 'aws-sdk-go/1.44' }));
  }
  out.push(rec('2026-04-04T10:00:00Z', '73.1.1.1', DANA));
  return out;
}

/** Every indicator fires once: Dana's console sign-in from Helsinki (Hetzner) 20 minutes after Florida, and the instance role's credentials used from DigitalOcean. */
export function firingRecords(): Record<string, unknown>[] {
  return [
    ...baseline(),
    login('2026-04-04T10:20:00Z', '95.216.1.1', DANA),
    rec('2026-04-04T11:00:00Z', '167.99.1.1', WEB, { eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity', userAgent: 'aws-cli/2.15.0' }),
  ];
}

/** The same people behaving as usual: a trip within the US at a plausible speed, an upgraded CLI, the instance at work, AWS acting for itself, a first-time user signing in from home. */
export function quietRecords(): Record<string, unknown>[] {
  return [
    ...baseline(),
    rec('2026-04-04T16:00:00Z', '24.1.1.1', DANA, { userAgent: 'aws-cli/2.16.1 Python/3.12.1' }),
    rec('2026-04-04T16:05:00Z', '10.0.0.5', DANA),
    rec('2026-04-04T16:06:00Z', 's3.amazonaws.com', DANA, { userIdentity: { ...DANA, invokedBy: 's3.amazonaws.com' } }),
    rec('2026-04-04T16:10:00Z', '52.20.1.1', WEB, { eventSource: 'ssm.amazonaws.com', eventName: 'GetParameter', userAgent: 'aws-sdk-go/1.44' }),
    login('2026-04-04T17:00:00Z', '73.1.1.1', ERIN),
  ];
}

export function toEvents(records: Record<string, unknown>[]): AnalysisEvent[] {
  return records.map((r, i) => {
    const nrm = normalizeRecord(r)!;
    return { leaf: i, eventId: String(r.eventID), timeMs: nrm.timeMs, record: r as Record<string, any>, n: nrm };
  });
}

export const IDENTITY_CHECK_IDS = [
  'initial-access.new-country-for-principal', 'initial-access.new-network-for-principal', 'initial-access.impossible-travel',
  'credential-access.instance-credentials-outside-aws', 'initial-access.console-login-from-hosting-network', 'initial-access.new-user-agent-family',
];
