// The app-only methods (shared/api/app.ts) outside Electron: every transport
// that is not the desktop shell - dispatch as the CLI uses it, and the
// loopback browser host over HTTP - answers each one with a clear "not
// available in the browser host" error, never a silent success.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { appApi } from '../../shared/api/app.ts';
import { makeContext } from '../../electron/api/context.ts';
import { dispatch } from '../../electron/api/handlers.ts';
import { NotAvailableInHost } from '../../electron/api/app-handlers.ts';
import { startHost, TOKEN_HEADER, type Host } from '../../electron/host/server.ts';
import { tempCase, type TempCase } from '../support/case.ts';

let c: TempCase;
let host: Host;
before(async () => {
  c = tempCase('app api outside electron');
  host = await startHost({ store: c.store, signer: c.signer, skipTimelineIndex: true });
});
after(async () => {
  await host.close();
  c.cleanup();
});

const validArgs: Record<string, unknown> = {
  createKey: { examiner: 'X', passphrase: 'long enough' },
  unlockKey: { passphrase: 'long enough' },
  openCase: { path: '/tmp/x.trailcase' },
  newCase: { title: 'T' },
  openExternal: { url: 'https://github.com/' },
};

test('dispatch (CLI, host) refuses every app-only method with a clear error', async () => {
  const ctx = makeContext(c.store, { signer: c.signer });
  for (const m of Object.keys(appApi)) {
    await assert.rejects(dispatch(ctx, m, validArgs[m] ?? {}), (e: Error) => e instanceof NotAvailableInHost && e.message === `${m} is only available in the TrailCase desktop app (not available in the browser host)`, m);
  }
});

test('the loopback host answers them with an error the page can show', async () => {
  for (const m of ['openCaseDialog', 'recentCases', 'chooseImportSources']) {
    const res = await fetch(`${host.origin}/api/${m}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: host.token },
      body: '{}',
    });
    assert.ok(res.status >= 400 && res.status < 500, `${m}: HTTP ${res.status}`);
    const body = (await res.json()) as { error: { message: string } };
    assert.match(body.error.message, /not available in the browser host/);
  }
});
