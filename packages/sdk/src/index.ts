/**
 * `@authlink/sdk` — typed client for the authlink HTTP API.
 *
 * ```ts
 * import { AuthLink } from '@authlink/sdk';
 * const client = new AuthLink({ apiKey, baseUrl });
 * ```
 */

export { AuthLink, DEFAULT_BASE_URL, DEFAULT_ENTITY_ID, DEFAULT_TIMEOUT_MS } from './client.js';
export type { AuthLinkOptions } from './client.js';

export { Entity, PRIMARY_LABEL } from './entity.js';
export type { GetConnectionParams } from './entity.js';

export { ConnectionRequest, DEFAULT_POLL_INTERVAL_MS, DEFAULT_WAIT_TIMEOUT_MS } from './connection-request.js';
export type { WaitUntilActiveOptions } from './connection-request.js';

export { AutoPaginator } from './pagination.js';

export { AuthLinkError, ConnectionFailedError, ConnectionTimeoutError } from './errors.js';
export type {
  AuthLinkErrorInit,
  FailedConnectionStatus,
  ProblemDetails,
  ProblemFieldError,
  SdkErrorCode,
} from './errors.js';

export type { RequestOptions } from './http.js';

export type { AppsResource } from './resources/apps.js';
export type { ConnectedAccountsResource } from './resources/connected-accounts.js';
export type { EntitiesResource } from './resources/entities.js';
export type { IntegrationsResource } from './resources/integrations.js';

export type {
  AbortSignalLike,
  FetchFunction,
  FetchHeaders,
  FetchInit,
  FetchResponse,
  MinimalAbortSignal,
} from './fetch-types.js';

export type {
  App,
  AppAuthScheme,
  AuthScheme,
  AccountIdentity,
  ConnectedAccount,
  ConnectedAccountCredentials,
  ConnectedAccountFilters,
  ConnectionStatus,
  CreateIntegrationParams,
  Credentials,
  DeleteConnectedAccountResponse,
  EntityDetails,
  EntityInitiateConnectionParams,
  FieldDefinition,
  HttpMethod,
  InitiateConnectionParams,
  InitiateConnectionResponse,
  InitiatedConnectionStatus,
  Integration,
  IntegrationAuthConfig,
  IntegrationAuthConfigView,
  ListAppsParams,
  ListConnectedAccountsParams,
  ListIntegrationsParams,
  Page,
  PageParams,
  ProxyRequest,
  ProxyResponse,
  QueryParams,
  QueryValue,
  ReinitiateConnectionParams,
  UpdateConnectedAccountParams,
  UpdateIntegrationParams,
} from './types.js';
