import { hashToken, newId, randomToken } from '../ids.js';
import type { Clock } from '../clock.js';
import type { Executor } from '../storage/executor.js';
import { apiKeyHashExists, findApiKeyByHash, insertApiKey, insertProject, insertProjectIfAbsent } from '../storage/repositories/project-repository.js';
import type { AuditActor, AuditLog } from './audit-log.js';
import { readProjectSettings, writeProjectSettings, type ProjectSettings, type ProjectSettingsUpdate } from './project-settings.js';

export const API_KEY_PREFIX = 'alk_';
export const BOOTSTRAP_PROJECT_ID = 'default';

/** API keys are never deleted yet, so a short cache of hits cannot serve a revoked key. */
const KEY_CACHE_MS = 60_000;
const KEY_CACHE_SIZE = 10_000;

function plausibleKey(apiKey: string): boolean {
  return apiKey.length > 0 && apiKey.length <= 512;
}

export interface AuthenticatedKey {
  projectId: string;
  keyId: string;
}

export interface CreatedProject {
  projectId: string;
  apiKey: string;
}

/** Projects are tenants; API keys open exactly one and are stored only as SHA-256 hashes. */
export class ProjectService {
  readonly #db: Executor;
  readonly #clock: Clock;
  readonly #keyCache = new Map<string, { key: AuthenticatedKey; until: number }>();
  readonly #audit: AuditLog;

  constructor(db: Executor, clock: Clock, audit: AuditLog) {
    this.#db = db;
    this.#clock = clock;
    this.#audit = audit;
  }

  async create(name: string): Promise<CreatedProject> {
    const now = this.#clock();
    const projectId = newId('prj', now);
    const apiKey = `${API_KEY_PREFIX}${randomToken(32)}`;
    await this.#db.transaction().execute(async (trx) => {
      await insertProject(trx, { id: projectId, name, created_at: now.toISOString() });
      await this.#addKey(trx, projectId, apiKey, now);
    });
    return { projectId, apiKey };
  }

  /** Makes sure the project `default` exists and opens with exactly `apiKey` (AUTHLINK_API_KEY). */
  async ensureBootstrapKey(apiKey: string): Promise<void> {
    const now = this.#clock();
    // Idempotent and race-free: several processes may start at once on one database.
    await this.#db.transaction().execute(async (trx) => {
      await insertProjectIfAbsent(trx, { id: BOOTSTRAP_PROJECT_ID, name: 'default', created_at: now.toISOString() });
      if (!(await apiKeyHashExists(trx, BOOTSTRAP_PROJECT_ID, hashToken(apiKey)))) {
        await this.#addKey(trx, BOOTSTRAP_PROJECT_ID, apiKey, now);
      }
    });
  }

  /** Creates the project `default` with a fresh key if no project exists; returns the key once. */
  async createDefaultIfEmpty(): Promise<CreatedProject | undefined> {
    const now = this.#clock();
    return this.#db.transaction().execute(async (trx) => {
      const any = await trx.selectFrom('projects').select('id').limit(1).executeTakeFirst();
      if (any) return undefined;
      const apiKey = `${API_KEY_PREFIX}${randomToken(32)}`;
      // Another process starting at the same moment may win: it prints the key, this one does not.
      if (!(await insertProjectIfAbsent(trx, { id: BOOTSTRAP_PROJECT_ID, name: 'default', created_at: now.toISOString() }))) return undefined;
      await this.#addKey(trx, BOOTSTRAP_PROJECT_ID, apiKey, now);
      return { projectId: BOOTSTRAP_PROJECT_ID, apiKey };
    });
  }

  /**
   * The project an API key opens, or undefined. Lookups are by SHA-256 of the key, so the
   * comparison never touches the key itself (no timing oracle); hits are cached briefly because
   * every API request starts here.
   */
  async authenticate(apiKey: string): Promise<AuthenticatedKey | undefined> {
    if (!plausibleKey(apiKey)) return undefined;
    const hash = hashToken(apiKey);
    const known = this.#cached(hash);
    if (known !== undefined) return known;
    const key = await findApiKeyByHash(this.#db, hash);
    if (key) {
      if (this.#keyCache.size >= KEY_CACHE_SIZE) this.#keyCache.delete(this.#keyCache.keys().next().value as string);
      this.#keyCache.set(hash, { key, until: Date.now() + KEY_CACHE_MS });
    }
    return key;
  }

  /**
   * The same answer without the database when it is already known: a cached key, or a key that
   * cannot be one. 'unknown' means ask `authenticate`. Lets the API's first hook finish without a
   * promise on almost every request.
   */
  authenticateCached(apiKey: string): AuthenticatedKey | undefined | 'unknown' {
    if (!plausibleKey(apiKey)) return undefined;
    return this.#cached(hashToken(apiKey)) ?? 'unknown';
  }

  #cached(hash: string): AuthenticatedKey | undefined {
    const cached = this.#keyCache.get(hash);
    return cached !== undefined && cached.until > Date.now() ? cached.key : undefined;
  }

  async settings(projectId: string): Promise<ProjectSettings> {
    return readProjectSettings(this.#db, projectId);
  }

  async updateSettings(projectId: string, update: ProjectSettingsUpdate, actor: AuditActor = 'system'): Promise<ProjectSettings> {
    const settings = await writeProjectSettings(this.#db, projectId, update);
    this.#audit.record({
      projectId,
      actor,
      action: 'project.settings_changed',
      targetType: 'project',
      targetId: projectId,
      outcome: 'success',
      detail: { allowedRedirectUrls: settings.allowedRedirectUrls.join(' '), requireSameBrowser: settings.requireSameBrowser, confirmationUrl: settings.confirmationUrl },
    });
    return settings;
  }

  async #addKey(db: Executor, projectId: string, apiKey: string, now: Date): Promise<void> {
    const id = newId('key', now);
    const inserted = await insertApiKey(db, {
      id,
      projectId,
      keyHash: hashToken(apiKey),
      keyPrefix: apiKey.slice(0, API_KEY_PREFIX.length + 4),
      createdAt: now.toISOString(),
    });
    if (inserted) this.#audit.record({ projectId, actor: 'cli', action: 'api_key.created', targetType: 'api_key', targetId: id, outcome: 'success' });
  }
}
