// CloudTrail's S3 delivery format: {"Records": [event, …]}, one object per
// log file (AWS CloudTrail User Guide, "CloudTrail log file examples").
import { ENC_RAW } from '../../case/encodings.ts';
import type { SourceFormat } from './format.ts';

export const cloudTrailS3: SourceFormat = {
  kind: 'source',
  name: 'cloudtrail-s3',
  version: '1.0.0',
  dataFormat: 'CloudTrail log file as delivered to S3 ({"Records":[…]})',
  recordsAt: { wrapper: 'Records' },
  encodingOf: () => ENC_RAW,
};
