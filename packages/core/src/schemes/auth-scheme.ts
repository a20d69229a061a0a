import type { AuthSchemeDefinition, AuthSchemeName, FieldDefinition } from '../catalog/app-definition.js';
import type { Credentials } from '../model.js';

/**
 * One scheme's view of an app: the catalog entry's scheme definition with the integration's
 * overrides applied and its templates rendered where the integration alone decides them.
 */
export type ResolvedScheme = AuthSchemeDefinition & { baseUrl: string; issuer?: string; jwksUri?: string };

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
}

/** What every auth scheme module implements. Routes and services only ever see this. */
export interface AuthScheme {
  readonly name: AuthSchemeName;
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
  /** Adds the credentials to an outgoing API request as the app definition places them. */
  apply(credentials: Credentials, scheme: ResolvedScheme, data: Readonly<Record<string, string>>, request: OutgoingRequest): void;
}

/**
 * A flow that ended badly for a reason worth recording on the account (provider said
 * access_denied, the code exchange was refused…). `reason` is shown to the project: no secrets.
 */
export class SchemeFailure extends Error {
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'SchemeFailure';
    this.reason = reason;
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
    super(reason, options);
    this.name = 'CredentialsRevoked';
  }
}
