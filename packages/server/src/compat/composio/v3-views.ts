import type { AppDefinition, AuthSchemeName, ConnectedAccount, ConnectionResponse, Integration } from '@authlink/core';
import { schemeFields, type ComposioField } from './app-fields.js';
import { publicCredentials } from './composio-fields.js';
import { authSchemeToComposio } from './composio-names.js';

/**
 * What @composio/core reads from Composio's v3 API (snake_case on the wire; the SDK converts),
 * built from our objects. Nothing here is a secret: no connection `state` (Composio puts tokens
 * there) and no client secret. Logos, tool counts and similar data authlink does not have are
 * empty or zero where the SDK requires a value, and left out where it does not.
 */

/** `GET /connected_accounts/{id}` and the items of its list. */
export function v3ConnectedAccount(account: ConnectedAccount) {
  return {
    id: account.id,
    user_id: account.entityId,
    status: account.status,
    status_reason: account.statusReason,
    is_disabled: account.status === 'INACTIVE',
    toolkit: { slug: account.app },
    auth_config: { id: account.integrationId, auth_scheme: authSchemeToComposio(account.authScheme), is_composio_managed: false, is_disabled: false },
    data: account.data,
    alias: null,
    word_id: null,
    labels: account.labels,
    created_at: account.createdAt,
    updated_at: account.updatedAt,
  };
}

/**
 * `POST /connected_accounts`: the SDK takes the status and the redirect URL from
 * `connectionData.val`, the way Composio reports a connection's state.
 */
export function v3Initiated(response: ConnectionResponse, authScheme: AuthSchemeName) {
  const val = { status: response.connectionStatus, ...(response.redirectUrl !== null && { redirectUrl: response.redirectUrl }) };
  return {
    id: response.connectedAccountId,
    status: response.connectionStatus,
    redirect_url: response.redirectUrl,
    redirect_uri: response.redirectUrl,
    connectionData: { authScheme: authSchemeToComposio(authScheme), val },
  };
}

function v3Field(field: ComposioField) {
  return { name: field.name, displayName: field.displayName, description: field.description, type: 'string', required: field.required, default: null };
}

/** `GET /auth_configs/{id}` and the items of its list; an auth config is one of our integrations. */
export function v3AuthConfig(integration: Integration, app: AppDefinition | undefined, connections: number) {
  const scheme = app?.authSchemes.find((s) => s.scheme === integration.authScheme);
  return {
    id: integration.id,
    name: integration.name,
    no_of_connections: connections,
    status: 'ENABLED',
    toolkit: { slug: integration.app, logo: '' },
    auth_scheme: authSchemeToComposio(integration.authScheme),
    is_composio_managed: false,
    credentials: publicCredentials(integration.clientId, integration.scopes),
    expected_input_fields: (scheme ? schemeFields(scheme).filter((f) => !f.forIntegration) : []).map(v3Field),
    created_at: integration.createdAt,
    last_updated_at: integration.updatedAt,
  };
}

function split(fields: readonly ComposioField[]) {
  return { required: fields.filter((f) => f.required).map(v3Field), optional: fields.filter((f) => !f.required).map(v3Field) };
}

function toolkitMeta(app: AppDefinition) {
  return { description: app.description, logo: '', app_url: app.docsUrl, tools_count: 0, triggers_count: 0 };
}

/** `GET /toolkits/{slug}`: a toolkit is a catalog app; its auth config details say which fields go where. */
export function v3Toolkit(app: AppDefinition) {
  return {
    name: app.name,
    slug: app.key,
    meta: { ...toolkitMeta(app), categories: app.categories.map((c) => ({ slug: c, name: c })) },
    is_local_toolkit: false,
    composio_managed_auth_schemes: [],
    base_url: app.baseUrl,
    auth_config_details: app.authSchemes.map((scheme) => {
      const fields = schemeFields(scheme);
      return {
        name: authSchemeToComposio(scheme.scheme),
        mode: authSchemeToComposio(scheme.scheme),
        fields: { auth_config_creation: split(fields.filter((f) => f.forIntegration)), connected_account_initiation: split(fields.filter((f) => !f.forIntegration)) },
      };
    }),
  };
}

/** The items of `GET /toolkits`. */
export function v3ToolkitItem(app: AppDefinition) {
  return {
    name: app.name,
    slug: app.key,
    meta: { ...toolkitMeta(app), categories: app.categories.map((c) => ({ id: c, name: c })) },
    is_local_toolkit: false,
    auth_schemes: app.authSchemes.map((s) => authSchemeToComposio(s.scheme)),
    composio_managed_auth_schemes: [],
    no_auth: app.authSchemes.every((s) => s.scheme === 'NO_AUTH'),
  };
}
