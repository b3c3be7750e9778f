// Types of the built-in detection checks (issue "Analysis", Checks section).
// A check is a small registered unit: id + semver version + metadata + a
// selector (the SQL pre-filter) + a pure run() over the selected events.
import type { AnalysisEvent, Category, Finding, Severity } from '../../../shared/analysis/findings.ts';
import type { IpInfo } from '../../../shared/analysis/enrichment.ts';

/**
 * Which events a check wants. Every criterion that is given must hold (AND);
 * inside one list any value may match (OR). A selector with no criterion is
 * rejected at registration. The SQL-backed runner translates it 1:1:
 *   eventNames   -> base name IN (...)   (see baseEventName: Lambda logs
 *                   "UpdateFunctionCode20150331v2"; the suffix is removed
 *                   before comparing, so SQL should also match name || '2%')
 *   eventSources -> eventSource IN (...)
 *   errorCodes   -> errorCode IS NOT NULL
 *   identityTypes-> identityType IN (...)
 *   principalIdContains -> principalId containing one of the substrings
 *   all          -> every event (only for checks that really need a full pass)
 * Because lists are ANDed across, a check may receive a few events outside its
 * exact interest (e.g. names of one service with the source of another) and
 * re-checks name and source itself.
 */
export interface CheckSelector {
  eventNames?: string[];
  eventSources?: string[];
  /** true: only events that carry an errorCode. */
  errorCodes?: boolean;
  /** userIdentity.type values, e.g. ['Root']. */
  identityTypes?: string[];
  /**
   * userIdentity.principalId must contain one of these substrings (e.g. ':i-'
   * for EC2 instance-role sessions), so a check interested in a narrow kind of
   * session does not receive every assumed-role event of the case (the SQL
   * runner turns it into principal_id IN (ids of matching strings)).
   */
  principalIdContains?: string[];
  all?: boolean;
}

/**
 * Case-wide facts a check may need beyond its own events. Kept minimal:
 * built by buildCheckContext() from the case's events (or by the SQL runner
 * from two small queries, see context.ts).
 */
export interface CheckContext {
  /**
   * Account ids that belong to the investigated estate: every
   * recipientAccountId seen in the case plus CaseScope.accounts. A grantee or
   * caller from any other account is called "outside". When empty (nothing
   * known) every explicit account id is treated as outside.
   */
  ownAccounts: ReadonlySet<string>;
  /** S3 buckets CloudTrail delivers to, learned from CreateTrail/UpdateTrail requests and DescribeTrails/GetTrail responses in the case. */
  trailBuckets: ReadonlySet<string>;
  /**
   * Receives data problems a check met but could not turn into a finding
   * (e.g. a policy document that is not JSON), so the caller can record them
   * as analysis warnings instead of losing them silently.
   */
  warn?: (eventId: string, checkId: string, message: string) => void;
  /**
   * The enrichment answer in force for a recorded sourceIPAddress (README.md, "Addresses and profiles"),
   * when the case has been enriched. Checks that need it (Check.enrichment)
   * find nothing without it rather than guessing.
   */
  ipInfo?: (sourceIPAddress: string) => IpInfo | undefined;
  /**
   * Every event of the case has an eventTime, so a stream sees them in time
   * order to the end: state that no later event can join (a gap has already
   * passed) may be judged and let go, and a stream's memory follows the
   * activity at one time rather than everyone ever seen. Absent: some event may
   * come without a time, and after every timed one.
   */
  everyEventTimed?: boolean;
}

/** What a check produces; toFinding() adds id, source, checkId, checkVersion, firstSeen and lastSeen. */
export type FindingDraft = Omit<Finding, 'id' | 'source' | 'checkId' | 'checkVersion' | 'firstSeen' | 'lastSeen'>;

export interface Check {
  /** '<category>.<name>', e.g. 'persistence.iam-access-key-created'. */
  id: string;
  /** semver; bump when the logic changes so stored findings can be told apart. */
  version: string;
  title: string;
  /** Default category/severity/techniques; a draft may raise or lower severity for a particular case. */
  category: Category;
  severity: Severity;
  /** MITRE ATT&CK technique ids. */
  attack: string[];
  /** One-paragraph description of what the check looks for and its thresholds (shown in the UI and the report). */
  description: string;
  select: CheckSelector;
  /** Needs CheckContext.ipInfo (address enrichment); without it the check reports nothing. */
  enrichment?: boolean;
  /**
   * The incremental form of run() (README.md, "Speed and size": analysis memory flat in the case
   * size): the runner opens it once and hands it the selected events one at a
   * time, in time order, while its single pass goes by, so no check holds the
   * events of a case. Its state must be bounded by entities (principals, keys,
   * addresses, sessions), not by events. run() is then the same code looping
   * over an array (define.ts: streamCheck), so both runners agree by construction.
   */
  stream?: (ctx: CheckContext) => CheckStream;
  /** Receives only events matching select, in time order. Must not throw on odd records. */
  run(events: AnalysisEvent[], ctx: CheckContext): FindingDraft[];
}

/** A check's incremental state (Check.stream): add() each selected event in time order, then finish() once. */
export interface CheckStream {
  add(e: AnalysisEvent): void;
  finish(): FindingDraft[];
}
