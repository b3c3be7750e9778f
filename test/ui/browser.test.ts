// The workstation in real Chromium (docs/architecture.md, "The renderer"), driving the real loopback host
// over a real case built from the Stratus Red Team detonation logs: the page
// loads without console errors; an IP filter shows the right groups; zooming
// in brings individual items; an item opens the inspector; a note lands in the
// custody log; the table sorts, navigates by keyboard and exports; checks run
// as a job and a finding jumps to its events; the IOC panel counts hits and
// pivots; errors are shown where they happen. Screenshots of each main screen
// go to test-output/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { searchEvents } from '../../electron/case/queries.ts';
import { startHost, type Host } from '../../electron/host/server.ts';
import { dispatch } from '../../electron/api/handlers.ts';
import { chromiumSkipReason, launchChromium, watchPage, type LaunchedBrowser } from '../support/browser.ts';
import { tempCase, type TempCase } from '../support/case.ts';
import { severityRank } from '../../shared/analysis/findings.ts';

const SKIP = chromiumSkipReason();
if (SKIP) console.log(`# browser tests skipped: ${SKIP}`);
const SHOTS = join('test-output', 'screenshots');
const IP = '253.252.51.07'; // the busiest source IP of the detonations
/** Small, so the 310-event case shows density first and items after zooming in. */
const ITEM_LIMIT = 60;

let c: TempCase;
let host: Host;
let b: LaunchedBrowser;
let page: Page;
let watch: { problems: string[] };

const uiTest = (name: string, fn: () => Promise<void>) => test(name, { skip: SKIP ?? false, timeout: 60_000 }, fn);

before(async () => {
  if (SKIP) return;
  mkdirSync(SHOTS, { recursive: true });
  c = tempCase('Stratus Red Team detonations');
  await importPaths(c.store, c.signer, { sources: ['test/fixtures/stratus-red-team/detonation-logs'] });
  host = await startHost({ store: c.store, signer: c.signer });
  b = await launchChromium();
  page = await b.context.newPage();
  watch = watchPage(page);
});

after(async () => {
  if (SKIP) return;
  await b?.close();
  await host?.close();
  c?.cleanup();
});

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

async function timelineReady(p: Page, seqAfter = 0): Promise<{ mode: string; seq: number; items: number; maxItems: number }> {
  await p.waitForFunction(
    (after) => {
      const el = document.querySelector('.timeline-wrap');
      return el?.getAttribute('data-state') === 'ready' && Number(el.getAttribute('data-seq')) > after;
    },
    seqAfter,
    { timeout: 20_000 },
  );
  return p.evaluate(() => {
    const el = document.querySelector('.timeline-wrap')!;
    return {
      mode: el.getAttribute('data-mode')!,
      seq: Number(el.getAttribute('data-seq')),
      items: document.querySelectorAll('.vis-item.ev.vis-point').length,
      maxItems: Number(el.getAttribute('data-max-dom-items')),
    };
  });
}

const groupLabels = (p: Page) => p.$$eval('.vis-labelset .vis-label', (els) => els.map((e) => e.textContent ?? ''));

uiTest('the page loads over the token URL without console errors, and shows the case overview', async () => {
  await page.goto(`${host.url}&itemLimit=${ITEM_LIMIT}`);
  await page.getByRole('heading', { name: 'Stratus Red Team detonations' }).waitFor();
  await page.getByText('310 (0 copies from other sources').waitFor();
  // The token left the address bar (kept in sessionStorage for API calls).
  assert.doesNotMatch(page.url(), /token=/);
  await page.locator('.density-table').first().waitFor();
  await page.locator('table.custody').waitFor();
  assert.deepEqual(watch.problems, []);
  await shot('overview');
});

uiTest('the timeline shows density for the whole case, then an IP filter leaves exactly that IP and its principals', async () => {
  await page.getByRole('tab', { name: 'Timeline' }).click();
  const first = await timelineReady(page);
  assert.equal(first.mode, 'density'); // 310 events > ITEM_LIMIT
  assert.ok((await page.locator('.vis-item.density').count()) > 0);
  await shot('timeline-density');

  await page.getByLabel('Filter field').selectOption('ips');
  await page.getByLabel('Filter value').fill(IP);
  await page.getByRole('button', { name: 'Add filter' }).click();
  let st = await timelineReady(page, first.seq);
  await page.getByLabel('Group by').selectOption('ip');
  st = await timelineReady(page, st.seq);
  assert.deepEqual(await groupLabels(page), [IP]);
  await page.getByLabel('Group by').selectOption('principal');
  st = await timelineReady(page, st.seq);
  const expected = new Set(searchEvents(c.store, { ips: [IP] }, { limit: 1000 }).events.map((e) => e.principalArn));
  const shown = await groupLabels(page);
  assert.equal(shown.length, expected.size);
  for (const arn of expected) {
    const tail = arn!.split(':').pop()!.replace(/^assumed-role\//, '');
    assert.ok(shown.some((l) => l.startsWith(tail)), `${arn} not among ${shown}`);
  }
  await shot('timeline-filtered-ip');
  await page.getByRole('button', { name: 'Clear' }).click();
  await timelineReady(page, st.seq);
  assert.deepEqual(watch.problems, []);
});

uiTest('zooming in (clicking the densest bucket, then the keyboard) brings individual events, never more than the bound', async () => {
  let st = await timelineReady(page);
  assert.equal(st.mode, 'density');
  // Click the darkest pixel column of the busiest group's density strip: each click zooms in eight times there.
  for (let i = 0; i < 6 && st.mode === 'density'; i++) {
    const target = await page.evaluate(() => {
      let best = { x: 0, y: 0, a: -1 };
      for (const c of Array.from(document.querySelectorAll<HTMLCanvasElement>('canvas.density-strip'))) {
        const data = c.getContext('2d')!.getImageData(0, 0, c.width, 1).data;
        const r = c.getBoundingClientRect();
        for (let x = 0; x < c.width; x++) {
          const px = r.left + ((x + 0.5) / c.width) * r.width;
          if (data[x * 4 + 3] > best.a && px > 0 && px < window.innerWidth) best = { x: px, y: r.top + r.height / 2, a: data[x * 4 + 3] };
        }
      }
      return best;
    });
    assert.ok(target.a > 0, 'a non-empty density cell to click');
    await page.mouse.click(target.x, target.y);
    st = await timelineReady(page, st.seq);
  }
  assert.equal(st.mode, 'items');
  assert.ok(st.items > 0 && st.items <= ITEM_LIMIT, `${st.items} items`);
  // Keyboard: zoom in once more ('+') and pan (arrow) - each a new answer from the back end.
  await page.locator('.timeline-wrap').focus();
  await page.keyboard.press('+');
  st = await timelineReady(page, st.seq);
  await page.keyboard.press('ArrowLeft');
  st = await timelineReady(page, st.seq);
  assert.ok(st.maxItems <= ITEM_LIMIT + 60, `at most ${st.maxItems} timeline DOM items (items + density strips)`);
  const measures = await page.evaluate(() => performance.getEntriesByType('measure').map((m) => m.name));
  assert.ok(measures.includes('timeline:first-paint') && measures.includes('timeline:zoom'), measures.join());
  // A window typed in UTC: the hour 2024-08-02T08 holds 49 events.
  await page.getByLabel('Window start (UTC)').fill('2024-08-02 08:00');
  await page.getByLabel('Window end (UTC)').fill('2024-08-02 08:59:59');
  await page.getByRole('button', { name: 'Go' }).click();
  st = await timelineReady(page, st.seq);
  assert.equal(st.mode, 'items');
  assert.equal(st.items, 49);
  await shot('timeline-items');
});

uiTest('selecting an item opens the inspector; n/p step through events; a note is custody-logged and shown in the log', async () => {
  // Points of one hour overlap: click the first one where it is (whatever is on top there opens).
  await page.locator('.vis-item.ev.vis-dot').first().click({ force: true });
  await page.locator('.inspector').waitFor();
  const eventId = await page.locator('table.kv tr', { hasText: 'Event ID' }).locator('.value').textContent();
  assert.ok(eventId);
  const rec = await page.getByLabel('Verbatim record').textContent();
  assert.ok(rec?.includes(eventId!), 'the verbatim record is the one of the selected event');
  assert.match(await page.locator('.prov').first().textContent() ?? '', /sha256 [0-9a-f]{64}/);
  // Keyboard: next event.
  await page.locator('.timeline-wrap').focus();
  await page.keyboard.press('n');
  await page.waitForFunction((id) => document.querySelector('table.kv')?.textContent?.includes(id) === false, eventId!);
  const nextId = await page.locator('table.kv tr', { hasText: 'Event ID' }).locator('.value').textContent();
  assert.notEqual(nextId, eventId);
  await shot('inspector');

  const note = `Looks like the detonation of ${nextId} (browser test)`;
  await page.getByLabel('Note on this event').fill(note);
  await page.getByRole('button', { name: 'Add note' }).click();
  await page.getByText(/Note recorded in the custody log \(entry #\d+\)/).waitFor();
  await page.getByRole('tab', { name: 'Overview' }).click();
  const row = page.locator('table.custody tr', { hasText: note });
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /note/);
  await page.keyboard.press('Escape'); // close the inspector
  await row.scrollIntoViewIfNeeded();
  // And it really is in the case's hash-chained log.
  const inCase = c.store.db.prepare("SELECT count(*) AS n FROM custody WHERE action = 'note' AND details LIKE ?").get(`%${nextId}%`) as { n: number };
  assert.equal(inCase.n, 1);
  await shot('custody-log');
  assert.deepEqual(watch.problems, []);
});

uiTest('the event table is virtualised, sorts, moves by keyboard and exports the filtered set as CSV', async () => {
  await page.getByRole('tab', { name: 'Events' }).click();
  await page.getByText('310 events').waitFor();
  const rendered = await page.locator('.trow').count();
  assert.ok(rendered > 10 && rendered < 100, `${rendered} rows in the DOM for 310 events`);
  await page.getByRole('columnheader', { name: /^Event/ }).first().click();
  await page.waitForFunction(() => document.querySelector('[role=columnheader][aria-sort=ascending]')?.textContent?.startsWith('Event'));
  await page.waitForFunction(() => !document.querySelector('.loading-row'));
  const names = await page.$$eval('.trow > div:nth-child(2)', (els) => els.slice(0, 20).map((e) => e.textContent ?? ''));
  const all = searchEvents(c.store, {}, { limit: 1000 }).events.map((e) => e.eventName ?? '');
  assert.deepEqual(names, all.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).slice(0, 20));
  await page.locator('.vlist').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.locator('.trow.selected').waitFor();
  assert.equal(await page.locator('.trow.selected').getAttribute('aria-rowindex'), '2');
  await page.locator('.inspector').waitFor();
  // Filter by IP, export CSV.
  await page.getByLabel('Filter field').selectOption('ips');
  await page.getByLabel('Filter value').fill(IP);
  await page.getByRole('button', { name: 'Add filter' }).click();
  const n = searchEvents(c.store, { ips: [IP] }).total;
  await page.getByText(`${n} events`).waitFor();
  await shot('events-table');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const csv = readFileSync((await download.path())!, 'utf8');
  const lines = csv.trimEnd().split('\r\n');
  assert.equal(lines.length, n + 1);
  assert.match(lines[0], /^eventTime,eventName,/);
  assert.ok(lines.slice(1).every((l) => l.includes(IP)));
  await page.getByRole('button', { name: 'Clear' }).click();
  assert.deepEqual(watch.problems, []);
});

uiTest('checks run as a job with progress; a finding jumps to its events on the timeline; accept is recorded', async () => {
  await page.getByRole('tab', { name: 'Findings' }).click();
  await page.getByText('No analysis run yet').waitFor();
  await page.getByRole('button', { name: 'Run checks' }).click();
  await page.locator('article.finding').first().waitFor({ timeout: 30_000 });
  await shot('findings');
  const first = page.locator('article.finding').first();
  const title = (await first.locator('header strong').textContent())!;
  const f = (await dispatch(host.ctx, 'listFindings', { limit: 10_000 })).items.find((x) => x.title === title)!;
  assert.ok(f, `finding ${title} is in the back end's list`);
  await first.getByRole('button', { name: 'Accept' }).click();
  await first.locator('.decision.accepted').waitFor();
  await page.locator('article.finding').first().getByRole('button', { name: 'Show on timeline' }).click();
  const st = await timelineReady(page);
  await page.waitForFunction(() => document.querySelector('.chips')?.textContent?.includes('finding:'));
  const shownIds = await page.evaluate(() => document.querySelectorAll('.vis-item.ev.vis-point').length);
  assert.equal(st.mode, 'items');
  assert.equal(shownIds, new Set(f.eventIds).size);
  await page.locator('.inspector').waitFor();
  await shot('finding-on-timeline');
  await page.getByRole('button', { name: 'Clear' }).click();
  assert.deepEqual(watch.problems, []);
});

uiTest("the timeline's window is one request that carries each event's findings severity; the findings list is never asked for", async () => {
  // After the checks test above: the case has findings. The back end marks each single event with the highest
  // severity of the (not dismissed) findings that list it, so the timeline needs no findings list of its own.
  const findings = (await dispatch(host.ctx, 'listFindings', { limit: 10_000 })).items.filter((f) => f.decision !== 'dismissed');
  assert.ok(findings.length > 0, 'the case has findings');
  const fresh = async (itemLimit: number) => {
    const p = await b.context.newPage();
    const calls: string[] = [];
    p.on('request', (r) => {
      const m = /\/api\/(\w+)/.exec(r.url());
      if (m) calls.push(m[1]);
    });
    await p.goto(`${host.url}&view=timeline&itemLimit=${itemLimit}`);
    return { p, calls, st: await timelineReady(p) };
  };

  // Density (the whole case over the item limit): the findings list is not asked for at all.
  const d = await fresh(ITEM_LIMIT);
  assert.equal(d.st.mode, 'density');
  await d.p.waitForTimeout(300);
  assert.deepEqual(d.calls.filter((x) => x === 'timelineWindow' || x === 'listFindings'), ['timelineWindow']);
  await d.p.close();

  // Single events: one window request, coloured as drawn; no findings list, no second window request.
  const e = await fresh(1000);
  assert.equal(e.st.mode, 'items');
  await e.p.waitForSelector('.vis-item.ev[class*="sev-"]', { state: 'attached', timeout: 20_000 });
  const [coloured, shown] = await e.p.evaluate(() => [document.querySelectorAll('.vis-item.ev[class*="sev-"]').length, document.querySelectorAll('.vis-item.ev').length]);
  assert.ok(coloured > 0 && coloured < shown, `${coloured} of ${shown} events coloured`);
  await e.p.waitForTimeout(300);
  const windows = e.calls.filter((x) => x === 'timelineWindow' || x === 'listFindings');
  assert.deepEqual(windows, ['timelineWindow'], e.calls.join());
  await e.p.close();
  // What the back end marks: each event's highest severity among the findings that list it, as the findings list says.
  const want = new Map<string, string>();
  for (const f of findings) for (const id of f.eventIds) if (!want.has(id) || severityRank(f.severity) > severityRank(want.get(id)!)) want.set(id, f.severity);
  const w = await dispatch(host.ctx, 'timelineWindow', { filter: {}, groupBy: 'principal', maxItems: 2000, buckets: 100 });
  assert.equal(w.mode, 'items');
  if (w.mode === 'items') {
    assert.deepEqual(w.items.map((it) => [it.eventId, it.severity]), w.items.map((it) => [it.eventId, want.get(it.eventId) ?? null]));
    assert.ok(w.items.some((it) => it.severity !== null) && w.items.some((it) => it.severity === null));
  }
  assert.deepEqual(watch.problems, []);
});

uiTest('the IOC panel adds an indicator with its hit count, filters to matches, and pivots from it', async () => {
  await page.getByLabel('Indicator type').selectOption('ip');
  await page.getByLabel('Indicator value').fill(IP);
  await page.getByLabel('Indicator label').fill('detonation host');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  const n = searchEvents(c.store, { ips: [IP] }).total;
  // Stored canonically (253.252.51.7); found by its label.
  const row = page.locator('.ioc-list li', { hasText: 'detonation host' });
  await row.locator('.hits.some').waitFor();
  assert.equal(await row.locator('.hits').textContent(), String(n));
  await page.getByRole('tab', { name: 'Events' }).click();
  await page.getByText('310 events').waitFor();
  await page.getByLabel('show only matches').check();
  await page.getByText(`${n} events`).waitFor();
  await row.getByRole('button', { name: 'pivot from here' }).click();
  await page.locator('.pivot .hops li').first().waitFor({ timeout: 20_000 });
  assert.match((await page.locator('.pivot').textContent()) ?? '', /hop 0/);
  await shot('iocs-and-pivot');
  // "Show these events" filters the timeline by every attacker event the pivot counted.
  const count = Number(/([\d,]+) attacker events?/.exec((await page.locator('.pivot').textContent()) ?? '')![1].replace(/,/g, ''));
  await page.locator('.pivot').getByRole('button', { name: 'Show these events' }).click();
  await page.waitForFunction(() => document.querySelector('.chips')?.textContent?.includes('pivot from ip'));
  assert.match((await page.locator('.chips').textContent()) ?? '', new RegExp(`pivot from ip 253\\.252\\.51\\.7 \\(${count}\\)`));
  await page.getByRole('button', { name: 'Clear' }).click();
  assert.deepEqual(watch.problems, []);
});

uiTest('an import runs as a job with a progress bar; afterwards the views and the timeline index are up to date', async () => {
  await page.getByLabel('show only matches').uncheck();
  await page.getByRole('tab', { name: 'Overview' }).click();
  const file = join(process.cwd(), 'test/fixtures/otrf-security-datasets/ec2_proxy_s3_exfiltration.normalized.Records.json');
  await page.getByLabel('Paths to import').fill(file);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  const job = page.locator('.job').first();
  await job.locator('progress').waitFor();
  await page.locator('.job.job-done').first().waitFor({ timeout: 30_000 });
  const n = (c.store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  assert.ok(n > 310, `${n} events after the import`);
  await page.getByText(`${n.toLocaleString('en-US')} (`).first().waitFor();
  assert.equal((await dispatch(host.ctx, 'timelineIndexStatus', {})).fresh, true);
  await shot('import-job');
  assert.deepEqual(watch.problems, []);
});

uiTest('errors are shown where they happen, never a blank page', async () => {
  await page.getByRole('tab', { name: 'Timeline' }).click();
  await timelineReady(page);
  await page.getByLabel('Window start (UTC)').fill('2024-08-02');
  await page.getByLabel('Window end (UTC)').fill('2024-08-01');
  await page.getByRole('button', { name: 'Go' }).click();
  await page.getByRole('alert').filter({ hasText: 'the end after the start' }).waitFor();
  // The host goes away: the next call fails with a message, the window stays usable.
  await host.close();
  await page.getByRole('button', { name: 'Fit' }).click();
  await page.getByRole('alert').filter({ hasText: /did not answer|Failed to fetch/ }).waitFor();
  assert.ok((await page.locator('.topbar').isVisible()) && (await page.locator('.timeline-view').isVisible()));
  await shot('error-shown');
});
