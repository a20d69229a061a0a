import { BrowserClient, authorizeAtOidcPeer } from './browser-client.js';
import type { OidcPeer } from './oidc-peer.js';
import type { TestServer } from './test-server.js';

export const TEST_CLIENT = { clientId: 'authlink-e2e', clientSecret: 'e2e-client-secret-0123456789' };

/** Registers authlink's callback with the peer's client and creates an integration from the issuer. */
export async function createOidcIntegration(server: TestServer, peer: OidcPeer, app = 'acme-idp'): Promise<string> {
  const created = await server.api('POST', '/api/v1/integrations', {
    app,
    authScheme: 'OAUTH2',
    authConfig: { issuer: peer.issuer, ...TEST_CLIENT, scopes: ['openid', 'email'] },
  });
  if (created.status !== 201) throw new Error(`integration not created: ${JSON.stringify(created.body)}`);
  return created.body.id as string;
}

/** Initiates and completes a connection as `login`, approving consent; returns the account id. */
export async function connectOAuthAccount(server: TestServer, integrationId: string, login: string): Promise<string> {
  const started = await server.api('POST', '/api/v1/connected-accounts', { integrationId, entityId: login });
  const page = await authorizeAtOidcPeer(new BrowserClient(), started.body.redirectUrl, { login, consent: 'approve' });
  if (page.status !== 200) throw new Error(`flow ended with ${page.status}`);
  const account = await server.api('GET', `/api/v1/connected-accounts/${started.body.connectedAccountId}`);
  if (account.body.status !== 'ACTIVE') throw new Error(`account is ${account.body.status}: ${account.body.statusReason}`);
  return started.body.connectedAccountId as string;
}
