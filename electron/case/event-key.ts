// The id an event is stored under (events.event_id): part of the case format
// (docs/case-format.md), used by the importer that writes it and by verify and
// redacted exports that check it.
import type { NormalizedEvent } from '../../shared/record.ts';

/** CloudTrail's eventID, else `sha256:` and the record's leaf hash in hex. */
export function eventKey(n: NormalizedEvent, leafHash: Buffer): string {
  return n.eventId ?? `sha256:${leafHash.toString('hex')}`;
}
