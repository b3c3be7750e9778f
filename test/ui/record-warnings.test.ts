// The inspector shows the import warnings of the selected record (parser
// ambiguities: README.md, "Importing"): a record with a duplicate key, in real Chromium over
// the loopback host; a clean record shows none.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { startHost, type Host } from '../../electron/host/server.ts';
import { chromiumSkipReason, launchChromium, watchPage, type LaunchedBrowser } from '../support/browser.ts';
import { tempCase, type TempCase } from '../support/case.ts';

const SKIP = chromiumSkipReason();
if (SKIP) console.log(`# record-warnings browser test skipped: ${SKIP}`);

let c: TempCase;
let host: Host;
let b: LaunchedBrowser;
let page: Page;
let watch: { problems: string[] };

const record = (i: number, eventName: string) => ({
  eventVersion: '1.08', eventTime: `2024-05-01T10:0${i}:00Z`, eventSource: 'cloudtrail.amazonaws.com', eventName, awsRegion: 'us-east-1',
  sourceIPAddress: '198.51.100.7', eventID: `00000000-0000-4000-8000-00000000000${i}`, recipientAccountId: '111122223333',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', userName: 'alice', accountId: '111122223333' },
});

before(async () => {
  if (SKIP) return;
  c = tempCase('Record warnings');
  const dir = join(c.dir, 'in');
  mkdirSync(dir);
  const dup = JSON.stringify(record(2, 'DeleteTrail')).replace('"eventName":"DeleteTrail"', '"eventName":"DeleteTrail","eventName":"ListBuckets"');
  writeFileSync(join(dir, 'lines.jsonl'), `${JSON.stringify(record(1, 'GetTrail'))}\n${dup}\n`);
  await importPaths(c.store, c.signer, { sources: [dir] });
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

test('the inspector lists the duplicate-key warning of its record, and none for a clean record', { skip: SKIP ?? false, timeout: 60_000 }, async () => {
  await page.goto(host.url);
  await page.getByRole('heading', { name: 'Record warnings' }).waitFor();
  await page.getByRole('tab', { name: 'Events' }).click();
  await page.locator('.trow', { hasText: 'ListBuckets' }).click();
  await page.locator('.inspector').waitFor();
  const box = page.getByLabel('Record warnings');
  await box.waitFor();
  const text = (await box.textContent()) ?? '';
  assert.match(text, /duplicate-key/);
  assert.match(text, /key eventName appears 2 times with values "DeleteTrail", "ListBuckets"/);
  assert.match(text, /TrailCase uses the last \("ListBuckets"\)/);
  await page.locator('.trow', { hasText: 'GetTrail' }).click();
  await page.waitForFunction(() => document.querySelector('.inspector table.kv')?.textContent?.includes('GetTrail'));
  assert.equal(await page.getByLabel('Record warnings').count(), 0);
  assert.deepEqual(watch.problems, []);
});
