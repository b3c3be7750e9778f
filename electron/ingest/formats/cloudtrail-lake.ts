// CloudTrail Lake GetQueryResults pages: {"QueryResultRows": [[{col: value}, …], …]}.
// A row with an eventJson column carries the whole event (encoding 2); a row
// without one is its columns merged into one object (encoding 3). The
// acquisition side (../aws/lake-sql.ts) always asks for eventjson.
import { ENC_LAKE_COLUMNS, ENC_LAKE_JSON, lakeEventJsonKey, lakeRowObject } from '../../case/encodings.ts';
import type { SourceFormat } from './format.ts';

export const cloudTrailLake: SourceFormat = {
  kind: 'source',
  name: 'cloudtrail-lake',
  version: '1.0.0',
  dataFormat: 'CloudTrail Lake query result page ({"QueryResultRows":[[{…}],…]})',
  recordsAt: { wrapper: 'QueryResultRows' },
  encodingOf(slice) {
    try {
      return lakeEventJsonKey(lakeRowObject(JSON.parse(slice.toString('utf8')))) ? ENC_LAKE_JSON : ENC_LAKE_COLUMNS;
    } catch {
      // Not a row of cells: encoding 3 fails to decode it, and that failure is the record's warning.
      return ENC_LAKE_COLUMNS;
    }
  },
};
