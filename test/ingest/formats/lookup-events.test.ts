// electron/ingest/formats/lookup-events.ts: the wrapped output of `aws cloudtrail
// lookup-events`, and its elements on their own (lines, array), on the
// lookup-events-lines fixture (real Stratus records in the documented element shape).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isLookupElement, lookupEvents, lookupEventsElement, lookupTimeMismatch } from '../../../electron/ingest/formats/lookup-events.ts';
import { FORMATS } from '../../../electron/ingest/formats/index.ts';
import { parseBuffer } from '../../support/parse.ts';

const FILE = 'test/fixtures/lookup-events-lines/lookup-events-lines.jsonl';
const lines = readFileSync(FILE, 'utf8').split('\n').filter((l) => l.trim());
const elements = lines.map((l) => JSON.parse(l) as Record<string, unknown> & { CloudTrailEvent: string });

async function check(b: Buffer, format: string) {
  const p = await parseBuffer(b);
  assert.equal(p.result.format, format);
  assert.deepEqual(p.problems, []);
  assert.equal(p.records.length, elements.length);
  p.records.forEach((r, i) => {
    assert.equal(r.enc, 1);
    // The record is the CloudTrailEvent string, byte for byte.
    assert.equal(p.recordText(r), elements[i].CloudTrailEvent);
    assert.deepEqual(r.issues, []);
  });
}

test('lookup-events: wrapped ({"Events":[…]}, as the CLI writes it), one per line, and in an array', async () => {
  assert.equal(FORMATS.at('Events'), lookupEvents);
  await check(Buffer.from(JSON.stringify({ Events: elements, NextToken: 'x' }, null, 4)), 'lookup-events');
  await check(readFileSync(FILE), 'lookup-events-lines');
  await check(Buffer.from(JSON.stringify(elements)), 'lookup-events-array');
});

test('lookup-events: the sniff wants a CloudTrailEvent string and one of the element fields', () => {
  assert.ok(elements.every((e) => isLookupElement(e)));
  assert.equal(FORMATS.claim(elements[0], true), lookupEventsElement);
  assert.equal(FORMATS.claim(elements[0], false), null, 'an already decoded slot is not unwrapped again');
  assert.equal(isLookupElement({ CloudTrailEvent: '{}' }), false);
  assert.equal(isLookupElement({ EventId: 'x', CloudTrailEvent: {} }), false);
});

test('lookup-events: an EventTime that disagrees with the record is reported, the record time is kept', async () => {
  const inner = JSON.parse(elements[0].CloudTrailEvent) as { eventTime: string };
  const at = Date.parse(inner.eventTime);
  assert.equal(lookupTimeMismatch({ EventTime: at / 1000 }, at), null);
  assert.equal(lookupTimeMismatch({ EventTime: 'soon' }, at)?.code, 'lookup-time-mismatch');
  const moved = { ...elements[0], EventTime: new Date(at + 3_600_000).toISOString() };
  const p = await parseBuffer(Buffer.from(JSON.stringify({ Events: [moved] })));
  assert.equal(p.records[0].n.timeMs, at);
  assert.deepEqual(p.records[0].issues.map((i) => i.code), ['lookup-time-mismatch']);
});
