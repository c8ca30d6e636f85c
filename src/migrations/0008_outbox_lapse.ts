// A message may carry the moment after which it must not be sent: a transfer
// prepare forwarded to a payee that was unreachable until the transfer expired
// would reach it after the hub's 3303 and could only mislead.
import type { Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('not_after_ms', 'bigint').execute();
}
