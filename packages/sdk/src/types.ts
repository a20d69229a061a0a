/**
 * Shapes of the authlink HTTP API (`/api/v1`), as requests take them and answers carry them.
 * Timestamps are ISO 8601 strings.
 */

// ── Shared ──────────────────────────────────────────────────────────────────

/** How a connected account authenticates to its app. `OAUTH2` is the server's default. */
export type AuthScheme =
  | 'OAUTH2'
  | 'OAUTH1'
  | 'API_KEY'
  | 'BASIC'
  | 'BEARER_TOKEN'
  | 'BASIC_WITH_JWT'
  | 'GOOGLE_SERVICE_ACCOUNT'
  | 'CLIENT_CREDENTIALS'
  | 'NO_AUTH';

/**
 * Lifecycle of a connected account: `INITIATED` → `ACTIVE` or `FAILED`; `ACTIVE` → `EXPIRED`
 * (refresh failed for good); `ACTIVE` ↔ `INACTIVE` (disabled); any but `ACTIVE` → `INITIATED`
 * (re-initiated).
 */
export type ConnectionStatus = 'INITIATED' | 'ACTIVE' | 'FAILED' | 'EXPIRED' | 'INACTIVE';

/** One page of a list. Pass `nextCursor` back as `cursor` for the next page; `null` on the last. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Paging parameters every list takes. */
export interface PageParams {
  /** Page size; the server caps it. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

// ── Apps ────────────────────────────────────────────────────────────────────

/** A field a scheme needs, supplied by the end user (an API key, a shop name…) or by the integration. */
export interface FieldDefinition {
  name: string;
  label: string;
  description?: string;
  /** Secret fields are stored encrypted and never returned outside `credentials`. */
  secret: boolean;
  required: boolean;
  suppliedBy: 'user' | 'integration';
  /** A regular expression the value must match. */
  pattern?: string;
  placeholder?: string;
}

/** One way an app can be connected to. */
export interface AppAuthScheme {
  scheme: AuthScheme;
  fields: FieldDefinition[];
  defaultScopes: string[];
  /** Whether the OAuth flow uses PKCE (RFC 7636). */
  pkce: boolean;
}

/** A catalog entry for a third-party service. */
export interface App {
  /** Stable identifier, e.g. `github`, `gmail`. */
  key: string;
  name: string;
  description: string;
  categories: string[];
  docsUrl: string | null;
  /** The app's API base URL; proxied requests go there. */
  baseUrl: string | null;
  authSchemes: AppAuthScheme[];
}

/** Parameters of `apps.list`. */
export type ListAppsParams = PageParams;

// ── Integrations ────────────────────────────────────────────────────────────

/**
 * An integration's auth configuration as sent. For an app outside the catalog give
 * `authorizationUrl`, `tokenUrl` and `baseUrl`, or just `issuer` (OpenID Connect
 * discovery fills the rest). Scheme-specific extra members are allowed.
 */
export interface IntegrationAuthConfig {
  clientId?: string;
  /** Stored encrypted; never returned. */
  clientSecret?: string;
  scopes?: readonly string[];
  authorizationUrl?: string;
  tokenUrl?: string;
  baseUrl?: string;
  issuer?: string;
  [member: string]: unknown;
}

/** The non-secret part of an integration's auth configuration, as returned. */
export interface IntegrationAuthConfigView {
  authorizationUrl?: string;
  tokenUrl?: string;
  baseUrl?: string;
  issuer?: string;
}

/** A project's configuration of one app. The client secret is never returned. */
export interface Integration {
  id: string;
  app: string;
  name: string;
  authScheme: AuthScheme;
  scopes: string[];
  clientId: string | null;
  hasClientSecret: boolean;
  authConfig: IntegrationAuthConfigView;
  createdAt: string;
  updatedAt: string;
}

/** Body of `integrations.create`. */
export interface CreateIntegrationParams {
  /** A catalog app key, or a new key for an app outside the catalog. */
  app: string;
  name?: string;
  authScheme?: AuthScheme;
  authConfig?: IntegrationAuthConfig;
}

/** Body of `integrations.update`; omitted members stay as they are. */
export interface UpdateIntegrationParams {
  name?: string;
  scopes?: readonly string[];
  authConfig?: IntegrationAuthConfig;
}

/** Parameters of `integrations.list`. */
export interface ListIntegrationsParams extends PageParams {
  app?: string;
}

// ── Connected accounts ──────────────────────────────────────────────────────

/** The link of one entity to one integration. Holds no secrets; see `credentials`. */
export interface ConnectedAccount {
  id: string;
  status: ConnectionStatus;
  entityId: string;
  integrationId: string;
  app: string;
  authScheme: AuthScheme;
  labels: string[];
  /** Why the account is in its status (e.g. the provider's error), when known. */
  statusReason: string | null;
  /** Non-secret fields the account was connected with, such as a Shopify `shop`. */
  data: Record<string, string>;
  /** Which account at the provider this is (ID token, userinfo or the app's test endpoint); null when unknown. */
  accountIdentity: AccountIdentity | null;
  /** OAuth scopes asked for and granted; null for schemes without scopes. */
  requestedScopes: string[] | null;
  grantedScopes: string[] | null;
  createdAt: string;
  updatedAt: string;
}

/** The provider's account behind a connection. Only what the provider said is present. */
export interface AccountIdentity {
  id?: string;
  login?: string;
  email?: string;
  name?: string;
}

/** What `entity.initiateConnection` takes: everything `connectedAccounts.initiate` does but the entity. */
export interface EntityInitiateConnectionParams {
  /** The integration to connect through. One of `integrationId` and `app` is required. */
  integrationId?: string;
  /** The app to connect to; the server creates an integration for it when there is none. */
  app?: string;
  labels?: readonly string[];
  /** Where the end user's browser goes once the flow completes. */
  redirectUrl?: string;
  authScheme?: AuthScheme;
  authConfig?: IntegrationAuthConfig;
  /**
   * The fields the scheme and app need, by uniform names: `API_KEY` → `apiKey`;
   * `BASIC` → `username`, `password`; `BEARER_TOKEN` → `token`; app extras such as `shop`.
   */
  data?: Record<string, string>;
  /**
   * `API_KEY`, `BASIC` and `BEARER_TOKEN` credentials are checked against the app's test endpoint
   * before the account becomes ACTIVE; `false` skips the check. Default `true`.
   */
  validate?: boolean;
}

/** Body of `connectedAccounts.initiate`. */
export interface InitiateConnectionParams extends EntityInitiateConnectionParams {
  /** The end user; `default` when omitted. */
  entityId?: string;
}

/** Status of a connection right after it was initiated. */
export type InitiatedConnectionStatus = Extract<ConnectionStatus, 'INITIATED' | 'ACTIVE'>;

/** Answer to initiate and reinitiate. */
export interface InitiateConnectionResponse {
  /** `ACTIVE` when every field was supplied at once; `INITIATED` when the end user still has to act. */
  connectionStatus: InitiatedConnectionStatus;
  connectedAccountId: string;
  /** Where to send the end user's browser next (OAuth consent or a hosted form); `null` if nowhere. */
  redirectUrl: string | null;
}

/** Body of `connectedAccounts.reinitiate`. */
export interface ReinitiateConnectionParams {
  redirectUrl?: string;
  data?: Record<string, string>;
  validate?: boolean;
  /** Scopes to add to those asked for before; only the missing ones are asked where the provider allows. */
  scopes?: readonly string[];
}

/** Filters for connected accounts, short of the entity and paging. */
export interface ConnectedAccountFilters {
  app?: string;
  integrationId?: string;
  status?: ConnectionStatus;
  /** Accounts must carry every one of these labels. */
  labels?: readonly string[];
  /** The provider account's id, login or email. */
  accountIdentity?: string;
}

/** Parameters of `connectedAccounts.list`. */
export interface ListConnectedAccountsParams extends ConnectedAccountFilters, PageParams {
  entityId?: string;
}

/** Body of `connectedAccounts.update`: the labels replace the current ones. */
export interface UpdateConnectedAccountParams {
  labels: readonly string[];
}

/** Answer to `connectedAccounts.delete`. The credentials are erased. */
export interface DeleteConnectedAccountResponse {
  id: string;
  deleted: true;
  /** How revoking the tokens at the provider went; the account is erased either way. */
  revocation: 'succeeded' | 'failed' | 'not_supported' | 'not_applicable';
}

/**
 * Credential values by scheme. OAuth: `accessToken`, `tokenType`, `expiresAt`, `scope`,
 * maybe `refreshToken`; `API_KEY`: `apiKey`; `BASIC`: `username`, `password`;
 * `BEARER_TOKEN`: `token`. Other schemes and apps may add members.
 */
export interface Credentials {
  accessToken?: string;
  tokenType?: string;
  /** When `accessToken` expires; `null` if it does not. */
  expiresAt?: string | null;
  scope?: string;
  refreshToken?: string;
  apiKey?: string;
  username?: string;
  password?: string;
  token?: string;
  [member: string]: unknown;
}

/** Answer to `connectedAccounts.credentials`. A token near expiry is refreshed before it is returned. */
export interface ConnectedAccountCredentials {
  connectedAccountId: string;
  authScheme: AuthScheme;
  credentials: Credentials;
}

// ── Entities ────────────────────────────────────────────────────────────────

/** An end user of the project with all its connected accounts. */
export interface EntityDetails {
  id: string;
  connectedAccounts: ConnectedAccount[];
}

// ── Proxy ───────────────────────────────────────────────────────────────────

/** HTTP methods the proxy forwards. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** A query parameter value; arrays repeat the parameter. `undefined` members are left out. */
export type QueryValue = string | number | boolean | readonly (string | number | boolean)[] | undefined;

/** Query parameters by name. */
export type QueryParams = Record<string, QueryValue>;

/** A request to forward to the connected account's app. */
export interface ProxyRequest {
  /** Default `GET`. */
  method?: HttpMethod;
  /** Path under the app's API base URL, e.g. `/user`. May carry an already-encoded query string. */
  path: string;
  query?: QueryParams;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON (with `content-type: application/json` unless set). */
  body?: unknown;
}

/** The upstream answer, whatever its status. */
export interface ProxyResponse<T = unknown> {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** Parsed JSON when the content type is JSON, else the body text. */
  data: T;
}
