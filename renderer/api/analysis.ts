// Helpers for the analysis views (IOC list, pivot, checks, findings). The
// views call the back end through RendererApi like every other view; the
// answer types here are the contract's (shared/api/analysis.ts), not copies.
import type { AnswerOf, MethodName } from '../../shared/api/index.ts';
import { hasMethod } from './transport.ts';

export { IOC_TYPES as IOC_TYPE_NAMES } from '../../shared/analysis/ioc.ts';

/** listFindings' answer, and one finding of it with its decision. */
export type FindingsAnswer = AnswerOf<'listFindings'>;
export type FindingRow = FindingsAnswer['items'][number];

/** An indicator with its matches (iocHits). */
export type IocRow = AnswerOf<'iocHits'>['items'][number];

/** Whether the connected back end offers an analysis method (the views say so instead of failing). */
export function analysisAvailable(method: MethodName = 'listFindings'): boolean {
  return hasMethod(method);
}

