import { CompiledQuery, type Compilable, type DialectAdapter, type QueryResult } from 'kysely';
import type { Executor } from './executor.js';

/** Stands for a parameter while the query is built; never reaches a database. */
const MARK = '\u0000authlink-param:';

/** Names a parameter of a prepared query; annotate the builder's second argument with it. */
export type Param<P> = <K extends keyof P & string>(name: K) => P[K];
type Slot<P> = { param: keyof P } | { value: unknown };

interface Compiled<P> {
  sql: string;
  slots: Slot<P>[];
}

export interface PreparedQuery<P, R> {
  execute(db: Executor, params: P): Promise<QueryResult<R>>;
}

/**
 * A query built with Kysely once and compiled once per dialect, then run with new values. Kysely
 * builds and compiles every query anew (a frozen operation tree, then visited), which on the hot
 * paths costs about as much as the SQLite lookup itself. The SQL text comes from Kysely, so it is
 * right for each dialect, and repeated text hits the SQLite statement cache. Use it for queries
 * whose shape never changes; values go in as bound parameters, as with Kysely itself.
 */
export function preparedQuery<P extends object, R>(build: (db: Executor, param: Param<P>) => Compilable<R>): PreparedQuery<P, R> {
  // Transactions share their database's adapter: one compilation per dialect in use.
  const byAdapter = new WeakMap<DialectAdapter, Compiled<P>>();
  const param = ((name: string) => `${MARK}${name}`) as Param<P>;
  const compile = (db: Executor): Compiled<P> => {
    const compiled = build(db, param).compile();
    const slots = compiled.parameters.map((value): Slot<P> =>
      typeof value === 'string' && value.startsWith(MARK) ? { param: value.slice(MARK.length) as keyof P } : { value },
    );
    return { sql: compiled.sql, slots };
  };
  return {
    execute(db, params) {
      const adapter = db.getExecutor().adapter;
      let compiled = byAdapter.get(adapter);
      if (compiled === undefined) {
        compiled = compile(db);
        byAdapter.set(adapter, compiled);
      }
      const values = compiled.slots.map((slot) => ('param' in slot ? params[slot.param] : slot.value));
      return db.executeQuery(CompiledQuery.raw(compiled.sql, values) as CompiledQuery<R>);
    },
  };
}
