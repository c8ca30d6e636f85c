// The tamper-evident audit log (src/audit/): entries, full tlog tiles,
// signed checkpoints and witnesses' cosignatures, and the one-row sequence
// whose lock orders every append across hub processes.
//
// Nothing in the application can change or remove what the log holds:
// - on both engines, triggers refuse UPDATE and DELETE (and TRUNCATE on
//   PostgreSQL) of every table, and let the sequence only grow;
// - on PostgreSQL, the role interlock_audit_writer holds SELECT and INSERT on
//   the tables (and UPDATE of the sequence's size) and nothing more. The hub's
//   runtime login role should be a member of it and own none of these tables:
//   an owner can disable triggers. The role is made here when the migrating
//   user may create roles; otherwise an administrator creates it (README).
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

const APPEND_ONLY_TABLES = ['audit_entries', 'audit_tiles', 'audit_checkpoints', 'audit_cosignatures'];
const WRITER_ROLE = 'interlock_audit_writer';
/** tlog-tiles entry bundles prefix each entry with a uint16 length (audit/limits.ts ENTRY_BYTES_MAX). */
const ENTRY_BYTES_MAX = 65535;
const HASH_BYTES = 32;
const TILE_BYTES = 256 * HASH_BYTES;

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await createAuditTables(db, engine === 'postgres' ? 'bytea' : 'blob');
  await guardAuditTables(db, engine);
}

async function createAuditTables(db: Kysely<unknown>, bytes: 'bytea' | 'blob'): Promise<void> {

  await db.schema
    .createTable('audit_log_state')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('size', 'bigint', (c) => c.notNull().check(sql`size >= 0`))
    .execute();
  await sql`insert into audit_log_state (id, size) values (1, 0)`.execute(db);

  await db.schema
    .createTable('audit_entries')
    .addColumn('idx', 'bigint', (c) => c.primaryKey().check(sql`idx >= 0`))
    .addColumn('leaf_hash', bytes, (c) => c.notNull().check(sql`length(leaf_hash) = ${sql.lit(HASH_BYTES)}`))
    .addColumn('entry', bytes, (c) => c.notNull().check(sql`length(entry) between 2 and ${sql.lit(ENTRY_BYTES_MAX)}`))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('time_ms', 'bigint', (c) => c.notNull())
    .execute();
  // Search (admin API) and proof by entry hash. Each index costs every append; these are the ones asked for.
  await db.schema.createIndex('audit_entries_by_leaf_hash').on('audit_entries').column('leaf_hash').execute();
  await db.schema.createIndex('audit_entries_by_actor').on('audit_entries').columns(['actor', 'idx']).execute();
  await db.schema.createIndex('audit_entries_by_action').on('audit_entries').columns(['action', 'idx']).execute();
  await db.schema.createIndex('audit_entries_by_target').on('audit_entries').columns(['target_type', 'target_id', 'idx']).execute();
  await db.schema.createIndex('audit_entries_by_time').on('audit_entries').columns(['time_ms', 'idx']).execute();

  await db.schema
    .createTable('audit_tiles')
    .addColumn('level', 'integer', (c) => c.notNull().check(sql`level between 0 and 63`))
    .addColumn('idx', 'bigint', (c) => c.notNull().check(sql`idx >= 0`))
    .addColumn('hashes', bytes, (c) => c.notNull().check(sql`length(hashes) = ${sql.lit(TILE_BYTES)}`))
    .addColumn('root', bytes, (c) => c.notNull().check(sql`length(root) = ${sql.lit(HASH_BYTES)}`))
    .addPrimaryKeyConstraint('audit_tiles_pk', ['level', 'idx'])
    .execute();

  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('seq', 'bigint', (c) => c.primaryKey().check(sql`seq >= 1`))
    .addColumn('size', 'bigint', (c) => c.notNull().check(sql`size >= 0`))
    .addColumn('root_hash', bytes, (c) => c.notNull().check(sql`length(root_hash) = ${sql.lit(HASH_BYTES)}`))
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_cosignatures')
    .addColumn('checkpoint_seq', 'bigint', (c) => c.notNull().references('audit_checkpoints.seq'))
    .addColumn('witness', 'text', (c) => c.notNull())
    .addColumn('key_id', 'bigint', (c) => c.notNull().check(sql`key_id between 0 and 4294967295`))
    .addColumn('signature', bytes, (c) => c.notNull())
    .addColumn('received_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_cosignatures_pk', ['checkpoint_seq', 'witness', 'key_id'])
    .execute();
}

/** Triggers on both engines, and on PostgreSQL the writer role's grants (see the top of this file). */
async function guardAuditTables(db: Kysely<unknown>, engine: Engine): Promise<void> {
  if (engine === 'sqlite') {
    for (const table of APPEND_ONLY_TABLES) {
      for (const operation of ['update', 'delete']) {
        await sql`create trigger ${sql.raw(`${table}_no_${operation}`)} before ${sql.raw(operation)} on ${sql.raw(table)}
          begin select raise(abort, ${sql.lit(`${table} is append-only`)}); end`.execute(db);
      }
    }
    await sql`create trigger audit_log_state_forward before update on audit_log_state when new.id <> old.id or new.size < old.size
      begin select raise(abort, 'audit_log_state: the log never shrinks'); end`.execute(db);
    await sql`create trigger audit_log_state_no_delete before delete on audit_log_state
      begin select raise(abort, 'audit_log_state: the log never shrinks'); end`.execute(db);
    return;
  }

  // Statement triggers: they fire even for a statement that matches no row, and for TRUNCATE, which row triggers miss.
  await sql`create function audit_append_only() returns trigger language plpgsql as $$
    begin raise exception '% is append-only', tg_table_name using errcode = 'insufficient_privilege'; end $$`.execute(db);
  for (const table of APPEND_ONLY_TABLES) {
    await sql`create trigger ${sql.raw(`${table}_append_only`)} before update or delete or truncate on ${sql.raw(table)}
      for each statement execute function audit_append_only()`.execute(db);
  }
  await sql`create function audit_log_state_forward() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'UPDATE' or new.id <> old.id or new.size < old.size then
        raise exception 'audit_log_state: the log never shrinks' using errcode = 'insufficient_privilege';
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger audit_log_state_forward before update or delete on audit_log_state
    for each row execute function audit_log_state_forward()`.execute(db);
  await sql`create trigger audit_log_state_no_truncate before truncate on audit_log_state
    for each statement execute function audit_append_only()`.execute(db);

  // The writer role: created when this user may (roles are per cluster, so another database's migration
  // may have made it already, or be making it now), then granted exactly what appending needs.
  await sql`do $$
    begin
      if not exists (select 1 from pg_roles where rolname = ${sql.lit(WRITER_ROLE)})
         and exists (select 1 from pg_roles where rolname = current_user and (rolcreaterole or rolsuper)) then
        begin
          create role ${sql.raw(WRITER_ROLE)} nologin;
        exception when duplicate_object or unique_violation then null;
        end;
      end if;
      if exists (select 1 from pg_roles where rolname = ${sql.lit(WRITER_ROLE)}) then
        grant select, insert on ${sql.raw(APPEND_ONLY_TABLES.join(', '))} to ${sql.raw(WRITER_ROLE)};
        grant select, update (size) on audit_log_state to ${sql.raw(WRITER_ROLE)};
      end if;
    end $$`.execute(db);
}
