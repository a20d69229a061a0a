import { resolve } from 'node:path';

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  /** `sqlite:PATH` or `postgres://…`. */
  databaseUrl: string;
  /** Connections per process to PostgreSQL. */
  databasePoolSize: number;
  encryptionKey: string | undefined;
  /** Keys that may still decrypt (during a rotation), comma-separated base64 in the environment. */
  previousEncryptionKeys: string[];
  publicUrl: string;
  apiKey: string | undefined;
  adminKey: string | undefined;
  logLevel: string;
  /** How long a process may hold an account's refresh lease before another takes over (a crashed process). */
  refreshLeaseSeconds: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Flags as the CLI parsed them; each wins over the environment variable of the same name. */
export interface ConfigFlags {
  port?: string | undefined;
  host?: string | undefined;
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  publicUrl?: string | undefined;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`AUTHLINK_PORT must be a port number, got "${text}"`);
  return port;
}

export function loadConfig(env: NodeJS.ProcessEnv, flags: ConfigFlags = {}): ServerConfig {
  const port = parsePort(flags.port ?? env.AUTHLINK_PORT ?? '8080');
  const host = flags.host ?? env.AUTHLINK_HOST ?? '127.0.0.1';
  const dataDir = resolve(flags.dataDir ?? env.AUTHLINK_DATA_DIR ?? '.authlink');
  const databaseUrl = flags.databaseUrl ?? env.AUTHLINK_DATABASE_URL ?? `sqlite:${resolve(dataDir, 'authlink.db')}`;
  const isPostgres = /^postgres(ql)?:\/\//.test(databaseUrl);
  if (!databaseUrl.startsWith('sqlite:') && !isPostgres) {
    throw new ConfigError(`AUTHLINK_DATABASE_URL must be sqlite:PATH or postgres://…, got "${redactDatabaseUrl(databaseUrl)}"`);
  }
  if (isPostgres && !env.AUTHLINK_ENCRYPTION_KEY) {
    // Every process must decrypt what the others wrote: a key file per machine cannot do that.
    throw new ConfigError('AUTHLINK_ENCRYPTION_KEY is required with PostgreSQL (all processes share it); generate one with: openssl rand -base64 32');
  }
  const poolSizeText = env.AUTHLINK_DATABASE_POOL_SIZE ?? '10';
  const databasePoolSize = Number(poolSizeText);
  if (!Number.isInteger(databasePoolSize) || databasePoolSize < 1 || databasePoolSize > 1000) {
    throw new ConfigError(`AUTHLINK_DATABASE_POOL_SIZE must be an integer from 1 to 1000, got "${poolSizeText}"`);
  }
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const publicUrl = (flags.publicUrl ?? env.AUTHLINK_PUBLIC_URL ?? `http://${displayHost}:${port}`).replace(/\/+$/, '');
  try {
    const url = new URL(publicUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ConfigError(`AUTHLINK_PUBLIC_URL must be an http(s) URL, got "${publicUrl}"`);
  }
  return {
    port,
    host,
    dataDir,
    databaseUrl,
    databasePoolSize,
    encryptionKey: env.AUTHLINK_ENCRYPTION_KEY || undefined,
    previousEncryptionKeys: (env.AUTHLINK_PREVIOUS_ENCRYPTION_KEYS ?? '').split(',').map((k) => k.trim()).filter((k) => k !== ''),
    publicUrl,
    apiKey: env.AUTHLINK_API_KEY || undefined,
    adminKey: env.AUTHLINK_ADMIN_KEY || undefined,
    logLevel: env.AUTHLINK_LOG_LEVEL ?? 'info',
    refreshLeaseSeconds: positiveInteger(env, 'AUTHLINK_REFRESH_LEASE_SECONDS', 30),
  };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`${name} must be a positive integer, got "${text}"`);
  return value;
}

/** For messages and logs: the password in a database URL is a secret. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

export function sqlitePath(databaseUrl: string): string {
  const path = databaseUrl.slice('sqlite:'.length);
  return path === ':memory:' ? path : resolve(path);
}
