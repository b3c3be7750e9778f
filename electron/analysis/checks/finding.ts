// Turning a check's draft into a stored Finding: stable id, provenance fields
// and the time span. The id is a 16-hex SHA-256 prefix of the check id and the
// sorted event ids, so re-running the same check on the same events yields the
// same id (issue "Analysis": findings are stable across runs).
import { createHash } from 'node:crypto';
import { FINDING_EVENT_LIST_LIMIT, SEVERITIES, type Finding } from '../../../shared/analysis/findings.ts';
import { isoUtc } from '../../../shared/time.ts';
import type { Check, FindingDraft } from './types.ts';

export type FindingIdFn = (checkId: string, eventIds: string[]) => string;

/** sha256(checkId + "\n" + sorted eventIds joined by "\n"), first 16 hex digits. */
export function findingId(checkId: string, eventIds: string[]): string {
  const h = createHash('sha256');
  h.update(checkId);
  for (const id of [...eventIds].sort()) h.update('\n' + id);
  return h.digest('hex').slice(0, 16);
}

/**
 * Complete a draft. timeOf gives an event's epoch ms (null when unknown) for
 * firstSeen/lastSeen; without it both stay null.
 */
export function toFinding(
  check: Check,
  draft: FindingDraft,
  idFn: FindingIdFn = findingId,
  timeOf?: (eventId: string) => number | null,
): Finding {
  const problems: string[] = [];
  if (draft.eventIds.length === 0) problems.push('no eventIds');
  if (!SEVERITIES.includes(draft.severity)) problems.push(`unknown severity ${JSON.stringify(draft.severity)}`);
  if (!draft.title) problems.push('empty title');
  if (!draft.explanation) problems.push('empty explanation');
  if (draft.remediation.length === 0) problems.push('no remediation steps');
  if (problems.length) throw new Error(`check ${check.id}@${check.version} produced an invalid finding: ${problems.join('; ')}`);
  let first: number | null = null;
  let last: number | null = null;
  if (timeOf) {
    for (const id of draft.eventIds) {
      const t = timeOf(id);
      if (t === null) continue;
      if (first === null || t < first) first = t;
      if (last === null || t > last) last = t;
    }
  }
  return {
    id: idFn(check.id, draft.eventIds),
    source: 'check',
    checkId: check.id,
    checkVersion: check.version,
    title: draft.title,
    severity: draft.severity,
    category: draft.category,
    attack: draft.attack,
    // A finding lists at most FINDING_EVENT_LIST_LIMIT events and counts the rest; its id covers all of them.
    eventIds: draft.eventIds.length > FINDING_EVENT_LIST_LIMIT ? draft.eventIds.slice(0, FINDING_EVENT_LIST_LIMIT) : draft.eventIds,
    ...(draft.eventIds.length > FINDING_EVENT_LIST_LIMIT ? { eventCount: draft.eventIds.length } : {}),
    artefacts: draft.artefacts,
    explanation: draft.explanation,
    remediation: draft.remediation,
    firstSeen: first === null ? null : isoUtc(first),
    lastSeen: last === null ? null : isoUtc(last),
    ...(draft.attribution ? { attribution: draft.attribution } : {}),
  };
}
