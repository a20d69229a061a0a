import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupSync } from './sqlite-group-commit.js';
import { openSqliteDatabase } from './sqlite-database.js';
import { migrateToLatest } from './migrate.js';
import type { Kysely } from 'kysely';

/** A sync that finishes only when the test says so. */
function manualSync() {
  const started: Array<() => void> = [];
  const sync = () => new Promise<void>((resolve) => started.push(resolve));
  return { sync, started, finish: (i: number) => started[i]!() };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupSync', () => {
  it('gives callers that arrive together one sync', async () => {
    const manual = manualSync();
    const group = new GroupSync(manual.sync);
    const waits = [group.durable(), group.durable(), group.durable()];
    await flush();
    expect(manual.started).toHaveLength(1);
    manual.finish(0);
    await Promise.all(waits);
  });

  it('makes a caller that arrives during a sync wait for the next one, which starts after it', async () => {
    const manual = manualSync();
    const group = new GroupSync(manual.sync);
    const early = group.durable();
    await flush();
    let lateDone = false;
    const late = group.durable().then(() => (lateDone = true));
    const alsoLate = group.durable();
    await flush();
    expect(manual.started).toHaveLength(1); // the next sync waits for the running one
    manual.finish(0);
    await early;
    await flush();
    expect(lateDone).toBe(false);
    expect(manual.started).toHaveLength(2); // one sync for both late callers
    manual.finish(1);
    await Promise.all([late, alsoLate]);
    expect(lateDone).toBe(true);
  });

  it('passes a failed sync to its callers and still runs the next', async () => {
    let calls = 0;
    const group = new GroupSync(async () => {
      calls += 1;
      if (calls === 1) throw new Error('EIO');
    });
    await expect(group.durable()).rejects.toThrow('EIO');
    await expect(group.durable()).resolves.toBeUndefined();
    await group.settled();
  });
});

describe('openSqliteDatabase (group commit)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('commits concurrent transactions that another connection then reads, and closes cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authlink-group-commit-'));
    dirs.push(dir);
    const path = join(dir, 'db.sqlite');
    const db = openSqliteDatabase(path);
    await migrateToLatest(db as unknown as Kysely<unknown>);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        db.transaction().execute(async (trx) => {
          await trx.insertInto('projects').values({ id: `prj_${i}`, name: `p${i}`, created_at: new Date().toISOString() }).execute();
        }),
      ),
    );
    const other = new SQLite(path, { readonly: true });
    try {
      expect(other.prepare('select count(*) as n from projects').get()).toEqual({ n: 50 });
    } finally {
      other.close();
    }
    await db.destroy();
    const reopened = new SQLite(path, { readonly: true });
    try {
      expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      reopened.close();
    }
  });
});
