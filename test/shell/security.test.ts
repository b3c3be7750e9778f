// Every setting of the shell's security block (electron/main/security.ts),
// asserted without an Electron binary: the window's webPreferences, the
// navigation / new-window / webview policy, the session's permission, request
// and download policy, the privileged scheme, the CSP and response headers,
// and the allow-listed external opener.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as sec from '../../electron/main/security.ts';
import { HOST_CSP } from '../../electron/host/server.ts';

test('window: isolation, sandbox, no Node, webSecurity, no webview, no insecure content', () => {
  const o = sec.mainWindowOptions('/app/preload.cjs');
  const w = o.webPreferences!;
  assert.equal(w.contextIsolation, true);
  assert.equal(w.sandbox, true);
  assert.equal(w.nodeIntegration, false);
  assert.equal(w.nodeIntegrationInWorker, false);
  assert.equal(w.nodeIntegrationInSubFrames, false);
  assert.equal(w.webSecurity, true);
  assert.equal(w.webviewTag, false);
  assert.equal(w.allowRunningInsecureContent, false);
  assert.equal(w.experimentalFeatures, false);
  assert.equal(w.navigateOnDragDrop, false);
  assert.equal(w.devTools, false, 'DevTools off unless asked for');
  assert.equal(w.preload, '/app/preload.cjs');
  assert.equal(w.partition, sec.APP_PARTITION);
  assert.ok(!w.partition!.startsWith('persist:'), 'in-memory session: Chromium keeps nothing of a case on disk');
  assert.equal((w as Record<string, unknown>).enableBlinkFeatures, undefined);
  assert.equal(o.show, false);
  assert.equal(sec.mainWindowOptions('/p', { devTools: true }).webPreferences!.devTools, true);
});

test('scheme: trailcase is standard + secure, never bypasses CSP or CORS', () => {
  assert.equal(sec.PRIVILEGED_SCHEMES.length, 1);
  const s = sec.PRIVILEGED_SCHEMES[0];
  assert.equal(s.scheme, 'trailcase');
  assert.equal(s.privileges.standard, true);
  assert.equal(s.privileges.secure, true);
  assert.equal(s.privileges.bypassCSP, false);
  assert.equal(s.privileges.corsEnabled, false);
  assert.equal(s.privileges.allowServiceWorkers, false);
  assert.equal(sec.APP_INDEX_URL, 'trailcase://app/index.html');
});

test('origin check parses the URL instead of matching a prefix', () => {
  assert.equal(sec.isAppUrl('trailcase://app/index.html'), true);
  assert.equal(sec.isAppUrl('trailcase://app/'), true);
  for (const bad of [
    'trailcase://app.evil/index.html',
    'trailcase://evil/app/index.html',
    'trailcase://user:pw@app/index.html',
    'https://app/index.html',
    'file:///trailcase/app/index.html',
    'trailcase:app/index.html',
    'about:blank',
    '',
    'not a url',
  ]) {
    assert.equal(sec.isAppUrl(bad), false, bad);
  }
  assert.equal(sec.isAppUrl(null), false);
});

function fakeContents() {
  const listeners = new Map<string, (...a: any[]) => void>();
  let openHandler: ((d: { url: string }) => { action: string }) | null = null;
  return {
    listeners,
    get openHandler() {
      return openHandler;
    },
    on(ev: string, fn: (...a: any[]) => void) {
      listeners.set(ev, fn);
      return this;
    },
    setWindowOpenHandler(fn: any) {
      openHandler = fn;
    },
  };
}

function preventable() {
  let prevented = false;
  return {
    preventDefault() {
      prevented = true;
    },
    get prevented() {
      return prevented;
    },
  };
}

test('navigation, redirects, frame navigation and webviews are refused; new windows denied', async () => {
  const opened: string[] = [];
  const shell = { openExternal: async (u: string) => void opened.push(u) };
  const c = fakeContents();
  sec.applyWebContentsPolicy(c as any, shell);
  for (const ev of ['will-navigate', 'will-redirect']) {
    for (const url of ['https://evil.example/', 'trailcase://app/index.html', 'file:///etc/passwd']) {
      const e = preventable();
      c.listeners.get(ev)!(e, url);
      assert.equal(e.prevented, true, `${ev} ${url}`);
    }
  }
  const f = Object.assign(preventable(), { url: 'https://evil.example/' });
  c.listeners.get('will-frame-navigate')!(f);
  assert.equal(f.prevented, true);
  const wv = preventable();
  c.listeners.get('will-attach-webview')!(wv, {}, {});
  assert.equal(wv.prevented, true);
  assert.equal(c.openHandler!({ url: 'https://evil.example/' }).action, 'deny');
  assert.equal(c.openHandler!({ url: 'trailcase://app/index.html' }).action, 'deny');
  assert.equal(c.openHandler!({ url: 'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/' }).action, 'deny');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(opened, ['https://docs.aws.amazon.com/awscloudtrail/latest/userguide/'], 'only the allow-listed link went to the system browser');
  assert.equal(sec.allowNavigation('trailcase://app/index.html'), false);
});

test('external links: https only, allow-listed host exactly, no port, no credentials', async () => {
  const ok = ['https://docs.aws.amazon.com/x', 'https://attack.mitre.org/techniques/T1562/008/', 'https://github.com/SigmaHQ/sigma', 'HTTPS://GITHUB.COM/x'];
  const bad = [
    'http://docs.aws.amazon.com/x',
    'https://docs.aws.amazon.com.evil.example/x',
    'https://evil.example/?https://github.com',
    'https://github.com:8443/x',
    'https://user@github.com/x',
    'https://user:pw@github.com/x',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'trailcase://app/index.html',
    'ms-settings:',
    'smb://github.com/share',
    'not a url',
  ];
  for (const u of ok) assert.equal(sec.isAllowedExternalUrl(u), true, u);
  for (const u of bad) assert.equal(sec.isAllowedExternalUrl(u), false, u);
  const opened: string[] = [];
  const shell = { openExternal: async (u: string) => void opened.push(u) };
  for (const u of bad) assert.equal(await sec.openExternalUrl(u, shell), false, u);
  assert.equal(opened.length, 0);
  assert.equal(await sec.openExternalUrl('https://github.com/SigmaHQ/sigma', shell), true);
  assert.deepEqual(opened, ['https://github.com/SigmaHQ/sigma']);
});

test('session: every permission refused, only our own requests and blob downloads allowed', () => {
  const calls: Record<string, any> = {};
  const session = {
    setPermissionRequestHandler: (fn: any) => (calls.request = fn),
    setPermissionCheckHandler: (fn: any) => (calls.check = fn),
    setDevicePermissionHandler: (fn: any) => (calls.device = fn),
    webRequest: { onBeforeRequest: (fn: any) => (calls.before = fn) },
    on: (ev: string, fn: any) => (calls[ev] = fn),
  };
  sec.applySessionPolicy(session as any);
  for (const perm of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen', 'pointerLock']) {
    let granted: boolean | undefined;
    calls.request({}, perm, (g: boolean) => (granted = g));
    assert.equal(granted, false, perm);
    assert.equal(calls.check({}, perm, 'trailcase://app', {}), false, perm);
  }
  assert.equal(calls.device({}), false);
  const cancel = (url: string) => {
    let r: { cancel: boolean } | undefined;
    calls.before({ url }, (x: { cancel: boolean }) => (r = x));
    return r!.cancel;
  };
  assert.equal(cancel('trailcase://app/index.html'), false);
  assert.equal(cancel('trailcase://app/assets/app.js'), false);
  assert.equal(cancel('blob:trailcase://app/1b2c'), false);
  assert.equal(cancel('data:image/png;base64,AAAA'), false);
  for (const u of ['https://example.com/', 'http://127.0.0.1:8080/api', 'ws://127.0.0.1/', 'file:///etc/passwd', 'trailcase://other/x', 'blob:https://evil.example/1', 'ftp://x/']) {
    assert.equal(cancel(u), true, u);
  }
  const dl = (url: string) => {
    const e = preventable();
    calls['will-download'](e, { getURL: () => url });
    return !e.prevented;
  };
  assert.equal(dl('blob:trailcase://app/5f0e'), true, 'exports made by our page');
  assert.equal(dl('https://evil.example/payload.exe'), false);
  assert.equal(dl('blob:https://evil.example/5f0e'), false);
  assert.equal(dl('data:application/octet-stream;base64,AA'), false);
});

test('CSP and headers: script-src self only, no inline script or eval, nothing remote', () => {
  const csp = sec.CONTENT_SECURITY_POLICY;
  const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v] as const));
  assert.deepEqual(directives.get('script-src'), ["'self'"]);
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  assert.deepEqual(directives.get('object-src'), ["'none'"]);
  assert.deepEqual(directives.get('base-uri'), ["'none'"]);
  assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
  assert.deepEqual(directives.get('connect-src'), ["'self'"]);
  for (const [k, v] of directives) {
    assert.ok(!v.includes("'unsafe-eval'"), `${k} allows eval`);
    assert.ok(!v.some((s) => /^(https?:|\*|ws:)/.test(s)), `${k} allows a remote source`);
    assert.ok(!v.includes("'unsafe-inline'"), `${k} allows inline`);
  }
  // No looser than the loopback host's policy the renderer is tested under in Chromium (test/ui).
  const hostDirectives = new Map(HOST_CSP.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v] as const));
  for (const [k, v] of hostDirectives) assert.deepEqual(directives.get(k), v, `${k} differs from the browser host's`);
  const h = sec.RESPONSE_HEADERS;
  assert.equal(h['Content-Security-Policy'], csp);
  assert.equal(h['X-Content-Type-Options'], 'nosniff');
  assert.equal(h['Referrer-Policy'], 'no-referrer');
  assert.equal(h['Cross-Origin-Opener-Policy'], 'same-origin');
  assert.equal(h['Cross-Origin-Resource-Policy'], 'same-origin');
  assert.equal(h['Cache-Control'], 'no-store');
  assert.ok(Object.isFrozen(h));
});
