// The one handler table. Every transport (Electron IPC, the CLI, the loopback
// browser host) calls `dispatch`, which validates the arguments against the
// method's schema in shared/api before any handler runs.
import type { z } from 'zod';
import { api, isMethodName, type Api, type MethodName } from '../../shared/api/index.ts';
import type { MethodSpec, ParsedArgsOf, ResultOf } from '../../shared/api/define.ts';
import { BadRequest, UserError } from '../errors.ts';
import type { HandlerContext } from './context.ts';
import { caseHandlers } from './case-handlers.ts';
import { analysisHandlers } from './analysis-handlers.ts';
import { appHandlers } from './app-handlers.ts';
import { timelineHandlers } from './timeline-handlers.ts';
import { reportHandlers } from './report-handlers.ts';
import { acquireHandlers } from './acquire-handlers.ts';
import { profileHandlers } from './profile-handlers.ts';
import { queryHandlers } from './query-handlers.ts';

export type Handler<S> = (ctx: HandlerContext, args: ParsedArgsOf<S>) => ResultOf<S> | Promise<ResultOf<S>>;
export type HandlerTable<T extends Record<string, MethodSpec<z.ZodTypeAny, unknown>>> = { [K in keyof T]: Handler<T[K]> };

export const handlers: HandlerTable<Api> = {
  ...acquireHandlers,
  ...caseHandlers,
  ...analysisHandlers,
  ...appHandlers,
  ...timelineHandlers,
  ...reportHandlers,
  ...profileHandlers,
  ...queryHandlers,
};

/** Validate and run one call. Throws BadRequest for an unknown method or bad arguments. */
export async function dispatch<K extends MethodName>(ctx: HandlerContext, method: K | string, rawArgs: unknown): Promise<ResultOf<Api[K]>> {
  if (typeof method !== 'string' || !isMethodName(method)) throw new BadRequest(`unknown method ${String(method).slice(0, 80)}`);
  const spec = api[method] as MethodSpec<z.ZodTypeAny, unknown>;
  const parsed = spec.args.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BadRequest(`${method}: bad arguments: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? ''}`.trim());
  }
  const h = handlers[method] as Handler<unknown>;
  return (await h(ctx, parsed.data as never)) as ResultOf<Api[K]>;
}

export { BadRequest, UserError };
