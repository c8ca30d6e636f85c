// Issue 16: holds and cases. A transfer the FRMS holds is reserved but its
// prepare waits in transfer_holds, not in the outbox, until an analyst's
// release (maker-checker) forwards it; alerts and holds open a case, whose
// actions are an append-only trail. The case privileges are granted to the
// roles that already do the scheme's operations, as 0060 did for settlement.
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

// Frozen: the states and bounds as they were when this migration was written.
const HOLD_STATES = "'HELD', 'RELEASED', 'CONFIRMED', 'EXPIRED'";
const CASE_KINDS = "'ALERT', 'HOLD'";
const CASE_STATES = "'OPEN', 'RELEASED', 'CONFIRMED', 'CLOSED'";
const CASE_OUTCOMES = "'CONFIRMED_FRAUD', 'FALSE_POSITIVE', 'INCONCLUSIVE'";
const CASE_EVENT_KINDS = "'OPENED', 'ASSIGNED', 'NOTE', 'RELEASED', 'CONFIRMED', 'CLOSED'";
/** The held prepare as JSON: the FSPIOP body and header limits (5 MiB, 64 KiB) with room for the JSON escaping. */
const HELD_MESSAGE_CHARS_MAX = 12 * 1024 * 1024;
const OPERATOR_NAME_CHARS_MAX = 128;
const CASE_EVENT_TEXT_CHARS_MAX = 2000;

const idOn = (engine: Engine) => (c: ColumnDefinitionBuilder) =>
  engine === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement();

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('transfer_holds')
    .addColumn('transfer_id', 'text', (c) => c.primaryKey().references('transfers.transfer_id'))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in (${sql.raw(HOLD_STATES)})`))
    /** The prepare's forward to the payee, as the outbox would have taken it: enqueued on release, never otherwise. */
    .addColumn('held_message', 'text', (c) => c.notNull().check(sql`length(held_message) <= ${sql.lit(HELD_MESSAGE_CHARS_MAX)}`))
    .addColumn('held_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('risk_cases')
    .addColumn('id', 'integer', idOn(engine))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in (${sql.raw(CASE_KINDS)})`))
    .addColumn('stage', 'text', (c) => c.notNull().check(sql`stage in ('quote', 'transfer')`))
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('decision_id', 'integer', (c) => c.notNull().references('risk_decisions.id'))
    .addColumn('payer_fsp', 'text', (c) => c.notNull())
    .addColumn('payee_fsp', 'text', (c) => c.notNull())
    /** The parties' keyed digests (never clear identifiers), for the confirmed-fraud feedback into the features. */
    .addColumn('payer_party', 'text')
    .addColumn('payee_party', 'text')
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in (${sql.raw(CASE_STATES)})`))
    .addColumn('assignee', 'text', (c) => c.check(sql`length(assignee) between 1 and ${sql.lit(OPERATOR_NAME_CHARS_MAX)}`))
    .addColumn('outcome', 'text', (c) => c.check(sql`outcome in (${sql.raw(CASE_OUTCOMES)})`))
    .addColumn('opened_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('closed_at_ms', 'bigint')
    // Only a hold is released or confirmed; a closed case has its outcome, and only a closed one.
    .addCheckConstraint('risk_cases_hold_actions', sql`kind = 'HOLD' or state in ('OPEN', 'CLOSED')`)
    .addCheckConstraint('risk_cases_closed_outcome', sql`(state = 'CLOSED') = (outcome is not null) and (state = 'CLOSED') = (closed_at_ms is not null)`)
    .execute();
  // One enforced decision per payment, so one case.
  await sql`create unique index risk_cases_subject on risk_cases (stage, subject_id)`.execute(db);
  await sql`create index risk_cases_by_state on risk_cases (state, id)`.execute(db);
  // The confirmed-fraud feedback reads these per payment: partial, so only confirmed frauds are indexed.
  await sql`create index risk_cases_fraud_payer on risk_cases (payer_party) where outcome = 'CONFIRMED_FRAUD'`.execute(db);
  await sql`create index risk_cases_fraud_payee on risk_cases (payee_party) where outcome = 'CONFIRMED_FRAUD'`.execute(db);

  await db.schema
    .createTable('risk_case_events')
    .addColumn('id', 'integer', idOn(engine))
    .addColumn('case_id', 'integer', (c) => c.notNull().references('risk_cases.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in (${sql.raw(CASE_EVENT_KINDS)})`))
    .addColumn('actor', 'text', (c) => c.notNull().check(sql`length(actor) between 1 and ${sql.lit(OPERATOR_NAME_CHARS_MAX)}`))
    .addColumn('text', 'text', (c) => c.check(sql`length(text) <= ${sql.lit(CASE_EVENT_TEXT_CHARS_MAX)}`))
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await sql`create index risk_case_events_by_case on risk_case_events (case_id, id)`.execute(db);
  if (engine === 'sqlite') {
    for (const operation of ['update', 'delete']) {
      await sql`create trigger ${sql.raw(`risk_case_events_no_${operation}`)} before ${sql.raw(operation)} on risk_case_events
        begin select raise(abort, 'risk_case_events is append-only'); end`.execute(db);
    }
  } else {
    await sql`create function risk_case_events_append_only() returns trigger language plpgsql as $$
      begin raise exception 'risk_case_events is append-only'; end $$`.execute(db);
    await sql`create trigger risk_case_events_append_only before update or delete or truncate on risk_case_events
      for each statement execute function risk_case_events_append_only()`.execute(db);
  }
  await grantCasePrivileges(db);
}

/**
 * Roles that read accounts read cases; roles that request funds-in work cases and request releases; roles that
 * approve funds-in (not the bootstrap administrator, not a requester) approve releases; nobody holds both.
 */
async function grantCasePrivileges(db: Kysely<unknown>): Promise<void> {
  await sql`insert into role_privileges (role, privilege)
    select role, 'RISK_CASE_READ' from role_privileges where privilege = 'ACCOUNT_READ' on conflict do nothing`.execute(db);
  for (const privilege of ['RISK_CASE_WORK', 'RISK_HOLD_RELEASE_REQUEST']) {
    await sql`insert into role_privileges (role, privilege)
      select role, ${sql.lit(privilege)} from role_privileges where privilege = 'FUNDS_IN_REQUEST' on conflict do nothing`.execute(db);
  }
  await sql`insert into role_privileges (role, privilege)
    select role, 'RISK_HOLD_RELEASE_APPROVE' from role_privileges
    where privilege = 'FUNDS_IN_APPROVE' and role <> 'bootstrap-admin'
      and role not in (select role from role_privileges where privilege = 'FUNDS_IN_REQUEST')
    on conflict do nothing`.execute(db);
  await sql`insert into sod_exclusions (privilege_a, privilege_b, created_at_ms, created_by)
    values ('RISK_HOLD_RELEASE_APPROVE', 'RISK_HOLD_RELEASE_REQUEST', ${sql.lit(Date.now())}, 'migration 0073') on conflict do nothing`.execute(db);
}
