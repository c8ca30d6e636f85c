// Quotes: routing facts, duplicate-check hashes, and the payee's response.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('quotes')
    .addColumn('quote_id', 'text', (c) => c.primaryKey())
    .addColumn('payer_fsp', 'text', (c) => c.notNull())
    .addColumn('payee_fsp', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('PENDING', 'RESPONDED', 'ERRORED')`))
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('response_hash', 'text')
    .addColumn('response_headers', 'text')
    .addColumn('response_body', 'text')
    .addColumn('error_hash', 'text')
    .addColumn('content_version', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('changed_at_ms', 'bigint', (c) => c.notNull())
    .execute();
}
