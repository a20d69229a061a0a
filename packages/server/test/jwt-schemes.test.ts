import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Catalog, type AppDefinition } from '@authlink/core';
import { decodeJwt, decodeProtectedHeader, exportPKCS8, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './support/test-apps.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/**
 * A local token service on 127.0.0.1 playing Google's token endpoint (RFC 7523 JWT-bearer grant,
 * assertions verified with jose against the service account's public key) and two login
 * endpoints that take RFC 7617 Basic credentials and answer with a JWT.
 */
interface TokenService {
  base: string;
  googleTokenUrl: string;
  /** Every assertion the Google endpoint verified, in order. */
  assertions: { header: Record<string, unknown>; payload: JWTPayload }[];
  /** Every request the Google endpoint received, verified or not. */
  googleRequests: number;
  logins: number;
  close: () => Promise<void>;
}

const GRANT_JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const USER = { username: 'ada', password: 'correct horse battery staple' };
/** The login endpoints' own signing key: authlink never sees it and only reads the JWTs' `exp`. */
const LOGIN_SIGNING_KEY = new TextEncoder().encode('login-service-signing-key-0123456789abcdef');
const LOGIN_TTL_SECONDS = 600;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function basicLogin(request: IncomingMessage): string | undefined {
  const [scheme, value] = (request.headers.authorization ?? '').split(' ');
  if (scheme !== 'Basic' || value === undefined) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  return username === USER.username && password === USER.password ? username : undefined;
}

async function startTokenService(serviceAccount: { clientEmail: string; publicKey: CryptoKey }): Promise<TokenService> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const service: TokenService = {
    base,
    googleTokenUrl: `${base}/google/token`,
    assertions: [],
    googleRequests: 0,
    logins: 0,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
  let issued = 0;

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const body = await readBody(request);
      const path = new URL(request.url ?? '/', base).pathname;
      if (request.method === 'POST' && path === '/google/token') {
        service.googleRequests += 1;
        const form = new URLSearchParams(body);
        if (form.get('grant_type') !== GRANT_JWT_BEARER) return json(response, 400, { error: 'unsupported_grant_type' });
        try {
          const { payload, protectedHeader } = await jwtVerify(form.get('assertion') ?? '', serviceAccount.publicKey, {
            algorithms: ['RS256'],
            issuer: serviceAccount.clientEmail,
            audience: service.googleTokenUrl,
          });
          service.assertions.push({ header: protectedHeader, payload });
        } catch {
          return json(response, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
        }
        issued += 1;
        return json(response, 200, { access_token: `ya29.service-token-${issued}`, token_type: 'Bearer', expires_in: 3600 });
      }
      if (request.method === 'POST' && (path === '/login' || path === '/api/v2/auth/session')) {
        service.logins += 1;
        const username = basicLogin(request);
        if (username === undefined) return json(response, 401, { message: 'bad credentials' });
        const token = await new SignJWT({ login: service.logins })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(username)
          .setIssuedAt()
          .setExpirationTime(`${LOGIN_TTL_SECONDS}s`)
          .sign(LOGIN_SIGNING_KEY);
        return json(response, 200, path === '/login' ? { token } : { data: { jwt: token, kind: 'session' } });
      }
      json(response, 404, { error: 'not_found' });
    })().catch((error: unknown) => json(response, 500, { error: String(error) }));
  });
  return service;
}

function catalogFor(service: TokenService): Catalog {
  const basicFields = [
    { name: 'username', label: 'Username', secret: false, required: true, suppliedBy: 'user' as const },
    { name: 'password', label: 'Password', secret: true, required: true, suppliedBy: 'user' as const },
  ];
  const bearer = [{ in: 'header' as const, name: 'Authorization', value: 'Bearer {accessToken}' }];
  const app = (key: string, baseUrl: string, scheme: AppDefinition['authSchemes'][number]): AppDefinition => testApp(key, baseUrl, [scheme]);
  return Catalog.fromDefinitions([
    app('acme-signed', 'https://api.acme-signed.example', {
      scheme: 'BASIC_WITH_JWT',
      fields: [...basicFields, { name: 'tenant', label: 'Tenant', secret: false, required: true, suppliedBy: 'user' }],
      jwt: { mode: 'sign', algorithm: 'HS256', ttlSeconds: 600, claims: { iss: '{username}', aud: 'acme-api', tenant: '{tenant}' } },
      placement: bearer,
    }),
    app('acme-session', `${service.base}/api/v2`, {
      scheme: 'BASIC_WITH_JWT',
      fields: basicFields,
      jwt: { mode: 'exchange', tokenPath: '/auth/session', tokenPointer: '/data/jwt' },
      placement: bearer,
    }),
  ]);
}

let server: TestServer;
let tokens: TokenService;
let serviceAccountJson: string;
let serviceAccount: Record<string, string>;
let otherPrivateKeyPem: string;

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('RS256', { extractable: true });
  otherPrivateKeyPem = await exportPKCS8(other.privateKey);
  const clientEmail = 'robot@acme-project.iam.gserviceaccount.com';
  tokens = await startTokenService({ clientEmail, publicKey });
  serviceAccount = {
    type: 'service_account',
    project_id: 'acme-project',
    private_key_id: 'key-0001',
    private_key: await exportPKCS8(privateKey),
    client_email: clientEmail,
    client_id: '1234567890',
    token_uri: tokens.googleTokenUrl,
  };
  serviceAccountJson = JSON.stringify(serviceAccount);
  server = await startTestServer({ logLevel: 'warn', catalog: catalogFor(tokens) });
});

afterAll(async () => {
  await server?.close();
  await tokens?.close();
});

async function createIntegration(body: Record<string, unknown>): Promise<string> {
  const created = await server.api('POST', '/api/v1/integrations', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

async function initiate(body: Record<string, unknown>) {
  return server.api('POST', '/api/v1/connected-accounts', body);
}

async function credentialsOf(id: string) {
  const read = await server.api('GET', `/api/v1/connected-accounts/${id}/credentials`);
  expect(read.status, JSON.stringify(read.body)).toBe(200);
  return read.body.credentials as Record<string, string>;
}

async function accountsOfEntity(entityId: string) {
  return (await server.api('GET', `/api/v1/connected-accounts?entityId=${entityId}`)).body.items as unknown[];
}

const SCOPES = ['https://www.googleapis.com/auth/drive.readonly', 'https://www.googleapis.com/auth/calendar'];

describe('GOOGLE_SERVICE_ACCOUNT (RFC 7523 JWT-bearer grant)', () => {
  let integrationId: string;

  beforeAll(async () => {
    integrationId = await createIntegration({ app: 'acme-gsa', authScheme: 'GOOGLE_SERVICE_ACCOUNT', authConfig: { tokenUrl: tokens.googleTokenUrl, scopes: SCOPES } });
  });

  it('signs an assertion the token endpoint verifies, and is ACTIVE with the token it answered', async () => {
    const seen = tokens.assertions.length;
    const started = await initiate({ integrationId, entityId: 'gsa-owner', data: { serviceAccountJson, subject: 'admin@acme.example' } });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.connectionStatus).toBe('ACTIVE');

    expect(tokens.assertions).toHaveLength(seen + 1);
    const { header, payload } = tokens.assertions[seen]!;
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: 'key-0001' });
    expect(payload).toMatchObject({ iss: serviceAccount.client_email, aud: tokens.googleTokenUrl, scope: SCOPES.join(' '), sub: 'admin@acme.example' });
    expect(payload.exp! - payload.iat!).toBeGreaterThan(0);
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(3600);

    const credentials = await credentialsOf(started.body.connectedAccountId);
    expect(credentials.accessToken).toMatch(/^ya29\.service-token-\d+$/);
    expect(credentials.tokenType).toMatch(/^bearer$/i);
    const account = await server.api('GET', `/api/v1/connected-accounts/${started.body.connectedAccountId}`);
    expect(account.body.data).toEqual({ subject: 'admin@acme.example' });
    expect(JSON.stringify(account.body)).not.toContain('PRIVATE KEY');
  });

  it('mints a new token with a new assertion once the old one expires', async () => {
    const started = await initiate({ integrationId, entityId: 'gsa-renew', data: { serviceAccountJson } });
    const id = started.body.connectedAccountId as string;
    const first = await credentialsOf(id);
    const seen = tokens.assertions.length;

    server.advance(3600);
    const renewed = await credentialsOf(id);
    expect(renewed.accessToken).not.toBe(first.accessToken);
    expect(tokens.assertions).toHaveLength(seen + 1);
    const { payload } = tokens.assertions[seen]!;
    expect(payload.sub).toBeUndefined();
    expect(payload.iat!).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 3500);
  });

  it('refuses a key file whose token_uri names another server, without calling anyone', async () => {
    const requests = tokens.googleRequests;
    const foreign = JSON.stringify({ ...serviceAccount, token_uri: 'https://attacker.example/collect' });
    const refused = await initiate({ integrationId, entityId: 'gsa-foreign', data: { serviceAccountJson: foreign } });

    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'INVALID_FIELD', errors: [{ path: '/data/serviceAccountJson' }] });
    expect(refused.body.detail).toContain('token_uri');
    expect(JSON.stringify(refused.body)).not.toContain('PRIVATE KEY');
    expect(tokens.googleRequests).toBe(requests);
    expect(await accountsOfEntity('gsa-foreign')).toEqual([]);
  });

  it.each([
    ['not JSON', 'this is not json', 'is not JSON'],
    ['another kind of key file', JSON.stringify({ installed: { client_id: 'x' } }), 'service_account'],
    ['a key file without client_email', JSON.stringify({ type: 'service_account', private_key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }), 'client_email'],
    ['a broken private key', JSON.stringify({ type: 'service_account', client_email: 'a@b.example', private_key: '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ1dC1icm9rZW4=\n-----END PRIVATE KEY-----\n' }), 'private_key'],
  ])('names the fault in %s and never echoes it', async (_name, value, fault) => {
    const refused = await initiate({ integrationId, entityId: 'gsa-malformed', data: { serviceAccountJson: value } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'INVALID_FIELD', errors: [{ path: '/data/serviceAccountJson' }] });
    expect(refused.body.detail).toContain(fault);
    expect(JSON.stringify(refused.body)).not.toContain('c2VjcmV0LWJ1dC1icm9rZW4');
    expect(JSON.stringify(refused.body)).not.toContain('this is not json');
    expect(await accountsOfEntity('gsa-malformed')).toEqual([]);
  });

  it('answers 400 when the token endpoint refuses the key, and stores nothing', async () => {
    const stranger = JSON.stringify({ ...serviceAccount, private_key: otherPrivateKeyPem });
    const refused = await initiate({ integrationId, entityId: 'gsa-stranger', data: { serviceAccountJson: stranger } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'INVALID_FIELD' });
    expect(refused.body.detail).toContain('invalid_grant');
    expect(await accountsOfEntity('gsa-stranger')).toEqual([]);
  });
});

describe('BASIC_WITH_JWT', () => {
  it('sign mode: the proxy sends a JWT signed with the password that carries the declared claims', async () => {
    const started = await initiate({ app: 'acme-signed', entityId: 'signer', data: { ...USER, tenant: 'blue' } });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.connectionStatus).toBe('ACTIVE');
    const id = started.body.connectedAccountId as string;

    // What the proxy would add to an API request.
    const target = await server.runtime.services.connections.authorizedTarget('default', id);
    const request = { headers: {} as Record<string, string>, query: new URLSearchParams() };
    target.applyCredentials(request);
    const [scheme, jwt] = (request.headers.authorization ?? '').split(' ');
    expect(scheme).toBe('Bearer');

    const { payload, protectedHeader } = await jwtVerify(jwt!, new TextEncoder().encode(USER.password), {
      algorithms: ['HS256'],
      issuer: USER.username,
      audience: 'acme-api',
    });
    expect(protectedHeader).toMatchObject({ alg: 'HS256', typ: 'JWT' });
    expect(payload.tenant).toBe('blue');
    expect(payload.exp! - payload.iat!).toBe(600);
    expect((await credentialsOf(id)).accessToken).toBe(jwt);
    await expect(jwtVerify(jwt!, new TextEncoder().encode('another password'))).rejects.toThrow();
  });

  it('sign mode: signs a new JWT once the old one is about to expire', async () => {
    const started = await initiate({ app: 'acme-signed', entityId: 'signer-renew', data: { ...USER, tenant: 'red' } });
    const id = started.body.connectedAccountId as string;
    const first = decodeJwt((await credentialsOf(id)).accessToken!);
    server.advance(600);
    const renewed = decodeJwt((await credentialsOf(id)).accessToken!);
    expect(renewed.iat!).toBeGreaterThan(first.iat!);
    expect(renewed.exp! - renewed.iat!).toBe(600);
  });

  it('exchange mode (an app outside the catalog): logs in at the tokenUrl with Basic auth and keeps the JWT with its expiry', async () => {
    const integrationId = await createIntegration({ app: 'acme-login', authScheme: 'BASIC_WITH_JWT', authConfig: { tokenUrl: `${tokens.base}/login` } });
    const started = await initiate({ integrationId, entityId: 'exchanger', data: USER });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.connectionStatus).toBe('ACTIVE');

    const credentials = await credentialsOf(started.body.connectedAccountId);
    const { payload } = await jwtVerify(credentials.accessToken!, LOGIN_SIGNING_KEY);
    expect(payload.sub).toBe(USER.username);
    // The JWT's lifetime, counted on authlink's clock (which earlier tests moved forward).
    const lifetimeMs = Date.parse(credentials.expiresAt!) - Date.parse((await server.api('GET', `/api/v1/connected-accounts/${started.body.connectedAccountId}`)).body.updatedAt);
    expect(Math.abs(lifetimeMs - (payload.exp! - payload.iat!) * 1000)).toBeLessThan(2000);
    expect(decodeProtectedHeader(credentials.accessToken!).alg).toBe('HS256');

    const logins = tokens.logins;
    server.advance(LOGIN_TTL_SECONDS);
    const renewed = await credentialsOf(started.body.connectedAccountId);
    expect(tokens.logins).toBe(logins + 1);
    expect(renewed.accessToken).not.toBe(credentials.accessToken);
  });

  it('exchange mode (declared by the app): finds the endpoint under baseUrl and the JWT at its pointer', async () => {
    const started = await initiate({ app: 'acme-session', entityId: 'session-user', data: USER });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const credentials = await credentialsOf(started.body.connectedAccountId);
    const { payload } = await jwtVerify(credentials.accessToken!, LOGIN_SIGNING_KEY);
    expect(payload.sub).toBe(USER.username);
  });

  it('exchange mode: a refused password is the caller’s 400 and no account is stored', async () => {
    const refused = await initiate({ app: 'acme-session', entityId: 'wrong-password', data: { ...USER, password: 'tr0ub4dor&3' } });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'INVALID_FIELD', errors: [{ path: '/data/password' }] });
    expect(JSON.stringify(refused.body)).not.toContain('tr0ub4dor');
    expect(await accountsOfEntity('wrong-password')).toEqual([]);
  });

  it('needs an exchange endpoint for an app outside the catalog', async () => {
    const created = await server.api('POST', '/api/v1/integrations', { app: 'acme-nowhere', authScheme: 'BASIC_WITH_JWT' });
    expect(created.status).toBe(400);
    expect(created.body.errors).toEqual([expect.objectContaining({ path: '/authConfig/tokenUrl' })]);
  });
});
