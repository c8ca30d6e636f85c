// Row locks where the engine has them. Domain code states that it needs the
// rows it reads held until its transaction ends; whether that takes a lock
// is the engine's business, answered here and nowhere else.
import type { Engine } from './engine.ts';

export interface Lockable<Q> {
  forUpdate(): Q;
  skipLocked(): Q;
}

/**
 * The rows `query` reads, locked until the transaction ends where the engine
 * has row locks (PostgreSQL); SQLite has one writer at a time, so there is
 * nothing to lock. With `skipLocked`, rows another transaction holds are left
 * out rather than waited for.
 */
export function lockedRows<Q extends Lockable<Q>>(engine: Engine, query: Q, options: { skipLocked?: boolean } = {}): Q {
  if (engine !== 'postgres') return query;
  return options.skipLocked === true ? query.forUpdate().skipLocked() : query.forUpdate();
}
