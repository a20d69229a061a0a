import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppDefinition } from './app-definition.js';
import { Catalog, CatalogError, defaultAuthScheme } from './catalog.js';
import { templateFields } from './template.js';

const EXPECTED_KEYS = [
  'github',
  'gmail',
  'hubspot',
  'linear',
  'notion',
  'openai',
  'sendgrid',
  'shopify',
  'slack',
  'stripe',
];

describe('the shipped catalog', () => {
  const catalog = Catalog.load();

  it('loads from the default directory and holds the expected apps, sorted by key', () => {
    const keys = catalog.list().map((app) => app.key);
    expect(keys).toEqual(expect.arrayContaining(EXPECTED_KEYS));
    expect(keys).toEqual([...keys].sort());
    console.log(`catalog: ${keys.length} apps`);
  });

  it('gives every app at least one scheme and a usable default scheme', () => {
    for (const app of catalog.list()) {
      expect(app.authSchemes.length, app.key).toBeGreaterThanOrEqual(1);
      const scheme = defaultAuthScheme(app);
      if (app.authSchemes.some((s) => s.scheme === 'OAUTH2')) expect(scheme.scheme, app.key).toBe('OAUTH2');
      expect(app.docsUrl, app.key).toMatch(/^https:\/\//);
      expect(app.baseUrl, app.key).toMatch(/^https:\/\//);
    }
  });

  it('drops the $schema editor hint and freezes definitions deeply', () => {
    const github = catalog.get('github');
    expect(github).toBeDefined();
    expect(github).not.toHaveProperty('$schema');
    expect(Object.isFrozen(github)).toBe(true);
    expect(Object.isFrozen(github?.authSchemes)).toBe(true);
    expect(Object.isFrozen(github?.authSchemes[0]?.placement[0])).toBe(true);
    expect(() => {
      (github as { name: string }).name = 'changed';
    }).toThrow(TypeError);
  });

  it('answers undefined for an unknown key', () => {
    expect(catalog.get('nope')).toBeUndefined();
  });

  it('templates Shopify URLs on the shop field', () => {
    const shopify = catalog.get('shopify');
    expect(shopify && templateFields(shopify.baseUrl)).toEqual(['shop']);
    const oauth = shopify?.authSchemes.find((s) => s.scheme === 'OAUTH2');
    expect(oauth?.fields.map((f) => f.name)).toEqual(['shop']);
    const shop = oauth?.fields[0];
    expect(shop?.pattern && new RegExp(shop.pattern).test('acme-store')).toBe(true);
    expect(shop?.pattern && new RegExp(shop.pattern).test('evil.com/x')).toBe(false);
  });
});

/** A small valid definition that each bad case mutates. */
function validApp(key = 'acme'): Record<string, unknown> {
  return {
    $schema: '../app.schema.json',
    key,
    name: 'Acme',
    description: 'Test app',
    categories: ['test'],
    docsUrl: 'https://acme.example/docs',
    baseUrl: 'https://api.acme.example',
    authSchemes: [
      {
        scheme: 'OAUTH2',
        fields: [],
        authorizationUrl: 'https://acme.example/oauth/authorize',
        tokenUrl: 'https://acme.example/oauth/token',
        placement: [{ in: 'header', name: 'Authorization', value: 'Bearer {accessToken}' }],
      },
      {
        scheme: 'API_KEY',
        fields: [{ name: 'apiKey', label: 'API key', secret: true, required: true, suppliedBy: 'user' }],
        placement: [{ in: 'header', name: 'X-Api-Key', value: '{apiKey}' }],
      },
    ],
  };
}

type Mutable = Record<string, unknown> & {
  authSchemes: Array<Record<string, unknown> & { fields: Array<Record<string, unknown>> }>;
};

describe('Catalog.load with bad entries', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'authlink-catalog-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (file: string, content: unknown): void => {
    writeFileSync(join(dir, file), typeof content === 'string' ? content : JSON.stringify(content));
  };

  /** Writes acme.json mutated by `change` and returns the CatalogError that loading throws. */
  const loadError = (change: (app: Mutable) => void, file = 'acme.json'): CatalogError => {
    const app = validApp() as Mutable;
    change(app);
    write(file, app);
    try {
      Catalog.load(dir);
    } catch (error) {
      expect(error).toBeInstanceOf(CatalogError);
      return error as CatalogError;
    }
    throw new Error('expected Catalog.load to throw');
  };

  it('accepts the valid base entry, ignoring non-JSON files', () => {
    write('acme.json', validApp());
    write('README.md', '# not an app');
    expect(Catalog.load(dir).list().map((app) => app.key)).toEqual(['acme']);
  });

  it('rejects a value of the wrong type, naming file and path', () => {
    const error = loadError((app) => {
      app['name'] = 42;
    });
    expect(error.message).toContain('acme.json');
    expect(error.path).toBe('/name');
    expect(error.message).toContain('/name: Expected string');
    expect(error.file).toContain('acme.json');
  });

  it('rejects an unknown scheme name, listing the allowed ones', () => {
    const error = loadError((app) => {
      app.authSchemes[1]!['scheme'] = 'APIKEY';
    });
    expect(error.path).toBe('/authSchemes/1/scheme');
    expect(error.message).toContain('Expected one of OAUTH2');
  });

  it('rejects unknown properties', () => {
    const error = loadError((app) => {
      app.authSchemes[0]!['token_url'] = 'https://acme.example/token';
    });
    expect(error.path).toBe('/authSchemes/0/token_url');
    expect(error.message).toContain('Unexpected property');
  });

  it('rejects an OAUTH2 scheme without tokenUrl', () => {
    const error = loadError((app) => {
      delete app.authSchemes[0]!['tokenUrl'];
    });
    expect(error.message).toContain('acme.json');
    expect(error.path).toBe('/authSchemes/0/tokenUrl');
    expect(error.message).toContain('OAUTH2 scheme requires tokenUrl');
  });

  it('rejects an OAUTH2 scheme without authorizationUrl', () => {
    const error = loadError((app) => {
      delete app.authSchemes[0]!['authorizationUrl'];
    });
    expect(error.path).toBe('/authSchemes/0/authorizationUrl');
  });

  it('rejects an undeclared placeholder in a URL', () => {
    const error = loadError((app) => {
      app.authSchemes[0]!['authorizationUrl'] = 'https://{tenant}.acme.example/oauth/authorize';
    });
    expect(error.message).toContain('acme.json');
    expect(error.path).toBe('/authSchemes/0/authorizationUrl');
    expect(error.message).toContain('{tenant}');
  });

  it('rejects a body on a GET test request', () => {
    const error = loadError((app) => {
      app['testRequest'] = { method: 'GET', path: '/me', body: { query: '{ me { id } }' } };
    });
    expect(error.path).toBe('/testRequest/body');
  });

  it('rejects a placement that uses a credential the scheme does not have', () => {
    const error = loadError((app) => {
      app.authSchemes[1]!['placement'] = [{ in: 'header', name: 'Authorization', value: 'Bearer {accessToken}' }];
    });
    expect(error.path).toBe('/authSchemes/1/placement/0/value');
    expect(error.message).toContain('{accessToken}');
  });

  it('rejects a baseUrl placeholder that not every scheme declares', () => {
    const error = loadError((app) => {
      app['baseUrl'] = 'https://{tenant}.acme.example';
      app.authSchemes[1]!.fields.push({
        name: 'tenant',
        label: 'Tenant',
        secret: false,
        required: true,
        suppliedBy: 'user',
      });
    });
    expect(error.path).toBe('/baseUrl');
    expect(error.message).toContain('{tenant}');
  });

  it('rejects a malformed placeholder', () => {
    const error = loadError((app) => {
      app.authSchemes[0]!['tokenUrl'] = 'https://acme.example/{the-tenant}/token';
    });
    expect(error.path).toBe('/authSchemes/0/tokenUrl');
    expect(error.message).toContain('invalid placeholder');
  });

  it('rejects a key that differs from the file name', () => {
    const error = loadError(() => undefined, 'other.json');
    expect(error.message).toContain('other.json');
    expect(error.path).toBe('/key');
    expect(error.message).toContain('"acme"');
  });

  it('rejects invalid JSON, naming the file', () => {
    write('acme.json', '{ "key": "acme", ');
    expect(() => Catalog.load(dir)).toThrow(CatalogError);
    expect(() => Catalog.load(dir)).toThrow(/acme\.json: invalid JSON/);
  });

  it('rejects an API_KEY scheme without the apiKey field', () => {
    const error = loadError((app) => {
      app.authSchemes[1]!.fields = [];
    });
    expect(error.path).toBe('/authSchemes/1/fields');
    expect(error.message).toContain('"apiKey"');
  });

  it('rejects a standard secret field that is not marked secret', () => {
    const error = loadError((app) => {
      app.authSchemes[1]!.fields[0]!['secret'] = false;
    });
    expect(error.path).toBe('/authSchemes/1/fields/0/secret');
  });

  it('rejects a pattern that does not compile', () => {
    const error = loadError((app) => {
      app.authSchemes[1]!.fields[0]!['pattern'] = '^(unclosed';
    });
    expect(error.path).toBe('/authSchemes/1/fields/0/pattern');
    expect(error.message).toContain('does not compile');
  });

  it('rejects duplicate schemes and duplicate fields', () => {
    const duplicateScheme = loadError((app) => {
      app.authSchemes.push(structuredClone(app.authSchemes[1]!));
    });
    expect(duplicateScheme.path).toBe('/authSchemes/2/scheme');

    const duplicateField = loadError((app) => {
      app.authSchemes[1]!.fields.push(structuredClone(app.authSchemes[1]!.fields[0]!));
    });
    expect(duplicateField.path).toBe('/authSchemes/1/fields/1/name');
  });

  it('rejects several schemes without OAUTH2, since there would be no default', () => {
    const error = loadError((app) => {
      app.authSchemes[0] = {
        scheme: 'BEARER_TOKEN',
        fields: [{ name: 'token', label: 'Token', secret: true, required: true, suppliedBy: 'user' }],
        placement: [{ in: 'header', name: 'Authorization', value: 'Bearer {token}' }],
      };
    });
    expect(error.path).toBe('/authSchemes');
  });

  it('fails on the first bad file even when others are valid', () => {
    write('good.json', validApp('good'));
    write('zzz.json', { ...validApp('zzz'), categories: 'oops' });
    expect(() => Catalog.load(dir)).toThrow(/zzz\.json: \/categories/);
  });

  it('reports a missing directory as a CatalogError', () => {
    expect(() => Catalog.load(join(dir, 'missing'))).toThrow(CatalogError);
  });
});

describe('Catalog.fromDefinitions', () => {
  const definition = (key: string): AppDefinition => {
    const { $schema: _hint, ...app } = validApp(key);
    return app as unknown as AppDefinition;
  };

  it('validates, freezes and sorts definitions', () => {
    const catalog = Catalog.fromDefinitions([definition('zeta'), definition('alpha')]);
    expect(catalog.list().map((app) => app.key)).toEqual(['alpha', 'zeta']);
    expect(Object.isFrozen(catalog.get('alpha')?.authSchemes[0])).toBe(true);
  });

  it('does not freeze or keep the caller objects', () => {
    const input = definition('alpha');
    const catalog = Catalog.fromDefinitions([input]);
    expect(Object.isFrozen(input)).toBe(false);
    expect(catalog.get('alpha')).not.toBe(input);
  });

  it('takes a BASIC scheme without password only when the username is the secret API key', () => {
    const basic = (username: Record<string, unknown>): AppDefinition =>
      ({
        ...definition('keyed'),
        authSchemes: [
          {
            scheme: 'BASIC',
            fields: [{ name: 'username', label: 'API key', required: true, suppliedBy: 'user', ...username }],
            placement: [{ in: 'header', name: 'Authorization', value: 'Basic {basic}' }],
          },
        ],
      }) as AppDefinition;
    expect(Catalog.fromDefinitions([basic({ secret: true })]).get('keyed')?.authSchemes[0]?.fields).toHaveLength(1);
    expect(() => Catalog.fromDefinitions([basic({ secret: false })])).toThrow(/\/authSchemes\/0\/fields\/0\/secret: without a password field/);
  });

  it('rejects duplicate keys and invalid definitions', () => {
    expect(() => Catalog.fromDefinitions([definition('a'), definition('a')])).toThrow(/definitions\[1\]: \/key/);
    const bad = { ...definition('b'), docsUrl: 'not a url' } as AppDefinition;
    expect(() => Catalog.fromDefinitions([bad])).toThrow(/definitions\[0\]: \/docsUrl/);
  });
});
