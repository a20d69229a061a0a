import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const source = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

/**
 * Suites that go through storage end to end: they run twice, on SQLite and on PostgreSQL, so the
 * two databases are held to one conformance bar.
 */
const STORAGE_SUITES = [
  'packages/core/test/**/*.test.ts',
  'packages/server/test/field-connection-flow.test.ts',
  'packages/server/test/oauth-flow.test.ts',
  'packages/server/test/refresh-lifecycle.test.ts',
  'packages/server/test/tenant-isolation.test.ts',
  'packages/server/test/security-settings.test.ts',
  'packages/server/test/security-oauth-attacks.test.ts',
  'packages/server/test/client-credentials.test.ts',
  'packages/server/test/proxy.test.ts',
  'packages/server/test/sdk.test.ts',
  'packages/server/test/multi-process.test.ts',
  'packages/server/test/key-rotation.test.ts',
  'packages/server/test/credential-check.test.ts',
  'packages/server/test/oauth-identity-scopes.test.ts',
];

/**
 * The Composio SDK suites run in a project of their own: its preload refuses (and records) every
 * connection the SDKs try to open beyond 127.0.0.1.
 */
const COMPOSIO_SUITES = 'packages/server/test/composio-*.test.ts';
const COMPOSIO_PRELOAD = './packages/server/test/support/loopback-only.ts';

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources; the build is for users.
    alias: {
      '@authlink/core': source('core'),
      '@authlink/sdk': source('sdk'),
      '@authlink/server': source('server'),
    },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['./vitest.global-setup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'], exclude: [...configDefaults.exclude, COMPOSIO_SUITES] },
      },
      {
        extends: true,
        test: { name: 'composio', include: [COMPOSIO_SUITES], setupFiles: [COMPOSIO_PRELOAD] },
      },
      {
        extends: true,
        test: {
          name: 'composio-postgres',
          include: ['packages/server/test/composio-core-sdk.test.ts', 'packages/server/test/composio-v3-sdk.test.ts', 'packages/server/test/composio-http.test.ts'],
          setupFiles: [COMPOSIO_PRELOAD],
          env: { AUTHLINK_TEST_DATABASE: 'postgres' },
        },
      },
      {
        extends: true,
        test: { name: 'postgres', include: STORAGE_SUITES, env: { AUTHLINK_TEST_DATABASE: 'postgres' } },
      },
    ],
  },
});
