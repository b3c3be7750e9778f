// CloudTrail events one JSON object per line (SIEM exports, `jq -c
// '.Records[]'`), or pretty-printed objects one after another. A raw newline
// inside a line's object is a broken line, reported with its line number.
import { ENC_RAW } from '../../case/encodings.ts';
import type { SourceFormat } from './format.ts';

export const jsonLines: SourceFormat = {
  kind: 'source',
  name: 'json-lines',
  version: '1.0.0',
  dataFormat: 'JSON lines, or concatenated JSON objects, one CloudTrail event each',
  recordsAt: { elements: 'lines' },
  encodingOf: () => ENC_RAW,
};
