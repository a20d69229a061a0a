import type { ConnectedAccount, ConnectionStatus } from './types.js';

/** One field-level problem in a `VALIDATION_FAILED` answer. */
export interface ProblemFieldError {
  /** Where in the request the problem is, e.g. `/authConfig/clientId`. */
  path: string;
  message: string;
}

/**
 * An RFC 9457 problem details document as the authlink server sends it
 * (`application/problem+json`), with the stable `code` extension member.
 */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** Stable, machine-readable error code, e.g. `VALIDATION_FAILED`. */
  code: string;
  instance?: string;
  errors?: ProblemFieldError[];
  /** RFC 9457 §3.2 allows further extension members. */
  [member: string]: unknown;
}

/**
 * Codes the SDK itself produces. Errors answered by the server carry the server's code
 * instead (e.g. `VALIDATION_FAILED`, `UNAUTHORIZED`); an error answer that is not a
 * problem document gets `HTTP_<status>`.
 */
export type SdkErrorCode =
  | 'NETWORK_ERROR'
  | 'REQUEST_TIMEOUT'
  | 'ABORTED'
  | 'INVALID_RESPONSE'
  | 'INVALID_ARGUMENT'
  | 'MISSING_API_KEY'
  | 'CONNECTION_NOT_FOUND'
  | 'CONNECTION_FAILED'
  | 'CONNECTION_TIMEOUT'
  | `HTTP_${number}`;

/** What {@link AuthLinkError} is built from. */
export interface AuthLinkErrorInit {
  code: string;
  message: string;
  /** The HTTP status, when the error is (or stands for) an HTTP answer. */
  status?: number;
  detail?: string;
  problem?: ProblemDetails;
  cause?: unknown;
}

/**
 * Every error the SDK throws or rejects with. Branch on `code`, which is stable;
 * the message is for people. The API key never appears in it.
 */
export class AuthLinkError extends Error {
  override name = 'AuthLinkError';
  /** Stable code: a server code such as `VALIDATION_FAILED`, or one of {@link SdkErrorCode}. */
  readonly code: string;
  /**
   * The HTTP status of the answer, or the one the error stands for (404 for
   * `CONNECTION_NOT_FOUND`); `undefined` when no answer came (network failure, timeout…).
   */
  readonly status: number | undefined;
  /** Human-readable explanation of this occurrence. */
  readonly detail: string | undefined;
  /**
   * The problem document the server answered with. For an error answer that was not a
   * problem document, an `about:blank` problem (RFC 9457 §4.2.1) built from the status.
   * `undefined` when no answer came.
   */
  readonly problem: ProblemDetails | undefined;

  constructor(init: AuthLinkErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status;
    this.detail = init.detail;
    this.problem = init.problem;
  }

  /** Field-level validation errors from the problem document; empty when there are none. */
  get fieldErrors(): ProblemFieldError[] {
    return this.problem?.errors ?? [];
  }
}

/** The statuses a connection can end in without becoming usable. */
export type FailedConnectionStatus = Extract<ConnectionStatus, 'FAILED' | 'EXPIRED' | 'INACTIVE'>;

/**
 * `waitUntilActive` saw the connected account reach `FAILED`, `EXPIRED` or `INACTIVE`.
 * Code `CONNECTION_FAILED`.
 */
export class ConnectionFailedError extends AuthLinkError {
  override name = 'ConnectionFailedError';
  /** The connected account as last read, in its failed status. */
  readonly account: ConnectedAccount;
  /** The account's status: `FAILED`, `EXPIRED` or `INACTIVE`. */
  readonly accountStatus: FailedConnectionStatus;
  /** Why the server says the account got there, when it says. */
  readonly statusReason: string | null;

  constructor(account: ConnectedAccount & { status: FailedConnectionStatus }) {
    const why = account.statusReason === null ? '' : `: ${account.statusReason}`;
    super({
      code: 'CONNECTION_FAILED',
      message: `Connected account ${account.id} is ${account.status}${why}`,
      detail: account.statusReason ?? undefined,
    });
    this.account = account;
    this.accountStatus = account.status;
    this.statusReason = account.statusReason;
  }
}

/**
 * `waitUntilActive` ran out of time before the connected account became `ACTIVE`.
 * Code `CONNECTION_TIMEOUT`; `cause` holds the last transient error, if the last poll failed.
 */
export class ConnectionTimeoutError extends AuthLinkError {
  override name = 'ConnectionTimeoutError';
  readonly connectedAccountId: string;
  readonly timeoutMs: number;
  /** The connected account as last read; `undefined` if no poll succeeded. */
  readonly lastAccount: ConnectedAccount | undefined;

  constructor(init: {
    connectedAccountId: string;
    timeoutMs: number;
    lastAccount: ConnectedAccount | undefined;
    cause?: unknown;
  }) {
    const seen = init.lastAccount === undefined ? '' : ` (last status ${init.lastAccount.status})`;
    super({
      code: 'CONNECTION_TIMEOUT',
      message: `Connected account ${init.connectedAccountId} did not become ACTIVE within ${init.timeoutMs} ms${seen}`,
      cause: init.cause,
    });
    this.connectedAccountId = init.connectedAccountId;
    this.timeoutMs = init.timeoutMs;
    this.lastAccount = init.lastAccount;
  }
}

/** An `INVALID_ARGUMENT` error for a caller mistake caught before any request is sent. */
export function invalidArgument(message: string): AuthLinkError {
  return new AuthLinkError({ code: 'INVALID_ARGUMENT', message });
}

/** The `ABORTED` error for a caller's signal, keeping its reason as `cause`. */
export function abortedError(reason: unknown): AuthLinkError {
  return new AuthLinkError({ code: 'ABORTED', message: 'The request was aborted', cause: reason });
}
