/**
 * OAuth attacks against a real authlink server and a REAL OpenID provider (oidc-provider) on
 * loopback: forged, replayed, expired and crossed `state`, code replay and injection, redirect URI
 * mismatch, issuer mix-up (RFC 9207), injected error parameters, reused and expired connect links.
 *
 * Each attack is judged by what authlink does with the accounts involved: an attack is "accepted"
 * when an account reaches ACTIVE (or changes its tokens) through the attacker's request, or when
 * attacker-supplied markup comes back unescaped in a page. The figure is printed at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, authorizeAtOidcPeer, type BrowserPage } from './support/browser-client.js';
import { TEST_CLIENT } from './support/oauth-connection.js';
import { startOidcPeer, type OidcPeer } from './support/oidc-peer.js';
import { createProject, startTestServer, type TestServer } from './support/test-server.js';

const APP_ORIGIN = 'http://app.example';
/** A client registered at the provider with someone else's redirect URI, not authlink's callback. */
const MISREGISTERED_CLIENT = { clientId: 'authlink-misregistered', clientSecret: 'misregistered-secret-0123456789' };
const ELSEWHERE_CALLBACK = 'http://127.0.0.1:9/elsewhere/callback';
const MARKUP = `<script>alert("xss")</script><img src=x onerror=alert(1)>`;

let server: TestServer;
let peer: OidcPeer;
/** A second, unrelated issuer: the "other" authorization server of a mix-up. */
let otherPeer: OidcPeer;
let projectB: { projectId: string; apiKey: string };
let keyA: string;
const integrations = { a: '', b: '', misregistered: '' };

interface Verdict {
  name: string;
  accepted: boolean;
}
const verdicts: Verdict[] = [];

/** Records the outcome of one attack and fails the test when authlink accepted it. */
function judge(name: string, accepted: boolean, detail = ''): void {
  verdicts.push({ name, accepted });
  expect(accepted, `${name} was accepted ${detail}`).toBe(false);
}

beforeAll(async () => {
  server = await startTestServer();
  keyA = server.apiKey;
  projectB = await createProject(server, 'project-b');
  const callback = `${server.url}/oauth/callback`;
  [peer, otherPeer] = await Promise.all([
    startOidcPeer({
      clients: [
        { ...TEST_CLIENT, redirectUris: [callback] },
        { ...MISREGISTERED_CLIENT, redirectUris: [ELSEWHERE_CALLBACK] },
      ],
    }),
    startOidcPeer({ clients: [{ ...TEST_CLIENT, redirectUris: [callback] }] }),
  ]);
  const create = async (key: string, app: string, client: { clientId: string; clientSecret: string }) => {
    const created = await server.api('POST', '/api/v1/integrations', { app, authScheme: 'OAUTH2', authConfig: { issuer: peer.issuer, ...client, scopes: ['openid', 'email'] } }, key);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  integrations.a = await create(keyA, 'acme-idp', TEST_CLIENT);
  // Project B uses the same provider and the same client: only authlink's state binding tells the flows apart.
  integrations.b = await create(projectB.apiKey, 'acme-idp', TEST_CLIENT);
  integrations.misregistered = await create(keyA, 'acme-misregistered', MISREGISTERED_CLIENT);
});

afterAll(async () => {
  const accepted = verdicts.filter((v) => v.accepted);
  console.log(`oauth attacks: ${accepted.length} of ${verdicts.length} accepted${accepted.length > 0 ? ` (${accepted.map((v) => v.name).join('; ')})` : ''}`);
  await Promise.all([peer?.close(), otherPeer?.close()]);
  await server?.close();
});

/* ------------------------------------------------------------------------------------------ */

interface Flow {
  id: string;
  link: string;
  key: string;
}

async function initiate(options: { key?: string; integrationId?: string; entityId?: string; redirectUrl?: string | null } = {}): Promise<Flow> {
  const key = options.key ?? keyA;
  const body: Record<string, unknown> = { integrationId: options.integrationId ?? integrations.a, entityId: options.entityId ?? 'default' };
  if (options.redirectUrl !== null) body.redirectUrl = options.redirectUrl ?? `${APP_ORIGIN}/done`;
  const started = await server.api('POST', '/api/v1/connected-accounts', body, key);
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  expect(started.body.connectionStatus).toBe('INITIATED');
  return { id: started.body.connectedAccountId, link: started.body.redirectUrl, key };
}

const stopAtCallback = (url: URL) => url.pathname === '/oauth/callback' || url.origin === APP_ORIGIN;

/** Drives the end user's browser through the provider up to (not into) authlink's callback. */
async function reachCallback(flow: Flow, login: string): Promise<URL> {
  const page = await authorizeAtOidcPeer(new BrowserClient(), flow.link, { login, consent: 'approve', stopAt: stopAtCallback });
  const callback = new URL(page.url);
  expect(callback.pathname, `the flow did not reach the callback: ${page.status} ${page.body.slice(0, 300)}`).toBe('/oauth/callback');
  expect(callback.searchParams.get('code')).toBeTruthy();
  return callback;
}

/** The callback URL with some parameters replaced (value) or removed (null). */
function tampered(callback: URL, changes: Record<string, string | null>): string {
  const url = new URL(callback.href);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  }
  return url.href;
}

/** Pages authlink showed during the attacks: checked for reflected markup. */
const pages: Array<{ what: string; page: BrowserPage }> = [];

/** An attacker's (or the victim's) browser delivering a callback URL to authlink. */
async function deliver(url: string, what = 'callback'): Promise<BrowserPage> {
  const page = await new BrowserClient().get(url);
  pages.push({ what, page });
  return page;
}

async function account(flow: Flow): Promise<{ status: string; statusReason: string | null }> {
  const response = await server.api('GET', `/api/v1/connected-accounts/${flow.id}`, undefined, flow.key);
  expect(response.status).toBe(200);
  return response.body;
}

/** The account's stored credentials (refresh and ID token included), or null when it has none to give. */
async function credentials(flow: Flow): Promise<Record<string, unknown> | null> {
  const response = await server.api('GET', `/api/v1/connected-accounts/${flow.id}/credentials?includeRefreshToken=true`, undefined, flow.key);
  return response.status === 200 ? response.body.credentials : null;
}

/** Whose tokens the account holds, by asking the provider's userinfo endpoint; null when it has none. */
async function tokenOwner(flow: Flow): Promise<string | null> {
  const creds = await credentials(flow);
  if (!creds) return null;
  const me = await fetch(peer.userinfoEndpoint, { headers: { authorization: `Bearer ${String(creds.accessToken)}` } });
  return me.status === 200 ? ((await me.json()) as { sub: string }).sub : `userinfo ${me.status}`;
}

function codeExchanges(p: OidcPeer = peer) {
  return p.tokenRequests.filter((r) => r.grantType === 'authorization_code');
}

function landing(page: BrowserPage): URL | null {
  const location = page.headers.get('location');
  return location ? new URL(location) : null;
}

/* ------------------------------------------------------------------------------------------ */

describe('state', () => {
  it('refuses a forged state carrying a real code, exchanges nothing, and the genuine callback still works', async () => {
    const flow = await initiate();
    const callback = await reachCallback(flow, 'forge-victim');
    const exchanges = codeExchanges().length;

    const forged = await deliver(tampered(callback, { state: 'forged-' + 'A'.repeat(43) }));
    const stateless = await deliver(tampered(callback, { state: null }));
    const oversized = await deliver(tampered(callback, { state: 'x'.repeat(600) }));
    expect([forged.status, stateless.status, oversized.status]).toEqual([400, 400, 400]);
    expect(codeExchanges()).toHaveLength(exchanges);
    const after = await account(flow);
    expect(after).toMatchObject({ status: 'INITIATED', statusReason: null });
    judge('forged state', after.status !== 'INITIATED');

    // Nothing was consumed by the forgeries: the real browser completes the flow.
    await deliver(callback.href);
    expect(await tokenOwner(flow)).toBe('forge-victim');
  });

  it('refuses a replayed state (the completed callback again, and with an attacker code) and keeps the tokens', async () => {
    const flow = await initiate();
    const callback = await reachCallback(flow, 'replay-victim');
    const done = await deliver(callback.href);
    expect(landing(done)?.searchParams.get('status')).toBe('success');
    const before = await credentials(flow);
    expect(before).not.toBeNull();

    const attacker = await reachCallback(await initiate({ entityId: 'mallory' }), 'replay-mallory');
    const exchanges = codeExchanges().length;
    const again = await deliver(callback.href);
    const withAttackerCode = await deliver(tampered(callback, { code: attacker.searchParams.get('code') }));
    expect([again.status, withAttackerCode.status]).toEqual([400, 400]);
    expect(again.body).toContain('not valid any more');
    expect(codeExchanges()).toHaveLength(exchanges);

    const after = await credentials(flow);
    expect(await account(flow)).toMatchObject({ status: 'ACTIVE' });
    expect(after).toEqual(before);
    expect(await tokenOwner(flow)).toBe('replay-victim');
    judge('replayed state', JSON.stringify(after) !== JSON.stringify(before));
  });

  it("refuses flow B's code delivered with flow A's state (same project): A FAILS at the provider, B is untouched", async () => {
    const a = await initiate({ entityId: 'alice' });
    const b = await initiate({ entityId: 'bob' });
    const callbackA = await reachCallback(a, 'cross-alice');
    const callbackB = await reachCallback(b, 'cross-bob');
    const before = codeExchanges().length;

    const crossed = await deliver(tampered(callbackA, { code: callbackB.searchParams.get('code') }));
    expect(landing(crossed)?.searchParams.get('status')).toBe('failed');
    // authlink sent the exchange with A's PKCE verifier; the provider refused it (B's code was issued for B's challenge).
    const refused = codeExchanges().slice(before);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ ok: false, error: 'invalid_grant' });

    const afterA = await account(a);
    expect(afterA.status).toBe('FAILED');
    expect(afterA.statusReason).toContain('invalid_grant');
    expect(await credentials(a)).toBeNull();
    expect(await account(b)).toMatchObject({ status: 'INITIATED', statusReason: null });
    judge('cross-account state', afterA.status === 'ACTIVE' || (await tokenOwner(a)) === 'cross-bob');

    // B's own callback still completes, with B's user's tokens; A stays FAILED.
    await deliver(callbackB.href);
    expect(await tokenOwner(b)).toBe('cross-bob');
    expect((await account(a)).status).toBe('FAILED');
  });

  it("refuses project B's code delivered with project A's state: A never holds B's user's tokens, B is untouched and invisible to A", async () => {
    const victim = await initiate({ entityId: 'victim' });
    const attacker = await initiate({ key: projectB.apiKey, integrationId: integrations.b, entityId: 'mallory' });
    const victimCallback = await reachCallback(victim, 'xproject-victim');
    const attackerCallback = await reachCallback(attacker, 'xproject-mallory');
    const before = codeExchanges().length;

    const planted = await deliver(tampered(victimCallback, { code: attackerCallback.searchParams.get('code') }));
    expect(landing(planted)?.searchParams.get('status')).toBe('failed');
    expect(codeExchanges().slice(before)).toMatchObject([{ ok: false, error: 'invalid_grant' }]);

    const victimAfter = await account(victim);
    expect(victimAfter.status).toBe('FAILED');
    expect(await account(attacker)).toMatchObject({ status: 'INITIATED', statusReason: null });
    // Neither project sees the other's account.
    expect((await server.api('GET', `/api/v1/connected-accounts/${victim.id}`, undefined, projectB.apiKey)).status).toBe(404);
    expect((await server.api('GET', `/api/v1/connected-accounts/${attacker.id}`, undefined, keyA)).status).toBe(404);
    judge('cross-project state', victimAfter.status === 'ACTIVE');

    // The attacker's own flow completes in the attacker's project only.
    await deliver(attackerCallback.href);
    expect(await tokenOwner(attacker)).toBe('xproject-mallory');
    expect(await account(victim)).toMatchObject({ status: 'FAILED' });
  });

  it('refuses two values for one parameter (two codes) and exchanges nothing', async () => {
    const flow = await initiate();
    const callback = await reachCallback(flow, 'pollution-victim');
    const attacker = await reachCallback(await initiate({ entityId: 'mallory' }), 'pollution-mallory');
    const before = codeExchanges().length;
    const polluted = new URL(callback.href);
    polluted.searchParams.append('code', attacker.searchParams.get('code') ?? '');
    const page = await deliver(polluted.href);
    expect(landing(page)?.searchParams.get('status')).toBe('failed');
    expect(codeExchanges()).toHaveLength(before);
    const after = await account(flow);
    expect(after.status).toBe('FAILED');
    judge('parameter pollution (two codes)', after.status === 'ACTIVE');
  });
});

describe('code', () => {
  it('refuses a code that was already exchanged, delivered with a fresh valid state of another flow', async () => {
    const first = await initiate({ entityId: 'xavier' });
    const firstCallback = await reachCallback(first, 'code-xavier');
    await deliver(firstCallback.href);
    expect(await tokenOwner(first)).toBe('code-xavier');
    const firstCredentials = await credentials(first);

    const second = await initiate({ entityId: 'yvonne' });
    const secondCallback = await reachCallback(second, 'code-yvonne');
    const before = codeExchanges().length;
    const replayed = await deliver(tampered(secondCallback, { code: firstCallback.searchParams.get('code') }));
    expect(landing(replayed)?.searchParams.get('status')).toBe('failed');
    expect(codeExchanges().slice(before)).toMatchObject([{ ok: false, error: 'invalid_grant' }]);

    const secondAfter = await account(second);
    expect(secondAfter.status).toBe('FAILED');
    expect(await credentials(second)).toBeNull();
    // The first account is as it was.
    expect(await account(first)).toMatchObject({ status: 'ACTIVE' });
    expect(await credentials(first)).toEqual(firstCredentials);
    judge('code replay', secondAfter.status === 'ACTIVE');
  });

  it('never reaches ACTIVE when the provider refuses the redirect_uri (client registered elsewhere)', async () => {
    const flow = await initiate({ integrationId: integrations.misregistered });
    const before = codeExchanges().length;
    const page = await authorizeAtOidcPeer(new BrowserClient(), flow.link, {
      login: 'redirect-victim',
      consent: 'approve',
      stopAt: (url) => stopAtCallback(url) || url.href.startsWith(ELSEWHERE_CALLBACK),
    });
    // The provider shows its own error page: no code leaves it, neither to authlink nor elsewhere.
    expect(new URL(page.url).origin).toBe(peer.issuer);
    expect(page.status).toBe(400);
    expect(page.body).toContain('redirect_uri');
    expect(codeExchanges()).toHaveLength(before);
    const after = await account(flow);
    expect(after).toMatchObject({ status: 'INITIATED' });
    judge('redirect_uri mismatch', after.status === 'ACTIVE' || new URL(page.url).pathname === '/oauth/callback');
  });
});

describe('mix-up (RFC 9207)', () => {
  it('refuses a callback whose iss names another issuer, before any code exchange (FAILED)', async () => {
    const flow = await initiate();
    const callback = await reachCallback(flow, 'mixup-victim');
    expect(callback.searchParams.get('iss')).toBe(peer.issuer);
    const before = [codeExchanges().length, codeExchanges(otherPeer).length];
    const page = await deliver(tampered(callback, { iss: otherPeer.issuer }));
    expect(landing(page)?.searchParams.get('status')).toBe('failed');
    expect([codeExchanges().length, codeExchanges(otherPeer).length]).toEqual(before);
    const after = await account(flow);
    expect(after.status).toBe('FAILED');
    expect(after.statusReason).toMatch(/iss/);
    judge('mix-up: iss altered', after.status === 'ACTIVE');
  });

  it('refuses a callback without iss when the issuer advertises authorization_response_iss_parameter_supported', async () => {
    const metadata = (await (await fetch(`${peer.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    const flow = await initiate();
    const callback = await reachCallback(flow, 'noiss-victim');
    const before = codeExchanges().length;
    await deliver(tampered(callback, { iss: null }));
    const after = await account(flow);
    const exchanged = codeExchanges().length - before;
    judge('mix-up: iss missing', after.status === 'ACTIVE' || exchanged > 0, `(status ${after.status}, ${exchanged} code exchange(s))`);
    expect(after.status).toBe('FAILED');
  });
});

describe('injected error parameters', () => {
  it('does not reach ACTIVE on a valid state with error=access_denied and a code, and exchanges nothing', async () => {
    const flow = await initiate();
    const callback = await reachCallback(flow, 'error-victim');
    const before = codeExchanges().length;
    const page = await deliver(tampered(callback, { error: 'access_denied', error_description: MARKUP }));
    const back = landing(page);
    expect(back?.searchParams.get('status')).toBe('failed');
    expect(back?.searchParams.get('error')).toBe('access_denied');
    expect(back?.href).not.toContain('script');
    expect(codeExchanges()).toHaveLength(before);
    const after = await account(flow);
    expect(after.status).toBe('FAILED');
    expect(await credentials(flow)).toBeNull();
    judge('error with code', after.status === 'ACTIVE');
  });

  it('never reflects markup from error or error_description unescaped in any page authlink shows', async () => {
    // Without redirectUrl authlink shows its own page: the failure page, the invalid-state page, the link page.
    const flow = await initiate({ redirectUrl: null });
    const callback = await reachCallback(flow, 'markup-victim');
    const failure = await deliver(tampered(callback, { error: MARKUP, error_description: MARKUP, code: null }), 'failure page');
    expect(failure.status).toBe(200);
    expect(failure.headers.get('content-type')).toContain('text/html');
    expect(failure.body).toContain('connection failed');
    expect(failure.body).toContain('&lt;script&gt;');

    const flow2 = await initiate({ redirectUrl: null });
    const callback2 = await reachCallback(flow2, 'markup-victim-2');
    await deliver(tampered(callback2, { error: 'access_denied', error_description: `${MARKUP}: ${MARKUP}` }), 'failure page (description)');
    await deliver(`${server.url}/oauth/callback?state=forged&error=${encodeURIComponent(MARKUP)}&error_description=${encodeURIComponent(MARKUP)}`, 'invalid state page');
    await deliver(`${server.url}/oauth/callback?error=${encodeURIComponent(MARKUP)}`, 'no state page');
    await deliver(`${server.url}/connect/${encodeURIComponent(MARKUP)}`, 'bad link page');
    await deliver(`${server.url}/connect/not-a-link-${'a'.repeat(20)}?error=${encodeURIComponent(MARKUP)}`, 'unknown link page');

    const reflected = pages.filter(({ page }) => /<script|<img|<[^>]*\sonerror\s*=/i.test(page.body) || /<script|<img/i.test(page.headers.get('location') ?? ''));
    expect(pages.length).toBeGreaterThanOrEqual(6);
    for (const { page } of pages) {
      if (page.headers.get('content-type')?.includes('text/html')) expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    }
    expect((await account(flow)).status).toBe('FAILED');
    expect((await account(flow2)).status).toBe('FAILED');
    judge('markup reflected in a page', reflected.length > 0, reflected.map((r) => r.what).join(', '));
  });
});

describe('connect links', () => {
  it('starts one authorization only, however often and however concurrently the link is opened', async () => {
    const flow = await initiate();
    const opens = await Promise.all(Array.from({ length: 8 }, () => new BrowserClient().get(flow.link)));
    const statuses = opens.map((p) => p.status).sort();
    expect(statuses).toEqual([302, 410, 410, 410, 410, 410, 410, 410]);
    const later = await new BrowserClient().get(flow.link);
    expect(later.status).toBe(410);
    pages.push({ what: 'used link page', page: later });
    const states = await server.runtime.db.selectFrom('oauth_states').select('state_hash').where('connected_account_id', '=', flow.id).execute();
    expect(states).toHaveLength(1);
    expect(await account(flow)).toMatchObject({ status: 'INITIATED' });
    judge('connect link opened twice', opens.filter((p) => p.status === 302).length !== 1 || later.status !== 410);
  });
});

/* The attacks below move the server's clock forward: they come last. */
describe('expiry', () => {
  it('refuses a state older than ten minutes and leaves the account INITIATED, exchanging nothing', async () => {
    const flow = await initiate();
    const callback = await reachCallback(flow, 'late-victim');
    const before = codeExchanges().length;
    server.advance(10 * 60 + 1);
    const late = await deliver(callback.href);
    expect(late.status).toBe(400);
    expect(codeExchanges()).toHaveLength(before);
    const after = await account(flow);
    expect(after).toMatchObject({ status: 'INITIATED', statusReason: null });
    judge('expired state', after.status === 'ACTIVE');
  });

  it('refuses connect links (OAuth redirect and hosted form) after 24 hours', async () => {
    const oauthFlow = await initiate();
    const started = await server.api('POST', '/api/v1/connected-accounts', { app: 'local-key', authScheme: 'API_KEY', authConfig: { baseUrl: 'http://127.0.0.1:9/v1' } });
    expect(started.body.connectionStatus).toBe('INITIATED');
    const formFlow: Flow = { id: started.body.connectedAccountId, link: started.body.redirectUrl, key: keyA };
    const form = await new BrowserClient().get(formFlow.link);
    expect(form.status).toBe(200);

    server.advance(24 * 60 * 60 + 1);
    const oauthLate = await new BrowserClient().get(oauthFlow.link);
    const formLate = await new BrowserClient().get(formFlow.link);
    const postLate = await new BrowserClient().postForm(formFlow.link, { apiKey: 'late-submitted-key-0123456789' });
    pages.push({ what: 'expired link page', page: oauthLate });
    expect([oauthLate.status, formLate.status, postLate.status]).toEqual([410, 410, 410]);
    const oauthAfter = await account(oauthFlow);
    const formAfter = await account(formFlow);
    expect(oauthAfter.status).toBe('INITIATED');
    expect(formAfter.status).toBe('INITIATED');
    judge('connect link after expiry', oauthLate.status !== 410 || formAfter.status === 'ACTIVE' || oauthAfter.status === 'ACTIVE');
  });
});
