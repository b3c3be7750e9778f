// Results of the case analysis functions (docs/analysis.md), shared by the back end,
// the CLI, the UI and the report. Times are ISO-8601 UTC strings.
import type { EventSummary } from '../types.ts';
import type { Finding } from './findings.ts';
import type { Ioc, IocType } from './ioc.ts';

// ---- IOC list ----

export interface IocHit extends Ioc {
  hits: number;
  firstSeen: string | null;
  lastSeen: string | null;
  /** Set when the indicator could not be matched completely (e.g. bucket index missing). */
  note?: string;
}

export type IocFormat = 'csv' | 'text' | 'stix';

export interface IocImportResult {
  format: IocFormat;
  added: { type: IocType; value: string }[];
  /** Already in the list in the same state: left as it is. */
  unchanged: { type: IocType; value: string }[];
  /** Entries understood but not importable (e.g. a STIX pattern on file hashes), with the reason. */
  skipped: { where: string; reason: string }[];
  custodySeq: number | null;
}

// ---- pivot ----

export interface PivotSeed {
  key?: string;
  ip?: string;
  principal?: string;
}

export type PivotIndicatorType = 'access-key' | 'principal' | 'user' | 'role' | 'ip' | 'user-agent' | 'source-identity' | 'account' | 'bucket';

export interface PivotIndicator {
  type: PivotIndicatorType;
  value: string;
  /** Why this indicator belongs to the attacker, in words. */
  reason: string;
  /** The event that led to it (null for the seed). */
  viaEventId: string | null;
  /** 0 for the seed; n+1 when found from the events of a hop-n indicator. */
  hop: number;
  /** Whether its events were pulled in (IPs shared with others and user agents are reported, not followed). */
  followed: boolean;
  /** Attacker events first reached through it (an event reached through several indicators counts once, for the first); 0 when not followed. */
  events: number;
}

export interface PivotEvent extends EventSummary {
  hop: number;
  /** Which indicator brought the event in. */
  reason: string;
}

export interface PivotContext {
  kind: 'shared-ip' | 'shared-user-agent' | 'compromised-principal' | 'creator' | 'not-followed' | 'limit';
  value: string;
  note: string;
  eventIds: string[];
}

/** How many attacker events a pivot lists by default (it counts them all): summaries cost a dictionary lookup per field, ~35 ms per 1,000 events on the 2-core bench machine. */
export const PIVOT_EVENT_LIMIT = 1_000;

export interface PivotResult {
  seed: PivotSeed;
  /** Every attacker event found (at most the pivot's maxEvents; see truncated). */
  eventCount: number;
  /** Attacker events per hop (index = hop). */
  eventsByHop: number[];
  /** Time of the earliest and the latest attacker event (null when none has a time). */
  firstEventTime: string | null;
  lastEventTime: string | null;
  /** The earliest attacker events by time (then leaf), at most the pivot's eventLimit (default 1,000): all of them unless eventsTruncated. */
  events: PivotEvent[];
  /** events lists fewer than eventCount (raise eventLimit, or `trailcase pivot --all-events`, for every one). */
  eventsTruncated: boolean;
  /** With allEventIds: the eventID of every attacker event, in the same order as events. */
  eventIds?: string[];
  indicators: PivotIndicator[];
  /** What was seen but deliberately not followed, and why. */
  context: PivotContext[];
  hops: number;
  /** The pivot stopped at its maxEvents: eventCount and the indicators are incomplete. */
  truncated: boolean;
  seconds: number;
  /** The pivot rules in force (documented in docs and shown with results). */
  rules: string[];
}

// ---- analysis runs and findings ----

export interface UnitRef {
  id: string;
  version: string;
}

export interface AnalysisWarning {
  unit: string;
  eventId: string | null;
  message: string;
}

export interface AnalysisRunSummary {
  runId: number | null;
  at: string | null;
  treeSize: number;
  findings: number;
  bySeverity: Record<string, number>;
  checksRun: UnitRef[];
  sigmaRun: { id: string; title: string }[];
  sigmaUnsupported: { file: string; id?: string; title?: string; reason: string }[];
  /** The examiner's own Sigma rule files that ran, with their SHA-256 (docs/queries.md). */
  sigmaFiles?: { file: string; sha256: string }[];
  /** Promoted query checks that ran, with what they recorded (query text and result hashes). */
  promoted?: { id: string; version: string; record?: Record<string, unknown> }[];
  warnings: AnalysisWarning[];
  seconds: number;
  /** Events read and parsed, and how many full-case passes that amounts to. */
  eventsRead: number;
  passes: number;
}

export type FindingDecision = 'accepted' | 'dismissed' | 'open';

export interface FindingWithDecision extends Finding {
  decision: FindingDecision;
  decisionNote: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
}

export interface FindingList {
  run: AnalysisRunSummary | null;
  /** True when events or the check/rule versions changed since the run: re-run to refresh. */
  stale: boolean;
  staleReason: string | null;
  items: FindingWithDecision[];
  total: number;
}

// ---- baselines ----

export interface BaselineOptions {
  /** Fraction of each principal's own time span used to learn what is normal (default 0.2). */
  learnFraction?: number;
  /** Or one date for all principals: everything before it is the learning window. */
  learnUntil?: string;
  /** Principals with fewer events are listed as too short to baseline (default 20). */
  minEvents?: number;
}

export interface FirstSeen {
  principal: string;
  dimension: 'ip' | 'network' | 'user-agent' | 'region' | 'api';
  value: string;
  firstSeen: string;
  eventId: string;
  /** Events with this value after the learning window. */
  count: number;
}

export interface VolumeSpike {
  principal: string;
  hour: string;
  events: number;
  median: number;
  mad: number;
  robustZ: number;
}

export interface RareApi {
  api: string;
  eventSource: string | null;
  eventName: string | null;
  count: number;
  principals: string[];
  eventIds: string[];
}

export interface BaselineReport {
  method: string[];
  principals: { principal: string; events: number; first: string | null; last: string | null; learnUntil: string | null; baselined: boolean }[];
  firstSeen: FirstSeen[];
  rareApis: RareApi[];
  rareThreshold: number;
  spikes: VolumeSpike[];
  notAvailable: string[];
  seconds: number;
}

// ---- coverage and gaps ----

export interface HourRange {
  from: string;
  to: string;
  hours: number;
}

export interface CoverageCell {
  account: string | null;
  region: string | null;
  events: number;
  first: string | null;
  last: string | null;
  hoursWithEvents: number;
  /** Hours inside the case range with no event for this account and region. */
  missing: HourRange[];
  missingHours: number;
}

export interface LoggingChange {
  eventId: string;
  time: string | null;
  eventName: string;
  principal: string | null;
  target: string | null;
  detail: string;
}

export interface GapReport {
  range: { first: string | null; last: string | null; hours: number };
  accounts: string[];
  regions: string[];
  coverage: CoverageCell[];
  /** Hours inside the case range with no event at all. */
  emptyHours: HourRange[];
  loggingChanges: LoggingChange[];
  /** Periods a trail was stopped (StopLogging until StartLogging or the end of the case). */
  loggingOff: { trail: string; from: string | null; to: string | null; stoppedBy: string; restartedBy: string | null }[];
  digest: { available: boolean; note: string; gaps: { origin: string; result: string; detail?: string }[] };
  lookupEvents: { present: boolean; notes: string[]; horizon: { region: string | null; acquiredAt: string; earliestAvailable: string }[] };
  dataEvents: { present: boolean; count: number; note: string };
  notes: string[];
  seconds: number;
}
