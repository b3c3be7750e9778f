// The errors every layer throws, and the one mapping from any thrown error to
// the contract's error shape (ApiError in shared/api). Every transport uses
// `toApiError`: Electron IPC (main/ipc.ts), the case process (main/case-service.ts),
// the loopback host (host/server.ts, which also takes its HTTP status from
// `httpStatus`) and the CLI (cli/main.ts, which takes its exit code from
// `exitCode`). The code comes from the error's class, never from its message.
//
//   class            code          HTTP  CLI exit  meaning
//   BadRequest       bad-request   400   2         arguments or method are wrong (the caller fixes the call)
//   UserError        bad-request   400   its own   refused, for a reason the message gives the examiner
//   NotFound         not-found     400   2         the named item (event, finding, case file) is not there
//   Forbidden        forbidden     403   2         the caller may not do this
//   CodedError       its own       by code         a code carried across a process boundary
//   anything else    failed        500   2         something broke (the message says what)
// The host answers 404 only for a method that does not exist (a path it does
// not serve); a handler's "not found" is an answer of that method (400, code in the body).
import type { ApiError } from '../shared/api/index.ts';

export type ErrorCode = ApiError['error']['code'];

/** An error that carries its code: what another process replied, or a transport's own refusal. */
export class CodedError extends Error {
  constructor(
    message: string,
    readonly code: ErrorCode,
  ) {
    super(message);
    this.name = 'CodedError';
  }
}

// An error meant for the examiner: printed as one clear line, no stack trace.
export class UserError extends Error {
  readonly code: ErrorCode = 'bad-request';
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UserError';
  }
}

/** The named item is not in the case (an event id, a finding id, a case file). */
export class NotFound extends UserError {
  override readonly code: ErrorCode = 'not-found';
  constructor(message: string) {
    super(message);
    this.name = 'NotFound';
  }
}

/** Unknown method or arguments that fail the method's schema. */
export class BadRequest extends CodedError {
  constructor(message: string) {
    super(message, 'bad-request');
    this.name = 'BadRequest';
  }
}

export class Forbidden extends CodedError {
  constructor(message: string) {
    super(message, 'forbidden');
    this.name = 'Forbidden';
  }
}

const CODES: ReadonlySet<string> = new Set<ErrorCode>(['bad-request', 'not-found', 'failed', 'forbidden']);

function codeOf(e: unknown): ErrorCode {
  if (e instanceof CodedError || e instanceof UserError) return e.code;
  // An error that lost its class on the way (structured clone between processes) but kept the
  // contract's code field. Node's own codes (ENOENT, ...) are not contract codes: they are failures.
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CODES.has(code) ? (code as ErrorCode) : 'failed';
}

/**
 * Any thrown value as the contract's error shape. `method` names the call in the
 * message of an unexpected failure (the message alone may not say which call broke).
 */
export function toApiError(e: unknown, method?: string): ApiError {
  const code = codeOf(e);
  const raw = e instanceof Error ? e.message : String(e);
  const message = code === 'failed' && method ? `${method}: ${raw}` : raw;
  return { error: { code, message } };
}

export function httpStatus(code: ErrorCode): number {
  return code === 'forbidden' ? 403 : code === 'failed' ? 500 : 400;
}

/** The CLI's exit code for a thrown error. */
export function exitCode(e: unknown): number {
  return e instanceof UserError ? e.exitCode : 2;
}
