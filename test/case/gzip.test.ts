// electron/case/gzip.ts, the tolerant and streaming paths (the strict one is
// test/ingest/digest-gzip.test.ts): what import decodes, verify recomputes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { decodeTolerant, GunzipFeed, gunzipFailure, gunzipRecoverable } from '../../electron/case/gzip.ts';

const A = Buffer.from('{"Records":[{"eventName":"é"}'.repeat(50));
const B = Buffer.from(',{"eventName":"x"}]}');

async function stream(input: Buffer, piece = 97): Promise<{ out: Buffer; failure: Error | null }> {
  const parts: Buffer[] = [];
  const feed = new GunzipFeed((d) => parts.push(Buffer.from(d)));
  for (let i = 0; i < input.length; i += piece) await feed.write(input.subarray(i, i + piece));
  const failure = await feed.end();
  return { out: Buffer.concat(parts), failure };
}

test('several gzip members decode in order, streaming and tolerant alike', async () => {
  const two = Buffer.concat([gzipSync(A), gzipSync(B)]);
  assert.deepEqual(decodeTolerant(two, 'gzip'), Buffer.concat([A, B]));
  const s = await stream(two);
  assert.equal(s.failure, null);
  assert.deepEqual(s.out, Buffer.concat([A, B]));
  assert.equal(decodeTolerant(A, 'none'), A);
});

test('data after the last member: the tolerant decode keeps every member; the stream names it as trailing and recoverable', async () => {
  const tail = Buffer.concat([gzipSync(A), gzipSync(B), Buffer.from('not gzip at all')]);
  assert.deepEqual(decodeTolerant(tail, 'gzip'), Buffer.concat([A, B]));
  const s = await stream(tail);
  assert.ok(s.failure);
  assert.equal(gunzipFailure(s.failure), 'trailing-data');
  assert.equal(gunzipRecoverable(s.failure), true);
});

test('a truncated stream: the tolerant decode keeps what came before; the stream names it as truncated', async () => {
  const whole = gzipSync(Buffer.concat([A, A, A]));
  const cut = whole.subarray(0, Math.floor(whole.length * 0.8));
  const kept = decodeTolerant(cut, 'gzip');
  assert.ok(kept.length > 0 && Buffer.concat([A, A, A]).subarray(0, kept.length).equals(kept));
  const s = await stream(cut);
  assert.ok(s.failure);
  assert.equal(gunzipFailure(s.failure), 'truncated');
  assert.ok(Buffer.concat([A, A, A]).subarray(0, s.out.length).equals(s.out));
});

test('stop() ends decoding at once and end() still resolves', async () => {
  const parts: Buffer[] = [];
  const feed = new GunzipFeed((d) => parts.push(d));
  feed.stop();
  await feed.write(gzipSync(A));
  assert.equal(await feed.end(), null);
  assert.equal(parts.length, 0);
});
