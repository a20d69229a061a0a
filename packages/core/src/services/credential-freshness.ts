import type { Credentials } from '../model.js';

/** Refresh at most this long before expiry, however long-lived the token. */
const MAX_MARGIN_MS = 5 * 60 * 1000;
/** …and at most this share of the token's lifetime, so a short-lived token is used before it is renewed. */
const MARGIN_SHARE = 0.25;

export interface CredentialTimes {
  obtainedAt: string;
  expiresAt: string | null;
}

export function credentialTimes(credentials: Credentials, now: Date): CredentialTimes {
  const expiresAt = typeof credentials.expiresAt === 'string' ? credentials.expiresAt : null;
  return { obtainedAt: now.toISOString(), expiresAt };
}

/**
 * Whether credentials should be renewed now. The margin adapts to the token's lifetime: a token
 * valid for an hour is renewed 5 minutes ahead, one valid for 8 seconds 2 seconds ahead — so a
 * token that was just issued is never renewed again at once, however short-lived.
 */
export function isDueForRefresh(times: { obtainedAt: string | null; expiresAt: string | null }, hasAccessToken: boolean, now: Date): boolean {
  if (!hasAccessToken) return true;
  if (times.expiresAt === null) return false;
  const expires = Date.parse(times.expiresAt);
  const obtained = times.obtainedAt === null ? expires - MAX_MARGIN_MS * 4 : Date.parse(times.obtainedAt);
  const margin = Math.min(MAX_MARGIN_MS, Math.max(0, expires - obtained) * MARGIN_SHARE);
  return now.getTime() >= expires - margin;
}

export function isExpired(expiresAt: string | null, now: Date): boolean {
  return expiresAt !== null && now.getTime() >= Date.parse(expiresAt);
}
