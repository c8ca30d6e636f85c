// PostgreSQL storage, selected by a postgres:// URL.
import pg from 'pg';
import { PostgresDialect } from 'kysely';

/** Connections one hub process holds; each waits at most connectionTimeoutMs for a free one. */
export const POSTGRES_POOL_SIZE_MAX = 10;
const POSTGRES_CONNECTION_TIMEOUT_MS = 5_000;
const POSTGRES_STATEMENT_TIMEOUT_MS = 30_000;

export function openPostgres(url: string): { dialect: PostgresDialect; pool: pg.Pool } {
  // 64-bit integers (money in minor units) as bigint, for this pool only.
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, (value: string) => BigInt(value));
  const pool = new pg.Pool({
    connectionString: url,
    max: POSTGRES_POOL_SIZE_MAX,
    connectionTimeoutMillis: POSTGRES_CONNECTION_TIMEOUT_MS,
    statement_timeout: POSTGRES_STATEMENT_TIMEOUT_MS,
    application_name: 'interlock',
    types,
  });
  // An idle connection the server ends (restart, failover, pg_terminate_backend)
  // makes the pool emit 'error'; with no listener that is an uncaught exception
  // that stops the process. The pool has already dropped the connection and
  // opens a new one for the next query; errors of queries reach their callers.
  pool.on('error', () => undefined);
  return { dialect: new PostgresDialect({ pool }), pool };
}
