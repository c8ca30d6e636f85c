// Transfers: their terms, state, the three duplicate-check hashes (prepare,
// fulfil, error) and a history of state changes. The state machine's table
// (transfers/states.ts at the time) becomes a trigger that refuses any illegal transition.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

// Frozen: the transfer state machine as it was when this migration was written. A later change
// to it is a new migration, never an edit here.
const TRANSFER_STATES = ['RESERVED', 'COMMITTED', 'ABORTED_REJECTED', 'ABORTED_ERROR', 'EXPIRED_RESERVED'];
const INITIAL_STATES = ['RESERVED', 'ABORTED_REJECTED'];
/** The legal transitions (or no change of state), over a trigger's old and new rows. */
const LEGAL_TRANSITION = "(old.state = new.state or (old.state = 'RESERVED' and new.state = 'COMMITTED')"
  + " or (old.state = 'RESERVED' and new.state = 'ABORTED_ERROR') or (old.state = 'RESERVED' and new.state = 'EXPIRED_RESERVED'))";

const list = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('transfers')
    .addColumn('transfer_id', 'text', (c) => c.primaryKey())
    .addColumn('payer_fsp', 'text', (c) => c.notNull())
    .addColumn('payee_fsp', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount_minor', 'bigint', (c) => c.notNull().check(sql`amount_minor > 0`))
    .addColumn('ilp_condition', 'text', (c) => c.notNull())
    .addColumn('ilp_packet', 'text', (c) => c.notNull())
    .addColumn('expiration', 'text', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in (${list(TRANSFER_STATES)})`))
    .addColumn('content_version', 'text', (c) => c.notNull())
    .addColumn('prepare_hash', 'text', (c) => c.notNull())
    .addColumn('fulfil_hash', 'text')
    .addColumn('error_hash', 'text')
    .addColumn('fulfilment', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_description', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('completed_at_ms', 'bigint')
    .execute();
  // The expiry sweeper's query: reserved transfers by expiry time.
  await db.schema.createIndex('transfers_reserved_by_expiry').on('transfers').columns(['state', 'expires_at_ms']).execute();

  await db.schema
    .createTable('transfer_state_changes')
    .addColumn('id', 'integer', (c) => (engine === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement()))
    .addColumn('transfer_id', 'text', (c) => c.notNull().references('transfers.transfer_id'))
    .addColumn('from_state', 'text')
    .addColumn('to_state', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('transfer_state_changes_by_transfer').on('transfer_state_changes').column('transfer_id').execute();

  const initial = `new.state in (${INITIAL_STATES.map((s) => `'${s}'`).join(', ')})`;
  const terms = ['payer_fsp', 'payee_fsp', 'currency', 'amount_minor', 'ilp_condition', 'ilp_packet', 'expires_at_ms', 'prepare_hash']
    .map((column) => `old.${column} = new.${column}`).join(' and ');
  if (engine === 'sqlite') {
    await sql`create trigger transfers_initial_state before insert on transfers when not (${sql.raw(initial)})
      begin select raise(abort, 'a transfer is created RESERVED or ABORTED_REJECTED'); end`.execute(db);
    await sql`create trigger transfers_legal_transition before update on transfers when not (${sql.raw(LEGAL_TRANSITION)})
      begin select raise(abort, 'illegal transfer state transition'); end`.execute(db);
    await sql`create trigger transfers_terms_fixed before update on transfers when not (${sql.raw(terms)})
      begin select raise(abort, 'the terms of a transfer never change'); end`.execute(db);
    await sql`create trigger transfers_no_delete before delete on transfers
      begin select raise(abort, 'transfers are never deleted'); end`.execute(db);
  } else {
    await sql`create function transfers_guard() returns trigger language plpgsql as ${sql.lit(`
      begin
        if tg_op = 'DELETE' then raise exception 'transfers are never deleted'; end if;
        if tg_op = 'INSERT' then
          if not (${initial}) then raise exception 'a transfer is created RESERVED or ABORTED_REJECTED'; end if;
          return new;
        end if;
        if not (${LEGAL_TRANSITION}) then raise exception 'illegal transfer state transition % -> %', old.state, new.state; end if;
        if not (${terms}) then raise exception 'the terms of a transfer never change'; end if;
        return new;
      end`)}`.execute(db);
    await sql`create trigger transfers_guard before insert or update or delete on transfers
      for each row execute function transfers_guard()`.execute(db);
  }
}
