// The desktop app's pages in real Chromium, as close to Electron as this
// machine allows (no Electron binary here): the staged start page and UI are
// served by the shell's own protocol handler (electron/main/protocol.ts, with
// its CSP and headers), window.trailcase is the real preload object
// (preload-api.ts, bundled) whose invoke goes - as IPC would - to the real app
// controller and case process (worker thread). First use: create the key on
// the start page, create a case through the (scripted) save dialog, then the
// UI under the shell's CSP: import Stratus logs, filter by an IP, see the
// count. Screenshots in test-output/screenshots/shell-*.png.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { after, test } from 'node:test';
import { build } from 'esbuild';
import { api } from '../../shared/api/index.ts';
import { bundleApp } from '../../build/bundle-app.ts';
import { ROOT } from '../../electron/version.ts';
import { AppController } from '../../electron/main/app-controller.ts';
import { CaseBridge } from '../../electron/main/case-bridge.ts';
import { toApiError } from '../../electron/main/ipc.ts';
import { KeyVault } from '../../electron/main/key-vault.ts';
import { serveAppRequest } from '../../electron/main/protocol.ts';
import { RecentCases } from '../../electron/main/recent.ts';
import { CONTENT_SECURITY_POLICY } from '../../electron/main/security.ts';
import { chromiumSkipReason, launchChromium, watchPage } from '../support/browser.ts';

const skip = chromiumSkipReason();
const dir = mkdtempSync(join(tmpdir(), 'trailcase-shell-chromium-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SHOTS = join(ROOT, 'test-output', 'screenshots');
const IP_FIXTURES = join(ROOT, 'test/fixtures/stratus-red-team/detonation-logs');
/** Stand-in origin: Chromium cannot load trailcase:// without Electron, so requests to it are answered by the shell's handler. */
const ORIGIN = 'https://app.trailcase.test'; // secure, like the privileged trailcase scheme

test('start page and UI in Chromium under the shell protocol and CSP, through the preload API to the case process', { timeout: 180_000 }, async (t) => {
  if (skip) {
    console.log(`shell Chromium test skipped: ${skip}`);
    t.skip(skip);
    return;
  }
  const appDir = join(dir, 'app');
  await bundleApp({ outDir: appDir, skipNativeModules: true });
  const preloadJs = (
    await build({
      stdin: {
        contents: `import { buildPreloadApi } from './electron/main/preload-api.ts';
          window.trailcase = buildPreloadApi(${JSON.stringify(Object.keys(api))}, (ch, args) => window.__trailcaseIpc(ch, args));`,
        resolveDir: ROOT,
        loader: 'ts',
      },
      bundle: true,
      format: 'iife',
      write: false,
    })
  ).outputFiles[0].text;

  const home = join(dir, 'home');
  const userData = join(dir, 'userData');
  const bridge = new CaseBridge(() => {
    const w = new Worker(new URL('../../electron/main/case-process-boot.js', import.meta.url), { env: { ...process.env, TRAILCASE_HOME: home } });
    return Object.assign(w, { kill: () => w.terminate() });
  });
  const casePath = join(dir, 'desk.trailcase');
  const dialogs = {
    openCase: async () => null,
    saveCase: async () => casePath,
    importSources: async () => [IP_FIXTURES],
    reportFolder: async () => null,
    message: async () => undefined,
  };
  const ctl = new AppController({
    bridge,
    recent: new RecentCases(userData),
    vault: new KeyVault({
      home,
      userData,
      platform: 'linux',
      safeStorage: {
        isEncryptionAvailable: () => true,
        getSelectedStorageBackend: () => 'gnome_libsecret',
        encryptString: (s) => Buffer.from(s).reverse(),
        decryptString: (b) => Buffer.from(b).reverse().toString(),
      },
    }),
    dialogs,
    openExternal: async () => false,
  });
  await ctl.startup();
  const b = await launchChromium({ viewport: { width: 1280, height: 820 } });
  mkdirSync(SHOTS, { recursive: true });
  try {
    const page = await b.context.newPage();
    const watch = watchPage(page);
    await page.route(`${ORIGIN}/**`, async (route) => {
      const url = route.request().url().replace(ORIGIN, 'trailcase://app');
      const res = await serveAppRequest({ url, method: route.request().method() }, { root: join(appDir, 'renderer'), mounts: { __shell: join(appDir, 'shell') } });
      await route.fulfill({ status: res.status, headers: Object.fromEntries(res.headers), body: Buffer.from(await res.arrayBuffer()) });
    });
    // The "IPC": the page's call goes to the controller exactly as ipc.ts's handler would pass it (schema-checked).
    await page.exposeFunction('__trailcaseIpc', async (channel: string, args: unknown) => {
      try {
        return { result: await ctl.callChecked(channel.replace(/^trailcase:/, '') as never, args) };
      } catch (e) {
        return toApiError(e);
      }
    });
    await page.addInitScript({ content: preloadJs });

    // Start page, first use: create the key.
    const resp = await page.goto(`${ORIGIN}/__shell/index.html`);
    assert.equal(resp?.headers()['content-security-policy'], CONTENT_SECURITY_POLICY);
    await page.getByRole('heading', { name: 'Create your examiner key' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'shell-start-key.png') });
    await page.getByLabel('Your name').fill('Chromium Examiner');
    await page.getByLabel('Passphrase (at least 8 characters)').fill('chromium-pass-1');
    await page.getByLabel('Repeat the passphrase').fill('chromium-pass-2');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByText('The two passphrases differ.').waitFor();
    await page.getByLabel('Repeat the passphrase').fill('chromium-pass-1');
    await page.getByLabel(/Remember the passphrase/).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByRole('heading', { name: 'New case' }).waitFor();
    assert.equal((await ctl.app.keyStatus({})).remembered, true);
    await page.getByLabel('Title').fill('Stratus desk review');
    await page.screenshot({ path: join(SHOTS, 'shell-start-cases.png') });
    await page.getByRole('button', { name: 'Create case…' }).click();
    for (let i = 0; i < 100 && !ctl.openCase; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(ctl.openCase?.path, casePath);
    assert.equal(ctl.openCase?.verification, 'created');

    // The UI, as main.ts loads it once a case is open.
    await page.goto(`${ORIGIN}/index.html`);
    await page.getByRole('heading', { name: 'Stratus desk review' }).waitFor();
    await page.getByLabel('Paths to import').fill(IP_FIXTURES);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    // Wait for the job through the same API: every fixture file preserved as evidence.
    const files = readdirSync(IP_FIXTURES).length;
    for (let i = 0; i < 300; i++) {
      const info = (await ctl.callChecked('caseInfo', {})) as { counts: { evidence: number } };
      if (info.counts.evidence === files) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.getByRole('tab', { name: 'Events' }).click();
    const first = (await ctl.callChecked('searchEvents', { limit: 1 })) as { events: { sourceIPAddress: string }[] };
    const ip = first.events[0].sourceIPAddress;
    const n = ((await ctl.callChecked('searchEvents', { filter: { ips: [ip] }, limit: 1 })) as { total: number }).total;
    assert.ok(n > 0);
    await page.getByLabel('Filter field').selectOption('ips');
    await page.getByLabel('Filter value').fill(ip);
    await page.getByRole('button', { name: 'Add filter' }).click();
    await page.getByText(`${n.toLocaleString('en-US')} events`).waitFor();
    await page.screenshot({ path: join(SHOTS, 'shell-ui-events.png') });
    // App-only methods work from the page; errors come back as thrown Errors with the message.
    const fromPage = await page.evaluate(async () => {
      const tc = (window as unknown as { trailcase: Record<string, (a: unknown) => Promise<any>> }).trailcase;
      const cur = await tc.currentCase({});
      let err = '';
      try {
        await tc.openCase({ path: '/etc/passwd' });
      } catch (e) {
        err = `${(e as Error).name}: ${(e as Error).message}`;
      }
      return { title: cur.case.title, err, keys: Object.keys(tc).length };
    });
    assert.equal(fromPage.title, 'Stratus desk review');
    assert.match(fromPage.err, /^TrailCaseError\[forbidden\]: .*not on the recent list/);
    assert.equal(fromPage.keys, Object.keys(api).length);
    assert.deepEqual(watch.problems, [], 'no console errors, CSP violations or failed requests');
  } finally {
    await b.close();
    await ctl.shutdown();
  }
});
