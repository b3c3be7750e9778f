import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { filterToSql, searchEvents, getEvent } from '../../electron/case/queries.ts';
import { verifyCase } from '../../electron/case/verify.ts';
import { tempCase } from '../support/case.ts';

const STRATUS = 'test/fixtures/stratus-red-team/detonation-logs';
const OTRF_RAW = 'test/fixtures/otrf-security-datasets/ec2_proxy_s3_exfiltration_2020-09-14011940.json';

function rec(i: number, extra: Record<string, unknown> = {}) {
  return {
    eventVersion: '1.08',
    eventTime: `2024-05-01T10:${String(i % 60).padStart(2, '0')}:00Z`,
    eventSource: 'iam.amazonaws.com',
    eventName: 'ListUsers',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15.0',
    eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    requestID: `req-${i}`,
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', userName: 'alice', accessKeyId: 'AKIAEXAMPLE000000001', accountId: '111122223333' },
    recipientAccountId: '111122223333',
    readOnly: true,
    eventCategory: 'Management',
    ...extra,
  };
}

test('the Stratus Red Team logs (fake regions, zero-padded IPs) import whole, and verify', async () => {
  const c = tempCase();
  try {
    const s = await importPaths(c.store, c.signer, { sources: [STRATUS] });
    assert.equal(s.objects, 35);
    assert.equal(s.events, 310);
    assert.equal(s.warnings, 0);
    const r = searchEvents(c.store, { ips: ['75.50.255.67'] }); // zero-padded in the record: 075.050.255.67
    assert.ok(r.total > 0);
    assert.equal(r.events[0].sourceIPAddress, '075.050.255.67');
    const regions = searchEvents(c.store, { regions: ['apiso-centralnorth-2r'] });
    assert.ok(regions.total > 0);
    const v = verifyCase(c.store);
    assert.deepEqual(v.problems, []);
    assert.equal(v.treeSize, 310);
    // Importing the same files again adds nothing.
    const again = await importPaths(c.store, c.signer, { sources: [STRATUS] });
    assert.equal(again.objects, 0);
    assert.equal(again.skippedObjects, 35);
    assert.equal(again.events, 0);
    assert.equal((c.store.db.prepare('SELECT count(*) n FROM events').get() as any).n, 310);
  } finally {
    c.cleanup();
  }
});

test('OTRF records without eventTime import with a warning per record, time from @timestamp', async () => {
  const c = tempCase();
  try {
    const s = await importPaths(c.store, c.signer, { sources: [OTRF_RAW] });
    assert.equal(s.events, 103);
    const w = c.store.db.prepare("SELECT count(*) n FROM warnings WHERE code = 'time-from-timestamp'").get() as any;
    assert.equal(w.n, 103);
    const r = searchEvents(c.store, {}, { limit: 1 });
    assert.ok(r.events[0].eventTime?.startsWith('2020-09-14'));
    // The verbatim record comes back byte-exact from the evidence.
    const line = readFileSync(OTRF_RAW, 'utf8').split('\n')[0];
    const first = JSON.parse(line);
    const d = getEvent(c.store, first.eventID);
    assert.equal(d.record, line);
  } finally {
    c.cleanup();
  }
});

test('bad input: each problem is a warning naming the file and record; nothing valid is dropped', async () => {
  const c = tempCase();
  const dir = join(c.dir, 'bad');
  mkdirSync(dir);
  try {
    const good = (i: number) => JSON.stringify(rec(i));
    // JSON lines with a malformed line in the middle
    writeFileSync(join(dir, 'a-lines.jsonl'), [good(1), '{"eventName": "Broken", "eventTime": ', good(2)].join('\n') + '\n');
    // a truncated gzip
    const gz = gzipSync(JSON.stringify({ Records: Array.from({ length: 200 }, (_, i) => rec(100 + i)) }));
    writeFileSync(join(dir, 'b-truncated.json.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
    // gzip with data after its end
    writeFileSync(join(dir, 'c-trailing.json.gz'), Buffer.concat([gzipSync(JSON.stringify({ Records: [rec(400)] })), Buffer.from('GARBAGE-AFTER-END')]));
    // no eventTime / no eventID / wrong types
    writeFileSync(
      join(dir, 'd-fields.json'),
      JSON.stringify({ Records: [{ ...rec(500), eventTime: undefined }, { ...rec(501), eventID: undefined }, { ...rec(502), awsRegion: 42, userIdentity: 'x' }] }),
    );
    // invalid UTF-8 inside one record of an array
    const bad = Buffer.from(JSON.stringify(rec(600)).replace('ListUsers', 'List#Users'));
    bad[bad.indexOf('#')] = 0xff; // a byte that can never appear in UTF-8
    writeFileSync(join(dir, 'e-utf8.json'), Buffer.concat([Buffer.from('['), bad, Buffer.from(','), Buffer.from(good(601)), Buffer.from(']')]));
    // a decompression bomb (tiny gzip, huge expansion): limits lowered through the importer's defaults is not possible here,
    // so make a real one over the default ratio floor (64 MiB of spaces compress to ~65 KiB)
    writeFileSync(join(dir, 'f-bomb.json.gz'), gzipSync(Buffer.concat([Buffer.from('{"Records":['), Buffer.alloc(80 * 1024 * 1024, 0x20)]), { level: 9 }));
    // not CloudTrail at all
    writeFileSync(join(dir, 'g-foreign.json'), JSON.stringify([{ hello: 'world' }]));
    // an unreadable file (root can read anything: skip that part when running as root)
    writeFileSync(join(dir, 'h-unreadable.json'), good(700));
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) chmodSync(join(dir, 'h-unreadable.json'), 0);

    const s = await importPaths(c.store, c.signer, { sources: [dir] });
    const warns = c.store.db.prepare('SELECT origin, record_index, code, message FROM warnings').all() as any[];
    const codes = (file: string) => warns.filter((w) => w.origin.endsWith(file)).map((w) => w.code);
    assert.ok(codes('a-lines.jsonl').includes('malformed-json'), JSON.stringify(warns));
    assert.ok(codes('b-truncated.json.gz').some((c) => c === 'gzip-truncated' || c === 'truncated'));
    assert.ok(codes('c-trailing.json.gz').includes('gzip-trailing-data'));
    assert.ok(codes('d-fields.json').includes('no-event-time'));
    assert.ok(codes('d-fields.json').includes('no-event-id'));
    assert.ok(codes('d-fields.json').includes('wrong-type'));
    assert.ok(codes('e-utf8.json').includes('invalid-utf8'));
    assert.ok(codes('f-bomb.json.gz').includes('decompression-limit'));
    assert.ok(codes('g-foreign.json').includes('not-cloudtrail'));
    if (!asRoot) assert.ok(codes('h-unreadable.json').includes('unreadable'));
    // Every message names the record where there is one.
    for (const w of warns) if (w.record_index !== null) assert.match(w.message, /record \d+/);
    // Nothing valid is dropped.
    const ids = new Set((c.store.db.prepare('SELECT event_id FROM events').all() as any[]).map((r) => r.event_id));
    for (const i of [1, 2, 400, 500, 502, 601]) assert.ok(ids.has(rec(i).eventID), `event ${i} imported`);
    assert.ok([...ids].some((id) => id.startsWith('sha256:')), 'the record without eventID is kept under its hash');
    const truncatedKept = [...ids].filter((id) => /^00000000-0000-4000-8000-0000000001\d\d$/.test(id) || /0000000002\d\d$/.test(id)).length;
    assert.ok(truncatedKept > 50, `records before the truncation point imported (${truncatedKept})`);
    assert.ok(s.warnings > 0);
    // Every source's bytes are preserved as evidence, and the case verifies.
    assert.deepEqual(verifyCase(c.store).problems, []);
  } finally {
    c.cleanup();
  }
});

test('the same eventID from two sources is stored once with both provenances; differing content is a conflict', async () => {
  const c = tempCase();
  const dir = join(c.dir, 'dups');
  mkdirSync(dir);
  try {
    writeFileSync(join(dir, '1.json'), JSON.stringify({ Records: [rec(1), rec(2)] }));
    writeFileSync(join(dir, '2.json'), JSON.stringify([rec(1)], null, 2)); // same content, other formatting
    writeFileSync(join(dir, '3.jsonl'), JSON.stringify(rec(2, { sourceIPAddress: '203.0.113.66' })) + '\n'); // altered copy
    const s = await importPaths(c.store, c.signer, { sources: [dir] });
    assert.equal(s.events, 2);
    assert.equal(s.duplicates, 1);
    assert.equal(s.conflicts, 1);
    const d1 = getEvent(c.store, rec(1).eventID);
    assert.equal(d1.provenance.length, 2);
    assert.equal(d1.conflicts.length, 0);
    const d2 = getEvent(c.store, rec(2).eventID);
    assert.equal(d2.conflicts.length, 1);
    assert.equal(d2.summary.sourceIPAddress, '198.51.100.7', 'first copy stays, not merged');
    assert.deepEqual(verifyCase(c.store).problems, []);
  } finally {
    c.cleanup();
  }
});

test('folder imports are scoped by account, region and time', async () => {
  const c = tempCase();
  const root = join(c.dir, 'logs');
  const base = join(root, 'AWSLogs');
  try {
    const put = (acct: string, region: string, day: string, recs: object[]) => {
      const d = join(base, acct, 'CloudTrail', region, ...day.split('-'));
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, `${acct}_CloudTrail_${region}_${day.replace(/-/g, '')}T1000Z_x.json.gz`), gzipSync(JSON.stringify({ Records: recs })));
    };
    put('111122223333', 'us-east-1', '2024-05-01', [rec(1), rec(2)]);
    put('111122223333', 'eu-west-1', '2024-05-01', [rec(3, { awsRegion: 'eu-west-1' })]);
    put('444455556666', 'us-east-1', '2024-05-01', [rec(4, { recipientAccountId: '444455556666' })]);
    put('111122223333', 'us-east-1', '2024-06-20', [rec(5, { eventTime: '2024-06-20T10:00:00Z' })]);
    const s = await importPaths(c.store, c.signer, {
      sources: [root],
      accounts: ['111122223333'],
      regions: ['us-east-1'],
      since: '2024-05-01T00:00:00Z',
      until: '2024-05-01T10:01:30Z',
    });
    // rec 2 (10:02) is out of the time range inside an in-scope file: excluded, counted
    assert.equal(s.events, 1);
    assert.equal(s.excluded, 1);
    assert.equal(s.objects, 1, 'other accounts, regions and days were never read');
  } finally {
    c.cleanup();
  }
});

test('principal search: by ARN, user name, role name or role ARN (its sessions), and principal id', async () => {
  const c = tempCase();
  try {
    await importPaths(c.store, c.signer, { sources: [STRATUS] });
    const byArn = searchEvents(c.store, { principals: ['arn:aws:iam::229654561268:user/christophe'] });
    const byName = searchEvents(c.store, { principals: ['christophe'] });
    assert.ok(byArn.total > 0);
    assert.ok(byName.total >= byArn.total);
    const session = c.store.db.prepare("SELECT s FROM strings WHERE s LIKE 'arn:aws:sts::%:assumed-role/%' LIMIT 1").get() as { s: string };
    const [, acct, role] = /sts::(\d+):assumed-role\/([^/]+)\//.exec(session.s)!;
    const byRole = searchEvents(c.store, { principals: [role] });
    const byRoleArn = searchEvents(c.store, { principals: [`arn:aws:iam::${acct}:role/${role}`] });
    assert.ok(byRole.total > 0);
    assert.ok(byRoleArn.total > 0);
    for (const e of byRoleArn.events) assert.ok(e.principalArn?.includes(`:assumed-role/${role}/`) || e.sessionIssuerArn?.endsWith(`/${role}`));
    const pid = byArn.events[0].principalId!;
    assert.ok(searchEvents(c.store, { principals: [pid] }).total > 0);
    // The plan stays on indexes (no full scan of events) for ARN and name searches.
    const f = filterToSql(c.store, { principals: ['christophe'] });
    const plan = c.store.db.prepare(`EXPLAIN QUERY PLAN SELECT leaf FROM events WHERE ${f.where}`).all(...f.params) as { detail: string }[];
    assert.ok(!plan.some((r) => /^SCAN events$/.test(r.detail)), JSON.stringify(plan));
  } finally {
    c.cleanup();
  }
});

test('lookup-events output, CloudTrail Lake results, plain arrays and JSON lines are recognised by content', async () => {
  const c = tempCase();
  const dir = join(c.dir, 'formats');
  mkdirSync(dir);
  try {
    const r1 = rec(1);
    const r2 = rec(2, { eventName: 'GetUser' });
    // `aws cloudtrail lookup-events` output: the record is the CloudTrailEvent string.
    const lookup = { Events: [{ EventId: r1.eventID, EventName: 'ListUsers', CloudTrailEvent: JSON.stringify(r1) }, { EventId: r2.eventID, CloudTrailEvent: JSON.stringify(r2) }], NextToken: 'abc' };
    writeFileSync(join(dir, 'lookup.out'), JSON.stringify(lookup, null, 4));
    // CloudTrail Lake GetQueryResults page with an eventJson column.
    const r3 = rec(3, { eventName: 'CreateUser' });
    writeFileSync(join(dir, 'lake.txt'), JSON.stringify({ QueryStatus: 'FINISHED', QueryResultRows: [[{ eventjson: JSON.stringify(r3) }, { eventTime: r3.eventTime }]] }));
    // A plain array and JSON lines, with misleading names.
    writeFileSync(join(dir, 'array.jsonl'), JSON.stringify([rec(4), rec(5)]));
    writeFileSync(join(dir, 'lines.json'), [rec(6), rec(7)].map((r) => JSON.stringify(r)).join('\r\n') + '\r\n');
    const s = await importPaths(c.store, c.signer, { sources: [dir] });
    assert.equal(s.events, 7);
    assert.equal(s.warnings, 0);
    const formats = (c.store.db.prepare('SELECT origin, format FROM evidence ORDER BY origin').all() as { origin: string; format: string }[]).map((r) => [r.origin.split('/').pop(), r.format]);
    assert.deepEqual(formats, [
      ['array.jsonl', 'json-array'],
      ['lake.txt', 'cloudtrail-lake'],
      ['lines.json', 'json-lines'],
      ['lookup.out', 'lookup-events'],
    ]);
    // The verbatim record of a LookupEvents event is the CloudTrailEvent string, byte-exact.
    assert.equal(getEvent(c.store, r1.eventID).record, JSON.stringify(r1));
    assert.equal(getEvent(c.store, r1.eventID).provenance[0].encoding, 'lookup-events:CloudTrailEvent');
    assert.equal(getEvent(c.store, r3.eventID).record, JSON.stringify(r3));
    assert.deepEqual(verifyCase(c.store).problems, []);
  } finally {
    c.cleanup();
  }
});

test('requestIDs: lower-case UUIDs stored as 16 bytes, anything else as text, and both read back exactly', async () => {
  const c = tempCase();
  const dir = join(c.dir, 'req');
  mkdirSync(dir);
  try {
    const ids = ['0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0', '0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0', 'ABCDEF0123456789', '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1fz'];
    writeFileSync(join(dir, 'r.json'), JSON.stringify({ Records: ids.map((rid, i) => rec(900 + i, { requestID: rid })) }));
    await importPaths(c.store, c.signer, { sources: [dir] });
    const stored = c.store.db.prepare('SELECT typeof(request_id) AS t FROM events ORDER BY leaf').all() as { t: string }[];
    assert.deepEqual(stored.map((r) => r.t), ['blob', 'text', 'text', 'text']);
    ids.forEach((rid, i) => assert.equal(getEvent(c.store, rec(900 + i).eventID).summary.requestId, rid));
    assert.deepEqual(verifyCase(c.store).problems, []);
  } finally {
    c.cleanup();
  }
});

test('duplicates and conflicts come out the same whether a bulk import drops the eventID index or not, and past the fingerprint cap', async () => {
  const { eventIdSetTuning, EventIdSet } = await import('../../electron/ingest/event-id-set.ts');
  const { EVENT_ID_INDEX } = await import('../../electron/case/data/indexes.ts');
  const defaultCap = eventIdSetTuning.cap;
  const results: unknown[] = [];
  // Runs written out by the eventID sets of these imports (a tiny cap writes several per import).
  let spilled = 0;
  const close = EventIdSet.prototype.close;
  EventIdSet.prototype.close = function (this: InstanceType<typeof EventIdSet>) {
    spilled += this.spilled;
    return close.call(this);
  };
  try {
    // [bulk, cap, events already in the case before the import (read into the set by a bulk import)]
    for (const [bulk, cap, before] of [[false, defaultCap, 0], [true, defaultCap, 0], [true, 7, 0], [false, 7, 0], [true, 7, 25], [true, defaultCap, 25], [false, 7, 25]] as const) {
      eventIdSetTuning.cap = cap;
      spilled = 0;
      const c = tempCase();
      const dir = join(c.dir, 'dups');
      mkdirSync(dir);
      try {
        const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => rec(a + i));
        const what = `bulk ${bulk}, cap ${cap}, ${before} events before`;
        if (before) {
          // The first events as their own import (not bulk), then the rest in one bulk or not.
          const pre = join(c.dir, 'pre');
          mkdirSync(pre);
          writeFileSync(join(pre, '0.json'), JSON.stringify({ Records: range(1, before) }));
          await importPaths(c.store, c.signer, { sources: [pre] }, { bulk: false });
        }
        writeFileSync(join(dir, '1.json'), JSON.stringify({ Records: range(1, 40) }));
        writeFileSync(join(dir, '2.json'), JSON.stringify({ Records: range(20, 60) })); // 21 identical copies
        writeFileSync(join(dir, '3.jsonl'), [rec(5, { sourceIPAddress: '203.0.113.66' }), rec(70)].map((r) => JSON.stringify(r)).join('\n') + '\n'); // a conflict, one new
        writeFileSync(join(dir, '4.json'), JSON.stringify({ Records: [rec(80), rec(80)] })); // the same event twice in one file
        const s = await importPaths(c.store, c.signer, { sources: [dir] }, { bulk });
        const r = { events: s.events + before, duplicates: s.duplicates - before, conflicts: s.conflicts, copies: (c.store.db.prepare('SELECT count(*) AS n FROM event_copies').get() as { n: number }).n - before };
        assert.deepEqual(r, { events: 62, duplicates: 22, conflicts: 1, copies: 23 }, what);
        // With a cap of 7 the set writes runs whenever it keeps events in memory: in every bulk import, and into an empty case.
        if (cap === 7 && (bulk || !before)) assert.ok(spilled >= 2, `${what}: runs written (${spilled})`);
        if (cap === defaultCap) assert.equal(spilled, 0, what);
        assert.ok(c.store.db.prepare("SELECT 1 FROM sqlite_master WHERE name = ?").get(EVENT_ID_INDEX.name), `the eventID index is back (${what})`);
        assert.equal(getEvent(c.store, rec(5).eventID).conflicts.length, 1);
        assert.equal(getEvent(c.store, rec(80).eventID).provenance.length, 2);
        assert.deepEqual(verifyCase(c.store).problems, []);
        results.push(searchEvents(c.store, {}, { limit: 100 }).events.map((e) => [e.eventId, e.eventTime]));
      } finally {
        c.cleanup();
      }
    }
  } finally {
    eventIdSetTuning.cap = defaultCap;
    EventIdSet.prototype.close = close;
  }
  for (const r of results.slice(1)) assert.deepEqual(r, results[0]);
});
