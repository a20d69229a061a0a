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

export const AuthSchemeDefinitionSchema = Type.Object(
  {
    scheme: AuthSchemeNameSchema,
    fields: Type.Array(FieldDefinitionSchema, {
      description:
        'Every field the connection needs. API_KEY must include apiKey; BASIC username and password; BEARER_TOKEN token; OAUTH2 only extra end-user fields (such as a shop subdomain).',
    }),
    authorizationUrl: Type.Optional(UrlTemplate('OAuth authorization endpoint; may reference fields, e.g. {shop}.')),
    tokenUrl: Type.Optional(UrlTemplate('OAuth token endpoint; may reference fields.')),
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
    placement: Type.Array(CredentialPlacementSchema, {
      description: 'How the credentials are applied to API requests.',
    }),
  },
  { additionalProperties: false },
);
export type AuthSchemeDefinition = Static<typeof AuthSchemeDefinitionSchema>;

export const TestRequestSchema = Type.Object(
  {
    method: Type.Union([Type.Literal('GET'), Type.Literal('POST')]),
    path: Type.String({ pattern: '^/', description: 'Path relative to baseUrl.' }),
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
