// The outbox queries of the delivery worker: claim due rows, record an
// attempt's outcome, hand rows back.
//
// A claim names its holder (claimed_by) and its attempt (attempts, counted at
// the claim), and every later write to the row requires both: a worker whose
// lease ran out and whose row another worker claimed again writes nothing.
import { sql } from 'kysely';
import { runTransaction, type Db, type Engine } from '../storage/index.ts';
import { outboxOf, type OutboxRow, type OutboxTable } from './outbox_table.ts';
import type { Updateable } from 'kysely';

/**
 * Claims up to `rowsMax` due rows for `workerId` until `nowMs + leaseMs`, oldest due first.
 *
 * PostgreSQL: the due rows are locked with FOR UPDATE SKIP LOCKED and marked in the same
 * transaction, so concurrent claimers from any number of processes skip each other's rows
 * instead of waiting or taking them twice; a claimer that reaches a row just after another
 * committed its claim re-reads it (READ COMMITTED) and finds it no longer claimable.
 * SQLite: the transaction is BEGIN IMMEDIATE (storage/sqlite.ts), so claims are one at a time.
 */
export async function claimDue(db: Db, engine: Engine, workerId: string, nowMs: number, rowsMax: number, leaseMs: number): Promise<OutboxRow[]> {
  if (rowsMax <= 0) return [];
  const claimed = await runTransaction(db, engine, async (tx) => {
    const outbox = outboxOf(tx);
    const due = await outbox.selectFrom('outbox').select('id')
      .where('state', '=', 'PENDING')
      .where('next_attempt_at_ms', '<=', nowMs)
      .where((eb) => eb.or([eb('claimed_until_ms', 'is', null), eb('claimed_until_ms', '<=', nowMs)]))
      .orderBy('next_attempt_at_ms').orderBy('id')
      .limit(rowsMax)
      .$if(engine === 'postgres', (qb) => qb.forUpdate().skipLocked())
      .execute();
    if (due.length === 0) return [];
    return outbox.updateTable('outbox')
      .set({ claimed_by: workerId, claimed_until_ms: nowMs + leaseMs, attempts: sql<number>`attempts + 1` })
      .where('id', 'in', due.map((row) => row.id))
      .returningAll()
      .execute();
  });
  return claimed.sort((a, b) => a.next_attempt_at_ms - b.next_attempt_at_ms || a.id - b.id);
}

/**
 * Writes `change` to a row this worker still holds under the claim it was given. False when the
 * claim was lost (its lease ran out and another worker claimed the row): nothing is written.
 * A unit of work of its own, so that on SQLite outcomes recorded together share one commit.
 */
export function updateClaimed(db: Db, engine: Engine, row: OutboxRow, workerId: string, change: Updateable<OutboxTable>): Promise<boolean> {
  return runTransaction(db, engine, async (tx) => {
    const result = await outboxOf(tx).updateTable('outbox')
      .set(change)
      .where('id', '=', row.id)
      .where('state', '=', 'PENDING')
      .where('claimed_by', '=', workerId)
      .where('attempts', '=', row.attempts)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  });
}

/** Hands back a claimed row that was not sent: due again at once, its claimed attempt not counted. */
export function releaseClaim(db: Db, engine: Engine, row: OutboxRow, workerId: string, nowMs: number): Promise<boolean> {
  return updateClaimed(db, engine, row, workerId, {
    claimed_by: null,
    claimed_until_ms: null,
    attempts: row.attempts - 1,
    next_attempt_at_ms: nowMs,
  });
}

