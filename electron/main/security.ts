// =============================================================================
// ===  SECURITY BLOCK (docs/packaging.md)  =====================================
// =============================================================================
// Every security setting of the desktop shell lives in this one file, as plain
// data and small functions, so test/shell/security.test.ts can assert each one
// without an Electron binary. Nothing here imports 'electron' at run time (type
// imports only); main.ts passes the Electron objects in.
//
//   window      contextIsolation, sandbox, no Node integration, webSecurity,
//               no <webview>, no insecure content, no experimental features
//   navigation  will-navigate / will-redirect refused, new windows denied
//               (setWindowOpenHandler), will-attach-webview prevented
//   session     every permission request and check refused; every request
//               that is not our own protocol (or blob:/data: on our origin)
//               cancelled, so the workstation never talks to the network;
//               downloads only of blobs our own page made (CSV/JSON exports)
//   protocol    trailcase://app/ is standard + secure; its responses carry a
//               strict Content-Security-Policy (script-src 'self') and
//               nosniff / no-referrer / same-origin isolation headers
//   external    https links to a small allow list, through openExternalUrl -
//               the only call of shell.openExternal in the code base
//               (test/shell/static.test.ts scans for others)
//
// Change a setting here and the tests say which guarantee moved.
// =============================================================================
import type {
  BrowserWindowConstructorOptions,
  HandlerDetails,
  Session,
  Shell,
  WebContents,
  WebPreferences,
  WindowOpenHandlerResponse,
} from 'electron';
import { UI_CONTENT_SECURITY_POLICY } from '../../shared/csp.ts';

// --- our origin --------------------------------------------------------------
export const APP_SCHEME = 'trailcase';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/** protocol.registerSchemesAsPrivileged (must be one call, before app ready). */
export const PRIVILEGED_SCHEMES = [
  {
    scheme: APP_SCHEME,
    // standard: relative URLs and a real origin (module scripts, storage);
    // secure: a secure context like https; supportFetchAPI: the page may fetch
    // its own assets. No bypassCSP, no corsEnabled, no service workers.
    privileges: { standard: true, secure: true, supportFetchAPI: true, bypassCSP: false, corsEnabled: false, allowServiceWorkers: false, stream: false },
  },
] as const;

/** True only for trailcase://app/... (parsed, not string-prefixed: "trailcase://app.evil/" is not ours). */
export function isAppUrl(raw: string | undefined | null): boolean {
  if (!raw) return false;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return false;
  }
  return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '';
}

// --- window ------------------------------------------------------------------
/** The webPreferences of every window we create. */
export function secureWebPreferences(preloadPath: string, partition: string, opts: { devTools?: boolean } = {}): WebPreferences {
  return {
    preload: preloadPath,
    partition,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    // DevTools only in development (or TRAILCASE_DEVTOOLS=1): in a packaged build a console is one more way to run code in the page.
    devTools: opts.devTools ?? false,
  };
}

/** The in-memory session of the app window: nothing of a case is cached on disk by Chromium. */
export const APP_PARTITION = 'trailcase-app';

export function mainWindowOptions(preloadPath: string, opts: { devTools?: boolean } = {}): BrowserWindowConstructorOptions {
  return {
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'TrailCase',
    backgroundColor: '#ffffff',
    webPreferences: secureWebPreferences(preloadPath, APP_PARTITION, opts),
  };
}

// --- navigation and new windows ----------------------------------------------
/** will-navigate / will-redirect: the page never navigates itself (the shell loads pages with loadURL, which does not emit them). */
export function allowNavigation(_url: string): boolean {
  return false;
}

export const ALLOWED_EXTERNAL_HOSTS: readonly string[] = Object.freeze([
  'docs.aws.amazon.com',
  'attack.mitre.org',
  'github.com',
  'www.electronjs.org',
]);

/** https only, a host on the allow list exactly, default port, no credentials in the URL. */
export function isAllowedExternalUrl(raw: string): boolean {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return false;
  }
  return (
    u.protocol === 'https:' &&
    u.port === '' &&
    u.username === '' &&
    u.password === '' &&
    ALLOWED_EXTERNAL_HOSTS.includes(u.hostname.toLowerCase())
  );
}

/** The one allow-listed opener: the only place shell.openExternal is called. */
export async function openExternalUrl(raw: string, shell: Pick<Shell, 'openExternal'>): Promise<boolean> {
  if (!isAllowedExternalUrl(raw)) return false;
  await shell.openExternal(new URL(raw).toString(), { activate: true });
  return true;
}

/** setWindowOpenHandler: never a new Electron window; an allow-listed link goes to the system browser. */
export function windowOpenHandler(shell: Pick<Shell, 'openExternal'>) {
  return (details: Pick<HandlerDetails, 'url'>): WindowOpenHandlerResponse => {
    if (isAllowedExternalUrl(details.url)) void openExternalUrl(details.url, shell).catch(() => undefined);
    return { action: 'deny' };
  };
}

type PreventableEvent = { preventDefault(): void };
type Contents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/** Apply the navigation policy to one webContents (main window, print window, anything created later). */
export function applyWebContentsPolicy(contents: Contents, shell: Pick<Shell, 'openExternal'>): void {
  const refuse = (e: PreventableEvent, url: string) => {
    if (!allowNavigation(url)) e.preventDefault();
  };
  contents.on('will-navigate', (e: PreventableEvent, url: string) => refuse(e, url));
  contents.on('will-frame-navigate', (e: PreventableEvent & { url: string }) => refuse(e, e.url));
  contents.on('will-redirect', (e: PreventableEvent, url: string) => refuse(e, url));
  contents.on('will-attach-webview', (e: PreventableEvent) => e.preventDefault());
  contents.setWindowOpenHandler(windowOpenHandler(shell));
}

// --- session: permissions, requests, downloads -------------------------------
export const permissionRequestHandler = (_wc: unknown, _permission: string, callback: (granted: boolean) => void): void => callback(false);
export const permissionCheckHandler = (): boolean => false;
export const devicePermissionHandler = (): boolean => false;

/**
 * Requests the app's pages may make: our own protocol, and blob:/data: URLs
 * (the CSP below still decides where each may be used). Everything else -
 * http(s), ws, file, ftp - is cancelled: the workstation is offline by design
 * and a case must not leak to the network.
 */
export function isAllowedRequestUrl(raw: string): boolean {
  if (isAppUrl(raw)) return true;
  if (raw.startsWith('data:')) return true;
  if (raw.startsWith('blob:')) return isAppUrl(raw.slice('blob:'.length));
  if (raw.startsWith('devtools://')) return true;
  return false;
}

/** Downloads: only blobs made by our own page (the table's CSV/JSON export); Electron then shows a save dialog. */
export function allowDownload(url: string): boolean {
  return url.startsWith('blob:') && isAppUrl(url.slice('blob:'.length));
}

type SessionLike = Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler' | 'on'> & {
  webRequest: Pick<Session['webRequest'], 'onBeforeRequest'>;
};

/** allowRequest: isAllowedRequestUrl for the app window; the PDF print session passes its own, narrower rule. */
export function applySessionPolicy(session: SessionLike, allowRequest: (url: string) => boolean = isAllowedRequestUrl): void {
  session.setPermissionRequestHandler(permissionRequestHandler);
  session.setPermissionCheckHandler(permissionCheckHandler);
  session.setDevicePermissionHandler(devicePermissionHandler);
  session.webRequest.onBeforeRequest((details: { url: string }, callback: (r: { cancel: boolean }) => void) =>
    callback({ cancel: !allowRequest(details.url) }),
  );
  session.on('will-download', (e: PreventableEvent, item: { getURL(): string }) => {
    if (!allowDownload(item.getURL())) e.preventDefault();
  });
}

// --- content security policy and response headers -----------------------------
/** The UI's one policy (shared/csp.ts), the same the loopback browser host sends. */
export const CONTENT_SECURITY_POLICY = UI_CONTENT_SECURITY_POLICY;

export const RESPONSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=(), bluetooth=(), clipboard-read=()',
  'Cache-Control': 'no-store',
});

// --- process-wide switches -----------------------------------------------------
/** Command-line switches appended before ready: no remote debugging port, no HTTP cache on disk. */
export const COMMAND_LINE_SWITCHES: readonly [string, string?][] = Object.freeze([['disable-http-cache']]);
// =============================================================================
// ===  END OF SECURITY BLOCK  =================================================
// =============================================================================
