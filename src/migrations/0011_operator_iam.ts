// Operator identity and access: operators (argon2id password hashes, TOTP,
// lock-out), automation clients (public keys only: they authenticate with
// private_key_jwt, so the hub stores no client secret), the authorization
// server's keys and its stored artefacts (oidc-provider's adapter), sign-in
// rate limits and flows, and role-based access control: roles, their
// privileges, grants (optionally scoped to one participant) and
// separation-of-duties exclusions.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await createIdentityTables(db);
  await createSigninTables(db);
  await createRbacTables(db);
}

/** Operators, automation clients, the authorization server's keys, state and artefacts. */
async function createIdentityTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('operators')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull().unique().check(sql`length(username) between 2 and 64`))
    .addColumn('display_name', 'text', (c) => c.notNull().check(sql`length(display_name) between 1 and 128`))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('is_password_temporary', 'integer', (c) => c.notNull().check(sql`is_password_temporary in (0, 1)`))
    .addColumn('totp_secret', 'text')
    .addColumn('totp_last_counter', 'bigint')
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0).check(sql`failed_attempts >= 0`))
    .addColumn('locked_until_ms', 'bigint')
    .addColumn('is_active', 'integer', (c) => c.notNull().check(sql`is_active in (0, 1)`))
    .addColumn('is_bootstrap', 'integer', (c) => c.notNull().check(sql`is_bootstrap in (0, 1)`))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('password_changed_at_ms', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('iam_clients')
    .addColumn('client_id', 'text', (c) => c.primaryKey().check(sql`length(client_id) between 3 and 64`))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('public_jwks', 'text', (c) => c.notNull())
    .addColumn('is_active', 'integer', (c) => c.notNull().check(sql`is_active in (0, 1)`))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .execute();

  // Shared by every hub process on one database, so that a token one signs the others accept.
  await db.schema
    .createTable('iam_keys')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('material', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('iam_state')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('oidc_payloads')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('grant_id', 'text')
    .addColumn('uid', 'text')
    .addColumn('user_code', 'text')
    .addColumn('account_id', 'text')
    .addColumn('expires_at_ms', 'bigint')
    .addColumn('consumed_at_ms', 'bigint')
    .addPrimaryKeyConstraint('oidc_payloads_pk', ['model', 'id'])
    .execute();
  for (const column of ['grant_id', 'uid', 'user_code', 'account_id', 'expires_at_ms'] as const) {
    await db.schema.createIndex(`oidc_payloads_by_${column}`).on('oidc_payloads').column(column).execute();
  }
}

/** Sign-in rate limits and flows in progress. */
async function createSigninTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('signin_attempts')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('window_start_ms', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().check(sql`attempts > 0`))
    .addPrimaryKeyConstraint('signin_attempts_pk', ['source', 'window_start_ms'])
    .execute();

  await db.schema
    .createTable('signin_flows')
    .addColumn('uid', 'text', (c) => c.primaryKey())
    .addColumn('operator_id', 'text', (c) => c.notNull().references('operators.id'))
    .addColumn('stage', 'text', (c) => c.notNull().check(sql`stage in ('CHANGE_PASSWORD', 'ENROL_TOTP', 'TOTP')`))
    .addColumn('pending_totp_secret', 'text')
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .execute();
}

/** Roles, their privileges, grants and separation-of-duties exclusions. */
async function createRbacTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('roles')
    .addColumn('name', 'text', (c) => c.primaryKey().check(sql`length(name) between 2 and 64`))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('role_privileges')
    .addColumn('role', 'text', (c) => c.notNull().references('roles.name'))
    .addColumn('privilege', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('role_privileges_pk', ['role', 'privilege'])
    .execute();

  await db.schema
    .createTable('principal_roles')
    .addColumn('principal_id', 'text', (c) => c.notNull())
    .addColumn('principal_kind', 'text', (c) => c.notNull().check(sql`principal_kind in ('operator', 'client')`))
    .addColumn('role', 'text', (c) => c.notNull().references('roles.name'))
    // '*' (not a participant name) for a grant that is not scoped to one participant.
    .addColumn('participant', 'text', (c) => c.notNull())
    .addColumn('granted_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('principal_roles_pk', ['principal_id', 'role', 'participant'])
    .execute();
  await db.schema.createIndex('principal_roles_by_role').on('principal_roles').column('role').execute();

  await db.schema
    .createTable('sod_exclusions')
    .addColumn('privilege_a', 'text', (c) => c.notNull())
    .addColumn('privilege_b', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sod_exclusions_pk', ['privilege_a', 'privilege_b'])
    // The code writes each pair in one order (rbac/sod.ts); PostgreSQL's collation may order names
    // differently from JavaScript, so the database only refuses a privilege excluded with itself.
    .addCheckConstraint('sod_exclusions_distinct', sql`privilege_a <> privilege_b`)
    .execute();
}
