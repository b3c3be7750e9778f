// Initial access and credential use, execution, lateral movement, discovery
// and impact checks (issue "Analysis", Checks: Initial access and credential use).
import type { AnalysisEvent, Severity } from '../../../shared/analysis/findings.ts';
import { DAY_MS, HOUR_MS } from '../../../shared/time.ts';
import { apiCheck, defineCheck, perEventCheck, streamCheck, type Make } from './define.ts';
import {
  actorKey, actorLabel, apiOf, callerName, clusters, eventName, extra, failed, identity, invokedBy, is, isAwsInternal,
  isAwsServiceSource, isPublicIp, lightCopy, list, obj, plural, req, resp, span, str, uniq, whoWhen, during,
} from './event.ts';
import type { Check, FindingDraft } from './types.ts';

const SIGNIN = 'signin.amazonaws.com';

export const consoleLoginNoMfa = perEventCheck({
  id: 'initial-access.console-login-without-mfa', version: '1.0.0', title: 'Console sign-in without MFA',
  category: 'initial-access', severity: 'medium', attack: ['T1078.004'],
  description: 'Successful ConsoleLogin of an IAM user or the root user with additionalEventData.MFAUsed "No". Federated sign-ins (assumed roles, SAML) are not reported: MFA is enforced by the identity provider and not visible here. High for root.',
  select: { eventNames: ['ConsoleLogin'], eventSources: [SIGNIN] },
}, (e, _ctx, make) => {
  if (!is(e, SIGNIN, 'ConsoleLogin') || failed(e)) return null;
  if (str(resp(e).ConsoleLogin) !== 'Success') return null;
  if (str(extra(e).MFAUsed) !== 'No' || str(extra(e).SamlProviderArn)) return null;
  if (e.n.identityType !== 'IAMUser' && e.n.identityType !== 'Root') return null;
  const root = e.n.identityType === 'Root';
  const who = root ? 'the root user' : `IAM user ${callerName(e) ?? e.n.principalArn ?? '(unknown)'}`;
  return make({
    events: [e],
    severity: root ? 'high' : 'medium',
    title: `Console sign-in without MFA by ${who}`,
    explanation: `${whoWhen(e)} signed in to the AWS console as ${who} without MFA (MFAUsed "No").`,
    artefacts: [{ type: root ? 'account' : 'user', value: root ? e.n.recipientAccountId ?? 'root' : callerName(e) ?? e.n.principalArn ?? 'unknown' }],
    remediation: [
      `Confirm with the owner of ${who} that the sign-in from ${e.n.sourceIPAddress ?? 'this address'} at ${span([e])} was theirs.`,
      `Enforce MFA for ${who} (assign a device; deny actions without aws:MultiFactorAuthPresent) and, if the sign-in was not theirs, reset the password and review the session's activity.`,
    ],
  });
});

export const rootUsage = defineCheck({
  id: 'initial-access.root-user-activity', version: '1.0.0', title: 'Root user activity',
  category: 'initial-access', severity: 'high', attack: ['T1078.004'],
  description: 'Successful calls made with root user credentials (userIdentity.type Root) that were not made by an AWS service on its behalf (no invokedBy, not an AwsServiceEvent), the CIS "root account usage" condition. One finding per account for activity with gaps under an hour.',
  select: { identityTypes: ['Root'] },
}, (events, _ctx, make) => {
  const used = events.filter((e) => e.n.identityType === 'Root' && !invokedBy(e) && e.record.eventType !== 'AwsServiceEvent' && !failed(e));
  return clusters(used, (e) => e.n.recipientAccountId ?? 'unknown', HOUR_MS).map((g) => {
    const acct = g[0].n.recipientAccountId ?? '(unknown)';
    const apis = uniq(g.map(apiOf));
    const ips = uniq(g.map((e) => e.n.sourceIPAddress).filter((x): x is string => x !== null));
    return make({
      events: g,
      title: `Root user of account ${acct} used (${plural(g.length, 'call')})`,
      explanation: `The root user of account ${acct} made ${plural(g.length, 'successful call')} ${during(g)} from ${ips.join(', ') || '(no source address)'}: ${apis.slice(0, 15).join(', ')}${apis.length > 15 ? `, and ${apis.length - 15} more APIs` : ''}.`,
      artefacts: [{ type: 'account', value: acct }],
      remediation: [
        `Confirm with the holder of the root credentials of ${acct} that this activity was theirs.`,
        'If not: reset the root password, replace its MFA device, delete any root access keys, and review every change listed here.',
      ],
    });
  });
});

export const FAILED_LOGIN_THRESHOLD = { failures: 3, windowMs: HOUR_MS };

export const loginAfterFailures = defineCheck({
  id: 'initial-access.console-login-after-failures', version: '1.0.0', title: 'Console sign-in succeeded after repeated failures',
  category: 'initial-access', severity: 'high', attack: ['T1110'],
  description: `A successful ConsoleLogin preceded by >= ${FAILED_LOGIN_THRESHOLD.failures} failed ConsoleLogins for the same user within the previous ${FAILED_LOGIN_THRESHOLD.windowMs / 60000} minutes (since that user's last success). Failures for unknown user names (HIDDEN_DUE_TO_SECURITY_REASONS) cannot be tied to a user and are not counted.`,
  select: { eventNames: ['ConsoleLogin'], eventSources: [SIGNIN] },
}, (events, _ctx, make) => {
  const pending = new Map<string, AnalysisEvent[]>();
  const out = [];
  for (const e of events) {
    if (!is(e, SIGNIN, 'ConsoleLogin')) continue;
    const user = e.n.identityType === 'Root' ? `root@${e.n.recipientAccountId}` : e.n.userName ?? e.n.principalArn;
    if (!user || /HIDDEN_DUE_TO_SECURITY_REASONS/.test(user)) continue;
    if (failed(e)) { const l = pending.get(user) ?? []; l.push(e); pending.set(user, l); continue; }
    const fails = (pending.get(user) ?? []).filter((f) => f.timeMs !== null && e.timeMs !== null && e.timeMs - f.timeMs <= FAILED_LOGIN_THRESHOLD.windowMs);
    pending.delete(user);
    if (fails.length < FAILED_LOGIN_THRESHOLD.failures) continue;
    const ips = uniq(fails.map((f) => f.n.sourceIPAddress).filter((x): x is string => x !== null));
    out.push(make({
      events: [...fails, e],
      title: `Console sign-in of ${user} succeeded after ${fails.length} failures`,
      explanation: `${fails.length} failed console sign-ins for ${user} (${span(fails)}, from ${ips.join(', ') || 'unknown addresses'}) were followed at ${span([e])} by a successful sign-in from ${e.n.sourceIPAddress ?? 'an unknown address'} (MFA used: ${str(extra(e).MFAUsed) ?? 'not recorded'}).`,
      artefacts: [{ type: 'user', value: user }],
      remediation: [
        `Confirm with ${user} whether they mistyped their password from ${e.n.sourceIPAddress ?? 'that address'}.`,
        `If not: reset the password of ${user}, require MFA, and review what the session did after ${span([e])}.`,
      ],
    }));
  }
  return out;
});

/** SSM agent and messaging plumbing that instances call with their own role from their own address. */
const AGENT_SOURCES = ['ssmmessages.amazonaws.com', 'ec2messages.amazonaws.com'];
const AGENT_SSM_CALLS = ['UpdateInstanceInformation', 'ListInstanceAssociations', 'DescribeInstanceProperties', 'UpdateInstanceAssociationStatus', 'PutInventory', 'PutComplianceItems', 'GetDocument', 'DescribeAssociation', 'GetManifest', 'ListAssociations', 'GetDeployablePatchSnapshotForInstance', 'RegisterManagedInstance'];

/** Instance-role session: principalId "<role id>:i-<instance>" or sessionContext.ec2RoleDelivery present. */
export function instanceOf(e: AnalysisEvent): string | null {
  const m = /:(i-[0-9a-f]{8,17})$/i.exec(e.n.principalId ?? '');
  if (m) return m[1];
  const sc = obj(identity(e).sessionContext);
  if (sc && sc.ec2RoleDelivery !== undefined) return (e.n.principalArn ?? '').split('/').pop() ?? '(instance)';
  return null;
}

export const instanceCredentialsOutside = streamCheck({
  id: 'credential-access.instance-credentials-used-outside', version: '1.1.0', title: 'EC2 instance-role credentials used from a public address',
  category: 'credential-access', severity: 'medium', attack: ['T1552.005'],
  description: 'Calls made with an EC2 instance role session (principalId ending ":i-<instance id>") from a public IP address rather than from an AWS service name or a private VPC address, excluding SSM agent plumbing and calls made by a service on the role\'s behalf. Heuristic: CloudTrail does not say which public address the instance itself has, so every (session, address) pair is reported once for the examiner to compare with the instance; high when one instance session shows more than one public address, the typical sign of credentials taken from the metadata service and reused elsewhere.',
  // Instance-profile sessions are named after the instance (principalId "AROA…:i-…"): only those are wanted, not every assumed-role call.
  select: { identityTypes: ['AssumedRole'], principalIdContains: [':i-', ':I-'] },
}, (_ctx, make) => {
  // State (README.md, "Speed and size"): the calls from public addresses only (light; every one is cited), by session.
  const bySession = new Map<string, AnalysisEvent[]>();
  const pool = new Map<string, string>();
  const add = (e: AnalysisEvent) => {
    if (!instanceOf(e) || invokedBy(e)) return;
    const ip = e.n.sourceIPAddress;
    if (isAwsServiceSource(ip) || !isPublicIp(ip)) return;
    if (e.n.eventSource && AGENT_SOURCES.includes(e.n.eventSource)) return;
    if (is(e, 'ssm.amazonaws.com', ...AGENT_SSM_CALLS)) return;
    if (/^amazon-ssm-agent/i.test(e.n.userAgent ?? '')) return;
    const l = lightCopy(e, pool);
    // instanceOf() reads the record when principalId does not name the instance: keep its answer.
    instances.set(l, instanceOf(e)!);
    const k = e.n.principalId ?? actorKey(e);
    const calls = bySession.get(k) ?? [];
    calls.push(l);
    bySession.set(k, calls);
  };
  const instances = new Map<AnalysisEvent, string>();
  return { add, finish: () => report() };
  function report() {
  const out: FindingDraft[] = [];
  for (const [, sess] of bySession) {
    const ips = uniq(sess.map((e) => e.n.sourceIPAddress!));
    for (const ip of ips) {
      const g = sess.filter((e) => e.n.sourceIPAddress === ip);
      const inst = instances.get(g[0])!;
      const role = g[0].n.sessionIssuerArn ?? g[0].n.principalArn ?? '(role not recorded)';
      const apis = uniq(g.map(apiOf));
      out.push(make({
        events: g,
        severity: (ips.length > 1 ? 'high' : 'medium') as Severity,
        title: `Credentials of instance ${inst} used from ${ip}${ips.length > 1 ? ` (one of ${ips.length} public addresses)` : ''}`,
        explanation: `The role session of EC2 instance ${inst} (${role}) made ${plural(g.length, 'call')} from public address ${ip} ${during(g)}: ${apis.slice(0, 10).join(', ')}${apis.length > 10 ? ', ...' : ''}.${ips.length > 1 ? ` The same session was also used from ${ips.filter((x) => x !== ip).join(', ')}.` : ''}`,
        artefacts: [{ type: 'instance', value: inst }, { type: 'role', value: role }],
        remediation: [
          `Compare ${ip} with the public/elastic IP of ${inst} (aws ec2 describe-instances --instance-ids ${inst}); a match means the instance itself made the calls.`,
          `If it does not match: revoke the role's sessions (deny on aws:TokenIssueTime), require IMDSv2 on ${inst}, investigate the instance for compromise, and review what ${ip} did with the credentials.`,
        ],
      }));
    }
  }
  return out;
  }
});

/** Where one call came from, as an examiner compares origins: the address, or that none was recorded. */
export function originOf(e: AnalysisEvent): string {
  return e.n.sourceIPAddress ?? '(no source address recorded)';
}

export function originKind(o: string): string {
  if (o.startsWith('(')) return 'unknown';
  if (isPublicIp(o)) return 'public';
  return /^[0-9a-f:.]+$/i.test(o) ? 'private' : 'not an address';
}

const ORIGIN_EVENT_IDS = 5; // eventIDs cited per origin in the explanation (the finding lists up to 2 × this many per origin)

/** One session seen from several origins, as the finding states it: per origin (in first-use order) its calls, their span, the calls cited and VPC endpoints. */
export interface SessionOrigins {
  inst: string | null;
  role: string;
  principalArn: string | null;
  keys: string[];
  origins: { origin: string; count: number; when: string; cited: AnalysisEvent[]; endpoints: string[] }[];
}

/** The finding for one session seen from several origins (sessionMultipleOrigins; its whole-list reference in the tests builds the same). */
export function sessionOriginsDraft(make: Make, s: SessionOrigins): FindingDraft {
  const { inst, role, keys, origins } = s;
  const publicCount = origins.filter((o) => originKind(o.origin) === 'public').length;
  const sides = origins.map(({ origin: o, count, when, cited, endpoints }) => {
    const shown = cited.slice(0, ORIGIN_EVENT_IDS).map((e) => e.eventId);
    return `${o} (${originKind(o)}${endpoints.length ? `, through VPC endpoint ${endpoints.join(', ')}` : ''}): ${plural(count, 'call')} ${when}; eventIDs ${shown.join(', ')}${count > shown.length ? `, and ${count - shown.length} more` : ''}`;
  });
  const who = inst ? `the role session of EC2 instance ${inst} (${role})` : `the role session ${s.principalArn ?? role} (access key ${keys[0]})`;
  return make({
    events: origins.flatMap((o) => o.cited),
    severity: (inst || publicCount >= 2 ? 'high' : 'medium') as Severity,
    title: `${inst ? `Credentials of instance ${inst}` : `Role session ${s.principalArn ?? keys[0]}`} used from ${plural(origins.length, 'network origin')}`,
    explanation: `The credentials of ${who} were used from ${plural(origins.length, 'network origin')}: ${sides.join('; ')}.${inst ? ` An instance's role credentials are delivered to that instance only, so calls from a second origin suggest they were taken from the instance (GuardDuty: InstanceCredentialExfiltration).` : ' One session\'s credentials normally stay with the process that assumed the role.'}${keys.length > 1 ? ` Access keys of this session: ${keys.join(', ')}.` : ''}`,
    artefacts: [...(inst ? [{ type: 'instance', value: inst }] : []), { type: 'role', value: role }],
    remediation: [
      `Establish which origin is the legitimate holder${inst ? ` (the addresses of ${inst}: aws ec2 describe-instances --instance-ids ${inst}; its VPC endpoints and NAT gateway)` : ''} and which is not.`,
      `If one is not: revoke the role's active sessions (deny on aws:TokenIssueTime)${inst ? `, require IMDSv2 on ${inst} and investigate it for compromise` : ''}, and review every call made from the other origin.`,
    ],
  });
}

export const sessionMultipleOrigins = streamCheck({
  id: 'credential-access.session-multiple-origins', version: '1.0.0', title: 'One role session used from more than one network origin',
  category: 'credential-access', severity: 'high', attack: ['T1552.005', 'T1078.004'],
  description: 'The temporary credentials of one role session (one ASIA access key; for an EC2 instance-role session, every session named after the instance, "assumed-role/<role>/i-…") used from more than one source address, whether each address is public, private (a VPC address) or not recorded: what GuardDuty reports as InstanceCredentialExfiltration when the session is an instance\'s. A session that is not an instance\'s is reported only when one of its origins is public (several private addresses are often one workload: Lambda environments, containers). Calls a service made on the session\'s behalf (invokedBy, an AWS service name or "AWS Internal" as the source) are not origins. Both sides are shown: each address with its first and last call, count and eventIDs. High for an instance session or two public addresses; medium otherwise. Benign cause to rule out: an instance in a private subnet reaching some services through a VPC endpoint (a private address, with vpcEndpointId) and others through a NAT gateway (its public address). Complements credential-access.instance-credentials-used-outside, which reports each public address of an instance session on its own.',
  select: { identityTypes: ['AssumedRole'] },
}, (_ctx, make) => {
  // State (docs/analysis.md, "Where each check keeps its state"), per session and per origin of it: a count,
  // its earliest and latest ORIGIN_EVENT_IDS calls (light; what the finding cites), its earliest time and VPC
  // endpoints; per session its first call and access keys. Bounded by sessions × origins, never by calls: a
  // busy session's millions of calls from one origin cost what ten do.
  type Kept = { e: AnalysisEvent; t: number; seq: number };
  type Origin = { count: number; head: Kept[]; tail: Kept[]; firstTimed: Kept | null; lastTimed: Kept | null; minTime: number; endpoints: Set<string> };
  // inst: instanceOf() of the first call (it may read the record, which is not kept).
  type Session = { first: AnalysisEvent; inst: string | null; keys: Set<string>; origins: Map<string, Origin> };
  const sessions = new Map<string, Session>();
  const pool = new Map<string, string>();
  // The order run() over a list used: time (untimed last), then arrival (a stable sort).
  const before = (a: Kept, b: Kept) => a.t < b.t || (a.t === b.t && a.seq < b.seq);
  let seq = 0;
  const add = (e: AnalysisEvent) => {
    if (e.n.identityType !== 'AssumedRole' || invokedBy(e) || isAwsServiceSource(e.n.sourceIPAddress)) return;
    const inst = instanceOf(e);
    // An instance's role is delivered to the instance alone, so every key of its sessions belongs to one origin; other sessions are one access key.
    const key = inst ? `instance\u0000${e.n.sessionIssuerArn ?? e.n.principalArn ?? ''}\u0000${inst}` : e.n.accessKeyId ? `key\u0000${e.n.accessKeyId}` : null;
    if (!key) return;
    let light: AnalysisEvent | null = null;
    const lite = () => light ?? (light = lightCopy(e, pool));
    let sess = sessions.get(key);
    if (!sess) {
      sess = { first: lite(), inst, keys: new Set(), origins: new Map() };
      sessions.set(key, sess);
    }
    if (e.n.accessKeyId !== null) sess.keys.add(e.n.accessKeyId);
    const o = originOf(e);
    let st = sess.origins.get(o);
    if (!st) sess.origins.set(o, (st = { count: 0, head: [], tail: [], firstTimed: null, lastTimed: null, minTime: Infinity, endpoints: new Set() }));
    st.count++;
    const k: Kept = { e: null as unknown as AnalysisEvent, t: e.timeMs ?? Infinity, seq: seq++ };
    const keep = () => {
      k.e = lite();
      return k;
    };
    if (k.t < st.minTime) st.minTime = k.t;
    if (e.timeMs !== null) {
      if (!st.firstTimed || before(k, st.firstTimed)) st.firstTimed = keep();
      if (!st.lastTimed || before(st.lastTimed, k)) st.lastTimed = keep();
    }
    // The earliest K: insert in order, drop the latest beyond K.
    if (st.head.length < ORIGIN_EVENT_IDS || before(k, st.head[st.head.length - 1])) {
      let i = st.head.length;
      while (i > 0 && before(k, st.head[i - 1])) i--;
      st.head.splice(i, 0, keep());
      if (st.head.length > ORIGIN_EVENT_IDS) st.head.pop();
    }
    // The latest K: insert in order, drop the earliest beyond K.
    if (st.tail.length < ORIGIN_EVENT_IDS || before(st.tail[0], k)) {
      let i = st.tail.length;
      while (i > 0 && before(k, st.tail[i - 1])) i--;
      st.tail.splice(i, 0, keep());
      if (st.tail.length > ORIGIN_EVENT_IDS) st.tail.shift();
    }
    const endpoint = str(e.record.vpcEndpointId);
    if (endpoint !== null) st.endpoints.add(endpoint);
  };
  return { add, finish: () => report() };
  function report() {
  const out: FindingDraft[] = [];
  for (const [key, sess] of sessions) {
    const byOrigin = sess.origins;
    if (byOrigin.size < 2) continue;
    const inst = key.startsWith('instance') ? sess.inst : null;
    // One instance has one place; an ordinary session spread over private addresses is often one workload
    // (Lambda environments, containers sharing task credentials), so that needs a public origin among them.
    if (!inst && ![...byOrigin.keys()].some((o) => originKind(o) === 'public')) continue;
    const origins = [...byOrigin.entries()].sort((a, b) => a[1].minTime - b[1].minTime || (a[0] < b[0] ? -1 : 1));
    const role = sess.first.n.sessionIssuerArn ?? sess.first.n.principalArn ?? '(role not recorded)';
    out.push(
      sessionOriginsDraft(make, {
        inst,
        role,
        principalArn: sess.first.n.principalArn,
        keys: [...sess.keys],
        origins: origins.map(([o, st]) => ({
          origin: o,
          count: st.count,
          when: st.firstTimed && st.lastTimed ? during([st.firstTimed.e, st.lastTimed.e]) : 'at an unrecorded time',
          // At most 2K calls: the earliest and the latest K are all of them (merged by arrival); more: the earliest and the latest K.
          cited:
            st.count <= 2 * ORIGIN_EVENT_IDS
              ? [...new Map([...st.head, ...st.tail].map((x) => [x.seq, x])).values()].sort((a, b) => (before(a, b) ? -1 : 1)).map((x) => x.e)
              : [...st.head, ...st.tail].map((x) => x.e),
          endpoints: [...st.endpoints],
        })),
      }),
    );
  }
  return out;
  }
});

export const DENIED_BURST = { count: 10, windowMs: 10 * 60_000 };
const DENIAL = /AccessDenied|Unauthorized|NotAuthorized|Forbidden/i;

export const accessDeniedBurst = streamCheck({
  id: 'discovery.access-denied-burst', version: '1.0.0', title: 'Burst of access-denied errors from one principal',
  category: 'discovery', severity: 'medium', attack: ['T1580', 'T1526'],
  description: `>= ${DENIED_BURST.count} calls by one principal failing with an authorisation error (AccessDenied*, *UnauthorizedOperation, *NotAuthorized*, Forbidden) within ${DENIED_BURST.windowMs / 60000} minutes: typical of enumeration with stolen credentials that probe what they may do. High at >= 5 distinct APIs or >= 50 errors.`,
  select: { errorCodes: true },
}, (_ctx, make) => {
  // State (README.md, "Speed and size"), per principal: the authorisation errors of its cluster in progress (light; a cluster that
  // fires cites them all), with the densest window kept as it grows. Other errors are not kept. A cluster is
  // judged when the principal's next denial comes after a gap, or at the end.
  type Cluster = { g: AnalysisEvent[]; last: number | null; lo: number; best: number };
  const open = new Map<string, Cluster>();
  const pool = new Map<string, string>();
  const out: FindingDraft[] = [];
  const judge = ({ g, best }: Cluster) => {
    if (best < DENIED_BURST.count) return;
    const apis = uniq(g.map(apiOf));
    out.push(make({
      events: g,
      severity: (apis.length >= 5 || g.length >= 50 ? 'high' : 'medium') as Severity,
      title: `${plural(g.length, 'access-denied error')} for ${callerName(g[0]) ?? actorLabel(g[0])} (${plural(apis.length, 'API')})`,
      explanation: `${actorLabel(g[0])} received ${g.length} authorisation errors ${during(g)} (${best} within ${DENIED_BURST.windowMs / 60000} minutes) on ${apis.slice(0, 12).join(', ')}${apis.length > 12 ? ', ...' : ''}; error codes ${uniq(g.map((e) => e.n.errorCode!)).join(', ')}; source addresses ${uniq(g.map((e) => e.n.sourceIPAddress ?? '?')).join(', ')}.`,
      artefacts: [],
      remediation: [
        `Confirm whether ${actorLabel(g[0])} runs a tool that legitimately probes permissions (scanners, IaC plans).`,
        'If not: treat its credentials as stolen (revoke/rotate), and review its successful calls around the same time.',
      ],
    }));
  };
  const add = (e: AnalysisEvent) => {
    if (!e.n.errorCode || !DENIAL.test(e.n.errorCode) || isAwsInternal(e)) return;
    const key = actorKey(e);
    let c = open.get(key);
    // A new cluster after a gap (clusters() in event.ts: an event without a time joins the cluster in progress).
    if (c && e.timeMs !== null && c.last !== null && e.timeMs - c.last > DENIED_BURST.windowMs) {
      judge(c);
      c = undefined;
    }
    if (!c) open.set(key, (c = { g: [], last: null, lo: 0, best: 0 }));
    if (e.timeMs !== null) c.last = e.timeMs;
    const g = c.g;
    g.push(lightCopy(e, pool));
    // Densest window of the cluster, as it grows.
    const hi = g.length - 1;
    while (g[hi].timeMs !== null && g[c.lo].timeMs !== null && g[hi].timeMs! - g[c.lo].timeMs! > DENIED_BURST.windowMs) c.lo++;
    c.best = Math.max(c.best, hi - c.lo + 1);
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

export const ssmRemoteCommand = apiCheck({
  id: 'execution.ssm-remote-command', version: '1.0.0', title: 'Command or shell run on instances through SSM',
  category: 'execution', severity: 'medium', attack: ['T1651'],
  description: 'Successful ssm:SendCommand (documents run on instances) and ssm:StartSession / ResumeSession (interactive shells). High when a shell-script document targets more than one instance in one call.',
}, { sources: ['ssm.amazonaws.com'], names: ['SendCommand', 'StartSession', 'ResumeSession'] }, (e) => {
  const r = req(e);
  if (eventName(e) === 'SendCommand') {
    const doc = str(r.documentName) ?? '(document not recorded)';
    const targets = list(r.instanceIds).map(str).filter((x): x is string => x !== null);
    const tagTargets = list(r.targets).length;
    const shell = /RunShellScript|RunPowerShellScript/i.test(doc);
    return {
      title: `SSM ${doc} sent to ${targets.length ? plural(targets.length, 'instance') : tagTargets ? 'tag-selected instances' : 'instances'}`,
      did: `ran SSM document ${doc} on ${targets.join(', ') || (tagTargets ? `${tagTargets} target selector(s)` : 'instances')} (parameters hidden by CloudTrail)`,
      severity: shell && (targets.length > 1 || tagTargets > 0) ? 'high' : 'medium',
      artefacts: targets.map((i) => ({ type: 'instance', value: i })),
      remediation: [`Retrieve the command's parameters and output (aws ssm list-command-invocations --command-id ${str(obj(resp(e).command)?.commandId) ?? 'ID'} --details) and confirm it with ${callerName(e) ?? 'the caller'}.`],
    };
  }
  const target = str(r.target) ?? str(r.sessionId) ?? '(target not recorded)';
  return {
    title: `SSM session ${eventName(e) === 'StartSession' ? 'started' : 'resumed'} on ${target}`,
    did: `${eventName(e) === 'StartSession' ? 'started' : 'resumed'} an interactive SSM session on ${target}${str(resp(e).sessionId) ? ` (session ${str(resp(e).sessionId)})` : ''}`,
    attack: ['T1021.008'],
    artefacts: target.startsWith('i-') || target.startsWith('mi-') ? [{ type: 'instance', value: target }] : [],
    remediation: [`Confirm the session with ${callerName(e) ?? 'the caller'}; if session logging to S3/CloudWatch is enabled, read the transcript.`],
  };
});

export const instanceConnect = apiCheck({
  id: 'lateral-movement.ec2-instance-connect', version: '1.0.0', title: 'SSH key pushed to an instance (EC2 Instance Connect / serial console)',
  category: 'lateral-movement', severity: 'medium', attack: ['T1021.008'],
  description: 'Successful ec2-instance-connect:SendSSHPublicKey and SendSerialConsoleSSHPublicKey (a one-time key that lets the caller log in to the instance for 60 s), and ec2:EnableSerialConsoleAccess (account-wide).',
}, { sources: ['ec2-instance-connect.amazonaws.com', 'ec2.amazonaws.com'], names: ['SendSSHPublicKey', 'SendSerialConsoleSSHPublicKey', 'EnableSerialConsoleAccess'] }, (e) => {
  if (eventName(e) === 'EnableSerialConsoleAccess') {
    if (e.n.eventSource !== 'ec2.amazonaws.com') return null;
    return {
      title: `EC2 serial console access enabled in account ${e.n.recipientAccountId ?? '(unknown)'}`,
      did: 'enabled EC2 serial console access for the account and region',
      severity: 'medium',
      remediation: ['Disable serial console access (aws ec2 disable-serial-console-access) unless it is needed for recovery.'],
    };
  }
  if (e.n.eventSource !== 'ec2-instance-connect.amazonaws.com') return null;
  const r = req(e);
  const inst = str(r.instanceId) ?? '(instance not recorded)';
  const serial = eventName(e) === 'SendSerialConsoleSSHPublicKey';
  const key = str(r.sSHPublicKey);
  return {
    title: `SSH key pushed to ${inst}${serial ? ' serial console' : ''}${str(r.instanceOSUser) ? ` for OS user ${str(r.instanceOSUser)}` : ''}`,
    did: `pushed a one-time SSH public key to ${serial ? 'the serial console of ' : ''}instance ${inst}${str(r.instanceOSUser) ? ` for OS user ${str(r.instanceOSUser)}` : ''}${key ? ` (${key.split(' ').slice(0, 2).join(' ').slice(0, 60)}...)` : ''}`,
    severity: serial ? 'high' : 'medium',
    artefacts: [{ type: 'instance', value: inst }],
    remediation: [`Confirm the login to ${inst} with ${callerName(e) ?? 'the caller'}; check the instance's auth logs for the session that followed.`],
  };
});

export const userDataRead = defineCheck({
  id: 'discovery.ec2-user-data-read', version: '1.0.0', title: 'EC2 instance user data read',
  category: 'discovery', severity: 'medium', attack: ['T1552', 'T1580'],
  description: 'ec2:DescribeInstanceAttribute for attribute userData, including failed attempts (low when all failed), grouped per principal with gaps under an hour. User data often holds bootstrap secrets. Reads made by an AWS service on the principal\'s behalf are not counted.',
  select: { eventNames: ['DescribeInstanceAttribute'], eventSources: ['ec2.amazonaws.com'] },
}, (events, _ctx, make) => {
  const reads = events.filter((e) => is(e, 'ec2.amazonaws.com', 'DescribeInstanceAttribute') && str(req(e).attribute) === 'userData' && !invokedBy(e) && !isAwsInternal(e));
  return clusters(reads, actorKey, HOUR_MS).map((g) => {
    const ok = g.filter((e) => !failed(e));
    const instances = uniq(g.map((e) => str(req(e).instanceId)).filter((x): x is string => x !== null));
    return make({
      events: g,
      severity: (ok.length ? 'medium' : 'low') as Severity,
      title: `${ok.length ? '' : 'Attempted: '}User data of ${plural(instances.length, 'instance')} read by ${callerName(g[0]) ?? actorLabel(g[0])}`,
      explanation: `${actorLabel(g[0])} requested the user data of ${instances.slice(0, 10).join(', ')}${instances.length > 10 ? ` and ${instances.length - 10} more` : ''} ${plural(g.length, 'time')} (${span(g)}); ${ok.length} succeeded, ${g.length - ok.length} failed.`,
      artefacts: instances.map((i) => ({ type: 'instance', value: i })),
      remediation: [
        'Check whether the user data of these instances contains credentials; rotate any that it does.',
        `Confirm with the owner of ${actorLabel(g[0])} why it reads instance user data.`,
      ],
    });
  });
});

/** GPU/accelerated and very large families used for mining or model training. */
const UNUSUAL_FAMILIES = /^(p\d|g\d|inf\d|trn\d|dl\d|f\d|vt\d|x\d|u-|hpc\d)/i;

export const unusualInstances = apiCheck({
  id: 'impact.ec2-unusual-instances', version: '1.0.0', title: 'GPU or very large EC2 instances launched',
  category: 'impact', severity: 'medium', attack: ['T1496.001'],
  description: 'ec2:RunInstances, including failed attempts, for accelerated or very large families (p*, g*, inf*, trn*, dl*, f*, vt*, x*, u-*, hpc*) or asking for >= 10 instances at once: the pattern of compute hijacking (mining, model training).',
}, { sources: ['ec2.amazonaws.com'], names: ['RunInstances'], attempts: true }, (e) => {
  const r = req(e);
  const type = str(r.instanceType) ?? '(type not recorded)';
  const items = list(obj(r.instancesSet)?.items).map(obj).filter((x) => x !== null);
  const max = Math.max(0, ...items.map((i) => Number(i!.maxCount ?? 0)));
  const unusual = UNUSUAL_FAMILIES.test(type);
  if (!unusual && max < 10) return null;
  return {
    title: `${max > 1 ? `Up to ${max}` : 'An'} EC2 ${type} instance${max > 1 ? 's' : ''} launched`,
    attemptTitle: `Attempted launch of ${max > 1 ? `up to ${max}` : 'an'} EC2 ${type} instance${max > 1 ? 's' : ''} (${e.n.errorCode ?? 'failed'})`,
    did: `launched EC2 instances of type ${type}${max ? ` (up to ${max})` : ''}${unusual ? ', an accelerated/very large family' : ''}`,
    artefacts: [{ type: 'instance-type', value: type }],
    remediation: [`Confirm the launch with ${callerName(e) ?? 'the caller'}; terminate unexpected instances and check the bill for the period.`],
  };
});

const BEDROCK_INVOKE = ['InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream'];
const BEDROCK_ACCESS = ['PutFoundationModelEntitlement', 'CreateFoundationModelAgreement', 'PutUseCaseForModelAccess'];

export const bedrockUse = defineCheck({
  id: 'impact.bedrock-model-invocation', version: '1.0.0', title: 'Bedrock models invoked',
  category: 'impact', severity: 'low', attack: ['T1496.004'],
  description: 'Successful Bedrock model invocations (InvokeModel*, Converse*), one finding per principal and UTC day. High when the same principal enabled model access (PutFoundationModelEntitlement, CreateFoundationModelAgreement, PutUseCaseForModelAccess) in the 24 hours before: the pattern of hijacked credentials used to run models at the victim\'s cost.',
  select: { eventNames: [...BEDROCK_INVOKE, ...BEDROCK_ACCESS], eventSources: ['bedrock.amazonaws.com'] },
}, (events, _ctx, make) => {
  const access = events.filter((e) => is(e, 'bedrock.amazonaws.com', ...BEDROCK_ACCESS) && !failed(e));
  const invokes = events.filter((e) => is(e, 'bedrock.amazonaws.com', ...BEDROCK_INVOKE) && !failed(e) && !isAwsInternal(e));
  const days = new Map<string, AnalysisEvent[]>();
  for (const e of invokes) {
    const k = `${actorKey(e)}|${e.timeMs === null ? 'unknown' : Math.floor(e.timeMs / DAY_MS)}`;
    const l = days.get(k) ?? [];
    l.push(e);
    days.set(k, l);
  }
  const out = [];
  for (const g of days.values()) {
    const first = g[0];
    const enabled = access.filter((a) => actorKey(a) === actorKey(first) && a.timeMs !== null && first.timeMs !== null && first.timeMs - a.timeMs <= DAY_MS && a.timeMs <= (g[g.length - 1].timeMs ?? a.timeMs));
    const models = uniq(g.map((e) => str(req(e).modelId) ?? '(model not recorded)'));
    out.push(make({
      events: [...enabled, ...g],
      severity: (enabled.length ? 'high' : 'low') as Severity,
      title: enabled.length ? `Bedrock model access enabled and used by ${callerName(first) ?? actorLabel(first)}` : `Bedrock models invoked by ${callerName(first) ?? actorLabel(first)}`,
      explanation: `${actorLabel(first)} invoked ${models.join(', ')} ${plural(g.length, 'time')} (${span(g)}).${enabled.length ? ` Before that it called ${uniq(enabled.map(apiOf)).join(', ')} (${span(enabled)}), enabling model access.` : ''}`,
      artefacts: models.map((m) => ({ type: 'model', value: m })),
      remediation: enabled.length
        ? [`Confirm with the owner of ${actorLabel(first)} that enabling and using ${models.join(', ')} was intended; if not, revoke its credentials, remove the model access and check Bedrock charges.`]
        : [`Confirm that ${actorLabel(first)} is expected to use ${models.join(', ')}.`],
    }));
  }
  return out;
});

export const ACCESS_CHECKS: Check[] = [
  consoleLoginNoMfa, rootUsage, loginAfterFailures, instanceCredentialsOutside, sessionMultipleOrigins, accessDeniedBurst, ssmRemoteCommand,
  instanceConnect, userDataRead, unusualInstances, bedrockUse,
];
