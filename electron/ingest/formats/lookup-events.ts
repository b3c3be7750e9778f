// `aws cloudtrail lookup-events` output: {"Events": [element, …]} where each
// element has EventId, EventName, EventTime, … and the record itself as the
// CloudTrailEvent string (encoding 1). The same elements written on their own
// (`jq -c '.Events[]'`, one per line, or in a plain array) are unwrapped the
// same way: the source is then named lookup-events-lines / lookup-events-array.
import { ENC_LOOKUP } from '../../case/encodings.ts';
import { parseTime } from '../../../shared/time.ts';
import type { NormalizeIssue } from '../../../shared/record.ts';
import { visible } from '../ambiguity.ts';
import type { CarrierFormat, SourceFormat } from './format.ts';

/** One Events[] element: a CloudTrailEvent string and at least one of the element's own fields. */
export function isLookupElement(o: Record<string, unknown>): boolean {
  return typeof o.CloudTrailEvent === 'string' && ('EventId' in o || 'EventName' in o || 'EventTime' in o);
}

function elementOf(slice: Buffer): Record<string, unknown> | null {
  try {
    const v = JSON.parse(slice.toString('utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * The element's EventTime (ISO with any offset, or epoch seconds as boto3 and
 * some scripts write it) must be the record's eventTime: the record's own time
 * is what TrailCase uses, and a disagreement is reported.
 */
export function lookupTimeMismatch(el: Record<string, unknown>, timeMs: number | null): NormalizeIssue | null {
  if (el.EventTime === undefined) return null;
  const outer = parseTime(el.EventTime);
  if (outer === null) {
    return { code: 'lookup-time-mismatch', message: `lookup-events EventTime ${visible(JSON.stringify(el.EventTime).slice(0, 80))} is not a time; the record's eventTime is used` };
  }
  if (timeMs !== null && Math.abs(outer - timeMs) >= 1000) {
    return {
      code: 'lookup-time-mismatch',
      message: `lookup-events EventTime ${visible(JSON.stringify(el.EventTime).slice(0, 80))} (${new Date(outer).toISOString()}) differs from the record's eventTime (${new Date(timeMs).toISOString()}); the record's eventTime is used`,
    };
  }
  return null;
}

export const lookupEvents: SourceFormat = {
  kind: 'source',
  name: 'lookup-events',
  version: '1.0.0',
  dataFormat: 'aws cloudtrail lookup-events output ({"Events":[{"CloudTrailEvent":"…"}]})',
  recordsAt: { wrapper: 'Events' },
  encodingOf: () => ENC_LOOKUP,
  check(slice, n) {
    const el = elementOf(slice);
    return el && lookupTimeMismatch(el, n.timeMs);
  },
};

export const lookupEventsElement: CarrierFormat = {
  kind: 'carrier',
  name: 'lookup-events-element',
  version: '1.0.0',
  dataFormat: 'lookup-events Events[] elements on their own (jq -c .Events[])',
  sniff: isLookupElement,
  encoding: ENC_LOOKUP,
  recordText: (el) => el.CloudTrailEvent as string,
  sourceNames: { 'json-lines': 'lookup-events-lines', 'json-array': 'lookup-events-array' },
  check: (el, n) => lookupTimeMismatch(el, n.timeMs),
};
