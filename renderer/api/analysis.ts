// Helpers for the analysis views (IOC list, pivot, checks, findings). The
// views call the back end through RendererApi like every other view; the
// answer types here are the contract's (shared/api/analysis.ts), not copies.
import { useEffect, useState } from 'react';
import type { Severity } from '../../shared/analysis/findings.ts';
import type { AnswerOf, MethodName } from '../../shared/api/index.ts';
import { getApi, hasMethod } from './transport.ts';

export { IOC_TYPES as IOC_TYPE_NAMES } from '../../shared/analysis/ioc.ts';

export const SEVERITY_RANK: Record<Severity, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** listFindings' answer, and one finding of it with its decision. */
export type FindingsAnswer = AnswerOf<'listFindings'>;
export type FindingRow = FindingsAnswer['items'][number];

/** An indicator with its matches (iocHits). */
export type IocRow = AnswerOf<'iocHits'>['items'][number];

/** Whether the connected back end offers an analysis method (the views say so instead of failing). */
export function analysisAvailable(method: MethodName = 'listFindings'): boolean {
  return hasMethod(method);
}

/** eventId → the highest severity of the findings that rest on it (colours the timeline). */
export function severityMap(findings: FindingRow[]): Map<string, Severity> {
  const m = new Map<string, Severity>();
  for (const f of findings) {
    if (f.decision === 'dismissed') continue;
    for (const id of f.eventIds) {
      const cur = m.get(id);
      if (!cur || SEVERITY_RANK[f.severity] > SEVERITY_RANK[cur]) m.set(id, f.severity);
    }
  }
  return m;
}

const EMPTY = new Map<string, Severity>();

/**
 * The severity of each event findings rest on, read once `enabled` (the timeline asks only when it shows
 * single events: the answer lists every cited eventID, ~100,000 on a 1M-event case, and its request
 * would otherwise sit before the timeline's first window on the one back end).
 */
export function useSeverities(version: number, enabled = true): Map<string, Severity> {
  const [m, setM] = useState<Map<string, Severity>>(EMPTY);
  useEffect(() => {
    if (!enabled || !analysisAvailable('listFindings')) return;
    let stop = false;
    getApi().listFindings({ limit: 100_000 }).then(
      (r) => {
        if (!stop) setM(r.items.length ? severityMap(r.items) : EMPTY);
      },
      () => {
        /* the findings view shows the error */
      },
    );
    return () => {
      stop = true;
    };
  }, [version, enabled]);
  return m;
}
