#!/usr/bin/env node
import { Catalog, KeyRotation, searchApps, type AuthSchemeName } from '@authlink/core';
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, redactDatabaseUrl, type ConfigFlags } from './config.js';
import { REDACT_PATHS } from './plugins/safe-logging.js';
import { openRuntime } from './runtime.js';

const program = new Command('authlink').description('Self-hosted connection broker: connect your users’ accounts and act for them.');

program
  .command('serve')
  .description('start the server (embedded SQLite under ./.authlink unless configured)')
  .addOption(new Option('--port <port>', 'port to listen on').env('AUTHLINK_PORT'))
  .addOption(new Option('--host <host>', 'interface to bind').env('AUTHLINK_HOST'))
  .addOption(new Option('--data-dir <dir>', 'data directory').env('AUTHLINK_DATA_DIR'))
  .addOption(new Option('--database-url <url>', 'sqlite:PATH').env('AUTHLINK_DATABASE_URL'))
  .addOption(new Option('--public-url <url>', 'URL browsers reach the server at').env('AUTHLINK_PUBLIC_URL'))
  .action(async (flags: ConfigFlags) => {
    const config = loadConfig(process.env, flags);
    const logger = pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
    const runtime = await openRuntime(config, { logger, backgroundRefresh: true });
    const created = config.apiKey === undefined ? await runtime.services.projects.createDefaultIfEmpty() : undefined;
    const app = await buildApp({ services: runtime.services, publicUrl: config.publicUrl, logger, checkDatabase: runtime.checkDatabase });
    await app.listen({ port: config.port, host: config.host });
    const lines = [
      '',
      `  authlink is running at ${config.publicUrl}`,
      `  database: ${redactDatabaseUrl(config.databaseUrl)}   encryption key: ${runtime.keySource}`,
    ];
    if (created) {
      lines.push('', `  API key for project "default" (shown once, store it now):`, '', `    ${created.apiKey}`, '');
    } else if (config.apiKey !== undefined) {
      lines.push('  API key: the value of AUTHLINK_API_KEY (project "default")');
    } else {
      lines.push('  API key: printed at first start; make another with `npm run authlink -- projects create --name NAME`');
    }
    lines.push(`  API reference: ${config.publicUrl}/openapi.json`, '');
    process.stdout.write(`${lines.join('\n')}\n`);

    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) process.exit(1);
      stopping = true;
      logger.info({ signal }, 'shutting down');
      void app
        .close()
        .then(() => runtime.close())
        .then(() => process.exit(0));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });

const projects = program.command('projects').description('manage projects');
projects
  .command('create')
  .description('create a project and print its API key (shown once)')
  .requiredOption('--name <name>', 'project name')
  .option('--json', 'print {"projectId","apiKey"} as JSON')
  .addOption(new Option('--data-dir <dir>', 'data directory').env('AUTHLINK_DATA_DIR'))
  .addOption(new Option('--database-url <url>', 'sqlite:PATH').env('AUTHLINK_DATABASE_URL'))
  .action(async (options: { name: string; json?: boolean; dataDir?: string; databaseUrl?: string }) => {
    const runtime = await openRuntime(loadConfig(process.env, { dataDir: options.dataDir, databaseUrl: options.databaseUrl }));
    try {
      const created = await runtime.services.projects.create(options.name);
      process.stdout.write(options.json ? `${JSON.stringify(created)}\n` : `project ${created.projectId}\nAPI key (shown once): ${created.apiKey}\n`);
    } finally {
      await runtime.close();
    }
  });

projects
  .command('update')
  .description("change a project's security settings (redirect allow-list, browser binding, confirmation URL)")
  .requiredOption('--id <projectId>', 'project id (the bootstrap project is "default")')
  .option('--allowed-redirect-url <url...>', 'origins or URL prefixes redirect URLs must fall under (replaces the list)')
  .option('--any-redirect-url', 'clear the allow-list: any http(s) redirect URL')
  .option('--require-same-browser <yes|no>', 'the OAuth callback must come from the browser that opened the link')
  .option('--confirmation-url <url|none>', 'your endpoint that confirms users before ACTIVE')
  .option('--json', 'print the settings as JSON')
  .addOption(new Option('--data-dir <dir>', 'data directory').env('AUTHLINK_DATA_DIR'))
  .addOption(new Option('--database-url <url>', 'sqlite:PATH or postgres://…').env('AUTHLINK_DATABASE_URL'))
  .action(
    async (options: {
      id: string;
      allowedRedirectUrl?: string[];
      anyRedirectUrl?: boolean;
      requireSameBrowser?: string;
      confirmationUrl?: string;
      json?: boolean;
      dataDir?: string;
      databaseUrl?: string;
    }) => {
      const runtime = await openRuntime(loadConfig(process.env, { dataDir: options.dataDir, databaseUrl: options.databaseUrl }));
      try {
        const settings = await runtime.services.projects.updateSettings(
          options.id,
          {
            allowedRedirectUrls: options.anyRedirectUrl ? [] : options.allowedRedirectUrl,
            requireSameBrowser: options.requireSameBrowser === undefined ? undefined : /^(yes|true|1)$/i.test(options.requireSameBrowser),
            confirmationUrl: options.confirmationUrl === undefined ? undefined : options.confirmationUrl === 'none' ? null : options.confirmationUrl,
          },
          'cli',
        );
        process.stdout.write(options.json ? `${JSON.stringify(settings)}\n` : `${Object.entries(settings).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n')}\n`);
      } finally {
        await runtime.close();
      }
    },
  );

const apps = program.command('apps').description('the app catalog');
apps
  .command('list')
  .description('list catalog apps')
  .option('--search <words>', 'words matched against key, name, description and categories')
  .option('--category <category>', 'only apps in this category')
  .option('--auth-scheme <scheme>', 'only apps supporting this auth scheme')
  .option('--json', 'print JSON')
  .action((options: { search?: string; category?: string; authScheme?: string; json?: boolean }) => {
    const found = searchApps(Catalog.load().list(), { search: options.search, category: options.category, authScheme: options.authScheme as AuthSchemeName | undefined });
    if (options.json) process.stdout.write(`${JSON.stringify(found.map((app) => ({ key: app.key, name: app.name, authSchemes: app.authSchemes.map((s) => s.scheme), categories: app.categories })))}\n`);
    else process.stdout.write(`${found.map((app) => `${app.key.padEnd(22)} ${app.name.padEnd(28)} ${app.authSchemes.map((s) => s.scheme).join(', ')}`).join('\n')}\n${found.length} app(s)\n`);
  });
apps
  .command('show')
  .description('show one app as JSON')
  .argument('<key>', 'app key, e.g. github')
  .action((key: string) => {
    const app = Catalog.load().get(key);
    if (!app) throw new ConfigError(`no app ${key} in the catalog; try: authlink apps list --search ${key}`);
    process.stdout.write(`${JSON.stringify(app, null, 2)}\n`);
  });

const keys = program.command('keys').description('encryption keys: status and online rotation');
const databaseOptions = (command: Command) =>
  command
    .addOption(new Option('--data-dir <dir>', 'data directory').env('AUTHLINK_DATA_DIR'))
    .addOption(new Option('--database-url <url>', 'sqlite:PATH or postgres://…').env('AUTHLINK_DATABASE_URL'));

databaseOptions(keys.command('status').description('how many ciphertexts each key still holds'))
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean; dataDir?: string; databaseUrl?: string }) => {
    const runtime = await openRuntime(loadConfig(process.env, { dataDir: options.dataDir, databaseUrl: options.databaseUrl }));
    try {
      const status = await new KeyRotation(runtime.db, runtime.vault).status();
      if (options.json) process.stdout.write(`${JSON.stringify(status)}\n`);
      else {
        const lines = Object.entries(status.ciphertextsByKey).map(([keyId, n]) => `  ${keyId}${keyId === status.currentKeyId ? ' (current)' : ''}: ${n}`);
        process.stdout.write(`current key: ${status.currentKeyId}\n${lines.join('\n') || '  (no ciphertexts)'}\n`);
      }
    } finally {
      await runtime.close();
    }
  });

databaseOptions(keys.command('rotate').description('re-encrypt every secret with AUTHLINK_ENCRYPTION_KEY (old keys in AUTHLINK_PREVIOUS_ENCRYPTION_KEYS)'))
  .option('--batch-size <n>', 'rows per batch', '200')
  .action(async (options: { batchSize: string; dataDir?: string; databaseUrl?: string }) => {
    const runtime = await openRuntime(loadConfig(process.env, { dataDir: options.dataDir, databaseUrl: options.databaseUrl }));
    try {
      const rotation = new KeyRotation(runtime.db, runtime.vault);
      const { rewritten } = await rotation.rotate({
        batchSize: Number(options.batchSize),
        onProgress: ({ done, total }) => process.stderr.write(`\r${progressBar(done, total)}`),
      });
      const after = await rotation.status();
      const left = Object.entries(after.ciphertextsByKey).filter(([keyId]) => keyId !== after.currentKeyId);
      process.stderr.write('\n');
      process.stdout.write(
        `re-encrypted ${rewritten} secret(s) with key ${after.currentKeyId}; ` +
          (left.length === 0 ? 'no ciphertext uses an older key: it can be removed from AUTHLINK_PREVIOUS_ENCRYPTION_KEYS\n' : `still under older keys: ${left.map(([k, n]) => `${k}=${n}`).join(', ')}\n`),
      );
    } finally {
      await runtime.close();
    }
  });

function progressBar(done: number, total: number): string {
  const width = 30;
  const share = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof ConfigError || (error instanceof Error && /CatalogError|EncryptionKeyError|MigrationError|AuthlinkError/.test(error.name)) ? error.message : String(error instanceof Error ? (error.stack ?? error.message) : error);
  process.stderr.write(`authlink: ${message}\n`);
  process.exit(1);
});
