// The one validating IPC wrapper (docs/packaging.md). Every ipcMain handler of
// the app is registered here and nowhere else (test/shell/static.test.ts scans
// for raw ipcMain.handle/ipcMain.on elsewhere). Before any handler runs, a call
// must pass, in order:
//   1. a known channel: `trailcase:<method>` for a method of shared/api
//   2. the sender is our main window's webContents, the sending frame is its
//      main frame (not a sub-frame), and that frame is on our origin
//      (trailcase://app, parsed protocol + host)
//   3. exactly one argument, valid against the method's zod schema
// A refused call gets an ApiError reply ({error:{code:'forbidden'|'bad-request'}})
// and is reported through onRefused; nothing reaches the handler. Written
// against small structural types so the tests drive it with fake ipcMain and
// event objects.
import type { z } from 'zod';
import { api, type ApiError, type MethodName } from '../../shared/api/index.ts';
import type { MethodSpec } from '../../shared/api/define.ts';
import { toApiError } from '../errors.ts';
import { isAppUrl } from './security.ts';

// The one error mapping (electron/errors.ts); re-exported for the shell's tests and tools.
export { CodedError, toApiError } from '../errors.ts';

export const CHANNEL_PREFIX = 'trailcase:';
export const channelOf = (method: MethodName): string => CHANNEL_PREFIX + method;

/** Every channel the app answers, derived from the API table (the preload is built from the same list). */
export const KNOWN_CHANNELS: ReadonlyMap<string, MethodName> = new Map(
  (Object.keys(api) as MethodName[]).map((m) => [channelOf(m), m] as const),
);

export interface FrameLike {
  url: string;
  parent: FrameLike | null;
  processId?: number;
  routingId?: number;
}
export interface WebContentsLike {
  /** WebContents id (the JS wrapper may differ between lookups; the id does not). */
  id?: number;
  mainFrame: FrameLike;
  isDestroyed?(): boolean;
}
export interface InvokeEventLike {
  sender: WebContentsLike;
  senderFrame: FrameLike | null;
}
export interface IpcMainLike {
  handle(channel: string, listener: (event: any, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export type IpcReply = { result: unknown } | ApiError;

function sameFrame(a: FrameLike, b: FrameLike): boolean {
  if (a === b) return true;
  // WebFrameMain objects are looked up per call; compare the frame's identity numbers too.
  return a.processId !== undefined && a.routingId !== undefined && a.processId === b.processId && a.routingId === b.routingId;
}

/** Why a sender is not trusted, or null when it is. */
export function senderProblem(event: InvokeEventLike, trusted: WebContentsLike | null): string | null {
  if (!trusted || trusted.isDestroyed?.()) return 'no app window';
  const sender = event?.sender;
  const same = !!sender && (sender === trusted || (trusted.id !== undefined && sender.id === trusted.id));
  if (!same) return 'sender is not the app window';
  const frame = event.senderFrame;
  if (!frame) return 'sender frame is gone';
  if (frame.parent !== null || !sameFrame(frame, trusted.mainFrame)) return 'sender is a sub-frame, not the main frame';
  if (!isAppUrl(frame.url)) return `sender frame is not on the app origin (${safeOrigin(frame.url)})`;
  return null;
}

function safeOrigin(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}`.slice(0, 120);
  } catch {
    return 'unparseable URL';
  }
}

export type Checked = { ok: true; method: MethodName; args: unknown } | { ok: false; reply: ApiError; reason: string };

/** Steps 1-3 above: channel, sender, arguments. Pure; runs before any handler. */
export function checkInvocation(channel: string, event: InvokeEventLike, args: unknown[], trusted: WebContentsLike | null): Checked {
  const refuse = (code: ApiError['error']['code'], message: string): Checked => ({ ok: false, reason: message, reply: { error: { code, message } } });
  const method = KNOWN_CHANNELS.get(channel);
  if (!method) return refuse('forbidden', `unknown channel ${String(channel).slice(0, 80)}`);
  const bad = senderProblem(event, trusted);
  if (bad) return refuse('forbidden', `${method}: refused: ${bad}`);
  if (args.length > 1) return refuse('bad-request', `${method}: expected one argument object, got ${args.length}`);
  const spec = api[method] as MethodSpec<z.ZodTypeAny, unknown>;
  const parsed = spec.args.safeParse(args[0] ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return refuse('bad-request', `${method}: bad arguments: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? ''}`.trim());
  }
  return { ok: true, method, args: parsed.data };
}

export interface IpcOptions {
  /** The main window's webContents (the only trusted sender); null before it exists. */
  trusted(): WebContentsLike | null;
  /** Runs a checked call (app methods in main, the rest forwarded to the case process). */
  call(method: MethodName, args: unknown): Promise<unknown>;
  onRefused?(channel: string, reason: string): void;
}

/** The handler body for one channel: check, then call; always resolves with an IpcReply. */
export function makeInvokeHandler(channel: string, opts: IpcOptions) {
  return async (event: InvokeEventLike, ...args: unknown[]): Promise<IpcReply> => {
    const c = checkInvocation(channel, event, args, opts.trusted());
    if (!c.ok) {
      opts.onRefused?.(channel, c.reason);
      return c.reply;
    }
    try {
      return { result: await opts.call(c.method, c.args) };
    } catch (e) {
      return toApiError(e);
    }
  };
}

/** Register one handler per known channel, and nothing else. Returns a function that removes them. */
export function registerIpc(ipcMain: IpcMainLike, opts: IpcOptions): () => void {
  for (const channel of KNOWN_CHANNELS.keys()) ipcMain.handle(channel, makeInvokeHandler(channel, opts));
  return () => {
    for (const channel of KNOWN_CHANNELS.keys()) ipcMain.removeHandler(channel);
  };
}
