// The analysis methods the UI uses (IOC list, pivot, checks, findings; issue 5
// builds them in shared/api/analysis.ts). Called through the same transport,
// by name; when the connected back end does not offer them, the views say so
// instead of failing.
import { useEffect, useState } from 'react';
import type { Finding, Severity } from '../../shared/analysis/findings.ts';
import { getApi, hasMethod } from './transport.ts';

export const SEVERITY_RANK: Record<Severity, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

export interface FindingRow extends Finding {
  decision?: 'accepted' | 'dismissed' | 'open';
  decisionNote?: string | null;
  decidedBy?: string | null;
  decidedAt?: string | null;
}

/** listFindings' answer (shared/analysis/types.ts FindingList). */
export interface FindingsAnswer {
  items: FindingRow[];
  total: number;
  stale: boolean;
  staleReason: string | null;
  run: { runId: number | null; at: string | null; findings: number; seconds: number; checksRun: unknown[]; sigmaRun: unknown[] } | null;
}

/** An indicator with its matches (shared/analysis/types.ts IocHit). */
export interface IocRow {
  type: string;
  value: string;
  enabled: boolean;
  label: string | null;
  source: string | null;
  addedAt: string;
  addedBy: string;
  updatedAt: string;
  hits: number;
  firstSeen: string | null;
  lastSeen: string | null;
  note?: string;
}

/** The indicator types the back end accepts (shared/analysis/ioc.ts IOC_TYPES). */
export const IOC_TYPE_NAMES = ['ip', 'user-agent', 'access-key', 'principal', 'role', 'event-name', 'region', 'account', 'bucket'] as const;

type Loose = Record<string, (args: unknown) => Promise<unknown>>;

export class NotAvailable extends Error {
  constructor(method: string) {
    super(`${method} is not available from this TrailCase back end (the analysis API is missing)`);
    this.name = 'NotAvailable';
  }
}

/** Call an analysis method by name. */
export function callAnalysis<T>(method: string, args: unknown = {}): Promise<T> {
  if (!hasMethod(method)) return Promise.reject(new NotAvailable(method));
  return (getApi() as unknown as Loose)[method](args) as Promise<T>;
}

export function analysisAvailable(method = 'listFindings'): boolean {
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

export function useSeverities(version: number): Map<string, Severity> {
  const [m, setM] = useState<Map<string, Severity>>(EMPTY);
  useEffect(() => {
    if (!analysisAvailable('listFindings')) return;
    let stop = false;
    callAnalysis<FindingsAnswer>('listFindings', { limit: 100_000 }).then(
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
  }, [version]);
  return m;
}
