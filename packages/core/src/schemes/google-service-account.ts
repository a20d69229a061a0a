import { SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import type { FieldDefinition } from '../catalog/app-definition.js';
import { renderTemplate } from '../catalog/template.js';
import { AuthlinkError } from '../errors/authlink-error.js';
import type { Credentials } from '../model.js';
import type { AuthScheme, RefreshInput, ResolvedScheme } from './auth-scheme.js';
import { CredentialsRevoked, SchemeFailure } from './auth-scheme.js';
import { applyPlacements } from './credential-placement.js';
import { collectFields } from './field-values.js';
import { GrantFailure, initiationError, toGrantFailure } from './grant-failure.js';
import { requestOptions } from './oauth-http.js';
import { parseServiceAccountKey } from './service-account-key.js';
import { tokenResponseCredentials } from './token-response-credentials.js';

const KEY_FIELD = 'serviceAccountJson';
const DEFAULT_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** RFC 7523 §2.1. */
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google refuses assertions valid for longer than an hour. */
const ASSERTION_LIFETIME_SECONDS = 3600;

const DEFAULT_FIELDS: FieldDefinition[] = [
  { name: KEY_FIELD, label: 'Service account key (JSON)', secret: true, required: true, suppliedBy: 'user' },
  {
    name: 'subject',
    label: 'User to act as',
    description: 'Only with domain-wide delegation: the email address of the Workspace user to impersonate.',
    secret: false,
    required: false,
    suppliedBy: 'user',
  },
];
const DEFAULT_PLACEMENT = [{ in: 'header' as const, name: 'Authorization', value: 'Bearer {accessToken}' }];

/** The integration's (or catalog's) token endpoint — never the key file's `token_uri`. */
function tokenUrlOf(scheme: ResolvedScheme, data: Readonly<Record<string, string>>): string {
  return scheme.tokenUrl ? renderTemplate(scheme.tokenUrl, data, { encode: true }) : DEFAULT_TOKEN_URL;
}

/** The assertion authenticates the grant on its own (RFC 7523 §3.1): no client authentication. */
const assertionOnly: oauth.ClientAuth = () => undefined;

/** RFC 7523 §2.1 and §3: a self-signed JWT exchanged for an access token. */
async function grant(scheme: ResolvedScheme, json: string, data: Readonly<Record<string, string>>, now: Date): Promise<Credentials> {
  const tokenUrl = tokenUrlOf(scheme, data);
  const key = await parseServiceAccountKey(KEY_FIELD, json, tokenUrl);
  const scopes = scheme.scopes ?? scheme.defaultScopes ?? [];
  const issuedAt = Math.floor(now.getTime() / 1000);
  const jwt = new SignJWT(scopes.length > 0 ? { scope: scopes.join(' ') } : {})
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(key.privateKeyId && { kid: key.privateKeyId }) })
    .setIssuer(key.clientEmail)
    .setAudience(tokenUrl)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ASSERTION_LIFETIME_SECONDS);
  // Domain-wide delegation: the Workspace user the service account acts as.
  const subject = data.subject;
  if (subject) jwt.setSubject(subject);
  const assertion = await jwt.sign(key.privateKey);

  const as: oauth.AuthorizationServer = { issuer: new URL(tokenUrl).origin, token_endpoint: tokenUrl };
  const client: oauth.Client = { client_id: key.clientEmail };
  try {
    const response = await oauth.genericTokenEndpointRequest(as, client, assertionOnly, JWT_BEARER_GRANT, { assertion }, requestOptions(tokenUrl));
    const result = await oauth.processGenericTokenEndpointResponse(as, client, response);
    return { ...tokenResponseCredentials(result, now), [KEY_FIELD]: json };
  } catch (error) {
    throw toGrantFailure(error);
  }
}

/**
 * `GOOGLE_SERVICE_ACCOUNT`: the user (or initiator) hands over a service-account key file; each
 * access token is minted with a JWT signed by that key (RFC 7523). The key is kept with the
 * credentials, encrypted, because every renewal signs a new assertion.
 */
export const googleServiceAccountScheme: AuthScheme = {
  name: 'GOOGLE_SERVICE_ACCOUNT',

  async start({ scheme, data, now }) {
    const fields = scheme.fields.length > 0 ? scheme.fields : DEFAULT_FIELDS;
    const { secrets, publicData, missing } = collectFields(fields, data);
    if (missing.length > 0) return { kind: 'form', missing };
    const json = secrets[KEY_FIELD];
    if (json === undefined) throw new AuthlinkError('MISSING_FIELD', `/data/${KEY_FIELD} is required`);
    try {
      return { kind: 'ready', credentials: await grant(scheme, json, publicData, now), publicData };
    } catch (error) {
      if (!(error instanceof GrantFailure)) throw error;
      throw initiationError(error, (reason) => {
        const message = `the token endpoint refused this service account (${reason})`;
        return new AuthlinkError('INVALID_FIELD', `/data/${KEY_FIELD}: ${message}`, { errors: [{ path: `/data/${KEY_FIELD}`, message }], cause: error });
      });
    }
  },

  async refresh({ scheme, credentials, data, now }: RefreshInput) {
    const json = credentials[KEY_FIELD];
    if (typeof json !== 'string') throw new CredentialsRevoked('no service-account key is stored; reinitiate the connection');
    try {
      return await grant(scheme, json, data, now);
    } catch (error) {
      // The key no longer fits the integration (its token endpoint changed): only a new key helps.
      if (error instanceof AuthlinkError && error.code === 'INVALID_FIELD') throw new CredentialsRevoked(error.message, { cause: error });
      if (!(error instanceof GrantFailure)) throw error;
      // A refused assertion means the key was deleted or disabled, or delegation was withdrawn.
      if (error.kind === 'refused') throw new CredentialsRevoked(error.reason, { cause: error });
      throw new SchemeFailure(error.reason, { cause: error });
    }
  },

  apply(credentials, scheme, data, request) {
    applyPlacements(scheme.placement.length > 0 ? scheme.placement : DEFAULT_PLACEMENT, credentials, data, request);
  },
};
