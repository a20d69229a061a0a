export { buildApp, API_PREFIX, type BuildAppOptions } from './app.js';
export { loadConfig, ConfigError, type ServerConfig, type ConfigFlags } from './config.js';
export { openRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
export { redactUrl, REDACT_PATHS } from './plugins/safe-logging.js';
