import { MissingTemplateFieldError, renderTemplate } from '../catalog/template.js';
import { AuthlinkError } from '../errors/authlink-error.js';
import type { OutgoingRequest } from '../schemes/auth-scheme.js';
import type { FreshCredentials } from './credential-refresher.js';
import { resolveIntegrationScheme } from './scheme-resolution.js';
import { appOf, clientOf, type ServiceContext } from './service-context.js';

/** Everything the proxy needs to call an app's API for an account, and nothing more. */
export interface AuthorizedTarget {
  connectedAccountId: string;
  app: string;
  /** The app's API base URL with the account's fields filled in (e.g. a Shopify shop). */
  baseUrl: URL;
  defaultHeaders: Readonly<Record<string, string>>;
  /** Adds the account's credentials to a request the way the app definition says. */
  applyCredentials(request: OutgoingRequest): void;
}

/** Binds fresh credentials to the app's API: its base URL (with the account's fields) and placement. */
export async function authorizedTarget(ctx: ServiceContext, fresh: FreshCredentials): Promise<AuthorizedTarget> {
  const { row, integration, scheme, credentials } = fresh;
  const app = appOf(ctx, integration.app);
  const resolved = resolveIntegrationScheme(app, integration);
  const data = JSON.parse(row.data) as Record<string, string>;
  // Only schemes that sign each request need the client (the OAuth 1.0a consumer secret).
  const client = scheme.signsEachRequest ? await clientOf(ctx, integration) : undefined;
  if (resolved.baseUrl === '') {
    throw new AuthlinkError('NO_API_BASE_URL', `${integration.app} has no API base URL; set authConfig.baseUrl on integration ${integration.id}`);
  }
  let baseUrl: URL;
  try {
    baseUrl = new URL(renderTemplate(resolved.baseUrl, data, { encode: true }));
  } catch (error) {
    if (error instanceof MissingTemplateFieldError) {
      throw new AuthlinkError('MISSING_FIELD', `the account has no ${error.field}, which the API base URL needs`, { cause: error });
    }
    throw new AuthlinkError('NO_API_BASE_URL', `the API base URL of ${integration.app} is not a URL`, { cause: error });
  }
  const applyCredentials = scheme.signsEachRequest
    ? (request: OutgoingRequest) => scheme.apply(credentials, resolved, data, request, client)
    : placedOnce((request) => scheme.apply(credentials, resolved, data, request));
  return {
    connectedAccountId: row.id,
    app: integration.app,
    baseUrl,
    defaultHeaders: app?.defaultHeaders ?? {},
    applyCredentials,
  };
}

/**
 * A scheme that does not sign each request places the same header and query values on every
 * request (they depend on the credentials and the account's fields only): they are worked out on
 * the first call and copied afterwards, rather than rendered again for every proxied call. A
 * failure (a field the placement needs is missing) is not kept: every call fails the same way.
 */
function placedOnce(apply: (request: OutgoingRequest) => void): (request: OutgoingRequest) => void {
  let placed: { headers: [string, string][]; query: [string, string][] } | undefined;
  return (request) => {
    if (placed === undefined) {
      const probe: OutgoingRequest = { headers: {}, query: new URLSearchParams() };
      apply(probe);
      placed = { headers: Object.entries(probe.headers), query: [...probe.query] };
    }
    for (const [name, value] of placed.headers) request.headers[name] = value;
    for (const [name, value] of placed.query) request.query.set(name, value);
  };
}
