// CloudTrail digest files (CloudTrail-Digest/…json.gz): one JSON object per
// hour listing the log files' hashes. Not events: a digest file is preserved
// as evidence for ../aws/validation.ts; a digest record found among events is
// named, kept in the evidence and not imported.
import type { NotEventFormat } from './format.ts';

export const cloudTrailDigest: NotEventFormat = {
  kind: 'not-event',
  name: 'cloudtrail-digest',
  version: '1.0.0',
  dataFormat: 'CloudTrail digest file (digestStartTime, logFiles, …)',
  sniffHead: (head) => head.includes('"digestStartTime"') || head.includes('"digestPublicKeyFingerprint"') || head.includes('"digestS3Object"'),
  sniff: (o) => 'digestStartTime' in o && ('digestEndTime' in o || 'digestS3Object' in o || 'logFiles' in o),
  problem: (where) => ({
    code: 'digest-record',
    message: `${where} is a CloudTrail digest record, not an event: kept in the evidence but not usable for validation (a digest validates only as its own file, with the signature S3 stored beside it); import the digest files from the trail's CloudTrail-Digest/ folder or bucket`,
  }),
};
