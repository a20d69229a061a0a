import { decodeJwt, SignJWT } from 'jose';
import type { FieldDefinition, JwtExchange, JwtSign } from '../catalog/app-definition.js';
import { MissingTemplateFieldError, renderTemplate } from '../catalog/template.js';
import { AuthlinkError } from '../errors/authlink-error.js';
import type { Credentials } from '../model.js';
import type { AuthScheme, RefreshInput, ResolvedScheme } from './auth-scheme.js';
import { CredentialsRevoked, SchemeFailure } from './auth-scheme.js';
import { applyPlacements } from './credential-placement.js';
import { isRefusal, postToEndpoint } from './endpoint-post.js';
import { collectFields } from './field-values.js';
import { GrantFailure, initiationError } from './grant-failure.js';
import { resolveJsonPointer } from './json-pointer.js';

const DEFAULT_FIELDS: FieldDefinition[] = [
  { name: 'username', label: 'Username', secret: false, required: true, suppliedBy: 'user' },
  { name: 'password', label: 'Password', secret: true, required: true, suppliedBy: 'user' },
];
const DEFAULT_PLACEMENT = [{ in: 'header' as const, name: 'Authorization', value: 'Bearer {accessToken}' }];
/** An app outside the catalog declares nothing: exchange at the integration's tokenUrl. */
const DEFAULT_JWT: JwtExchange = { mode: 'exchange' };
const DEFAULT_TOKEN_POINTER = '/token';
const DEFAULT_TTL_SECONDS = 3600;

interface Login {
  username: string;
  password: string;
}

function invalidField(field: string, message: string, cause?: unknown): AuthlinkError {
  const path = `/data/${field}`;
  return new AuthlinkError('INVALID_FIELD', `${path}: ${message}`, { errors: [{ path, message }], cause });
}

/** The catalog declares tokenUrl or tokenPath, never both: a tokenUrl next to a path is the integration's override. */
function exchangeUrl(scheme: ResolvedScheme, jwt: JwtExchange, data: Readonly<Record<string, string>>): URL {
  if (scheme.tokenUrl) return new URL(renderTemplate(scheme.tokenUrl, data, { encode: true }));
  if (jwt.tokenPath !== undefined && scheme.baseUrl !== '') {
    return new URL(renderTemplate(scheme.baseUrl, data, { encode: true }).replace(/\/+$/, '') + jwt.tokenPath);
  }
  throw new AuthlinkError('INTEGRATION_CONFIG_INVALID', 'BASIC_WITH_JWT has no endpoint to exchange username and password at: set the integration tokenUrl');
}

/** Mode `exchange`: RFC 7617 Basic authentication at the login endpoint; the JWT is in its JSON answer. */
async function exchange(scheme: ResolvedScheme, jwt: JwtExchange, login: Login, data: Readonly<Record<string, string>>, now: Date): Promise<Credentials> {
  const url = exchangeUrl(scheme, jwt, data);
  const basic = Buffer.from(`${login.username}:${login.password}`, 'utf8').toString('base64');
  const answer = await postToEndpoint(url, { authorization: `Basic ${basic}`, accept: 'application/json' });
  if (isRefusal(answer.status)) throw new GrantFailure('refused', `${url.origin} refused the username and password (HTTP ${answer.status})`);
  if (answer.status < 200 || answer.status > 299) throw new GrantFailure('unavailable', `${url.origin} answered HTTP ${answer.status}`);
  let document: unknown;
  try {
    document = JSON.parse(answer.text);
  } catch {
    throw new GrantFailure('unavailable', `${url.origin} did not answer with JSON`);
  }
  const pointer = jwt.tokenPointer ?? DEFAULT_TOKEN_POINTER;
  const token = resolveJsonPointer(document, pointer);
  if (typeof token !== 'string') throw new GrantFailure('unavailable', `the answer of ${url.origin} has no string at ${pointer || '(root)'}`);
  let expiresAt: string | undefined;
  try {
    // Read, not verified: the JWT is for the app's API to check. This server only needs its expiry.
    // The issuer's clock is not ours: with `iat`, the lifetime is counted from our clock, as
    // expires_in is (RFC 6749 §5.1), so that skew can neither expire a fresh token nor stretch one.
    const { exp, iat } = decodeJwt(token);
    if (typeof exp === 'number') {
      const expiresMs = typeof iat === 'number' ? now.getTime() + (exp - iat) * 1000 : exp * 1000;
      expiresAt = new Date(expiresMs).toISOString();
    }
  } catch (error) {
    throw new GrantFailure('unavailable', `the value at ${pointer || '(root)'} in the answer of ${url.origin} is not a JWT`, { cause: error });
  }
  return { accessToken: token, tokenType: 'Bearer', ...(expiresAt !== undefined && { expiresAt }) };
}

/** Mode `sign`: a JWT signed here, with the password as the HMAC key (RFC 7518 §3.2). */
async function sign(jwt: JwtSign, login: Login, data: Readonly<Record<string, string>>, now: Date): Promise<Credentials> {
  // Claims may name public values only (the catalog checks it): the payload is readable by anyone.
  const values = { ...data, username: login.username };
  const claims: Record<string, string> = {};
  for (const [claim, template] of Object.entries(jwt.claims)) {
    try {
      claims[claim] = renderTemplate(template, values);
    } catch (error) {
      if (!(error instanceof MissingTemplateFieldError)) throw error;
      throw new AuthlinkError('MISSING_FIELD', `the JWT claim ${claim} needs the field ${error.field}`, { cause: error });
    }
  }
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expires = issuedAt + (jwt.ttlSeconds ?? DEFAULT_TTL_SECONDS);
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: jwt.algorithm, typ: 'JWT' })
    .setIssuedAt(issuedAt)
    .setExpirationTime(expires)
    .sign(new TextEncoder().encode(login.password));
  return { accessToken: token, tokenType: 'Bearer', expiresAt: new Date(expires * 1000).toISOString() };
}

function mint(scheme: ResolvedScheme, login: Login, data: Readonly<Record<string, string>>, now: Date): Promise<Credentials> {
  const jwt = scheme.jwt ?? DEFAULT_JWT;
  return jwt.mode === 'sign' ? sign(jwt, login, data, now) : exchange(scheme, jwt, login, data, now);
}

/**
 * `BASIC_WITH_JWT`: the user types a username and password; API calls carry a short-lived JWT
 * made from them, either obtained from a login endpoint or signed here, as the app declares
 * (`jwt` in the catalog). Username and password stay with the credentials, encrypted: each
 * renewal needs them again.
 */
export const basicWithJwtScheme: AuthScheme = {
  name: 'BASIC_WITH_JWT',

  async start({ scheme, data, now }) {
    const fields = scheme.fields.length > 0 ? scheme.fields : DEFAULT_FIELDS;
    const { secrets, publicData, missing } = collectFields(fields, data);
    if (missing.length > 0) return { kind: 'form', missing };
    const login = { username: publicData.username ?? secrets.username ?? '', password: secrets.password ?? publicData.password ?? '' };
    // RFC 7617 §2: the user-id cannot contain a colon; the server would read a different user.
    if (login.username.includes(':')) throw invalidField('username', 'must not contain ":" (RFC 7617 §2)');
    try {
      const token = await mint(scheme, login, publicData, now);
      return { kind: 'ready', credentials: { ...publicData, ...secrets, ...token }, publicData };
    } catch (error) {
      if (!(error instanceof GrantFailure)) throw error;
      throw initiationError(error, (reason) => invalidField('password', `the login was refused: ${reason}`, error));
    }
  },

  async refresh({ scheme, credentials, data, now }: RefreshInput) {
    const { username, password } = credentials;
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw new CredentialsRevoked('no username and password are stored; reinitiate the connection');
    }
    // The previous token's fields go: an exchanged JWT without `exp` must not inherit an old expiry.
    const { accessToken: _token, tokenType: _type, expiresAt: _expiry, ...login } = credentials;
    try {
      return { ...login, ...(await mint(scheme, { username, password }, data, now)) };
    } catch (error) {
      if (!(error instanceof GrantFailure)) throw error;
      // A refused login: the password was changed or the user removed. Only the user can help.
      if (error.kind === 'refused') throw new CredentialsRevoked(error.reason, { cause: error });
      throw new SchemeFailure(error.reason, { cause: error });
    }
  },

  apply(credentials, scheme, data, request) {
    applyPlacements(scheme.placement.length > 0 ? scheme.placement : DEFAULT_PLACEMENT, credentials, data, request);
  },
};
