import type { AuthSchemeDefinition, AuthSchemeName, FieldDefinition } from '../catalog/app-definition.js';
import type { Credentials } from '../model.js';

/**
 * One scheme's view of an app: the catalog entry's scheme definition with the integration's
 * overrides applied and its templates rendered where the integration alone decides them.
 */
export type ResolvedScheme = AuthSchemeDefinition & {
  baseUrl: string;
  issuer?: string;
  jwksUri?: string;
  /** The server sends `iss` in authorization responses (RFC 9207 §3). */
  issParameterSupported?: boolean;
  /** The integration's scopes: what schemes that mint tokens without a browser step ask for. */
  scopes?: string[];
};

export interface StartInput {
  scheme: ResolvedScheme;
  /** Everything the initiator (or the end user on the hosted form) supplied. */
  data: Readonly<Record<string, string>>;
  /** The integration's client credentials, decrypted on demand (only token-minting schemes ask). */
  client: () => Promise<OAuthClient>;
  now: Date;
}

export type StartResult =
  /** Credentials complete: the account is ACTIVE at once. */
  | { kind: 'ready'; credentials: Credentials; publicData: Record<string, string> }
  /** The end user must type the missing fields into the hosted form. */
  | { kind: 'form'; missing: FieldDefinition[] }
  /** The end user's browser must go to the provider. */
  | { kind: 'redirect'; publicData: Record<string, string> };

export interface OAuthClient {
  clientId: string;
  clientSecret: string | null;
}

export interface AuthorizeInput {
  scheme: ResolvedScheme;
  client: OAuthClient;
  scopes: string[];
  redirectUri: string;
  data: Readonly<Record<string, string>>;
}

export interface AuthorizeResult {
  url: string;
  state: string;
  /** Secret until the callback (PKCE verifier, nonce…); stored encrypted. */
  pending: Record<string, string>;
}

export interface CompleteInput {
  scheme: ResolvedScheme;
  client: OAuthClient;
  redirectUri: string;
  /** The full callback URL the browser arrived at. */
  callbackUrl: URL;
  state: string;
  pending: Readonly<Record<string, string>>;
  data: Readonly<Record<string, string>>;
  /** The server's clock: expiry times are computed from it. */
  now: Date;
}

export interface OutgoingRequest {
  headers: Record<string, string>;
  query: URLSearchParams;
  /**
   * The HTTP method. Optional: only schemes that sign each request (OAUTH1) need it, and they
   * refuse a request without it rather than send a signature that cannot verify.
   */
  method?: string;
  /** Where the request goes; its own query string, if any, is sent (and signed) together with `query`. */
  url?: URL;
  /** The parameters of an `application/x-www-form-urlencoded` body: an OAuth 1.0a signature covers them (RFC 5849 §3.4.1.3.1). */
  form?: URLSearchParams;
}

/** What every auth scheme module implements. Routes and services only ever see this. */
export interface AuthScheme {
  readonly name: AuthSchemeName;
  /** Signs every request with the client's secret (OAuth 1.0a): `apply` then needs the client. */
  readonly signsEachRequest?: boolean;
  /**
   * Checks the supplied fields; says whether credentials are complete or what must happen next.
   * Schemes that mint tokens without a browser (client credentials, service accounts) get the
   * first token here, so an account is never ACTIVE with credentials that do not work.
   */
  start(input: StartInput): StartResult | Promise<StartResult>;
  /** Redirect schemes: builds the authorization request. */
  authorize?(input: AuthorizeInput): Promise<AuthorizeResult>;
  /** Redirect schemes: turns the callback into credentials; throws SchemeFailure when it cannot. */
  complete?(input: CompleteInput): Promise<Credentials>;
  /** Schemes with expiring credentials: new credentials from the old ones (RFC 6749 §6). */
  refresh?(input: RefreshInput): Promise<Credentials>;
  /**
   * Revokes the credentials at the provider (RFC 7009) when the account is deleted. Resolves
   * false when the provider offers no way to revoke; rejects when revocation failed.
   */
  revoke?(input: RevokeInput): Promise<boolean>;
  /**
   * Adds the credentials to an outgoing API request as the app definition places them. `client`
   * is only read by schemes whose requests are signed with the integration's secret (OAUTH1).
   */
  apply(credentials: Credentials, scheme: ResolvedScheme, data: Readonly<Record<string, string>>, request: OutgoingRequest, client?: OAuthClient): void;
}

/**
 * A flow that ended badly for a reason worth recording on the account (provider said
 * access_denied, the code exchange was refused…). `reason` is shown to the project: no secrets.
 */
export class SchemeFailure extends Error {
  readonly reason: string;
  /** Worth retrying soon (network, 5xx, 429), as opposed to a refusal that will not change by itself. */
  readonly transient: boolean;
  constructor(reason: string, options?: { cause?: unknown; transient?: boolean }) {
    super(reason, options);
    this.name = 'SchemeFailure';
    this.reason = reason;
    this.transient = options?.transient ?? true;
  }
}

export interface RefreshInput {
  scheme: ResolvedScheme;
  client: OAuthClient;
  credentials: Credentials;
  data: Readonly<Record<string, string>>;
  now: Date;
}

export interface RevokeInput {
  scheme: ResolvedScheme;
  client: OAuthClient;
  credentials: Credentials;
  data: Readonly<Record<string, string>>;
}

/** The refresh token is no longer accepted (revoked, expired, reused): only re-consent helps. */
export class CredentialsRevoked extends SchemeFailure {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, { ...options, transient: false });
    this.name = 'CredentialsRevoked';
  }
}
