/**
 * The hosted pages in real Chromium: what the end user's browser does with them, CSP included.
 * The HTTP-level suites (field-connection-flow, oauth-flow) cannot see a policy the browser
 * enforces: a form whose answer redirects somewhere `form-action` does not name is stopped by the
 * browser after the server has already completed the connection.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, signInAndApprove, skipWithoutBrowser } from './support/chromium.js';
import { startOidcPeer, type OidcPeer } from './support/oidc-peer.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const CLIENT = { clientId: 'authlink-browser', clientSecret: 'browser-client-secret-0123456789' };

let server: TestServer;
let peer: OidcPeer;
let browser: Browser;
/** The initiating application's own site, where flows end: it records what reached it. */
let appSite: Server;
let appOrigin: string;
const landings: URL[] = [];

beforeAll(async () => {
  if (skipWithoutBrowser) return;
  server = await startTestServer();
  peer = await startOidcPeer({ clients: [{ ...CLIENT, redirectUris: [`${server.url}/oauth/callback`], tokenEndpointAuthMethod: 'client_secret_post' }] });
  appSite = createServer((request, response) => {
    landings.push(new URL(request.url ?? '/', appOrigin));
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>The app</title><p>Back in the app.</p>');
  });
  await new Promise<void>((resolve) => appSite.listen(0, '127.0.0.1', resolve));
  appOrigin = `http://127.0.0.1:${(appSite.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (appSite ? appSite.close(resolve) : resolve(undefined)));
  await peer?.close();
  await server?.close();
});

async function initiate(body: Record<string, unknown>): Promise<{ connectedAccountId: string; redirectUrl: string }> {
  const started = await server.api('POST', '/api/v1/connected-accounts', body);
  expect(started.status).toBe(201);
  expect(started.body.connectionStatus).toBe('INITIATED');
  return started.body;
}

async function statusOf(id: string): Promise<string> {
  return (await server.api('GET', `/api/v1/connected-accounts/${id}`)).body.status;
}

/** Waits until the browser is on the app's site, and returns where it landed. */
async function landedInApp(page: Page): Promise<URL> {
  await page.waitForURL((url) => url.origin === appOrigin, { timeout: 15_000 });
  return new URL(page.url());
}

/** The provider's own sign-in and consent pages. */
function signIn(page: Page, login: string, beforeApproving?: () => Promise<void>): Promise<void> {
  return signInAndApprove(page, new URL(peer.issuer).origin, login, beforeApproving);
}

describe.skipIf(skipWithoutBrowser)('hosted pages in Chromium', () => {
  it('a key typed into the hosted form connects, and the browser goes back to the app', async () => {
    const started = await initiate({ app: 'stripe', entityId: 'browser-form', redirectUrl: `${appOrigin}/connected`, validate: false });
    const { page, complaints } = await openPage(browser);
    await page.goto(started.redirectUrl);
    await expect(page.title()).resolves.toBe('Connect Stripe');
    await page.fill('input[type=password]', 'sk_test_abc123');
    await page.click('button[type=submit]');

    const landed = await landedInApp(page);
    expect(landed.pathname).toBe('/connected');
    expect(Object.fromEntries(landed.searchParams)).toEqual({ status: 'success', connectedAccountId: started.connectedAccountId, appName: 'stripe' });
    // The browser did ask the app for the page, not just show its address.
    expect(landings.map((url) => url.href)).toContain(landed.href);
    expect(await statusOf(started.connectedAccountId)).toBe('ACTIVE');
    expect(complaints).toEqual([]);
    await page.context().close();
  });

  it('a form that asks for the store first goes on to the provider, and the flow ends in the app', async () => {
    // Shopify's catalog entry asks the user for the store before authorizing; its endpoints point at the local provider here.
    const integration = await server.api('POST', '/api/v1/integrations', {
      app: 'shopify',
      authScheme: 'OAUTH2',
      authConfig: { ...CLIENT, authorizationUrl: peer.authorizationEndpoint, tokenUrl: peer.tokenEndpoint, scopes: ['openid'] },
    });
    expect(integration.status).toBe(201);
    const started = await initiate({ integrationId: integration.body.id, entityId: 'browser-oauth', redirectUrl: `${appOrigin}/shop-connected` });
    const { page, complaints } = await openPage(browser);
    await page.goto(started.redirectUrl);
    await expect(page.title()).resolves.toBe('Connect Shopify');
    await page.fill('input[name=shop]', 'acme');
    await page.click('button[type=submit]');

    await signIn(page, 'melissa');

    const landed = await landedInApp(page);
    expect(landed.pathname).toBe('/shop-connected');
    expect(landed.searchParams.get('status')).toBe('success');
    expect(landed.searchParams.get('connectedAccountId')).toBe(started.connectedAccountId);
    expect(landings.map((url) => url.href)).toContain(landed.href);
    expect(await statusOf(started.connectedAccountId)).toBe('ACTIVE');
    // The store the user typed stays with the account, for the API base URL.
    expect((await server.api('GET', `/api/v1/connected-accounts/${started.connectedAccountId}`)).body.data).toMatchObject({ shop: 'acme' });
    expect(complaints.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
    await page.context().close();
  });

  it('with flows bound to the browser, the flow cookie completes in Chromium, and a callback in a browser without it fails', async () => {
    // A plain OpenID provider known by its issuer (endpoints by discovery).
    const integration = await server.api('POST', '/api/v1/integrations', { app: 'acme-idp', authScheme: 'OAUTH2', authConfig: { ...CLIENT, issuer: peer.issuer, scopes: ['openid', 'email'] } });
    expect(integration.status).toBe(201);
    expect((await server.api('PATCH', '/api/v1/project', { requireSameBrowser: true })).status).toBe(200);
    try {
      // The browser that opened the link finishes the flow: the cookie set with the redirect to the provider comes back with the callback.
      const same = await initiate({ integrationId: integration.body.id, entityId: 'bound', redirectUrl: `${appOrigin}/bound` });
      const { page } = await openPage(browser);
      await page.goto(same.redirectUrl);
      await signIn(page, 'bound-user');
      expect((await landedInApp(page)).searchParams.get('status')).toBe('success');
      expect(await statusOf(same.connectedAccountId)).toBe('ACTIVE');
      await page.context().close();

      // The callback reaches a browser without the flow's cookie (a phished callback URL opened by a
      // victim): played by dropping the cookie before approving, after checking how it was set.
      const phished = await initiate({ integrationId: integration.body.id, entityId: 'phished', redirectUrl: `${appOrigin}/phished` });
      const other = await openPage(browser);
      await other.page.goto(phished.redirectUrl);
      await signIn(other.page, 'attacker', async () => {
        // Cookies ignore ports: the provider's, on 127.0.0.1 as well, are in the jar too.
        const cookies = (await other.page.context().cookies(`${server.url}/oauth/callback`)).filter((cookie) => cookie.name === 'authlink_flow');
        expect(cookies).toEqual([expect.objectContaining({ path: '/oauth/callback', httpOnly: true, sameSite: 'Lax' })]);
        await other.page.context().clearCookies({ name: 'authlink_flow' });
      });
      const landed = await landedInApp(other.page);
      expect(Object.fromEntries(landed.searchParams)).toMatchObject({ status: 'failed', error: 'browser_mismatch', connectedAccountId: phished.connectedAccountId });
      expect(await statusOf(phished.connectedAccountId)).toBe('FAILED');
      await other.page.context().close();
    } finally {
      await server.api('PATCH', '/api/v1/project', { requireSameBrowser: false });
    }
  });

  it('the form page allows its form to lead only where the flow goes', async () => {
    const started = await initiate({ app: 'stripe', redirectUrl: `${appOrigin}/x`, validate: false });
    const response = await fetch(started.redirectUrl);
    const policy = response.headers.get('content-security-policy') ?? '';
    const formAction = /form-action ([^;]+)/.exec(policy)?.[1]?.split(' ');
    expect(formAction).toEqual(["'self'", new URL(server.url).origin, appOrigin]);
    expect(policy).toContain("default-src 'none'");
  });
});
