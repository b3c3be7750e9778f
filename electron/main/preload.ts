// The preload of the app window (sandboxed; bundled by build/bundle-app.ts to
// electron/preload.cjs). It exposes exactly the typed API (RendererApi of
// shared/api/index.ts) as window.trailcase and never ipcRenderer itself.
// The method list is put in at bundle time (esbuild define) so this file
// carries no zod schemas; the main process validates every call.
import { contextBridge, ipcRenderer } from 'electron';
import { buildPreloadApi } from './preload-api.ts';

declare const __TRAILCASE_METHODS__: string[];

contextBridge.exposeInMainWorld(
  'trailcase',
  buildPreloadApi(__TRAILCASE_METHODS__, (channel, args) => ipcRenderer.invoke(channel, args)),
);
