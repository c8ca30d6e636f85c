// The callback outbox: each row is one HTTP request to a participant, written
// in the same transaction as the state change that caused it, and sent (at
// least once) by the delivery workers of any hub process.
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

// Frozen: delivery's outbox state machine, methods and bounds as they were when this migration
// was written. A later change to them is a new migration, never an edit here.
const OUTBOX_STATES = ['PENDING', 'DELIVERED', 'FAILED'];
/** Each state's legal next states; DELIVERED and FAILED are final. */
const OUTBOX_TRANSITIONS: Readonly<Record<string, readonly string[]>> = {
  PENDING: ['PENDING', 'DELIVERED', 'FAILED'],
  DELIVERED: [],
  FAILED: [],
};
const OUTBOUND_METHODS = ['POST', 'PUT', 'PATCH', 'GET', 'DELETE'];
const LAST_ERROR_LENGTH_MAX = 200;
const PATH_SUFFIX_LENGTH_MAX = 128;

const list = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/** The state machine as one SQL condition on OLD and NEW: true when the update is a legal move. */
function legalStateChange(): ReturnType<typeof sql.raw> {
  const moves = Object.entries(OUTBOX_TRANSITIONS)
    .filter(([, exits]) => exits.length > 0)
    .map(([from, exits]) => `(old.state = '${from}' and new.state in (${exits.map((e) => `'${e}'`).join(', ')}))`);
  return sql.raw(moves.length === 0 ? 'false' : moves.join(' or '));
}

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  // 64-bit on both engines: an outbox row per callback runs through 2^31 ids in days at a busy scheme's rate.
  const idType = engine === 'postgres' ? 'bigint' : 'integer';
  const id = (c: ColumnDefinitionBuilder) =>
    engine === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement();

  await db.schema
    .createTable('outbox')
    .addColumn('id', idType, id)
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('endpoint_type', 'text', (c) => c.notNull())
    .addColumn('template_values', 'text', (c) => c.notNull())
    .addColumn('path_suffix', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('method', 'text', (c) => c.notNull().check(sql`method in (${list(OUTBOUND_METHODS)})`))
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('body', 'text')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in (${list(OUTBOX_STATES)})`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0).check(sql`attempts >= 0`))
    .addColumn('next_attempt_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text', (c) => c.check(sql`length(last_error) <= ${sql.lit(LAST_ERROR_LENGTH_MAX)}`))
    .addColumn('last_status', 'integer', (c) => c.check(sql`last_status between 100 and 599`))
    .addColumn('last_attempt_at_ms', 'bigint')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at_ms', 'bigint')
    .addColumn('claimed_by', 'text')
    .addColumn('claimed_until_ms', 'bigint')
    .addCheckConstraint('outbox_path_suffix_short', sql`length(path_suffix) <= ${sql.lit(PATH_SUFFIX_LENGTH_MAX)}`)
    .addCheckConstraint('outbox_get_has_no_body', sql`method <> 'GET' or body is null`)
    // A claim is a holder and a lease, both or neither; a final row is held by nobody.
    .addCheckConstraint('outbox_claim_whole', sql`(claimed_by is null) = (claimed_until_ms is null)`)
    .addCheckConstraint('outbox_final_unclaimed', sql`state = 'PENDING' or claimed_by is null`)
    .addCheckConstraint('outbox_delivered_at', sql`(state = 'DELIVERED') = (delivered_at_ms is not null)`)
    .addCheckConstraint('outbox_claimed_attempt_counted', sql`claimed_by is null or attempts > 0`)
    .execute();

  // The workers' claim: due PENDING rows, oldest due first. Partial, so that the
  // ever-growing DELIVERED and FAILED rows never slow it down.
  await db.schema
    .createIndex('outbox_due')
    .on('outbox')
    .columns(['next_attempt_at_ms', 'id'])
    .where(sql.ref('state'), '=', 'PENDING')
    .execute();

  // The state machine (delivery/outbox_table.ts at the time) enforced by the database too: a final row never changes.
  if (engine === 'sqlite') {
    await sql`create trigger outbox_state_exits before update on outbox when not (${legalStateChange()})
      begin select raise(abort, 'outbox: illegal state change'); end`.execute(db);
  } else {
    await sql`create function outbox_state_exits() returns trigger language plpgsql as $$
      begin raise exception 'outbox: illegal state change from % to %', old.state, new.state; end $$`.execute(db);
    await sql`create trigger outbox_state_exits before update on outbox
      for each row when (not (${legalStateChange()})) execute function outbox_state_exits()`.execute(db);
  }
}
