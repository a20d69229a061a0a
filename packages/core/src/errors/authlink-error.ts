import { ERROR_CODES, type ErrorCode } from './error-codes.js';

export interface FieldProblem {
  /** JSON pointer or dotted path of the offending input. */
  path: string;
  message: string;
}

export interface AuthlinkErrorOptions {
  cause?: unknown;
  errors?: FieldProblem[];
}

/**
 * The one error type the domain throws on purpose. `detail` is shown to callers, so it must
 * never contain a secret; `cause` is for logs only and is never serialised into an answer.
 */
export class AuthlinkError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  readonly errors: FieldProblem[] | undefined;

  constructor(code: ErrorCode, detail: string, options: AuthlinkErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthlinkError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.title = ERROR_CODES[code].title;
    this.errors = options.errors;
  }
}

export function isAuthlinkError(value: unknown): value is AuthlinkError {
  return value instanceof AuthlinkError;
}
