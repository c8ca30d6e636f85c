// Transfer positions: a prepare reserves the amount on the payer's position
// (a PENDING movement from the payer's POSITION to the payee's), checked
// against liquidity and the net debit cap under the payer's
// locks; a fulfil posts it; an abort or expiry voids it. These functions take
// the caller's transaction, so that a transfer's state change and its position
// change commit together.
import assert from 'node:assert/strict';
import { refuse, type LedgerResult } from './errors.ts';
import { ok } from '../support/index.ts';
import type { Engine } from '../storage/index.ts';
import type { JournalEntry } from './tables.ts';
import { findAccount } from './accounts.ts';
import { availableLiquidityMinor, valueMinor } from './balances.ts';
import { findPending, lockAccounts, postMovement, resolvePending, type Tx } from './journal.ts';
import { netDebitCapMinor } from './limits.ts';

/**
 * Whether reservations in a currency must be covered by settlement funds. The
 * settlement model decides, and settlement sits above the ledger: the caller
 * passes its rule in.
 */
export type LiquidityRule = (tx: Tx, currency: string) => Promise<boolean>;

/**
 * The settlement window a transfer committing now falls in, held (shared) until
 * the caller's transaction ends so that the window cannot close meanwhile.
 * Windows belong to settlement, above the ledger: the caller passes its rule in.
 */
export type WindowRule = (tx: Tx) => Promise<number>;

export interface Reservation {
  transferId: string;
  payerParticipantId: number;
  payeeParticipantId: number;
  currency: string;
  amountMinor: bigint;
  createdBy: string;
  liquidityCheckRequired: LiquidityRule;
}

export async function reserveTransfer(tx: Tx, engine: Engine, reservation: Reservation, nowMs: number): Promise<LedgerResult<JournalEntry>> {
  const { transferId, payerParticipantId, payeeParticipantId, currency, amountMinor } = reservation;
  assert.ok(amountMinor > 0n, 'a reservation carries a positive amount');
  if (payerParticipantId === payeeParticipantId) return refuse('SAME_PARTICIPANT', 'payer and payee are the same participant');
  const payerPosition = await findAccount(tx, payerParticipantId, currency, 'POSITION');
  const payerSettlement = await findAccount(tx, payerParticipantId, currency, 'SETTLEMENT');
  const payeePosition = await findAccount(tx, payeeParticipantId, currency, 'POSITION');
  if (payerPosition === undefined || payerSettlement === undefined) return refuse('NO_ACCOUNT', `payer has no ${currency} accounts`);
  if (payeePosition === undefined) return refuse('NO_ACCOUNT', `payee has no ${currency} accounts`);

  const accounts = await lockAccounts(tx, engine, [payerPosition.id, payerSettlement.id, payeePosition.id]);
  const position = accounts.get(payerPosition.id);
  const settlement = accounts.get(payerSettlement.id);
  const payee = accounts.get(payeePosition.id);
  assert.ok(position !== undefined && settlement !== undefined && payee !== undefined);
  if (position.is_active !== 1) return refuse('ACCOUNT_INACTIVE', `payer's ${currency} position account is not active`);
  if (payee.is_active !== 1) return refuse('ACCOUNT_INACTIVE', `payee's ${currency} position account is not active`);

  if (await reservation.liquidityCheckRequired(tx, currency)) {
    if (amountMinor > availableLiquidityMinor(position, settlement)) {
      return refuse('INSUFFICIENT_LIQUIDITY', `payer's ${currency} liquidity does not cover the amount`);
    }
  }
  const netDebitCap = await netDebitCapMinor(tx, payerParticipantId, currency);
  if (netDebitCap === undefined) return refuse('NO_NET_DEBIT_CAP', `payer has no ${currency} net debit cap`);
  const positionAfter = valueMinor(position) + amountMinor;
  if (positionAfter > netDebitCap) return refuse('NET_DEBIT_CAP_EXCEEDED', `the amount would take payer's ${currency} position past its net debit cap`);

  const entry = await postMovement(tx, accounts, {
    transferId,
    kind: 'TRANSFER',
    debitAccountId: position.id,
    creditAccountId: payee.id,
    currency,
    amountMinor,
    createdBy: reservation.createdBy,
  }, 'PENDING', nowMs);
  return ok(entry);
}

async function resolveTransfer(tx: Tx, engine: Engine, transferId: string, phase: 'POST' | 'VOID', createdBy: string, reason: string | null, nowMs: number, windowOf?: WindowRule): Promise<LedgerResult<JournalEntry>> {
  const found = await findPending(tx, transferId);
  if (found?.pending.kind !== 'TRANSFER') return refuse('NO_RESERVATION', `no reservation for transfer ${transferId}`);
  await lockAccounts(tx, engine, [found.pending.debit_account_id, found.pending.credit_account_id]);
  const resolution = (await findPending(tx, transferId))?.resolution;
  if (resolution !== undefined) {
    return refuse('ALREADY_RESOLVED', `transfer ${transferId} is already ${resolution.phase === 'POST' ? 'committed' : 'aborted'}`);
  }
  // The window is taken last, after the accounts: closing a window takes no account lock (the foreign key checks of its
  // content rows take FOR KEY SHARE, which lockAccounts' FOR NO KEY UPDATE admits), so the order cannot deadlock.
  const windowId = windowOf === undefined ? null : await windowOf(tx);
  return ok(await resolvePending(tx, found.pending, phase, createdBy, reason, nowMs, windowId));
}

/**
 * Posts a reserved transfer in the open settlement window: the payer's
 * position keeps the amount as posted, the payee's falls by it.
 */
export function commitTransfer(tx: Tx, engine: Engine, transferId: string, createdBy: string, nowMs: number, windowOf: WindowRule): Promise<LedgerResult<JournalEntry>> {
  return resolveTransfer(tx, engine, transferId, 'POST', createdBy, null, nowMs, windowOf);
}

/** Voids a reserved transfer: the payer's position is released. */
export function abortTransfer(tx: Tx, engine: Engine, transferId: string, createdBy: string, reason: string, nowMs: number): Promise<LedgerResult<JournalEntry>> {
  return resolveTransfer(tx, engine, transferId, 'VOID', createdBy, reason, nowMs);
}
