// Persistence checks (issue "Analysis", Checks: Persistence). Each check is a
// small unit; explanations state what the events show, severity and title
// carry the interpretation.
import type { AnalysisEvent, Artefact } from '../../../shared/analysis/findings.ts';
import { HOUR_MS } from '../../../shared/time.ts';
import { perEventCheck, streamCheck } from './define.ts';
import {
  accountOf, apiOf, callerAccount, callerName, clusters, failed, is, isAwsInternal, isOutsideAccount,
  lightCopy, list, nameOf, obj, plural, req, resp, span, str, uniq, whoWhen, words,
} from './event.ts';
import { adminLevel, describeGrant, externalGrants, parsePolicy, type Grant } from './policy.ts';
import type { Check, CheckContext } from './types.ts';

const IAM = 'iam.amazonaws.com';
const LAMBDA = 'lambda.amazonaws.com';

const skip = (e: AnalysisEvent) => failed(e) || isAwsInternal(e);

export const iamUserCreated = perEventCheck({
  id: 'persistence.iam-user-created', version: '1.0.0', title: 'IAM user created',
  category: 'persistence', severity: 'medium', attack: ['T1136.003'],
  description: 'Successful iam:CreateUser. A new IAM user is a long-lived identity that outlives the revocation of the credentials that created it.',
  select: { eventNames: ['CreateUser'], eventSources: [IAM] },
}, (e, _ctx, make) => {
  if (!is(e, IAM, 'CreateUser') || skip(e)) return null;
  const u = obj(resp(e).user);
  const user = str(req(e).userName) ?? str(u?.userName) ?? '(name not recorded)';
  const arn = str(u?.arn);
  return make({
    events: [e],
    title: `IAM user ${user} created`,
    explanation: `${whoWhen(e)} created IAM user ${user}${arn ? ` (${arn})` : ''}.`,
    artefacts: [{ type: 'user', value: arn ?? user }],
    remediation: [
      `Confirm with the owner of ${e.n.principalArn ?? 'the calling principal'} whether IAM user ${user} was meant to exist.`,
      `If not: delete its access keys (aws iam list-access-keys --user-name ${user}), its login profile (aws iam delete-login-profile --user-name ${user}), detach its policies and group memberships, then delete the user.`,
      `Pivot on user ${user} and its access keys in this case to see whether it was already used.`,
    ],
  });
});

/** Target user of CreateAccessKey (absent: the caller's own key). */
function accessKeyTarget(e: AnalysisEvent): { target: string | null; key: string | null } {
  const ak = obj(resp(e).accessKey);
  return { target: str(req(e).userName) ?? str(ak?.userName), key: str(ak?.accessKeyId) };
}

function createsForOther(e: AnalysisEvent): boolean {
  const { target } = accessKeyTarget(e);
  return target !== null && target !== callerName(e);
}

export const accessKeyCreated = perEventCheck({
  id: 'persistence.iam-access-key-created', version: '1.0.0', title: 'Access key created by a principal for itself',
  category: 'persistence', severity: 'low', attack: ['T1098.001'],
  description: 'Successful iam:CreateAccessKey for the caller itself (no other user named). Routine for people, but a new long-term key is a persistence foothold; a root access key is critical.',
  select: { eventNames: ['CreateAccessKey'], eventSources: [IAM] },
}, (e, _ctx, make) => {
  if (!is(e, IAM, 'CreateAccessKey') || skip(e) || createsForOther(e)) return null;
  const { key } = accessKeyTarget(e);
  const root = e.n.identityType === 'Root';
  const who = root ? 'the root user' : (callerName(e) ?? 'the caller');
  return make({
    events: [e],
    severity: root ? 'critical' : 'low',
    title: root ? words('Root user access key', key, 'created') : words('Access key', key, `created by ${who} for itself`),
    explanation: `${whoWhen(e)} created access key ${key ?? '(id not recorded)'} for ${root ? 'the account root user' : 'its own identity'}.`,
    artefacts: key ? [{ type: 'access-key', value: key }] : [],
    remediation: root
      ? [`Delete root access key ${key ?? '(see the event)'} (Security credentials page of the root user); AWS advises against root access keys.`, 'Rotate the root password and check its MFA device, then pivot on the key in this case.']
      : [`Confirm with ${who} that access key ${key ?? '(see the event)'} is theirs and expected.`, `If not, deactivate then delete it (aws iam update-access-key --status Inactive --access-key-id ${key ?? 'KEY'}; aws iam delete-access-key ...).`],
  });
});

export const accessKeyCreatedForOther = perEventCheck({
  id: 'persistence.iam-access-key-created-for-other-user', version: '1.0.0', title: 'Access key created for another IAM user',
  category: 'persistence', severity: 'high', attack: ['T1098.001'],
  description: 'Successful iam:CreateAccessKey naming a user other than the caller: the caller now holds working credentials of that user (a classic backdoor).',
  select: { eventNames: ['CreateAccessKey'], eventSources: [IAM] },
}, (e, _ctx, make) => {
  if (!is(e, IAM, 'CreateAccessKey') || skip(e) || !createsForOther(e)) return null;
  const { target, key } = accessKeyTarget(e);
  return make({
    events: [e],
    title: words('Access key', key, `created for IAM user ${target} by ${callerName(e) ?? 'another principal'}`),
    explanation: `${whoWhen(e)} created access key ${key ?? '(id not recorded)'} for IAM user ${target}; the response returned the secret to the caller.`,
    artefacts: [{ type: 'user', value: target! }, ...(key ? [{ type: 'access-key', value: key }] : [])],
    remediation: [
      `Confirm with the owner of IAM user ${target} whether access key ${key ?? '(see the event)'} was requested.`,
      `If not: deactivate and delete access key ${key ?? 'KEY'} of user ${target} (aws iam delete-access-key --user-name ${target} --access-key-id ${key ?? 'KEY'}).`,
      `Pivot on access key ${key ?? 'KEY'} in this case to find what it was used for.`,
    ],
  });
});

export const loginProfileCreated = perEventCheck({
  id: 'persistence.iam-login-profile-created', version: '1.0.0', title: 'Console password created for an IAM user',
  category: 'persistence', severity: 'medium', attack: ['T1098.001'],
  description: 'Successful iam:CreateLoginProfile: the user can now sign in to the console with the password the caller chose. Higher when the caller is not that user.',
  select: { eventNames: ['CreateLoginProfile'], eventSources: [IAM] },
}, (e, _ctx, make) => {
  if (!is(e, IAM, 'CreateLoginProfile') || skip(e)) return null;
  const target = str(req(e).userName) ?? str(obj(resp(e).loginProfile)?.userName) ?? callerName(e) ?? '(user not recorded)';
  const other = target !== callerName(e);
  const reset = req(e).passwordResetRequired === true;
  return make({
    events: [e],
    severity: other ? 'high' : 'medium',
    title: `Console password created for IAM user ${target}${other ? ` by ${callerName(e) ?? 'another principal'}` : ''}`,
    explanation: `${whoWhen(e)} created a console login profile (password) for IAM user ${target}; password reset at first sign-in was ${reset ? '' : 'not '}required.`,
    artefacts: [{ type: 'user', value: target }],
    remediation: [
      `Confirm with the owner of IAM user ${target} whether console access was requested.`,
      `If not: delete the login profile (aws iam delete-login-profile --user-name ${target}) and look for ConsoleLogin events of ${target} after ${span([e])}.`,
    ],
  });
});

/** Trust-policy grants to outside parties made by CreateRole / UpdateAssumeRolePolicy (shared with the cross-account check). */
function trustGrants(e: AnalysisEvent, ctx: CheckContext, checkId: string): { role: string; grants: Grant[] } | null {
  if (!is(e, IAM, 'CreateRole', 'UpdateAssumeRolePolicy') || skip(e)) return null;
  const r = req(e);
  const role = str(r.roleName) ?? str(obj(resp(e).role)?.roleName) ?? '(role not recorded)';
  const raw = r.assumeRolePolicyDocument ?? r.policyDocument ?? obj(resp(e).role)?.assumeRolePolicyDocument;
  if (raw === undefined || raw === null || raw === '') return null;
  const parsed = parsePolicy(raw);
  if (!parsed.ok) {
    ctx.warn?.(e.eventId, checkId, `trust policy of role ${role} could not be read: ${parsed.reason}`);
    return null;
  }
  return { role, grants: externalGrants(parsed.policy, ctx.ownAccounts) };
}

export const roleTrustOutside = perEventCheck({
  id: 'persistence.iam-role-trust-outside', version: '1.0.0', title: 'Role trusts an outside account or anyone',
  category: 'persistence', severity: 'high', attack: ['T1098.003'],
  description: 'CreateRole or UpdateAssumeRolePolicy whose trust policy lets in a principal of an account not seen in the case, "*" without a limiting condition (aws:PrincipalOrgID, aws:SourceAccount, ...; sts:ExternalId does not count), or any identity of a federated provider with no condition.',
  select: { eventNames: ['CreateRole', 'UpdateAssumeRolePolicy'], eventSources: [IAM] },
}, (e, ctx, make) => {
  const t = trustGrants(e, ctx, 'persistence.iam-role-trust-outside');
  if (!t || t.grants.length === 0) return null;
  const pub = t.grants.some((g) => g.kind === 'public');
  const accounts = uniq(t.grants.map((g) => g.account).filter((a): a is string => a !== null));
  const verb = is(e, IAM, 'CreateRole') ? 'created role' : 'replaced the trust policy of role';
  return make({
    events: [e],
    severity: pub ? 'critical' : 'high',
    title: `Role ${t.role} ${pub ? 'can be assumed by anyone' : `trusts outside account${accounts.length > 1 ? 's' : ''} ${accounts.join(', ')}`}`,
    explanation: `${whoWhen(e)} ${verb} ${t.role} with a trust policy that allows ${t.grants.map(describeGrant).join('; ')} to assume it.`,
    artefacts: [{ type: 'role', value: t.role }, ...accounts.map((a) => ({ type: 'account', value: a }))],
    remediation: [
      `Confirm with the owner of role ${t.role} whether ${accounts.length ? `account(s) ${accounts.join(', ')}` : 'public access'} should be trusted.`,
      `If not: restore the previous trust policy of ${t.role} (aws iam update-assume-role-policy --role-name ${t.role} --policy-document file://trust.json) or delete the role if the attacker created it.`,
      `Revoke sessions already issued for ${t.role} (IAM console "Revoke active sessions", which adds a deny on aws:TokenIssueTime) and search this case for sts:AssumeRole into ${t.role}.`,
    ],
  });
});

export const crossAccountAssumeRole = streamCheck({
  id: 'persistence.cross-account-assume-role', version: '1.0.0', title: 'Role assumed from an outside account',
  category: 'persistence', severity: 'medium', attack: ['T1078.004'],
  description: 'Successful sts:AssumeRole whose caller belongs to an account not seen in the case. High when the same case shows the role\'s trust being opened to outsiders. One finding per caller account and role, events within 24 h grouped.',
  select: { eventNames: ['AssumeRole', 'CreateRole', 'UpdateAssumeRolePolicy'], eventSources: ['sts.amazonaws.com', IAM] },
}, (ctx, make) => {
  // State (README.md, "Speed and size"): the roles whose trust was opened (either order in time: the set is read at the end) and
  // the AssumeRole calls from outside accounts, kept light with their caller account and role read from the
  // record: rare, and every one is cited.
  const opened = new Set<string>();
  const cross: AnalysisEvent[] = [];
  const info = new Map<AnalysisEvent, { caller: string; roleArn: string | null }>();
  const pool = new Map<string, string>();
  const add = (e: AnalysisEvent) => {
    const t = trustGrants(e, ctx, 'persistence.cross-account-assume-role');
    if (t && t.grants.length) opened.add(t.role);
    if (!is(e, 'sts.amazonaws.com', 'AssumeRole') || failed(e)) return;
    const caller = callerAccount(e);
    const roleArn = str(req(e).roleArn);
    const roleAcct = (roleArn ? accountOf(roleArn) : null) ?? e.n.recipientAccountId;
    if (caller === null || roleAcct === null || caller === roleAcct || !isOutsideAccount(ctx.ownAccounts, caller)) return;
    const l = lightCopy(e, pool);
    info.set(l, { caller, roleArn });
    cross.push(l);
  };
  const finish = () => clusters(cross, (e) => `${info.get(e)!.caller}|${info.get(e)!.roleArn}`, 24 * HOUR_MS).map((group) => {
    const e = group[0];
    const roleArn = info.get(e)!.roleArn ?? '(role not recorded)';
    const role = nameOf(roleArn);
    const caller = info.get(e)!.caller;
    const backdoored = opened.has(role);
    return make({
      events: group,
      severity: backdoored ? 'high' : 'medium',
      title: `Role ${role} assumed from outside account ${caller}${backdoored ? ' after its trust was opened' : ''}`,
      explanation: `${plural(group.length, 'AssumeRole call')} (${span(group)}) by ${e.n.principalArn ?? e.n.principalId ?? 'a principal'} of account ${caller} obtained credentials for ${roleArn}.${backdoored ? ` The case also shows the trust policy of ${role} being changed to allow outside principals.` : ''}`,
      artefacts: [{ type: 'role', value: roleArn }, { type: 'account', value: caller }],
      remediation: [
        `Confirm whether account ${caller} is a known partner or part of your organisation; if it is, add it to the case scope accounts.`,
        `If not: remove account ${caller} from the trust policy of ${role}, revoke active sessions of ${role}, and review what the assumed sessions did (pivot on the role session ARNs).`,
      ],
    });
  });
  return { add, finish };
});

function layerArns(e: AnalysisEvent): string[] {
  const fromReq = list(req(e).layers).map((l) => str(l) ?? str(obj(l)?.arn)).filter((x): x is string => x !== null);
  const fromResp = list(resp(e).layers).map((l) => str(obj(l)?.arn) ?? str(l)).filter((x): x is string => x !== null);
  return uniq([...fromReq, ...fromResp]);
}

function functionName(e: AnalysisEvent): string {
  const f = str(req(e).functionName) ?? str(resp(e).functionName) ?? '(function not recorded)';
  return f.startsWith('arn:') ? nameOf(f) : f;
}

export const lambdaFunctionCreated = perEventCheck({
  id: 'persistence.lambda-function-created', version: '1.0.0', title: 'Lambda function created',
  category: 'persistence', severity: 'low', attack: ['T1648'],
  description: 'Successful lambda:CreateFunction. Low on its own; medium when it pulls a layer from an account not seen in the case.',
  select: { eventNames: ['CreateFunction'], eventSources: [LAMBDA] },
}, (e, ctx, make) => {
  if (!is(e, LAMBDA, 'CreateFunction') || skip(e)) return null;
  const fn = functionName(e);
  const role = str(req(e).role);
  const layers = layerArns(e);
  const outside = layers.filter((l) => { const a = accountOf(l); return a !== null && isOutsideAccount(ctx.ownAccounts, a); });
  return make({
    events: [e],
    severity: outside.length ? 'medium' : 'low',
    title: `Lambda function ${fn} created${outside.length ? ' with a layer from an outside account' : ''}`,
    explanation: `${whoWhen(e)} created Lambda function ${fn}${role ? ` running as ${role}` : ''}${layers.length ? ` with layers ${layers.join(', ')}` : ''}.`,
    artefacts: [{ type: 'function', value: fn }, ...(role ? [{ type: 'role', value: role }] : []), ...layers.map((l) => ({ type: 'layer', value: l }))],
    remediation: [
      `Confirm with the owner of ${e.n.principalArn ?? 'the caller'} that function ${fn} is expected; review its code, triggers and role.`,
      `If not: delete function ${fn} (aws lambda delete-function --function-name ${fn}) after preserving its code package (aws lambda get-function).`,
    ],
  });
});

export const lambdaCodeUpdated = perEventCheck({
  id: 'persistence.lambda-code-updated', version: '1.0.0', title: 'Lambda function code replaced',
  category: 'persistence', severity: 'medium', attack: ['T1648'],
  description: 'Successful lambda:UpdateFunctionCode: the function now runs new code with its existing role and triggers.',
  select: { eventNames: ['UpdateFunctionCode'], eventSources: [LAMBDA] },
}, (e, _ctx, make) => {
  if (!is(e, LAMBDA, 'UpdateFunctionCode') || skip(e)) return null;
  const fn = functionName(e);
  const sha = str(resp(e).codeSha256);
  return make({
    events: [e],
    title: `Code of Lambda function ${fn} replaced`,
    explanation: `${whoWhen(e)} uploaded new code for Lambda function ${fn}${sha ? ` (code SHA-256 ${sha})` : ''}.`,
    artefacts: [{ type: 'function', value: fn }],
    remediation: [
      `Confirm the deployment of ${fn} at ${span([e])} with its owner or the CI/CD pipeline records.`,
      `If unexpected: download the current package (aws lambda get-function --function-name ${fn}) as evidence, then redeploy the last known-good version and review the function's role permissions.`,
    ],
  });
});

export const lambdaLayerAdded = perEventCheck({
  id: 'persistence.lambda-layer-added', version: '1.0.0', title: 'Lambda function configured with layers',
  category: 'persistence', severity: 'medium', attack: ['T1648'],
  description: 'Successful lambda:UpdateFunctionConfiguration that sets layers (request) or leaves the function with layers (response). Layers and extensions run inside every invocation. High when a layer belongs to an account not seen in the case.',
  select: { eventNames: ['UpdateFunctionConfiguration'], eventSources: [LAMBDA] },
}, (e, ctx, make) => {
  if (!is(e, LAMBDA, 'UpdateFunctionConfiguration') || skip(e)) return null;
  const layers = layerArns(e);
  if (layers.length === 0) return null;
  const fn = functionName(e);
  const outside = layers.filter((l) => { const a = accountOf(l); return a !== null && isOutsideAccount(ctx.ownAccounts, a); });
  return make({
    events: [e],
    severity: outside.length ? 'high' : 'medium',
    title: `Lambda function ${fn} configured with layer${layers.length > 1 ? 's' : ''}${outside.length ? ' from an outside account' : ''}`,
    explanation: `${whoWhen(e)} updated the configuration of Lambda function ${fn}; its layers are ${layers.join(', ')}.`,
    artefacts: [{ type: 'function', value: fn }, ...layers.map((l) => ({ type: 'layer', value: l }))],
    remediation: [
      `Confirm with the owner of ${fn} that layer(s) ${layers.map(nameOf).join(', ')} belong there; inspect the layer contents (aws lambda get-layer-version-by-arn).`,
      `If not: remove the layer (aws lambda update-function-configuration --function-name ${fn} --layers <previous list>) and review invocations since ${span([e])}.`,
    ],
  });
});

export const lambdaPermissionWide = perEventCheck({
  id: 'persistence.lambda-permission-wide', version: '1.0.0', title: 'Lambda function invocable by anyone or an outside account',
  category: 'persistence', severity: 'high', attack: ['T1648'],
  description: 'Successful lambda:AddPermission granting principal "*" (without principalOrgID/sourceAccount/sourceArn) or an AWS account not seen in the case. Service principals are not reported; a record that does not name the principal is reported at medium.',
  select: { eventNames: ['AddPermission'], eventSources: [LAMBDA] },
}, (e, ctx, make) => {
  if (!is(e, LAMBDA, 'AddPermission') || skip(e)) return null;
  const r = req(e);
  const principal = str(r.principal);
  const restricted = str(r.principalOrgID) ?? str(r.sourceAccount) ?? str(r.sourceArn);
  const acct = principal ? accountOf(principal) : null;
  const pub = principal === '*' && !restricted;
  const outside = acct !== null && isOutsideAccount(ctx.ownAccounts, acct);
  // A record without the principal cannot be judged; it is surfaced at medium rather than dropped.
  if (principal && !pub && !outside) return null;
  const fn = functionName(e);
  const action = str(r.action) ?? 'lambda:InvokeFunction';
  return make({
    events: [e],
    severity: principal ? 'high' : 'medium',
    title: !principal ? `Lambda function ${fn} permission added (grantee not recorded)` : pub ? `Lambda function ${fn} made invocable by anyone` : `Lambda function ${fn} opened to outside account ${acct}`,
    explanation: `${whoWhen(e)} added statement ${str(r.statementId) ?? '(no id)'} to the resource policy of Lambda function ${fn} allowing ${!principal ? 'a principal the record does not name' : pub ? 'any principal ("*")' : `${principal} (account ${acct})`} to call ${action}.`,
    artefacts: [{ type: 'function', value: fn }, ...(acct ? [{ type: 'account', value: acct }] : [])],
    remediation: [
      `Confirm with the owner of ${fn} whether ${pub ? 'public' : `account ${acct}`} access is intended.`,
      `If not: remove the statement (aws lambda remove-permission --function-name ${fn} --statement-id ${str(r.statementId) ?? 'ID'}) and review invocations of ${fn} since ${span([e])}.`,
    ],
  });
});

export const ec2KeyPair = perEventCheck({
  id: 'persistence.ec2-key-pair', version: '1.0.0', title: 'EC2 key pair imported or created',
  category: 'persistence', severity: 'low', attack: ['T1098.004'],
  description: 'Successful ec2:ImportKeyPair (the caller holds the private key of a public key it brought) or ec2:CreateKeyPair (private key returned to the caller). Instances launched with it accept that key for SSH.',
  select: { eventNames: ['ImportKeyPair', 'CreateKeyPair'], eventSources: ['ec2.amazonaws.com'] },
}, (e, _ctx, make) => {
  if (!is(e, 'ec2.amazonaws.com', 'ImportKeyPair', 'CreateKeyPair') || skip(e)) return null;
  const name = str(req(e).keyName) ?? str(resp(e).keyName) ?? '(name not recorded)';
  const imported = is(e, 'ec2.amazonaws.com', 'ImportKeyPair');
  return make({
    events: [e],
    severity: imported ? 'medium' : 'low',
    title: `EC2 key pair ${name} ${imported ? 'imported' : 'created'}`,
    explanation: `${whoWhen(e)} ${imported ? 'imported public key' : 'created key pair'} ${name}${str(resp(e).keyFingerprint) ? ` (fingerprint ${str(resp(e).keyFingerprint)})` : ''}.`,
    artefacts: [{ type: 'key-pair', value: name }],
    remediation: [
      `Confirm with ${callerName(e) ?? 'the caller'} that key pair ${name} is expected.`,
      `If not: delete it (aws ec2 delete-key-pair --key-name ${name}) and list instances launched with it (aws ec2 describe-instances --filters Name=key-name,Values=${name}).`,
    ],
  });
});

export const ec2InstanceUserData = perEventCheck({
  id: 'persistence.ec2-instance-launched-with-user-data', version: '1.0.0', title: 'EC2 instance launched with user data',
  category: 'persistence', severity: 'low', attack: ['T1037'],
  description: 'Successful ec2:RunInstances carrying user data (a boot script; CloudTrail hides its content). Routine in many estates; listed so the launch can be tied to other findings of the same principal.',
  select: { eventNames: ['RunInstances'], eventSources: ['ec2.amazonaws.com'] },
}, (e, _ctx, make) => {
  if (!is(e, 'ec2.amazonaws.com', 'RunInstances') || skip(e)) return null;
  if (req(e).userData === undefined || req(e).userData === null) return null;
  const instances = list(obj(resp(e).instancesSet)?.items).map((i) => str(obj(i)?.instanceId)).filter((x): x is string => x !== null);
  return make({
    events: [e],
    title: words(instances.length > 1 ? 'EC2 instances' : 'EC2 instance', instances.join(', '), 'launched with user data'),
    explanation: `${whoWhen(e)} launched ${instances.length ? instances.join(', ') : 'instances'} with a user-data boot script (content not logged by CloudTrail).`,
    artefacts: instances.map((i) => ({ type: 'instance', value: i })),
    remediation: [
      `Read the user data of ${instances[0] ?? 'the instance'} (aws ec2 describe-instance-attribute --attribute userData --instance-id ${instances[0] ?? 'ID'}) and confirm it matches the expected template.`,
    ],
  });
});

export const stsFederationToken = perEventCheck({
  id: 'persistence.sts-federation-token', version: '1.0.0', title: 'Federation token issued',
  category: 'persistence', severity: 'medium', attack: ['T1098.001'],
  description: 'Successful sts:GetFederationToken. The temporary credentials stay valid (up to 36 h) after the calling user\'s access key is deleted; high when the session policy grants "*" on "*".',
  select: { eventNames: ['GetFederationToken'], eventSources: ['sts.amazonaws.com'] },
}, (e, ctx, make) => {
  if (!is(e, 'sts.amazonaws.com', 'GetFederationToken') || skip(e)) return null;
  const name = str(req(e).name) ?? '(name not recorded)';
  const fedArn = str(obj(resp(e).federatedUser)?.arn);
  const key = str(obj(resp(e).credentials)?.accessKeyId);
  const rawPolicy = req(e).policy;
  let admin = false;
  if (rawPolicy !== undefined && rawPolicy !== null) {
    const p = parsePolicy(rawPolicy);
    if (p.ok) admin = adminLevel(p.policy) === 'admin';
    else ctx.warn?.(e.eventId, 'persistence.sts-federation-token', `session policy could not be read: ${p.reason}`);
  }
  return make({
    events: [e],
    severity: admin ? 'high' : 'medium',
    title: `Federation token issued for ${name}${admin ? ' with an allow-everything session policy' : ''}`,
    explanation: `${whoWhen(e)} obtained federation credentials${key ? ` ${key}` : ''} for federated user ${fedArn ?? name}${admin ? ' with a session policy allowing "*" on "*"' : ''}.`,
    artefacts: [{ type: 'principal', value: fedArn ?? name }, ...(key ? [{ type: 'access-key', value: key }] : [])],
    remediation: [
      `Federation tokens cannot be revoked one by one: attach a deny-all inline policy to the IAM user ${callerName(e) ?? '(caller)'} (federated sessions are limited by that user's permissions) until the token expires.`,
      `Pivot on ${fedArn ?? name}${key ? ` and ${key}` : ''} to see what the federated session did.`,
    ],
  });
});

export const rolesAnywhere = perEventCheck({
  id: 'persistence.rolesanywhere-trust', version: '1.0.0', title: 'IAM Roles Anywhere trust anchor or profile created or changed',
  category: 'persistence', severity: 'high', attack: ['T1098.001'],
  description: 'Successful rolesanywhere Create/Update of trust anchors (a certificate authority whose certificates can obtain role credentials from outside AWS) and profiles (which roles those certificates get).',
  select: { eventNames: ['CreateTrustAnchor', 'UpdateTrustAnchor', 'CreateProfile', 'UpdateProfile'], eventSources: ['rolesanywhere.amazonaws.com'] },
}, (e, _ctx, make) => {
  if (!is(e, 'rolesanywhere.amazonaws.com', 'CreateTrustAnchor', 'UpdateTrustAnchor', 'CreateProfile', 'UpdateProfile') || skip(e)) return null;
  const anchor = /TrustAnchor$/.test(apiOf(e));
  const name = str(req(e).name) ?? str(obj(resp(e).trustAnchor)?.name) ?? str(obj(resp(e).profile)?.name) ?? '(name not recorded)';
  const roles = list(req(e).roleArns).map(str).filter((x): x is string => x !== null);
  return make({
    events: [e],
    severity: anchor ? 'high' : 'medium',
    title: `IAM Roles Anywhere ${anchor ? 'trust anchor' : 'profile'} ${name} ${apiOf(e).includes(':Create') ? 'created' : 'updated'}`,
    explanation: `${whoWhen(e)} called ${apiOf(e)} for ${anchor ? 'trust anchor' : 'profile'} ${name}${roles.length ? ` granting roles ${roles.join(', ')}` : ''}.`,
    artefacts: [{ type: anchor ? 'trust-anchor' : 'profile', value: name }, ...roles.map((r) => ({ type: 'role', value: r }))],
    remediation: [
      `Confirm with the cloud identity team that ${anchor ? 'the certificate authority of trust anchor' : 'profile'} ${name} is sanctioned.`,
      `If not: disable and delete it (aws rolesanywhere disable-${anchor ? 'trust-anchor' : 'profile'} / delete-${anchor ? 'trust-anchor' : 'profile'}) and revoke sessions of the roles it grants.`,
    ],
  });
});

const IDP_EVENTS = ['CreateSAMLProvider', 'UpdateSAMLProvider', 'DeleteSAMLProvider', 'CreateOpenIDConnectProvider', 'UpdateOpenIDConnectProviderThumbprint', 'AddClientIDToOpenIDConnectProvider', 'DeleteOpenIDConnectProvider'];

export const identityProvider = perEventCheck({
  id: 'persistence.iam-identity-provider-changed', version: '1.0.0', title: 'IAM identity provider created, changed or deleted',
  category: 'persistence', severity: 'high', attack: ['T1484.002'],
  description: 'Successful IAM SAML / OpenID Connect provider changes by a customer principal (changes made by the AWSServiceRoleForSSO service-linked role are not reported). A new or altered provider lets its identities assume roles that trust it; deletions are reported at low severity.',
  select: { eventNames: IDP_EVENTS, eventSources: [IAM] },
}, (e, _ctx, make) => {
  if (!is(e, IAM, ...IDP_EVENTS) || skip(e)) return null;
  const arn = str(req(e).sAMLProviderArn) ?? str(req(e).openIDConnectProviderArn) ?? str(resp(e).sAMLProviderArn) ?? str(resp(e).openIDConnectProviderArn);
  const name = arn ?? str(req(e).name) ?? str(req(e).url) ?? '(provider not recorded)';
  const del = apiOf(e).includes(':Delete');
  return make({
    events: [e],
    severity: del ? 'low' : 'high',
    title: `IAM identity provider ${nameOf(name)} ${del ? 'deleted' : apiOf(e).includes(':Create') ? 'created' : 'changed'}`,
    explanation: `${whoWhen(e)} called ${apiOf(e)} for identity provider ${name}.`,
    artefacts: [{ type: 'provider', value: name }],
    remediation: del
      ? [`Confirm the deletion of identity provider ${name} with the identity team; sign-ins through it now fail.`]
      : [`Confirm with the identity team that provider ${name} and its metadata/thumbprint are sanctioned.`, `If not: delete it (aws iam delete-saml-provider / delete-open-id-connect-provider) and review roles whose trust policy names it.`],
  });
});

const SSO_SOURCES = ['sso.amazonaws.com', 'sso-directory.amazonaws.com', 'identitystore.amazonaws.com'];
const SSO_EVENTS = [
  'CreateUser', 'CreateGroupMembership', 'AddMemberToGroup', 'CreatePermissionSet', 'AttachManagedPolicyToPermissionSet',
  'AttachCustomerManagedPolicyReferenceToPermissionSet', 'PutInlinePolicyToPermissionSet', 'CreateAccountAssignment',
  'CreateExternalIdPConfigurationForDirectory', 'UpdateExternalIdPConfigurationForDirectory',
];

export const identityCenterChange = perEventCheck({
  id: 'persistence.identity-center-change', version: '1.0.0', title: 'IAM Identity Center identity or permission change',
  category: 'persistence', severity: 'medium', attack: ['T1136.003', 'T1098.003'],
  description: 'Successful IAM Identity Center (sso, sso-directory, identitystore) calls that add users, group members, permission sets, policies on permission sets, account assignments or external identity provider configuration. High when AdministratorAccess is attached to a permission set or the external IdP changes.',
  select: { eventNames: SSO_EVENTS, eventSources: SSO_SOURCES },
}, (e, _ctx, make) => {
  if (!is(e, SSO_SOURCES, ...SSO_EVENTS) || skip(e)) return null;
  const r = req(e);
  const policy = str(r.managedPolicyArn) ?? str(obj(r.customerManagedPolicyReference)?.name);
  const admin = policy !== null && /AdministratorAccess$/.test(policy);
  const idp = /ExternalIdP/.test(apiOf(e));
  const what: Artefact[] = [];
  for (const [k, type] of [['userName', 'user'], ['permissionSetArn', 'permission-set'], ['name', 'permission-set'], ['targetId', 'account'], ['principalId', 'principal'], ['groupId', 'group']] as const) {
    const v = str(r[k]);
    if (v) what.push({ type, value: v });
  }
  return make({
    events: [e],
    severity: admin || idp ? 'high' : 'medium',
    title: `Identity Center ${apiOf(e).split(':')[1]}${admin ? ' (AdministratorAccess)' : ''}`,
    explanation: `${whoWhen(e)} called ${apiOf(e)}${what.length ? ` (${what.map((a) => `${a.type} ${a.value}`).join(', ')})` : ''}${policy ? ` with policy ${policy}` : ''}.`,
    artefacts: what,
    remediation: [
      `Confirm the change with the IAM Identity Center administrators (who requested ${apiOf(e).split(':')[1]} at ${span([e])}).`,
      'If unsanctioned: revert it in IAM Identity Center (remove the user/assignment/policy), then review sign-ins of the affected identities.',
    ],
  });
});

export const PERSISTENCE_CHECKS: Check[] = [
  iamUserCreated, accessKeyCreated, accessKeyCreatedForOther, loginProfileCreated, roleTrustOutside, crossAccountAssumeRole,
  lambdaFunctionCreated, lambdaCodeUpdated, lambdaLayerAdded, lambdaPermissionWide, ec2KeyPair, ec2InstanceUserData,
  stsFederationToken, rolesAnywhere, identityProvider, identityCenterChange,
];

