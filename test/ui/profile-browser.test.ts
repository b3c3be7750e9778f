// The Profile page in real Chromium (README.md, "Addresses and profiles"): reached from the inspector,
// it shows the key's addresses with country and network from the case's
// enrichment, marks what is new after the split time, and renders hostile
// record text (a user agent carrying markup) as text.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { startHost, type Host } from '../../electron/host/server.ts';
import { chromiumSkipReason, launchChromium, watchPage, type LaunchedBrowser } from '../support/browser.ts';
import { tempCase, type TempCase } from '../support/case.ts';
import { firingRecords } from '../analysis/enrich/identity-fixtures.ts';

const SKIP = chromiumSkipReason();
if (SKIP) console.log(`# profile browser test skipped: ${SKIP}`);
const SHOTS = join('test-output', 'screenshots');
const HOSTILE_UA = '<img src=x onerror="window.__pwned=1">';

let c: TempCase;
let host: Host;
let b: LaunchedBrowser;
let page: Page;
let watch: { problems: string[] };

before(async () => {
  if (SKIP) return;
  mkdirSync(SHOTS, { recursive: true });
  c = tempCase('Profile test');
  const recs = firingRecords();
  // Dana's console sign-in from Helsinki carries a hostile user agent.
  const login = recs.find((r) => r.eventName === 'ConsoleLogin')!;
  login.userAgent = HOSTILE_UA;
  const file = join(c.dir, 'trail.json');
  writeFileSync(file, JSON.stringify({ Records: recs }));
  await importPaths(c.store, c.signer, { sources: [file] });
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

test('from the inspector to the profile of a key: places, networks, NEW after the split, hostile text shown as text', { skip: SKIP ?? false, timeout: 90_000 }, async () => {
  await page.goto(host.url);
  await page.getByRole('tab', { name: 'Events' }).click();
  await page.getByText('12 events').waitFor();
  await page.locator('.trow').first().click();
  await page.locator('.inspector').waitFor();
  await page.locator('.profile-buttons').getByRole('button', { name: 'this key' }).click();
  await page.getByRole('heading', { name: /Profile of access key AKIADANAEXAMPLE00001/ }).waitFor();
  const addresses = page.locator('.profile-section', { has: page.getByRole('heading', { name: 'Addresses' }) });
  await addresses.getByText('Helsinki, FI · AS24940 Hetzner Online GmbH').waitFor({ timeout: 30_000 });
  await addresses.getByText(/Plant City, US · AS7922 Comcast/).waitFor();
  assert.equal(await page.locator('.badge-new').count(), 0, 'no split, nothing new');
  await page.getByLabel('Split time').fill('2026-04-04T10:10:00Z');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText(/split at 2026-04-04 10:10:00.*7 before, 1 after/).waitFor();
  const newRows = await page.$$eval('.profile-table tr.new td.mono', (els) => els.map((e) => e.textContent));
  assert.ok(newRows.includes('95.216.1.1'), JSON.stringify(newRows));
  assert.ok(newRows.includes(HOSTILE_UA), 'the hostile user agent is listed as text');
  assert.ok(newRows.includes('signin.amazonaws.com:ConsoleLogin'));
  assert.ok(!newRows.includes('73.1.1.1'));
  assert.equal(await page.evaluate(() => (window as any).__pwned ?? null), null);
  assert.equal(await page.locator('.profile img').count(), 0);
  await page.getByText(/IP Geolocation by DB-IP/).waitFor();
  await page.screenshot({ path: join(SHOTS, 'profile.png'), fullPage: true });
  assert.deepEqual(watch.problems, []);
});

test('from the event table: the principal, address and account cells open their profiles', { skip: SKIP ?? false, timeout: 90_000 }, async () => {
  await page.goto(host.url);
  await page.getByRole('tab', { name: 'Events' }).click();
  await page.getByText('12 events').waitFor();
  // The first event by time: Dana's ListBuckets from 73.1.1.1.
  await page.locator('.trow').first().click();
  const row = page.locator('.trow.selected');
  await row.getByRole('button', { name: 'Profile of source ip' }).click();
  await page.getByRole('heading', { name: 'Profile of address 73.1.1.1' }).waitFor();
  await page.getByText(/^7 events from/).waitFor();

  await page.getByRole('tab', { name: 'Events' }).click();
  await page.locator('.trow').first().click();
  await page.locator('.trow.selected').getByRole('button', { name: 'Profile of principal' }).click();
  await page.getByRole('heading', { name: 'Profile of principal arn:aws:iam::444455556666:user/dana' }).waitFor();

  await page.getByRole('tab', { name: 'Events' }).click();
  await page.getByRole('button', { name: 'Columns…' }).click();
  await page.getByRole('group', { name: 'Columns' }).getByLabel('Account').check();
  await page.locator('.trow').first().click();
  await page.locator('.trow.selected').getByRole('button', { name: 'Profile of account' }).click();
  await page.getByRole('heading', { name: 'Profile of account 444455556666' }).waitFor();
  await page.getByText(/^12 events from/).waitFor();
  // Only the selected row shows its buttons, so a click elsewhere selects a row and the table stays readable.
  await page.getByRole('tab', { name: 'Events' }).click();
  await page.locator('.trow').nth(3).hover();
  const shownOnOthers = await page.$$eval('.trow:not(.selected) .has-profile .profile-link', (els) => els.filter((e) => getComputedStyle(e).visibility !== 'hidden').length);
  assert.equal(shownOnOthers, 0);
  assert.deepEqual(watch.problems, []);
});
