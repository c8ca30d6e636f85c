// An upgrade from a database an older hub made and used (fixtures/README.md:
// a scheme onboarded, three transfers, a maker-checker funds-in, audit
// entries) ends with exactly the schema a fresh database gets, and every row
// the later migrations do not mean to change is still there as it was.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openStorage, type Db, type Engine, type Storage } from '../storage/index.ts';
import { freshStorage, postgresUnavailable, skippedOnPostgres, TEST_POSTGRES_URL } from '../testing/engines.ts';
import { MIGRATIONS } from './index.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
/** The fixtures were made by a hub whose last migration was 0031; these are the ones the upgrade runs. */
const LATER_MIGRATIONS = ['0040_bootstrap_never_approves_money', '0050_sealed_sessions', '0060_settlement', '0061_window_totals_index', '0070_risk_features', '0071_risk_decisions', '0072_risk_admin', '0073_risk_cases', '0074_risk_fraud_reports'];
/** Tables whose rows the later migrations change on purpose (and the migrator's own). */
const CHANGED_BY_UPGRADE = new Set([
  'role_privileges', 'principal_roles', 'sod_exclusions', // 0040: money approvals leave the bootstrap role; 0060: settlement privileges; 0072: FRMS privileges
  'roles', // 0072: the default role risk-analyst on a hub that seeded its roles
  'portal_sessions', 'oidc_payloads', // 0050: sessions stored in clear are dropped
  'kysely_migration', 'kysely_migration_lock',
]);

/** Columns later migrations add to tables that existed (their rows are compared without them). */
const ADDED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  journal_entries: ['settlement_window_id'], // 0060: the window a committed transfer fell in (null before)
};

const stable = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

async function tableNames(db: Db, engine: Engine): Promise<string[]> {
  const { rows } = engine === 'sqlite'
    ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
    : await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public'`.execute(db);
  return rows.map((r) => r.name).sort();
}

/** Every row of every table the upgrade must keep, as sorted text per table. */
async function keptRows(db: Db, engine: Engine): Promise<Map<string, string[]>> {
  const kept = new Map<string, string[]>();
  for (const table of (await tableNames(db, engine)).filter((name) => !CHANGED_BY_UPGRADE.has(name))) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db);
    const added = ADDED_COLUMNS[table] ?? [];
    kept.set(table, rows.map((row) => stable(Object.fromEntries(Object.entries(row).filter(([column]) => !added.includes(column))))).sort());
  }
  return kept;
}

/** The schema as the engine describes it: tables, columns, constraints, indexes, triggers and functions. */
async function schemaOf(db: Db, engine: Engine): Promise<unknown[]> {
  if (engine === 'sqlite') {
    return (await sql`select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_%' order by type, name`.execute(db)).rows;
  }
  const queries = [
    sql`select table_name, column_name, ordinal_position, data_type, is_nullable, column_default, is_identity, identity_generation
        from information_schema.columns where table_schema = 'public' order by table_name, column_name`,
    sql`select conrelid::regclass::text as on_table, conname, pg_get_constraintdef(oid) as definition
        from pg_constraint where connamespace = 'public'::regnamespace order by 1, 2`,
    sql`select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by 1, 2`,
    sql`select tgrelid::regclass::text as on_table, tgname, pg_get_triggerdef(oid) as definition
        from pg_trigger where not tgisinternal order by 1, 2`,
    sql`select proname, pg_get_functiondef(oid) as definition from pg_proc where pronamespace = 'public'::regnamespace order by 1`,
  ];
  const described: unknown[] = [];
  for (const query of queries) described.push(...(await query.execute(db)).rows);
  return described;
}

async function assertUpgrade(old: Storage): Promise<void> {
  const rowsBefore = await keptRows(old.db, old.engine);
  assert.ok((rowsBefore.get('transfers') ?? []).length === 3, 'the fixture holds the three transfers of its making');

  const { applied } = await old.migrate(MIGRATIONS);

  assert.deepEqual(applied, LATER_MIGRATIONS);
  // Tables the later migrations create are new; every table there was keeps its rows.
  const rowsAfter = await keptRows(old.db, old.engine);
  for (const [table, rows] of rowsBefore) assert.deepEqual(rowsAfter.get(table), rows, `the rows of ${table}`);
  // 0060: transfers committed before it fall in the first settlement window, and nothing else does.
  const windowed = await sql<{ kind: string; phase: string; settlement_window_id: number | null }>`select kind, phase, settlement_window_id from journal_entries`.execute(old.db);
  assert.ok(windowed.rows.some((e) => e.kind === 'TRANSFER' && e.phase === 'POST'), 'the fixture holds a committed transfer');
  for (const entry of windowed.rows) assert.equal(entry.settlement_window_id, entry.kind === 'TRANSFER' && entry.phase === 'POST' ? 1 : null);
  // 0072: the FRMS reads go where accounts are read, its requests where funds-in is requested, its approvals
  // where funds-in is approved (never to the bootstrap administrator); the hub gains the risk-analyst role.
  const grants = await sql<{ role: string; privilege: string }>`select role, privilege from role_privileges`.execute(old.db);
  const holders = (privilege: string) => grants.rows.filter((g) => g.privilege === privilege).map((g) => g.role).sort();
  assert.ok(holders('ACCOUNT_READ').length > 0, 'the fixture holds seeded roles');
  assert.deepEqual(holders('RISK_DECISIONS_READ'), [...holders('ACCOUNT_READ'), 'risk-analyst'].sort());
  assert.deepEqual(holders('RISK_RULES_READ'), holders('ACCOUNT_READ'), 'an analyst does not read the thresholds');
  assert.deepEqual(holders('RISK_RULE_SET_PROMOTE_REQUEST'), holders('FUNDS_IN_REQUEST'));
  assert.ok(holders('RISK_RULE_SET_PROMOTE_APPROVE').length > 0 && !holders('RISK_RULE_SET_PROMOTE_APPROVE').includes('bootstrap-admin'));
  assert.deepEqual(holders('RISK_ALLOWLIST_CHANGE_REQUEST'), [...holders('FUNDS_IN_REQUEST'), 'risk-analyst'].sort());
  const exclusion = await sql`select 1 from sod_exclusions where privilege_a = 'RISK_ALLOWLIST_CHANGE_APPROVE' and privilege_b = 'RISK_ALLOWLIST_CHANGE_REQUEST'`.execute(old.db);
  assert.equal(exclusion.rows.length, 1, 'nobody both requests and approves an allow list change');
  const fresh = await freshStorage(old.engine);
  try {
    assert.deepEqual(await schemaOf(old.db, old.engine), await schemaOf(fresh.storage.db, old.engine));
  } finally {
    await fresh.dispose();
  }
}

describe('upgrade of a database made by an older version [sqlite]', () => {
  test('migrates to the latest schema, the same as a fresh database, and keeps its rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'interlock-upgrade-'));
    const file = join(dir, 'interlock.sqlite');
    copyFileSync(join(FIXTURES, 'schema_0031.sqlite'), file);
    const old = openStorage(file);
    try {
      await assertUpgrade(old);
    } finally {
      await old.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A database of its own holding the plain-SQL dump (its own connection: the dump empties search_path). */
async function restoredPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `interlock_upgrade_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(readFileSync(join(FIXTURES, 'schema_0031.pg.sql'), 'utf8'));
  } finally {
    await client.end();
  }
  return { url: url.toString(), drop: () => adminQuery(`drop database if exists ${name} with (force)`) };
}

if (await postgresUnavailable() !== undefined) {
  skippedOnPostgres('upgrade of a database made by an older version [postgres]');
} else {
  describe('upgrade of a database made by an older version [postgres]', () => {
    test('migrates to the latest schema, the same as a fresh database, and keeps its rows', async () => {
      const restored = await restoredPostgres();
      const old = openStorage(restored.url);
      try {
        await assertUpgrade(old);
      } finally {
        await old.close();
        await restored.drop();
      }
    });
  });
}
