import { hashToken, newId, randomToken } from '../ids.js';
import type { Clock } from '../clock.js';
import type { Executor } from '../storage/executor.js';
import { apiKeyHashExists, findProject, findProjectIdByKeyHash, insertApiKey, insertProject } from '../storage/repositories/project-repository.js';

export const API_KEY_PREFIX = 'alk_';
export const BOOTSTRAP_PROJECT_ID = 'default';

export interface CreatedProject {
  projectId: string;
  apiKey: string;
}

/** Projects are tenants; API keys open exactly one and are stored only as SHA-256 hashes. */
export class ProjectService {
  readonly #db: Executor;
  readonly #clock: Clock;

  constructor(db: Executor, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
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
    await this.#db.transaction().execute(async (trx) => {
      if (!(await findProject(trx, BOOTSTRAP_PROJECT_ID))) {
        await insertProject(trx, { id: BOOTSTRAP_PROJECT_ID, name: 'default', created_at: now.toISOString() });
      }
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
      await insertProject(trx, { id: BOOTSTRAP_PROJECT_ID, name: 'default', created_at: now.toISOString() });
      await this.#addKey(trx, BOOTSTRAP_PROJECT_ID, apiKey, now);
      return { projectId: BOOTSTRAP_PROJECT_ID, apiKey };
    });
  }

  /** The project an API key opens, or undefined. The lookup is by hash: no timing oracle on the key. */
  async authenticate(apiKey: string): Promise<string | undefined> {
    if (apiKey.length === 0 || apiKey.length > 512) return undefined;
    return findProjectIdByKeyHash(this.#db, hashToken(apiKey));
  }

  async #addKey(db: Executor, projectId: string, apiKey: string, now: Date): Promise<void> {
    await insertApiKey(db, {
      id: newId('key', now),
      projectId,
      keyHash: hashToken(apiKey),
      keyPrefix: apiKey.slice(0, API_KEY_PREFIX.length + 4),
      createdAt: now.toISOString(),
    });
  }
}
