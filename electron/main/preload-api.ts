// What the preload exposes as window.trailcase (docs/packaging.md): one async function
// per API method, built from the method list, each a single ipcRenderer.invoke
// on that method's channel. Nothing else: no ipcRenderer, no send/on, no
// generic "invoke any channel". Separate from preload.ts (which only wires
// contextBridge) so Node tests can check the object without Electron.
export type Invoke = (channel: string, args: unknown) => Promise<unknown>;

/** The reply shape of electron/main/ipc.ts: { result } or ApiError. */
type Reply = { result: unknown } | { error: { message: string; code: string } };

export const PRELOAD_CHANNEL_PREFIX = 'trailcase:';

export function buildPreloadApi(methods: readonly string[], invoke: Invoke): Readonly<Record<string, (args?: unknown) => Promise<unknown>>> {
  const api: Record<string, (args?: unknown) => Promise<unknown>> = Object.create(null);
  for (const method of methods) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(method)) throw new Error(`bad method name ${method}`);
    const channel = PRELOAD_CHANNEL_PREFIX + method;
    api[method] = async (args?: unknown) => {
      const reply = (await invoke(channel, args ?? {})) as Reply | null;
      if (reply && typeof reply === 'object' && 'error' in reply) {
        // contextBridge copies an Error's message; the code goes in the name too so the page can tell them apart.
        const e = new Error(reply.error.message);
        e.name = `TrailCaseError[${reply.error.code}]`;
        throw e;
      }
      if (!reply || typeof reply !== 'object' || !('result' in reply)) throw new Error(`${method}: malformed reply from the main process`);
      return reply.result;
    };
  }
  return Object.freeze(api);
}
