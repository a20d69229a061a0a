import type { Catalog } from '../catalog/catalog.js';
import { systemClock, type Clock } from '../clock.js';
import type { Executor } from '../storage/executor.js';
import type { Vault } from '../vault/vault.js';
import { AccountSecrets } from './account-secrets.js';
import { AuditLog } from './audit-log.js';
import { ConnectFlowService } from './connect-flow-service.js';
import { ConnectionService } from './connection-service.js';
import { CredentialRefresher, type RefreshPolicy } from './credential-refresher.js';
import { IntegrationService } from './integration-service.js';
import { silentLogger, type Logger } from './logger.js';
import { ProjectService } from './project-service.js';
import { RefreshScheduler, type RefreshSchedulerOptions } from './refresh-scheduler.js';
import type { FlowTimings, ServiceContext } from './service-context.js';

export interface AuthlinkServicesOptions {
  db: Executor;
  vault: Vault;
  catalog: Catalog;
  publicUrl: string;
  clock?: Clock;
  logger?: Logger;
  timings?: Partial<FlowTimings>;
  refreshPolicy?: Partial<RefreshPolicy>;
  refreshSchedule?: Partial<RefreshSchedulerOptions>;
}

export interface AuthlinkServices {
  projects: ProjectService;
  integrations: IntegrationService;
  connections: ConnectionService;
  connectFlow: ConnectFlowService;
  refresher: CredentialRefresher;
  refreshScheduler: RefreshScheduler;
  audit: AuditLog;
  catalog: Catalog;
}

export const DEFAULT_TIMINGS: FlowTimings = Object.freeze({
  connectLinkTtlSeconds: 24 * 60 * 60,
  // The callback must arrive within 10 minutes of leaving for the provider.
  oauthStateTtlSeconds: 10 * 60,
});

/** Wires the domain services together; the HTTP layer and the CLI use nothing else. */
export function createAuthlinkServices(options: AuthlinkServicesOptions): AuthlinkServices {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const audit = new AuditLog(options.db, clock, logger);
  const integrations = new IntegrationService({ db: options.db, vault: options.vault, catalog: options.catalog, clock, audit, logger });
  const context: ServiceContext = {
    db: options.db,
    vault: options.vault,
    secrets: new AccountSecrets(options.vault),
    catalog: options.catalog,
    clock,
    logger,
    integrations,
    audit,
    publicUrl: options.publicUrl.replace(/\/+$/, ''),
    timings: { ...DEFAULT_TIMINGS, ...options.timings },
  };
  const refresher = new CredentialRefresher(context, options.refreshPolicy);
  return {
    projects: new ProjectService(options.db, clock, audit),
    integrations,
    refresher,
    audit,
    refreshScheduler: new RefreshScheduler(context, refresher, options.refreshSchedule),
    connections: new ConnectionService(context, refresher),
    connectFlow: new ConnectFlowService(context),
    catalog: options.catalog,
  };
}
