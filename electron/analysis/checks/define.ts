// Small helpers so each check stays a short, readable unit.
import { SEVERITIES, severityRank, type AnalysisEvent, type Artefact, type Category, type Severity } from '../../../shared/analysis/findings.ts';
import { actorArtefacts, apiOf, eventName, failed, failureText, isAwsInternal, uniqArtefacts, whoWhen } from './event.ts';
import type { Check, CheckContext, CheckStream, FindingDraft } from './types.ts';

export interface DraftInput {
  /** The events the finding rests on (kept in the given order; duplicates dropped). */
  events: AnalysisEvent[];
  title: string;
  explanation: string;
  remediation: string[];
  /** Artefacts specific to the finding; the actors' ARNs, access keys and IPs are appended automatically. */
  artefacts?: Artefact[];
  severity?: Severity;
  category?: Category;
  attack?: string[];
}

export type Make = (d: DraftInput) => FindingDraft;

export type CheckMeta = Omit<Check, 'run' | 'stream' | 'narrow'>;

/**
 * The time of each event a draft rests on, kept beside the draft: a streaming
 * runner no longer holds a check's events when it turns drafts into findings
 * (firstSeen, lastSeen).
 */
export const draftTimes = new WeakMap<FindingDraft, Map<string, number | null>>();

function maker(meta: CheckMeta): Make {
  return (d) => {
    const seen = new Set<string>();
    const eventIds: string[] = [];
    for (const e of d.events) if (!seen.has(e.eventId)) { seen.add(e.eventId); eventIds.push(e.eventId); }
    const draft: FindingDraft = {
      title: d.title,
      severity: d.severity ?? meta.severity,
      category: d.category ?? meta.category,
      attack: d.attack ?? meta.attack,
      eventIds,
      artefacts: uniqArtefacts([...(d.artefacts ?? []), ...d.events.flatMap(actorArtefacts)]),
      explanation: d.explanation,
      remediation: d.remediation,
    };
    draftTimes.set(draft, new Map(d.events.map((e) => [e.eventId, e.timeMs])));
    return draft;
  };
}

/** A check whose run() sees all selected events at once (aggregations, sequences). */
export function defineCheck(meta: CheckMeta, run: (events: AnalysisEvent[], ctx: CheckContext, make: Make) => FindingDraft[]): Check {
  const make = maker(meta);
  return { ...meta, run: (events, ctx) => run(events, ctx, make) };
}

/**
 * A check written as incremental state (Check.stream): open() is called once
 * per run; run() over an array is the same state fed in a loop, so the
 * streaming runner and the in-memory reference runner share one definition.
 */
export function streamCheck(meta: CheckMeta, open: (ctx: CheckContext, make: Make) => CheckStream): Check {
  const make = maker(meta);
  const stream = (ctx: CheckContext) => open(ctx, make);
  return {
    ...meta,
    stream,
    run: (events, ctx) => {
      const s = stream(ctx);
      for (const e of events) s.add(e);
      return s.finish();
    },
  };
}

/** A check that judges each selected event on its own (at most one finding per event); it streams. */
export function perEventCheck(meta: CheckMeta, judge: (e: AnalysisEvent, ctx: CheckContext, make: Make) => FindingDraft | null): Check {
  return streamCheck(meta, (ctx, make) => {
    const out: FindingDraft[] = [];
    return {
      add: (e) => {
        const d = judge(e, ctx, make);
        if (d) out.push(d);
      },
      finish: () => out,
    };
  });
}

/** One severity step down (for failed attempts). */
export function lower(s: Severity): Severity {
  return SEVERITIES[Math.max(0, severityRank(s) - 1)];
}

export interface ApiCheckSpec {
  sources: string[];
  names: string[];
  /**
   * Report failed calls too (as "Attempted ...", one severity lower), for
   * actions where the attempt itself is telling (e.g. leaving the organization).
   */
  attempts?: boolean;
  /** Report calls by AWS-internal principals (service-linked roles) too. Default false. */
  internal?: boolean;
}

export interface ApiFinding {
  /** Title for a successful call ("CloudTrail trail X stopped"). */
  title: string;
  /** Title for a failed call (only with spec.attempts); default "Failed attempt: <title>". */
  attemptTitle?: string;
  /** What the call did, continuing "At <time> <actor> from <ip> ..." e.g. "stopped logging of trail X". */
  did: string;
  artefacts?: Artefact[];
  remediation: string[];
  severity?: Severity;
  category?: Category;
  attack?: string[];
}

/**
 * A check over specific API calls judged one by one: spec names the calls;
 * describe() returns null to ignore a call (e.g. a change that does not weaken anything).
 */
export function apiCheck(meta: Omit<CheckMeta, 'select'>, spec: ApiCheckSpec, describe: (e: AnalysisEvent, ctx: CheckContext) => ApiFinding | null): Check {
  return perEventCheck({ ...meta, select: { eventNames: spec.names, eventSources: spec.sources } }, (e, ctx, make) => {
    if (!e.n.eventSource || !spec.sources.includes(e.n.eventSource)) return null;
    if (!spec.names.includes(eventName(e))) return null;
    if (!spec.internal && isAwsInternal(e)) return null;
    const fail = failed(e);
    if (fail && !spec.attempts) return null;
    const d = describe(e, ctx);
    if (!d) return null;
    const sev = d.severity ?? meta.severity;
    return make({
      events: [e],
      title: fail ? d.attemptTitle ?? `Failed attempt: ${d.title}` : d.title,
      explanation: `${whoWhen(e)} ${fail ? `called ${apiOf(e)} (${d.did}); the call ${failureText(e)}` : d.did}.`,
      artefacts: d.artefacts,
      remediation: d.remediation,
      severity: fail ? lower(sev) : sev,
      category: d.category,
      attack: d.attack,
    });
  });
}
