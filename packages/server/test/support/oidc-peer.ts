/// <reference path="./oidc-provider.d.ts" />
/**
 * A REAL OAuth 2.0 / OpenID Connect authorization server (oidc-provider v9) on
 * 127.0.0.1:<random port>, for end-to-end tests.
 *
 * - Built-in dev interaction pages (login accepts any username + any password, then a
 *   consent page). Drive them with `authorizeAtOidcPeer` from `./browser-client.js`.
 * - `clockTolerance: 0`, refresh tokens rotate on every use (`rotateRefreshToken: true`),
 *   and a refresh token is issued whenever the client is allowed the `refresh_token`
 *   grant (no `offline_access` / `prompt=consent` needed).
 * - PKCE (S256 only) is required for every authorization request by default.
 * - Per-peer in-memory storage, per-peer cookie keys, quiet (no oidc-provider
 *   warnings/notices on the console).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, randomBytes, randomUUID } from 'node:crypto';
import type { JsonWebKey as NodeJsonWebKey } from 'node:crypto';

import type { Provider as ProviderClass, ProviderClient, ProviderKoaContext } from 'oidc-provider';

export interface OidcPeerClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** Default `client_secret_basic`. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Default `['authorization_code', 'refresh_token']`. Add `'client_credentials'` to allow that grant. */
  grantTypes?: string[];
}

export interface OidcPeerOptions {
  clients: OidcPeerClient[];
  /**
   * Lifetime of access tokens (authorization_code, refresh_token and client_credentials grants). Default 3600.
   * Whole seconds: exp = floor(issuedAt) + ttl and a token is dead once floor(now) >= exp, so it is usable
   * for between ttl-1 and ttl seconds (ttl 1 may be expired immediately — use >= 2).
   */
  accessTokenTtlSeconds?: number;
  /** Extra scopes to support besides openid, profile, email, offline_access. */
  scopes?: string[];
  /** Lifetime of refresh tokens. Default 14 days. */
  refreshTokenTtlSeconds?: number;
  /** Require PKCE (S256) on every authorization request. Default true. */
  pkceRequired?: boolean;
  /**
   * Claims returned for an account (login id). Default:
   * `{ sub: id, email: id contains '@' ? id : `${id}@example.com`, email_verified: true, name: `User ${id}` }`.
   */
  accountClaims?: (accountId: string) => Record<string, unknown>;
  /**
   * Where the server publishes its metadata: `openid` (OpenID Connect discovery, the default) or
   * `rfc8414` (only `/.well-known/oauth-authorization-server`, as plain OAuth 2.0 servers do).
   */
  metadata?: 'openid' | 'rfc8414';
}

export interface OidcPeerTokenRequest {
  grantType: string;
  codeVerifier?: string;
  ok: boolean;
  error?: string;
}

export interface OidcPeer {
  /** e.g. http://127.0.0.1:PORT (no trailing slash). Discovery: `${issuer}/.well-known/openid-configuration`. */
  issuer: string;
  /** Paths of the metadata documents asked for, in order, with the status answered. */
  metadataRequests: Array<{ path: string; status: number }>;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string;
  revocationEndpoint: string;
  jwksUri: string;
  /** Token-endpoint grants that SUCCEEDED (provider event `grant.success`). Mutated in place. */
  grants: { authorizationCode: number; refreshToken: number; clientCredentials: number };
  /** Every POST to the token endpoint, in order (successful or not). Mutated in place. */
  tokenRequests: OidcPeerTokenRequest[];
  /** Unexpected errors inside the provider (`server_error` event / Koa `error`). Should stay empty. */
  serverErrors: unknown[];
  /** Revokes every grant of the account (all its access/refresh tokens and codes, all clients). */
  revokeGrantsFor(accountId: string): Promise<void>;
  close(): Promise<void>;
}

type OidcProviderModule = typeof import('oidc-provider');

let providerModule: Promise<OidcProviderModule> | undefined;
let signingKey: Promise<NodeJsonWebKey> | undefined;

let quietDepth = 0;
let originalConsole: { warn: typeof console.warn; info: typeof console.info } | undefined;

/** Runs `fn` while dropping the console.warn/console.info lines that oidc-provider prints. Re-entrant. */
async function withoutProviderNoise<T>(fn: () => T | Promise<T>): Promise<T> {
  if (quietDepth++ === 0) {
    const original = { warn: console.warn, info: console.info };
    originalConsole = original;
    const filter = (write: (...args: unknown[]) => void) => (...args: unknown[]): void => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider ')) return;
      write.apply(console, args);
    };
    console.warn = filter(original.warn);
    console.info = filter(original.info);
  }
  try {
    return await fn();
  } finally {
    if (--quietDepth === 0 && originalConsole) {
      console.warn = originalConsole.warn;
      console.info = originalConsole.info;
      originalConsole = undefined;
    }
  }
}

function loadProviderModule(): Promise<OidcProviderModule> {
  // Importing warns "Unsupported runtime" on Node < 22; swallow that once.
  providerModule ??= withoutProviderNoise(() => import('oidc-provider'));
  return providerModule;
}

function loadSigningKey(): Promise<NodeJsonWebKey> {
  signingKey ??= new Promise<NodeJsonWebKey>((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, _publicKey, privateKey) => {
      if (err) reject(err);
      else resolve({ ...privateKey.export({ format: 'jwk' }), kid: 'oidc-peer-rs256', use: 'sig', alg: 'RS256' });
    });
  });
  return signingKey;
}

const ROUTES = {
  authorization: '/auth',
  token: '/token',
  userinfo: '/me',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
  jwks: '/jwks',
  end_session: '/session/end',
} as const;

const BASE_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

/* ------------------------------------------------------------------------------------------ */
/* In-memory adapter with one store per peer (lets revokeGrantsFor find grants by account).   */
/* ------------------------------------------------------------------------------------------ */

interface StoredEntry {
  payload: Record<string, unknown>;
  expiresAt: number | undefined;
}

class PeerStore {
  readonly entries = new Map<string, StoredEntry>(); // key: `${model}:${id}`

  get(key: string): Record<string, unknown> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  *live(model?: string): Iterable<[string, Record<string, unknown>]> {
    for (const key of [...this.entries.keys()]) {
      if (model !== undefined && !key.startsWith(`${model}:`)) continue;
      const payload = this.get(key);
      if (payload) yield [key, payload];
    }
  }
}

function adapterFactory(store: PeerStore) {
  return (model: string) => {
    const key = (id: string): string => `${model}:${id}`;
    return {
      async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
        store.entries.set(key(id), {
          payload,
          expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined,
        });
      },
      async find(id: string): Promise<Record<string, unknown> | undefined> {
        return store.get(key(id));
      },
      async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
        for (const [, payload] of store.live(model)) if (payload['uid'] === uid) return payload;
        return undefined;
      },
      async findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
        for (const [, payload] of store.live(model)) if (payload['userCode'] === userCode) return payload;
        return undefined;
      },
      async consume(id: string): Promise<void> {
        const payload = store.get(key(id));
        if (payload) payload['consumed'] = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string): Promise<void> {
        store.entries.delete(key(id));
      },
      async revokeByGrantId(grantId: string): Promise<void> {
        for (const [k, payload] of store.live(model)) if (payload['grantId'] === grantId) store.entries.delete(k);
      },
    };
  };
}

/* ------------------------------------------------------------------------------------------ */

function defaultAccountClaims(accountId: string): Record<string, unknown> {
  return {
    sub: accountId,
    email: accountId.includes('@') ? accountId : `${accountId}@example.com`,
    email_verified: true,
    name: `User ${accountId}`,
  };
}

function grantCounterKey(grantType: unknown): keyof OidcPeer['grants'] | undefined {
  switch (grantType) {
    case 'authorization_code':
      return 'authorizationCode';
    case 'refresh_token':
      return 'refreshToken';
    case 'client_credentials':
      return 'clientCredentials';
    default:
      return undefined;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export async function startOidcPeer(opts: OidcPeerOptions): Promise<OidcPeer> {
  const [{ Provider, errors }, jwk] = await Promise.all([loadProviderModule(), loadSigningKey()]);

  const accessTokenTtl = opts.accessTokenTtlSeconds ?? 3600;
  const refreshTokenTtl = opts.refreshTokenTtlSeconds ?? 14 * 24 * 60 * 60;
  const pkceRequired = opts.pkceRequired ?? true;
  const accountClaims = opts.accountClaims ?? defaultAccountClaims;
  const scopes = [...new Set([...BASE_SCOPES, ...(opts.scopes ?? [])])];

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const store = new PeerStore();

  const clients = opts.clients.map((c) => {
    const grantTypes = c.grantTypes ?? ['authorization_code', 'refresh_token'];
    return {
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      token_endpoint_auth_method: c.tokenEndpointAuthMethod ?? 'client_secret_basic',
      grant_types: grantTypes,
      response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
    };
  });

  const configuration: Record<string, unknown> = {
    clients,
    adapter: adapterFactory(store),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clockTolerance: 0,
    rotateRefreshToken: true,
    issueRefreshToken: async (_ctx: unknown, client: ProviderClient) => client.grantTypeAllowed('refresh_token'),
    // Refresh tokens outlive the provider's browser session (like typical third-party providers).
    expiresWithSession: async () => false,
    pkce: { required: () => pkceRequired },
    scopes,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    async findAccount(_ctx: unknown, id: string) {
      return {
        accountId: id,
        async claims() {
          return { ...accountClaims(id), sub: id };
        },
      };
    },
    routes: ROUTES,
    ttl: {
      AccessToken: accessTokenTtl,
      ClientCredentials: accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: refreshTokenTtl,
      Interaction: 3600,
      Session: 14 * 24 * 60 * 60,
      Grant: 14 * 24 * 60 * 60,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 600,
    },
    clientBasedCORS: () => true,
    async renderError(ctx: { type: string; body: unknown }, out: Record<string, unknown>) {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><html><head><title>oidc-peer error</title></head><body>${Object.entries(out)
        .map(([k, v]) => `<pre><strong>${escapeHtml(k)}</strong>: ${escapeHtml(String(v))}</pre>`)
        .join('')}</body></html>`;
    },
    features: {
      devInteractions: { enabled: true },
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, client: ProviderClient, token: { clientId: string }) => {
          if (token.clientId !== client.clientId) {
            throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          }
          return true;
        },
      },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, client: ProviderClient, token: { clientId: string }) =>
          client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
      },
      resourceIndicators: {
        enabled: true,
        // No resource servers are configured: a `resource` parameter is refused (invalid_target),
        // tokens are opaque and usable at the userinfo endpoint.
        getResourceServerInfo: async () => {
          throw new errors.InvalidTarget();
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx: { body: unknown }, form: string) {
          ctx.body = `<!DOCTYPE html><html><body>${form}<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button><button type="submit" form="op.logoutForm">No, stay signed in</button></body></html>`;
        },
        async postLogoutSuccessSource(ctx: { body: unknown }) {
          ctx.body = '<!DOCTYPE html><html><body><h1>Sign-out Success</h1></body></html>';
        },
      },
    },
  };

  let provider: ProviderClass;
  try {
    // The constructor warns about devInteractions; keep the console quiet.
    provider = await withoutProviderNoise(() => new Provider(issuer, configuration));
  } catch (err) {
    server.close();
    throw err;
  }

  const grants: OidcPeer['grants'] = { authorizationCode: 0, refreshToken: 0, clientCredentials: 0 };
  const tokenRequests: OidcPeerTokenRequest[] = [];
  const serverErrors: unknown[] = [];

  provider.on('grant.success', (ctx: ProviderKoaContext) => {
    const counter = grantCounterKey(ctx.oidc?.params?.['grant_type']);
    if (counter) grants[counter] += 1;
  });
  provider.on('server_error', (_ctx: unknown, err: unknown) => {
    serverErrors.push(err);
  });
  // A listener on 'error' also stops Koa from logging errors to stderr itself.
  provider.on('error', (err: unknown) => {
    if (!serverErrors.includes(err)) serverErrors.push(err);
  });

  provider.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== ROUTES.token) return next();
    try {
      await next();
    } finally {
      const oidc = ctx.oidc;
      const source = oidc?.body ?? oidc?.params ?? {};
      const ok = ctx.status >= 200 && ctx.status < 300;
      const record: OidcPeerTokenRequest = { grantType: str(source['grant_type']) ?? '', ok };
      const codeVerifier = str(source['code_verifier']);
      if (codeVerifier !== undefined) record.codeVerifier = codeVerifier;
      if (!ok) {
        const body = ctx.body as { error?: unknown } | undefined;
        record.error = str(body?.error) ?? `http_${ctx.status}`;
      }
      tokenRequests.push(record);
    }
  });

  const handle = provider.callback();
  const metadataRequests: OidcPeer['metadataRequests'] = [];
  const OPENID_METADATA = '/.well-known/openid-configuration';
  const RFC8414_METADATA = '/.well-known/oauth-authorization-server';
  server.on('request', (request, response) => {
    const path = request.url?.split('?')[0] ?? '';
    if (path === OPENID_METADATA || path === RFC8414_METADATA) {
      const served = (opts.metadata ?? 'openid') === 'openid' ? OPENID_METADATA : RFC8414_METADATA;
      metadataRequests.push({ path, status: path === served ? 200 : 404 });
      if (path !== served) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
        return;
      }
      // The same document, at the location RFC 8414 §3 gives it.
      request.url = OPENID_METADATA;
    }
    void handle(request, response);
  });

  let closed: Promise<void> | undefined;

  return {
    issuer,
    metadataRequests,
    authorizationEndpoint: `${issuer}${ROUTES.authorization}`,
    tokenEndpoint: `${issuer}${ROUTES.token}`,
    userinfoEndpoint: `${issuer}${ROUTES.userinfo}`,
    revocationEndpoint: `${issuer}${ROUTES.revocation}`,
    jwksUri: `${issuer}${ROUTES.jwks}`,
    grants,
    tokenRequests,
    serverErrors,
    async revokeGrantsFor(accountId: string): Promise<void> {
      const grantIds = new Set<string>();
      for (const [key, payload] of store.live('Grant')) {
        if (payload['accountId'] === accountId) {
          grantIds.add(key.slice('Grant:'.length));
          store.entries.delete(key);
        }
      }
      if (grantIds.size === 0) return;
      for (const [key, payload] of store.live()) {
        const grantId = payload['grantId'];
        if (typeof grantId === 'string' && grantIds.has(grantId)) store.entries.delete(key);
      }
    },
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A fresh login id, e.g. `user-1a2b3c4d` (handy to keep accounts of different tests apart). */
export function randomAccountId(prefix = 'user'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
