// Storage: one typed query layer (Kysely) over embedded SQLite or PostgreSQL.
import { Kysely } from 'kysely';
import { engineOf, type Engine } from './engine.ts';
import { migrateToLatest, type Migration, type MigrationReport } from './migrate.ts';
import { NormaliseResultsPlugin } from './normalise_results.ts';
import { openPostgres } from './postgres.ts';
import type { Schema } from './schema.ts';
import { openSqlite } from './sqlite.ts';
import { transactionsDrained } from './transaction.ts';

export type { Engine } from './engine.ts';
export { engineOf, redactStorageUrl } from './engine.ts';
export type { Schema } from './schema.ts';

export type Db = Kysely<Schema>;
export type { Migration, MigrationReport } from './migrate.ts';

export interface Storage {
  readonly db: Db;
  readonly engine: Engine;
  /** Runs those of `migrations` (src/migrations' list) the database has not run yet. */
  migrate(migrations: readonly Migration[]): Promise<MigrationReport>;
  close(): Promise<void>;
}

export function openStorage(url: string): Storage {
  const engine = engineOf(url);
  const dialect = engine === 'postgres' ? openPostgres(url).dialect : openSqlite(url);
  const db = new Kysely<Schema>({ dialect, plugins: [new NormaliseResultsPlugin()] });
  return {
    db,
    engine,
    migrate: (migrations) => migrateToLatest(db as unknown as Kysely<unknown>, engine, migrations),
    close: async () => {
      await transactionsDrained(db);
      await db.destroy();
    },
  };
}
export { ownTables, type TablesView } from './tables.ts';
export { attachToCommit, inSnapshot, runLast, runRefusable, runTransaction, withCommitHook, type CommitHook } from './transaction.ts';
export { STORAGE_OVERLOADED } from './group_commit.ts';
export { forNoKeyUpdate, forShare, forUpdate, forUpdateSkipLocked } from './locking.ts';
