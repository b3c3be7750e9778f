// Profiles (README.md, "Addresses and profiles"): a principal, a key and an address, with the split
// before/after the suspected compromise, through the API and the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeContext } from '../../../electron/api/context.ts';
import { dispatch } from '../../../electron/api/handlers.ts';
import { analyseCase } from '../../../electron/analysis/run.ts';
import { recordRun } from '../../../electron/analysis/runs.ts';
import { caseWith, tempDir } from '../support.ts';

const ACCT = '111122223333';
const ALICE = { type: 'IAMUser', arn: `arn:aws:iam::${ACCT}:user/alice`, accountId: ACCT, accessKeyId: 'AKIAEXAMPLEALICE0001', userName: 'alice' };
let n = 0;
function rec(t: string, ip: string, ua: string, name: string, source: string, extra: Record<string, unknown> = {}, who: Record<string, unknown> = ALICE) {
  n++;
  return {
    eventVersion: '1.08', eventTime: t, eventSource: source, eventName: name, awsRegion: 'us-east-1', sourceIPAddress: ip, userAgent: ua,
    userIdentity: who, eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, requestID: `r-${n}`, eventType: 'AwsApiCall',
    recipientAccountId: ACCT, ...extra,
  };
}

export function profileRecords(): unknown[] {
  const out: unknown[] = [];
  for (let d = 1; d <= 3; d++) out.push(rec(`2026-03-0${d}T09:00:00Z`, '8.8.8.8', 'aws-cli/2.15.0 Python/3.11', 'ListBuckets', 's3.amazonaws.com'));
  out.push(rec('2026-03-05T02:00:00Z', '1.1.1.1', 'python-requests/2.31', 'CreateUser', 'iam.amazonaws.com', { requestParameters: { userName: 'backdoor' }, responseElements: { user: { userName: 'backdoor' } } }));
  out.push(rec('2026-03-05T02:01:00Z', '1.1.1.1', 'python-requests/2.31', 'AssumeRole', 'sts.amazonaws.com', {
    requestParameters: { roleArn: `arn:aws:iam::${ACCT}:role/Admin`, roleSessionName: 'x' },
    responseElements: { credentials: { accessKeyId: 'ASIAEXAMPLESESSION01' }, assumedRoleUser: { arn: `arn:aws:sts::${ACCT}:assumed-role/Admin/x` } },
  }));
  out.push(rec('2026-03-05T02:02:00Z', '1.1.1.1', 'python-requests/2.31', 'GetObject', 's3.amazonaws.com', { requestParameters: { bucketName: 'secrets' }, errorCode: 'AccessDenied' },
    { type: 'AssumedRole', arn: `arn:aws:sts::${ACCT}:assumed-role/Admin/x`, accountId: ACCT, accessKeyId: 'ASIAEXAMPLESESSION01', principalId: 'AROAEXAMPLEADMIN0001:x', sessionContext: { sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCT}:role/Admin`, userName: 'Admin' } } }));
  return out;
}

async function profileCase() {
  const dir = tempDir();
  const file = join(dir, 'trail.json');
  writeFileSync(file, JSON.stringify({ Records: profileRecords() }));
  const c = await caseWith([file]);
  recordRun(c.store, 'tester', await analyseCase(c.store, { sigma: null }));
  return c;
}

test('profile of a key: what is new after the split stands out, with places, networks, roles, resources and findings', async () => {
  const c = await profileCase();
  try {
    const ctx = makeContext(c.store, { signer: c.signer });
    const p = await dispatch(ctx, 'profile', { key: 'AKIAEXAMPLEALICE0001', split: '2026-03-04T00:00:00Z' });
    assert.equal(p.eventCount, 5);
    assert.equal(p.before, 3);
    assert.equal(p.after, 2);
    const addr = new Map(p.addresses.map((a) => [a.value, a]));
    assert.equal(addr.get('8.8.8.8')!.isNew, false);
    assert.equal(addr.get('1.1.1.1')!.isNew, true);
    assert.equal(addr.get('1.1.1.1')!.info?.asn, 13335);
    assert.equal(addr.get('8.8.8.8')!.info?.country, 'US');
    assert.deepEqual(p.userAgents.filter((u) => u.isNew).map((u) => u.value), ['python-requests/2.31']);
    assert.deepEqual(p.apis.filter((a) => a.isNew).map((a) => a.value).sort(), ['iam.amazonaws.com:CreateUser', 'sts.amazonaws.com:AssumeRole']);
    assert.deepEqual(p.rolesAssumed.map((r) => r.value), ['Admin']);
    assert.ok(p.resources.some((r) => r.value === 'iam-user:backdoor' && r.isNew), JSON.stringify(p.resources));
    assert.ok(p.findings.some((f) => f.checkId === 'persistence.iam-user-created'), JSON.stringify(p.findings));
    assert.deepEqual(p.enrichment.sources.map((s) => s.kind).sort(), ['asn', 'city', 'country']);
    assert.equal(p.enrichment.missing, 0);

    // The role: its sessions, who assumed it, errors.
    const role = await dispatch(ctx, 'profile', { principal: `arn:aws:iam::${ACCT}:role/Admin` });
    assert.equal(role.eventCount, 1);
    assert.deepEqual(role.sessions.map((s) => s.value), [`arn:aws:sts::${ACCT}:assumed-role/Admin/x`]);
    assert.deepEqual(role.assumedBy.map((s) => s.value), [ALICE.arn]);
    assert.deepEqual(role.errors.map((e) => e.value), ['AccessDenied']);
    assert.ok(role.resources.some((r) => r.value === 's3-bucket:secrets'));
    assert.equal(role.split, null);
    assert.ok(role.apis.every((a) => !a.isNew), 'without a split nothing is "new"');

    // The address: who used it.
    const ip = await dispatch(ctx, 'profile', { ip: '1.1.1.1' });
    assert.deepEqual(ip.principals.map((x) => x.value), [ALICE.arn, `arn:aws:sts::${ACCT}:assumed-role/Admin/x`]);
    await assert.rejects(dispatch(ctx, 'profile', { key: 'AKIA1', ip: '1.1.1.1' }), /exactly one of principal, key or ip/);
    await assert.rejects(dispatch(ctx, 'profile', { key: 'AKIA1', split: 'yesterday-ish' }), /split: yesterday-ish is not a time/);
  } finally {
    c.cleanup();
  }
});

test('trailcase profile --json and its text output', async () => {
  const c = await profileCase();
  try {
    c.store.close();
    const env = { ...process.env, TRAILCASE_HOME: c.home, TRAILCASE_PASSPHRASE: 'test-passphrase-1' };
    const cli = (args: string[]) => execFileSync(process.execPath, ['electron/cli/trailcase.js', ...args], { env, encoding: 'utf8' });
    const j = JSON.parse(cli(['profile', c.path, '--principal', 'alice', '--split', '2026-03-04T00:00:00Z', '--json']));
    assert.equal(j.subject.kind, 'principal');
    assert.equal(j.eventCount, 5);
    const text = cli(['profile', c.path, '--ip', '1.1.1.1']);
    assert.match(text, /Profile of ip 1\.1\.1\.1: 3 events/);
    assert.match(text, /AS13335 Cloudflare, Inc\./);
    const src = cli(['enrichment', c.path, 'sources']);
    assert.match(src, /dbip-city-mmdb .*\n\s+sha256 [0-9a-f]{64}/);
    assert.throws(() => cli(['profile', c.path]), /exactly one of --principal, --key or --ip/);
  } finally {
    c.cleanup();
  }
});

test('profile of an account: every event of the account, by API and CLI; an id that is not 12 digits is refused', async () => {
  const c = await profileCase();
  try {
    const ctx = makeContext(c.store, { signer: c.signer });
    const all = profileRecords().length;
    const p = await dispatch(ctx, 'profile', { account: ACCT, split: '2026-03-04T00:00:00Z' });
    assert.equal(p.subject.kind, 'account');
    assert.equal(p.eventCount, all);
    assert.ok(p.principals.some((x) => x.value === ALICE.arn));
    assert.ok(p.addresses.some((a) => a.value === '1.1.1.1' && a.isNew && a.info?.asn === 13335));
    assert.equal((await dispatch(ctx, 'profile', { account: '999988887777' })).eventCount, 0);
    await assert.rejects(dispatch(ctx, 'profile', { account: '1111-2222' }), /not an AWS account id/);
    await assert.rejects(dispatch(ctx, 'profile', { account: ACCT, ip: '1.1.1.1' }), /exactly one of principal, key or ip/);
    c.store.close();
    const env = { ...process.env, TRAILCASE_HOME: c.home, TRAILCASE_PASSPHRASE: 'test-passphrase-1' };
    const text = execFileSync(process.execPath, ['electron/cli/trailcase.js', 'profile', c.path, '--account', ACCT], { env, encoding: 'utf8' });
    assert.match(text, new RegExp(`Profile of account ${ACCT}: ${all} events`));
  } finally {
    c.cleanup();
  }
});
