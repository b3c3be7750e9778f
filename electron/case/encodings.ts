// How an event's verbatim record is recovered from its place in the decoded
// evidence. The slice [pos, pos+len) of the decoded evidence is always what is
// stored; the encoding says how the record bytes follow from that slice. Each
// rule is deterministic, so `verify` recomputes every leaf hash from the
// preserved original bytes alone (docs/case-format.md, "Record encodings").
export const ENC_RAW = 0; // the slice is the record (S3 Records, arrays, JSON lines)
export const ENC_LOOKUP = 1; // the slice is a LookupEvents `Events[]` element; the record is its CloudTrailEvent string
export const ENC_LAKE_JSON = 2; // the slice is a Lake `QueryResultRows[]` row; the record is its eventJson column string
export const ENC_LAKE_COLUMNS = 3; // the slice is a Lake row without eventJson; the record is the row's columns as one JSON object

export const ENCODING_NAMES: Record<number, string> = {
  [ENC_RAW]: 'raw',
  [ENC_LOOKUP]: 'lookup-events:CloudTrailEvent',
  [ENC_LAKE_JSON]: 'lake-row:eventJson',
  [ENC_LAKE_COLUMNS]: 'lake-row:columns',
};

export class RecordDecodeError extends Error {}

function lakeRowObject(row: unknown): Record<string, unknown> {
  if (!Array.isArray(row)) throw new RecordDecodeError('Lake result row is not an array of columns');
  const out: Record<string, unknown> = {};
  for (const cell of row) {
    if (!cell || typeof cell !== 'object' || Array.isArray(cell)) throw new RecordDecodeError('Lake result cell is not an object');
    for (const [k, v] of Object.entries(cell as Record<string, unknown>)) out[k] = v;
  }
  return out;
}

function lakeEventJsonKey(obj: Record<string, unknown>): string | undefined {
  return Object.keys(obj).find((k) => k.toLowerCase() === 'eventjson');
}

/** Decide the encoding for a slice found in a given container. */
export function encodingFor(container: string, slice: Buffer): number {
  if (container === 'Events') return ENC_LOOKUP;
  if (container === 'QueryResultRows') {
    try {
      const row = lakeRowObject(JSON.parse(slice.toString('utf8')));
      return lakeEventJsonKey(row) ? ENC_LAKE_JSON : ENC_LAKE_COLUMNS;
    } catch {
      return ENC_LAKE_COLUMNS;
    }
  }
  return ENC_RAW;
}

/** The record bytes for a slice under an encoding. Throws RecordDecodeError on a slice that does not fit. */
export function recordBytes(enc: number, slice: Buffer): Buffer {
  switch (enc) {
    case ENC_RAW:
      return slice;
    case ENC_LOOKUP: {
      const el = JSON.parse(slice.toString('utf8'));
      if (!el || typeof el.CloudTrailEvent !== 'string') throw new RecordDecodeError('LookupEvents element has no CloudTrailEvent string');
      return Buffer.from(el.CloudTrailEvent, 'utf8');
    }
    case ENC_LAKE_JSON: {
      const row = lakeRowObject(JSON.parse(slice.toString('utf8')));
      const k = lakeEventJsonKey(row);
      const v = k ? row[k] : undefined;
      if (typeof v !== 'string') throw new RecordDecodeError('Lake row has no eventJson string');
      return Buffer.from(v, 'utf8');
    }
    case ENC_LAKE_COLUMNS: {
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
    }
    default:
      throw new RecordDecodeError(`unknown record encoding ${enc}`);
  }
}
