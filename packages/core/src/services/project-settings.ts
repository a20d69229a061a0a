import { AuthlinkError } from '../errors/authlink-error.js';
import type { Executor } from '../storage/executor.js';
import { findProject, updateProjectSettings } from '../storage/repositories/project-repository.js';
import { validateRedirectUrl } from './redirect-url.js';

export interface ProjectSettings {
  id: string;
  name: string;
  /** Origins (`https://app.example`) or URL prefixes (`https://app.example/connected/`); empty: any http(s) URL. */
  allowedRedirectUrls: string[];
  /** The OAuth callback must come from the browser that opened the connect link (a cookie set there). */
  requireSameBrowser: boolean;
  /**
   * When set, a completed flow is not ACTIVE until the initiator's server confirms the user: the
   * browser is sent here with `connectedAccountId` and `confirmationCode`, and the server calls
   * `POST /connected-accounts/{id}/confirm`. Stops a phished link from attaching someone else's account.
   */
  confirmationUrl: string | null;
  createdAt: string;
}

export interface ProjectSettingsUpdate {
  allowedRedirectUrls?: string[] | undefined;
  requireSameBrowser?: boolean | undefined;
  confirmationUrl?: string | null | undefined;
}

export async function readProjectSettings(db: Executor, projectId: string): Promise<ProjectSettings> {
  const row = await findProject(db, projectId);
  if (!row) throw new AuthlinkError('NOT_FOUND', `no project ${projectId}`);
  return {
    id: row.id,
    name: row.name,
    allowedRedirectUrls: JSON.parse(row.allowed_redirect_urls) as string[],
    requireSameBrowser: row.require_same_browser === 1,
    confirmationUrl: row.confirmation_url,
    createdAt: row.created_at,
  };
}

/** An allow-list entry, normalised: an origin, and a path prefix that ends at a segment boundary. */
function parseEntry(entry: string, path: string): { origin: string; path: string } {
  const url = new URL(validateRedirectUrl(entry, path));
  if (url.search !== '' || url.hash !== '') {
    throw new AuthlinkError('VALIDATION_FAILED', `${path}: an allowed redirect URL has no query or fragment`, { errors: [{ path, message: 'no query or fragment' }] });
  }
  return { origin: url.origin, path: url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/` };
}

/**
 * Compares parsed URLs, never strings: `https://app.example.evil.com` and
 * `https://app.example@evil.com` share a string prefix with `https://app.example` but not an origin.
 */
export function redirectAllowed(allowed: readonly string[], redirectUrl: string): boolean {
  if (allowed.length === 0) return true;
  const url = new URL(redirectUrl);
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return allowed.some((entry) => {
    const rule = parseEntry(entry, '/allowedRedirectUrls');
    return url.origin === rule.origin && path.startsWith(rule.path);
  });
}

export async function assertRedirectAllowed(db: Executor, projectId: string, redirectUrl: string): Promise<void> {
  const { allowedRedirectUrls } = await readProjectSettings(db, projectId);
  if (!redirectAllowed(allowedRedirectUrls, redirectUrl)) {
    throw new AuthlinkError('INVALID_REDIRECT_URL', 'redirectUrl is not in the project\'s allowed redirect URLs', {
      errors: [{ path: '/redirectUrl', message: 'not allowed for this project' }],
    });
  }
}

export async function writeProjectSettings(db: Executor, projectId: string, update: ProjectSettingsUpdate): Promise<ProjectSettings> {
  const columns: Parameters<typeof updateProjectSettings>[2] = {};
  if (update.allowedRedirectUrls !== undefined) {
    update.allowedRedirectUrls.forEach((entry, i) => parseEntry(entry, `/allowedRedirectUrls/${i}`));
    columns.allowed_redirect_urls = JSON.stringify([...new Set(update.allowedRedirectUrls)]);
  }
  if (update.requireSameBrowser !== undefined) columns.require_same_browser = update.requireSameBrowser ? 1 : 0;
  if (update.confirmationUrl !== undefined) {
    columns.confirmation_url = update.confirmationUrl === null ? null : validateRedirectUrl(update.confirmationUrl, '/confirmationUrl');
  }
  if (Object.keys(columns).length > 0) await updateProjectSettings(db, projectId, columns);
  return readProjectSettings(db, projectId);
}
