// The one handler table. Every transport (Electron IPC through the case
// process, the CLI, the loopback browser host) calls `dispatch`, which
// validates the arguments against the method's schema in shared/api before any
// handler runs, and hands a method that runs on a case the open case.
import type { z } from 'zod';
import { allMethods, isAnyMethodName, type AllApi, type AnyMethodName } from '../../shared/api/index.ts';
import type { Caseless, MethodSpec, ParsedArgsOf, ResultOf } from '../../shared/api/define.ts';
import { BadRequest, UserError } from '../errors.ts';
import type { HandlerContext, ToolContext } from './context.ts';
import { caseHandlers } from './case-handlers.ts';
import { analysisHandlers } from './analysis-handlers.ts';
import { appHandlers } from './app-handlers.ts';
import { timelineHandlers } from './timeline-handlers.ts';
import { reportHandlers } from './report-handlers.ts';
import { acquireHandlers } from './acquire-handlers.ts';
import { profileHandlers } from './profile-handlers.ts';
import { queryHandlers } from './query-handlers.ts';
import { localHandlers } from './local-handlers.ts';

export type Handler<S> = (ctx: Caseless<S> extends true ? ToolContext : HandlerContext, args: ParsedArgsOf<S>) => ResultOf<S> | Promise<ResultOf<S>>;
export type HandlerTable<T extends Record<string, MethodSpec<z.ZodTypeAny, unknown>>> = { [K in keyof T]: Handler<T[K]> };

export const handlers: HandlerTable<AllApi> = {
  ...acquireHandlers,
  ...caseHandlers,
  ...analysisHandlers,
  ...appHandlers,
  ...timelineHandlers,
  ...reportHandlers,
  ...profileHandlers,
  ...queryHandlers,
  ...localHandlers,
};

/**
 * Validate and run one call. Throws BadRequest for an unknown method or bad
 * arguments, UserError for a method that needs a case when none is open.
 */
export async function dispatch<K extends AnyMethodName>(ctx: ToolContext, method: K | string, rawArgs: unknown): Promise<ResultOf<AllApi[K]>> {
  if (typeof method !== 'string' || !isAnyMethodName(method)) throw new BadRequest(`unknown method ${String(method).slice(0, 80)}`);
  const spec = allMethods[method] as MethodSpec<z.ZodTypeAny, unknown>;
  if (spec.needs === 'case' && !ctx.store) throw new UserError(`${method}: no case is open: open or create one first`);
  const parsed = spec.args.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BadRequest(`${method}: bad arguments: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? ''}`.trim());
  }
  const h = handlers[method] as Handler<unknown>;
  // A read method gets the case through its read-only connection, so the declared access is
  // enforced by SQLite rather than by convention (docs/architecture.md, "The data layer").
  const c = spec.access === 'read' && ctx.store ? { ...ctx, store: ctx.store.readView() } : ctx;
  return (await h(c as HandlerContext, parsed.data as never)) as ResultOf<AllApi[K]>;
}

export { BadRequest, UserError };
