import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOAuthAccount, createOidcIntegration, TEST_CLIENT } from './support/oauth-connection.js';
import { startOidcPeer, type OidcPeer } from './support/oidc-peer.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let nodeA: TestServer;
let nodeB: TestServer;
let peer: OidcPeer;
let integrationId: string;

beforeAll(async () => {
  nodeA = await startTestServer({ logLevel: 'warn' });
  nodeB = await startTestServer({ sameDatabaseAs: nodeA, logLevel: 'warn' });
  peer = await startOidcPeer({
    accessTokenTtlSeconds: 120,
    clients: [{ ...TEST_CLIENT, redirectUris: [`${nodeA.url}/oauth/callback`, `${nodeB.url}/oauth/callback`] }],
  });
  integrationId = await createOidcIntegration(nodeA, peer);
});

afterAll(async () => {
  await peer?.close();
  await nodeB?.close();
  await nodeA?.close();
});

function advanceBoth(seconds: number) {
  nodeA.advance(seconds);
  nodeB.advance(seconds);
}

async function credentialsOf(node: TestServer, id: string) {
  return node.api('GET', `/api/v1/connected-accounts/${id}/credentials?includeRefreshToken=true`);
}

describe('credential refresh', () => {
  it('serves a fresh token without refreshing it again', async () => {
    const id = await connectOAuthAccount(nodeA, integrationId, 'fresh-user');
    const grants = peer.grants.refreshToken;
    const first = await credentialsOf(nodeA, id);
    const second = await credentialsOf(nodeB, id);
    expect(second.body.credentials.accessToken).toBe(first.body.credentials.accessToken);
    expect(peer.grants.refreshToken).toBe(grants);
  });

  it('sends exactly one refresh grant for 200 concurrent reads on two nodes, and every caller gets the new token', async () => {
    const id = await connectOAuthAccount(nodeA, integrationId, 'busy-user');
    const before = (await credentialsOf(nodeA, id)).body.credentials;
    const grantsBefore = peer.grants.refreshToken;
    const refreshRequestsBefore = peer.tokenRequests.filter((r) => r.grantType === 'refresh_token').length;

    advanceBoth(119); // both nodes now see the access token as about to expire
    const reads = await Promise.all(Array.from({ length: 200 }, (_, i) => credentialsOf(i % 2 === 0 ? nodeA : nodeB, id)));

    const refreshGrants = peer.grants.refreshToken - grantsBefore;
    console.log(`refresh grants seen by the provider for 200 concurrent reads on 2 nodes: ${refreshGrants}`);
    expect(refreshGrants).toBe(1);
    expect(peer.tokenRequests.filter((r) => r.grantType === 'refresh_token').length - refreshRequestsBefore).toBe(1);
    expect(reads.every((r) => r.status === 200)).toBe(true);
    const tokens = new Set(reads.map((r) => r.body.credentials.accessToken));
    expect(tokens.size).toBe(1);
    const after = reads[0]?.body.credentials;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);

    // The rotated refresh token is the live one: the provider accepts it (a reused one would revoke the grant).
    const forced = await nodeB.api('POST', `/api/v1/connected-accounts/${id}/refresh`);
    expect(forced.body).toMatchObject({ status: 'ACTIVE', statusReason: null });
    expect(peer.tokenRequests.filter((r) => r.grantType === 'refresh_token').every((r) => r.ok)).toBe(true);
  });

  it('sends one refresh grant for 100 credential reads and 100 proxy calls at once, and the upstream sees only the new token', async () => {
    const seen: string[] = [];
    const upstream = createServer((request, response) => {
      seen.push(String(request.headers.authorization));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    try {
      const created = await nodeA.api('POST', '/api/v1/integrations', {
        app: 'acme-api',
        authScheme: 'OAUTH2',
        authConfig: { issuer: peer.issuer, ...TEST_CLIENT, scopes: ['openid'], baseUrl: `http://127.0.0.1:${port}/v1` },
      });
      const id = await connectOAuthAccount(nodeA, created.body.id, 'proxy-user');
      const grantsBefore = peer.grants.refreshToken;
      advanceBoth(119);
      const calls = Array.from({ length: 200 }, (_, i) => {
        const node = i % 4 < 2 ? nodeA : nodeB;
        return i % 2 === 0
          ? credentialsOf(node, id).then((r) => ({ status: r.status, token: r.body.credentials?.accessToken as string }))
          : fetch(`${node.url}/api/v1/proxy/${id}/me`, { headers: { 'x-api-key': node.apiKey } }).then(async (r) => {
              await r.text();
              return { status: r.status, token: '' };
            });
      });
      const results = await Promise.all(calls);
      console.log(`refresh grants for 100 credential reads + 100 proxy calls on 2 nodes: ${peer.grants.refreshToken - grantsBefore}`);
      expect(peer.grants.refreshToken - grantsBefore).toBe(1);
      expect(results.every((r) => r.status === 200)).toBe(true);
      const tokens = new Set(results.filter((r) => r.token !== '').map((r) => r.token));
      expect(tokens.size).toBe(1);
      expect(new Set(seen)).toEqual(new Set([`Bearer ${[...tokens][0]}`]));
    } finally {
      upstream.close();
    }
  });

  it('keeps the account ACTIVE and serves the still-valid token while the provider is unreachable, then cools down', async () => {
    const lonelyPeer = await startOidcPeer({ accessTokenTtlSeconds: 120, clients: [{ ...TEST_CLIENT, redirectUris: [`${nodeA.url}/oauth/callback`] }] });
    const lonelyIntegration = await createOidcIntegration(nodeA, lonelyPeer, 'flaky-idp');
    const id = await connectOAuthAccount(nodeA, lonelyIntegration, 'flaky-user');
    const token = (await credentialsOf(nodeA, id)).body.credentials.accessToken;
    await lonelyPeer.close();

    nodeA.advance(100); // due (within the margin) but not yet expired
    const read = await credentialsOf(nodeA, id);
    expect(read.status).toBe(200);
    expect(read.body.credentials.accessToken).toBe(token);
    const account = (await nodeA.api('GET', `/api/v1/connected-accounts/${id}`)).body;
    expect(account.status).toBe('ACTIVE');
    expect(account.statusReason).toMatch(/^refresh failing \(1×\): token endpoint unreachable/);

    // Cooling down: the next read does not try again.
    await credentialsOf(nodeA, id);
    expect((await nodeA.api('GET', `/api/v1/connected-accounts/${id}`)).body.statusReason).toMatch(/^refresh failing \(1×\)/);

    // Once the token has expired and refresh still fails, reads fail with a clear problem instead of a dead token.
    nodeA.advance(60);
    const expired = await credentialsOf(nodeA, id);
    expect(expired.status).toBe(502);
    expect(expired.body.code).toBe('PROVIDER_ERROR');
    nodeA.advance(-160);
  });

  it('marks the account EXPIRED when the grant was revoked at the provider', async () => {
    const id = await connectOAuthAccount(nodeA, integrationId, 'revoked-user');
    await peer.revokeGrantsFor('revoked-user');
    advanceBoth(119);
    const read = await credentialsOf(nodeB, id);
    expect(read.status).toBe(409);
    expect(read.body.code).toBe('CONNECTION_NOT_ACTIVE');
    const account = (await nodeA.api('GET', `/api/v1/connected-accounts/${id}`)).body;
    expect(account.status).toBe('EXPIRED');
    expect(account.statusReason).toContain('invalid_grant');
  });

  it('renews accounts nobody reads in a background sweep, once across both nodes', async () => {
    const idlePeer = await startOidcPeer({ accessTokenTtlSeconds: 120, clients: [{ ...TEST_CLIENT, redirectUris: [`${nodeA.url}/oauth/callback`] }] });
    try {
      const id = await connectOAuthAccount(nodeA, await createOidcIntegration(nodeA, idlePeer, 'idle-idp'), 'idle-user');
      const before = (await credentialsOf(nodeA, id)).body.credentials.accessToken;
      advanceBoth(119);
      const [sweptA, sweptB] = await Promise.all([nodeA.runtime.services.refreshScheduler.sweep(), nodeB.runtime.services.refreshScheduler.sweep()]);
      expect(sweptA + sweptB).toBeGreaterThanOrEqual(1);
      expect(idlePeer.grants.refreshToken).toBe(1);
      expect((await credentialsOf(nodeA, id)).body.credentials.accessToken).not.toBe(before);
    } finally {
      await idlePeer.close();
    }
  });
});
