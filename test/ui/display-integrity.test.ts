// Display integrity in real Chromium (docs/architecture.md, "Display integrity"), on a small hostile case
// (test/support/hostile.ts): a user name with U+202E (RIGHT-TO-LEFT OVERRIDE)
// must not reverse the text after it, a zero-width space must show, a 2 MB
// user agent is shortened with its length and shown whole on request, and the
// table's CSV export neutralises formula cells.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { startHost, type Host } from '../../electron/host/server.ts';
import { analyseCase } from '../../electron/analysis/run.ts';
import { recordRun } from '../../electron/analysis/runs.ts';
import { addIoc } from '../../electron/analysis/ioc.ts';
import { parseCsv } from '../../electron/analysis/ioc-formats.ts';
import { chromiumSkipReason, launchChromium, watchPage, type LaunchedBrowser } from '../support/browser.ts';
import { tempCase, type TempCase } from '../support/case.ts';
import { ATTACKER_IP, FORMULA_ERROR, FORMULA_IP, FORMULA_UA, FORMULA_USER, LONG_UA, writeHostileTrail } from '../support/hostile.ts';

const SKIP = chromiumSkipReason();
if (SKIP) console.log(`# display-integrity browser tests skipped: ${SKIP}`);

let c: TempCase;
let host: Host;
let b: LaunchedBrowser;
let page: Page;
let watch: { problems: string[] };

const uiTest = (name: string, fn: () => Promise<void>) => test(name, { skip: SKIP ?? false, timeout: 90_000 }, fn);

before(async () => {
  if (SKIP) return;
  c = tempCase('Hostile names');
  await importPaths(c.store, c.signer, { sources: [writeHostileTrail(c.dir)] }, { workers: 1 });
  recordRun(c.store, 'Test Examiner', await analyseCase(c.store));
  addIoc(c.store, 'Test Examiner', { type: 'user-agent', value: 'evil\u202Eagent', label: 'rlo\u202Elabel' });
  host = await startHost({ store: c.store, signer: c.signer });
  b = await launchChromium();
  page = await b.context.newPage();
  watch = watchPage(page);
  // The table's columns, chosen before the page first loads (a reload would abort the overview's requests).
  const columns = JSON.stringify(['eventTime', 'eventName', 'principalArn', 'sourceIPAddress', 'recipientAccountId', 'errorCode', 'userAgent', 'userName']);
  await page.addInitScript(`localStorage.setItem('trailcase.tableColumns', ${JSON.stringify(columns)})`);
  await page.goto(host.url);
});

after(async () => {
  if (SKIP) return;
  await b?.close();
  await host?.close();
  c?.cleanup();
});

/** Where the first and the last character of `text` are drawn inside `selector` (left edges, px). */
// Written as a string: the test's transpiler would wrap inner functions in a helper the page does not have.
const DRAWN_ORDER = `(([sel, t]) => {
  for (const root of document.querySelectorAll(sel)) {
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const i = n.textContent.indexOf(t);
      if (i < 0) continue;
      const r = document.createRange();
      r.setStart(n, i); r.setEnd(n, i + 1);
      const first = r.getBoundingClientRect().left;
      r.setStart(n, i + t.length - 1); r.setEnd(n, i + t.length);
      return { first, last: r.getBoundingClientRect().left };
    }
  }
  return null;
})`;

async function drawnOrder(p: Page, selector: string, text: string): Promise<{ first: number; last: number } | null> {
  return p.evaluate(`${DRAWN_ORDER}(${JSON.stringify([selector, text])})`) as Promise<{ first: number; last: number } | null>;
}

const noRawControls = (p: Page) => p.evaluate(() => /[\u202A-\u202E\u2066-\u2069\u200B-\u200F]/.test(document.body.textContent ?? ''));

uiTest('the event table shows the names with visible escapes, in reading order, and the 2 MB user agent shortened with its length', async () => {
  await page.getByRole('tab', { name: 'Events' }).click();
  await page.getByText('5 events').waitFor();
  await page.waitForFunction(() => !document.querySelector('.loading-row'));
  const text = await page.locator('.tbody').innerText();
  assert.match(text, /admin⟨U\+202E⟩txt\.exe/);
  assert.match(text, /backup⟨U\+200B⟩-svc/);
  assert.match(text, /…\(2,097,152 chars\)/);
  assert.equal(await noRawControls(page), false, 'no raw bidi or zero-width character in the page');
  // The account id after the RLO name (shortArn: "user/admin⟨U+202E⟩txt.exe (111122223333)") reads left to right.
  const acct = await drawnOrder(page, '.trow', '111122223333)');
  assert.ok(acct, 'the principal cell with the account id is drawn');
  assert.ok(acct.first < acct.last, `account id drawn reversed: first char at ${acct.first}, last at ${acct.last}`);
  const ip = await drawnOrder(page, '.trow', ATTACKER_IP);
  assert.ok(ip && ip.first < ip.last, 'the source IP reads left to right');
  assert.deepEqual(watch.problems, []);
});

uiTest('the table CSV export neutralises formula cells and keeps every other value exactly', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const rows = parseCsv(readFileSync((await download.path())!, 'utf8'));
  assert.deepEqual(rows[0], ['eventTime', 'eventName', 'principalArn', 'sourceIPAddress', 'recipientAccountId', 'errorCode', 'userAgent', 'userName']);
  assert.equal(rows.length, 6);
  for (const r of rows) for (const cell of r) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `formula cell ${cell.slice(0, 80)}`);
  const f = rows.find((r) => r[1] === 'ListUsers')!;
  assert.equal(f[3], `'${FORMULA_IP}`);
  assert.equal(f[5], `'${FORMULA_ERROR}`);
  assert.equal(f[6], `'${FORMULA_UA}`);
  assert.equal(f[7], `'${FORMULA_USER}`);
  // The export is the data, not the display: the hostile names and the whole user agent, exactly.
  assert.ok(rows.some((r) => r[7] === 'admin\u202Etxt.exe'));
  assert.ok(rows.some((r) => r[6] === LONG_UA));
});

uiTest('the inspector flags the names, shows the record with hidden characters visible, and the whole user agent one click away', async () => {
  await page.locator('.trow', { hasText: 'StopLogging' }).click();
  await page.locator('.inspector').waitFor();
  const flags = page.locator('.inspector .name-flags');
  await flags.waitFor();
  assert.match(await flags.innerText(), /admin⟨U\+202E⟩txt\.exe.*U\+202E RIGHT-TO-LEFT OVERRIDE/s);
  assert.ok((await page.locator('.inspector .name-flag').count()) >= 1, 'the principal field is marked');
  const rec = await page.locator('pre.record').innerText();
  assert.match(rec, /admin⟨U\+202E⟩txt\.exe/);
  assert.match(await page.locator('.inspector').innerText(), /hidden or direction-changing character/);
  assert.equal(await noRawControls(page), false);

  await page.locator('.trow', { hasText: 'ListBuckets' }).click();
  await page.locator('.inspector .name-flags', { hasText: 'U+200B ZERO WIDTH SPACE' }).waitFor();

  await page.locator('.trow', { hasText: 'GetCallerIdentity' }).click();
  const ua = page.locator('.inspector tr', { hasText: 'User agent' });
  await ua.getByText('…(2,097,152 chars)').waitFor();
  await ua.getByRole('button', { name: 'show full value' }).click();
  const full = await page.locator('.inspector .ev-full').evaluate((e) => e.textContent ?? '');
  assert.equal(full, LONG_UA);
  assert.deepEqual(watch.problems, []);
});

uiTest('findings, the IOC panel and the pivot show escapes; the address after the RLO name reads 198.51.100.66', async () => {
  await page.getByRole('tab', { name: 'Findings' }).click();
  await page.locator('article.finding').first().waitFor();
  const text = await page.locator('.findings, section').first().innerText();
  assert.match(text, /admin⟨U\+202E⟩txt\.exe from 198\.51\.100\.66/);
  assert.match(text, /backup⟨U\+200B⟩-svc/);
  const ip = await drawnOrder(page, 'article.finding', ATTACKER_IP);
  assert.ok(ip, 'the address is drawn in a finding');
  assert.ok(ip.first < ip.last, `the address after the name is drawn reversed (${ip.first} > ${ip.last})`);
  assert.equal(await noRawControls(page), false);

  const ioc = page.locator('.ioc-list li', { hasText: 'evil' });
  await ioc.waitFor();
  assert.match(await ioc.innerText(), /evil⟨U\+202E⟩agent/);
  assert.match(await ioc.innerText(), /rlo⟨U\+202E⟩label/);

  const pivotFrom = page.locator('article.finding', { hasText: 'stopped logging' }).first();
  assert.ok(await pivotFrom.count());
  await page.getByRole('tab', { name: 'Events' }).click();
  await page.locator('.trow', { hasText: 'StopLogging' }).click();
  await page.locator('.inspector').getByRole('button', { name: 'this principal', exact: true }).click();
  await page.locator('.pivot .hops li').first().waitFor({ timeout: 20_000 });
  assert.match(await page.locator('.pivot').innerText(), /admin⟨U\+202E⟩txt\.exe/);
  assert.equal(await noRawControls(page), false);
  assert.deepEqual(watch.problems, []);
});

uiTest("a finding's filter chip (its title, and how many events it lists) shows escapes", async () => {
  await page.getByRole('tab', { name: 'Findings' }).click();
  // A finding whose title carries a hostile name (zero-width space or right-to-left override).
  const hostile = page.locator('article.finding', { has: page.locator('header strong', { hasText: /⟨U\+(200B|202E)⟩/ }) }).first();
  await hostile.waitFor();
  await hostile.getByRole('button', { name: 'Show in table' }).click();
  const chip = page.locator('.chips li', { hasText: 'finding:' }).first();
  await chip.waitFor();
  assert.match(await chip.innerText(), /finding: .*⟨U\+(200B|202E)⟩.*\(\d+\)/);
  assert.equal(await noRawControls(page), false);
  assert.deepEqual(watch.problems, []);
});

uiTest("the timeline's single events, recoloured when the findings' severities arrive, keep every name escaped", async () => {
  // The severities come after the first window (views/Timeline.tsx) and the items are drawn a second time with them:
  // that redraw must go through the same escapes as the first.
  const p = await b.context.newPage();
  try {
    const problems = watchPage(p).problems;
    await p.goto(`${host.url}&view=timeline&itemLimit=1000`);
    await p.waitForFunction(() => document.querySelector('.timeline-wrap')?.getAttribute('data-state') === 'ready', null, { timeout: 30_000 });
    assert.equal(await p.locator('.timeline-wrap').getAttribute('data-mode'), 'items');
    await p.waitForSelector('.vis-item.ev[class*="sev-"]', { state: 'attached', timeout: 20_000 });
    const labels = await p.$$eval('.vis-labelset .vis-label', (els) => els.map((e) => e.textContent ?? ''));
    assert.ok(labels.some((l) => l.includes('⟨U+202E⟩')), labels.join(' | '));
    assert.equal(await noRawControls(p), false);
    const titles = await p.$$eval('.vis-item.ev', (els) => els.map((e) => e.getAttribute('title') ?? ''));
    assert.ok(titles.length > 0 && !titles.some((t) => /[\u202A-\u202E\u2066-\u2069\u200B-\u200F]/.test(t)), 'no raw control in an item title');
    assert.deepEqual(problems, []);
  } finally {
    await p.close();
  }
});
