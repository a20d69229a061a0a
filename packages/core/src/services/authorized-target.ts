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
  return {
    connectedAccountId: row.id,
    app: integration.app,
    baseUrl,
    defaultHeaders: app?.defaultHeaders ?? {},
    applyCredentials: (request) => scheme.apply(credentials, resolved, data, request, client),
  };
}
