export {
  AUTH_SCHEME_NAMES,
  APP_KEY_PATTERN,
  FIELD_NAME_PATTERN,
  AuthSchemeNameSchema,
  FieldDefinitionSchema,
  CredentialPlacementSchema,
  AuthSchemeDefinitionSchema,
  TestRequestSchema,
  AppDefinitionSchema,
  AppFileSchema,
} from './app-definition.js';
export type {
  AuthSchemeName,
  FieldDefinition,
  CredentialPlacement,
  AuthSchemeDefinition,
  TestRequest,
  AppDefinition,
  AppFile,
} from './app-definition.js';
export { Catalog, CatalogError, DEFAULT_CATALOG_DIR, defaultAuthScheme } from './catalog.js';
export { MissingTemplateFieldError, renderTemplate, templateFields } from './template.js';
export type { RenderTemplateOptions } from './template.js';
export { searchApps, type AppQuery } from './app-search.js';
