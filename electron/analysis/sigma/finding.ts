// Turning Sigma rule hits into Findings (shared/analysis/findings.ts). Pure:
// the stable finding id needs SHA-256, which is node-side, so the id function
// is a parameter (bundled.ts supplies the node:crypto one).
import type { AnalysisEvent, Artefact, Category, Finding } from '../../../shared/analysis/findings.ts';
import { parseIp } from '../../../shared/ip.ts';
import { isoUtc } from '../../../shared/time.ts';
import type { CompiledSigmaRule } from './engine.ts';
import { describeCorrelation } from './correlation.ts';

export const SIGMA_FINDING_UNIT = { name: 'sigma-finding', version: '1.0.0' } as const;

/**
 * ATT&CK tactic (from `attack.<tactic>` tags) -> TrailCase category.
 * ATT&CK v18 split Defense Evasion into "Stealth" and "Defense Impairment";
 * SigmaHQ rules already use both names, and both are what TrailCase calls
 * defense-evasion. Reconnaissance is discovery done from outside, so it maps
 * to discovery.
 */
export const SIGMA_TACTIC_CATEGORY: Readonly<Record<string, Category>> = {
  'initial-access': 'initial-access',
  execution: 'execution',
  persistence: 'persistence',
  'privilege-escalation': 'privilege-escalation',
  'defense-evasion': 'defense-evasion',
  stealth: 'defense-evasion',
  'defense-impairment': 'defense-evasion',
  'credential-access': 'credential-access',
  discovery: 'discovery',
  reconnaissance: 'discovery',
  'lateral-movement': 'lateral-movement',
  collection: 'collection',
  exfiltration: 'exfiltration',
  impact: 'impact',
};

/**
 * Tactics with no TrailCase category, used only when a rule names no tactic
 * from the table above. Resource development in a victim account means
 * abusing its resources (SES for phishing, compute for mining), which is
 * closest to Impact's resource hijacking (T1496). Command and control in
 * CloudTrail is the attacker driving the account, i.e. execution.
 */
const SECONDARY_TACTIC_CATEGORY: Record<string, Category> = {
  'resource-development': 'impact',
  'command-and-control': 'execution',
};

/**
 * The category of a rule: the first tactic tag, in the order the rule author
 * wrote them (SigmaHQ authors list the primary tactic first), that has a
 * category. A rule with no usable tactic tag is an adversary action of
 * unstated purpose in the account: execution. (Not discovery: most such rules
 * describe changes, not reads.)
 */
export function sigmaCategory(rule: Pick<CompiledSigmaRule, 'tactics'>): Category {
  for (const t of rule.tactics) if (SIGMA_TACTIC_CATEGORY[t]) return SIGMA_TACTIC_CATEGORY[t];
  for (const t of rule.tactics) if (SECONDARY_TACTIC_CATEGORY[t]) return SECONDARY_TACTIC_CATEGORY[t];
  return 'execution';
}

/** The version a Sigma finding records: the rule's `modified` date, else its `date`. */
export function sigmaRuleVersion(rule: Pick<CompiledSigmaRule, 'modified' | 'date'>): string {
  return rule.modified ?? rule.date ?? 'undated';
}

export function sigmaAttribution(rule: Pick<CompiledSigmaRule, 'title' | 'author'> & Partial<Pick<CompiledSigmaRule, 'origin' | 'file' | 'fileSha256'>>): string {
  if (rule.origin === 'user') {
    return `Sigma rule '${rule.title}' by ${rule.author || 'unknown author'}, examiner-supplied rule file ${rule.file ?? '(unnamed)'}${rule.fileSha256 ? ` (SHA-256 ${rule.fileSha256})` : ''}`;
  }
  return `Sigma rule '${rule.title}' by ${rule.author || 'unknown author'}, SigmaHQ, Detection Rule License 1.1`;
}

/** What a correlation finding adds to the explanation: the correlation, the group and the window. */
export interface CorrelationHit {
  group: (string | null)[];
  metric: number;
}

function byTime(a: AnalysisEvent, b: AnalysisEvent): number {
  const ta = a.timeMs ?? Number.POSITIVE_INFINITY;
  const tb = b.timeMs ?? Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

function eventArtefacts(e: AnalysisEvent, add: (a: Artefact) => void): void {
  const n = e.n;
  if (n.identityType === 'AssumedRole') {
    if (n.sessionIssuerArn ?? n.principalArn) add({ type: 'role', value: (n.sessionIssuerArn ?? n.principalArn)! });
  } else if (n.principalArn) {
    add({ type: n.identityType === 'IAMUser' || n.identityType === 'Root' ? 'user' : 'principal', value: n.principalArn });
  } else if (n.userName) add({ type: 'user', value: n.userName });
  if (n.accessKeyId) add({ type: 'access-key', value: n.accessKeyId });
  // Kept verbatim (e.g. zero-padded octets) so the examiner can search for it; only real addresses count.
  if (n.sourceIPAddress && parseIp(n.sourceIPAddress)) add({ type: 'ip', value: n.sourceIPAddress });
  if (n.recipientAccountId) add({ type: 'account', value: n.recipientAccountId });
}

function describe(e: AnalysisEvent): string {
  const n = e.n;
  const who = n.principalArn ?? n.userName ?? n.identityType ?? 'an unknown principal';
  const when = e.timeMs === null ? 'at an unknown time' : `at ${isoUtc(e.timeMs)}`;
  const err = n.errorCode ? `, failed with ${n.errorCode}` : '';
  return `${n.eventName ?? '(no eventName)'} on ${n.eventSource ?? '(no eventSource)'} by ${who}${n.sourceIPAddress ? ` from ${n.sourceIPAddress}` : ''} ${when}${err} (eventID ${e.eventId})`;
}

const LISTED_EVENTS = 10;

function correlationLine(rule: CompiledSigmaRule, c: CorrelationHit): string {
  const corr = rule.correlation!;
  const group = corr.groupBy.length ? ` for ${corr.groupBy.map((f, i) => `${f} = ${c.group[i] === null ? '(absent)' : JSON.stringify(c.group[i])}`).join(', ')}` : '';
  const metric = corr.type === 'event_count' ? `${c.metric} events` : corr.type === 'value_count' ? `${c.metric} distinct values of ${corr.field}` : `${c.metric} of ${corr.parts.length} correlated parts`;
  return `Correlation (${corr.form}): ${describeCorrelation(corr)}; the busiest window held ${metric}${group}.`;
}

/**
 * Build the Finding for the events one Sigma rule matched.
 * @param findingId stable id from the check id and the sorted event ids (bundled.ts: 16-hex SHA-256 prefix).
 */
export function buildSigmaFinding(
  rule: CompiledSigmaRule,
  events: AnalysisEvent[],
  findingId: (checkId: string, sortedEventIds: string[]) => string,
  correlation?: CorrelationHit,
): Finding {
  if (events.length === 0) throw new Error(`Sigma rule ${rule.id} ('${rule.title}'): a finding needs at least one matched event`);
  const sorted = [...events].sort(byTime);
  const eventIds: string[] = [];
  const seen = new Set<string>();
  for (const e of sorted) {
    if (!seen.has(e.eventId)) {
      seen.add(e.eventId);
      eventIds.push(e.eventId);
    }
  }
  const checkId = `sigma:${rule.id}`;
  const artefacts: Artefact[] = [];
  const artefactKeys = new Set<string>();
  for (const e of sorted) {
    eventArtefacts(e, (a) => {
      const k = `${a.type}\u0000${a.value}`;
      if (!artefactKeys.has(k)) {
        artefactKeys.add(k);
        artefacts.push(a);
      }
    });
  }
  const times = sorted.map((e) => e.timeMs).filter((t): t is number => t !== null);
  const firstSeen = times.length ? isoUtc(Math.min(...times)) : null;
  const lastSeen = times.length ? isoUtc(Math.max(...times)) : null;

  const listed = sorted.slice(0, LISTED_EVENTS).map((e) => `- ${describe(e)}`);
  if (sorted.length > LISTED_EVENTS) listed.push(`- and ${sorted.length - LISTED_EVENTS} more`);
  const span = firstSeen ? (firstSeen === lastSeen ? ` at ${firstSeen}` : ` between ${firstSeen} and ${lastSeen}`) : '';
  const explanation = [
    `Sigma rule '${rule.title}' (id ${rule.id}${rule.file ? `, ${rule.file}` : ''}, level ${rule.level}) matched ${eventIds.length} event${eventIds.length === 1 ? '' : 's'}${span}:`,
    ...(rule.correlation && correlation ? [correlationLine(rule, correlation)] : []),
    ...listed,
    rule.description ? `The rule describes what it detects as: ${rule.description}` : 'The rule gives no description.',
  ].join('\n');

  const remediation = [
    'Review each matched event and confirm with the owner of the principal whether the call was expected and authorised.',
    'If it was not: treat the principal\'s credentials as compromised (deactivate its access keys or revoke its role sessions), undo the change the event records, and look for other activity by the same principal, access key and source IP.',
    ...rule.falsepositives.filter((f) => f && f.toLowerCase() !== 'unknown').map((f) => `Known false positive named by the rule author: ${f}`),
  ];

  return {
    id: findingId(checkId, [...eventIds].sort()),
    source: 'sigma',
    checkId,
    checkVersion: sigmaRuleVersion(rule),
    title: rule.title,
    severity: rule.level,
    category: sigmaCategory(rule),
    attack: [...rule.tags],
    eventIds,
    artefacts,
    explanation,
    remediation,
    firstSeen,
    lastSeen,
    attribution: sigmaAttribution(rule),
  };
}
