import type { AuthSchemeName } from '../catalog/app-definition.js';
import type { Credentials, Integration } from '../model.js';
import type { ConnectedAccountUpdate } from '../storage/database-schema.js';

/** Schemes whose tokens carry scopes. */
const SCOPED_SCHEMES: ReadonlySet<AuthSchemeName> = new Set(['OAUTH2', 'CLIENT_CREDENTIALS', 'GOOGLE_SERVICE_ACCOUNT']);

export function hasScopes(integration: Pick<Integration, 'authScheme'>): boolean {
  return SCOPED_SCHEMES.has(integration.authScheme);
}

export function union(first: readonly string[], second: readonly string[]): string[] {
  return [...new Set([...first, ...second])];
}

/**
 * The scopes a token response granted. RFC 6749 §5.1: `scope` may be left out when it equals the
 * request; some providers (GitHub, Slack) join scopes with commas instead of spaces.
 */
export function grantedScopes(credentials: Credentials, requested: readonly string[]): string[] {
  if (typeof credentials.scope !== 'string') return [...requested];
  return [...new Set(credentials.scope.split(/[\s,]+/).filter((scope) => scope !== ''))];
}

/** Columns recording what was asked for and, once there are credentials, what was granted. */
export function scopeColumns(
  integration: Pick<Integration, 'authScheme'>,
  requested: readonly string[],
  credentials: Credentials | undefined,
  previouslyGranted: readonly string[] = [],
): Pick<ConnectedAccountUpdate, 'requested_scopes' | 'granted_scopes'> {
  if (!hasScopes(integration)) return {};
  return {
    requested_scopes: JSON.stringify(requested),
    granted_scopes: credentials === undefined ? null : JSON.stringify(union(previouslyGranted, grantedScopes(credentials, requested))),
  };
}

/**
 * What an authorization request asks for. With incremental authorization the provider adds to
 * what was granted before, so only the missing scopes are asked (all of them when none is missing),
 * with `openid` kept so that the answer still says who the user is.
 */
export function scopesToAsk(requested: readonly string[], granted: readonly string[] | null, incremental: boolean): string[] {
  if (!incremental || granted === null) return [...requested];
  const have = new Set(granted);
  const missing = requested.filter((scope) => !have.has(scope));
  if (missing.length === 0) return [...requested];
  return requested.includes('openid') && !missing.includes('openid') ? ['openid', ...missing] : missing;
}
