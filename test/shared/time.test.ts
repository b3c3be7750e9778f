// shared/time.ts: CloudTrail's eventTime read on a fast path must give exactly
// what the general path (Date.parse, UTC when no zone) gives, for every input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTime } from '../../shared/time.ts';

const general = (s: string): number | null => {
  const ms = Date.parse(s.trim());
  return Number.isFinite(ms) ? ms : null;
};

test('eventTime in CloudTrail form parses as Date.parse does, valid or not', () => {
  const pad = (x: number, w = 2) => String(x).padStart(w, '0');
  let r = 42;
  const rnd = (n: number) => ((r = (r * 1103515245 + 12345) % 2 ** 31), r % n);
  for (let i = 0; i < 50_000; i++) {
    // Out-of-range fields on purpose (month 0 and 13, day 0 and 29-32, hour 24-25, minute and second 60-61).
    const s = `${pad(1000 + rnd(9000), 4)}-${pad(rnd(14))}-${pad(rnd(33))}T${pad(rnd(26))}:${pad(rnd(62))}:${pad(rnd(62))}Z`;
    assert.equal(parseTime(s), general(s), s);
  }
  for (const s of ['2026-03-0aT00:00:00Z', '2026-03-01T00:00:00z', '2026-03-01X00:00:00Z', '+02026-03-01T00:00:0Z', '2024-02-29T23:59:59Z', '2023-02-29T00:00:00Z']) {
    assert.equal(parseTime(s), general(s), s);
  }
  assert.equal(parseTime('2026-03-14T12:34:56Z'), Date.UTC(2026, 2, 14, 12, 34, 56));
});

test('other forms: no zone is UTC, epoch seconds and milliseconds, empty and junk', () => {
  assert.equal(parseTime('2026-03-14 12:34:56'), Date.UTC(2026, 2, 14, 12, 34, 56));
  assert.equal(parseTime('2026-03-14'), Date.UTC(2026, 2, 14));
  assert.equal(parseTime('2026-03-14T12:34:56.789+01:00'), Date.UTC(2026, 2, 14, 11, 34, 56, 789));
  assert.equal(parseTime(1_773_491_696), 1_773_491_696_000);
  assert.equal(parseTime(1_773_491_696_789), 1_773_491_696_789);
  assert.equal(parseTime('1773491696'), 1_773_491_696_000);
  assert.equal(parseTime(''), null);
  assert.equal(parseTime('yesterday'), null);
  assert.equal(parseTime(null), null);
});
