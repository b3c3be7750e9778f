// Privilege-escalation checks (issue "Analysis", Checks: Privilege escalation).
import type { AnalysisEvent } from '../../../shared/analysis/findings.ts';
import { HOUR_MS } from '../../../shared/time.ts';
import { defineCheck, perEventCheck } from './define.ts';
import {
  actorKey, apiOf, bool, callerName, eventName, failed, is, isAwsInternal, list, nameOf, obj, req, resp, span, str, whoWhen, words,
} from './event.ts';
import { adminLevel, managedPolicyAdminLevel, onlyDenies, parsePolicy, type AdminLevel } from './policy.ts';
import type { Check } from './types.ts';

const IAM = 'iam.amazonaws.com';
const skip = (e: AnalysisEvent) => failed(e) || isAwsInternal(e);

const levelText = (l: AdminLevel) => (l === 'admin' ? 'full administrator access ("*" on "*")' : 'full IAM control ("iam:*" on "*"), enough to grant itself anything');

export const policyVersionDefault = perEventCheck({
  id: 'privilege-escalation.iam-policy-version-default', version: '1.0.0', title: 'New default version of a managed policy',
  category: 'privilege-escalation', severity: 'medium', attack: ['T1098.003'],
  description: 'Successful iam:CreatePolicyVersion with setAsDefault true, or iam:SetDefaultPolicyVersion: every identity the policy is attached to gets the new permissions at once (a known escalation path when a principal may edit a policy attached to itself). High when the new document grants admin-equivalent power.',
  select: { eventNames: ['CreatePolicyVersion', 'SetDefaultPolicyVersion'], eventSources: [IAM] },
}, (e, ctx, make) => {
  if (!is(e, IAM, 'CreatePolicyVersion', 'SetDefaultPolicyVersion') || skip(e)) return null;
  const r = req(e);
  const create = eventName(e) === 'CreatePolicyVersion';
  if (create && bool(r.setAsDefault) !== true) return null;
  const arn = str(r.policyArn) ?? '(policy not recorded)';
  let level: AdminLevel | null = null;
  if (create) {
    const p = parsePolicy(r.policyDocument);
    if (p.ok) level = adminLevel(p.policy);
    else ctx.warn?.(e.eventId, 'privilege-escalation.iam-policy-version-default', `policy document of ${arn} could not be read: ${p.reason}`);
  }
  const version = str(r.versionId) ?? str(obj(resp(e).policyVersion)?.versionId);
  return make({
    events: [e],
    severity: level ? 'high' : 'medium',
    title: `Managed policy ${nameOf(arn)} given a new default version${level ? ' granting admin-equivalent power' : ''}`,
    explanation: `${whoWhen(e)} ${create ? 'created a new version' : `made version ${version ?? '(not recorded)'} the default`} of managed policy ${arn}${create ? ' and set it as default' : ''}${level ? `; the document grants ${levelText(level)}` : ''}.`,
    artefacts: [{ type: 'policy', value: arn }],
    remediation: [
      `Compare the new default version of ${arn} with the previous one (aws iam get-policy-version).`,
      `If unsanctioned: set the previous version back as default (aws iam set-default-policy-version --policy-arn ${arn} --version-id vN) and delete the new version.`,
    ],
  });
});

export const adminPolicyAttached = defineCheck({
  id: 'privilege-escalation.iam-admin-policy-attached', version: '1.0.0', title: 'Administrator policy attached',
  category: 'privilege-escalation', severity: 'high', attack: ['T1098.003'],
  description: 'Successful iam:AttachUserPolicy/AttachRolePolicy/AttachGroupPolicy of AdministratorAccess or IAMFullAccess, or of a customer managed policy that this case shows being created (CreatePolicy / default CreatePolicyVersion) with "*" on "*" or "iam:*" on "*".',
  select: { eventNames: ['AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy', 'CreatePolicy', 'CreatePolicyVersion'], eventSources: [IAM] },
}, (events, _ctx, make) => {
  const known = new Map<string, AdminLevel | null>();
  const out = [];
  for (const e of events) {
    if (skip(e)) continue;
    if (is(e, IAM, 'CreatePolicy', 'CreatePolicyVersion')) {
      const arn = str(obj(resp(e).policy)?.arn) ?? str(req(e).policyArn);
      if (!arn) continue;
      if (eventName(e) === 'CreatePolicyVersion' && bool(req(e).setAsDefault) !== true) continue;
      const p = parsePolicy(req(e).policyDocument);
      known.set(arn, p.ok ? adminLevel(p.policy) : null);
      continue;
    }
    if (!is(e, IAM, 'AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy')) continue;
    const arn = str(req(e).policyArn);
    if (!arn) continue;
    const level = managedPolicyAdminLevel(arn) ?? known.get(arn) ?? null;
    if (!level) continue;
    const kind = eventName(e) === 'AttachUserPolicy' ? 'user' : eventName(e) === 'AttachRolePolicy' ? 'role' : 'group';
    const target = str(req(e)[`${kind}Name`]) ?? `(${kind} not recorded)`;
    out.push(make({
      events: [e],
      title: `${nameOf(arn)} attached to IAM ${kind} ${target}`,
      explanation: `${whoWhen(e)} attached managed policy ${arn} to IAM ${kind} ${target}; the policy grants ${levelText(level)}.`,
      artefacts: [{ type: kind, value: target }, { type: 'policy', value: arn }],
      remediation: [
        `Confirm with the owner of ${kind} ${target} whether administrator access is required.`,
        `If not: detach it (aws iam detach-${kind}-policy --${kind}-name ${target} --policy-arn ${arn}) and review everything ${target} did after ${span([e])}.`,
      ],
    }));
  }
  return out;
});

export const inlinePolicy = perEventCheck({
  id: 'privilege-escalation.iam-inline-policy', version: '1.0.0', title: 'Inline policy put on an IAM identity',
  category: 'privilege-escalation', severity: 'low', attack: ['T1098.003'],
  description: 'Successful iam:PutUserPolicy/PutRolePolicy/PutGroupPolicy. High when the document grants "*" on "*" or "iam:*" on "*"; documents that only deny are not reported; unreadable documents are reported at medium.',
  select: { eventNames: ['PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy'], eventSources: [IAM] },
}, (e, ctx, make) => {
  if (!is(e, IAM, 'PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy') || skip(e)) return null;
  const r = req(e);
  const kind = eventName(e) === 'PutUserPolicy' ? 'user' : eventName(e) === 'PutRolePolicy' ? 'role' : 'group';
  const target = str(r[`${kind}Name`]) ?? `(${kind} not recorded)`;
  const pname = str(r.policyName) ?? '(unnamed)';
  const p = parsePolicy(r.policyDocument);
  if (!p.ok) ctx.warn?.(e.eventId, 'privilege-escalation.iam-inline-policy', `inline policy ${pname} could not be read: ${p.reason}`);
  if (p.ok && onlyDenies(p.policy)) return null;
  const level = p.ok ? adminLevel(p.policy) : null;
  return make({
    events: [e],
    severity: level ? 'high' : p.ok ? 'low' : 'medium',
    title: `Inline policy ${pname} put on IAM ${kind} ${target}${level ? ' granting admin-equivalent power' : ''}`,
    explanation: `${whoWhen(e)} put inline policy ${pname} on IAM ${kind} ${target}${level ? `; it grants ${levelText(level)}` : p.ok ? '' : ` (document unreadable: ${p.reason})`}.`,
    artefacts: [{ type: kind, value: target }, { type: 'policy', value: `${target}/${pname}` }],
    remediation: [
      `Read the policy (aws iam get-${kind}-policy --${kind}-name ${target} --policy-name ${pname}) and confirm it with the owner of ${target}.`,
      `If unsanctioned: delete it (aws iam delete-${kind}-policy --${kind}-name ${target} --policy-name ${pname}).`,
    ],
  });
});

const PASS_EVENTS = ['CreateFunction', 'RunInstances', 'AssociateIamInstanceProfile', 'ReplaceIamInstanceProfileAssociation'];
const ROLE_EVENTS = ['CreateRole', 'AttachRolePolicy', 'PutRolePolicy', 'UpdateAssumeRolePolicy', 'AddRoleToInstanceProfile'];

/** Role (name) passed by a compute-creating call, and how it was named. */
function passedRole(e: AnalysisEvent, profileRoles: Map<string, string>): { role: string; via: string } | null {
  const r = req(e);
  if (eventName(e) === 'CreateFunction') {
    const role = str(r.role);
    return role ? { role: nameOf(role), via: `function ${str(r.functionName) ?? ''}`.trim() } : null;
  }
  const prof = obj(r.iamInstanceProfile) ?? obj(obj(r.AssociateIamInstanceProfileRequest)?.IamInstanceProfile);
  const pn = str(prof?.arn) ?? str(prof?.name) ?? str(prof?.Arn) ?? str(prof?.Name);
  if (!pn) return null;
  const profile = nameOf(pn);
  // An instance profile usually carries the role of the same name; AddRoleToInstanceProfile in the case says otherwise.
  return { role: profileRoles.get(profile) ?? profile, via: `instance profile ${profile}` };
}

export const passRoleToCompute = defineCheck({
  id: 'privilege-escalation.passrole-to-compute', version: '1.0.0', title: 'Role prepared and passed to new compute',
  category: 'privilege-escalation', severity: 'high', attack: ['T1548.005'],
  description: 'iam:PassRole used through lambda:CreateFunction or ec2:RunInstances / (Re)AssociateIamInstanceProfile with a role that the same principal created or gave permissions to (CreateRole, Attach/PutRolePolicy, UpdateAssumeRolePolicy) within the hour before, or that this case shows receiving an administrator policy. Code in the function or instance then runs with the role.',
  select: { eventNames: [...PASS_EVENTS, ...ROLE_EVENTS], eventSources: ['lambda.amazonaws.com', 'ec2.amazonaws.com', IAM] },
}, (events, _ctx, make) => {
  const prepared = new Map<string, AnalysisEvent[]>(); // role name -> role-changing events
  const adminRoles = new Set<string>();
  const profileRoles = new Map<string, string>();
  const out = [];
  for (const e of events) {
    if (skip(e)) continue;
    if (is(e, IAM, ...ROLE_EVENTS)) {
      const role = str(req(e).roleName);
      if (!role) continue;
      if (eventName(e) === 'AddRoleToInstanceProfile') { const p = str(req(e).instanceProfileName); if (p) profileRoles.set(p, role); continue; }
      if (eventName(e) === 'AttachRolePolicy' && managedPolicyAdminLevel(str(req(e).policyArn) ?? '')) adminRoles.add(role);
      if (eventName(e) === 'PutRolePolicy') { const p = parsePolicy(req(e).policyDocument); if (p.ok && adminLevel(p.policy)) adminRoles.add(role); }
      const l = prepared.get(role) ?? [];
      l.push(e);
      prepared.set(role, l);
      continue;
    }
    if (!is(e, ['lambda.amazonaws.com', 'ec2.amazonaws.com'], ...PASS_EVENTS)) continue;
    const passed = passedRole(e, profileRoles);
    if (!passed) continue;
    const recent = (prepared.get(passed.role) ?? []).filter((p) => actorKey(p) === actorKey(e) && p.timeMs !== null && e.timeMs !== null && e.timeMs - p.timeMs >= 0 && e.timeMs - p.timeMs <= HOUR_MS);
    const admin = adminRoles.has(passed.role);
    if (recent.length === 0 && !admin) continue;
    const instances = list(obj(resp(e).instancesSet)?.items).map((i) => str(obj(i)?.instanceId)).filter((x): x is string => x !== null);
    out.push(make({
      events: [...recent, e],
      title: words('Role', passed.role, recent.length ? 'changed and then passed to' : 'with administrator policy passed to', eventName(e) === 'CreateFunction' ? 'a new Lambda function' : 'an EC2 instance', 'by', callerName(e) ?? 'the same principal'),
      explanation: `${recent.length ? `${recent.map((p) => apiOf(p)).join(', ')} on role ${passed.role} by the same principal (${span(recent)}), then ` : `Role ${passed.role} received an administrator policy earlier in the case; `}${whoWhen(e).replace(/^At/, 'at')} passed it via ${passed.via} in ${apiOf(e)}${instances.length ? ` (instances ${instances.join(', ')})` : ''}.`,
      artefacts: [{ type: 'role', value: passed.role }, ...instances.map((i) => ({ type: 'instance', value: i })), ...(eventName(e) === 'CreateFunction' && str(req(e).functionName) ? [{ type: 'function', value: str(req(e).functionName)! }] : [])],
      remediation: [
        `Confirm with the owner of role ${passed.role} that ${callerName(e) ?? 'the caller'} may run compute with it.`,
        `If not: stop/delete the ${eventName(e) === 'CreateFunction' ? 'function' : 'instance'}, revert the role changes, revoke active sessions of ${passed.role}, and review the role session activity (pivot on role ${passed.role}).`,
      ],
    }));
  }
  return out;
});

export const loginProfileUpdatedOther = perEventCheck({
  id: 'privilege-escalation.iam-login-profile-updated-other-user', version: '1.0.0', title: 'Console password of another IAM user changed',
  category: 'privilege-escalation', severity: 'high', attack: ['T1098'],
  description: 'Successful iam:UpdateLoginProfile naming a user other than the caller (caller = IAM user name, role session name, or root): the caller set a password it knows and can sign in as that user. Medium when a reset at next sign-in is required.',
  select: { eventNames: ['UpdateLoginProfile'], eventSources: [IAM] },
}, (e, _ctx, make) => {
  if (!is(e, IAM, 'UpdateLoginProfile') || skip(e)) return null;
  const target = str(req(e).userName);
  if (!target || target === callerName(e)) return null;
  const reset = bool(req(e).passwordResetRequired) === true;
  return make({
    events: [e],
    severity: reset ? 'medium' : 'high',
    title: `Console password of IAM user ${target} changed by ${callerName(e) ?? 'another principal'}`,
    explanation: `${whoWhen(e)} set a new console password for IAM user ${target}; password reset at next sign-in was ${reset ? '' : 'not '}required.`,
    artefacts: [{ type: 'user', value: target }],
    remediation: [
      `Confirm with the owner of IAM user ${target} whether the password change was requested.`,
      `If not: reset the password (aws iam update-login-profile --user-name ${target} --password-reset-required ...) or delete the login profile, and review ConsoleLogin events of ${target} after ${span([e])}.`,
    ],
  });
});

export const ec2UserDataModified = perEventCheck({
  id: 'privilege-escalation.ec2-user-data-modified', version: '1.0.0', title: 'User data of an existing EC2 instance replaced',
  category: 'privilege-escalation', severity: 'high', attack: ['T1037'],
  description: 'Successful ec2:ModifyInstanceAttribute setting userData. The new boot script runs as root at the next start of the (stopped) instance and can use the instance role.',
  select: { eventNames: ['ModifyInstanceAttribute'], eventSources: ['ec2.amazonaws.com'] },
}, (e, _ctx, make) => {
  if (!is(e, 'ec2.amazonaws.com', 'ModifyInstanceAttribute') || skip(e)) return null;
  const r = req(e);
  if (r.userData === undefined && str(r.attribute) !== 'userData') return null;
  const instance = str(r.instanceId) ?? '(instance not recorded)';
  return make({
    events: [e],
    title: `User data of EC2 instance ${instance} replaced`,
    explanation: `${whoWhen(e)} replaced the user data (boot script) of EC2 instance ${instance}; CloudTrail does not log the script content.`,
    artefacts: [{ type: 'instance', value: instance }],
    remediation: [
      `Read the current user data (aws ec2 describe-instance-attribute --instance-id ${instance} --attribute userData) and compare with the expected template.`,
      `If malicious: keep the instance stopped, snapshot its volumes for analysis, restore the original user data, and review the instance role's activity after the next start.`,
    ],
  });
});

export const PRIVILEGE_ESCALATION_CHECKS: Check[] = [policyVersionDefault, adminPolicyAttached, inlinePolicy, passRoleToCompute, loginProfileUpdatedOther, ec2UserDataModified];
