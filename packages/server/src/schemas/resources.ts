import { Type } from '@sinclair/typebox';
import { AppKeySchema, AuthSchemeSchema, ConnectionStatusSchema, EntityIdSchema, FieldValuesSchema, IdSchema, LabelsSchema, UrlSchema } from './common.js';

export const FieldSchema = Type.Object({
  name: Type.String(),
  label: Type.String(),
  description: Type.Optional(Type.String()),
  secret: Type.Boolean(),
  required: Type.Boolean(),
  suppliedBy: Type.Union([Type.Literal('user'), Type.Literal('integration')]),
  pattern: Type.Optional(Type.String()),
  placeholder: Type.Optional(Type.String()),
});

export const AppSchema = Type.Object({
  key: Type.String(),
  name: Type.String(),
  description: Type.String(),
  categories: Type.Array(Type.String()),
  docsUrl: Type.String(),
  baseUrl: Type.String(),
  authSchemes: Type.Array(
    Type.Object({
      scheme: AuthSchemeSchema,
      fields: Type.Array(FieldSchema),
      defaultScopes: Type.Array(Type.String()),
      pkce: Type.Boolean(),
    }),
  ),
});

export const AuthConfigSchema = Type.Object(
  {
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    clientSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { maxItems: 100 })),
    authorizationUrl: Type.Optional(UrlSchema),
    tokenUrl: Type.Optional(UrlSchema),
    revocationUrl: Type.Optional(UrlSchema),
    userinfoUrl: Type.Optional(UrlSchema),
    baseUrl: Type.Optional(UrlSchema),
    issuer: Type.Optional(UrlSchema),
    tokenEndpointAuthMethod: Type.Optional(Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post')])),
    pkce: Type.Optional(Type.Boolean()),
    authorizationParams: Type.Optional(Type.Record(Type.String({ maxLength: 128 }), Type.String({ maxLength: 1024 }), { maxProperties: 20 })),
  },
  { additionalProperties: false, description: 'Client credentials, scopes and endpoint overrides. The client secret is write-only.' },
);

export const IntegrationSchema = Type.Object({
  id: Type.String(),
  app: Type.String(),
  name: Type.String(),
  authScheme: AuthSchemeSchema,
  scopes: Type.Array(Type.String()),
  clientId: Type.Union([Type.String(), Type.Null()]),
  hasClientSecret: Type.Boolean(),
  authConfig: Type.Object({
    authorizationUrl: Type.Optional(Type.String()),
    tokenUrl: Type.Optional(Type.String()),
    revocationUrl: Type.Optional(Type.String()),
    userinfoUrl: Type.Optional(Type.String()),
    baseUrl: Type.Optional(Type.String()),
    issuer: Type.Optional(Type.String()),
    tokenEndpointAuthMethod: Type.Optional(Type.String()),
    pkce: Type.Optional(Type.Boolean()),
  }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const CreateIntegrationBody = Type.Object(
  {
    app: AppKeySchema,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    authScheme: Type.Optional(AuthSchemeSchema),
    authConfig: Type.Optional(AuthConfigSchema),
  },
  { additionalProperties: false },
);

export const UpdateIntegrationBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { maxItems: 100, description: 'Same as authConfig.scopes.' })),
    authConfig: Type.Optional(AuthConfigSchema),
  },
  { additionalProperties: false },
);

export const AccountIdentitySchema = Type.Object(
  {
    id: Type.Optional(Type.String()),
    login: Type.Optional(Type.String()),
    email: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);


const ValidateSchema = Type.Boolean({
  description: "Check API_KEY, BASIC and BEARER_TOKEN credentials against the app's test endpoint before the account becomes ACTIVE. Default: true.",
});

export const ConnectedAccountSchema = Type.Object({
  id: Type.String(),
  status: ConnectionStatusSchema,
  statusReason: Type.Union([Type.String(), Type.Null()]),
  entityId: Type.String(),
  integrationId: Type.String(),
  app: Type.String(),
  authScheme: AuthSchemeSchema,
  labels: Type.Array(Type.String()),
  data: Type.Record(Type.String(), Type.String(), { description: 'Non-secret fields, e.g. a Shopify shop.' }),
  accountIdentity: Type.Union([AccountIdentitySchema, Type.Null()], {
    description: "The provider's account behind the connection (from the ID token, userinfo or the app's test endpoint); null when unknown.",
  }),
  requestedScopes: Type.Union([Type.Array(Type.String()), Type.Null()]),
  grantedScopes: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'As the provider reported them (OAuth).' }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const InitiateBody = Type.Object(
  {
    integrationId: Type.Optional(IdSchema),
    app: Type.Optional(AppKeySchema),
    entityId: Type.Optional(EntityIdSchema),
    labels: Type.Optional(LabelsSchema),
    redirectUrl: Type.Optional(UrlSchema),
    authScheme: Type.Optional(AuthSchemeSchema),
    authConfig: Type.Optional(AuthConfigSchema),
    data: Type.Optional(FieldValuesSchema),
    connectedAccountParams: Type.Optional(FieldValuesSchema),
    validate: Type.Optional(ValidateSchema),
  },
  { additionalProperties: false },
);

export const ReinitiateBody = Type.Object(
  {
    redirectUrl: Type.Optional(UrlSchema),
    data: Type.Optional(FieldValuesSchema),
    validate: Type.Optional(ValidateSchema),
    scopes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 512, pattern: '^[^\\s]+$' }), {
        maxItems: 100,
        description: 'Scopes to add to those asked for before. Where the provider supports incremental authorization only the missing ones are asked for.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ConnectionResponseSchema = Type.Object({
  connectionStatus: ConnectionStatusSchema,
  connectedAccountId: Type.String(),
  redirectUrl: Type.Union([Type.String(), Type.Null()]),
});

export const CredentialsResponseSchema = Type.Object({
  connectedAccountId: Type.String(),
  authScheme: AuthSchemeSchema,
  credentials: Type.Record(Type.String(), Type.Unknown()),
});

export const EntitySchema = Type.Object({ id: Type.String(), connectedAccounts: Type.Array(ConnectedAccountSchema) });
