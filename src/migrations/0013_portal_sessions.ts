// The operator portal's server-side state (backend-for-frontend): sign-ins
// in flight (state, PKCE verifier, nonce) and sessions (the operator's
// tokens). The browser holds only a random cookie; the row is keyed by its
// SHA-256, so the table alone does not let anyone present a session.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('portal_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('LOGIN', 'SESSION')`))
    .addColumn('operator_id', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('portal_sessions_by_expiry').on('portal_sessions').column('expires_at_ms').execute();
  await db.schema.createIndex('portal_sessions_by_operator').on('portal_sessions').column('operator_id').execute();
}
