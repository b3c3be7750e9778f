// How the renderer reaches the back end (docs/architecture.md, "The renderer"). In the desktop app the
// Electron preload injects `window.trailcase` (a RendererApi over IPC); in a
// browser against `trailcase serve` every call is POST /api/<method> with the
// per-run token in a header. Views only ever see a RendererApi, so they do not
// care which.
// Types only: importing the method table itself would pull every zod schema
// (~450 KB) into the page, which only needs method names - a Proxy supplies them.
import type { ApiError, MethodName, RendererApi } from '../../shared/api/index.ts';

declare global {
  interface Window {
    trailcase?: RendererApi;
  }
}

export const TOKEN_HEADER = 'X-TrailCase-Token';
const TOKEN_KEY = 'trailcase.token';

/** An API call that failed: the back end's message and code, and which method. */
export class ApiCallError extends Error {
  constructor(
    message: string,
    readonly code: ApiError['error']['code'] | 'network',
    readonly method: string,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

/**
 * The per-run token: from ?token= on first load (then kept in sessionStorage
 * and taken out of the address bar, so it does not end up in screenshots or
 * bookmarks), else from sessionStorage after a reload.
 */
export function takeToken(loc: Pick<Location, 'search' | 'pathname' | 'hash'> = location, storage: Pick<Storage, 'getItem' | 'setItem'> = sessionStorage): string | null {
  const params = new URLSearchParams(loc.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    storage.setItem(TOKEN_KEY, fromUrl);
    params.delete('token');
    const rest = params.toString();
    try {
      history.replaceState(null, '', `${loc.pathname}${rest ? `?${rest}` : ''}${loc.hash}`);
    } catch {
      /* not in a browser page (tests) */
    }
    return fromUrl;
  }
  return storage.getItem(TOKEN_KEY);
}

type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

/** A RendererApi over HTTP to the loopback host. */
export function httpApi(token: string | null, base = '', doFetch: Fetch = (u, i) => fetch(u, i)): RendererApi {
  const call = async (method: string, args: unknown): Promise<unknown> => {
    let res;
    try {
      res = await doFetch(`${base}/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(token ? { [TOKEN_HEADER]: token } : {}) },
        body: JSON.stringify(args ?? {}),
      });
    } catch (e) {
      throw new ApiCallError(`${method}: the TrailCase host did not answer (${(e as Error).message}); is trailcase serve still running?`, 'network', method);
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new ApiCallError(`${method}: the host answered ${res.status} without JSON`, 'failed', method);
    }
    if (!res.ok) {
      const err = (body as ApiError | null)?.error;
      throw new ApiCallError(err?.message ?? `${method}: HTTP ${res.status}`, err?.code ?? 'failed', method);
    }
    return body;
  };
  const fns = new Map<string, (args: unknown) => Promise<unknown>>();
  return new Proxy({} as RendererApi, {
    get(_t, prop) {
      if (typeof prop !== 'string' || prop === 'then') return undefined; // not a thenable
      let f = fns.get(prop);
      if (!f) fns.set(prop, (f = (args: unknown) => call(prop, args)));
      return f;
    },
    has: (_t, prop) => typeof prop === 'string',
  });
}

let current: RendererApi | null = null;

/** The API for this page: the Electron preload's when present, else HTTP to the host that served the page. */
export function getApi(): RendererApi {
  if (current) return current;
  current = typeof window !== 'undefined' && window.trailcase ? window.trailcase : httpApi(takeToken());
  return current;
}

/**
 * Whether the back end offers a method. The Electron preload exposes exactly
 * its methods; over HTTP every name is tried and an unknown one comes back as a
 * clear 404 error shown where it was asked for.
 */
export function hasMethod(name: MethodName): boolean {
  const api = getApi();
  return typeof (api as unknown as Record<string, unknown>)[name] === 'function';
}

/** Which transport is in use, for the status bar. */
export function transportName(): 'electron' | 'http' {
  return typeof window !== 'undefined' && window.trailcase ? 'electron' : 'http';
}
