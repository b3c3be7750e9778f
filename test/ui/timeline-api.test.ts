// The timeline API (docs/architecture.md, "The renderer") over a real case built from the Stratus Red Team
// detonation logs: SQL density and items are checked against counts computed
// independently in JavaScript from every event of the case.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { searchEvents } from '../../electron/case/queries.ts';
import { makeContext } from '../../electron/api/context.ts';
import { dispatch } from '../../electron/api/handlers.ts';
import { niceBucketMs, OTHER_GROUP, type TimelineGroupBy } from '../../shared/api/timeline.ts';
import { scanTuning, timelineDensity, timelineRollupStatus } from '../../electron/api/timeline-handlers.ts';
import type { EventSummary } from '../../shared/types.ts';
import { tempCase, type TempCase } from '../support/case.ts';
import { SCHEMA_VERSION } from '../../electron/case/migrations/index.ts';
import { severityRank } from '../../shared/analysis/findings.ts';

const STRATUS = 'test/fixtures/stratus-red-team/detonation-logs';
const IOC_IP = '18.236.253.47';

let c: TempCase;
let all: EventSummary[];
let ctx: ReturnType<typeof makeContext>;

before(async () => {
  c = tempCase('timeline');
  await importPaths(c.store, c.signer, { sources: [STRATUS] });
  // Imports keep the rollups current (README.md, "Speed and size"; test/case/data/timeline-rollup.test.ts): here they are
  // taken away, as an import by an earlier version left a case, so that the stale and catch-up paths are tested.
  forgetRollup(c.store);
  all = searchEvents(c.store, {}, { limit: 100_000 }).events;
  ctx = makeContext(c.store, { signer: c.signer });
  // One indicator in the case's IOC list (docs/analysis.md): the IP IOC_IP.
  await dispatch(ctx, 'addIoc', { type: 'ip', value: IOC_IP });
});
after(() => c.cleanup());

function forgetRollup(s: TempCase['store']): void {
  s.db.exec('DELETE FROM timeline_state; DELETE FROM timeline_hour; DELETE FROM timeline_day; DELETE FROM timeline_ip_hour;');
}

function labelOf(e: EventSummary, g: TimelineGroupBy): string | null {
  if (g === 'principal') return e.principalArn ?? e.userName ?? e.principalId ?? e.identityType;
  if (g === 'ip') return e.sourceIPAddress;
  if (g === 'service') return e.eventSource;
  if (g === 'region') return e.awsRegion;
  return e.recipientAccountId;
}

function countBy(events: EventSummary[], g: TimelineGroupBy): Map<string | null, number> {
  const m = new Map<string | null, number>();
  for (const e of events) m.set(labelOf(e, g), (m.get(labelOf(e, g)) ?? 0) + 1);
  return m;
}

test('the fixture case has the events the assertions rely on', () => {
  assert.equal(all.length, 310);
  assert.ok(all.every((e) => e.eventTime !== null));
});

for (const groupBy of ['principal', 'ip', 'service', 'account', 'region'] as const) {
  test(`density by ${groupBy} over the whole case matches counts made in JavaScript`, async () => {
    const d = await dispatch(ctx, 'timelineDensity', { groupBy, buckets: 100, maxGroups: 500 });
    assert.equal(d.total, 310);
    const expected = countBy(all, groupBy);
    assert.equal(d.groups.length, expected.size);
    for (const g of d.groups) {
      const key = g.label.startsWith('(no ') ? null : g.label;
      assert.equal(g.count, expected.get(key), `group ${g.label}`);
      const cellSum = d.cells.filter((x) => x.group === g.id).reduce((s, x) => s + x.count, 0);
      assert.equal(cellSum, g.count, `cells of ${g.label}`);
    }
    // Cells are bucket-aligned and every event falls in the bucket the cell says.
    const first = Date.parse(all[0].eventTime!);
    assert.ok(d.startMs <= first && d.startMs % d.bucketMs === 0);
    for (const cell of d.cells) {
      const inBucket = all.filter(
        (e) => labelOf(e, groupBy) === (d.groups.find((g) => g.id === cell.group)!.label.startsWith('(no ') ? null : d.groups.find((g) => g.id === cell.group)!.label) &&
          Date.parse(e.eventTime!) >= cell.bucketMs && Date.parse(e.eventTime!) < cell.bucketMs + d.bucketMs,
      ).length;
      assert.equal(cell.count, inBucket);
    }
  });
}

test('a filter matching much of the case is counted by a table scan, with the same answer as through its index', async () => {
  const args = { groupBy: 'principal' as const, maxGroups: 500, buckets: 100, filter: { ips: ['253.252.51.7', '18.236.253.47'] } };
  const viaIndex = timelineDensity(c.store, args);
  const saved = { ...scanTuning };
  Object.assign(scanTuning, { minCaseEvents: 0, minRows: 1, fraction: 0.01 });
  try {
    const viaScan = timelineDensity(c.store, args);
    assert.deepEqual(viaScan, viaIndex);
    assert.equal(viaScan.total, all.filter((e) => e.sourceIPAddress === '253.252.51.07' || e.sourceIPAddress === '18.236.253.47').length);
  } finally {
    Object.assign(scanTuning, saved);
  }
});

test('groups beyond maxGroups are folded into one "other" group, losing no event', async () => {
  const d = await dispatch(ctx, 'timelineDensity', { groupBy: 'ip', maxGroups: 3 });
  assert.equal(d.groups.length, 3);
  assert.equal(d.groups[2].id, OTHER_GROUP);
  const byIp = [...countBy(all, 'ip').values()].sort((a, b) => b - a);
  assert.deepEqual(d.groups.slice(0, 2).map((g) => g.count), byIp.slice(0, 2));
  assert.equal(d.groups[2].count, 310 - byIp[0] - byIp[1]);
  assert.equal(d.otherValues, byIp.length - 2);
  assert.equal(d.cells.reduce((s, x) => s + x.count, 0), 310);
});

test('an IP filter keeps only that IP (zero-padded in the record) and its groups', async () => {
  const d = await dispatch(ctx, 'timelineDensity', { groupBy: 'ip', filter: { ips: ['75.50.255.67'] } });
  assert.deepEqual(d.groups.map((g) => g.label), ['075.050.255.67']);
  assert.equal(d.total, all.filter((e) => e.sourceIPAddress === '075.050.255.67').length);
  const byPrincipal = await dispatch(ctx, 'timelineDensity', { groupBy: 'principal', filter: { ips: ['75.50.255.67'] } });
  const expected = countBy(all.filter((e) => e.sourceIPAddress === '075.050.255.67'), 'principal');
  assert.deepEqual(new Set(byPrincipal.groups.map((g) => g.label)), new Set(expected.keys()));
});

test("a window over an address filter spans exactly that address's first to last event (index seeks per address)", async () => {
  const span = (keep: (e: EventSummary) => boolean) => {
    const t = all.filter(keep).map((e) => Date.parse(e.eventTime!)).filter((x) => Number.isFinite(x));
    return [Math.min(...t), Math.max(...t)];
  };
  for (const [filter, keep] of [
    [{ ips: ['75.50.255.67'] }, (e: EventSummary) => e.sourceIPAddress === '075.050.255.67'],
    [{ ips: [IOC_IP, '75.50.255.67'] }, (e: EventSummary) => e.sourceIPAddress === IOC_IP || e.sourceIPAddress === '075.050.255.67'],
    [{ ioc: true }, (e: EventSummary) => e.sourceIPAddress === IOC_IP],
  ] as const) {
    const w = await dispatch(ctx, 'timelineWindow', { groupBy: 'principal', filter, maxItems: 2000, buckets: 100 });
    assert.equal(w.mode, 'items', JSON.stringify(filter));
    assert.deepEqual([w.startMs, w.endMs], span(keep), JSON.stringify(filter));
    // The general path (another constraint that keeps every event) gives the same span.
    const general = await dispatch(ctx, 'timelineWindow', { groupBy: 'principal', filter: { ...filter, since: '1970-01-01' }, maxItems: 2000, buckets: 100 });
    assert.deepEqual([general.startMs, general.endMs], [w.startMs, w.endMs]);
  }
});

test('items come only when the window holds at most maxItems events', async () => {
  const whole = await dispatch(ctx, 'timelineWindow', { maxItems: 100 });
  assert.equal(whole.mode, 'density');
  const many = await dispatch(ctx, 'timelineItems', { maxItems: 100 });
  assert.equal(many.tooMany, true);
  assert.equal(many.items.length, 0);
  assert.equal(many.total, 310);
  // The hour 2024-08-02T08 holds 49 events.
  const startMs = Date.parse('2024-08-02T08:00:00Z');
  const endMs = Date.parse('2024-08-02T08:59:59.999Z');
  const w = await dispatch(ctx, 'timelineWindow', { startMs, endMs, maxItems: 100, groupBy: 'service' });
  assert.equal(w.mode, 'items');
  if (w.mode !== 'items') return;
  const expected = all.filter((e) => Date.parse(e.eventTime!) >= startMs && Date.parse(e.eventTime!) <= endMs);
  assert.equal(w.items.length, expected.length);
  assert.deepEqual(new Set(w.items.map((i) => i.eventId)), new Set(expected.map((e) => e.eventId)));
  for (const it of w.items) {
    const e = expected.find((x) => x.eventId === it.eventId)!;
    assert.equal(w.groups.find((g) => g.id === it.group)!.label, e.eventSource);
    assert.equal(it.eventName, e.eventName);
    assert.equal(it.timeMs, Date.parse(e.eventTime!));
    assert.equal(it.ioc, e.sourceIPAddress === IOC_IP);
  }
  const bounded = await dispatch(ctx, 'timelineItems', { startMs, endMs, maxItems: expected.length - 1 });
  assert.equal(bounded.tooMany, true);
  assert.equal(bounded.total, expected.length);
});

test('IOC matches are counted per cell, and the ioc filter keeps only matching events', async () => {
  const d = await dispatch(ctx, 'timelineDensity', { groupBy: 'service' });
  const hits = all.filter((e) => e.sourceIPAddress === IOC_IP).length;
  assert.ok(hits > 0);
  assert.equal(d.cells.reduce((s, x) => s + x.ioc, 0), hits);
  const only = await dispatch(ctx, 'timelineDensity', { groupBy: 'ip', filter: { ioc: true } });
  assert.equal(only.total, hits);
  assert.deepEqual(only.groups.map((g) => g.label), [IOC_IP]);
  assert.equal(only.cells.reduce((s, x) => s + x.ioc, 0), hits);
});

test('an empty result and bad arguments are answered cleanly', async () => {
  const none = await dispatch(ctx, 'timelineWindow', { filter: { ips: ['192.0.2.1'] } });
  assert.equal(none.total, 0);
  assert.deepEqual(none.groups, []);
  await assert.rejects(dispatch(ctx, 'timelineDensity', { groupBy: 'colour' }), /bad arguments: groupBy/);
  await assert.rejects(dispatch(ctx, 'timelineItems', { maxItems: 1_000_000 }), /bad arguments: maxItems/);
});

test('bucket sizes are round durations covering the span in at most the asked number of buckets', () => {
  assert.equal(niceBucketMs(60_000, 100), 1000);
  assert.equal(niceBucketMs(3_600_000, 100), 60_000);
  assert.equal(niceBucketMs(86_400_000, 100), 900_000);
  const span = 130 * 86_400_000;
  const b = niceBucketMs(span, 100);
  assert.ok(span / b <= 100 && b % 86_400_000 === 0);
});

test('the hourly rollup gives the same density as counting the events, and is extended after an import', async () => {
  assert.equal(timelineRollupStatus(c.store).fresh, false);
  const args = { groupBy: 'principal' as const, maxGroups: 500, buckets: 100 };
  assert.equal(timelineDensity(c.store, { ...args, filter: {} }).path, 'direct');
  const custodyBefore = (await dispatch(ctx, 'custodyLog', { limit: 100_000 })).total;
  const st = await dispatch(ctx, 'timelineIndex', {});
  assert.equal(st.fresh, true);
  assert.equal(st.extended, true);
  assert.equal(st.throughLeaf, 309); // leaves count from 0
  const log = await dispatch(ctx, 'custodyLog', { offset: custodyBefore, limit: 10 });
  assert.deepEqual(log.items.map((e) => e.action), ['timeline.indexed']);
  assert.equal(log.items[0].details.throughLeaf, 309);
  assert.equal(log.items[0].details.fromLeaf, -1);
  // Indexing again changes nothing and logs nothing.
  assert.equal((await dispatch(ctx, 'timelineIndex', {})).extended, false);
  assert.equal((await dispatch(ctx, 'custodyLog', {})).total, custodyBefore + 1);
  for (const groupBy of ['principal', 'ip', 'service', 'account', 'region'] as const) {
    for (const bucketMs of [3_600_000, 86_400_000, 6 * 3_600_000]) {
      const viaRollup = timelineDensity(c.store, { ...args, groupBy, bucketMs, filter: {} });
      // "since 1970" keeps every event but is a filter, so it is counted directly.
      const direct = timelineDensity(c.store, { ...args, groupBy, bucketMs, filter: { since: '1970-01-01' } });
      assert.equal(viaRollup.path, 'rollup');
      assert.equal(direct.path, 'direct');
      assert.deepEqual(viaRollup.groups, direct.groups, `${groupBy} ${bucketMs}`);
      assert.deepEqual(viaRollup.cells, direct.cells, `${groupBy} ${bucketMs}`);
      assert.equal(viaRollup.total, 310);
    }
  }
  // A narrow window, few groups: the shown counts stay exact, "other" holds the rest.
  const startMs = Date.parse('2024-08-01T00:00:00Z');
  const endMs = Date.parse('2024-08-02T23:59:59.999Z');
  const narrow = timelineDensity(c.store, { groupBy: 'ip', maxGroups: 4, buckets: 100, bucketMs: 3_600_000, startMs, endMs, filter: {} });
  assert.equal(narrow.path, 'rollup');
  const inWindow = all.filter((e) => Date.parse(e.eventTime!) >= startMs && Date.parse(e.eventTime!) <= endMs);
  assert.equal(narrow.total, inWindow.length);
  const perIp = countBy(inWindow, 'ip');
  for (const g of narrow.groups) if (g.id !== OTHER_GROUP) assert.equal(g.count, perIp.get(g.label));
  assert.equal(narrow.groups.reduce((s, g) => s + g.count, 0), inWindow.length);
  assert.equal(narrow.cells.reduce((s, x) => s + x.count, 0), inWindow.length);
});

test('filtered by source IP only, density comes from the per-IP rollup and equals counting the events', async () => {
  assert.equal(timelineRollupStatus(c.store).fresh, true);
  const args = { maxGroups: 500, buckets: 100 };
  const ipCounts = countBy(all, 'ip');
  const busiest = [...ipCounts].filter(([ip]) => ip && /^[\d.]+$/.test(ip)).sort((x, y) => y[1] - x[1])[0][0]!;
  const cidr = busiest.split('.').slice(0, 2).join('.') + '.0.0/16';
  for (const ips of [[IOC_IP], [busiest], [cidr], [IOC_IP, busiest]]) {
    const expected = all.filter((e) => ips.some((v) => (v.includes('/') ? e.sourceIPAddress?.startsWith(v.split('.').slice(0, 2).join('.') + '.') : e.sourceIPAddress === v)));
    assert.ok(expected.length > 0, `${ips} has events`);
    for (const groupBy of ['principal', 'ip', 'service', 'account', 'region'] as const) {
      for (const bucketMs of [3_600_000, 86_400_000, 6 * 3_600_000, undefined]) {
        const b = bucketMs === undefined ? {} : { bucketMs };
        const viaRollup = timelineDensity(c.store, { ...args, ...b, groupBy, filter: { ips } });
        // "since 1970" keeps every event but is a second constraint, so it is counted directly.
        const direct = timelineDensity(c.store, { ...args, ...b, groupBy, filter: { ips, since: '1970-01-01' } });
        if (bucketMs !== undefined) assert.equal(viaRollup.path, 'rollup', `${ips} ${groupBy} ${bucketMs}`);
        assert.equal(direct.path, 'direct');
        assert.equal(viaRollup.total, expected.length, `${ips} ${groupBy} ${bucketMs}`);
        assert.deepEqual(viaRollup.groups, direct.groups, `${ips} ${groupBy} ${bucketMs}`);
        assert.deepEqual(viaRollup.cells, direct.cells, `${ips} ${groupBy} ${bucketMs}`);
        const perGroup = countBy(expected, groupBy);
        for (const g of viaRollup.groups) assert.equal(g.count, perGroup.get(g.label.startsWith('(no ') ? null : g.label), `${ips} ${groupBy} ${g.label}`);
      }
    }
  }
  // A few groups only: "other" holds the rest, exactly.
  const few = timelineDensity(c.store, { maxGroups: 2, buckets: 100, bucketMs: 3_600_000, groupBy: 'service', filter: { ips: [cidr] } });
  const fewDirect = timelineDensity(c.store, { maxGroups: 2, buckets: 100, bucketMs: 3_600_000, groupBy: 'service', filter: { ips: [cidr], since: '1970-01-01' } });
  assert.equal(few.path, 'rollup');
  assert.deepEqual(few.groups, fewDirect.groups);
  assert.deepEqual(few.cells, fewDirect.cells);
  // "IOC matches only" while every enabled indicator is an address: the same rollup (the list holds IOC_IP).
  for (const groupBy of ['principal', 'ip'] as const) {
    const ioc = timelineDensity(c.store, { ...args, groupBy, bucketMs: 3_600_000, filter: { ioc: true } });
    const iocDirect = timelineDensity(c.store, { ...args, groupBy, bucketMs: 3_600_000, filter: { ioc: true, since: '1970-01-01' } });
    assert.equal(ioc.path, 'rollup');
    assert.equal(ioc.total, ipCounts.get(IOC_IP));
    assert.deepEqual(ioc.groups, iocDirect.groups);
    assert.deepEqual(ioc.cells, iocDirect.cells);
  }
  // Another kind of indicator enabled: the IOC filter is no longer an address set, so it is counted directly.
  await dispatch(ctx, 'addIoc', { type: 'event-name', value: 'ListUsers' });
  try {
    const mixed = timelineDensity(c.store, { ...args, groupBy: 'principal', bucketMs: 3_600_000, filter: { ioc: true } });
    assert.equal(mixed.path, 'direct');
    assert.equal(mixed.total, all.filter((e) => e.sourceIPAddress === IOC_IP || e.eventName === 'ListUsers').length);
  } finally {
    await dispatch(ctx, 'removeIoc', { type: 'event-name', value: 'ListUsers' });
  }
});

test('migration 5 adds the per-IP rollup to a schema-4 case; the next timelineIndex rebuilds the rollup (custody-logged)', async () => {
  const { default: Database } = await import('better-sqlite3');
  const { CaseStore } = await import('../../electron/case/store.ts');
  const old = tempCase('schema 4');
  try {
    await importPaths(old.store, old.signer, { sources: [STRATUS] });
    const octx = makeContext(old.store, { signer: old.signer });
    await dispatch(octx, 'timelineIndex', {});
    old.store.close();
    // Make it a schema-4 case whose rollup was built by the previous version.
    const db = new Database(old.path);
    db.exec('DROP TABLE timeline_ip_hour');
    // Later migrations' tables too, so that migrating from 4 creates them again.
    for (const t of ['enrichment_sources', 'enrichment_runs', 'ip_enrichment']) db.exec(`DROP TABLE ${t}`);
    db.exec('DROP TABLE IF EXISTS saved_queries');
    db.exec('DROP TABLE IF EXISTS detections'); // schema 9
    db.prepare('UPDATE timeline_state SET version = 1').run();
    db.exec('DROP TABLE IF EXISTS checkpoint_timestamps'); // schema 6 (docs/verification.md): not in a schema-4 file
    db.pragma('user_version = 4');
    db.close();
    const s = CaseStore.open(old.path);
    try {
      assert.equal(s.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.equal((s.db.prepare('SELECT count(*) AS n FROM timeline_ip_hour').get() as { n: number }).n, 0);
      assert.equal(timelineRollupStatus(s).fresh, false, 'a rollup of the previous version is not used');
      assert.equal(timelineDensity(s, { groupBy: 'principal', maxGroups: 50, buckets: 100, bucketMs: 3_600_000, filter: { ips: [IOC_IP] } }).path, 'direct');
      const st = await dispatch(makeContext(s, { signer: old.signer }), 'timelineIndex', {});
      assert.equal(st.extended, true);
      const last = s.db.prepare("SELECT details FROM custody WHERE action = 'timeline.indexed' ORDER BY seq DESC LIMIT 1").get() as { details: string };
      const details = JSON.parse(last.details);
      assert.equal(details.rebuilt, true);
      assert.ok(details.ipRows > 0);
      const d = timelineDensity(s, { groupBy: 'principal', maxGroups: 50, buckets: 100, bucketMs: 3_600_000, filter: { ips: [IOC_IP] } });
      assert.equal(d.path, 'rollup');
      assert.equal(d.total, all.filter((e) => e.sourceIPAddress === IOC_IP).length);
    } finally {
      s.close();
    }
  } finally {
    old.cleanup();
  }
});

test('after another import the rollup is stale (counted directly) until timelineIndex extends it', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'tl-extra-'));
  const recs = Array.from({ length: 5 }, (_, i) => ({
    eventVersion: '1.08',
    eventTime: `2024-08-02T08:1${i}:00Z`,
    eventSource: 'iam.amazonaws.com',
    eventName: 'ListUsers',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.9',
    eventID: `11111111-0000-4000-8000-${String(i).padStart(12, '0')}`,
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/extra', userName: 'extra', accountId: '111122223333' },
    recipientAccountId: '111122223333',
  }));
  writeFileSync(join(dir, 'extra.json'), JSON.stringify({ Records: recs }));
  // A case whose rollups are behind (an earlier version's): the import leaves them for timelineIndex.
  forgetRollup(c.store);
  await importPaths(c.store, c.signer, { sources: [dir] });
  assert.equal(timelineRollupStatus(c.store).fresh, false);
  const args = { groupBy: 'principal' as const, maxGroups: 500, buckets: 100, bucketMs: 3_600_000, filter: {} };
  const stale = timelineDensity(c.store, args);
  assert.equal(stale.path, 'direct');
  assert.equal(stale.total, 315);
  const st = await dispatch(ctx, 'timelineIndex', {});
  assert.equal(st.extended, true);
  assert.equal(st.throughLeaf, 314);
  const fresh = timelineDensity(c.store, args);
  assert.equal(fresh.path, 'rollup');
  assert.deepEqual(fresh.cells, stale.cells);
  assert.deepEqual(fresh.groups, stale.groups);
  assert.equal(fresh.groups.find((g) => g.label === 'arn:aws:iam::111122223333:user/extra')?.count, 5);
});

test("single events carry the highest severity of the latest run's findings that list them, and lose a dismissed finding's at once", async () => {
  const { analyseCase } = await import('../../electron/analysis/run.ts');
  const { decideFinding, listFindings, recordRun } = await import('../../electron/analysis/runs.ts');
  const s = tempCase('timeline-sev');
  try {
    await importPaths(s.store, s.signer, { sources: [STRATUS] });
    const sctx = makeContext(s.store, { signer: s.signer });
    const marks = async () => {
      const w = await dispatch(sctx, 'timelineWindow', { filter: {}, groupBy: 'principal', maxItems: 2000, buckets: 100 });
      assert.equal(w.mode, 'items');
      return new Map(w.mode === 'items' ? w.items.map((it) => [it.eventId, it.severity]) : []);
    };
    const expected = (ids: Iterable<string>) => {
      const want = new Map<string, string>();
      for (const f of listFindings(s.store, { limit: 100_000 }).items) {
        if (f.decision === 'dismissed') continue;
        for (const id of f.eventIds) if (!want.has(id) || severityRank(f.severity) > severityRank(want.get(id)!)) want.set(id, f.severity);
      }
      return new Map([...ids].map((id) => [id, want.get(id) ?? null]));
    };
    const before = await marks();
    assert.ok(before.size > 0 && [...before.values()].every((v) => v === null), 'no run yet: nothing marked');
    recordRun(s.store, s.signer.examiner, await analyseCase(s.store));
    const after = await marks();
    assert.deepEqual(after, expected(after.keys()));
    const marked = [...after.values()].filter((v) => v !== null).length;
    assert.ok(marked > 0 && marked < after.size, `${marked} of ${after.size} marked`);
    // Dismissing the finding on the most events takes its colour off them at the next window (the answer is cached per run and decision).
    const top = listFindings(s.store, { limit: 100_000 }).items.sort((a, b) => b.eventIds.length - a.eventIds.length)[0];
    decideFinding(s.store, s.signer.examiner, top.id, 'dismissed', 'test activity');
    const dismissed = await marks();
    assert.deepEqual(dismissed, expected(dismissed.keys()));
    assert.notDeepEqual(dismissed, after, 'the dismissal changed what is marked');
  } finally {
    s.cleanup();
  }
});
