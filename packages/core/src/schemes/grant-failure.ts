import * as oauth from 'oauth4webapi';
import { AuthlinkError } from '../errors/authlink-error.js';

/**
 * Who can fix a failed grant: `refused` — the provider said no to these credentials (the user's
 * or the integration's); `unreachable` — no answer in time; `unavailable` — an answer that is not
 * a usable grant (5xx, malformed). Initiation reports the first as a 4xx, the others as a 502;
 * refresh keeps retrying the last two.
 */
export type GrantFailureKind = 'refused' | 'unreachable' | 'unavailable';

/** A token-minting request that did not yield credentials. `reason` carries no secret. */
export class GrantFailure extends Error {
  readonly kind: GrantFailureKind;
  readonly reason: string;
  constructor(kind: GrantFailureKind, reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'GrantFailure';
    this.kind = kind;
    this.reason = reason;
  }
}

function described(error: string, description: string | undefined): string {
  return description ? `${error}: ${description}` : error;
}

/** Classifies what oauth4webapi or fetch threw for a token endpoint request. */
export function toGrantFailure(error: unknown): GrantFailure {
  if (error instanceof GrantFailure) return error;
  if (error instanceof oauth.ResponseBodyError) {
    // RFC 6749 §5.2: an error answer is 400 (401 for invalid_client); a 5xx is the server's trouble.
    const kind = error.status >= 500 ? 'unavailable' : 'refused';
    return new GrantFailure(kind, `token request refused: ${described(error.error, error.error_description)}`, { cause: error });
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const challenge = error.cause[0];
    const detail = challenge?.parameters.error ? described(challenge.parameters.error, challenge.parameters.error_description) : `HTTP ${error.status}`;
    return new GrantFailure(error.status >= 500 ? 'unavailable' : 'refused', `token request refused: ${detail}`, { cause: error });
  }
  if (error instanceof oauth.OperationProcessingError) return new GrantFailure('unavailable', `token response rejected: ${error.message}`, { cause: error });
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new GrantFailure('unreachable', 'token endpoint timed out', { cause: error });
  }
  if (error instanceof TypeError) return new GrantFailure('unreachable', 'token endpoint unreachable', { cause: error });
  return new GrantFailure('unavailable', 'token request failed', { cause: error });
}

/**
 * The error initiation answers with: `refused` as the caller's own error (the scheme says which
 * field or setting), the rest as the provider's (502), so that nothing is stored either way.
 */
export function initiationError(failure: GrantFailure, refused: (reason: string) => AuthlinkError): AuthlinkError {
  if (failure.kind === 'refused') return refused(failure.reason);
  return new AuthlinkError(failure.kind === 'unreachable' ? 'PROVIDER_UNREACHABLE' : 'PROVIDER_ERROR', failure.reason, { cause: failure });
}
