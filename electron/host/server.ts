// The loopback browser host (docs/architecture.md, "The renderer"): `trailcase serve CASE` and the browser
// tests. It serves the bundled renderer and answers POST /api/<method> through
// the same handler table as the CLI and Electron IPC (dispatch validates every
// argument). Only this machine's browser may talk to it:
// - it binds 127.0.0.1 only, on a random port unless one is given;
// - a fresh 256-bit token per run is in the URL it prints; API calls must send
//   it in the X-TrailCase-Token header (a custom header: a foreign page cannot
//   send it without a CORS preflight, which is refused); static files accept it
//   as ?token= or as the HttpOnly SameSite=Strict cookie set when the page loads;
// - the Host header must be 127.0.0.1:PORT or localhost:PORT (DNS rebinding)
//   and an Origin, when present, must be this host's own (cross-site requests);
// - every reply carries a strict CSP: script-src 'self', no inline script or style.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { ApiError } from '../../shared/api/index.ts';
import { isMethodName } from '../../shared/api/index.ts';
import { UI_CONTENT_SECURITY_POLICY } from '../../shared/csp.ts';
import { makeContext, type HandlerContext } from '../api/context.ts';
import { dispatch } from '../api/handlers.ts';
import { ensureTimelineRollup, type RollupStatus } from '../case/data/timeline-rollup.ts';
import type { Signer } from '../case/keys.ts';
import { CaseStore } from '../case/store.ts';
import { BadRequest, httpStatus, toApiError, UserError } from '../errors.ts';
import { buildRenderer, type BundleResult } from './bundle.ts';

export const TOKEN_HEADER = 'x-trailcase-token';
/** Largest API request body (an IOC list import is the biggest legitimate one). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** The UI's one policy (shared/csp.ts), the same the desktop app's protocol sends. */
export const HOST_CSP = UI_CONTENT_SECURITY_POLICY;

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': HOST_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};

export interface HostOptions {
  /** Open this case (read-write; closed again by close()). */
  casePath?: string;
  /** Or serve an already open case (left open by close()). */
  store?: CaseStore;
  /** Fixed port; default a random free one. */
  port?: number;
  /** The examiner's unlocked key; without it the first write that needs it asks (env TRAILCASE_PASSPHRASE or terminal). */
  signer?: Signer;
  actor?: string;
  /** Serve this folder instead of building the renderer into dist/renderer/. */
  rendererDir?: string;
  /** Skip extending the timeline rollup at start. */
  skipTimelineIndex?: boolean;
  log?: (line: string) => void;
}

export interface Host {
  /** http://127.0.0.1:PORT/?token=... - the URL to open. */
  url: string;
  origin: string;
  token: string;
  port: number;
  ctx: HandlerContext;
  bundle: BundleResult | null;
  timelineIndex: RollupStatus | null;
  close(): Promise<void>;
}

function safeEqual(a: string | undefined, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, code: ApiError['error']['code'], message: string): void {
  sendJson(res, status, { error: { message, code } } satisfies ApiError);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BadRequest(`request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Start the host. Resolves once it listens; the renderer is (re)built first if its sources changed. */
export async function startHost(opts: HostOptions): Promise<Host> {
  if (!opts.store && !opts.casePath) throw new UserError('startHost needs a case (casePath or store)');
  const log = opts.log ?? (() => {});
  let bundle: BundleResult | null = null;
  let rendererDir = opts.rendererDir;
  if (!rendererDir) {
    bundle = await buildRenderer();
    if (bundle.rebuilt) log(`renderer bundled in ${bundle.seconds.toFixed(1)} s (${bundle.reason})`);
    rendererDir = bundle.dir;
  }
  // The page's files are held in memory from the start: another process rebuilding dist/renderer/
  // (a test run, the desktop shell) swaps the folder, and a page loading at that moment must not see a 404.
  // Source maps stay on disk (read on demand; only developer tools ask for them).
  const assets = new Map<string, Buffer>();
  for (let attempt = 1; ; attempt++) {
    try {
      assets.clear();
      for (const name of readdirSync(rendererDir)) {
        if (MIME[extname(name)] && !name.endsWith('.map')) assets.set(name, readFileSync(join(rendererDir, name)));
      }
      if (!assets.has('index.html') || !assets.has('app.js')) throw new Error('index.html or app.js missing');
      break;
    } catch (e) {
      // Caught mid-swap by another process's build: the new folder is there a moment later.
      if (attempt >= 5) throw new UserError(`no usable renderer bundle in ${rendererDir}: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const store = opts.store ?? CaseStore.open(opts.casePath!);
  const ownsStore = !opts.store;
  const ctx = makeContext(store, { signer: opts.signer, actor: opts.actor });
  let timelineIndex: RollupStatus | null = null;
  try {
    // Imports keep the timeline rollups current; a case from an earlier version has them built
    // here once (stored, custody-logged, resumable) so the first paint does not wait for them.
    if (!opts.skipTimelineIndex && !store.readonly) {
      timelineIndex = ensureTimelineRollup(store, ctx.actor);
      if (timelineIndex.extended) log(`timeline index extended to leaf ${timelineIndex.throughLeaf} in ${timelineIndex.seconds.toFixed(1)} s`);
    }
  } catch (e) {
    if (ownsStore) store.close();
    throw e;
  }
  const token = randomBytes(32).toString('base64url');
  let port = 0;
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();
  const cookieName = () => `trailcase_token_${port}`;

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const reply = toApiError(e);
      if (!res.headersSent) sendJson(res, httpStatus(reply.error.code), reply);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // 1. Who is asking: this machine, by our own name, from our own page.
    const host = req.headers.host ?? '';
    if (!allowedHosts.has(host)) return sendError(res, 403, 'forbidden', `refused: Host ${host.slice(0, 100) || '(none)'} is not this host`);
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) return sendError(res, 403, 'forbidden', `refused: foreign Origin ${origin.slice(0, 100)}`);
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return sendError(res, 403, 'forbidden', `refused: cross-site request (${site})`);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${host}`);
    } catch {
      return sendError(res, 400, 'bad-request', 'bad request URL');
    }
    // 2. The API: POST /api/<method> with the token header and a JSON body.
    if (url.pathname.startsWith('/api/')) {
      if (!safeEqual(req.headers[TOKEN_HEADER] as string | undefined, token)) return sendError(res, 403, 'forbidden', 'refused: missing or wrong token');
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        return sendError(res, 405, 'bad-request', 'API methods are called with POST');
      }
      const method = url.pathname.slice('/api/'.length);
      if (!isMethodName(method)) return sendError(res, 404, 'not-found', `unknown method ${method.slice(0, 80)}`);
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
      if (type !== 'application/json') return sendError(res, 400, 'bad-request', 'the body must be application/json');
      let args: unknown;
      try {
        const raw = await readBody(req);
        args = raw.length ? JSON.parse(raw.toString('utf8')) : {};
      } catch (e) {
        return sendError(res, 400, 'bad-request', e instanceof BadRequest ? e.message : `${method}: the body is not valid JSON`);
      }
      try {
        const t0 = performance.now();
        const result = await dispatch(ctx, method, args);
        // How long the handler took, for the browser's network panel and the UI benchmark.
        res.setHeader('Server-Timing', `dispatch;dur=${(performance.now() - t0).toFixed(1)}`);
        return sendJson(res, 200, result === undefined ? null : result);
      } catch (e) {
        const reply = toApiError(e, method);
        return sendJson(res, httpStatus(reply.error.code), reply);
      }
    }
    // 3. The bundled renderer: GET only, with the token in the URL or the cookie.
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'bad-request', 'only GET is served here');
    const fromQuery = url.searchParams.get('token') ?? undefined;
    const okQuery = safeEqual(fromQuery, token);
    if (!okQuery && !safeEqual(cookie(req, cookieName()), token)) return sendError(res, 403, 'forbidden', 'refused: missing or wrong token (open the URL trailcase serve printed)');
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = normalize(join(rendererDir!, rel));
    if (!file.startsWith(normalize(rendererDir!) + sep) || rel.includes('\0')) return sendError(res, 404, 'not-found', 'not found');
    const type = MIME[extname(file)];
    let body: Buffer | undefined = assets.get(rel);
    try {
      if (!type) throw new Error('type');
      body ??= await readFile(file);
    } catch {
      return sendError(res, 404, 'not-found', `not found: ${url.pathname.slice(0, 100)}`);
    }
    const headers: Record<string, string | number> = { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': body.length };
    if (okQuery) headers['Set-Cookie'] = `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
  } catch (e) {
    if (ownsStore) store.close();
    const err = e as NodeJS.ErrnoException;
    throw new UserError(err.code === 'EADDRINUSE' ? `port ${opts.port} is in use; choose another with --port or leave it out` : `cannot listen: ${err.message}`);
  }
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  allowedOrigins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  const origin = `http://127.0.0.1:${port}`;
  let closed = false;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    ctx,
    bundle,
    timelineIndex,
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownsStore) store.close();
    },
  };
}
