/**
 * What the Composio SDK suites share: a real authlink server on 127.0.0.1 whose catalog holds an
 * OAuth 2.0 app served by a real OpenID provider (oidc-provider), an API-key app whose API (which
 * checks keys) is a local server, and a BASIC app; and a scripted browser that plays the end user.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Catalog, type AppDefinition } from '@authlink/core';
import { expect } from 'vitest';
import { BrowserClient, authorizeAtOidcPeer, type BrowserPage } from './browser-client.js';
import { randomAccountId, startOidcPeer, type OidcPeer } from './oidc-peer.js';
import { freePort, startTestServer, type TestServer } from './test-server.js';

export const OAUTH_APP = 'acme-idp';
export const KEY_APP = 'acme-keys';
/** Used only by the integration (auth config) suites, so that their integrations never make another app's ambiguous. */
export const BASIC_APP = 'acme-basic';
export const CLIENT = { clientId: 'composio-compat-test', clientSecret: 'composio-compat-secret-0123456789' };
/** The application's own callback page. Never requested: the browser stops before it. */
export const APP_ORIGIN = 'http://app.example';
export const CALLBACK_URL = `${APP_ORIGIN}/connected`;

/** The one key the local app API refuses. */
export const REFUSED_KEY = 'ak-refused-by-the-app';

export interface ComposioFixture {
  server: TestServer;
  peer: OidcPeer;
  /** Keys the API-key app's test endpoint was asked about, in order. */
  keyChecks: string[];
  /** `<authlink>/compat/composio`: what both SDKs get as their base URL. */
  baseUrl: string;
  close: () => Promise<void>;
}

/**
 * The API-key app's own API on 127.0.0.1: `GET /me` answers who the key belongs to, and 401 for
 * the refused key. authlink asks it before an account with a typed key becomes ACTIVE.
 */
async function startKeyApi(keyChecks: string[]): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const key = String(request.headers['x-api-key'] ?? '');
    keyChecks.push(key);
    const known = request.url === '/api/me' && key.startsWith('ak-') && key !== REFUSED_KEY;
    response.writeHead(known ? 200 : 401, { 'content-type': 'application/json' });
    response.end(JSON.stringify(known ? { id: `user-of-${key}` } : { error: 'unauthorized' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function catalogFor(peer: OidcPeer, keyApiUrl: string): Catalog {
  const oauthApp: AppDefinition = {
    key: OAUTH_APP,
    name: 'Acme Identity',
    description: 'A local OpenID provider',
    categories: ['test'],
    docsUrl: 'https://example.com/docs',
    baseUrl: peer.issuer,
    authSchemes: [
      {
        scheme: 'OAUTH2',
        fields: [],
        authorizationUrl: peer.authorizationEndpoint,
        tokenUrl: peer.tokenEndpoint,
        revocationUrl: peer.revocationEndpoint,
        userinfoUrl: peer.userinfoEndpoint,
        issuer: peer.issuer,
        defaultScopes: ['openid', 'email'],
        pkce: true,
        placement: [{ in: 'header', name: 'Authorization', value: 'Bearer {accessToken}' }],
      },
    ],
  };
  const keyApp: AppDefinition = {
    key: KEY_APP,
    name: 'Acme Keys',
    description: 'An app that takes an API key',
    categories: ['test'],
    docsUrl: 'https://example.com/docs',
    baseUrl: keyApiUrl,
    testRequest: { method: 'GET', path: '/me', identity: { id: '/id' } },
    authSchemes: [
      {
        scheme: 'API_KEY',
        fields: [
          { name: 'apiKey', label: 'API key', secret: true, required: true, suppliedBy: 'user', pattern: '^ak-' },
          { name: 'workspace', label: 'Workspace', secret: false, required: false, suppliedBy: 'user' },
        ],
        placement: [{ in: 'header', name: 'x-api-key', value: '{apiKey}' }],
      },
    ],
  };
  const basicApp: AppDefinition = {
    key: BASIC_APP,
    name: 'Acme Basic',
    description: 'An app that takes a username and password',
    categories: ['test', 'other'],
    docsUrl: 'https://example.com/docs',
    baseUrl: 'http://127.0.0.1:9/api',
    authSchemes: [
      {
        scheme: 'BASIC',
        fields: [
          { name: 'username', label: 'Username', secret: false, required: true, suppliedBy: 'user' },
          { name: 'password', label: 'Password', secret: true, required: true, suppliedBy: 'user' },
        ],
        placement: [{ in: 'header', name: 'Authorization', value: 'Basic {basic}' }],
      },
    ],
  };
  return Catalog.fromDefinitions([oauthApp, keyApp, basicApp]);
}

export async function startComposioFixture(): Promise<ComposioFixture> {
  // The provider must know authlink's callback before authlink's catalog can know the provider.
  const port = await freePort();
  const peer = await startOidcPeer({ clients: [{ ...CLIENT, redirectUris: [`http://127.0.0.1:${port}/oauth/callback`] }] });
  const keyChecks: string[] = [];
  const keyApi = await startKeyApi(keyChecks);
  const server = await startTestServer({ logLevel: 'warn', catalog: catalogFor(peer, keyApi.url), port });
  return {
    server,
    peer,
    keyChecks,
    baseUrl: `${server.url}/compat/composio`,
    close: async () => {
      await server.close();
      await peer.close();
      await keyApi.close();
    },
  };
}

/**
 * Plays the end user: a fresh browser follows the connect link through the provider's login and
 * consent and stops at the application's callback, whose URL (with its query) is returned.
 */
export async function consentInBrowser(server: TestServer, redirectUrl: string | null | undefined, consent: 'approve' | 'deny'): Promise<URL> {
  expect(redirectUrl).toMatch(new RegExp(`^${server.url}/connect/`));
  const page = await authorizeAtOidcPeer(new BrowserClient(), redirectUrl!, {
    login: randomAccountId('composio'),
    consent,
    stopAt: (url) => url.origin === APP_ORIGIN,
  });
  const landed = new URL(page.url);
  expect(landed.origin, `browser ended on ${page.url} (status ${page.status}): ${page.body.slice(0, 300)}`).toBe(APP_ORIGIN);
  return landed;
}

/** The same without a callback URL: the browser ends on authlink's own result page, which is returned. */
export async function consentToResultPage(server: TestServer, redirectUrl: string | null | undefined): Promise<BrowserPage> {
  expect(redirectUrl).toMatch(new RegExp(`^${server.url}/connect/`));
  return authorizeAtOidcPeer(new BrowserClient(), redirectUrl!, { login: randomAccountId('composio'), consent: 'approve' });
}

let counter = 0;
/** A fresh entity (user) id per test keeps tests apart. */
export function newUserId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}
