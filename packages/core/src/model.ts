import type { AuthSchemeName } from './catalog/app-definition.js';

export const CONNECTION_STATUSES = ['INITIATED', 'ACTIVE', 'FAILED', 'EXPIRED', 'INACTIVE'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

export const DEFAULT_ENTITY_ID = 'default';

/** Non-secret integration settings that override or complete the catalog entry. */
export interface IntegrationConfig {
  authorizationUrl?: string;
  tokenUrl?: string;
  revocationUrl?: string;
  userinfoUrl?: string;
  baseUrl?: string;
  issuer?: string;
  jwksUri?: string;
  /** The server says it sends `iss` in authorization responses (RFC 9207 §3): its absence is then an attack. */
  issParameterSupported?: boolean;
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  pkce?: boolean;
  scopeSeparator?: string;
  authorizationParams?: Record<string, string>;
  /** Non-secret integration-level field values (fields the app declares as suppliedBy "integration"). */
  fields?: Record<string, string>;
  /** The settings above that came from the issuer's metadata (and are replaced when it is re-read). */
  discovered?: DiscoveredSetting[];
}

export type DiscoveredSetting = 'authorizationUrl' | 'tokenUrl' | 'revocationUrl' | 'userinfoUrl' | 'issuer' | 'jwksUri' | 'issParameterSupported' | 'tokenEndpointAuthMethod' | 'pkce';

export interface Integration {
  id: string;
  projectId: string;
  app: string;
  name: string;
  authScheme: AuthSchemeName;
  scopes: string[];
  clientId: string | null;
  hasClientSecret: boolean;
  config: IntegrationConfig;
  createdAt: string;
  updatedAt: string;
}

export interface ConnectedAccount {
  id: string;
  projectId: string;
  status: ConnectionStatus;
  statusReason: string | null;
  entityId: string;
  integrationId: string;
  app: string;
  authScheme: AuthSchemeName;
  labels: string[];
  /** Non-secret fields the end user or initiator supplied (a Shopify shop…). */
  data: Record<string, string>;
  redirectUrl: string | null;
  /** Which account at the provider this is, when it could be learned (never a secret). */
  accountIdentity: AccountIdentity | null;
  /** Scopes asked for and granted (OAuth); null for schemes without scopes. */
  requestedScopes: string[] | null;
  grantedScopes: string[] | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * The provider's account behind a connection, read from the ID token, userinfo or the app's test
 * endpoint. Only what the provider said is present.
 */
export interface AccountIdentity {
  id?: string;
  login?: string;
  email?: string;
  name?: string;
}

/** Decrypted credentials; only ever leave the server through the credentials endpoint. */
export type Credentials = Record<string, unknown>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ConnectionResponse {
  connectionStatus: ConnectionStatus;
  connectedAccountId: string;
  redirectUrl: string | null;
}
