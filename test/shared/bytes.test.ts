// shared/bytes.ts: the one byte formatter (CLI, findings, report, UI).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes } from '../../shared/bytes.ts';

test('binary units, one decimal; exact bytes below 1 KiB', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1.0 KiB');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(548_864), '536.0 KiB');
  assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GiB');
  assert.equal(formatBytes(3 * 1024 ** 5), '3072.0 TiB', 'TiB is the largest unit');
});

test("digits 'auto': one decimal below 10, none above (the UI's columns)", () => {
  assert.equal(formatBytes(1536, { digits: 'auto' }), '1.5 KiB');
  assert.equal(formatBytes(12 * 1024 * 1024 + 1, { digits: 'auto' }), '12 MiB');
  assert.equal(formatBytes(100, { digits: 'auto' }), '100 B');
});
