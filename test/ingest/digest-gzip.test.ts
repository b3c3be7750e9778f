// gunzipStrict: multi-member gzip is legal, bytes appended after the gzip end
// are not (aws/aws-cli#10324), CRC/size trailers are checked, output is capped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 as nodeCrc32, gzipSync } from 'node:zlib';
import { deflateRawSync } from 'node:zlib';
import { gunzipStrict, gunzipStrictInfo, GzipFormatError, isGzip } from '../../electron/case/gzip.ts';

const text = (s: string) => Buffer.from(s, 'utf8');

function crc32(b: Buffer): number {
  if (typeof nodeCrc32 === 'function') return nodeCrc32(b) >>> 0;
  throw new Error('node:zlib crc32 not available to build the header fixture');
}

/** A gzip member with every optional header field (FEXTRA, FNAME, FCOMMENT, FHCRC). */
function fancyMember(payload: Buffer): Buffer {
  const header = Buffer.concat([
    Buffer.from([0x1f, 0x8b, 8, 0x02 | 0x04 | 0x08 | 0x10, 0, 0, 0, 0, 0, 3]),
    Buffer.from([4, 0]), // XLEN 4
    Buffer.from('ab\x02\x00', 'latin1'),
    Buffer.from('events.json\0', 'latin1'),
    Buffer.from('a comment\0', 'latin1'),
  ]);
  const hcrc = Buffer.alloc(2);
  hcrc.writeUInt16LE(crc32(header) & 0xffff);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(payload), 0);
  trailer.writeUInt32LE(payload.length, 4);
  return Buffer.concat([header, hcrc, deflateRawSync(payload), trailer]);
}

function expectGzipError(fn: () => unknown, pattern: RegExp): GzipFormatError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GzipFormatError, `expected GzipFormatError, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
    assert.match(err.message, pattern);
    return err;
  }
  assert.fail('expected a GzipFormatError');
}

test('single member decodes to the original bytes', () => {
  const body = text('{"Records":[]}');
  assert.deepEqual(gunzipStrict(gzipSync(body)), body);
  assert.equal(isGzip(gzipSync(body)), true);
  assert.equal(isGzip(body), false);
});

test('multi-member gzip is accepted and decoded in order', () => {
  const a = gzipSync(text('{"Records":['));
  const b = gzipSync(text('{"eventName":"A"}'));
  const c = gzipSync(text(']}'));
  const r = gunzipStrictInfo(Buffer.concat([a, b, c]));
  assert.equal(r.members, 3);
  assert.equal(r.data.toString('utf8'), '{"Records":[{"eventName":"A"}]}');
});

test('optional header fields (extra, name, comment, header CRC) are parsed', () => {
  const payload = text('hello CloudTrail');
  const m = fancyMember(payload);
  assert.deepEqual(gunzipStrict(m), payload);
  const broken = Buffer.from(m);
  broken[12] ^= 0xff; // inside FEXTRA data, covered by the header CRC
  expectGzipError(() => gunzipStrict(broken), /header CRC mismatch/);
});

test('non-gzip bytes appended after the gzip end are rejected, naming offset and size', () => {
  const gz = gzipSync(text('{"Records":[]}'));
  const appended = text('\n{"Records":[{"eventName":"Injected"}]}');
  const err = expectGzipError(() => gunzipStrict(Buffer.concat([gz, appended])), /after the end of the gzip stream/);
  assert.equal(err.offset, gz.length);
  assert.match(err.message, new RegExp(`${appended.length} byte\\(s\\)`));
  // Zero padding is trailing data too.
  expectGzipError(() => gunzipStrict(Buffer.concat([gz, Buffer.alloc(16)])), /after the end of the gzip stream/);
  // Appended after a valid second member as well.
  expectGzipError(() => gunzipStrict(Buffer.concat([gz, gz, text('x')])), /1 byte\(s\) of non-gzip data/);
});

test('a partial second member is reported as truncated', () => {
  const gz = gzipSync(text('abc'));
  expectGzipError(() => gunzipStrict(Buffer.concat([gz, gz.subarray(0, 12)])), /member 2 .*truncated/);
});

test('truncated, corrupt, empty and non-gzip input give clear errors', () => {
  const gz = gzipSync(Buffer.alloc(50_000, 0x61));
  expectGzipError(() => gunzipStrict(gz.subarray(0, gz.length - 4)), /truncated/);
  expectGzipError(() => gunzipStrict(gz.subarray(0, 20)), /truncated/);
  const badCrc = Buffer.from(gz);
  badCrc[badCrc.length - 8] ^= 0x01;
  expectGzipError(() => gunzipStrict(badCrc), /CRC-32 mismatch/);
  const badSize = Buffer.from(gz);
  badSize[badSize.length - 1] ^= 0x01;
  expectGzipError(() => gunzipStrict(badSize), /size trailer/);
  const badMethod = Buffer.from(gz);
  badMethod[2] = 7;
  expectGzipError(() => gunzipStrict(badMethod), /compression method 7/);
  expectGzipError(() => gunzipStrict(Buffer.alloc(0)), /empty/);
  expectGzipError(() => gunzipStrict(text('{"Records":[]}')), /not a gzip file/);
});

test('expanded size is capped', () => {
  const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024));
  assert.ok(bomb.length < 10_000);
  expectGzipError(() => gunzipStrict(bomb, { maxOutputBytes: 1024 * 1024 }), /exceeds the limit of 1048576 bytes/);
  // The cap is cumulative over members.
  const half = gzipSync(Buffer.alloc(600 * 1024));
  expectGzipError(() => gunzipStrict(Buffer.concat([half, half]), { maxOutputBytes: 1024 * 1024 }), /exceeds the limit/);
  assert.equal(gunzipStrict(Buffer.concat([half, half]), { maxOutputBytes: 2 * 1024 * 1024 }).length, 1200 * 1024);
  const tiny = gzipSync(text('x'));
  expectGzipError(() => gunzipStrict(Buffer.concat([tiny, tiny, tiny]), { maxMembers: 2 }), /more than 2 gzip members/);
});
