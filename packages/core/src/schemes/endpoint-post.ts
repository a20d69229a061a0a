import { AuthlinkError } from '../errors/authlink-error.js';
import { GrantFailure } from './grant-failure.js';
import { isLoopbackHttp } from './oauth-http.js';

export interface EndpointAnswer {
  status: number;
  contentType: string;
  text: string;
}

const TIMEOUT_MS = 15_000;

/**
 * One POST to a credential endpoint that oauth4webapi does not speak (OAuth 1.0a, a JWT login).
 * Secrets travel both ways, so it must be https — except on the loopback interface, the one
 * exception oauth-http.ts makes too. Redirects are not followed: an Authorization header must
 * never be replayed to wherever a Location points.
 */
export async function postToEndpoint(url: URL, headers: Record<string, string>, body?: URLSearchParams): Promise<EndpointAnswer> {
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) {
    throw new AuthlinkError('INTEGRATION_CONFIG_INVALID', `${url.origin} is not https; credentials are only sent over TLS`);
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      ...(body !== undefined && { body: body.toString() }),
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new GrantFailure('unreachable', `${url.origin} ${timedOut ? 'timed out' : 'is unreachable'}`, { cause: error });
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new GrantFailure('unreachable', `${url.origin} broke off its answer`, { cause: error });
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
}

/** 400/401/403: the endpoint said no to what was sent; anything else non-2xx is its own trouble. */
export function isRefusal(status: number): boolean {
  return status === 400 || status === 401 || status === 403;
}
