// PostgreSQL storage, selected by a postgres:// URL.
import pg from 'pg';
import { PostgresDialect } from 'kysely';

/** Connections one hub process holds; each waits at most connectionTimeoutMs for a free one. */
export const POSTGRES_POOL_SIZE_MAX = 10;
const POSTGRES_CONNECTION_TIMEOUT_MS = 5_000;
const POSTGRES_STATEMENT_TIMEOUT_MS = 30_000;
const INT8_OID = 20;

export function openPostgres(url: string): { dialect: PostgresDialect; pool: pg.Pool } {
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID ? (value: string) => BigInt(value) : pg.types.getTypeParser(oid, format as 'text'),
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: POSTGRES_POOL_SIZE_MAX,
    connectionTimeoutMillis: POSTGRES_CONNECTION_TIMEOUT_MS,
    statement_timeout: POSTGRES_STATEMENT_TIMEOUT_MS,
    application_name: 'interlock',
    types,
  });
  return { dialect: new PostgresDialect({ pool }), pool };
}
