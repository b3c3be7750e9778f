// Built-in checks on real attack data: the 35 Stratus Red Team AWS detonation
// logs (test/fixtures/stratus-red-team, Apache-2.0). Each log is analysed on
// its own; the table technique -> checks that fired is printed, every
// technique must be detected by exactly the checks listed here, and each
// persistence / privilege-escalation / defence-evasion / exfiltration technique
// by a check of a matching category.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { AnalysisEvent, Category } from '../../shared/analysis/findings.ts';
import { normalizeRecord } from '../../shared/record.ts';
import { allChecks, runChecks } from '../../electron/analysis/checks/index.ts';

const DIR = new URL('../fixtures/stratus-red-team/', import.meta.url);

function toEvents(records: unknown[], file: string): AnalysisEvent[] {
  return records.map((r, i) => {
    const n = normalizeRecord(r);
    if (!n) throw new Error(`${file} record ${i} is not a CloudTrail record`);
    return { leaf: i, eventId: n.eventId ?? `${file}#${i}`, timeMs: n.timeMs, record: r as Record<string, any>, n };
  });
}

const TACTIC: Record<string, Category> = {
  'Persistence': 'persistence', 'Privilege Escalation': 'privilege-escalation', 'Defense Evasion': 'defense-evasion',
  'Exfiltration': 'exfiltration', 'Credential Access': 'credential-access', 'Discovery': 'discovery', 'Execution': 'execution',
  'Impact': 'impact', 'Initial Access': 'initial-access', 'Lateral Movement': 'lateral-movement',
};
const KEY_TACTICS: Category[] = ['persistence', 'privilege-escalation', 'defense-evasion', 'exfiltration'];

/** What must fire on each detonation, read from the logs by hand (and nothing else may). */
const EXPECTED: Record<string, string[]> = {
  'credential-access.ec2-get-password-data': ['credential-access.ec2-password-data', 'discovery.access-denied-burst'],
  'credential-access.ec2-steal-instance-credentials': ['credential-access.instance-credentials-used-outside', 'execution.ssm-remote-command'],
  'credential-access.secretsmanager-batch-retrieve-secrets': ['credential-access.secrets-bulk-read'],
  'credential-access.secretsmanager-retrieve-secrets': ['credential-access.secrets-bulk-read'],
  'credential-access.ssm-retrieve-securestring-parameters': ['credential-access.secrets-bulk-read'],
  'defense-evasion.cloudtrail-delete': ['defense-evasion.cloudtrail-stopped'],
  'defense-evasion.cloudtrail-event-selectors': ['defense-evasion.cloudtrail-selectors-reduced'],
  'defense-evasion.cloudtrail-stop': ['defense-evasion.cloudtrail-stopped'],
  'defense-evasion.dns-delete-logs': ['defense-evasion.dns-query-logging-deleted'],
  'defense-evasion.organizations-leave': ['defense-evasion.organizations-leave'],
  'defense-evasion.vpc-remove-flow-logs': ['defense-evasion.vpc-flow-logs-deleted'],
  'discovery.ec2-download-user-data': ['discovery.access-denied-burst', 'discovery.ec2-user-data-read'],
  'execution.ec2-launch-unusual-instances': ['impact.ec2-unusual-instances'],
  'execution.ec2-user-data': ['privilege-escalation.ec2-user-data-modified'],
  'execution.ssm-send-command': ['execution.ssm-remote-command'],
  'execution.ssm-start-session': ['execution.ssm-remote-command'],
  'exfiltration.ec2-security-group-open-port-22-ingress': ['exfiltration.security-group-admin-port-open'],
  'exfiltration.ec2-share-ami': ['exfiltration.ami-shared'],
  'exfiltration.ec2-share-ebs-snapshot': ['exfiltration.ebs-snapshot-shared'],
  'exfiltration.rds-share-snapshot': ['exfiltration.rds-snapshot-shared'],
  'impact.bedrock-invoke-model': ['impact.bedrock-model-invocation'],
  'initial-access.console-login-without-mfa': ['initial-access.console-login-without-mfa'],
  'lateral-movement.ec2-instance-connect': ['lateral-movement.ec2-instance-connect'],
  'lateral-movement.ec2-serial-console-send-ssh-public-key': ['lateral-movement.ec2-instance-connect'],
  'persistence.iam-backdoor-role': ['persistence.iam-role-trust-outside'],
  'persistence.iam-backdoor-user': ['persistence.iam-access-key-created-for-other-user'],
  'persistence.iam-create-admin-user': ['persistence.iam-access-key-created-for-other-user', 'persistence.iam-user-created', 'privilege-escalation.iam-admin-policy-attached'],
  'persistence.iam-create-backdoor-role': ['persistence.iam-role-trust-outside', 'privilege-escalation.iam-admin-policy-attached'],
  'persistence.iam-create-user-login-profile': ['persistence.iam-login-profile-created'],
  'persistence.lambda-backdoor-function': ['persistence.lambda-permission-wide'],
  'persistence.lambda-layer-extension': ['persistence.lambda-layer-added'],
  'persistence.lambda-overwrite-code': ['persistence.lambda-code-updated'],
  'persistence.rolesanywhere-create-trust-anchor': ['persistence.rolesanywhere-trust'],
  'persistence.sts-federation-token': ['persistence.sts-federation-token'],
  'privilege-escalation.iam-update-user-login-profile': ['privilege-escalation.iam-login-profile-updated-other-user'],
};

/** Techniques whose Stratus tactic differs from the category of the check that detects them, and why. */
const CATEGORY_EXCEPTIONS: Record<string, string> = {
  'execution.ec2-launch-unusual-instances': 'GPU/mass launches are filed under impact (T1496.001 compute hijacking); Stratus calls the technique execution',
};

const techniques = JSON.parse(readFileSync(new URL('stratus_aws_techniques.json', DIR), 'utf8')) as { id: string; mitreAttackTactics: string[] }[];
const tacticsOf = new Map(techniques.map((t) => [t.id.replace(/^aws\./, ''), t.mitreAttackTactics.map((x) => TACTIC[x])]));
const files = readdirSync(new URL('detonation-logs/', DIR)).filter((f) => /^aws\..+\.json$/.test(f)).sort();
const categoryOf = new Map(allChecks().map((c) => [c.id, c.category]));

test('Stratus Red Team: every detonation is detected by the expected checks', () => {
  assert.equal(files.length, 35, 'the fixture holds the 35 AWS detonation logs');
  const rows: string[] = [];
  let detected = 0;
  let keyTechniques = 0;
  for (const f of files) {
    const technique = f.replace(/^aws\./, '').replace(/\.json$/, '');
    const events = toEvents(JSON.parse(readFileSync(new URL(`detonation-logs/${f}`, DIR), 'utf8')), f);
    const findings = runChecks(events);
    const fired = [...new Set(findings.map((x) => x.checkId))].sort();
    rows.push(`${technique.padEnd(58)} ${String(events.length).padStart(3)} events  ${fired.map((id) => `${id}(${findings.filter((x) => x.checkId === id).map((x) => x.severity[0].toUpperCase()).join('')})`).join(', ') || '-'}`);
    const expected = EXPECTED[technique];
    assert.ok(expected, `no expectation written for ${technique}`);
    assert.deepEqual(fired, [...expected].sort(), `${technique}: fired ${fired.join(', ')}`);
    if (fired.length) detected++;

    const tactics = tacticsOf.get(technique);
    assert.ok(tactics && tactics.length, `${technique}: tactics missing from stratus_aws_techniques.json`);
    const key = tactics.filter((t) => KEY_TACTICS.includes(t));
    if (key.length) {
      keyTechniques++;
      assert.ok(findings.some((x) => key.includes(x.category)), `${technique} (${key.join(', ')}): no finding of a matching category (got ${findings.map((x) => x.category).join(', ')})`);
    } else if (!CATEGORY_EXCEPTIONS[technique]) {
      assert.ok(findings.some((x) => tactics.includes(x.category)), `${technique} (${tactics.join(', ')}): no finding of a matching category`);
    }
    for (const x of findings) {
      assert.equal(categoryOf.get(x.checkId) !== undefined, true);
      assert.ok(x.explanation.length > 20 && x.remediation.length > 0 && x.eventIds.length > 0, `${x.checkId} finding incomplete`);
      for (const id of x.eventIds) assert.ok(events.some((e) => e.eventId === id), `${x.checkId} cites an event not in ${f}`);
    }
  }
  console.log(`\nStratus Red Team detonations -> checks that fired (severity initials):\n${rows.join('\n')}`);
  console.log(`detected ${detected}/${files.length} techniques; ${keyTechniques} persistence/privilege-escalation/defense-evasion/exfiltration techniques all matched by category`);
  assert.equal(detected, files.length);
});

test('Stratus Red Team: all detonations together give the same detections (no cross-talk between logs)', () => {
  const all: AnalysisEvent[] = [];
  for (const f of files) all.push(...toEvents(JSON.parse(readFileSync(new URL(`detonation-logs/${f}`, DIR), 'utf8')), f));
  const fired = new Set(runChecks(all).map((x) => x.checkId));
  for (const ids of Object.values(EXPECTED)) for (const id of ids) assert.ok(fired.has(id), `${id} no longer fires when all logs are analysed together`);
});
