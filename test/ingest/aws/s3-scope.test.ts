// Unit tests for the S3 prefix planner (README.md, "Acquisition from AWS": list only what the scope needs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accountPrefix,
  daysBetween,
  digestNameWindow,
  folderInWindow,
  inWindow,
  logNameWindow,
  parseS3Url,
} from '../../../electron/ingest/aws/s3-scope.ts';

test('parseS3Url: bucket, trail prefix, and narrowing written into the URL', () => {
  assert.deepEqual(parseS3Url('s3://my-trail-bucket'), { bucket: 'my-trail-bucket', basePrefix: '' });
  assert.deepEqual(parseS3Url('s3://my-trail-bucket/'), { bucket: 'my-trail-bucket', basePrefix: '' });
  assert.deepEqual(parseS3Url('s3://my-trail-bucket/team/prod'), { bucket: 'my-trail-bucket', basePrefix: 'team/prod/' });
  assert.deepEqual(parseS3Url('s3://b-1/p/AWSLogs/'), { bucket: 'b-1', basePrefix: 'p/' });
  assert.deepEqual(parseS3Url('s3://b-1/AWSLogs/o-abcdefghij/111122223333/CloudTrail/eu-west-1/'), {
    bucket: 'b-1',
    basePrefix: '',
    orgId: 'o-abcdefghij',
    account: '111122223333',
    region: 'eu-west-1',
  });
  assert.throws(() => parseS3Url('https://b/x'), /expected s3:\/\/BUCKET/);
  assert.throws(() => parseS3Url('s3://Bad_Bucket/x'), /not a valid S3 bucket name/);
  assert.throws(() => parseS3Url('s3://bucket/AWSLogs/12345/'), /not an account ID/);
});

test('date folders: only the days of the window', () => {
  const since = Date.parse('2024-02-28T23:30:00Z');
  const until = Date.parse('2024-03-01T02:00:00Z');
  const lw = logNameWindow({ sinceMs: since, untilMs: until });
  // Logs: from 15 min before since to a day of late delivery after until.
  assert.deepEqual(daysBetween(lw.from!, lw.to!), ['2024/02/28', '2024/02/29', '2024/03/01', '2024/03/02']);
  const dw = digestNameWindow({ sinceMs: since, untilMs: until });
  assert.ok(dw.from! < lw.from! && dw.to! > lw.to!, 'dw.from! < lw.from! && dw.to! > lw.to!');
  assert.equal(inWindow(Date.parse('2024-02-28T23:20:00Z'), lw), true);
  assert.equal(inWindow(Date.parse('2024-02-28T23:10:00Z'), lw), false);
  assert.deepEqual(logNameWindow({}), { from: undefined, to: undefined });
});

test('folder pruning for open ranges', () => {
  const w = { from: Date.parse('2024-03-15T00:00:00Z') };
  assert.equal(folderInWindow([2023], w), false);
  assert.equal(folderInWindow([2024], w), true);
  assert.equal(folderInWindow([2024, 2], w), false);
  assert.equal(folderInWindow([2024, 3], w), true);
  assert.equal(folderInWindow([2024, 3, 14], w), false);
  assert.equal(folderInWindow([2024, 3, 15], w), true);
  const u = { to: Date.parse('2024-03-15T00:00:00Z') };
  assert.equal(folderInWindow([2024, 3, 16], u), false);
  assert.equal(folderInWindow([2024, 3, 15], u), true);
  assert.equal(accountPrefix({ basePrefix: 'p/' }, 'o-abcdefghij', '111122223333', 'CloudTrail-Digest'), 'p/AWSLogs/o-abcdefghij/111122223333/CloudTrail-Digest/');
});
