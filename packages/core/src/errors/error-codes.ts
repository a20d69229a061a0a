/**
 * The one table of error codes. Each code is stable public API: clients switch on it.
 * The HTTP status lives here so that the mapping to RFC 9457 happens in exactly one place.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  INVALID_REDIRECT_URL: { status: 400, title: 'The redirect URL is not allowed' },
  UNKNOWN_APP: { status: 400, title: 'The app is not in the catalog' },
  UNSUPPORTED_AUTH_SCHEME: { status: 400, title: 'The app does not support this auth scheme' },
  INTEGRATION_CONFIG_INVALID: { status: 400, title: 'The integration configuration is incomplete or invalid' },
  AMBIGUOUS_INTEGRATION: { status: 400, title: 'Several integrations match; pass integrationId' },
  DISCOVERY_FAILED: { status: 400, title: 'OpenID Connect discovery failed' },
  MISSING_FIELD: { status: 400, title: 'A required field is missing' },
  CONFIRMATION_INVALID: { status: 400, title: 'The confirmation code does not match' },
  PROXY_TARGET_REFUSED: { status: 400, title: "The proxy only reaches the app's own API host" },
  NO_API_BASE_URL: { status: 400, title: 'The app has no API base URL' },
  INVALID_FIELD: { status: 400, title: 'A field value is not valid' },
  CREDENTIALS_REJECTED: { status: 400, title: "The app refused the credentials" },
  UNAUTHORIZED: { status: 401, title: 'Missing or invalid API key' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  APP_NOT_FOUND: { status: 404, title: 'App not found' },
  INTEGRATION_NOT_FOUND: { status: 404, title: 'Integration not found' },
  CONNECTED_ACCOUNT_NOT_FOUND: { status: 404, title: 'Connected account not found' },
  ENTITY_NOT_FOUND: { status: 404, title: 'Entity not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  CONFLICT: { status: 409, title: 'Conflict' },
  INVALID_STATE_TRANSITION: { status: 409, title: 'The connected account is not in a state that allows this' },
  CONNECTION_NOT_ACTIVE: { status: 409, title: 'The connected account is not active' },
  INTEGRATION_IN_USE: { status: 409, title: 'The integration still has connected accounts' },
  CONNECT_LINK_INVALID: { status: 410, title: 'The connect link is invalid, used or expired' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  PROVIDER_ERROR: { status: 502, title: 'The provider answered with an error' },
  PROVIDER_UNREACHABLE: { status: 502, title: 'The provider could not be reached' },
  CREDENTIALS_UNVERIFIED: { status: 502, title: 'The credentials could not be checked with the app' },
  UPSTREAM_UNREACHABLE: { status: 502, title: "The app's API could not be reached" },
  UPSTREAM_TIMEOUT: { status: 504, title: "The app's API did not answer in time" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
