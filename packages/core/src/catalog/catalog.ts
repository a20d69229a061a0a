/**
 * Loads the app catalog: one JSON file per app. Loading is synchronous and fails loudly on the
 * first bad file, naming the file and the JSON pointer of the offending value.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { ValueError } from '@sinclair/typebox/value';
import {
  AppDefinitionSchema,
  AppFileSchema,
  FIELD_NAME_PATTERN,
} from './app-definition.js';
import type { AppDefinition, AuthSchemeDefinition, AuthSchemeName } from './app-definition.js';
import { templateFields } from './template.js';
import { deepFreeze } from '../deep-freeze.js';

/** The package's own catalog; `../../catalog/apps` from both src/catalog and dist/catalog. */
export const DEFAULT_CATALOG_DIR = fileURLToPath(new URL('../../catalog/apps/', import.meta.url));

export class CatalogError extends Error {
  /** The file (or definition) at fault, relative to the working directory when inside it. */
  readonly file: string;
  /** JSON pointer of the offending value inside the file; '' for the whole file. */
  readonly path: string;

  constructor(file: string, path: string, detail: string) {
    super(path === '' ? `${file}: ${detail}` : `${file}: ${path}: ${detail}`);
    this.name = 'CatalogError';
    this.file = file;
    this.path = path;
  }
}

/** Fields each scheme must declare; they must also be secret. */
const REQUIRED_FIELDS: Partial<Record<AuthSchemeName, readonly string[]>> = {
  API_KEY: ['apiKey'],
  BASIC: ['username'],
  BEARER_TOKEN: ['token'],
  BASIC_WITH_JWT: ['username', 'password'],
  GOOGLE_SERVICE_ACCOUNT: ['serviceAccountJson'],
};
const PUBLIC_STANDARD_FIELDS = new Set(['username']);

/**
 * Credential values the proxy computes or obtains for a scheme, usable in placement templates
 * besides the scheme's own fields (apiKey, token, username, password are fields).
 */
const COMPUTED_CREDENTIALS: Record<AuthSchemeName, readonly string[]> = {
  OAUTH2: ['accessToken'],
  OAUTH1: ['accessToken'],
  CLIENT_CREDENTIALS: ['accessToken'],
  GOOGLE_SERVICE_ACCOUNT: ['accessToken'],
  BASIC: ['basic'],
  BASIC_WITH_JWT: ['basic', 'accessToken'],
  API_KEY: [],
  BEARER_TOKEN: [],
  NO_AUTH: [],
};

/** Schemes that need a token endpoint. */
const NEEDS_TOKEN_URL = new Set<AuthSchemeName>(['OAUTH2', 'OAUTH1', 'CLIENT_CREDENTIALS']);
/** Schemes that send the user to the provider. */
const NEEDS_AUTHORIZATION_URL = new Set<AuthSchemeName>(['OAUTH2', 'OAUTH1']);
/** Schemes that add no placement: NO_AUTH adds nothing, OAUTH1 signs each request (RFC 5849 §3.5.1). */
const NO_PLACEMENT = new Set<AuthSchemeName>(['NO_AUTH', 'OAUTH1']);

const FIELD_NAME = new RegExp(FIELD_NAME_PATTERN);

/** The scheme a connection uses when none is asked for: OAUTH2 if present, else the only one. */
export function defaultAuthScheme(app: AppDefinition): AuthSchemeDefinition {
  const scheme = app.authSchemes.find((s) => s.scheme === 'OAUTH2') ?? app.authSchemes[0];
  if (scheme === undefined) throw new Error(`App "${app.key}" has no auth scheme`);
  return scheme;
}

export class Catalog {
  readonly #apps: ReadonlyMap<string, AppDefinition>;

  private constructor(apps: AppDefinition[]) {
    const sorted = [...apps].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.#apps = new Map(sorted.map((app) => [app.key, app]));
  }

  /** Loads every `*.json` file of `dir` (default: the package's own catalog/apps). */
  static load(dir: string = DEFAULT_CATALOG_DIR): Catalog {
    const directory = resolve(dir);
    let names: string[];
    try {
      names = readdirSync(directory, { withFileTypes: true })
        .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
        .map((entry) => entry.name)
        .sort();
    } catch (error) {
      throw new CatalogError(displayPath(directory), '', `cannot read catalog directory: ${errorMessage(error)}`);
    }
    const apps = names.map((name) => loadFile(join(directory, name)));
    return new Catalog(apps);
  }

  /** Validates and freezes definitions built in code (tests, embedding). */
  static fromDefinitions(defs: AppDefinition[]): Catalog {
    const seen = new Set<string>();
    const apps = defs.map((def, index) => {
      const label = `definitions[${index}]`;
      const app = validateDefinition(def, label, AppDefinitionSchema);
      if (seen.has(app.key)) throw new CatalogError(label, '/key', `duplicate app key "${app.key}"`);
      seen.add(app.key);
      return app;
    });
    return new Catalog(apps);
  }

  get(key: string): AppDefinition | undefined {
    return this.#apps.get(key);
  }

  /** All apps, sorted by key. */
  list(): AppDefinition[] {
    return [...this.#apps.values()];
  }
}

function loadFile(filePath: string): AppDefinition {
  const file = displayPath(filePath);
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (error) {
    throw new CatalogError(file, '', `cannot read file: ${errorMessage(error)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CatalogError(file, '', `invalid JSON: ${errorMessage(error)}`);
  }
  const app = validateDefinition(data, file, AppFileSchema, { copy: false });
  const expectedKey = basename(filePath, '.json');
  if (app.key !== expectedKey) {
    throw new CatalogError(file, '/key', `key "${app.key}" must equal the file name "${expectedKey}"`);
  }
  return app;
}

/**
 * Schema check, semantic checks, then the definition deep-frozen without `$schema`: a copy when it
 * came from a caller (whose object must stay theirs), the parsed value itself when it came from a file.
 */
function validateDefinition(data: unknown, file: string, schema: TSchema, { copy = true }: { copy?: boolean } = {}): AppDefinition {
  // The boolean check first: the error iterator allocates more, and the catalog is read at every start.
  if (!Value.Check(schema, data)) {
    const first = Value.Errors(schema, data).First();
    if (first !== undefined) throw new CatalogError(file, first.path, describeSchemaError(first));
  }
  const definition = (copy ? structuredClone(data) : data) as AppDefinition & { $schema?: string };
  delete definition.$schema;
  checkSemantics(definition, file);
  return deepFreeze(definition);
}

function describeSchemaError(error: ValueError): string {
  const options = literalOptions(error.schema);
  if (options !== undefined) return `Expected one of ${options.join(', ')}; got ${JSON.stringify(error.value)}`;
  return error.message;
}

function literalOptions(schema: TSchema): string[] | undefined {
  const anyOf: unknown = (schema as { anyOf?: unknown }).anyOf;
  if (!Array.isArray(anyOf) || anyOf.length === 0) return undefined;
  const values: string[] = [];
  for (const member of anyOf) {
    const constant: unknown = (member as { const?: unknown } | null)?.const;
    if (typeof constant !== 'string') return undefined;
    values.push(constant);
  }
  return values;
}

function checkSemantics(app: AppDefinition, file: string): void {
  const fail = (path: string, detail: string): never => {
    throw new CatalogError(file, path, detail);
  };

  const schemeNames = new Set<string>();
  app.authSchemes.forEach((scheme, index) => {
    const at = `/authSchemes/${index}`;
    if (schemeNames.has(scheme.scheme)) fail(`${at}/scheme`, `duplicate scheme ${scheme.scheme}`);
    schemeNames.add(scheme.scheme);
    checkScheme(scheme, at, fail);
  });
  if (app.authSchemes.length > 1 && !schemeNames.has('OAUTH2')) {
    fail('/authSchemes', 'an app with several schemes must include OAUTH2 (the default scheme)');
  }

  // App-level templates may only use fields that every scheme declares.
  const common = app.authSchemes
    .map((scheme) => new Set(scheme.fields.map((field) => field.name)))
    .reduce((acc, names) => new Set([...acc].filter((name) => names.has(name))));
  const checkAppTemplate = (path: string, template: string): void => {
    for (const name of templateFields(template)) {
      checkPlaceholderName(name, path, fail);
      if (!common.has(name)) fail(path, `placeholder {${name}} must be a field declared by every auth scheme`);
    }
  };
  checkAppTemplate('/baseUrl', app.baseUrl);
  for (const [header, value] of Object.entries(app.defaultHeaders ?? {})) {
    checkAppTemplate(`/defaultHeaders/${escapePointer(header)}`, value);
  }
  if (app.testRequest !== undefined) checkAppTemplate('/testRequest/path', app.testRequest.path);
  if (app.testRequest?.body !== undefined && app.testRequest.method !== 'POST') fail('/testRequest/body', 'only a POST test request has a body');
}

/**
 * BASIC has a required, secret password — or none at all, for APIs that take an API key as the
 * username and an empty password (Chargebee, Recurly): the username is then the secret.
 */
function checkBasicPassword(scheme: AuthSchemeDefinition, at: string, fail: (path: string, detail: string) => never): void {
  const password = scheme.fields.findIndex((field) => field.name === 'password');
  const field = scheme.fields[password];
  if (field === undefined) {
    const username = scheme.fields.findIndex((f) => f.name === 'username');
    if (scheme.fields[username]?.secret !== true) fail(`${at}/fields/${username}/secret`, 'without a password field the username is the API key and must be secret');
  } else if (!field.required) fail(`${at}/fields/${password}/required`, 'field "password" must be required');
  else if (!field.secret) fail(`${at}/fields/${password}/secret`, 'field "password" must be secret');
}

function checkScheme(
  scheme: AuthSchemeDefinition,
  at: string,
  fail: (path: string, detail: string) => never,
): void {
  const fieldNames = new Set<string>();
  scheme.fields.forEach((field, index) => {
    const path = `${at}/fields/${index}`;
    if (fieldNames.has(field.name)) fail(`${path}/name`, `duplicate field "${field.name}"`);
    fieldNames.add(field.name);
    if (field.pattern !== undefined) {
      try {
        new RegExp(field.pattern);
      } catch (error) {
        fail(`${path}/pattern`, `pattern does not compile: ${errorMessage(error)}`);
      }
    }
  });

  for (const name of REQUIRED_FIELDS[scheme.scheme] ?? []) {
    const index = scheme.fields.findIndex((field) => field.name === name);
    const field = scheme.fields[index];
    if (field === undefined) fail(`${at}/fields`, `${scheme.scheme} scheme must declare a field "${name}"`);
    else if (!field.required) fail(`${at}/fields/${index}/required`, `field "${name}" must be required`);
    else if (!field.secret && !PUBLIC_STANDARD_FIELDS.has(name)) {
      fail(`${at}/fields/${index}/secret`, `field "${name}" must be secret`);
    }
  }

  if (scheme.scheme === 'BASIC') checkBasicPassword(scheme, at, fail);

  if (NEEDS_AUTHORIZATION_URL.has(scheme.scheme) && scheme.authorizationUrl === undefined) {
    fail(`${at}/authorizationUrl`, `${scheme.scheme} scheme requires authorizationUrl`);
  }
  if (NEEDS_TOKEN_URL.has(scheme.scheme) && scheme.tokenUrl === undefined) {
    fail(`${at}/tokenUrl`, `${scheme.scheme} scheme requires tokenUrl`);
  }
  if (scheme.scheme === 'OAUTH1' && scheme.requestTokenUrl === undefined) {
    fail(`${at}/requestTokenUrl`, 'OAUTH1 scheme requires requestTokenUrl');
  }
  if (scheme.scheme !== 'OAUTH1' && scheme.requestTokenUrl !== undefined) {
    fail(`${at}/requestTokenUrl`, 'only OAUTH1 has a request token endpoint');
  }
  if (scheme.scheme === 'OAUTH1' && scheme.placement.length > 0) {
    fail(`${at}/placement`, 'OAUTH1 signs each request (RFC 5849 §3.5.1); it takes no placement');
  }
  if (!NO_PLACEMENT.has(scheme.scheme) && scheme.placement.length === 0) {
    fail(`${at}/placement`, `${scheme.scheme} scheme needs at least one placement`);
  }
  checkJwt(scheme, at, fail);

  const checkFieldTemplate = (path: string, template: string): void => {
    for (const name of templateFields(template)) {
      checkPlaceholderName(name, path, fail);
      if (!fieldNames.has(name)) fail(path, `placeholder {${name}} is not a field of this scheme`);
    }
  };
  for (const key of ['authorizationUrl', 'tokenUrl', 'requestTokenUrl', 'revocationUrl', 'userinfoUrl', 'issuer'] as const) {
    const template = scheme[key];
    if (template !== undefined) checkFieldTemplate(`${at}/${key}`, template);
  }
  for (const [param, value] of Object.entries(scheme.authorizationParams ?? {})) {
    checkFieldTemplate(`${at}/authorizationParams/${escapePointer(param)}`, value);
  }

  const credentials = new Set([...COMPUTED_CREDENTIALS[scheme.scheme], ...fieldNames]);
  scheme.placement.forEach((placement, index) => {
    const path = `${at}/placement/${index}/value`;
    for (const name of templateFields(placement.value)) {
      checkPlaceholderName(name, path, fail);
      if (!credentials.has(name)) {
        fail(path, `placeholder {${name}} is neither a credential of ${scheme.scheme} nor a field of this scheme`);
      }
    }
  });
}

/** BASIC_WITH_JWT: an endpoint to exchange at, or claims that name only public values. */
function checkJwt(scheme: AuthSchemeDefinition, at: string, fail: (path: string, detail: string) => never): void {
  const jwt = scheme.jwt;
  if (jwt !== undefined && scheme.scheme !== 'BASIC_WITH_JWT') fail(`${at}/jwt`, 'only BASIC_WITH_JWT declares jwt');
  if (scheme.scheme !== 'BASIC_WITH_JWT') return;
  if (jwt === undefined || jwt.mode === 'exchange') {
    if (jwt?.tokenPath !== undefined && scheme.tokenUrl !== undefined) {
      fail(`${at}/jwt/tokenPath`, 'give the exchange endpoint as tokenUrl or as jwt.tokenPath, not both');
    }
    if (jwt?.tokenPath === undefined && scheme.tokenUrl === undefined) {
      fail(`${at}/tokenUrl`, 'BASIC_WITH_JWT exchanges username and password at tokenUrl (or jwt.tokenPath); declare one, or jwt.mode "sign"');
    }
    return;
  }
  const secret = new Set(scheme.fields.filter((field) => field.secret).map((field) => field.name));
  const known = new Set(scheme.fields.map((field) => field.name));
  for (const [claim, template] of Object.entries(jwt.claims)) {
    const path = `${at}/jwt/claims/${escapePointer(claim)}`;
    // The JWT's payload is readable by anyone who holds it: a secret must never be copied into it.
    if (claim === 'iat' || claim === 'exp') fail(path, `${claim} is set from ttlSeconds`);
    for (const name of templateFields(template)) {
      checkPlaceholderName(name, path, fail);
      if (!known.has(name)) fail(path, `placeholder {${name}} is not a field of this scheme`);
      if (secret.has(name)) fail(path, `placeholder {${name}} is a secret field; a JWT's claims are readable by anyone`);
    }
  }
}

function checkPlaceholderName(name: string, path: string, fail: (path: string, detail: string) => never): void {
  if (!FIELD_NAME.test(name)) fail(path, `invalid placeholder {${name}}`);
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function displayPath(absolute: string): string {
  const rel = relative(process.cwd(), absolute);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? absolute : rel;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
