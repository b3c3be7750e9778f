// Real Chromium for the UI tests and the UI benchmark (docs/architecture.md, "The renderer"): Debian's
// Chromium driven by playwright-core, executable from TRAILCASE_CHROMIUM
// (default /usr/bin/chromium), headless, in a fresh profile, with the
// background services that would phone home switched off.
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function chromiumPath(): string {
  return process.env.TRAILCASE_CHROMIUM || '/usr/bin/chromium';
}

/** Why the browser tests cannot run here, or null when they can. */
export function chromiumSkipReason(): string | null {
  const p = chromiumPath();
  try {
    accessSync(p, constants.X_OK);
    return null;
  } catch {
    return `no Chromium at ${p} (set TRAILCASE_CHROMIUM to a Chromium/Chrome executable)`;
  }
}

export interface LaunchedBrowser {
  browser: Browser;
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launch Chromium headless with a fresh user-data-dir (a persistent context,
 * so the profile really is a new folder, removed again by close()).
 */
export async function launchChromium(opts: { viewport?: { width: number; height: number }; acceptDownloads?: boolean } = {}): Promise<LaunchedBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'trailcase-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: opts.viewport ?? { width: 1440, height: 900 },
    acceptDownloads: opts.acceptDownloads ?? true,
    timezoneId: 'Pacific/Auckland', // far from UTC: any local-time leak in the UI shows
  });
  const browser = context.browser();
  return {
    browser: browser!,
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Collect console errors, page errors, failed requests and CSP violations, to assert a clean page. */
export function watchPage(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error' || (m.type() === 'warning' && /Content Security Policy|TrailCase/.test(m.text()))) problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => {
    // Downloads are "aborted" by the browser once saved.
    if (!r.url().startsWith('blob:')) problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  return { problems };
}
