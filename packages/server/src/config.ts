import { resolve } from 'node:path';

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  /** `sqlite:PATH` (PostgreSQL arrives with the multi-process release). */
  databaseUrl: string;
  encryptionKey: string | undefined;
  publicUrl: string;
  apiKey: string | undefined;
  adminKey: string | undefined;
  logLevel: string;
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
  if (!databaseUrl.startsWith('sqlite:')) {
    if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
      throw new ConfigError('AUTHLINK_DATABASE_URL: PostgreSQL is not supported by this version yet; use sqlite:PATH or leave it unset');
    }
    throw new ConfigError(`AUTHLINK_DATABASE_URL must be sqlite:PATH, got "${databaseUrl.replace(/\/\/[^@]*@/, '//***@')}"`);
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
    encryptionKey: env.AUTHLINK_ENCRYPTION_KEY || undefined,
    publicUrl,
    apiKey: env.AUTHLINK_API_KEY || undefined,
    adminKey: env.AUTHLINK_ADMIN_KEY || undefined,
    logLevel: env.AUTHLINK_LOG_LEVEL ?? 'info',
  };
}

export function sqlitePath(databaseUrl: string): string {
  const path = databaseUrl.slice('sqlite:'.length);
  return path === ':memory:' ? path : resolve(path);
}
