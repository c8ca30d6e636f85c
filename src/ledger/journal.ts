// The only code that moves money. Every movement is one journal entry that
// debits one account and credits another by the same amount in the same
// currency (the database proves the currency with composite foreign keys),
// and the same transaction updates both accounts' counters, TigerBeetle-style:
// debits/credits, pending/posted. A two-phase movement is a PENDING entry
// later resolved, at most once, by a POST or a VOID entry.
import assert from 'node:assert/strict';
import type { Transaction } from 'kysely';
import type { Schema } from '../storage/index.ts';
import { forNoKeyUpdate, type Engine } from '../storage/index.ts';
import { ledgerTables, type Account, type JournalEntry, type JournalKind } from './tables.ts';

export type Tx = Transaction<Schema>;

/**
 * Locks the given accounts, in ascending id order (so two transactions never
 * wait on each other in opposite orders), and returns them by id. On SQLite
 * the whole transaction already holds the write lock (BEGIN IMMEDIATE).
 * On PostgreSQL the lock is FOR NO KEY UPDATE: it excludes every other
 * movement on the accounts as FOR UPDATE would, but not a row that merely
 * references an account (a window's content as it closes). With FOR UPDATE,
 * a commit holding its accounts and waiting for the open window deadlocked
 * with the close holding the window and checking its content's foreign keys.
 */
export async function lockAccounts(tx: Tx, engine: Engine, accountIds: readonly number[]): Promise<Map<number, Account>> {
  const ids = [...new Set(accountIds)].sort((a, b) => a - b);
  const rows = await forNoKeyUpdate(ledgerTables(tx).selectFrom('accounts').selectAll().where('id', 'in', ids).orderBy('id'), engine).execute();
  assert.equal(rows.length, ids.length, 'lockAccounts: every account to lock exists');
  return new Map(rows.map((row) => [row.id, row]));
}

export interface Movement {
  transferId: string;
  kind: JournalKind;
  debitAccountId: number;
  creditAccountId: number;
  currency: string;
  amountMinor: bigint;
  reason?: string | null;
  externalReference?: string | null;
  createdBy: string;
}

async function insertEntry(tx: Tx, entry: Omit<JournalEntry, 'id'>): Promise<JournalEntry> {
  return ledgerTables(tx).insertInto('journal_entries').values(entry).returningAll().executeTakeFirstOrThrow();
}

interface CounterDelta {
  debitsPending?: bigint;
  debitsPosted?: bigint;
  creditsPending?: bigint;
  creditsPosted?: bigint;
}

async function addToCounters(tx: Tx, accountId: number, nowMs: number, delta: CounterDelta): Promise<void> {
  await ledgerTables(tx)
    .updateTable('accounts')
    .set((eb) => ({
      debits_pending_minor: eb('debits_pending_minor', '+', delta.debitsPending ?? 0n),
      debits_posted_minor: eb('debits_posted_minor', '+', delta.debitsPosted ?? 0n),
      credits_pending_minor: eb('credits_pending_minor', '+', delta.creditsPending ?? 0n),
      credits_posted_minor: eb('credits_posted_minor', '+', delta.creditsPosted ?? 0n),
      changed_at_ms: nowMs,
    }))
    .where('id', '=', accountId)
    .execute();
}

/** Applies a movement's deltas to its two accounts, in ascending id order (the lock order). */
async function addToBothSides(tx: Tx, debitAccountId: number, creditAccountId: number, nowMs: number, delta: { debit: CounterDelta; credit: CounterDelta }): Promise<void> {
  const sides = [{ id: debitAccountId, delta: delta.debit }, { id: creditAccountId, delta: delta.credit }].sort((a, b) => a.id - b.id);
  for (const side of sides) await addToCounters(tx, side.id, nowMs, side.delta);
}

function assertMovement(movement: Movement, accounts: Map<number, Account>): void {
  assert.ok(movement.amountMinor > 0n, 'a movement carries a positive amount');
  assert.notEqual(movement.debitAccountId, movement.creditAccountId, 'a movement has two different sides');
  assert.equal(accounts.get(movement.debitAccountId)?.currency, movement.currency, 'the debit account is in the movement currency');
  assert.equal(accounts.get(movement.creditAccountId)?.currency, movement.currency, 'the credit account is in the movement currency');
}

/**
 * Posts a movement. `phase` SINGLE posts at once; PENDING reserves (counts in
 * the pending counters until resolved). The caller must hold the locks of
 * both accounts (lockAccounts) and have made its checks under them.
 */
export async function postMovement(
  tx: Tx,
  accounts: Map<number, Account>,
  movement: Movement,
  phase: 'SINGLE' | 'PENDING',
  nowMs: number,
): Promise<JournalEntry> {
  assertMovement(movement, accounts);
  const entry = await insertEntry(tx, {
    transfer_id: movement.transferId,
    phase,
    pending_entry_id: null,
    kind: movement.kind,
    debit_account_id: movement.debitAccountId,
    credit_account_id: movement.creditAccountId,
    currency: movement.currency,
    amount_minor: movement.amountMinor,
    reason: movement.reason ?? null,
    external_reference: movement.externalReference ?? null,
    created_by: movement.createdBy,
    created_at_ms: nowMs,
    settlement_window_id: null,
  });
  const amount = movement.amountMinor;
  await addToBothSides(tx, movement.debitAccountId, movement.creditAccountId, nowMs, phase === 'SINGLE'
    ? { debit: { debitsPosted: amount }, credit: { creditsPosted: amount } }
    : { debit: { debitsPending: amount }, credit: { creditsPending: amount } });
  return entry;
}

/** The PENDING entry of a transfer and its resolution, if any. */
export async function findPending(tx: Tx, transferId: string): Promise<{ pending: JournalEntry; resolution: JournalEntry | undefined } | undefined> {
  const rows = await ledgerTables(tx).selectFrom('journal_entries').selectAll().where('transfer_id', '=', transferId).execute();
  const pending = rows.find((row) => row.phase === 'PENDING');
  if (pending === undefined) return undefined;
  return { pending, resolution: rows.find((row) => row.pending_entry_id === pending.id) };
}

/**
 * Resolves a PENDING entry: POST moves its amount from pending to posted on
 * both sides; VOID releases it. The caller holds the locks of both accounts
 * and has checked that the entry is not yet resolved (a unique index on
 * pending_entry_id refuses a second resolution regardless).
 */
export async function resolvePending(tx: Tx, pending: JournalEntry, phase: 'POST' | 'VOID', createdBy: string, reason: string | null, nowMs: number, settlementWindowId: number | null = null): Promise<JournalEntry> {
  assert.equal(pending.phase, 'PENDING', 'only a PENDING entry can be resolved');
  const entry = await insertEntry(tx, {
    transfer_id: pending.transfer_id,
    phase,
    pending_entry_id: pending.id,
    kind: pending.kind,
    debit_account_id: pending.debit_account_id,
    credit_account_id: pending.credit_account_id,
    currency: pending.currency,
    amount_minor: pending.amount_minor,
    reason,
    external_reference: pending.external_reference,
    created_by: createdBy,
    created_at_ms: nowMs,
    settlement_window_id: settlementWindowId,
  });
  const amount = pending.amount_minor;
  await addToBothSides(tx, pending.debit_account_id, pending.credit_account_id, nowMs, phase === 'POST'
    ? { debit: { debitsPending: -amount, debitsPosted: amount }, credit: { creditsPending: -amount, creditsPosted: amount } }
    : { debit: { debitsPending: -amount }, credit: { creditsPending: -amount } });
  return entry;
}
