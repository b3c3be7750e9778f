// The trailcase://app/ protocol handler (docs/packaging.md): the renderer bundle is
// served from one folder, never from file:// or http. GET/HEAD only; the path
// is decoded and normalised and must stay inside the folder (no "..", no
// encoded separators, no NUL, symlinks resolved and re-checked); every reply
// carries the security headers of security.ts, above all the strict CSP.
// Written over the web-standard Request/Response so Node tests drive it
// directly; main.ts hands it to protocol.handle().
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import { APP_HOST, APP_SCHEME, RESPONSE_HEADERS } from './security.ts';

export const MIME_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
});

export interface ServeOptions {
  /** Folder of the renderer bundle (index.html at its root). */
  root: string;
  /** Extra pages under a prefix from another folder (the shell's own launcher page). */
  mounts?: Record<string, string>;
}

function reply(status: number, body: BodyInit | null, type = 'text/plain; charset=utf-8'): Response {
  return new Response(body, { status, headers: { ...RESPONSE_HEADERS, 'Content-Type': type } });
}

/** Map a request URL to a file inside root, or a refusal status. Pure except for fs lookups. */
export async function resolveAppPath(rawUrl: string, opts: ServeOptions): Promise<{ file: string } | { status: number; reason: string }> {
  let u: URL;
  try {
    u = new URL(rawUrl);
  } catch {
    return { status: 400, reason: 'bad URL' };
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return { status: 403, reason: 'not the app origin' };
  const rawPath = u.pathname;
  // Encoded separators and NULs are never legitimate in our asset names.
  if (/%2f|%5c|%00/i.test(rawPath) || rawPath.includes('\\')) return { status: 400, reason: 'encoded separator in path' };
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { status: 400, reason: 'bad percent-encoding' };
  }
  if (path.includes('\0')) return { status: 400, reason: 'NUL in path' };
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) return { status: 400, reason: 'dot segment in path' };

  let base = opts.root;
  let rest = segments;
  for (const [prefix, dir] of Object.entries(opts.mounts ?? {})) {
    if (segments[0] === prefix) {
      base = dir;
      rest = segments.slice(1);
      break;
    }
  }
  // The UI is one page: extensionless paths (client-side routes) get index.html.
  if (rest.length === 0 || !extname(rest[rest.length - 1])) rest = rest.length && base === opts.root ? ['index.html'] : [...rest, 'index.html'];
  const baseReal = await realpath(resolve(base)).catch(() => null);
  if (!baseReal) return { status: 404, reason: 'app folder missing' };
  const candidate = join(baseReal, ...rest);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return { status: 404, reason: 'not found' };
  }
  const rel = relative(baseReal, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) return { status: 403, reason: 'outside the app folder' };
  const st = await stat(real).catch(() => null);
  if (!st || !st.isFile()) return { status: 404, reason: 'not a file' };
  return { file: real };
}

/** The protocol.handle() handler. */
export async function serveAppRequest(request: Pick<Request, 'url' | 'method'>, opts: ServeOptions): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'method not allowed');
  const r = await resolveAppPath(request.url, opts);
  if (!('file' in r)) return reply(r.status, r.reason);
  const type = MIME_TYPES[extname(r.file).toLowerCase()];
  if (!type) return reply(404, 'unsupported file type');
  const body = request.method === 'HEAD' ? null : new Uint8Array(await readFile(r.file));
  return reply(200, body, type);
}
