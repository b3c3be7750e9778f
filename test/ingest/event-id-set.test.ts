import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { EventIdSet, eventIdSetTuning, FingerprintMap } from '../../electron/ingest/event-id-set.ts';

/** A seeded generator, so a failure can be reproduced. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

function withTuning<T>(cap: number, bloomBits: number, fn: () => T): T {
  const saved = { ...eventIdSetTuning };
  eventIdSetTuning.cap = cap;
  eventIdSetTuning.bloomBits = bloomBits;
  try {
    return fn();
  } finally {
    Object.assign(eventIdSetTuning, saved);
  }
}

test('the eventID set answers like a plain multimap across its written-out runs: every leaf of a fingerprint, repeats across block edges, none missed', () => {
  withTuning(1000, 2 ** 16, () => {
    const next = rng(7);
    const ref = new Map<number, number[]>();
    const set = new EventIdSet();
    // A narrow fingerprint range makes repeats common, within a run and across runs (some longer than a block of 64).
    const fps: number[] = [];
    for (let leaf = 0; leaf < 12_345; leaf++) {
      const f = leaf % 97 === 0 ? 4242 : 1 + (next() % 5000);
      fps.push(f);
      set.add(f, leaf);
      const l = ref.get(f);
      if (l) l.push(leaf);
      else ref.set(f, [leaf]);
    }
    assert.equal(set.count, 12_345);
    assert.equal(set.spilled, 12, 'one run per 1,000 events');
    const dirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('trailcase-event-ids-'));
    assert.ok(dirs().length >= 1, 'the runs are files in a temporary folder');
    for (const [f, leaves] of ref) {
      assert.ok(set.has(f), `has(${f})`);
      assert.deepEqual(set.candidates(f).sort((a, b) => a - b), leaves, `candidates(${f})`);
    }
    // Fingerprints never added: never a leaf (has() may say "maybe", candidates() must be exact for them).
    for (let f = 5001; f < 6000; f++) assert.deepEqual(set.candidates(f), []);
    const before = dirs().length;
    set.close();
    assert.equal(dirs().length, before - 1, 'close() removes its folder');
    assert.equal(set.has(4242), false, 'empty after close()');
  });
});

test('the Bloom filter lets almost every new fingerprint through without reading a run', () => {
  withTuning(4096, 2 ** 20, () => {
    const next = rng(11);
    const set = new EventIdSet();
    for (let leaf = 0; leaf < 50_000; leaf++) set.add(next() || 1, leaf);
    let maybe = 0;
    const other = rng(12345);
    for (let i = 0; i < 100_000; i++) if (set.has(other() || 1)) maybe++;
    // 50,000 fingerprints in 2^20 bits with 6 hashes: ~0.7 % false positives expected.
    assert.ok(maybe < 2_000, `${maybe} of 100,000 unseen fingerprints reported as maybe present`);
    set.close();
  });
});

test('the in-memory fingerprint map sorts its entries exactly (fingerprints up to 2^32 - 1)', () => {
  const m = new FingerprintMap();
  const entries: [number, number][] = [[0xffffffff, 3], [1, 9], [0x80000000, 4], [1, 2], [0xffffffff, 1]];
  for (const [f, l] of entries) m.add(f, l);
  const { keys, leafOf } = m.sortedKeys();
  const out = [...keys].map((k) => {
    const e = k % 2 ** 21;
    return [(k - e) / 2 ** 21, leafOf[e]];
  });
  assert.deepEqual(out.map((x) => x[0]), [1, 1, 0x80000000, 0xffffffff, 0xffffffff]);
  assert.deepEqual(new Set(out.filter((x) => x[0] === 1).map((x) => x[1])), new Set([9, 2]));
  assert.ok(existsSync(tmpdir()));
});
