import {
  Catalog,
  Vault,
  createAuthlinkServices,
  loadOrCreateKeyFile,
  migrateToLatest,
  openDatabase,
  parseEncryptionKey,
  type AuthlinkServices,
  type Clock,
  type Database,
  type FlowTimings,
  type Logger,
  type RefreshPolicy,
  type RefreshSchedulerOptions,
} from '@authlink/core';
import { sql, type Kysely } from 'kysely';
import type { ServerConfig } from './config.js';
import { sqlitePath } from './config.js';

export interface Runtime {
  db: Kysely<Database>;
  vault: Vault;
  services: AuthlinkServices;
  /** Where the key came from, for the start banner. */
  keySource: 'environment' | 'key file (created now)' | 'key file';
  checkDatabase: () => Promise<void>;
  close: () => Promise<void>;
}

export interface RuntimeOptions {
  logger?: Logger;
  clock?: Clock;
  timings?: Partial<FlowTimings>;
  catalog?: Catalog;
  refreshPolicy?: Partial<RefreshPolicy>;
  refreshSchedule?: Partial<RefreshSchedulerOptions>;
  /** Run the background refresher (the CLI's serve does; tests drive sweeps themselves). */
  backgroundRefresh?: boolean;
}

/**
 * Opens everything the server and the CLI stand on: catalog (fails on a bad entry), database
 * (migrated), vault key (environment, else the data directory's key file) and the services.
 */
export async function openRuntime(config: ServerConfig, options: RuntimeOptions = {}): Promise<Runtime> {
  const catalog = options.catalog ?? Catalog.load();
  let key: Buffer;
  let keySource: Runtime['keySource'];
  if (config.encryptionKey !== undefined) {
    key = parseEncryptionKey(config.encryptionKey);
    keySource = 'environment';
  } else {
    const file = loadOrCreateKeyFile(config.dataDir);
    key = file.key;
    keySource = file.created ? 'key file (created now)' : 'key file';
  }
  const vault = new Vault(
    key,
    config.previousEncryptionKeys.map((text, i) => parseEncryptionKey(text, `AUTHLINK_PREVIOUS_ENCRYPTION_KEYS[${i}]`)),
  );
  const db = config.databaseUrl.startsWith('sqlite:')
    ? openDatabase(`sqlite:${sqlitePath(config.databaseUrl)}`)
    : openDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
  try {
    await migrateToLatest(db as unknown as Kysely<unknown>);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const services = createAuthlinkServices({
    db,
    vault,
    catalog,
    publicUrl: config.publicUrl,
    ...(options.clock && { clock: options.clock }),
    ...(options.logger && { logger: options.logger }),
    ...(options.timings && { timings: options.timings }),
    refreshPolicy: { leaseSeconds: config.refreshLeaseSeconds, ...options.refreshPolicy },
    ...(options.refreshSchedule && { refreshSchedule: options.refreshSchedule }),
  });
  if (options.backgroundRefresh) services.refreshScheduler.start();
  if (config.apiKey !== undefined) await services.projects.ensureBootstrapKey(config.apiKey);
  return {
    db,
    vault,
    services,
    keySource,
    checkDatabase: async () => {
      await sql`select 1`.execute(db);
    },
    close: async () => {
      await services.refreshScheduler.stop();
      await services.audit.flush();
      await db.destroy();
    },
  };
}
