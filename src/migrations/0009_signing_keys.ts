// Participants' FSPIOP signature keys. The key id is the key's RFC 7638
// thumbprint and the primary key on its own: one key belongs to one
// participant only (a key two participants share attributes nothing), and a
// revoked key keeps its row, so it can never be registered again and old
// signatures can still be checked against the time it was valid.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

/** Base64url SHA-256: 43 characters. */
const KID_LENGTH = 43;
/** Normalised SPKI PEM of the largest accepted key (RSA 8192) is under 1.5k characters. */
const PUBLIC_KEY_LENGTH_MAX = 4_096;

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('participant_signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey().check(sql`length(kid) = ${sql.lit(KID_LENGTH)}`))
    .addColumn('participant', 'text', (c) => c.notNull().references('participants.name'))
    .addColumn('alg', 'text', (c) => c.notNull().check(sql`alg in ('RS256', 'ES256')`))
    .addColumn('public_key', 'text', (c) => c.notNull().check(sql`length(public_key) between 1 and ${sql.lit(PUBLIC_KEY_LENGTH_MAX)}`))
    .addColumn('not_before_ms', 'bigint', (c) => c.notNull())
    .addColumn('not_after_ms', 'bigint')
    .addColumn('revoked_at_ms', 'bigint')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addCheckConstraint('participant_signing_keys_window', sql`not_after_ms is null or not_after_ms > not_before_ms`)
    .execute();
  await db.schema.createIndex('participant_signing_keys_by_participant').on('participant_signing_keys').column('participant').execute();
}
