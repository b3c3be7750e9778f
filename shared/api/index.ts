// The one API between the UI and the back end. Each domain declares its methods
// in its own file; this table merges them. Electron IPC, the CLI and the
// loopback browser host are thin transports over the handler table that
// implements exactly these methods (electron/api/handlers.ts), and the
// renderer's type is derived from here, so the two sides cannot drift.
import type { ArgsOf, ResultOf } from './define.ts';
import { caseApi } from './case.ts';
import { analysisApi } from './analysis.ts';
import { appApi } from './app.ts';
import { timelineApi } from './timeline.ts';
import { reportApi } from './report.ts';
import { acquireApi } from './acquire.ts';
import { profileApi } from './profile.ts';
import { queryApi } from './query.ts';
import { localApi } from './local.ts';

export const api = {
  ...acquireApi,
  ...caseApi,
  ...analysisApi,
  ...appApi,
  ...timelineApi,
  ...reportApi,
  ...profileApi,
  ...queryApi,
} as const;

export type Api = typeof api;
export type MethodName = keyof Api;

/**
 * The one table `dispatch` serves: the page methods above and the local ones
 * (shared/api/local.ts), which only the CLI and the shell's case process call.
 * Transports facing a page (IPC, the browser host) accept `api` names only.
 */
export const allMethods = { ...api, ...localApi } as const;
export type AllApi = typeof allMethods;
export type AnyMethodName = keyof AllApi;

export function isAnyMethodName(s: string): s is AnyMethodName {
  return Object.prototype.hasOwnProperty.call(allMethods, s);
}

/** A method's arguments as a caller writes them (the schema's input) and its answer. */
export type ArgsFor<K extends AnyMethodName> = ArgsOf<AllApi[K]>;
export type AnswerOf<K extends AnyMethodName> = ResultOf<AllApi[K]>;

/** What the renderer calls: one async function per method. */
export type RendererApi = { [K in MethodName]: (args: ArgsOf<Api[K]>) => Promise<ResultOf<Api[K]>> };

export function isMethodName(s: string): s is MethodName {
  return Object.prototype.hasOwnProperty.call(api, s);
}

/** The error shape every transport returns. */
export interface ApiError {
  error: { message: string; code: 'bad-request' | 'not-found' | 'failed' | 'forbidden' };
}
