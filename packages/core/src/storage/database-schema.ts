import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Table shapes as Kysely sees them. Times are ISO-8601 UTC strings (they sort as text on every
 * database); JSON columns are text. Columns ending in `_ciphertext` hold vault output only.
 */
export interface ProjectsTable {
  id: string;
  name: string;
  created_at: string;
  /** JSON array of origins or URL prefixes; empty means any http(s) URL. */
  allowed_redirect_urls: Generated<string>;
  require_same_browser: Generated<number>;
  confirmation_url: string | null;
}

export interface ApiKeysTable {
  id: string;
  project_id: string;
  key_hash: string;
  key_prefix: string;
  created_at: string;
}

export interface IntegrationsTable {
  id: string;
  project_id: string;
  app: string;
  name: string;
  auth_scheme: string;
  client_id: string | null;
  client_secret_ciphertext: string | null;
  scopes: string;
  /** Non-secret settings: endpoint URLs, issuer, discovered metadata, token endpoint auth method. */
  config: string;
  created_at: string;
  updated_at: string;
  /** When the issuer's metadata was last read (integrations configured by `issuer`). */
  metadata_refreshed_at: string | null;
}

export interface EntitiesTable {
  project_id: string;
  id: string;
  created_at: string;
}

export interface ConnectedAccountsTable {
  id: string;
  project_id: string;
  entity_id: string;
  integration_id: string;
  app: string;
  auth_scheme: string;
  status: string;
  status_reason: string | null;
  /** Non-secret end-user fields, e.g. a Shopify shop. */
  data: string;
  credentials_ciphertext: string | null;
  redirect_url: string | null;
  created_at: string;
  updated_at: string;
  /** Fencing token: bumped by every credential write; a refresh writes only over the version it read. */
  credentials_version: Generated<number>;
  credentials_obtained_at: string | null;
  access_expires_at: string | null;
  refresh_lease_owner: string | null;
  refresh_lease_expires_at: string | null;
  refresh_failures: Generated<number>;
  next_refresh_at: string | null;
  /** Set while the initiator's server has yet to confirm the user (the project's confirmation step). */
  confirmation_hash: string | null;
  /** The account at the provider (non-secret): its id, login, email and name when known. */
  identity_id: string | null;
  identity_login: string | null;
  identity_email: string | null;
  identity_name: string | null;
  /** JSON arrays of scope strings; null for schemes without scopes. */
  requested_scopes: string | null;
  granted_scopes: string | null;
  /** The initiator passed `validate: false`: credentials are not checked against the app's test endpoint. */
  skip_validation: Generated<number>;
}

export interface ConnectedAccountLabelsTable {
  connected_account_id: string;
  label: string;
}

/** Single-use links sent to the end user's browser: `/connect/{token}`. */
export interface ConnectLinksTable {
  token_hash: string;
  project_id: string;
  connected_account_id: string;
  expires_at: string;
  used_at: string | null;
  created_at: string;
  browser_binding_hash: string | null;
}

/** Pending OAuth authorizations, found again by the hash of `state` on the callback. */
export interface OAuthStatesTable {
  state_hash: string;
  project_id: string;
  connected_account_id: string;
  /** PKCE verifier, nonce and whatever else the scheme needs at the callback. */
  pending_ciphertext: string;
  expires_at: string;
  used_at: string | null;
  created_at: string;
  /** Hash of the cookie set on the browser that opened the connect link, when the project binds flows. */
  browser_binding_hash: string | null;
}

export interface AuditEventsTable {
  id: string;
  project_id: string;
  at: string;
  /** `key:<api key id>`, `browser`, or `system`. */
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  outcome: string;
  /** JSON object of non-secret facts (status from/to, app, upstream status…). */
  detail: string;
}

export interface MigrationsTable {
  name: string;
  applied_at: string;
  seq: Generated<number>;
}

export interface Database {
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  integrations: IntegrationsTable;
  entities: EntitiesTable;
  connected_accounts: ConnectedAccountsTable;
  connected_account_labels: ConnectedAccountLabelsTable;
  connect_links: ConnectLinksTable;
  oauth_states: OAuthStatesTable;
  audit_events: AuditEventsTable;
}

export type ProjectRow = Selectable<ProjectsTable>;
export type IntegrationRow = Selectable<IntegrationsTable>;
export type NewIntegrationRow = Insertable<IntegrationsTable>;
export type IntegrationUpdate = Updateable<IntegrationsTable>;
export type ConnectedAccountRow = Selectable<ConnectedAccountsTable>;
export type NewConnectedAccountRow = Insertable<ConnectedAccountsTable>;
export type ConnectedAccountUpdate = Updateable<ConnectedAccountsTable>;
