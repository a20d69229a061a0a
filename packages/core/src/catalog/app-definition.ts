/**
 * The shape of a catalog entry. An app is DATA: one JSON file per app under `catalog/apps/`,
 * validated against these TypeBox schemas (which double as the published JSON Schema,
 * `catalog/app.schema.json`) and then by the semantic checks in `catalog.ts`.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

export const AUTH_SCHEME_NAMES = [
  'OAUTH2',
  'OAUTH1',
  'API_KEY',
  'BASIC',
  'BEARER_TOKEN',
  'BASIC_WITH_JWT',
  'GOOGLE_SERVICE_ACCOUNT',
  'CLIENT_CREDENTIALS',
  'NO_AUTH',
] as const satisfies readonly string[];

export type AuthSchemeName = (typeof AUTH_SCHEME_NAMES)[number];

/** Source of the patterns below, shared with the loader's checks. */
export const APP_KEY_PATTERN = '^[a-z0-9][a-z0-9-]*$';
export const FIELD_NAME_PATTERN = '^[a-zA-Z][a-zA-Z0-9_]*$';
const URL_TEMPLATE_PATTERN = '^https?://';
const JSON_POINTER_PATTERN = '^(/.*)?$';

const UrlTemplate = (description: string) =>
  Type.String({ minLength: 1, pattern: URL_TEMPLATE_PATTERN, description });

const StringMap = (description: string) =>
  Type.Record(Type.String({ minLength: 1 }), Type.String(), { description });

export const AuthSchemeNameSchema = Type.Union(
  AUTH_SCHEME_NAMES.map((name) => Type.Literal(name)),
  { description: 'How the connection authenticates.' },
);

export const FieldDefinitionSchema = Type.Object(
  {
    name: Type.String({
      pattern: FIELD_NAME_PATTERN,
      description: 'camelCase identifier; templates refer to it as {name}.',
    }),
    label: Type.String({ minLength: 1, description: 'Shown on the hosted connect form.' }),
    description: Type.Optional(Type.String({ description: 'Help text shown under the input.' })),
    secret: Type.Boolean({ description: 'Secrets are encrypted at rest and never shown back.' }),
    required: Type.Boolean(),
    suppliedBy: Type.Union([Type.Literal('user'), Type.Literal('integration')], {
      description: "'user': the end user enters it on connect; 'integration': the project sets it on the integration.",
    }),
    pattern: Type.Optional(
      Type.String({ minLength: 1, description: 'JavaScript regular expression source the value must match.' }),
    ),
    placeholder: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type FieldDefinition = Static<typeof FieldDefinitionSchema>;

export const CredentialPlacementSchema = Type.Object(
  {
    in: Type.Union([Type.Literal('header'), Type.Literal('query')]),
    name: Type.String({ minLength: 1, description: 'Header or query parameter name.' }),
    value: Type.String({
      minLength: 1,
      description:
        'Template, e.g. "Bearer {accessToken}" or "{apiKey}". May reference the credentials accessToken, apiKey, token, username, password, basic (base64 of username:password) or a field of the scheme.',
    }),
  },
  { additionalProperties: false },
);
export type CredentialPlacement = Static<typeof CredentialPlacementSchema>;

/**
 * BASIC_WITH_JWT, mode `exchange`: username and password go to an endpoint as RFC 7617 Basic
 * authentication and its JSON answer holds the JWT. The expiry is read from the JWT's `exp`.
 */
export const JwtExchangeSchema = Type.Object(
  {
    mode: Type.Literal('exchange'),
    tokenPath: Type.Optional(
      Type.String({
        pattern: '^/',
        description: "The exchange endpoint as a path under baseUrl. Without it the scheme's tokenUrl is the endpoint.",
      }),
    ),
    tokenPointer: Type.Optional(
      Type.String({ pattern: JSON_POINTER_PATTERN, description: 'JSON pointer (RFC 6901) to the JWT in the answer. Default: /token.' }),
    ),
  },
  { additionalProperties: false },
);
export type JwtExchange = Static<typeof JwtExchangeSchema>;

/** BASIC_WITH_JWT, mode `sign`: the JWT is signed here with the password as the HMAC key. */
export const JwtSignSchema = Type.Object(
  {
    mode: Type.Literal('sign'),
    algorithm: Type.Union([Type.Literal('HS256'), Type.Literal('HS384'), Type.Literal('HS512')]),
    ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: 'exp - iat. Default: 3600.' })),
    claims: StringMap(
      'Claim templates, e.g. {"iss": "{username}"}; they may name username and the non-secret fields. iat and exp are set here.',
    ),
  },
  { additionalProperties: false },
);
export type JwtSign = Static<typeof JwtSignSchema>;

export const JwtDefinitionSchema = Type.Union([JwtExchangeSchema, JwtSignSchema], {
  description: 'BASIC_WITH_JWT only: how username and password become a JWT. Default: exchange at tokenUrl, JWT at /token.',
});
export type JwtDefinition = Static<typeof JwtDefinitionSchema>;

export const AuthSchemeDefinitionSchema = Type.Object(
  {
    scheme: AuthSchemeNameSchema,
    fields: Type.Array(FieldDefinitionSchema, {
      description:
        'Every field the connection needs. API_KEY must include apiKey; BASIC and BASIC_WITH_JWT username and password; BEARER_TOKEN token; GOOGLE_SERVICE_ACCOUNT serviceAccountJson; OAUTH2 and OAUTH1 only extra end-user fields (such as a shop subdomain).',
    }),
    authorizationUrl: Type.Optional(UrlTemplate('OAuth authorization endpoint; may reference fields, e.g. {shop}.')),
    tokenUrl: Type.Optional(UrlTemplate('OAuth token endpoint (OAUTH1: the token credentials endpoint); may reference fields.')),
    requestTokenUrl: Type.Optional(
      UrlTemplate('OAUTH1 only: the temporary credentials (request token) endpoint, RFC 5849 §2.1; may reference fields.'),
    ),
    revocationUrl: Type.Optional(UrlTemplate('RFC 7009 token revocation endpoint.')),
    userinfoUrl: Type.Optional(UrlTemplate('OpenID Connect userinfo endpoint.')),
    issuer: Type.Optional(UrlTemplate('OpenID Connect issuer: ID tokens and the RFC 9207 iss parameter are checked against it.')),
    defaultScopes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    scopeSeparator: Type.Optional(Type.String({ minLength: 1, description: 'Default: a single space.' })),
    pkce: Type.Optional(Type.Boolean({ description: 'The provider supports PKCE with S256.' })),
    tokenEndpointAuthMethod: Type.Optional(
      Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post')]),
    ),
    authorizationParams: Type.Optional(
      StringMap('Extra query parameters for the authorization request, e.g. access_type=offline.'),
    ),
    incrementalAuthorization: Type.Optional(
      Type.Object(
        { params: Type.Optional(StringMap('Authorization request parameters that ask for it, e.g. include_granted_scopes=true.')) },
        {
          additionalProperties: false,
          description:
            'OAUTH2: a new authorization adds to the scopes granted before, so reconnecting for more scopes asks only for the missing ones.',
        },
      ),
    ),
    jwt: Type.Optional(JwtDefinitionSchema),
    placement: Type.Array(CredentialPlacementSchema, {
      description: 'How the credentials are applied to API requests. OAUTH1 signs each request instead and declares none.',
    }),
  },
  { additionalProperties: false },
);
export type AuthSchemeDefinition = Static<typeof AuthSchemeDefinitionSchema>;

export const TestRequestSchema = Type.Object(
  {
    method: Type.Union([Type.Literal('GET'), Type.Literal('POST')]),
    path: Type.String({ pattern: '^/', description: 'Path relative to baseUrl.' }),
    body: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'POST only: a JSON body, e.g. a GraphQL query asking who the caller is.' }),
    ),
    identity: Type.Optional(
      Type.Object(
        {
          id: Type.Optional(Type.String({ pattern: JSON_POINTER_PATTERN })),
          login: Type.Optional(Type.String({ pattern: JSON_POINTER_PATTERN })),
          email: Type.Optional(Type.String({ pattern: JSON_POINTER_PATTERN })),
          name: Type.Optional(Type.String({ pattern: JSON_POINTER_PATTERN })),
        },
        {
          additionalProperties: false,
          description: 'JSON pointers (RFC 6901) into the answer that identify the connected account.',
        },
      ),
    ),
  },
  { additionalProperties: false, description: 'A cheap request that proves the credentials work.' },
);
export type TestRequest = Static<typeof TestRequestSchema>;

const appDefinitionProperties = {
  key: Type.String({ pattern: APP_KEY_PATTERN, description: 'Unique key; equals the file name.' }),
  name: Type.String({ minLength: 1, description: 'Display name.' }),
  description: Type.String({ minLength: 1 }),
  categories: Type.Array(Type.String({ minLength: 1 })),
  docsUrl: Type.String({ pattern: URL_TEMPLATE_PATTERN, description: "The provider's own documentation page." }),
  baseUrl: UrlTemplate('API base URL; may reference fields declared by every scheme, e.g. {shop}.'),
  defaultHeaders: Type.Optional(StringMap('Headers sent with every proxied request, e.g. Notion-Version.')),
  authSchemes: Type.Array(AuthSchemeDefinitionSchema, {
    minItems: 1,
    description: 'OAUTH2 is the default scheme when present; otherwise the app must have exactly one scheme.',
  }),
  testRequest: Type.Optional(TestRequestSchema),
};

export const AppDefinitionSchema = Type.Object(appDefinitionProperties, { additionalProperties: false });
export type AppDefinition = Static<typeof AppDefinitionSchema>;

/**
 * What a catalog FILE may contain: an app definition plus the editor hint `"$schema"`.
 * The loader validates files against this and drops `$schema` from the returned definition.
 */
export const AppFileSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'Editor hint: "../app.schema.json".' })),
    ...appDefinitionProperties,
  },
  { additionalProperties: false, title: 'authlink app definition' },
);
export type AppFile = Static<typeof AppFileSchema>;
