// Turning Sigma rule hits into Findings (shared/analysis/findings.ts). Pure:
// the stable finding id needs SHA-256, which is node-side, so the id function
// is a parameter (bundled.ts supplies the node:crypto one).
import { FINDING_EVENT_LIST_LIMIT, type AnalysisEvent, type Artefact, type Category, type Finding } from '../../../shared/analysis/findings.ts';
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

/** The order of a finding's events: time, then eventID; events without a time last. */
export function byTime(a: Pick<AnalysisEvent, 'eventId' | 'timeMs'>, b: Pick<AnalysisEvent, 'eventId' | 'timeMs'>): number {
  const ta = a.timeMs ?? Number.POSITIVE_INFINITY;
  const tb = b.timeMs ?? Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

function eventArtefacts(e: MatchedEvent, add: (a: Artefact) => void): void {
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

function describe(e: MatchedEvent): string {
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

/** What a finding's builder is handed for each matched event: its id, time and normalised fields. */
export type MatchedEvent = Pick<AnalysisEvent, 'eventId' | 'timeMs' | 'n'>;

/**
 * A Sigma finding built one event at a time, in the order `byTime` gives
 * (time, then eventID; events without a time last). The caller says whether
 * an event is the first of its eventID in that order (later copies of an
 * eventID count for the artefacts and the listing but not as events), and
 * hands the finding id at the end: a rule that matches much of a case has its
 * matches sorted by SQLite, never held here (bundled.ts, docs/analysis.md).
 */
export class SigmaFindingBuilder {
  private readonly eventIds: string[] = [];
  private distinct = 0;
  private seen = 0;
  private readonly artefacts: Artefact[] = [];
  private readonly artefactKeys = new Set<string>();
  private first: number | null = null;
  private last: number | null = null;
  private readonly listed: string[] = [];

  constructor(
    private readonly rule: CompiledSigmaRule,
    private readonly correlation?: CorrelationHit,
  ) {}

  add(e: MatchedEvent, firstOfItsId: boolean): void {
    this.seen++;
    if (firstOfItsId) {
      this.distinct++;
      if (this.eventIds.length < FINDING_EVENT_LIST_LIMIT) this.eventIds.push(e.eventId);
    }
    eventArtefacts(e, (a) => {
      const k = `${a.type}\u0000${a.value}`;
      if (!this.artefactKeys.has(k)) {
        this.artefactKeys.add(k);
        this.artefacts.push(a);
      }
    });
    if (e.timeMs !== null) {
      if (this.first === null || e.timeMs < this.first) this.first = e.timeMs;
      if (this.last === null || e.timeMs > this.last) this.last = e.timeMs;
    }
    if (this.listed.length < LISTED_EVENTS) this.listed.push(`- ${describe(e)}`);
  }

  /** The Finding, given its id (computed over every distinct eventID, sorted: `sigmaFindingId`). */
  finish(id: string): Finding {
    const { rule, correlation } = this;
    if (this.seen === 0) throw new Error(`Sigma rule ${rule.id} ('${rule.title}'): a finding needs at least one matched event`);
    const checkId = `sigma:${rule.id}`;
    const firstSeen = this.first === null ? null : isoUtc(this.first);
    const lastSeen = this.last === null ? null : isoUtc(this.last);
    const listed = [...this.listed];
    if (this.seen > LISTED_EVENTS) listed.push(`- and ${this.seen - LISTED_EVENTS} more`);
    const span = firstSeen ? (firstSeen === lastSeen ? ` at ${firstSeen}` : ` between ${firstSeen} and ${lastSeen}`) : '';
    const n = this.distinct;
    const explanation = [
      `Sigma rule '${rule.title}' (id ${rule.id}${rule.file ? `, ${rule.file}` : ''}, level ${rule.level}) matched ${n} event${n === 1 ? '' : 's'}${span}:`,
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
      id,
      source: 'sigma',
      checkId,
      checkVersion: sigmaRuleVersion(rule),
      title: rule.title,
      severity: rule.level,
      category: sigmaCategory(rule),
      attack: [...rule.tags],
      eventIds: [...this.eventIds],
      ...(n > this.eventIds.length ? { eventCount: n } : {}),
      artefacts: [...this.artefacts],
      explanation,
      remediation,
      firstSeen,
      lastSeen,
      attribution: sigmaAttribution(rule),
    };
  }
}

/**
 * Build the Finding for the events one Sigma rule matched (held in memory).
 * @param findingId stable id from the check id and the sorted event ids (bundled.ts: 16-hex SHA-256 prefix).
 */
export function buildSigmaFinding(
  rule: CompiledSigmaRule,
  events: MatchedEvent[],
  findingId: (checkId: string, sortedEventIds: string[]) => string,
  correlation?: CorrelationHit,
): Finding {
  if (events.length === 0) throw new Error(`Sigma rule ${rule.id} ('${rule.title}'): a finding needs at least one matched event`);
  const b = new SigmaFindingBuilder(rule, correlation);
  const seen = new Set<string>();
  for (const e of [...events].sort(byTime)) {
    const first = !seen.has(e.eventId);
    if (first) seen.add(e.eventId);
    b.add(e, first);
  }
  return b.finish(findingId(`sigma:${rule.id}`, [...seen].sort()));
}
