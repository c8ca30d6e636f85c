// Issue 16: fraud reports DFSPs send the hub (the FSPIOP extension's POST
// /fraudReports). A report is evidence of what a DFSP said, under its
// signature: it is never changed or removed after it is written. The suspect
// is a party key (a keyed digest), never a clear identifier.
//
// The extension is an API a participant is granted like the FSPIOP ones
// (fspiop/apis.ts `risk`): the permissions table's list of APIs (0031) takes
// it too. SQLite cannot change a check constraint, so there the table is
// made anew and its rows copied.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

const CATEGORIES = "'SOCIAL_ENGINEERING', 'ACCOUNT_TAKEOVER', 'MONEY_MULE', 'IDENTITY_FRAUD', 'AUTHORISED_PUSH_PAYMENT', 'OTHER'";
const DESCRIPTION_CHARS_MAX = 512;
const APIS = "'lookup', 'quotes', 'transfers', 'risk'";

async function permitRiskApi(db: Kysely<unknown>, engine: Engine): Promise<void> {
  if (engine === 'postgres') {
    await sql`alter table participant_api_permissions drop constraint participant_api_permissions_api_check`.execute(db);
    await sql`alter table participant_api_permissions add constraint participant_api_permissions_api_check check (api in (${sql.raw(APIS)}))`.execute(db);
    return;
  }
  await db.schema
    .createTable('participant_api_permissions_0074')
    .addColumn('participant', 'text', (c) => c.notNull().references('participant_api_permission_sets.participant'))
    .addColumn('api', 'text', (c) => c.notNull().check(sql`api in (${sql.raw(APIS)})`))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('payer', 'payee')`))
    .addPrimaryKeyConstraint('participant_api_permissions_pk', ['participant', 'api', 'role'])
    .execute();
  await sql`insert into participant_api_permissions_0074 (participant, api, role) select participant, api, role from participant_api_permissions`.execute(db);
  await sql`drop table participant_api_permissions`.execute(db);
  await sql`alter table participant_api_permissions_0074 rename to participant_api_permissions`.execute(db);
}

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await permitRiskApi(db, engine);
  await db.schema
    .createTable('risk_fraud_reports')
    .addColumn('fraud_report_id', 'text', (c) => c.primaryKey())
    .addColumn('transfer_id', 'text', (c) => c.notNull())
    .addColumn('reporter_fsp', 'text', (c) => c.notNull())
    /** The reporter's part in the transfer: the other party is the suspect. */
    .addColumn('reporter_role', 'text', (c) => c.notNull().check(sql`reporter_role in ('payer', 'payee')`))
    /** The counter-party's party key; null when the transfer's message named no party. */
    .addColumn('suspect_party_key', 'text')
    .addColumn('category', 'text', (c) => c.notNull().check(sql`category in (${sql.raw(CATEGORIES)})`))
    .addColumn('description', 'text', (c) => c.check(sql`length(description) between 1 and ${sql.lit(DESCRIPTION_CHARS_MAX)}`))
    /** SHA-256 of the report's canonical JSON: a repeat with other content is a modified request. */
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('reported_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await sql`create index risk_fraud_reports_by_reporter on risk_fraud_reports (reporter_fsp, reported_at_ms)`.execute(db);
  await sql`create index risk_fraud_reports_by_suspect on risk_fraud_reports (suspect_party_key, reported_at_ms) where suspect_party_key is not null`.execute(db);
  if (engine === 'sqlite') {
    for (const operation of ['update', 'delete']) {
      await sql`create trigger ${sql.raw(`risk_fraud_reports_no_${operation}`)} before ${sql.raw(operation)} on risk_fraud_reports
        begin select raise(abort, 'risk_fraud_reports is append-only'); end`.execute(db);
    }
  } else {
    await sql`create function risk_fraud_reports_append_only() returns trigger language plpgsql as $$
      begin raise exception 'risk_fraud_reports is append-only'; end $$`.execute(db);
    await sql`create trigger risk_fraud_reports_append_only before update or delete or truncate on risk_fraud_reports
      for each statement execute function risk_fraud_reports_append_only()`.execute(db);
  }
}
