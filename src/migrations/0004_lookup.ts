// Account lookup: the built-in oracle (which FSP serves a party, and for which
// currencies), external oracles, and the party lookups forwarded and not yet
// answered. One FSP per party is the primary key of oracle_parties, so two
// FSPs registering one party at once cannot both win, on either engine.
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

// Frozen: FSPIOP's party id types and the lookup bounds as they were when this migration was
// written. A later change to them is a new migration, never an edit here.
const PARTY_ID_TYPES = ['MSISDN', 'EMAIL', 'PERSONAL_ID', 'BUSINESS', 'DEVICE', 'ACCOUNT_ID', 'IBAN', 'ALIAS'];
const PARTY_IDENTIFIER_LENGTH_MAX = 128;
const ORACLE_ENDPOINT_LENGTH_MAX = 512;

const list = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));
const partyIdType = (c: ColumnDefinitionBuilder) => c.notNull().check(sql`party_id_type in (${list(PARTY_ID_TYPES)})`);
const identifier = (c: ColumnDefinitionBuilder) => c.notNull().check(sql`length(party_identifier) between 1 and ${sql.lit(PARTY_IDENTIFIER_LENGTH_MAX)}`);
const subId = (c: ColumnDefinitionBuilder) => c.notNull().check(sql`length(party_sub_id) <= ${sql.lit(PARTY_IDENTIFIER_LENGTH_MAX)}`);
/** '' (none) or a three-letter code. */
const currency = (c: ColumnDefinitionBuilder) => c.notNull().check(sql`currency = '' or length(currency) = 3`);
const PARTY_KEY = ['party_id_type', 'party_identifier', 'party_sub_id'] as const;

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const id = (c: ColumnDefinitionBuilder) => (engine === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement());

  await db.schema
    .createTable('oracle_parties')
    .addColumn('party_id_type', 'text', partyIdType)
    .addColumn('party_identifier', 'text', identifier)
    .addColumn('party_sub_id', 'text', subId)
    .addColumn('fsp_id', 'text', (c) => c.notNull().references('participants.name'))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('oracle_parties_pk', [...PARTY_KEY])
    .execute();
  await db.schema.createIndex('oracle_parties_by_fsp').on('oracle_parties').column('fsp_id').execute();

  await db.schema
    .createTable('oracle_party_currencies')
    .addColumn('party_id_type', 'text', (c) => c.notNull())
    .addColumn('party_identifier', 'text', (c) => c.notNull())
    .addColumn('party_sub_id', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', currency)
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('oracle_party_currencies_pk', [...PARTY_KEY, 'currency'])
    .addForeignKeyConstraint('oracle_party_currencies_party', [...PARTY_KEY], 'oracle_parties', [...PARTY_KEY])
    .execute();

  await db.schema
    .createTable('oracles')
    .addColumn('id', 'integer', id)
    .addColumn('oracle_id_type', 'text', (c) => c.notNull().check(sql`oracle_id_type in (${list(PARTY_ID_TYPES)})`))
    .addColumn('endpoint', 'text', (c) => c.notNull().check(sql`length(endpoint) between 1 and ${sql.lit(ORACLE_ENDPOINT_LENGTH_MAX)}`))
    .addColumn('currency', 'text', currency)
    .addColumn('is_default', 'smallint', (c) => c.notNull().check(sql`is_default in (0, 1)`))
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  // One oracle per type and currency, and one default per type: the choice of oracle is never ambiguous.
  await db.schema.createIndex('oracles_by_type_currency').on('oracles').columns(['oracle_id_type', 'currency']).unique().execute();
  await db.schema.createIndex('oracles_one_default').on('oracles').column('oracle_id_type').unique().where(sql.ref('is_default'), '=', 1).execute();

  // 64-bit ids on PostgreSQL: a row per forwarded lookup runs through 2^31 ids at a busy scheme's rate.
  await db.schema
    .createTable('party_lookups')
    .addColumn('id', engine === 'postgres' ? 'bigint' : 'integer', id)
    .addColumn('requester_fsp', 'text', (c) => c.notNull())
    .addColumn('asked_fsp', 'text', (c) => c.notNull())
    .addColumn('party_id_type', 'text', partyIdType)
    .addColumn('party_identifier', 'text', identifier)
    .addColumn('party_sub_id', 'text', subId)
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .addCheckConstraint('party_lookups_expire_later', sql`expires_at_ms > created_at_ms`)
    .execute();
  // One row per requester, asked FSP and party: a repeated lookup extends it instead of adding one.
  await db.schema.createIndex('party_lookups_by_key').on('party_lookups')
    .columns(['requester_fsp', 'asked_fsp', ...PARTY_KEY]).unique().execute();
  await db.schema.createIndex('party_lookups_by_expiry').on('party_lookups').column('expires_at_ms').execute();
  await db.schema.createIndex('party_lookups_by_requester').on('party_lookups').columns(['requester_fsp', 'expires_at_ms']).execute();
}
