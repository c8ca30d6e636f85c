// Maker-checker: change requests, their approvals and the approval policy per
// function. The database itself holds three of the rules: a request moves
// only along the state machine's edges (operator/change_requests/states.ts at the time), no
// approval row can name the request's maker (a composite foreign key carries
// the maker into the approval and a check compares), and at most one request
// with the same deduplication key is PENDING at a time.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

// Frozen: the change request state machine as it was when this migration was written. A later
// change to it is a new migration, never an edit here.
const CHANGE_REQUEST_STATES = ['PENDING', 'APPROVED', 'EXECUTED', 'FAILED', 'REJECTED', 'CANCELLED', 'EXPIRED'];
/** The legal transitions (or no change of state), over a trigger's old and new rows. */
const LEGAL_TRANSITION = "(old.state = new.state or (old.state = 'PENDING' and new.state = 'APPROVED')"
  + " or (old.state = 'PENDING' and new.state = 'REJECTED') or (old.state = 'PENDING' and new.state = 'CANCELLED')"
  + " or (old.state = 'PENDING' and new.state = 'EXPIRED') or (old.state = 'APPROVED' and new.state = 'EXECUTED')"
  + " or (old.state = 'APPROVED' and new.state = 'FAILED'))";

const list = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));
/** Approvals one request may need (N of M); the policy's bound is checked in code too. */
const APPROVALS_REQUIRED_MAX = 9;

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await createChangeRequestTables(db);
  await guardChangeRequests(db, engine);
}

/** Change requests, their approvals and the approval policy per function. */
async function createChangeRequestTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('change_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Functions are code constants that grow with the hub; the code checks them (a constraint here would need a migration each time).
    .addColumn('function', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in (${list(CHANGE_REQUEST_STATES)})`))
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('participant', 'text')
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('maker_id', 'text', (c) => c.notNull())
    .addColumn('maker_kind', 'text', (c) => c.notNull())
    .addColumn('maker_name', 'text', (c) => c.notNull())
    .addColumn('approvals_required', 'integer', (c) => c.notNull().check(sql`approvals_required between 1 and ${sql.lit(APPROVALS_REQUIRED_MAX)}`))
    .addColumn('source_address', 'text')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('decided_at_ms', 'bigint')
    .addColumn('executed_at_ms', 'bigint')
    .addColumn('result_status', 'integer')
    .addColumn('result_body', 'text')
    .addColumn('reason', 'text')
    .addUniqueConstraint('change_requests_id_maker', ['id', 'maker_id'])
    .execute();
  await sql`create unique index change_requests_one_pending on change_requests (dedupe_key) where state = 'PENDING'`.execute(db);
  await db.schema.createIndex('change_requests_by_state').on('change_requests').columns(['state', 'expires_at_ms']).execute();

  await db.schema
    .createTable('change_request_approvals')
    .addColumn('change_request_id', 'text', (c) => c.notNull())
    .addColumn('approver_id', 'text', (c) => c.notNull())
    .addColumn('approver_kind', 'text', (c) => c.notNull())
    .addColumn('approver_name', 'text', (c) => c.notNull())
    .addColumn('maker_id', 'text', (c) => c.notNull())
    .addColumn('approved_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('change_request_approvals_pk', ['change_request_id', 'approver_id'])
    .addForeignKeyConstraint('change_request_approvals_request', ['change_request_id', 'maker_id'], 'change_requests', ['id', 'maker_id'])
    .addCheckConstraint('change_request_approvals_not_maker', sql`approver_id <> maker_id`)
    .execute();

  await db.schema
    .createTable('change_request_policies')
    .addColumn('function', 'text', (c) => c.primaryKey())
    .addColumn('approvals_required', 'integer', (c) => c.notNull().check(sql`approvals_required between 1 and ${sql.lit(APPROVALS_REQUIRED_MAX)}`))
    .addColumn('pending_ms_max', 'bigint', (c) => c.notNull().check(sql`pending_ms_max > 0`))
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('changed_by', 'text', (c) => c.notNull())
    .execute();
}

/** Triggers: the state machine, what never changes, and nothing deleted. */
async function guardChangeRequests(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const legal = LEGAL_TRANSITION;
  if (engine === 'sqlite') {
    await sql`create trigger change_requests_initial_state before insert on change_requests when new.state <> 'PENDING'
      begin select raise(abort, 'a change request is created PENDING'); end`.execute(db);
    await sql`create trigger change_requests_legal_transition before update on change_requests when not (${sql.raw(legal)})
      begin select raise(abort, 'illegal change request state transition'); end`.execute(db);
    await sql`create trigger change_requests_fixed before update on change_requests
      when not (old.function = new.function and old.payload = new.payload and old.maker_id = new.maker_id and old.dedupe_key = new.dedupe_key)
      begin select raise(abort, 'what a change request asks for and who asked never change'); end`.execute(db);
    await sql`create trigger change_requests_no_delete before delete on change_requests
      begin select raise(abort, 'change requests are never deleted'); end`.execute(db);
    await sql`create trigger change_request_approvals_append_only before update on change_request_approvals
      begin select raise(abort, 'approvals are never changed'); end`.execute(db);
    await sql`create trigger change_request_approvals_no_delete before delete on change_request_approvals
      begin select raise(abort, 'approvals are never deleted'); end`.execute(db);
  } else {
    await sql`create function change_requests_guard() returns trigger language plpgsql as ${sql.lit(`
      begin
        if tg_op = 'DELETE' then raise exception 'change requests are never deleted'; end if;
        if tg_op = 'INSERT' then
          if new.state <> 'PENDING' then raise exception 'a change request is created PENDING'; end if;
          return new;
        end if;
        if not (${legal}) then raise exception 'illegal change request state transition % -> %', old.state, new.state; end if;
        if not (old.function = new.function and old.payload = new.payload and old.maker_id = new.maker_id and old.dedupe_key = new.dedupe_key) then
          raise exception 'what a change request asks for and who asked never change';
        end if;
        return new;
      end`)}`.execute(db);
    await sql`create trigger change_requests_guard before insert or update or delete on change_requests
      for each row execute function change_requests_guard()`.execute(db);
    await sql`create function change_request_approvals_guard() returns trigger language plpgsql as ${sql.lit(`
      begin raise exception 'approvals are never changed or deleted'; end`)}`.execute(db);
    await sql`create trigger change_request_approvals_guard before update or delete on change_request_approvals
      for each row execute function change_request_approvals_guard()`.execute(db);
  }
}
