// The timeline grouped by country and by network in real Chromium (README.md, "Addresses and profiles"):
// before enrichment every address is one "not enriched" row and the page says
// so with a button; after it the rows are the countries and networks the
// installed databases give for the fixture's public addresses.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { startHost, type Host } from '../../electron/host/server.ts';
import { liveIpInfo } from '../../electron/analysis/enrich/enrich.ts';
import { chromiumSkipReason, launchChromium, watchPage, type LaunchedBrowser } from '../support/browser.ts';
import { tempCase, type TempCase } from '../support/case.ts';
import { firingRecords } from '../analysis/enrich/identity-fixtures.ts';

const SKIP = chromiumSkipReason();
if (SKIP) console.log(`# timeline country browser test skipped: ${SKIP}`);
const SHOTS = join('test-output', 'screenshots');

let c: TempCase;
let host: Host;
let b: LaunchedBrowser;
let page: Page;
let watch: { problems: string[] };
let recs: Record<string, unknown>[];

before(async () => {
  if (SKIP) return;
  mkdirSync(SHOTS, { recursive: true });
  c = tempCase('Timeline by country');
  recs = firingRecords();
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

async function ready(p: Page, after: number): Promise<number> {
  await p.waitForFunction(
    (a) => {
      const el = document.querySelector('.timeline-wrap');
      return el?.getAttribute('data-state') === 'ready' && Number(el.getAttribute('data-seq')) > a;
    },
    after,
    { timeout: 20_000 },
  );
  return p.evaluate(() => Number(document.querySelector('.timeline-wrap')!.getAttribute('data-seq')));
}
const seq = (p: Page) => p.evaluate(() => Number(document.querySelector('.timeline-wrap')?.getAttribute('data-seq') ?? -1));
const labels = (p: Page) => p.$$eval('.vis-labelset .vis-label', (els) => els.map((e) => e.textContent ?? ''));

test('group by country: "not enriched" and a button before enrichment, then one row per country; by network one per ASN', { skip: SKIP ?? false, timeout: 90_000 }, async () => {
  await page.goto(host.url);
  await page.getByRole('tab', { name: 'Timeline' }).click();
  let s = await ready(page, -1);
  await page.getByLabel('Group by').selectOption('country');
  s = await ready(page, s);
  assert.deepEqual(await labels(page), ['(address not enriched)']);
  const note = page.locator('.timeline-note');
  await note.getByText(/Enrichment has not been run/).waitFor();

  await note.getByRole('button', { name: 'Enrich addresses' }).click();
  s = await ready(page, s);
  await note.waitFor({ state: 'detached' });
  const info = liveIpInfo();
  const countries = new Map<string, number>();
  const networks = new Map<string, number>();
  for (const r of recs) {
    const i = info(r.sourceIPAddress as string);
    countries.set(i.country!, (countries.get(i.country!) ?? 0) + 1);
    networks.set(`AS${i.asn}`, (networks.get(`AS${i.asn}`) ?? 0) + 1);
  }
  // Rows by count, the country code first (then its name).
  const byCount = (m: Map<string, number>) => [...m].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([k]) => k);
  assert.deepEqual((await labels(page)).map((l) => l.split(' ')[0]), byCount(countries));
  assert.ok((await labels(page)).includes('FI Finland'), JSON.stringify(await labels(page)));
  await page.screenshot({ path: join(SHOTS, 'timeline-by-country.png') });

  await page.getByLabel('Group by').selectOption('asn');
  s = await ready(page, s);
  assert.deepEqual((await labels(page)).map((l) => l.split(' ')[0]), byCount(networks));
  assert.ok((await labels(page)).some((l) => /^AS24940 Hetzner/.test(l)));
  assert.ok(s > 0 && (await seq(page)) === s);
  assert.deepEqual(watch.problems, []);
});
