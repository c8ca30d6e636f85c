// One ordered set of migrations, run at start on either engine. Kysely's
// migrator takes a lock, so several hub processes starting on one PostgreSQL
// run each migration once.
import { inspect } from 'node:util';
import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import type { Engine } from './engine.ts';
import * as m0001 from './migrations/0001_ledger.ts';
import * as m0002 from './migrations/0002_delivery.ts';
import * as m0003 from './migrations/0003_transfers.ts';
import * as m0004 from './migrations/0004_lookup.ts';
import * as m0005 from './migrations/0005_quotes.ts';
import * as m0008 from './migrations/0008_outbox_lapse.ts';
import * as m0009 from './migrations/0009_signing_keys.ts';
import * as m0010 from './migrations/0010_pki.ts';
import * as m0020 from './migrations/0020_message_evidence.ts';
import * as m0011 from './migrations/0011_operator_iam.ts';
import * as m0012 from './migrations/0012_change_requests.ts';
import * as m0013 from './migrations/0013_portal_sessions.ts';
import * as m0031 from './migrations/0031_gateway_policies.ts';
import * as m0050 from './migrations/0050_sealed_sessions.ts';

interface Step {
  up(db: Kysely<unknown>, engine: Engine): Promise<void>;
}
const steps: Record<string, Step> = {
  '0001_ledger': m0001,
  '0002_delivery': m0002,
  '0003_transfers': m0003,
  '0004_lookup': m0004,
  '0005_quotes': m0005,
  '0008_outbox_lapse': m0008,
  '0009_signing_keys': m0009,
  '0010_pki': m0010,
  '0020_message_evidence': m0020,
  '0011_operator_iam': m0011,
  '0012_change_requests': m0012,
  '0013_portal_sessions': m0013,
  '0030_audit_log': await import('./migrations/0030_audit_log.ts'),
  '0031_gateway_policies': m0031,
  '0040_bootstrap_never_approves_money': await import('./migrations/0040_bootstrap_never_approves_money.ts'),
  '0050_sealed_sessions': m0050,
};

function provider(engine: Engine): MigrationProvider {
  return {
    getMigrations(): Promise<Record<string, Migration>> {
      return Promise.resolve(Object.fromEntries(
        Object.entries(steps).map(([name, step]) => [name, { up: (db: Kysely<unknown>) => step.up(db, engine) }]),
      ));
    },
  };
}

export interface MigrationReport {
  applied: string[];
}

export async function migrateToLatest(db: Kysely<unknown>, engine: Engine): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider: provider(engine) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : inspect(error)}`, { cause: error });
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
