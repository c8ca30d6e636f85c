// The migration runner: runs an ordered list of migrations, given by the
// caller (src/migrations holds the hub's), on either engine. Kysely's
// migrator takes a lock, so several hub processes starting on one PostgreSQL
// run each migration once.
import { inspect } from 'node:util';
import type { Kysely } from 'kysely';
import { Migrator, type Migration as KyselyMigration, type MigrationProvider } from 'kysely/migration';
import type { Engine } from './engine.ts';

export interface Migration {
  /** Recorded in the database's kysely_migration table; the list runs in the order of names. */
  readonly name: string;
  up(db: Kysely<unknown>, engine: Engine): Promise<void>;
}

function provider(migrations: readonly Migration[], engine: Engine): MigrationProvider {
  return {
    getMigrations(): Promise<Record<string, KyselyMigration>> {
      return Promise.resolve(Object.fromEntries(
        migrations.map((migration) => [migration.name, { up: (db: Kysely<unknown>) => migration.up(db, engine) }]),
      ));
    },
  };
}

export interface MigrationReport {
  applied: string[];
}

export async function migrateToLatest(db: Kysely<unknown>, engine: Engine, migrations: readonly Migration[]): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider: provider(migrations, engine) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : inspect(error)}`, { cause: error });
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
