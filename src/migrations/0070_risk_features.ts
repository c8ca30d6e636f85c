// Issue 16: the fraud and risk management service's feature store and its
// deny and watch lists, in the hub's own storage (risk/features.ts, lists.ts).
//
//   1. risk_counters: payment counts and sums (minor units, per currency) per
//      subject (payer party, payee party, payer DFSP, payee DFSP, payer→payee
//      pair, source address, and the payer party's failures) in time buckets
//      of four granularities (10 s, 1 min, 1 h, 6 h). Each payment adds to one row
//      per subject and granularity by an atomic upsert, so that hub processes
//      sharing a database count exactly; rows older than the longest window
//      their granularity serves are pruned. On SQLite the table is WITHOUT
//      ROWID: a subject's buckets are read together and stored together.
//   2. risk_pairs: each payer→payee party pair, first and last seen (first-seen
//      pair; the distinct payees of a payer and payers of a payee in 24 h).
//   3. risk_party_activity: when a party last paid and last received (dormancy).
//      Pairs and activity are pruned after a retention.
//   4. risk_lists: the scheme's deny and watch lists of party keys.
//
// Lists are written out: a migration is fixed text.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

const SUBJECTS = "'payerParty', 'payeeParty', 'payerFsp', 'payeeFsp', 'pair', 'source', 'payerFailed'";
const GRANULARITIES_MS = '10000, 60000, 3600000, 21600000';
const LISTS = "'deny', 'watch'";
/** A party key (HMAC-SHA256, base64url: 43 characters) with room; a pair's key is two of them and a separator. */
const PARTY_KEY_LENGTH_MAX = 128;
const SUBJECT_KEY_LENGTH_MAX = 2 * PARTY_KEY_LENGTH_MAX + 1;
const REASON_LENGTH_MAX = 512;
const ACTOR_LENGTH_MAX = 256;

const integerOnly = (engine: Engine, column: string) =>
  engine === 'sqlite' ? sql`typeof(${sql.ref(column)}) = 'integer'` : sql`true`;

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('risk_counters')
    .addColumn('subject', 'text', (c) => c.notNull().check(sql`subject in (${sql.raw(SUBJECTS)})`))
    .addColumn('subject_key', 'text', (c) => c.notNull().check(sql`length(subject_key) between 1 and ${sql.lit(SUBJECT_KEY_LENGTH_MAX)}`))
    .addColumn('granularity_ms', 'bigint', (c) => c.notNull().check(sql`granularity_ms in (${sql.raw(GRANULARITIES_MS)})`))
    .addColumn('bucket_start_ms', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull().check(sql`length(currency) = 3`))
    .addColumn('payment_count', 'bigint', (c) => c.notNull())
    .addColumn('sum_minor', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('risk_counters_pk', ['subject', 'subject_key', 'granularity_ms', 'bucket_start_ms', 'currency'])
    .addCheckConstraint('risk_counters_values', sql`payment_count > 0 and sum_minor >= 0 and ${integerOnly(engine, 'sum_minor')} and ${integerOnly(engine, 'payment_count')}`)
    // On SQLite the rows live in their primary key's order, so that a subject's buckets, read together, sit together.
    .$call((table) => (engine === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table))
    .execute();
  await sql`create index risk_counters_by_age on risk_counters (granularity_ms, bucket_start_ms)`.execute(db);

  await db.schema
    .createTable('risk_pairs')
    .addColumn('payer_key', 'text', (c) => c.notNull().check(sql`length(payer_key) between 1 and ${sql.lit(PARTY_KEY_LENGTH_MAX)}`))
    .addColumn('payee_key', 'text', (c) => c.notNull().check(sql`length(payee_key) between 1 and ${sql.lit(PARTY_KEY_LENGTH_MAX)}`))
    .addColumn('first_seen_ms', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('risk_pairs_pk', ['payer_key', 'payee_key'])
    .addCheckConstraint('risk_pairs_times', sql`last_seen_ms >= first_seen_ms`)
    .execute();
  await sql`create index risk_pairs_by_payer_seen on risk_pairs (payer_key, last_seen_ms)`.execute(db);
  await sql`create index risk_pairs_by_payee_seen on risk_pairs (payee_key, last_seen_ms)`.execute(db);
  await sql`create index risk_pairs_by_age on risk_pairs (last_seen_ms)`.execute(db);

  await db.schema
    .createTable('risk_party_activity')
    .addColumn('party_key', 'text', (c) => c.primaryKey().check(sql`length(party_key) between 1 and ${sql.lit(PARTY_KEY_LENGTH_MAX)}`))
    .addColumn('last_paid_ms', 'bigint')
    .addColumn('last_received_ms', 'bigint')
    /** The later of the two: what pruning goes by. */
    .addColumn('last_seen_ms', 'bigint', (c) => c.notNull())
    .addCheckConstraint('risk_party_activity_seen', sql`last_paid_ms is not null or last_received_ms is not null`)
    .execute();
  await sql`create index risk_party_activity_by_age on risk_party_activity (last_seen_ms)`.execute(db);

  await db.schema
    .createTable('risk_lists')
    .addColumn('list', 'text', (c) => c.notNull().check(sql`list in (${sql.raw(LISTS)})`))
    .addColumn('party_key', 'text', (c) => c.notNull().check(sql`length(party_key) between 1 and ${sql.lit(PARTY_KEY_LENGTH_MAX)}`))
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`length(reason) between 1 and ${sql.lit(REASON_LENGTH_MAX)}`))
    .addColumn('added_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.notNull().check(sql`length(added_by) between 1 and ${sql.lit(ACTOR_LENGTH_MAX)}`))
    .addColumn('change_request_id', 'text', (c) => c.references('change_requests.id'))
    .addPrimaryKeyConstraint('risk_lists_pk', ['list', 'party_key'])
    .execute();
}
