// The one way an API method is declared. Arguments are a zod schema (checked at
// every transport boundary, because the renderer and the network are untrusted);
// the result type is carried as a phantom so the renderer's API type is derived
// from this table and cannot drift from the handlers.
import { z } from 'zod';

export interface MethodSpec<A extends z.ZodTypeAny, R> {
  readonly args: A;
  /** 'read' methods never change the case; 'write' ones are custody-logged by their handler. */
  readonly access: 'read' | 'write';
  readonly doc: string;
  readonly __result?: R;
}

export function read<A extends z.ZodTypeAny>(args: A, doc: string) {
  return { returns: <R>(): MethodSpec<A, R> => ({ args, access: 'read', doc }) };
}
export function write<A extends z.ZodTypeAny>(args: A, doc: string) {
  return { returns: <R>(): MethodSpec<A, R> => ({ args, access: 'write', doc }) };
}

export type AnySpec = MethodSpec<z.ZodTypeAny, unknown>;
export type ArgsOf<S> = S extends MethodSpec<infer A, unknown> ? z.input<A> : never;
export type ParsedArgsOf<S> = S extends MethodSpec<infer A, unknown> ? z.output<A> : never;
export type ResultOf<S> = S extends MethodSpec<z.ZodTypeAny, infer R> ? R : never;
