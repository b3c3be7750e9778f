// Defence-evasion checks (issue "Analysis", Checks: Defence evasion): logging
// and detection services turned off or narrowed, and log retention shortened.
import type { AnalysisEvent } from '../../../shared/analysis/findings.ts';
import { apiCheck } from './define.ts';
import { bool, eventName, list, nameOf, num, obj, req, resp, str, type Rec } from './event.ts';
import type { Check } from './types.ts';

const CT = 'cloudtrail.amazonaws.com';

function trailName(e: AnalysisEvent): string {
  const n = str(req(e).name) ?? str(req(e).trailName) ?? str(resp(e).trailARN) ?? str(req(e).eventDataStore) ?? '(trail not recorded)';
  return n.startsWith('arn:') ? nameOf(n) : n;
}

export const cloudtrailStopped = apiCheck({
  id: 'defense-evasion.cloudtrail-stopped', version: '1.0.0', title: 'CloudTrail logging stopped or trail deleted',
  category: 'defense-evasion', severity: 'high', attack: ['T1562.008'],
  description: 'Successful cloudtrail:StopLogging, DeleteTrail, and for CloudTrail Lake DeleteEventDataStore / StopEventDataStoreIngestion: events after this point are no longer recorded by that trail.',
}, { sources: [CT], names: ['StopLogging', 'DeleteTrail', 'DeleteEventDataStore', 'StopEventDataStoreIngestion'] }, (e) => {
  const t = trailName(e);
  const verb = { StopLogging: 'stopped logging of trail', DeleteTrail: 'deleted trail', DeleteEventDataStore: 'deleted event data store', StopEventDataStoreIngestion: 'stopped ingestion into event data store' }[eventName(e)] ?? 'changed';
  return {
    title: `CloudTrail ${verb} ${t}`,
    did: `${verb} ${t}`,
    artefacts: [{ type: 'trail', value: t }],
    remediation: [
      `Re-enable logging now (aws cloudtrail start-logging --name ${t}, or recreate the trail/event data store from its known configuration).`,
      `Treat the gap from ${e.timeMs === null ? 'this event' : new Date(e.timeMs).toISOString()} until logging resumed as blind: collect other sources (CloudTrail event history, service logs) for that window.`,
      `Remove cloudtrail:StopLogging/DeleteTrail from ${e.n.principalArn ?? 'the calling principal'} or block them with an SCP.`,
    ],
  };
});

export const cloudtrailUpdated = apiCheck({
  id: 'defense-evasion.cloudtrail-trail-updated', version: '1.0.0', title: 'CloudTrail trail settings changed',
  category: 'defense-evasion', severity: 'low', attack: ['T1562.008'],
  description: 'Successful cloudtrail:UpdateTrail. Medium or high when the change narrows or redirects logging: multi-region off, global service events off, log file validation off, or delivery moved to another bucket.',
}, { sources: [CT], names: ['UpdateTrail'] }, (e, ctx) => {
  const r = req(e);
  const t = trailName(e);
  const reasons: string[] = [];
  let sev: 'low' | 'medium' | 'high' = 'low';
  if (bool(r.isMultiRegionTrail) === false) { reasons.push('limited to a single region'); sev = 'high'; }
  if (bool(r.includeGlobalServiceEvents) === false) { reasons.push('global service events (IAM, STS, CloudFront) excluded'); sev = 'high'; }
  if (bool(r.enableLogFileValidation) === false) { reasons.push('log file integrity validation disabled'); if (sev === 'low') sev = 'medium'; }
  const bucket = str(r.s3BucketName);
  if (bucket) { reasons.push(`log delivery set to bucket ${bucket}${ctx.trailBuckets.has(bucket) ? '' : ' (not otherwise known as a trail bucket in this case)'}`); if (sev === 'low') sev = 'medium'; }
  const changed = Object.keys(r).filter((k) => k !== 'name');
  return {
    title: reasons.length ? `CloudTrail trail ${t} weakened: ${reasons.join('; ')}` : `CloudTrail trail ${t} settings changed`,
    did: `updated trail ${t} (${reasons.length ? reasons.join('; ') : `fields ${changed.join(', ') || 'none recorded'}`})`,
    severity: sev,
    artefacts: [{ type: 'trail', value: t }, ...(bucket ? [{ type: 'bucket', value: bucket }] : [])],
    remediation: [
      `Compare trail ${t} with its approved configuration (aws cloudtrail get-trail --name ${t}) and restore it.`,
      ...(bucket ? [`Check who owns bucket ${bucket} and whether logs were delivered there.`] : []),
    ],
  };
});

/** Why an event-selector configuration records fewer events than "all management events". */
export function selectorReductions(r: Rec): string[] {
  const reasons: string[] = [];
  const basic = list(r.eventSelectors).map(obj).filter((x): x is Rec => x !== null);
  const adv = list(r.advancedEventSelectors).map(obj).filter((x): x is Rec => x !== null);
  if (basic.length) {
    // Management events are captured when any selector includes them (default true); its readWriteType applies.
    const mgmt = basic.filter((s) => bool(s.includeManagementEvents) !== false);
    if (mgmt.length === 0) reasons.push('management events no longer recorded (includeManagementEvents false)');
    else {
      if (!mgmt.some((s) => (str(s.readWriteType) ?? 'All') === 'All')) reasons.push(`management events limited to ${mgmt.map((s) => str(s.readWriteType)).join('/')}`);
      if (mgmt.every((s) => list(s.excludeManagementEventSources).length > 0)) {
        reasons.push(`management events from ${[...new Set(mgmt.flatMap((s) => list(s.excludeManagementEventSources).map(String)))].join(', ')} excluded`);
      }
    }
  } else if (adv.length) {
    const fields = (s: Rec) => list(s.fieldSelectors).map(obj).filter((x): x is Rec => x !== null);
    const isMgmt = (s: Rec) => fields(s).some((f) => str(f.field) === 'eventCategory' && list(f.equals ?? f.Equals).map(String).includes('Management'));
    const mgmt = adv.filter(isMgmt);
    if (mgmt.length === 0) reasons.push('no advanced selector records management events (eventCategory = Management)');
    else {
      if (mgmt.every((s) => fields(s).some((f) => str(f.field) === 'readOnly'))) reasons.push('management events limited by a readOnly selector');
      for (const s of mgmt) {
        for (const f of fields(s)) {
          for (const op of ['notEquals', 'notStartsWith', 'notEndsWith', 'NotEquals', 'NotStartsWith', 'NotEndsWith']) {
            const vals = list(f[op]).map(String);
            if (vals.length) reasons.push(`selector ${str(s.name) ?? '(unnamed)'} excludes ${str(f.field)} ${op} ${vals.join(', ')}`);
          }
        }
      }
    }
  }
  return reasons;
}

export const cloudtrailSelectorsReduced = apiCheck({
  id: 'defense-evasion.cloudtrail-selectors-reduced', version: '1.0.0', title: 'CloudTrail event selectors reduce what is logged',
  category: 'defense-evasion', severity: 'high', attack: ['T1562.008'],
  description: 'Successful cloudtrail:PutEventSelectors whose basic selectors drop management events (includeManagementEvents false, readWriteType not All, excluded sources) or whose advanced selectors record no management events, restrict them by readOnly, or exclude values with NotEquals/NotStartsWith/NotEndsWith; and PutInsightSelectors that turns Insights off (low).',
}, { sources: [CT], names: ['PutEventSelectors', 'PutInsightSelectors'] }, (e) => {
  const t = trailName(e);
  if (eventName(e) === 'PutInsightSelectors') {
    if (list(req(e).insightSelectors).length > 0) return null;
    return {
      title: `CloudTrail Insights turned off for ${t}`, did: `removed all Insights selectors of trail ${t}`, severity: 'low',
      artefacts: [{ type: 'trail', value: t }],
      remediation: [`Restore the Insights selectors of ${t} if they were in use (aws cloudtrail put-insight-selectors).`],
    };
  }
  const reasons = selectorReductions(req(e));
  if (reasons.length === 0) return null;
  return {
    title: `CloudTrail trail ${t} event selectors reduce logging`,
    did: `replaced the event selectors of trail ${t}: ${reasons.join('; ')}`,
    artefacts: [{ type: 'trail', value: t }],
    remediation: [
      `Restore the selectors of ${t} to record all management events (aws cloudtrail put-event-selectors --trail-name ${t} --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]' plus any data selectors you had).`,
      'Treat events of the dropped kinds after this change as unrecorded; use CloudTrail event history (90 days of management events) to fill the gap.',
    ],
  };
});

/** Shortest expiration (days) of the enabled rules of a lifecycle configuration, or null. */
export function shortestExpirationDays(r: Rec): number | null {
  const cfg = obj(r.LifecycleConfiguration) ?? obj(r.lifecycleConfiguration) ?? {};
  let min: number | null = null;
  for (const ruleRaw of list(cfg.Rule ?? cfg.Rules ?? cfg.rules)) {
    const rule = obj(ruleRaw);
    if (!rule || String(rule.Status ?? rule.status ?? '').toLowerCase() !== 'enabled') continue;
    for (const d of [num(obj(rule.Expiration)?.Days), num(obj(rule.NoncurrentVersionExpiration)?.NoncurrentDays)]) {
      if (d !== null && (min === null || d < min)) min = d;
    }
  }
  return min;
}

/** CloudTrail event history keeps 90 days of management events: a shorter lifecycle loses logs nothing else still holds. */
const LIFECYCLE_DAYS = 90;

export const trailBucketLifecycle = apiCheck({
  id: 'defense-evasion.log-bucket-lifecycle', version: '1.0.0', title: 'Bucket lifecycle rule expires objects quickly',
  category: 'defense-evasion', severity: 'medium', attack: ['T1562.008', 'T1485'],
  description: `Successful s3:PutBucketLifecycle(Configuration) with an enabled rule expiring current or noncurrent objects within ${LIFECYCLE_DAYS} days (the retention of CloudTrail event history). High when the bucket is a CloudTrail log bucket named by CreateTrail/UpdateTrail/DescribeTrails/GetTrail in the case, or its name contains "cloudtrail"; medium for other buckets.`,
}, { sources: ['s3.amazonaws.com'], names: ['PutBucketLifecycle', 'PutBucketLifecycleConfiguration'] }, (e, ctx) => {
  const days = shortestExpirationDays(req(e));
  if (days === null || days > LIFECYCLE_DAYS) return null;
  const bucket = str(req(e).bucketName) ?? '(bucket not recorded)';
  const known = ctx.trailBuckets.has(bucket);
  const named = /cloudtrail/i.test(bucket);
  return {
    title: `Lifecycle rule on ${known ? 'CloudTrail log bucket' : named ? 'probable CloudTrail log bucket' : 'bucket'} ${bucket} expires objects after ${days} day${days === 1 ? '' : 's'}`,
    did: `set a lifecycle configuration on bucket ${bucket} with an enabled rule expiring objects after ${days} day${days === 1 ? '' : 's'}${known ? '; the case shows CloudTrail delivering to this bucket' : ''}`,
    severity: known || named ? 'high' : 'medium',
    artefacts: [{ type: 'bucket', value: bucket }],
    remediation: [
      `Remove or lengthen the rule now (aws s3api get-bucket-lifecycle-configuration --bucket ${bucket}; then put the approved configuration back).`,
      `Copy the remaining objects of ${bucket} to a protected location before they expire; enable Object Lock or versioning with MFA delete on log buckets.`,
    ],
  };
});

const GD = 'guardduty.amazonaws.com';
export const guardDutyImpaired = apiCheck({
  id: 'defense-evasion.guardduty-impaired', version: '1.0.0', title: 'GuardDuty disabled or its findings suppressed',
  category: 'defense-evasion', severity: 'high', attack: ['T1562.001'],
  description: 'Successful GuardDuty DeleteDetector, UpdateDetector with enable=false (or, low, findingPublishingFrequency slowed to ONE_HOUR/SIX_HOURS), disassociation from the administrator account, DisassociateMembers/DeleteMembers/StopMonitoringMembers, DeletePublishingDestination; CreateFilter/UpdateFilter with action ARCHIVE and CreateIPSet/UpdateIPSet (trusted IPs raise no findings) at medium.',
}, { sources: [GD], names: ['DeleteDetector', 'UpdateDetector', 'DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount', 'DisassociateMembers', 'DeleteMembers', 'StopMonitoringMembers', 'DeletePublishingDestination', 'CreateFilter', 'UpdateFilter', 'CreateIPSet', 'UpdateIPSet'] }, (e) => {
  const r = req(e);
  const det = str(r.detectorId) ?? '(detector not recorded)';
  const n = eventName(e);
  let what: string;
  let sev: 'high' | 'medium' | 'low' = 'high';
  if (n === 'UpdateDetector') {
    if (bool(r.enable) === false) what = `disabled GuardDuty detector ${det}`;
    else if (/^(ONE_HOUR|SIX_HOURS)$/.test(String(r.findingPublishingFrequency ?? ''))) { what = `slowed the publication of updated findings of detector ${det} to ${r.findingPublishingFrequency}`; sev = 'low'; }
    else return null;
  }
  else if (n === 'CreateFilter' || n === 'UpdateFilter') { if (String(r.action ?? '').toUpperCase() !== 'ARCHIVE') return null; what = `set filter ${str(r.name) ?? str(r.filterName) ?? ''} on detector ${det} to auto-archive matching findings`; sev = 'medium'; }
  else if (n === 'CreateIPSet' || n === 'UpdateIPSet') { what = `set trusted IP list ${str(r.name) ?? str(r.ipSetId) ?? ''} (${str(r.location) ?? 'location not recorded'}) on detector ${det}; traffic from those addresses raises no findings`; sev = 'medium'; }
  else if (n === 'DeleteDetector') what = `deleted GuardDuty detector ${det}`;
  else what = `called ${n} on detector ${det}${list(r.accountIds).length ? ` for accounts ${list(r.accountIds).join(', ')}` : ''}`;
  return {
    title: `GuardDuty ${n === 'DeleteDetector' || (n === 'UpdateDetector' && sev === 'high') ? 'disabled' : n === 'UpdateDetector' ? 'finding publication slowed' : n.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()} (${det})`,
    did: what, severity: sev,
    artefacts: [{ type: 'detector', value: det }],
    remediation: [`Restore GuardDuty on detector ${det} (re-enable, re-associate members, remove the filter/trusted IP list) and review findings suppressed since this event.`],
  };
});

export const securityHubDisabled = apiCheck({
  id: 'defense-evasion.securityhub-disabled', version: '1.0.0', title: 'Security Hub disabled or detached',
  category: 'defense-evasion', severity: 'high', attack: ['T1562.001'],
  description: 'Successful Security Hub DisableSecurityHub, disassociation from the administrator account, DisassociateMembers/DeleteMembers and BatchDisableStandards.',
}, { sources: ['securityhub.amazonaws.com'], names: ['DisableSecurityHub', 'DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount', 'DisassociateMembers', 'DeleteMembers', 'BatchDisableStandards'] }, (e) => ({
  title: `Security Hub ${eventName(e) === 'DisableSecurityHub' ? 'disabled' : eventName(e)} in account ${e.n.recipientAccountId ?? '(unknown)'}`,
  did: `called securityhub:${eventName(e)}`,
  artefacts: e.n.recipientAccountId ? [{ type: 'account', value: e.n.recipientAccountId }] : [],
  remediation: ['Re-enable Security Hub and its standards (aws securityhub enable-security-hub) and re-associate the account with the administrator account.'],
}));

export const configDisabled = apiCheck({
  id: 'defense-evasion.config-disabled', version: '1.0.0', title: 'AWS Config recording stopped or removed',
  category: 'defense-evasion', severity: 'high', attack: ['T1562.001'],
  description: 'Successful config:StopConfigurationRecorder, DeleteConfigurationRecorder and DeleteDeliveryChannel: configuration history stops being recorded.',
}, { sources: ['config.amazonaws.com'], names: ['StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel'] }, (e) => {
  const name = str(req(e).configurationRecorderName) ?? str(req(e).deliveryChannelName) ?? 'default';
  return {
    title: `AWS Config ${eventName(e) === 'DeleteDeliveryChannel' ? 'delivery channel' : 'recorder'} ${name} ${eventName(e).startsWith('Stop') ? 'stopped' : 'deleted'}`,
    did: `called config:${eventName(e)} for ${name}`,
    artefacts: [{ type: 'config-recorder', value: name }],
    remediation: [`Restart or recreate the recorder/delivery channel ${name} (aws configservice start-configuration-recorder --configuration-recorder-name ${name}).`],
  };
});

export const accessAnalyzerDeleted = apiCheck({
  id: 'defense-evasion.access-analyzer-deleted', version: '1.0.0', title: 'IAM Access Analyzer deleted',
  category: 'defense-evasion', severity: 'medium', attack: ['T1562.001'],
  description: 'Successful access-analyzer:DeleteAnalyzer: external-access findings for the zone of trust stop.',
}, { sources: ['access-analyzer.amazonaws.com'], names: ['DeleteAnalyzer'] }, (e) => {
  const name = str(req(e).analyzerName) ?? '(analyzer not recorded)';
  return {
    title: `IAM Access Analyzer ${name} deleted`, did: `deleted analyzer ${name}`,
    artefacts: [{ type: 'analyzer', value: name }],
    remediation: [`Recreate analyzer ${name} (aws accessanalyzer create-analyzer) and review external-access changes made since.`],
  };
});

export const flowLogsDeleted = apiCheck({
  id: 'defense-evasion.vpc-flow-logs-deleted', version: '1.0.0', title: 'VPC flow logs deleted',
  category: 'defense-evasion', severity: 'medium', attack: ['T1562.008'],
  description: 'Successful ec2:DeleteFlowLogs: network traffic of the VPC/subnet/interface is no longer logged.',
}, { sources: ['ec2.amazonaws.com'], names: ['DeleteFlowLogs'] }, (e) => {
  const r = req(e);
  const inner = obj(r.DeleteFlowLogsRequest) ?? r;
  const ids = list(inner.FlowLogId ?? inner.flowLogIds ?? inner.FlowLogIds).flatMap((x) => { const o = obj(x); return o ? list(o.content ?? o.item ?? o.items) : [x]; }).map(str).filter((x): x is string => x !== null);
  return {
    title: `VPC flow log${ids.length > 1 ? 's' : ''} ${ids.join(', ') || '(ids not recorded)'} deleted`,
    did: `deleted flow log${ids.length > 1 ? 's' : ''} ${ids.join(', ') || '(ids not recorded)'}`,
    artefacts: ids.map((i) => ({ type: 'flow-log', value: i })),
    remediation: ['Recreate the flow logs (aws ec2 create-flow-logs) for the affected VPC/subnets; traffic since this event is unrecorded.'],
  };
});

export const organizationsLeave = apiCheck({
  id: 'defense-evasion.organizations-leave', version: '1.0.0', title: 'Account left (or tried to leave) the organization',
  category: 'defense-evasion', severity: 'high', attack: ['T1666'],
  description: 'organizations:LeaveOrganization, including failed attempts: leaving removes the account from SCPs, organization trails and central security tooling.',
}, { sources: ['organizations.amazonaws.com'], names: ['LeaveOrganization'], attempts: true }, (e) => ({
  title: `Account ${e.n.recipientAccountId ?? '(unknown)'} left the organization`,
  attemptTitle: `Attempt to take account ${e.n.recipientAccountId ?? '(unknown)'} out of the organization (${e.n.errorCode ?? 'failed'})`,
  did: `asked to remove account ${e.n.recipientAccountId ?? '(unknown)'} from its AWS Organization`,
  artefacts: e.n.recipientAccountId ? [{ type: 'account', value: e.n.recipientAccountId }] : [],
  remediation: [
    `Check with the organization management account whether ${e.n.recipientAccountId ?? 'the account'} is still a member (aws organizations list-accounts).`,
    `Deny organizations:LeaveOrganization with an SCP and remove the permission from ${e.n.principalArn ?? 'the caller'}.`,
  ],
}));

export const dnsQueryLogsDeleted = apiCheck({
  id: 'defense-evasion.dns-query-logging-deleted', version: '1.0.0', title: 'Route 53 Resolver query logging removed',
  category: 'defense-evasion', severity: 'medium', attack: ['T1562.008'],
  description: 'Successful route53resolver:DeleteResolverQueryLogConfig or DisassociateResolverQueryLogConfig: DNS queries from the VPCs are no longer logged.',
}, { sources: ['route53resolver.amazonaws.com'], names: ['DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig'] }, (e) => {
  const id = str(req(e).resolverQueryLogConfigId) ?? '(config not recorded)';
  const dest = str(obj(resp(e).resolverQueryLogConfig)?.destinationArn);
  return {
    title: `DNS query logging ${id} ${eventName(e).startsWith('Delete') ? 'deleted' : 'detached from a VPC'}`,
    did: `called route53resolver:${eventName(e)} for query log config ${id}${dest ? ` (destination ${dest})` : ''}`,
    artefacts: [{ type: 'resolver-query-log-config', value: id }],
    remediation: [`Recreate/re-associate Resolver query logging for the affected VPCs; DNS activity since ${e.timeMs === null ? 'this event' : new Date(e.timeMs).toISOString()} is unrecorded.`],
  };
});

export const s3AccessLoggingDisabled = apiCheck({
  id: 'defense-evasion.s3-access-logging-disabled', version: '1.0.0', title: 'S3 server access logging disabled',
  category: 'defense-evasion', severity: 'medium', attack: ['T1562.008'],
  description: 'Successful s3:PutBucketLogging with a BucketLoggingStatus that has no LoggingEnabled element: access to the bucket is no longer logged.',
}, { sources: ['s3.amazonaws.com'], names: ['PutBucketLogging'] }, (e) => {
  const status = obj(req(e).BucketLoggingStatus);
  if (!status || status.LoggingEnabled !== undefined) return null;
  const bucket = str(req(e).bucketName) ?? '(bucket not recorded)';
  return {
    title: `Server access logging of bucket ${bucket} disabled`, did: `turned off server access logging of bucket ${bucket}`,
    artefacts: [{ type: 'bucket', value: bucket }],
    remediation: [`Re-enable access logging of ${bucket} (aws s3api put-bucket-logging) and rely on CloudTrail data events for the gap, if they were enabled.`],
  };
});

export const s3VersioningWeakened = apiCheck({
  id: 'impact.s3-versioning-weakened', version: '1.0.0', title: 'S3 versioning suspended or MFA delete disabled',
  category: 'impact', severity: 'medium', attack: ['T1490'],
  description: 'Successful s3:PutBucketVersioning setting Status Suspended/Disabled or MfaDelete Disabled: overwritten or deleted objects can no longer be recovered (a common step before destroying or ransoming data).',
}, { sources: ['s3.amazonaws.com'], names: ['PutBucketVersioning'] }, (e) => {
  const vc = obj(req(e).VersioningConfiguration);
  if (!vc) return null;
  const reasons: string[] = [];
  const st = str(vc.Status);
  if (st && /^(suspended|disabled)$/i.test(st)) reasons.push(`versioning ${st.toLowerCase()}`);
  if (/^disabled$/i.test(str(vc.MfaDelete) ?? '')) reasons.push('MFA delete disabled');
  if (reasons.length === 0) return null;
  const bucket = str(req(e).bucketName) ?? '(bucket not recorded)';
  return {
    title: `Bucket ${bucket}: ${reasons.join(', ')}`, did: `changed versioning of bucket ${bucket}: ${reasons.join(', ')}`,
    artefacts: [{ type: 'bucket', value: bucket }],
    remediation: [`Re-enable versioning (and MFA delete) on ${bucket}; check for DeleteObject(s)/PutObject activity on it after this event.`],
  };
});

export const s3EncryptionDeleted = apiCheck({
  id: 'defense-evasion.s3-default-encryption-deleted', version: '1.0.0', title: 'S3 default encryption configuration deleted',
  category: 'defense-evasion', severity: 'low', attack: ['T1562'],
  description: 'Successful s3:DeleteBucketEncryption (the bucket falls back to SSE-S3; a customer KMS key no longer applies to new objects).',
}, { sources: ['s3.amazonaws.com'], names: ['DeleteBucketEncryption'] }, (e) => {
  const bucket = str(req(e).bucketName) ?? '(bucket not recorded)';
  return {
    title: `Default encryption of bucket ${bucket} deleted`, did: `deleted the default encryption configuration of bucket ${bucket}`,
    artefacts: [{ type: 'bucket', value: bucket }],
    remediation: [`Restore the approved default encryption of ${bucket} (aws s3api put-bucket-encryption).`],
  };
});

export const s3ReplicationDeleted = apiCheck({
  id: 'impact.s3-replication-deleted', version: '1.0.0', title: 'S3 replication configuration deleted',
  category: 'impact', severity: 'medium', attack: ['T1490'],
  description: 'Successful s3:DeleteBucketReplication: new objects are no longer copied to the replica (often a backup).',
}, { sources: ['s3.amazonaws.com'], names: ['DeleteBucketReplication'] }, (e) => {
  const bucket = str(req(e).bucketName) ?? '(bucket not recorded)';
  return {
    title: `Replication of bucket ${bucket} deleted`, did: `deleted the replication configuration of bucket ${bucket}`,
    artefacts: [{ type: 'bucket', value: bucket }],
    remediation: [`Restore replication of ${bucket} (aws s3api put-bucket-replication) and verify the replica is intact.`],
  };
});

export const macieDisabled = apiCheck({
  id: 'defense-evasion.macie-disabled', version: '1.0.0', title: 'Amazon Macie disabled or paused',
  category: 'defense-evasion', severity: 'medium', attack: ['T1562.001'],
  description: 'Successful macie2:DisableMacie, UpdateMacieSession with status PAUSED (or, low, findingPublishingFrequency slowed to ONE_HOUR/SIX_HOURS, delaying alerts), or disassociation from the Macie administrator account.',
}, { sources: ['macie2.amazonaws.com', 'macie.amazonaws.com'], names: ['DisableMacie', 'UpdateMacieSession', 'DisassociateFromAdministratorAccount', 'DisassociateFromMasterAccount'] }, (e) => {
  const paused = String(req(e).status ?? '').toUpperCase() === 'PAUSED';
  const freq = str(req(e).findingPublishingFrequency);
  const slowed = freq !== null && /^(ONE_HOUR|SIX_HOURS)$/.test(freq);
  if (eventName(e) === 'UpdateMacieSession' && !paused && !slowed) return null;
  const update = eventName(e) === 'UpdateMacieSession';
  return {
    title: `Amazon Macie ${eventName(e) === 'DisableMacie' ? 'disabled' : update ? (paused ? 'paused' : `finding publication slowed to ${freq}`) : 'detached from its administrator'}`,
    did: `called macie2:${eventName(e)}${update ? ` (${[paused ? 'status PAUSED' : '', slowed ? `findingPublishingFrequency ${freq}` : ''].filter(Boolean).join(', ')})` : ''}`,
    severity: update && !paused ? 'low' : 'medium',
    artefacts: e.n.recipientAccountId ? [{ type: 'account', value: e.n.recipientAccountId }] : [],
    remediation: ['Re-enable Macie (aws macie2 enable-macie / update-macie-session --status ENABLED) and its administrator association.'],
  };
});

export const DEFENSE_EVASION_CHECKS: Check[] = [
  cloudtrailStopped, cloudtrailUpdated, cloudtrailSelectorsReduced, trailBucketLifecycle, guardDutyImpaired, securityHubDisabled,
  configDisabled, accessAnalyzerDeleted, flowLogsDeleted, organizationsLeave, dnsQueryLogsDeleted, s3AccessLoggingDisabled,
  s3VersioningWeakened, s3EncryptionDeleted, s3ReplicationDeleted, macieDisabled,
];
