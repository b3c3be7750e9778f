// How an event's verbatim record is recovered from its place in the decoded
// evidence. The slice [pos, pos+len) of the decoded evidence is always what is
// stored; the encoding says how the record bytes follow from that slice. Each
// rule is deterministic, so `verify` recomputes every leaf hash from the
// preserved original bytes alone (docs/case-format.md, "Record encodings").
//
// The numbers are stored in every case (`events.enc`, `event_copies.enc`):
// a number never changes meaning and is never reused. A new encoding is a new
// entry in ENCODINGS with the next number, documented in docs/case-format.md
// (test/case/encodings.test.ts holds the table and the docs to each other).
// Which format uses which encoding is the format's business (electron/ingest/formats/).

export class RecordDecodeError extends Error {}

export interface RecordEncoding {
  /** Stored in the case: stable forever. */
  readonly id: number;
  /** Shown with an event's provenance. */
  readonly name: string;
  /** The record bytes for a slice. Throws RecordDecodeError on a slice that does not fit. */
  readonly decode: (slice: Buffer) => Buffer;
}

/** A Lake `QueryResultRows[]` row (an array of one-key cells) as one object, cells merged in order. */
export function lakeRowObject(row: unknown): Record<string, unknown> {
  if (!Array.isArray(row)) throw new RecordDecodeError('Lake result row is not an array of columns');
  const out: Record<string, unknown> = {};
  for (const cell of row) {
    if (!cell || typeof cell !== 'object' || Array.isArray(cell)) throw new RecordDecodeError('Lake result cell is not an object');
    for (const [k, v] of Object.entries(cell as Record<string, unknown>)) out[k] = v;
  }
  return out;
}

/** The row's eventJson column: the first key equal to `eventjson` ignoring case. */
export function lakeEventJsonKey(obj: Record<string, unknown>): string | undefined {
  return Object.keys(obj).find((k) => k.toLowerCase() === 'eventjson');
}

const raw: RecordEncoding = { id: 0, name: 'raw', decode: (slice) => slice };

const lookupCloudTrailEvent: RecordEncoding = {
  id: 1,
  name: 'lookup-events:CloudTrailEvent',
  decode(slice) {
    const el = JSON.parse(slice.toString('utf8'));
    if (!el || typeof el.CloudTrailEvent !== 'string') throw new RecordDecodeError('LookupEvents element has no CloudTrailEvent string');
    return Buffer.from(el.CloudTrailEvent, 'utf8');
  },
};

const lakeEventJson: RecordEncoding = {
  id: 2,
  name: 'lake-row:eventJson',
  decode(slice) {
    const row = lakeRowObject(JSON.parse(slice.toString('utf8')));
    const k = lakeEventJsonKey(row);
    const v = k ? row[k] : undefined;
    if (typeof v !== 'string') throw new RecordDecodeError('Lake row has no eventJson string');
    return Buffer.from(v, 'utf8');
  },
};

const lakeColumns: RecordEncoding = {
  id: 3,
  name: 'lake-row:columns',
  decode(slice) {
    const row = lakeRowObject(JSON.parse(slice.toString('utf8')));
    // Lake returns nested values (userIdentity, requestParameters) as JSON text; parse what parses.
    const rec: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) {
      if (typeof v === 'string' && (v.startsWith('{') || v.startsWith('['))) {
        try {
          rec[k] = JSON.parse(v);
          continue;
        } catch {
          /* keep as text */
        }
      }
      rec[k] = v;
    }
    return Buffer.from(JSON.stringify(rec), 'utf8');
  },
};

/** Every encoding a case may hold, by number (index = id). */
export const ENCODINGS: readonly RecordEncoding[] = [raw, lookupCloudTrailEvent, lakeEventJson, lakeColumns];

export const ENC_RAW = raw.id; // the slice is the record (S3 Records, arrays, JSON lines)
export const ENC_LOOKUP = lookupCloudTrailEvent.id; // the slice is a LookupEvents `Events[]` element; the record is its CloudTrailEvent string
export const ENC_LAKE_JSON = lakeEventJson.id; // the slice is a Lake `QueryResultRows[]` row; the record is its eventJson column string
export const ENC_LAKE_COLUMNS = lakeColumns.id; // the slice is a Lake row without eventJson; the record is the row's columns as one JSON object

export const ENCODING_NAMES: Record<number, string> = Object.fromEntries(ENCODINGS.map((e) => [e.id, e.name]));

/** The record bytes for a slice under an encoding. Throws RecordDecodeError on a slice that does not fit. */
export function recordBytes(enc: number, slice: Buffer): Buffer {
  // The raw encoding is nearly every record: no table lookup on that path.
  if (enc === 0) return slice;
  const e = ENCODINGS[enc];
  if (!e || e.id !== enc) throw new RecordDecodeError(`unknown record encoding ${enc}`);
  return e.decode(slice);
}
