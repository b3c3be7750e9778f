// The import formats, composed: this list is the whole of what `import`
// recognises (plaso's parsers/__init__.py is the model). To add a format, write
// a unit beside these (./format.ts says what a unit declares), add one line
// here and a sibling test under test/ingest/formats/; docs/architecture.md,
// "Add a format". Order matters only among element formats: the first whose
// sniff claims an element wins.
import { cloudTrailDigest } from './cloudtrail-digest.ts';
import { cloudTrailLake } from './cloudtrail-lake.ts';
import { cloudTrailS3 } from './cloudtrail-s3.ts';
import { FormatRegistry } from './format.ts';
import { jsonArray } from './json-array.ts';
import { jsonLines } from './json-lines.ts';
import { lookupEvents, lookupEventsElement } from './lookup-events.ts';

export const FORMATS = new FormatRegistry([
  cloudTrailS3,
  lookupEvents,
  cloudTrailLake,
  jsonArray,
  jsonLines,
  lookupEventsElement,
  cloudTrailDigest,
]);
