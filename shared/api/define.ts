// The one way an API method is declared. Arguments are a zod schema (checked at
// every transport boundary, because the renderer and the network are untrusted);
// the result type is carried as a phantom so the renderer's API type is derived
// from this table and cannot drift from the handlers.
import { z } from 'zod';

/**
 * What a method runs on: 'case' methods on the open case (the handler gets it);
 * 'none' methods work on files outside any open case (a report folder, a
 * handoff file, a case still to be created), so a transport can call them
 * before a case is open.
 */
export type Needs = 'case' | 'none';

export interface MethodSpec<A extends z.ZodTypeAny, R, N extends Needs = Needs> {
  readonly args: A;
  /** 'read' methods never change the case; 'write' ones are custody-logged by their handler. */
  readonly access: 'read' | 'write';
  readonly needs: N;
  readonly doc: string;
  readonly __result?: R;
}

export function read<A extends z.ZodTypeAny, N extends Needs = 'case'>(args: A, doc: string, opts: { needs?: N } = {}) {
  return { returns: <R>(): MethodSpec<A, R, N> => ({ args, access: 'read', needs: (opts.needs ?? 'case') as N, doc }) };
}
export function write<A extends z.ZodTypeAny, N extends Needs = 'case'>(args: A, doc: string, opts: { needs?: N } = {}) {
  return { returns: <R>(): MethodSpec<A, R, N> => ({ args, access: 'write', needs: (opts.needs ?? 'case') as N, doc }) };
}

export type AnySpec = MethodSpec<z.ZodTypeAny, unknown>;
export type ArgsOf<S> = S extends MethodSpec<infer A, unknown> ? z.input<A> : never;
/** Whether a method runs without an open case. */
export type Caseless<S> = S extends MethodSpec<z.ZodTypeAny, unknown, 'none'> ? true : false;
export type ParsedArgsOf<S> = S extends MethodSpec<infer A, unknown> ? z.output<A> : never;
export type ResultOf<S> = S extends MethodSpec<z.ZodTypeAny, infer R> ? R : never;
