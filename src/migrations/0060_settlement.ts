// Issue 15: settlement windows and settlements.
//
//   1. The journal learns a fourth kind of movement, SETTLEMENT (a participant's
//      net settlement amount between its SETTLEMENT and POSITION accounts), and
//      each committed transfer's POST entry names the settlement window it fell
//      in. PostgreSQL changes its check in place; SQLite cannot alter a check,
//      so its journal is rebuilt with the same columns, indexes and append-only
//      triggers (the copy keeps every entry and its id). Transfers committed before
//      this migration fall in the first window, so that the first settlement covers them.
//   2. Windows (exactly one OPEN at any time, by a partial unique index), their
//      content frozen at closing (per participant POSITION account: what it sent
//      and received), settlements, the windows each settles, each participant
//      account's net amount and state, and the history of every state change.
//   3. The default operations roles gain the settlement privileges; the
//      money-moving steps are maker-checker functions with their exclusions.
//
// Lists are written out: a migration is fixed text.
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

const JOURNAL_KINDS = "'FUNDS_IN', 'FUNDS_OUT', 'TRANSFER', 'INITIAL_POSITION', 'SETTLEMENT'";
const WINDOW_STATES = "'OPEN', 'CLOSED', 'PENDING_SETTLEMENT', 'SETTLED', 'ABORTED'";
const SETTLEMENT_STATES = "'PENDING_SETTLEMENT', 'PS_TRANSFERS_RECORDED', 'PS_TRANSFERS_RESERVED', 'PS_TRANSFERS_COMMITTED', 'SETTLING', 'SETTLED', 'ABORTED'";
const ACCOUNT_STATES = "'PENDING_SETTLEMENT', 'PS_TRANSFERS_RECORDED', 'PS_TRANSFERS_RESERVED', 'PS_TRANSFERS_COMMITTED', 'SETTLED', 'ABORTED'";
const REASON_LENGTH_MAX = 512;
const REFERENCE_LENGTH_MAX = 256;

const idOn = (engine: Engine) => (c: ColumnDefinitionBuilder) =>
  engine === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement();
const integerOnly = (engine: Engine, column: string) =>
  engine === 'sqlite' ? sql`typeof(${sql.ref(column)}) = 'integer'` : sql`true`;

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await createWindows(db, engine);
  if (engine === 'postgres') await changeJournalOnPostgres(db);
  else await rebuildJournalOnSqlite(db);
  await createSettlements(db, engine);
  await grantSettlementPrivileges(db);
}

async function createWindows(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('settlement_windows')
    .addColumn('id', 'integer', idOn(engine))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in (${sql.raw(WINDOW_STATES)})`))
    .addColumn('reason', 'text', (c) => c.check(sql`length(reason) <= ${sql.lit(REASON_LENGTH_MAX)}`))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('closed_at_ms', 'bigint')
    .addColumn('closed_by', 'text')
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .addCheckConstraint('settlement_windows_closed', sql`(state = 'OPEN') = (closed_at_ms is null)`)
    .execute();
  await sql`create unique index settlement_windows_one_open on settlement_windows (state) where state = 'OPEN'`.execute(db);
  await sql`create index settlement_windows_by_state on settlement_windows (state, id)`.execute(db);
  const nowMs = Date.now();
  await sql`insert into settlement_windows (state, reason, created_at_ms, changed_at_ms) values ('OPEN', 'the first window', ${sql.lit(nowMs)}, ${sql.lit(nowMs)})`.execute(db);

  await db.schema
    .createTable('settlement_window_content')
    .addColumn('window_id', 'integer', (c) => c.notNull().references('settlement_windows.id'))
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
    .addColumn('participant_id', 'integer', (c) => c.notNull().references('participants.id'))
    .addColumn('currency', 'text', (c) => c.notNull())
    /** What the account sent (as payer) and received (as payee) in committed transfers of the window. */
    .addColumn('debits_minor', 'bigint', (c) => c.notNull())
    .addColumn('credits_minor', 'bigint', (c) => c.notNull())
    .addColumn('transfer_count', 'bigint', (c) => c.notNull())
    /** The settlement that took this content (null: none, or only aborted ones). */
    .addColumn('settlement_id', 'integer')
    .addPrimaryKeyConstraint('settlement_window_content_pk', ['window_id', 'account_id'])
    .addCheckConstraint('settlement_window_content_amounts', sql`debits_minor >= 0 and credits_minor >= 0 and transfer_count > 0 and ${integerOnly(engine, 'debits_minor')} and ${integerOnly(engine, 'credits_minor')}`)
    .execute();
  await sql`create index settlement_window_content_by_settlement on settlement_window_content (settlement_id)`.execute(db);
}

async function changeJournalOnPostgres(db: Kysely<unknown>): Promise<void> {
  await sql`alter table journal_entries drop constraint journal_entries_kind_check`.execute(db);
  await sql`alter table journal_entries add constraint journal_entries_kind_check check (kind in (${sql.raw(JOURNAL_KINDS)}))`.execute(db);
  await sql`alter table journal_entries add column settlement_window_id integer references settlement_windows (id)`.execute(db);
  await sql`alter table journal_entries add constraint journal_window_on_transfer_posts check (settlement_window_id is null or (kind = 'TRANSFER' and phase = 'POST'))`.execute(db);
  await sql`create index journal_by_window on journal_entries (settlement_window_id) where settlement_window_id is not null`.execute(db);
  // The journal is append-only to the application; the migration itself names the first window on earlier commits.
  await sql`alter table journal_entries disable trigger journal_entries_append_only`.execute(db);
  await sql`update journal_entries set settlement_window_id = (select id from settlement_windows where state = 'OPEN')
    where kind = 'TRANSFER' and phase = 'POST'`.execute(db);
  await sql`alter table journal_entries enable trigger journal_entries_append_only`.execute(db);
}

/**
 * SQLite's journal with the new kind and column. The new table references itself under its new name, which
 * SQLite rewrites at the rename; DROP TABLE's implicit delete fires no trigger, so the append-only triggers do
 * not stop it (they are made again on the new table).
 */
async function rebuildJournalOnSqlite(db: Kysely<unknown>): Promise<void> {
  await sql`create table journal_entries_new (
    id integer primary key autoincrement,
    transfer_id text not null,
    phase text not null check (phase in ('SINGLE', 'PENDING', 'POST', 'VOID')),
    pending_entry_id integer unique references journal_entries_new (id),
    kind text not null check (kind in (${sql.raw(JOURNAL_KINDS)})),
    debit_account_id integer not null,
    credit_account_id integer not null,
    currency text not null,
    amount_minor bigint not null,
    reason text,
    external_reference text,
    created_by text not null,
    created_at_ms bigint not null,
    settlement_window_id integer references settlement_windows (id),
    constraint journal_debit_in_currency foreign key (debit_account_id, currency) references accounts (id, currency),
    constraint journal_credit_in_currency foreign key (credit_account_id, currency) references accounts (id, currency),
    constraint journal_transfer_phase unique (transfer_id, phase),
    constraint journal_amount_positive check (amount_minor > 0 and typeof(amount_minor) = 'integer'),
    constraint journal_two_sides check (debit_account_id <> credit_account_id),
    constraint journal_resolution_has_pending check ((phase in ('POST', 'VOID')) = (pending_entry_id is not null)),
    constraint journal_window_on_transfer_posts check (settlement_window_id is null or (kind = 'TRANSFER' and phase = 'POST'))
  )`.execute(db);
  await sql`insert into journal_entries_new (id, transfer_id, phase, pending_entry_id, kind, debit_account_id, credit_account_id,
      currency, amount_minor, reason, external_reference, created_by, created_at_ms, settlement_window_id)
    select id, transfer_id, phase, pending_entry_id, kind, debit_account_id, credit_account_id,
      currency, amount_minor, reason, external_reference, created_by, created_at_ms,
      case when kind = 'TRANSFER' and phase = 'POST' then (select id from settlement_windows where state = 'OPEN') end
    from journal_entries order by id`.execute(db);
  await sql`drop table journal_entries`.execute(db);
  await sql`alter table journal_entries_new rename to journal_entries`.execute(db);
  await sql`create index journal_by_debit on journal_entries (debit_account_id)`.execute(db);
  await sql`create index journal_by_credit on journal_entries (credit_account_id)`.execute(db);
  await sql`create index journal_by_window on journal_entries (settlement_window_id) where settlement_window_id is not null`.execute(db);
  for (const operation of ['update', 'delete']) {
    await sql`create trigger ${sql.raw(`journal_entries_no_${operation}`)} before ${sql.raw(operation)} on journal_entries
      begin select raise(abort, 'journal_entries is append-only'); end`.execute(db);
  }
}

async function createSettlements(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('settlements')
    .addColumn('id', 'integer', idOn(engine))
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in (${sql.raw(SETTLEMENT_STATES)})`))
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`length(reason) <= ${sql.lit(REASON_LENGTH_MAX)}`))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await sql`create index settlements_by_state on settlements (state, id)`.execute(db);

  await db.schema
    .createTable('settlement_window_links')
    .addColumn('settlement_id', 'integer', (c) => c.notNull().references('settlements.id'))
    .addColumn('window_id', 'integer', (c) => c.notNull().references('settlement_windows.id'))
    .addPrimaryKeyConstraint('settlement_window_links_pk', ['settlement_id', 'window_id'])
    .execute();
  await sql`create index settlement_window_links_by_window on settlement_window_links (window_id)`.execute(db);

  await db.schema
    .createTable('settlement_accounts')
    .addColumn('settlement_id', 'integer', (c) => c.notNull().references('settlements.id'))
    /** The participant's POSITION account in the currency (central-settlement's participantCurrencyId). */
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
    .addColumn('participant_id', 'integer', (c) => c.notNull().references('participants.id'))
    .addColumn('currency', 'text', (c) => c.notNull())
    /** Positive: the participant owes this much (net sender); negative: it is owed (net recipient). */
    .addColumn('net_minor', 'bigint', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in (${sql.raw(ACCOUNT_STATES)})`))
    .addColumn('reason', 'text', (c) => c.check(sql`length(reason) <= ${sql.lit(REASON_LENGTH_MAX)}`))
    .addColumn('external_reference', 'text', (c) => c.check(sql`length(external_reference) <= ${sql.lit(REFERENCE_LENGTH_MAX)}`))
    /** The journal's transfer id of the settlement movement, from PS_TRANSFERS_RECORDED on. */
    .addColumn('transfer_id', 'text', (c) => c.unique())
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('settlement_accounts_pk', ['settlement_id', 'account_id'])
    .addCheckConstraint('settlement_accounts_net_integer', integerOnly(engine, 'net_minor'))
    .execute();

  await db.schema
    .createTable('settlement_state_changes')
    .addColumn('id', 'integer', idOn(engine))
    .addColumn('settlement_id', 'integer', (c) => c.notNull().references('settlements.id'))
    /** Null: the settlement's own state; else one participant account's. */
    .addColumn('account_id', 'integer')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('external_reference', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await sql`create index settlement_state_changes_by_settlement on settlement_state_changes (settlement_id, id)`.execute(db);
}

const MONEY_FUNCTIONS = ['SETTLEMENT_RESERVE', 'SETTLEMENT_COMMIT', 'SETTLEMENT_ABORT'];
const DIRECT_PRIVILEGES = ['SETTLEMENT_WINDOW_CLOSE', 'SETTLEMENT_CREATE', 'SETTLEMENT_RECORD', 'SETTLEMENT_CONFIRM'];

/** Roles that request funds-in get the settlement privileges and requests; roles that approve funds-in approve the steps. */
async function grantSettlementPrivileges(db: Kysely<unknown>): Promise<void> {
  await sql`insert into role_privileges (role, privilege)
    select role, 'SETTLEMENT_READ' from role_privileges where privilege = 'ACCOUNT_READ' on conflict do nothing`.execute(db);
  for (const privilege of [...DIRECT_PRIVILEGES, ...MONEY_FUNCTIONS.map((fn) => `${fn}_REQUEST`)]) {
    await sql`insert into role_privileges (role, privilege)
      select role, ${sql.lit(privilege)} from role_privileges where privilege = 'FUNDS_IN_REQUEST' on conflict do nothing`.execute(db);
  }
  for (const fn of MONEY_FUNCTIONS) {
    await sql`insert into role_privileges (role, privilege)
      select role, ${sql.lit(`${fn}_APPROVE`)} from role_privileges
      where privilege = 'FUNDS_IN_APPROVE' and role <> 'bootstrap-admin'
        and role not in (select role from role_privileges where privilege = 'FUNDS_IN_REQUEST')
      on conflict do nothing`.execute(db);
    await sql`insert into sod_exclusions (privilege_a, privilege_b, created_at_ms, created_by)
      values (${sql.lit(`${fn}_APPROVE`)}, ${sql.lit(`${fn}_REQUEST`)}, ${sql.lit(Date.now())}, 'migration 0060') on conflict do nothing`.execute(db);
  }
}
