// Findings: what checks and Sigma rules conclude, with the events they rest on.
import type { NormalizedEvent } from '../record.ts';

export type Severity = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: Severity[] = ['informational', 'low', 'medium', 'high', 'critical'];
/** 0 (informational) to 4 (critical): compare severities by it; -1 for anything else. */
export const severityRank = (s: string): number => SEVERITIES.indexOf(s as Severity);

export type Category =
  | 'persistence'
  | 'privilege-escalation'
  | 'defense-evasion'
  | 'exfiltration'
  | 'collection'
  | 'initial-access'
  | 'credential-access'
  | 'discovery'
  | 'execution'
  | 'lateral-movement'
  | 'impact';

export interface Artefact {
  /** user, role, access-key, function, layer, key-pair, bucket, account, policy, instance, snapshot, image, trail, detector, provider, ip, ... */
  type: string;
  value: string;
}

/**
 * The most eventIDs a finding lists. A rule that matches much of a case (one
 * SigmaHQ rule matches 59% of the synthetic bench trail) would otherwise make
 * the finding, the stored run and everything that reads it grow with the case.
 */
export const FINDING_EVENT_LIST_LIMIT = 10_000;

/** How many events a finding rests on (listed or not). */
export const findingEventCount = (f: Pick<Finding, 'eventIds' | 'eventCount'>): number => f.eventCount ?? f.eventIds.length;

export interface Finding {
  /** Stable id: derived from the check id and the event ids, so re-running yields the same id. */
  id: string;
  source: 'check' | 'sigma';
  checkId: string;
  checkVersion: string;
  title: string;
  severity: Severity;
  category: Category;
  /** MITRE ATT&CK technique ids, e.g. T1098.001 */
  attack: string[];
  /**
   * eventIDs (CloudTrail's eventID) the finding rests on, in time order
   * (a check's own order for a check). At most FINDING_EVENT_LIST_LIMIT: a
   * finding resting on more lists the first ones and says how many in
   * `eventCount` (docs/analysis.md, "Memory"); its `id` covers all of them.
   */
  eventIds: string[];
  /** How many distinct events the finding rests on, present only when `eventIds` lists fewer (it reached FINDING_EVENT_LIST_LIMIT). */
  eventCount?: number;
  artefacts: Artefact[];
  /** Plain-language statement of what the events show (facts). */
  explanation: string;
  remediation: string[];
  firstSeen: string | null;
  lastSeen: string | null;
  /** Sigma rules: author/reference attribution required by DRL 1.1. */
  attribution?: string;
  /** A check promoted from a saved query (docs/queries.md): what a receiver needs to re-run it and compare. */
  evidence?: FindingQueryEvidence;
}

export interface FindingQueryEvidence {
  savedQuery: string;
  mode: 'sql' | 'search';
  /** The query text as promoted, and its SHA-256 (UTF-8). */
  text: string;
  textSha256: string;
  /** The SQL that ran (the search bar's compiled SQL, or the SQL with CloudTrail paths rewritten). */
  sql: string;
  engine: string;
  checkpoint: { treeSize: number; root: string };
  rows: number;
  /** SHA-256 of the canonical result (docs/queries.md), and the query.run custody entry. */
  resultSha256: string;
  custodySeq: number;
}

/** One event as analysis sees it: the parsed verbatim record plus its normalised fields. */
export interface AnalysisEvent {
  leaf: number;
  eventId: string;
  /** epoch ms UTC, or null when the record carries no time */
  timeMs: number | null;
  record: Record<string, any>;
  n: NormalizedEvent;
}
