import type { AppDefinition, ConnectedAccount, Integration } from '@authlink/core';
import { schemeFields, type ComposioField } from './app-fields.js';
import { publicCredentials } from './composio-fields.js';
import { authSchemeToComposio } from './composio-names.js';

/**
 * What composio-core 0.5 reads from Composio's v1 API, built from our objects. Members that
 * would need data authlink does not have (logos, usage counts, team members) are left out rather
 * than invented; secrets are never part of a view.
 */

/** `GET /api/v1/connectedAccounts/{id}` and the items of its list. `connectionParams` holds public fields only. */
export function v1ConnectedAccount(account: ConnectedAccount) {
  const disabled = account.status === 'INACTIVE';
  return {
    id: account.id,
    integrationId: account.integrationId,
    appName: account.app,
    appUniqueId: account.app,
    entityId: account.entityId,
    clientUniqueUserId: account.entityId,
    status: account.status,
    statusReason: account.statusReason,
    authScheme: authSchemeToComposio(account.authScheme),
    labels: account.labels,
    connectionParams: account.data,
    enabled: !disabled,
    isDisabled: disabled,
    deleted: false,
    createdAt: account.createdAt,
    updatedAt: account.updatedAt,
  };
}

function v1Field(field: ComposioField) {
  return {
    name: field.name,
    displayName: field.displayName,
    display_name: field.displayName,
    description: field.description,
    type: 'string',
    required: field.required,
    // Composio's flag: true for what the developer sets on the integration, false for what the end user supplies.
    expected_from_customer: field.forIntegration,
    is_secret: field.secret,
    default: null,
  };
}

/** `GET /api/v1/integrations/{id}` and the items of its list. */
export function v1Integration(integration: Integration, app: AppDefinition | undefined) {
  const scheme = app?.authSchemes.find((s) => s.scheme === integration.authScheme);
  const userFields = scheme ? schemeFields(scheme).filter((f) => !f.forIntegration) : [];
  return {
    id: integration.id,
    name: integration.name,
    appId: integration.app,
    appName: integration.app,
    authScheme: authSchemeToComposio(integration.authScheme),
    authConfig: publicCredentials(integration.clientId, integration.scopes),
    expectedInputFields: userFields.map(v1Field),
    enabled: true,
    deleted: false,
    useComposioAuth: false,
    limitedActions: [],
    createdAt: integration.createdAt,
    updatedAt: integration.updatedAt,
  };
}

/** `GET /api/v1/apps/{name}` and the items of its list. The app key doubles as Composio's `appId`. */
export function v1App(app: AppDefinition) {
  return {
    appId: app.key,
    key: app.key,
    name: app.name,
    description: app.description,
    categories: app.categories,
    docs: app.docsUrl,
    enabled: true,
    no_auth: app.authSchemes.every((s) => s.scheme === 'NO_AUTH'),
    testConnectors: [],
    auth_schemes: app.authSchemes.map((scheme) => ({
      mode: authSchemeToComposio(scheme.scheme),
      name: authSchemeToComposio(scheme.scheme),
      fields: schemeFields(scheme).map(v1Field),
    })),
  };
}
