// The API gateway's per-participant policies, changed through maker-checker
// (edge/gateway/policy_store.ts): IP allow-list entries, and the FSPIOP APIs
// a participant may call in which role. Each row names the change request
// that wrote it and its maker. A version per policy, bumped in the same
// transaction as every change, tells the in-memory checks of every hub
// process that they must read again.
//
// The lists of APIs, roles and address families are written out here rather
// than imported: a migration is fixed text, and a new API needs a migration
// of its own anyway.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

/** "0.0.0.0/0" to "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128". */
const CIDR_LENGTH_MIN = 9;
const CIDR_LENGTH_MAX = 49;
const DESCRIPTION_LENGTH_MAX = 128;

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('participant_ip_allowlist')
    .addColumn('participant', 'text', (c) => c.notNull().references('participants.name'))
    .addColumn('cidr', 'text', (c) => c.notNull().check(sql`length(cidr) between ${sql.lit(CIDR_LENGTH_MIN)} and ${sql.lit(CIDR_LENGTH_MAX)}`))
    .addColumn('family', 'text', (c) => c.notNull().check(sql`family in ('ipv4', 'ipv6')`))
    .addColumn('description', 'text', (c) => c.check(sql`length(description) between 1 and ${sql.lit(DESCRIPTION_LENGTH_MAX)}`))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('changed_by', 'text', (c) => c.notNull())
    .addColumn('change_request_id', 'text', (c) => c.references('change_requests.id'))
    .addPrimaryKeyConstraint('participant_ip_allowlist_pk', ['participant', 'cidr'])
    .addCheckConstraint('participant_ip_allowlist_times', sql`updated_at_ms >= created_at_ms`)
    .execute();

  await db.schema
    .createTable('participant_api_permission_sets')
    .addColumn('participant', 'text', (c) => c.primaryKey().references('participants.name'))
    .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('changed_by', 'text', (c) => c.notNull())
    .addColumn('change_request_id', 'text', (c) => c.references('change_requests.id'))
    .execute();

  await db.schema
    .createTable('participant_api_permissions')
    .addColumn('participant', 'text', (c) => c.notNull().references('participant_api_permission_sets.participant'))
    .addColumn('api', 'text', (c) => c.notNull().check(sql`api in ('lookup', 'quotes', 'transfers')`))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('payer', 'payee')`))
    .addPrimaryKeyConstraint('participant_api_permissions_pk', ['participant', 'api', 'role'])
    .execute();

  await db.schema
    .createTable('gateway_policy_versions')
    .addColumn('policy', 'text', (c) => c.primaryKey().check(sql`policy in ('ip-allowlist', 'api-permissions')`))
    .addColumn('version', 'bigint', (c) => c.notNull().check(sql`version >= 0`))
    .execute();
  await sql`insert into gateway_policy_versions (policy, version) values ('ip-allowlist', 0), ('api-permissions', 0)`.execute(db);
}
