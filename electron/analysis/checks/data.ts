// Data access, sharing and exfiltration checks (issue "Analysis", Checks: Data
// access and exfiltration), plus bulk reads of secrets (credential access).
import type { AnalysisEvent, Severity } from '../../../shared/analysis/findings.ts';
import { parseCidr } from '../../../shared/ip.ts';
import { HOUR_MS, isoUtcSeconds } from '../../../shared/time.ts';
import { apiCheck, defineCheck, streamCheck } from './define.ts';
import {
  actorKey, actorLabel, apiOf, lightCopy, bool, callerName, clusters, eventName, extra, failed, invokedBy, is, isAwsInternal,
  isOutsideAccount, list, nameOf, num, obj, plural, req, resp, span, str, uniq, fmtBytes, whoWhen, during, type Rec,
} from './event.ts';
import { describeGrant, externalGrants, parsePolicy } from './policy.ts';
import { byTime } from './registry.ts';
import type { Check, CheckContext, FindingDraft } from './types.ts';

const S3 = 's3.amazonaws.com';

// ---- S3 read volume -------------------------------------------------------

/** Per principal and bucket, one UTC clock hour is "large" at or above either threshold. */
export const S3_VOLUME_THRESHOLDS = { objectsPerHour: 1000, bytesPerHour: 1024 ** 3, highObjectsPerHour: 10000, highBytesPerHour: 10 * 1024 ** 3 };

export const s3ReadVolume = streamCheck({
  id: 'collection.s3-read-volume', version: '1.0.0', title: 'Large volume of S3 object reads by one principal',
  category: 'collection', severity: 'medium', attack: ['T1530'],
  description: `S3 GetObject data events per principal and bucket, counted per UTC hour with bytes summed from additionalEventData.bytesTransferredOut where recorded. An hour is large at >= ${S3_VOLUME_THRESHOLDS.objectsPerHour} objects or >= 1 GiB; high at >= ${S3_VOLUME_THRESHOLDS.highObjectsPerHour} objects or >= 10 GiB. One finding per principal and bucket covering its large hours. Requires S3 data events in the case.`,
  select: { eventNames: ['GetObject'], eventSources: [S3] },
}, (_ctx, make) => {
  // State (README.md, "Speed and size"): per principal and bucket, its large hours (their events kept light: the finding cites
  // them all) and the hour in progress. Events arrive in time order, so when a later hour starts every hour
  // before it is complete: a small one is dropped, a large one keeps its events and counts only.
  type Hour = { events: AnalysisEvent[]; bytes: number; objects: Set<string> | null; distinct: number };
  const T = S3_VOLUME_THRESHOLDS;
  const groups = new Map<string, Map<number, Hour>>();
  const open = new Map<string, number>();
  const pool = new Map<string, string>();
  let current = -Infinity;
  const close = () => {
    for (const [key, h] of open) {
      const hours = groups.get(key)!;
      const hour = hours.get(h)!;
      if (hour.events.length >= T.objectsPerHour || hour.bytes >= T.bytesPerHour) {
        hour.distinct = hour.objects!.size;
        hour.objects = null;
      } else hours.delete(h);
    }
    open.clear();
  };
  const add = (e: AnalysisEvent) => {
    if (!is(e, S3, 'GetObject') || failed(e) || e.timeMs === null) return;
    const h = Math.floor(e.timeMs / HOUR_MS);
    if (h !== current) {
      close();
      current = h;
    }
    const bucket = str(req(e).bucketName) ?? '(bucket not recorded)';
    const key = `${actorKey(e)}\u0000${bucket}`;
    let hours = groups.get(key);
    if (!hours) { hours = new Map(); groups.set(key, hours); }
    let hour = hours.get(h);
    if (!hour) { hour = { events: [], bytes: 0, objects: new Set(), distinct: 0 }; hours.set(h, hour); open.set(key, h); }
    hour.events.push(lightCopy(e, pool));
    hour.bytes += num(extra(e).bytesTransferredOut) ?? 0;
    hour.objects!.add(str(req(e).key) ?? e.eventId);
  };
  return { add, finish: () => { close(); return report(); } };
  function report() {
    const out = [];
    for (const [key, hours] of groups) {
      const large = [...hours.entries()].filter(([, h]) => h.events.length >= T.objectsPerHour || h.bytes >= T.bytesPerHour).sort((a, b) => a[0] - b[0]);
      if (large.length === 0) continue;
      const [, bucket] = key.split('\u0000');
      const evs = large.flatMap(([, h]) => h.events);
      const totalBytes = large.reduce((s, [, h]) => s + h.bytes, 0);
      const high = large.some(([, h]) => h.events.length >= T.highObjectsPerHour || h.bytes >= T.highBytesPerHour);
      const rows = large.slice(0, 12).map(([h, v]) => `${isoUtcSeconds(h * HOUR_MS).slice(0, 13)}h: ${v.events.length} GetObject, ${v.distinct} distinct keys, ${fmtBytes(v.bytes)}`);
      out.push(make({
        events: evs,
        severity: high ? 'high' : 'medium',
        title: `${actorLabel(evs[0])} read ${plural(evs.length, 'object')} (${fmtBytes(totalBytes)}) from bucket ${bucket}`,
        explanation: `${actorLabel(evs[0])} made ${evs.length} successful GetObject calls on bucket ${bucket} in ${plural(large.length, 'hour')} at or over the threshold (${span(evs)}): ${rows.join('; ')}${large.length > 12 ? `; and ${large.length - 12} more hours` : ''}. Bytes are counted where CloudTrail recorded bytesTransferredOut.`,
        artefacts: [{ type: 'bucket', value: bucket }],
        remediation: [
          `Confirm with the owner of ${actorLabel(evs[0])} whether bulk reads of ${bucket} are part of its job (backups, analytics).`,
          `If not: revoke the principal's credentials/sessions, list the keys read (pivot on this finding's events) to scope the data exposed, and restrict ${bucket}'s bucket policy.`,
        ],
      }));
    }
    return out;
  }
});

// ---- Resource policies opened ---------------------------------------------

/** Where each service's CloudTrail request carries the resource policy. */
const POLICY_FIELDS: Record<string, { names: string[]; get: (r: Rec) => unknown; resource: (r: Rec) => string | null; type: string }> = {
  's3.amazonaws.com': { names: ['PutBucketPolicy'], get: (r) => r.bucketPolicy ?? r.policy, resource: (r) => str(r.bucketName), type: 'bucket' },
  'ecr.amazonaws.com': { names: ['SetRepositoryPolicy'], get: (r) => r.policyText, resource: (r) => str(r.repositoryName), type: 'repository' },
  'sqs.amazonaws.com': { names: ['SetQueueAttributes', 'CreateQueue'], get: (r) => obj(r.attributes)?.Policy, resource: (r) => str(r.queueUrl) ?? str(r.queueName), type: 'queue' },
  'sns.amazonaws.com': { names: ['SetTopicAttributes', 'CreateTopic'], get: (r) => (str(r.attributeName) === 'Policy' ? r.attributeValue : obj(r.attributes)?.Policy), resource: (r) => str(r.topicArn) ?? str(r.name), type: 'topic' },
  'secretsmanager.amazonaws.com': { names: ['PutResourcePolicy'], get: (r) => r.resourcePolicy, resource: (r) => str(r.secretId), type: 'secret' },
  'kms.amazonaws.com': { names: ['PutKeyPolicy', 'CreateKey'], get: (r) => r.policy, resource: (r) => str(r.keyId), type: 'kms-key' },
  'es.amazonaws.com': { names: ['CreateElasticsearchDomain', 'UpdateElasticsearchDomainConfig', 'CreateDomain', 'UpdateDomainConfig'], get: (r) => r.accessPolicies, resource: (r) => str(r.domainName), type: 'domain' },
  'elasticfilesystem.amazonaws.com': { names: ['PutFileSystemPolicy'], get: (r) => r.policy, resource: (r) => str(r.fileSystemId), type: 'file-system' },
  'backup.amazonaws.com': { names: ['PutBackupVaultAccessPolicy'], get: (r) => r.policy, resource: (r) => str(r.backupVaultName), type: 'backup-vault' },
};
const POLICY_SOURCES = Object.keys(POLICY_FIELDS);
const POLICY_NAMES = uniq(Object.values(POLICY_FIELDS).flatMap((f) => f.names));

export const resourcePolicyOpened = defineCheck({
  id: 'exfiltration.resource-policy-opened', version: '1.0.0', title: 'Resource policy grants access to anyone or an outside account',
  category: 'exfiltration', severity: 'high', attack: ['T1537'],
  description: 'Successful resource-policy writes (S3 PutBucketPolicy, ECR SetRepositoryPolicy, SQS/SNS policy attributes, Secrets Manager PutResourcePolicy, KMS PutKeyPolicy/CreateKey, OpenSearch access policies, EFS and Backup vault policies) whose Allow statements name "*" without a limiting condition (aws:PrincipalOrgID, aws:SourceVpc(e), aws:SourceIp, aws:SourceAccount, ...) or an AWS account not seen in the case. Unreadable policies are reported to ctx.warn, not as findings.',
  select: { eventNames: POLICY_NAMES, eventSources: POLICY_SOURCES },
}, (events, ctx, make) => {
  const out = [];
  for (const e of events) {
    const f = e.n.eventSource ? POLICY_FIELDS[e.n.eventSource] : undefined;
    if (!f || !f.names.includes(eventName(e)) || failed(e) || isAwsInternal(e)) continue;
    const r = req(e);
    const raw = f.get(r);
    if (raw === undefined || raw === null || raw === '') continue;
    const p = parsePolicy(raw);
    if (!p.ok) { ctx.warn?.(e.eventId, 'exfiltration.resource-policy-opened', `${apiOf(e)} policy could not be read: ${p.reason}`); continue; }
    const grants = externalGrants(p.policy, ctx.ownAccounts).filter((g) => g.kind !== 'federated-unconditioned');
    if (grants.length === 0) continue;
    const pub = grants.some((g) => g.kind === 'public');
    const res = f.resource(r) ?? '(resource not recorded)';
    const accounts = uniq(grants.map((g) => g.account).filter((a): a is string => a !== null));
    out.push(make({
      events: [e],
      severity: pub ? 'high' : 'medium',
      attack: pub ? ['T1530'] : ['T1537'],
      title: `${f.type} ${nameOf(res)} ${pub ? 'opened to anyone' : `shared with outside account${accounts.length > 1 ? 's' : ''} ${accounts.join(', ')}`} by its resource policy`,
      explanation: `${whoWhen(e)} called ${apiOf(e)} on ${f.type} ${res}; the new policy allows ${grants.map((g) => `${describeGrant(g)} to ${g.actions.join(', ') || '(no actions listed)'}`).join('; ')}.`,
      artefacts: [{ type: f.type, value: res }, ...accounts.map((a) => ({ type: 'account', value: a }))],
      remediation: [
        `Confirm with the owner of ${f.type} ${res} whether this access is intended.`,
        `If not: restore the previous policy (or remove the statement${grants[0].sid ? ` ${grants[0].sid}` : ''}), then review data-plane access to ${res} since ${span([e])} (S3/KMS data events, queue/topic metrics).`,
      ],
    }));
  }
  return out;
});

// ---- S3 ACLs and public access blocks ---------------------------------------

const PUBLIC_GROUPS = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;
const PUBLIC_CANNED = ['public-read', 'public-read-write', 'authenticated-read'];

/** Public grantees of an S3 ACL request (canned ACL header, grant headers, or AccessControlPolicy body). */
export function publicAclGrants(r: Rec): string[] {
  const out: string[] = [];
  for (const c of list(r['x-amz-acl'])) if (PUBLIC_CANNED.includes(String(c))) out.push(`canned ACL ${c}`);
  for (const [k, v] of Object.entries(r)) {
    if (/^x-amz-grant-/.test(k)) for (const g of list(v)) { const m = PUBLIC_GROUPS.exec(String(g)); if (m) out.push(`${k.slice('x-amz-grant-'.length)} to ${m[1]}`); }
  }
  const acl = obj(obj(r.AccessControlPolicy)?.AccessControlList);
  for (const g of list(acl?.Grant)) {
    const go = obj(g);
    const uri = str(obj(go?.Grantee)?.URI);
    const m = uri ? PUBLIC_GROUPS.exec(uri) : null;
    if (m) out.push(`${str(go?.Permission) ?? 'access'} to ${m[1]}`);
  }
  return uniq(out);
}

export const s3AclPublic = apiCheck({
  id: 'exfiltration.s3-acl-public', version: '1.0.0', title: 'S3 ACL grants access to all users',
  category: 'exfiltration', severity: 'high', attack: ['T1530'],
  description: 'Successful s3:PutBucketAcl / PutObjectAcl whose canned ACL (public-read, public-read-write, authenticated-read), x-amz-grant-* headers or AccessControlPolicy grant the AllUsers or AuthenticatedUsers groups.',
}, { sources: [S3], names: ['PutBucketAcl', 'PutObjectAcl'] }, (e) => {
  const grants = publicAclGrants(req(e));
  if (grants.length === 0) return null;
  const bucket = str(req(e).bucketName) ?? '(bucket not recorded)';
  const key = str(req(e).key);
  const target = key ? `object ${key} in bucket ${bucket}` : `bucket ${bucket}`;
  return {
    title: `${target[0].toUpperCase()}${target.slice(1)} made public by ACL`,
    did: `set an ACL on ${target} granting ${grants.join(', ')}`,
    artefacts: [{ type: 'bucket', value: bucket }, ...(key ? [{ type: 'object', value: `${bucket}/${key}` }] : [])],
    remediation: [`Set a private ACL on ${target} (aws s3api put-${key ? 'object' : 'bucket'}-acl --acl private ...) and enable Block Public Access; review GetObject activity from outside principals since this event.`],
  };
});

const PAB_FIELDS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'];

export const publicAccessBlockRemoved = apiCheck({
  id: 'exfiltration.s3-public-access-block-removed', version: '1.0.0', title: 'S3 Block Public Access removed or weakened',
  category: 'exfiltration', severity: 'medium', attack: ['T1530'],
  description: 'Successful deletion of a bucket or account Block Public Access configuration, or a Put* of one with any of BlockPublicAcls/IgnorePublicAcls/BlockPublicPolicy/RestrictPublicBuckets set to false. Public ACLs or policies then take effect.',
}, { sources: [S3], names: ['DeleteBucketPublicAccessBlock', 'DeletePublicAccessBlock', 'DeleteAccountPublicAccessBlock', 'PutBucketPublicAccessBlock', 'PutPublicAccessBlock', 'PutAccountPublicAccessBlock'] }, (e) => {
  const r = req(e);
  const bucket = str(r.bucketName);
  const scope = bucket ? `bucket ${bucket}` : `account ${str(r.accountId) ?? e.n.recipientAccountId ?? '(unknown)'}`;
  const del = eventName(e).startsWith('Delete');
  let off: string[] = [];
  if (!del) {
    const cfg = obj(r.PublicAccessBlockConfiguration) ?? obj(r.publicAccessBlockConfiguration) ?? {};
    off = PAB_FIELDS.filter((k) => bool(cfg[k]) === false || bool(cfg[k[0].toLowerCase() + k.slice(1)]) === false);
    if (off.length === 0) return null;
  }
  return {
    title: `Block Public Access ${del ? 'removed from' : `weakened on`} ${scope}`,
    did: del ? `deleted the Block Public Access configuration of ${scope}` : `set Block Public Access of ${scope} with ${off.join(', ')} false`,
    severity: bucket ? 'medium' : 'high',
    artefacts: bucket ? [{ type: 'bucket', value: bucket }] : [],
    remediation: [`Turn all four Block Public Access settings back on for ${scope} (aws s3api put-public-access-block ...), then look for public ACL/policy changes made while it was off.`],
  };
});

// ---- Snapshots, images, databases shared -------------------------------------

function shareTargets(items: unknown[], ctx: CheckContext): { pub: boolean; accounts: string[]; others: string[] } {
  let pub = false;
  const accounts: string[] = [];
  const others: string[] = [];
  for (const it of items) {
    const o = obj(it);
    const v = o ? str(o.group) ?? str(o.userId) ?? str(o.organizationArn) ?? str(o.organizationalUnitArn) : str(it);
    if (!v) continue;
    if (v.toLowerCase() === 'all') pub = true;
    else if (/^\d{12}$/.test(v)) { if (isOutsideAccount(ctx.ownAccounts, v)) accounts.push(v); }
    else if (v.startsWith('arn:')) others.push(v);
  }
  return { pub, accounts: uniq(accounts), others: uniq(others) };
}

function shareText(t: { pub: boolean; accounts: string[]; others: string[] }): string {
  const parts = [];
  if (t.pub) parts.push('everyone (public)');
  if (t.accounts.length) parts.push(`account${t.accounts.length > 1 ? 's' : ''} ${t.accounts.join(', ')}`);
  if (t.others.length) parts.push(t.others.join(', '));
  return parts.join(' and ');
}

export const ebsSnapshotShared = apiCheck({
  id: 'exfiltration.ebs-snapshot-shared', version: '1.0.0', title: 'EBS snapshot shared outside the estate',
  category: 'exfiltration', severity: 'high', attack: ['T1537'],
  description: 'Successful ec2:ModifySnapshotAttribute adding createVolumePermission for group "all" (public, critical) or an account not seen in the case: that account can copy the disk contents.',
}, { sources: ['ec2.amazonaws.com'], names: ['ModifySnapshotAttribute'] }, (e, ctx) => {
  const r = req(e);
  const t = shareTargets(list(obj(obj(r.createVolumePermission)?.add)?.items), ctx);
  if (!t.pub && t.accounts.length === 0 && t.others.length === 0) return null;
  const snap = str(r.snapshotId) ?? '(snapshot not recorded)';
  return {
    title: `EBS snapshot ${snap} shared with ${shareText(t)}`, did: `added create-volume permission on snapshot ${snap} for ${shareText(t)}`,
    severity: t.pub ? 'critical' : 'high',
    artefacts: [{ type: 'snapshot', value: snap }, ...t.accounts.map((a) => ({ type: 'account', value: a }))],
    remediation: [`Remove the permission (aws ec2 modify-snapshot-attribute --snapshot-id ${snap} --attribute createVolumePermission --operation-type remove ...); assume the data was copied and assess what the volume held.`],
  };
});

export const amiShared = apiCheck({
  id: 'exfiltration.ami-shared', version: '1.0.0', title: 'AMI shared outside the estate',
  category: 'exfiltration', severity: 'high', attack: ['T1537'],
  description: 'Successful ec2:ModifyImageAttribute adding launchPermission for group "all" (public, critical), an account not seen in the case, or an organization/OU ARN.',
}, { sources: ['ec2.amazonaws.com'], names: ['ModifyImageAttribute'] }, (e, ctx) => {
  const r = req(e);
  const t = shareTargets(list(obj(obj(r.launchPermission)?.add)?.items), ctx);
  if (!t.pub && t.accounts.length === 0 && t.others.length === 0) return null;
  const ami = str(r.imageId) ?? '(image not recorded)';
  return {
    title: `AMI ${ami} shared with ${shareText(t)}`, did: `added launch permission on image ${ami} for ${shareText(t)}`,
    severity: t.pub ? 'critical' : t.accounts.length ? 'high' : 'medium',
    artefacts: [{ type: 'image', value: ami }, ...t.accounts.map((a) => ({ type: 'account', value: a }))],
    remediation: [`Remove the launch permission (aws ec2 modify-image-attribute --image-id ${ami} --launch-permission "Remove=[...]"); assume the image contents were copied.`],
  };
});

export const rdsSnapshotShared = apiCheck({
  id: 'exfiltration.rds-snapshot-shared', version: '1.0.0', title: 'RDS snapshot shared outside the estate',
  category: 'exfiltration', severity: 'high', attack: ['T1537'],
  description: 'Successful rds:ModifyDBSnapshotAttribute or ModifyDBClusterSnapshotAttribute adding "all" (public, critical) or an account not seen in the case to the restore attribute.',
}, { sources: ['rds.amazonaws.com'], names: ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'] }, (e, ctx) => {
  const r = req(e);
  if ((str(r.attributeName) ?? 'restore') !== 'restore') return null;
  const t = shareTargets(list(r.valuesToAdd), ctx);
  if (!t.pub && t.accounts.length === 0) return null;
  const snap = str(r.dBSnapshotIdentifier) ?? str(r.dBClusterSnapshotIdentifier) ?? '(snapshot not recorded)';
  return {
    title: `RDS snapshot ${snap} shared with ${shareText(t)}`, did: `allowed ${shareText(t)} to restore database snapshot ${snap}`,
    severity: t.pub ? 'critical' : 'high',
    artefacts: [{ type: 'snapshot', value: snap }, ...t.accounts.map((a) => ({ type: 'account', value: a }))],
    remediation: [`Remove the accounts from the restore attribute (aws rds modify-db-snapshot-attribute --db-snapshot-identifier ${snap} --attribute-name restore --values-to-remove ...); assume the database contents were copied.`],
  };
});

export const rdsMadePublic = apiCheck({
  id: 'exfiltration.rds-made-public', version: '1.0.0', title: 'RDS database made publicly accessible',
  category: 'exfiltration', severity: 'high', attack: ['T1530'],
  description: 'Successful rds:ModifyDBInstance/ModifyDBCluster with publiclyAccessible true, or a restore (RestoreDBInstanceFromDBSnapshot, RestoreDBInstanceToPointInTime, RestoreDBClusterFromSnapshot, RestoreDBClusterToPointInTime) that comes up publicly accessible. Creating a new database is not reported.',
}, { sources: ['rds.amazonaws.com'], names: ['ModifyDBInstance', 'ModifyDBCluster', 'RestoreDBInstanceFromDBSnapshot', 'RestoreDBInstanceToPointInTime', 'RestoreDBClusterFromSnapshot', 'RestoreDBClusterToPointInTime'] }, (e) => {
  const pub = bool(req(e).publiclyAccessible) ?? bool(resp(e).publiclyAccessible);
  if (pub !== true) return null;
  const db = str(req(e).dBInstanceIdentifier) ?? str(req(e).dBClusterIdentifier) ?? '(database not recorded)';
  const restore = eventName(e).startsWith('Restore');
  return {
    title: `RDS database ${db} ${restore ? 'restored as publicly accessible' : 'made publicly accessible'}`,
    did: `${restore ? `restored database ${db} (${eventName(e)})` : `modified database ${db}`} with publiclyAccessible true`,
    artefacts: [{ type: 'database', value: db }],
    remediation: [`Set publiclyAccessible false on ${db} (aws rds modify-db-instance --db-instance-identifier ${db} --no-publicly-accessible --apply-immediately) and check its security groups and connection logs.`],
  };
});

// ---- Secrets read in bulk -----------------------------------------------------

export const SECRETS_THRESHOLD = { distinct: 10, windowMs: HOUR_MS };

/** Secret/parameter names one read event returns (only decrypted SSM parameters count). */
function secretNames(e: AnalysisEvent): { names: string[]; bulk: boolean; kind: 'secret' | 'parameter' } {
  const r0 = secretNames0(e);
  return { ...r0, kind: e.n.eventSource === 'ssm.amazonaws.com' ? 'parameter' : 'secret' };
}

function secretNames0(e: AnalysisEvent): { names: string[]; bulk: boolean } {
  const r = req(e);
  const n = eventName(e);
  if (n === 'GetSecretValue') return { names: [str(r.secretId) ?? e.eventId], bulk: false };
  if (n === 'BatchGetSecretValue') {
    const ids = list(r.secretIdList).map(str).filter((x): x is string => x !== null);
    return { names: ids.length ? ids : [`batch:${e.eventId}`], bulk: true };
  }
  if (bool(r.withDecryption) !== true) return { names: [], bulk: false };
  if (n === 'GetParameter') return { names: [str(r.name) ?? e.eventId], bulk: false };
  if (n === 'GetParameters') return { names: list(r.names).map(str).filter((x): x is string => x !== null), bulk: false };
  if (n === 'GetParametersByPath') return { names: [`${str(r.path) ?? '/'}*`], bulk: true };
  return { names: [], bulk: false };
}

export const secretsBulkRead = streamCheck({
  id: 'credential-access.secrets-bulk-read', version: '1.0.0', title: 'Many secrets read by one principal',
  category: 'credential-access', severity: 'high', attack: ['T1555.006'],
  description: `Successful secretsmanager:GetSecretValue and ssm:GetParameter(s) WithDecryption naming >= ${SECRETS_THRESHOLD.distinct} distinct secrets/parameters by one principal within ${SECRETS_THRESHOLD.windowMs / 60000} minutes; a BatchGetSecretValue or decrypted GetParametersByPath counts on its own (bulk by design). Reads made by an AWS service on the principal's behalf (invokedBy) are not counted.`,
  select: { eventNames: ['GetSecretValue', 'BatchGetSecretValue', 'GetParameter', 'GetParameters', 'GetParametersByPath'], eventSources: ['secretsmanager.amazonaws.com', 'ssm.amazonaws.com'] },
}, (ctx, make) => {
  // State (README.md, "Speed and size"), per principal: its cluster in progress (reads less than the window apart), the reads of the
  // last window, the densest window so far (a copy) and the bulk calls, each kept light with what the finding
  // needs from its record. A cluster is judged when the principal's next read comes after a gap, or at the end; with every
  // event timed (ctx.everyEventTimed), also once the pass has moved a gap past its last read, since no later read can join it.
  let sweepAt = Number.NEGATIVE_INFINITY;
  type Read = { e: AnalysisEvent; s: ReturnType<typeof secretNames>; bulkText: string | null };
  type Cluster = { last: number | null; window: Read[]; counts: Map<string, number>; best: Read[]; bestSize: number; bulk: Read[] };
  const open = new Map<string, Cluster>();
  const pool = new Map<string, string>();
  const out: FindingDraft[] = [];
  const bulkTextOf = (e: AnalysisEvent) => {
    const r = req(e);
    if (eventName(e) === 'GetParametersByPath') return `GetParametersByPath ${str(r.path) ?? '/'}${bool(r.recursive) ? ' (recursive)' : ''}`;
    const filters = list(r.filters).map((f) => `${str(obj(f)?.key) ?? '?'}=${list(obj(f)?.values).join('|')}`);
    return `BatchGetSecretValue ${filters.length ? `with filters ${filters.join(', ')}` : list(r.secretIdList).length ? `for ${list(r.secretIdList).length} secret ids` : '(selection not recorded)'}`;
  };
  const judge = (c: Cluster) => {
    if (c.bestSize < SECRETS_THRESHOLD.distinct && c.bulk.length === 0) return;
    const reads = c.bestSize >= SECRETS_THRESHOLD.distinct ? uniq([...c.best, ...c.bulk]).sort((x, y) => byTime(x.e, y.e)) : c.bulk;
    const evs = reads.map((r) => r.e);
    const names = uniq(reads.flatMap((r) => r.s.names)).filter((n) => !n.startsWith('batch:'));
    const apis = uniq(evs.map(apiOf));
    const bulkText = reads.filter((r) => r.s.bulk).map((r) => r.bulkText!);
    out.push(make({
      events: evs,
      title: `${callerName(evs[0]) ?? actorLabel(evs[0])} read ${names.length >= SECRETS_THRESHOLD.distinct ? `${names.length} secrets/parameters` : 'secrets in bulk'} (${apis.join(', ')})`,
      explanation: `${actorLabel(evs[0])} made ${plural(evs.length, 'successful read call')} (${apis.join(', ')}) ${during(evs)}${names.length ? `, naming ${plural(names.length, 'distinct secret/parameter', 'distinct secrets/parameters')}: ${names.slice(0, 10).join(', ')}${names.length > 10 ? `, and ${names.length - 10} more` : ''}` : ''}${bulkText.length ? `; bulk calls (one call can return many secrets): ${bulkText.join('; ')}` : ''}.`,
      artefacts: uniq(reads.flatMap((r) => r.s.names.filter((n) => !n.startsWith('batch:')).map((n) => `${r.s.kind}\u0000${n}`)))
        .slice(0, 50).map((k) => { const [type, value] = k.split('\u0000'); return { type, value }; }),
      remediation: [
        `Confirm with the owner of ${actorLabel(evs[0])} whether it needs these secrets.`,
        'If not: rotate every secret/parameter listed (the values must be treated as disclosed), revoke the principal\'s credentials, and look for use of the disclosed credentials.',
      ],
    }));
  };
  const add = (e: AnalysisEvent) => {
    if (!(is(e, 'secretsmanager.amazonaws.com', 'GetSecretValue', 'BatchGetSecretValue') || is(e, 'ssm.amazonaws.com', 'GetParameter', 'GetParameters', 'GetParametersByPath'))
      || failed(e) || invokedBy(e) || isAwsInternal(e)) return;
    const s = secretNames(e);
    if (s.names.length === 0) return;
    if (ctx.everyEventTimed && e.timeMs !== null && e.timeMs > sweepAt) {
      for (const [k, c] of open) {
        if (c.last !== null && e.timeMs - c.last > SECRETS_THRESHOLD.windowMs) {
          judge(c);
          open.delete(k);
        }
      }
      sweepAt = e.timeMs + SECRETS_THRESHOLD.windowMs;
    }
    const read: Read = { e: lightCopy(e, pool), s, bulkText: s.bulk ? bulkTextOf(e) : null };
    const key = actorKey(e);
    let c = open.get(key);
    // A new cluster after a gap (clusters() in event.ts: an event without a time joins the cluster in progress).
    if (c && e.timeMs !== null && c.last !== null && e.timeMs - c.last > SECRETS_THRESHOLD.windowMs) {
      judge(c);
      c = undefined;
    }
    if (!c) open.set(key, (c = { last: null, window: [], counts: new Map(), best: [], bestSize: 0, bulk: [] }));
    if (e.timeMs !== null) c.last = e.timeMs;
    // Sliding window: the most distinct names read within windowMs (counts kept incrementally).
    c.window.push(read);
    for (const n of s.names) c.counts.set(n, (c.counts.get(n) ?? 0) + 1);
    while (e.timeMs !== null && c.window[0].e.timeMs !== null && e.timeMs - c.window[0].e.timeMs! > SECRETS_THRESHOLD.windowMs) {
      for (const n of c.window[0].s.names) { const k = c.counts.get(n)! - 1; if (k === 0) c.counts.delete(n); else c.counts.set(n, k); }
      c.window.shift();
    }
    if (c.counts.size > c.bestSize) { c.bestSize = c.counts.size; c.best = c.window.slice(); }
    if (s.bulk) c.bulk.push(read);
  };
  return {
    add,
    finish: () => {
      for (const c of open.values()) judge(c);
      open.clear();
      return out;
    },
  };
});

export const ec2PasswordData = defineCheck({
  id: 'credential-access.ec2-password-data', version: '1.0.0', title: 'Windows instance password data requested',
  category: 'credential-access', severity: 'high', attack: ['T1552'],
  description: 'ec2:GetPasswordData calls, including failed attempts (medium when all failed), grouped per principal with gaps under an hour. The response holds the encrypted Administrator password of Windows instances. Calls made by an AWS service on the principal\'s behalf are not counted.',
  select: { eventNames: ['GetPasswordData'], eventSources: ['ec2.amazonaws.com'] },
}, (events, _ctx, make) => {
  const calls = events.filter((e) => is(e, 'ec2.amazonaws.com', 'GetPasswordData') && !invokedBy(e) && !isAwsInternal(e));
  return clusters(calls, actorKey, HOUR_MS).map((g) => {
    const ok = g.filter((e) => !failed(e));
    const instances = uniq(g.map((e) => str(req(e).instanceId)).filter((x): x is string => x !== null));
    return make({
      events: g,
      severity: (ok.length ? 'high' : 'medium') as Severity,
      title: `${ok.length ? '' : 'Attempted: '}Password data of ${plural(instances.length, 'instance')} requested by ${callerName(g[0]) ?? actorLabel(g[0])}`,
      explanation: `${actorLabel(g[0])} called ec2:GetPasswordData ${plural(g.length, 'time')} (${span(g)}) for ${instances.slice(0, 10).join(', ')}${instances.length > 10 ? ` and ${instances.length - 10} more` : ''}; ${ok.length} succeeded${g.length - ok.length ? `, ${g.length - ok.length} failed (${uniq(g.filter(failed).map((e) => e.n.errorCode ?? 'failure')).join(', ')})` : ''}.`,
      artefacts: instances.map((i) => ({ type: 'instance', value: i })),
      remediation: ok.length
        ? ['Rotate the local Administrator password of each instance whose password data was returned; check for RDP logons to them.', `Remove ec2:GetPasswordData from ${actorLabel(g[0])} unless required.`]
        : [`Determine why ${actorLabel(g[0])} is probing for Windows passwords; the failures show it lacks permission, but the attempt indicates credential hunting.`],
    });
  });
});

// ---- Security groups opened ---------------------------------------------------

/** Remote-administration ports (SSH, Telnet, RDP, WinRM, VNC). */
export const ADMIN_PORTS = [22, 23, 3389, 5985, 5986, 5900];

/** Is this CIDR the whole address space (prefix length 0, whatever the address bits say)? */
export function isWorldCidr(cidr: string): boolean {
  const c = parseCidr(cidr);
  if (!c) return false;
  const slash = cidr.indexOf('/');
  return slash >= 0 && Number(cidr.slice(slash + 1)) === 0;
}

interface Permission { protocol: string; from: number | null; to: number | null; cidrs: string[] }

function permissionsOf(r: Rec): Permission[] {
  const out: Permission[] = [];
  if (r.cidrIp !== undefined || r.cidrIpv6 !== undefined) {
    out.push({ protocol: String(r.ipProtocol ?? '-1'), from: num(r.fromPort), to: num(r.toPort), cidrs: [str(r.cidrIp), str(r.cidrIpv6)].filter((x): x is string => x !== null) });
  }
  for (const p of list(obj(r.ipPermissions)?.items ?? r.ipPermissions)) {
    const po = obj(p);
    if (!po) continue;
    const cidrs = [
      ...list(obj(po.ipRanges)?.items ?? po.ipRanges).map((x) => str(obj(x)?.cidrIp)),
      ...list(obj(po.ipv6Ranges)?.items ?? po.ipv6Ranges).map((x) => str(obj(x)?.cidrIpv6)),
    ].filter((x): x is string => x !== null);
    out.push({ protocol: String(po.ipProtocol ?? '-1'), from: num(po.fromPort), to: num(po.toPort), cidrs });
  }
  // ModifySecurityGroupRules: SecurityGroupRule[].SecurityGroupRule{IpProtocol, FromPort, ToPort, CidrIpv4, CidrIpv6}
  const mod = obj(r.ModifySecurityGroupRulesRequest);
  for (const x of list(mod?.SecurityGroupRule)) {
    const rule = obj(obj(x)?.SecurityGroupRule);
    if (!rule) continue;
    out.push({ protocol: String(rule.IpProtocol ?? '-1'), from: num(rule.FromPort), to: num(rule.ToPort), cidrs: [str(rule.CidrIpv4), str(rule.CidrIpv6)].filter((y): y is string => y !== null) });
  }
  return out;
}

function exposedAdminPorts(p: Permission): number[] {
  const proto = p.protocol.toLowerCase();
  if (proto === '-1' || proto === 'all') return ADMIN_PORTS;
  if (proto !== 'tcp' && proto !== '6') return [];
  if (p.from === null || p.to === null || p.from === -1) return ADMIN_PORTS;
  return ADMIN_PORTS.filter((port) => port >= p.from! && port <= p.to!);
}

export const securityGroupOpened = apiCheck({
  id: 'exfiltration.security-group-admin-port-open', version: '1.0.0', title: 'Security group opened to the internet on an administration port',
  category: 'exfiltration', severity: 'high', attack: ['T1562.007'],
  description: `Successful ec2:AuthorizeSecurityGroupIngress / ModifySecurityGroupRules allowing a /0 range (any address; judged by prefix length, so anonymised logs like "208.236.235.254/0" count) to TCP ports ${ADMIN_PORTS.join(', ')} or all traffic.`,
}, { sources: ['ec2.amazonaws.com'], names: ['AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules'] }, (e) => {
  const r = req(e);
  const exposed: string[] = [];
  for (const p of permissionsOf(r)) {
    const world = p.cidrs.filter(isWorldCidr);
    if (world.length === 0) continue;
    const ports = exposedAdminPorts(p);
    if (ports.length) exposed.push(`${world.join(', ')} -> ${p.protocol === '-1' ? 'all traffic' : `tcp ${ports.join(', ')}`}`);
  }
  if (exposed.length === 0) return null;
  const sg = str(r.groupId) ?? str(obj(r.ModifySecurityGroupRulesRequest)?.GroupId) ?? str(r.groupName) ?? '(group not recorded)';
  return {
    title: `Security group ${sg} opened to the internet on administration ports`,
    did: `allowed ingress to security group ${sg}: ${exposed.join('; ')}`,
    artefacts: [{ type: 'security-group', value: sg }],
    remediation: [`Revoke the rule (aws ec2 revoke-security-group-ingress --group-id ${sg} ...) or narrow it to known admin addresses; review connections to instances in ${sg} (VPC flow logs) since this event.`],
  };
});

export const DATA_CHECKS: Check[] = [
  s3ReadVolume, resourcePolicyOpened, s3AclPublic, publicAccessBlockRemoved, ebsSnapshotShared, amiShared, rdsSnapshotShared,
  rdsMadePublic, secretsBulkRead, ec2PasswordData, securityGroupOpened,
];

