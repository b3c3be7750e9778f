// The Query view (docs/queries.md) in real Chromium over the loopback host and a
// Stratus case: the search shows the SQL it compiles to and a parse error with
// its column; a run shows its rows, row count and result hash; an event row
// opens the inspector; an aggregate draws bars; a saved query is listed; the
// run is on the custody record; a result longer than a page scrolls to its last
// row and exports every row.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { parseCsv } from '../../electron/analysis/ioc-formats.ts';
import { startHost, type Host } from '../../electron/host/server.ts';
import { chromiumSkipReason, launchChromium, watchPage, type LaunchedBrowser } from '../support/browser.ts';
import { tempCase, type TempCase } from '../support/case.ts';

const SKIP = chromiumSkipReason();
if (SKIP) console.log(`# query view tests skipped: ${SKIP}`);
const SHOTS = join('test-output', 'screenshots');
let c: TempCase;
let host: Host;
let b: LaunchedBrowser;
let page: Page;
let watch: { problems: string[] };

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

test('search, SQL, results, inspector, chart and saved queries in the Query view', { skip: SKIP ?? false, timeout: 120_000 }, async () => {
  const want = (c.store.db.prepare("SELECT count(*) n FROM events WHERE name = (SELECT id FROM strings WHERE s = 'StopLogging')").get() as { n: number }).n;
  assert.ok(want > 0);
  await page.goto(`${host.url}&view=query`);
  const box = page.getByRole('textbox', { name: 'Search' });
  // Field names complete from the case's fields as they are typed.
  await box.fill('-errorCode:* eventNa');
  const options = page.getByRole('listbox', { name: 'Field suggestions' }).getByRole('option');
  await options.first().waitFor();
  assert.ok((await options.allTextContents()).some((t) => t.startsWith('eventName')));
  await page.screenshot({ path: join(SHOTS, 'query-field-suggestions.png') });
  await box.press('Enter');
  assert.equal(await box.inputValue(), '-errorCode:* eventName:');
  assert.equal(await page.getByRole('listbox', { name: 'Field suggestions' }).count(), 0);
  await box.fill('eventName:StopLogging AND');
  await page.getByRole('alert').filter({ hasText: 'AND needs a term after it (at column 23)' }).waitFor();
  await box.fill('eventName:StopLogging');
  await page.getByLabel('SQL it runs').filter({ hasText: 'ILIKE ?' }).waitFor();
  await page.getByRole('button', { name: 'Run (Ctrl+Enter)' }).click();
  await page.locator('.query-result').getByText(`${want} row${want === 1 ? '' : 's'}`, { exact: false }).first().waitFor({ timeout: 60_000 });
  await page.getByRole('grid', { name: 'Query result' }).getByRole('row').first().click();
  await page.locator('table.kv').waitFor();
  await page.screenshot({ path: join(SHOTS, 'query-search.png') });

  await page.getByRole('radio', { name: 'SQL' }).check();
  await page.getByRole('textbox', { name: 'SQL query' }).fill('SELECT eventSource, count(*) AS n FROM events GROUP BY 1 ORDER BY 2 DESC');
  await page.getByRole('textbox', { name: 'Name to save as' }).fill('by service');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('.saved-queries li', { hasText: 'by service' }).waitFor();
  await page.getByRole('button', { name: 'Run (Ctrl+Enter)' }).click();
  await page.locator('.query-chart .bar-row').first().waitFor({ timeout: 60_000 });
  await page.screenshot({ path: join(SHOTS, 'query-sql-chart.png') });
  const runs = c.store.db.prepare("SELECT count(*) n FROM custody WHERE action = 'query.run'").get() as { n: number };
  assert.equal(runs.n, 2);

  // A count per time bucket draws as bars over time: one bar a bucket, none as categories.
  await page.getByRole('textbox', { name: 'SQL query' }).fill("SELECT date_trunc('minute', eventTime) AS minute, count(*) AS n FROM events GROUP BY 1 ORDER BY 1");
  await page.getByRole('button', { name: 'Run (Ctrl+Enter)' }).click();
  // Exactly one chart once the result is drawn (a CI run under load once saw two figures at the
  // moment of the first check, cause not found; a second chart that stays fails here).
  await page.waitForFunction(() => document.querySelectorAll('figure.query-time-chart').length === 1, undefined, { timeout: 60_000 });
  const overTime = page.getByRole('figure', { name: 'Chart over time' });
  await overTime.waitFor({ timeout: 60_000 });
  const minutes = (c.store.db.prepare('SELECT count(DISTINCT time_ms / 60000) n FROM events').get() as { n: number }).n;
  assert.equal(await overTime.locator('rect').count(), minutes);
  assert.equal(await page.locator('.query-chart').count(), 0);
  assert.match((await overTime.locator('figcaption').textContent()) ?? '', new RegExp(`${minutes} bars`));
  await page.screenshot({ path: join(SHOTS, 'query-time-chart.png') });
  assert.equal(await page.getByRole('alert').filter({ hasText: 'Not repeatable' }).count(), 0);

  // A query that reads the clock is answered, and said not to be repeatable.
  await page.getByRole('textbox', { name: 'SQL query' }).fill('SELECT count(*) AS n FROM events WHERE eventTime < now()');
  await page.getByRole('button', { name: 'Run (Ctrl+Enter)' }).click();
  await page.getByRole('alert').filter({ hasText: 'Not repeatable: this query reads now(), which changes from one run to the next' }).waitFor({ timeout: 60_000 });

  // A saved query's name and a result's column names travel with a handed-over case: hostile
  // text (a bidi override, a zero-width space, markup) is shown escaped, never obeyed.
  const hostile = 'admin\u202Etxt.exe<b>x</b>';
  await page.getByRole('textbox', { name: 'SQL query' }).fill('SELECT 1 AS "\u200Bn<i>y</i>"');
  await page.getByRole('textbox', { name: 'Name to save as' }).fill(hostile);
  await page.getByRole('button', { name: 'Save' }).click();
  const saved = page.locator('.saved-queries li', { hasText: 'txt.exe' });
  await saved.waitFor();
  const savedText = await saved.textContent();
  assert.ok(savedText?.includes('admin⟨U+202E⟩txt.exe<b>x</b>'), savedText ?? '');
  assert.equal(await saved.locator('b').count(), 0);
  await page.getByRole('button', { name: 'Run (Ctrl+Enter)' }).click();
  const th = page.getByRole('columnheader').filter({ hasText: 'n<i>y</i>' });
  await th.waitFor({ timeout: 60_000 });
  assert.ok((await th.textContent())?.includes('⟨U+200B⟩n<i>y</i>'));
  assert.equal(await th.locator('i').count(), 0);

  // Every logged query run again: the clock query is not repeatable, the others give their hashes.
  const logged = (c.store.db.prepare("SELECT count(*) n FROM custody WHERE action = 'query.run'").get() as { n: number }).n;
  await page.getByRole('button', { name: 'Check the logged queries again' }).click();
  const status = page.getByRole('status').filter({ hasText: 'query runs checked' });
  await status.waitFor({ timeout: 120_000 });
  assert.equal(await status.textContent(), `${logged} query runs checked: ${logged - 1} with the same hash, 1 not repeatable.`);
  assert.equal(await page.locator('.recheck-table tr.recheck-not-repeatable').count(), 1);
  // The query texts are evidence for whoever receives the case: the hostile one above is marked, never markup.
  const hostileRow = page.locator('.recheck-table tr', { hasText: 'n<i>y</i>' });
  assert.ok((await hostileRow.textContent())?.includes('⟨U+200B⟩n<i>y</i>'));
  assert.equal(await hostileRow.locator('i').count(), 0);
  await page.locator('.recheck-table').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, 'query-recheck.png') });
  assert.deepEqual(watch.problems, []);
});

test('a result longer than a page: the grid scrolls to its last row, export holds every row, the table gets every event', { skip: SKIP ?? false, timeout: 120_000 }, async () => {
  const events = (c.store.db.prepare('SELECT count(*) n FROM events').get() as { n: number }).n;
  const want = events * 3;
  assert.ok(want > 500, 'more rows than the first page the run sends');
  await page.goto(`${host.url}&view=query`);
  await page.getByRole('radio', { name: 'SQL' }).check();
  await page.getByRole('textbox', { name: 'SQL query' }).fill('SELECT eventID, leaf, k FROM events, range(3) t(k) ORDER BY leaf, k');
  await page.getByRole('button', { name: 'Run (Ctrl+Enter)' }).click();
  await page.locator('.query-result').getByText(`${want.toLocaleString('en-US')} rows`, { exact: false }).first().waitFor({ timeout: 60_000 });
  const grid = page.getByRole('grid', { name: 'Query result' });
  assert.equal(await grid.getAttribute('aria-rowcount'), String(want));
  assert.ok((await grid.getByRole('row').count()) < 100, 'only the rows in view are in the DOM');
  // The last row, fetched from the case process when scrolled to.
  await grid.getByRole('row').first().click();
  await grid.press('End');
  const last = grid.locator(`[aria-rowindex="${want}"]`);
  await last.waitFor();
  const maxLeaf = (c.store.db.prepare('SELECT max(leaf) m FROM events').get() as { m: number }).m;
  await last.getByRole('gridcell').nth(1).filter({ hasText: String(maxLeaf) }).waitFor();
  assert.equal(await last.getByRole('gridcell').nth(2).textContent(), '2');
  await page.screenshot({ path: join(SHOTS, 'query-long-result.png') });

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const lines = readFileSync((await download.path())!, 'utf8').split('\r\n').filter(Boolean);
  assert.equal(lines[0].toLowerCase(), 'eventid,leaf,k');
  assert.equal(lines.length, want + 1, 'a header and every row');
  assert.equal(lines.at(-1)!.split(',').slice(1).join(','), `${maxLeaf},2`);

  await page.getByRole('button', { name: 'Show these events in the table' }).click();
  await page.getByRole('region', { name: 'Events' }).getByText(`${events.toLocaleString('en-US')} events`).waitFor({ timeout: 30_000 });
  assert.deepEqual(watch.problems, []);
});

test('hostile values in result rows: marked, never markup, neutralised in CSV, exact in JSON, a megabyte value cut in its cell', { skip: SKIP ?? false, timeout: 120_000 }, async () => {
  const values = ['admin\u202Etxt.exe', 'a\u200Bb\uFEFFc', '<img src=x onerror=alert(1)><b>bold</b>', '=HYPERLINK("http://x","y")', 'x'.repeat(1_000_000)];
  // The megabyte value is made by the query (a query's text is at most 100,000 characters).
  const sql = `SELECT ${values.map((v, i) => (i === 4 ? `repeat('x', 1000000) AS c${i}` : `'${v}' AS c${i}`)).join(', ')}`;
  await page.goto(`${host.url}&view=query`);
  await page.getByRole('radio', { name: 'SQL' }).check();
  await page.getByRole('textbox', { name: 'SQL query' }).fill(sql);
  await page.getByRole('button', { name: 'Run (Ctrl+Enter)' }).click();
  const grid = page.getByRole('grid', { name: 'Query result' });
  const cells = grid.getByRole('row').first().getByRole('gridcell');
  await cells.first().waitFor({ timeout: 60_000 });
  const texts = await cells.allTextContents();
  assert.ok(texts[0].includes('admin⟨U+202E⟩txt.exe'), texts[0]);
  assert.ok(texts[1].includes('⟨U+200B⟩') && texts[1].includes('⟨U+FEFF⟩'), texts[1]);
  assert.ok(texts[2].includes('<img src=x onerror=alert(1)><b>bold</b>'), texts[2]);
  assert.equal(await grid.locator('img, b').count(), 0, 'no markup from the values');
  assert.ok(texts[3].startsWith('=HYPERLINK'), texts[3]);
  assert.ok(texts[4].length < 2_000, `the megabyte value is cut in its cell (${texts[4].length} characters shown)`);

  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const rows = parseCsv(readFileSync((await csv.path())!, 'utf8'));
  assert.deepEqual(rows[0], ['c0', 'c1', 'c2', 'c3', 'c4']);
  assert.equal(rows[1][3], `'${values[3]}`, 'a formula prefix is neutralised');
  assert.deepEqual([rows[1][0], rows[1][1], rows[1][2], rows[1][4]], [values[0], values[1], values[2], values[4]], 'the rest exactly');
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  const doc = JSON.parse(readFileSync((await json.path())!, 'utf8')) as { rows: string[][]; rowCount: number };
  assert.deepEqual(doc.rows, [values], 'JSON keeps every value exactly');
  assert.equal(doc.rowCount, 1);
  assert.deepEqual(watch.problems, []);
});
