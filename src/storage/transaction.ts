// Runs a unit of work in one database transaction, and runs it again (a
// bounded number of times) when the database refused it only because of a
// concurrent one: a PostgreSQL serialisation failure, deadlock or unique
// violation (the retry then sees the other transaction's row and answers as
// a duplicate), or SQLite's lock timeout.
import type { Kysely, Transaction } from 'kysely';
import type { Engine } from './engine.ts';

export const TRANSACTION_ATTEMPTS_MAX = 3;

const POSTGRES_RETRYABLE = new Set(['40001', '40P01', '23505']);

function isRetryable(error: unknown, engine: Engine): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (engine === 'postgres') return typeof code === 'string' && POSTGRES_RETRYABLE.has(code);
  const errstr = (error as { errstr?: unknown }).errstr;
  return code === 'ERR_SQLITE_ERROR' && (errstr === 'database is locked' || errstr === 'database is busy');
}

export async function runTransaction<S, T>(db: Kysely<S>, engine: Engine, work: (tx: Transaction<S>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      if (attempt >= TRANSACTION_ATTEMPTS_MAX || !isRetryable(error, engine)) throw error;
    }
  }
}
