// Evidence for disputes: every signed FSPIOP message about a transfer, as it
// arrived (its FSPIOP headers, signature and exact body), kept so that its
// signature can be verified again later. Append-only, as the journal is.
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const id = (c: ColumnDefinitionBuilder) =>
    engine === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement();
  await db.schema
    .createTable('message_evidence')
    .addColumn('id', engine === 'postgres' ? 'bigint' : 'integer', id)
    .addColumn('transfer_id', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('fspiop_uri', 'text', (c) => c.notNull())
    /** JSON object of the FSPIOP headers the signature binds (and the signature itself). */
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('body_sha256', 'text', (c) => c.notNull())
    .addColumn('kid', 'text', (c) => c.notNull())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('received_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('message_evidence_by_transfer').on('message_evidence').columns(['transfer_id', 'id']).execute();
  if (engine === 'postgres') {
    await sql`create function message_evidence_append_only() returns trigger language plpgsql as $$
      begin raise exception 'message_evidence is append-only'; end $$`.execute(db);
    await sql`create trigger message_evidence_no_change before update or delete on message_evidence
      for each row execute function message_evidence_append_only()`.execute(db);
  } else {
    await sql`create trigger message_evidence_no_update before update on message_evidence
      begin select raise(abort, 'message_evidence is append-only'); end`.execute(db);
    await sql`create trigger message_evidence_no_delete before delete on message_evidence
      begin select raise(abort, 'message_evidence is append-only'); end`.execute(db);
  }
}
