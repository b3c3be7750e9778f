// The desktop app end to end with Playwright's _electron (docs/packaging.md): launch the
// staged app (build/bundle-app.ts) on the real Electron, open the demo case,
// filter by the attacker's IP, produce a signed report from the menu - and,
// on the live window, the security settings the unit tests assert as data.
// Runs where the Electron binary is installed; elsewhere prints ONE line
// saying why and is skipped (node:test t.skip).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { electronRuntime, ensureNativeForElectron } from '../../build/start.ts';

const PASS = 'desktop-e2e-passphrase';
const runtime = electronRuntime();

test('desktop app: launch, open the demo case, filter, produce a report', { timeout: 15 * 60_000 }, async (t) => {
  if ('missing' in runtime) {
    const reason = `Electron desktop suite skipped: ${runtime.missing}`;
    console.log(reason);
    t.skip(reason);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'trailcase-e2e-'));
  const home = join(dir, 'home');
  const savedHome = process.env.TRAILCASE_HOME;
  process.env.TRAILCASE_HOME = home;
  const { generateKey } = await import('../../electron/case/keys.ts');
  const { ensureDemoCase } = await import('../../electron/demo/demo.ts');
  const { ATTACKER } = await import('../../electron/demo/synth.ts');
  const { CaseStore } = await import('../../electron/case/store.ts');
  const { searchEvents } = await import('../../electron/case/queries.ts');
  const { bundleApp } = await import('../../build/bundle-app.ts');
  const { verifyReportDir } = await import('../../electron/report/verify-report.ts');
  const { _electron } = await import('playwright-core');
  try {
    generateKey('E2E Examiner', PASS, home);
    const demo = await ensureDemoCase();
    const probe = CaseStore.open(demo.path, { readonly: true });
    const expected = searchEvents(probe, { ips: [ATTACKER.ip] }, { limit: 1 }).total;
    probe.close();
    assert.ok(expected > 0);

    const appDir = join(dir, 'app');
    await bundleApp({ outDir: appDir });
    await ensureNativeForElectron(appDir, runtime.version, (s) => t.diagnostic(s));

    const app = await _electron.launch({
      executablePath: runtime.path,
      // The case on the command line is opened like a file the examiner double-clicked: verified first (it is new to this profile).
      args: [appDir, demo.path],
      env: { ...process.env, TRAILCASE_HOME: home, TRAILCASE_PASSPHRASE: PASS, TRAILCASE_USER_DATA: join(dir, 'userData') },
      timeout: 120_000,
    });
    try {
      const page = await app.firstWindow();
      await page.waitForURL('trailcase://app/index.html', { timeout: 300_000 });

      // The live window behaves as the security block says (the settings themselves are unit-tested as data).
      assert.deepEqual(
        await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((w) => w.webContents.getURL())),
        ['trailcase://app/index.html'],
        'one window, on our protocol',
      );
      assert.deepEqual(
        await page.evaluate(() => {
          const w = window as unknown as Record<string, unknown>;
          return [typeof w.trailcase, typeof w.require, typeof w.process, typeof w.ipcRenderer];
        }),
        ['object', 'undefined', 'undefined', 'undefined'],
        'the page sees the typed API and nothing of Node or IPC',
      );
      // Inline script is blocked by the CSP; navigation away is refused.
      assert.equal(await page.evaluate(() => { try { return eval('1 + 1'); } catch { return 'blocked'; } }), 'blocked');
      await page.evaluate(() => void (location.href = 'https://example.com/'));
      await page.waitForTimeout(500);
      assert.match(page.url(), /^trailcase:\/\/app\//);

      // Filter the events by the attacker's IP.
      await page.getByRole('tab', { name: 'Events' }).click();
      await page.getByLabel('Filter field').selectOption('ips');
      await page.getByLabel('Filter value').fill(ATTACKER.ip);
      await page.getByRole('button', { name: 'Add filter' }).click();
      await page.getByText(`${expected.toLocaleString('en-US')} events`).waitFor({ timeout: 60_000 });

      // Produce a report from the menu; the native dialogs are answered by the test.
      const outDir = join(dir, 'report');
      mkdirSync(outDir);
      await app.evaluate(({ dialog, shell }, out) => {
        const d = dialog as unknown as Record<string, unknown>;
        d.showOpenDialog = async () => ({ canceled: false, filePaths: [out] });
        d.showMessageBox = async () => ({ response: 0, checkboxChecked: false });
        (shell as unknown as Record<string, unknown>).showItemInFolder = () => undefined;
      }, outDir);
      await app.evaluate(({ Menu }) => Menu.getApplicationMenu()!.getMenuItemById('report')!.click());
      const deadline = Date.now() + 600_000;
      while (!existsSync(join(outDir, 'manifest.json.sig')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
      const v = verifyReportDir(outDir);
      assert.equal(v.ok, true, JSON.stringify(v.checks.filter((c) => !c.ok)));
      assert.ok(existsSync(join(outDir, 'report.pdf')));
    } finally {
      await app.close();
    }
  } finally {
    if (savedHome === undefined) delete process.env.TRAILCASE_HOME;
    else process.env.TRAILCASE_HOME = savedHome;
    rmSync(dir, { recursive: true, force: true });
  }
});
