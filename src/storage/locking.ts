// Row locks for read-then-write transactions, on the engine that needs them.
// PostgreSQL runs transactions side by side: a row read to be changed is
// locked (FOR UPDATE) so that no other transaction changes it in between.
// SQLite needs none: every transaction is BEGIN IMMEDIATE (sqlite.ts), so the
// database's one write lock is held from the first statement, and SQLite has
// no FOR UPDATE to write.
import type { Engine } from './engine.ts';

/** A query builder that can lock the rows it reads (Kysely's SelectQueryBuilder). */
interface Lockable<Q> {
  forUpdate(): Q;
  forNoKeyUpdate(): Q;
  forShare(): Q;
  skipLocked(): Q;
}

/** `query` locking the rows it reads until the transaction ends, on PostgreSQL; unchanged on SQLite. */
export function forUpdate<Q extends Lockable<Q>>(query: Q, engine: Engine): Q {
  return engine === 'postgres' ? query.forUpdate() : query;
}

/**
 * `query` locking the rows it reads against change (FOR NO KEY UPDATE) until the transaction ends, on
 * PostgreSQL: as FOR UPDATE, except that it lets other transactions take FOR KEY SHARE, the lock a foreign-key
 * check takes on the row it references. For rows whose keys never change and that other tables reference
 * while the lock is held. Unchanged on SQLite.
 */
export function forNoKeyUpdate<Q extends Lockable<Q>>(query: Q, engine: Engine): Q {
  return engine === 'postgres' ? query.forNoKeyUpdate() : query;
}

/**
 * `query` locking the rows it reads and passing over rows another transaction holds, on PostgreSQL,
 * so that concurrent claimers (workers of any number of processes) take different rows instead of
 * waiting for each other; unchanged on SQLite, where claims are one at a time.
 */
export function forUpdateSkipLocked<Q extends Lockable<Q>>(query: Q, engine: Engine): Q {
  return engine === 'postgres' ? query.forUpdate().skipLocked() : query;
}

/**
 * `query` locking the rows it reads against change (FOR SHARE) until the transaction ends, on PostgreSQL:
 * any number of transactions may hold it at once, and one that wants to change the row waits for them all.
 * Unchanged on SQLite, where transactions run one at a time.
 */
export function forShare<Q extends Lockable<Q>>(query: Q, engine: Engine): Q {
  return engine === 'postgres' ? query.forShare() : query;
}
