// A plain JSON array of CloudTrail events (Stratus Red Team detonation logs,
// `jq '.Records'`, many exports). Elements that are LookupEvents elements are
// unwrapped by ./lookup-events.ts (the source is then named lookup-events-array).
import { ENC_RAW } from '../../case/encodings.ts';
import type { SourceFormat } from './format.ts';

export const jsonArray: SourceFormat = {
  kind: 'source',
  name: 'json-array',
  version: '1.0.0',
  dataFormat: 'JSON array of CloudTrail events ([{…}, {…}])',
  recordsAt: { elements: 'array' },
  encodingOf: () => ENC_RAW,
};
