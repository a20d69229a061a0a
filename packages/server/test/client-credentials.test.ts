import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcPeer, type OidcPeer } from './support/oidc-peer.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const M2M_CLIENT = { clientId: 'acme-m2m-client', clientSecret: 'm2m-client-secret-0123456789' };
const TOKEN_TTL_SECONDS = 120;

let server: TestServer;
let peer: OidcPeer;

beforeAll(async () => {
  server = await startTestServer({ logLevel: 'warn' });
  peer = await startOidcPeer({
    accessTokenTtlSeconds: TOKEN_TTL_SECONDS,
    scopes: ['api:read'],
    clients: [{ ...M2M_CLIENT, grantTypes: ['client_credentials'], redirectUris: [] }],
  });
});

afterAll(async () => {
  await peer?.close();
  await server?.close();
});

async function createIntegration(authConfig: Record<string, unknown>, app = 'acme-m2m'): Promise<string> {
  const created = await server.api('POST', '/api/v1/integrations', { app, authScheme: 'CLIENT_CREDENTIALS', authConfig });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

async function credentialsOf(id: string) {
  return server.api('GET', `/api/v1/connected-accounts/${id}/credentials`);
}

describe('CLIENT_CREDENTIALS against a real authorization server', () => {
  it('is ACTIVE at initiation with a token the provider issued, found by issuer discovery', async () => {
    const integrationId = await createIntegration({ issuer: peer.issuer, ...M2M_CLIENT, scopes: ['api:read'] });
    const grants = peer.grants.clientCredentials;

    const started = await server.api('POST', '/api/v1/connected-accounts', { integrationId, entityId: 'backend' });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ connectionStatus: 'ACTIVE', redirectUrl: null });
    expect(peer.grants.clientCredentials).toBe(grants + 1);

    const credentials = await credentialsOf(started.body.connectedAccountId);
    expect(credentials.status).toBe(200);
    expect(credentials.body).toMatchObject({ authScheme: 'CLIENT_CREDENTIALS', credentials: { tokenType: expect.stringMatching(/^bearer$/i), scope: 'api:read' } });
    expect(credentials.body.credentials.accessToken).toEqual(expect.any(String));
    expect(Date.parse(credentials.body.credentials.expiresAt)).toBeGreaterThan(Date.now());
    // No refresh token exists for this grant (RFC 6749 §4.4.3), and nothing secret of the client is served.
    expect(credentials.body.credentials).not.toHaveProperty('refreshToken');
    expect(JSON.stringify(credentials.body)).not.toContain(M2M_CLIENT.clientSecret);
  });

  it('runs with a plain tokenUrl too', async () => {
    const integrationId = await createIntegration({ tokenUrl: peer.tokenEndpoint, ...M2M_CLIENT }, 'acme-m2m-direct');
    const started = await server.api('POST', '/api/v1/connected-accounts', { integrationId });
    expect(started.body.connectionStatus).toBe('ACTIVE');
  });

  it('obtains exactly one new token once the old one expires, however many read at once', async () => {
    const integrationId = await createIntegration({ issuer: peer.issuer, ...M2M_CLIENT }, 'acme-m2m-busy');
    const started = await server.api('POST', '/api/v1/connected-accounts', { integrationId });
    const id = started.body.connectedAccountId as string;
    const before = (await credentialsOf(id)).body.credentials.accessToken as string;
    const grantsBefore = peer.grants.clientCredentials;

    server.advance(TOKEN_TTL_SECONDS + 1);
    const reads = await Promise.all(Array.from({ length: 50 }, () => credentialsOf(id)));

    expect(reads.every((read) => read.status === 200)).toBe(true);
    expect(peer.grants.clientCredentials - grantsBefore).toBe(1);
    const tokens = new Set(reads.map((read) => read.body.credentials.accessToken));
    expect(tokens.size).toBe(1);
    expect(tokens.has(before)).toBe(false);
    const account = await server.api('GET', `/api/v1/connected-accounts/${id}`);
    expect(account.body).toMatchObject({ status: 'ACTIVE', statusReason: null });
  });

  it('refuses initiation with a wrong client secret and stores no account', async () => {
    const integrationId = await createIntegration({ issuer: peer.issuer, clientId: M2M_CLIENT.clientId, clientSecret: 'not-the-secret' }, 'acme-m2m-wrong');
    const refused = await server.api('POST', '/api/v1/connected-accounts', { integrationId, entityId: 'wrong-secret' });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(refused.body).toMatchObject({ code: 'INTEGRATION_CONFIG_INVALID' });
    expect(refused.body.detail).toContain('invalid_client');
    expect(JSON.stringify(refused.body)).not.toContain('not-the-secret');

    const accounts = await server.api('GET', `/api/v1/connected-accounts?integrationId=${integrationId}`);
    expect(accounts.body.items).toEqual([]);
    expect((await server.api('GET', '/api/v1/entities/wrong-secret')).status).toBe(404);
  });

  it('creates neither integration nor account when initiating on the app with a wrong secret', async () => {
    const refused = await server.api('POST', '/api/v1/connected-accounts', {
      app: 'acme-m2m-inline',
      authScheme: 'CLIENT_CREDENTIALS',
      authConfig: { tokenUrl: peer.tokenEndpoint, clientId: M2M_CLIENT.clientId, clientSecret: 'still-not-the-secret' },
    });
    expect(refused.status).toBe(400);
    expect((await server.api('GET', '/api/v1/integrations?app=acme-m2m-inline')).body.items).toEqual([]);
  });

  it('requires a client id and secret on the integration', async () => {
    const noSecret = await server.api('POST', '/api/v1/integrations', {
      app: 'acme-m2m-nosecret',
      authScheme: 'CLIENT_CREDENTIALS',
      authConfig: { tokenUrl: peer.tokenEndpoint, clientId: M2M_CLIENT.clientId },
    });
    expect(noSecret.status).toBe(400);
    expect(noSecret.body.errors).toEqual([expect.objectContaining({ path: '/authConfig/clientSecret' })]);
  });
});
