// Opening and finding ledger accounts. Each participant holds a POSITION and a
// SETTLEMENT account per currency; the hub holds HUB_MULTILATERAL_SETTLEMENT
// and HUB_RECONCILIATION per currency.
import type { Db } from '../storage/index.ts';
import type { Tx } from './journal.ts';
import { ledgerTables, type Account, type AccountType } from './tables.ts';

export async function openAccount(
  tx: Tx,
  participantId: number,
  currency: string,
  type: AccountType,
  createdBy: string,
  nowMs: number,
): Promise<Account> {
  return ledgerTables(tx)
    .insertInto('accounts')
    .values({
      participant_id: participantId,
      currency,
      type,
      is_active: 1,
      debits_pending_minor: 0n,
      debits_posted_minor: 0n,
      credits_pending_minor: 0n,
      credits_posted_minor: 0n,
      created_at_ms: nowMs,
      created_by: createdBy,
      changed_at_ms: nowMs,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findAccount(db: Db, participantId: number, currency: string, type: AccountType): Promise<Account | undefined> {
  return ledgerTables(db)
    .selectFrom('accounts')
    .selectAll()
    .where('participant_id', '=', participantId)
    .where('currency', '=', currency)
    .where('type', '=', type)
    .executeTakeFirst();
}

/** The hub's own account of `type` in `currency`, if the operator has opened it. */
export async function findHubAccount(db: Db, currency: string, type: 'HUB_MULTILATERAL_SETTLEMENT' | 'HUB_RECONCILIATION'): Promise<Account | undefined> {
  // Hub account types belong to the hub alone (participants/ opens them only for
  // its hub participant), so the type names the hub without asking participants/,
  // which sits above the ledger.
  return ledgerTables(db)
    .selectFrom('accounts')
    .selectAll()
    .where('currency', '=', currency)
    .where('type', '=', type)
    .executeTakeFirst();
}

/** Opens or closes one of a participant's accounts; undefined when the participant has no account `accountId`. */
export async function setAccountActive(tx: Tx, participantId: number, accountId: number, isActive: boolean, nowMs: number): Promise<Account | undefined> {
  return ledgerTables(tx).updateTable('accounts').set({ is_active: isActive ? 1 : 0, changed_at_ms: nowMs })
    .where('id', '=', accountId).where('participant_id', '=', participantId).returningAll().executeTakeFirst();
}

export async function listAccounts(db: Db, participantId: number): Promise<Account[]> {
  return ledgerTables(db).selectFrom('accounts').selectAll().where('participant_id', '=', participantId).orderBy('id').execute();
}
