// Issue 16: the FRMS's administration.
//
//   1. The risk lists gain `allow` (white-listing: an allow-listed payer or payee is exempt from the LIVE rule
//      set's verdict, sanctions aside). PostgreSQL changes its check in place; SQLite cannot alter a check, so
//      risk_lists is rebuilt with the same columns (the copy keeps every entry).
//   2. Each decision keeps the feature values it saw (JSON text, bounded), so that `interlock risk replay` can
//      evaluate another rule set over the same history. Decisions written before this column are null: a
//      replay skips and counts them. risk_decisions is append-only; adding a column changes no row.
//   3. Privileges: the FRMS reads go to every role that reads accounts; saving a draft and requesting a
//      promotion or a list change to the roles that request funds-in; approving them to the roles that approve
//      funds-in (the checkers, never the bootstrap administrator); the exclusions of the new functions. An
//      existing hub also gets the default role risk-analyst (a new hub seeds it at first start).
//
// Lists are written out: a migration is fixed text.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

const LISTS = "'deny', 'watch', 'allow'";
/** The longest features text a decision keeps: about 70 features of at most ~40 characters each, with room. */
const FEATURES_CHARS_MAX = 16_384;
const READS = ['RISK_RULES_READ', 'RISK_LISTS_READ', 'RISK_DECISIONS_READ'];
const FUNCTIONS = ['RISK_RULE_SET_PROMOTE', 'RISK_LIST_CHANGE', 'RISK_ALLOWLIST_CHANGE'];
const MAKER_DIRECT = ['RISK_RULES_DRAFT'];
const ANALYST_ROLE = 'risk-analyst';
const ANALYST_DESCRIPTION = 'reads the FRMS decisions (thresholds redacted) and lists; requests deny, watch and allow list changes';
const ANALYST_PRIVILEGES = ['RISK_DECISIONS_READ', 'RISK_LISTS_READ', 'CHANGE_REQUEST_READ', 'CHANGE_REQUEST_CANCEL', 'RISK_LIST_CHANGE_REQUEST', 'RISK_ALLOWLIST_CHANGE_REQUEST'];

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  if (engine === 'postgres') {
    await sql`alter table risk_lists drop constraint risk_lists_list_check`.execute(db);
    await sql`alter table risk_lists add constraint risk_lists_list_check check (list in (${sql.raw(LISTS)}))`.execute(db);
  } else {
    await rebuildListsOnSqlite(db);
  }
  await sql`alter table risk_decisions add column features text check (length(features) <= ${sql.lit(FEATURES_CHARS_MAX)})`.execute(db);
  await grantRiskPrivileges(db);
}

async function rebuildListsOnSqlite(db: Kysely<unknown>): Promise<void> {
  await sql`create table risk_lists_new (
    list text not null check (list in (${sql.raw(LISTS)})),
    party_key text not null check (length(party_key) between 1 and 128),
    reason text not null check (length(reason) between 1 and 512),
    added_at_ms bigint not null,
    added_by text not null check (length(added_by) between 1 and 256),
    change_request_id text references change_requests (id),
    constraint risk_lists_pk primary key (list, party_key)
  )`.execute(db);
  await sql`insert into risk_lists_new (list, party_key, reason, added_at_ms, added_by, change_request_id)
    select list, party_key, reason, added_at_ms, added_by, change_request_id from risk_lists`.execute(db);
  await sql`drop table risk_lists`.execute(db);
  await sql`alter table risk_lists_new rename to risk_lists`.execute(db);
}

async function grantRiskPrivileges(db: Kysely<unknown>): Promise<void> {
  for (const privilege of READS) {
    await sql`insert into role_privileges (role, privilege)
      select role, ${sql.lit(privilege)} from role_privileges where privilege = 'ACCOUNT_READ' on conflict do nothing`.execute(db);
  }
  for (const privilege of [...MAKER_DIRECT, ...FUNCTIONS.map((fn) => `${fn}_REQUEST`)]) {
    await sql`insert into role_privileges (role, privilege)
      select role, ${sql.lit(privilege)} from role_privileges where privilege = 'FUNDS_IN_REQUEST' on conflict do nothing`.execute(db);
  }
  for (const fn of FUNCTIONS) {
    await sql`insert into role_privileges (role, privilege)
      select role, ${sql.lit(`${fn}_APPROVE`)} from role_privileges
      where privilege = 'FUNDS_IN_APPROVE' and role <> 'bootstrap-admin'
        and role not in (select role from role_privileges where privilege = 'FUNDS_IN_REQUEST')
      on conflict do nothing`.execute(db);
    await sql`insert into sod_exclusions (privilege_a, privilege_b, created_at_ms, created_by)
      values (${sql.lit(`${fn}_APPROVE`)}, ${sql.lit(`${fn}_REQUEST`)}, ${sql.lit(Date.now())}, 'migration 0072') on conflict do nothing`.execute(db);
  }
  // Only on a hub that seeded its roles already: a new hub seeds risk-analyst with the others at first start.
  const nowMs = Date.now();
  await sql`insert into roles (name, description, created_at_ms, created_by, changed_at_ms)
    select ${sql.lit(ANALYST_ROLE)}, ${sql.lit(ANALYST_DESCRIPTION)}, ${sql.lit(nowMs)}, 'migration 0072', ${sql.lit(nowMs)}
    where exists (select 1 from roles) and not exists (select 1 from roles where name = ${sql.lit(ANALYST_ROLE)})`.execute(db);
  for (const privilege of ANALYST_PRIVILEGES) {
    await sql`insert into role_privileges (role, privilege)
      select name, ${sql.lit(privilege)} from roles where name = ${sql.lit(ANALYST_ROLE)} and created_by = 'migration 0072' on conflict do nothing`.execute(db);
  }
}
