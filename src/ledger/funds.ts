// Funds in and out of a participant's SETTLEMENT account, against the hub's
// HUB_RECONCILIATION account (central-ledger's recordFundsIn,
// recordFundsOutPrepareReserve, recordFundsOutCommit, recordFundsOutAbort).
// Each request is idempotent on its transferId: the same request again is
// accepted without moving money twice; a different one under the same id is refused.
import assert from 'node:assert/strict';
import { refuse, type LedgerResult } from './errors.ts';
import { ok, parseAmount } from '../support/index.ts';
import type { Clock } from '../support/index.ts';
import { runRefusable, type Db, type Engine } from '../storage/index.ts';
import { findAccount, findHubAccount } from './accounts.ts';
import { valueMinor, withdrawableMinor } from './balances.ts';
import { findPending, lockAccounts, postMovement, resolvePending, type Tx } from './journal.ts';
import { ledgerTables } from './tables.ts';

export interface FundsRequest {
  transferId: string;
  /** The SETTLEMENT account the funds move in or out of. */
  accountId: number;
  amount: string;
  currency: string;
  reason: string;
  externalReference: string | null;
  createdBy: string;
  /** Canonical hash of the request body, for the duplicate check. */
  requestHash: string;
}

export interface FundsOutcome {
  /** True when this exact request had been recorded before and nothing moved now. */
  duplicate: boolean;
  state: FundsState;
}

export type FundsState = 'COMMITTED' | 'RESERVED' | 'ABORTED';

interface Deps {
  db: Db;
  engine: Engine;
  clock: Clock;
}

type Action = 'recordFundsIn' | 'recordFundsOutPrepareReserve';

/** The duplicate check and the account checks common to funds in and out. */
async function admit(tx: Tx, request: FundsRequest, action: Action): Promise<LedgerResult<{ duplicate: true; state: FundsState } | { duplicate: false; amountMinor: bigint; positionId: number; reconciliationId: number }>> {
  // The journal is read before the requests: on PostgreSQL each statement sees
  // what has committed by then, and a copy of this request committing between
  // the two reads must show up as a previous request (a duplicate), not as
  // journal entries of "another transfer" (3106).
  const used = await ledgerTables(tx).selectFrom('journal_entries').select('id').where('transfer_id', '=', request.transferId).executeTakeFirst();
  const previous = await ledgerTables(tx).selectFrom('funds_requests').selectAll().where('transfer_id', '=', request.transferId).executeTakeFirst();
  if (previous !== undefined) {
    if (previous.request_hash !== request.requestHash || previous.action !== action || previous.account_id !== request.accountId) {
      return refuse('TRANSFER_ID_IN_USE', `transferId ${request.transferId} was already used for a different request`);
    }
    return ok({ duplicate: true, state: await fundsState(tx, request.transferId) ?? 'COMMITTED' });
  }
  if (used !== undefined) return refuse('TRANSFER_ID_IN_USE', `transferId ${request.transferId} is already used by another transfer`);

  const account = await ledgerTables(tx).selectFrom('accounts').selectAll().where('id', '=', request.accountId).executeTakeFirst();
  if (account === undefined) return refuse('NO_SUCH_ACCOUNT', `account ${request.accountId} does not exist`);
  if (account.type !== 'SETTLEMENT') return refuse('NOT_SETTLEMENT_ACCOUNT', `account ${request.accountId} is a ${account.type} account; funds move through SETTLEMENT accounts`);
  if (account.is_active !== 1) return refuse('ACCOUNT_INACTIVE', `account ${request.accountId} is not active`);
  if (account.currency !== request.currency) return refuse('CURRENCY_MISMATCH', `account ${request.accountId} is in ${account.currency}, not ${request.currency}`);
  const amount = parseAmount(request.amount, request.currency);
  if (!amount.ok) return refuse('INVALID_AMOUNT', amount.error);
  const reconciliation = await findHubAccount(tx, request.currency, 'HUB_RECONCILIATION');
  if (reconciliation === undefined) return refuse('NO_HUB_ACCOUNT', `the hub has no HUB_RECONCILIATION account in ${request.currency}`);
  const position = await findAccount(tx, account.participant_id, request.currency, 'POSITION');
  assert.ok(position !== undefined, 'a SETTLEMENT account has its POSITION twin');
  return ok({ duplicate: false, amountMinor: amount.value, positionId: position.id, reconciliationId: reconciliation.id });
}

async function remember(tx: Tx, request: FundsRequest, action: Action, nowMs: number): Promise<void> {
  await ledgerTables(tx).insertInto('funds_requests').values({
    transfer_id: request.transferId,
    account_id: request.accountId,
    action,
    request_hash: request.requestHash,
    created_at_ms: nowMs,
  }).execute();
}

/** The state of an admin funds transfer, derived from its journal entries. */
export async function fundsState(db: Db, transferId: string): Promise<FundsState | undefined> {
  const entries = await ledgerTables(db).selectFrom('journal_entries').select(['phase', 'kind']).where('transfer_id', '=', transferId).execute();
  if (entries.length === 0) return undefined;
  if (entries.some((e) => e.phase === 'SINGLE' || e.phase === 'POST')) return 'COMMITTED';
  if (entries.some((e) => e.phase === 'VOID')) return 'ABORTED';
  return 'RESERVED';
}

async function recordFundsIn({ db, engine, clock }: Deps, request: FundsRequest): Promise<LedgerResult<FundsOutcome>> {
  return runRefusable(db, engine, async (tx) => {
    const admitted = await admit(tx, request, 'recordFundsIn');
    if (!admitted.ok) return admitted;
    if (admitted.value.duplicate) return ok({ duplicate: true, state: admitted.value.state });
    const { amountMinor, reconciliationId } = admitted.value;
    const nowMs = clock.nowMs();
    const accounts = await lockAccounts(tx, engine, [request.accountId, reconciliationId]);
    await postMovement(tx, accounts, {
      transferId: request.transferId,
      kind: 'FUNDS_IN',
      debitAccountId: reconciliationId,
      creditAccountId: request.accountId,
      currency: request.currency,
      amountMinor,
      reason: request.reason,
      externalReference: request.externalReference,
      createdBy: request.createdBy,
    }, 'SINGLE', nowMs);
    await remember(tx, request, 'recordFundsIn', nowMs);
    return ok({ duplicate: false, state: 'COMMITTED' as const });
  });
}

async function recordFundsOutPrepareReserve({ db, engine, clock }: Deps, request: FundsRequest): Promise<LedgerResult<FundsOutcome>> {
  return runRefusable(db, engine, async (tx) => {
    const admitted = await admit(tx, request, 'recordFundsOutPrepareReserve');
    if (!admitted.ok) return admitted;
    if (admitted.value.duplicate) return ok({ duplicate: true, state: admitted.value.state });
    const { amountMinor, positionId, reconciliationId } = admitted.value;
    const nowMs = clock.nowMs();
    // The POSITION account is locked too: transfer reservations and funds out
    // both draw on the same liquidity, and take the same lock first.
    const accounts = await lockAccounts(tx, engine, [positionId, request.accountId, reconciliationId]);
    const position = accounts.get(positionId);
    const settlement = accounts.get(request.accountId);
    assert.ok(position !== undefined && settlement !== undefined);
    const withdrawable = withdrawableMinor(position, settlement);
    if (amountMinor > withdrawable) {
      return refuse('INSUFFICIENT_LIQUIDITY', `funds out exceeds the withdrawable balance of the settlement account`);
    }
    await postMovement(tx, accounts, {
      transferId: request.transferId,
      kind: 'FUNDS_OUT',
      debitAccountId: request.accountId,
      creditAccountId: reconciliationId,
      currency: request.currency,
      amountMinor,
      reason: request.reason,
      externalReference: request.externalReference,
      createdBy: request.createdBy,
    }, 'PENDING', nowMs);
    await remember(tx, request, 'recordFundsOutPrepareReserve', nowMs);
    assert.ok(valueMinor({ ...settlement, debits_pending_minor: settlement.debits_pending_minor + amountMinor }) <= 0n,
      'a funds out never leaves a settlement account overdrawn');
    return ok({ duplicate: false, state: 'RESERVED' as const });
  });
}

/** Commits or aborts a reserved funds out. Repeating the same decision is accepted; the opposite one is refused. */
async function resolveFundsOut({ db, engine, clock }: Deps, transferId: string, accountId: number, decision: 'commit' | 'abort', reason: string, createdBy: string): Promise<LedgerResult<FundsOutcome>> {
  return runRefusable(db, engine, async (tx) => {
    const found = await findPending(tx, transferId);
    if (found?.pending.kind !== 'FUNDS_OUT' || found.pending.debit_account_id !== accountId) {
      return refuse('NO_RESERVATION', `no reserved funds out ${transferId} on account ${accountId}`);
    }
    const wanted = decision === 'commit' ? 'POST' : 'VOID';
    await lockAccounts(tx, engine, [found.pending.debit_account_id, found.pending.credit_account_id]);
    // Read the resolution again under the locks: a concurrent decision may have landed.
    const resolution = (await findPending(tx, transferId))?.resolution;
    if (resolution !== undefined) {
      if (resolution.phase === wanted) return ok({ duplicate: true, state: wanted === 'POST' ? 'COMMITTED' as const : 'ABORTED' as const });
      return refuse('ALREADY_RESOLVED', `funds out ${transferId} is already ${resolution.phase === 'POST' ? 'committed' : 'aborted'}`);
    }
    const nowMs = clock.nowMs();
    await resolvePending(tx, found.pending, wanted, createdBy, reason, nowMs);
    return ok({ duplicate: false, state: wanted === 'POST' ? 'COMMITTED' as const : 'ABORTED' as const });
  });
}

/** The state of funds transfer `transferId` on account `accountId`, if it moved money there. */
async function fundsStateOn(db: Db, transferId: string, accountId: number): Promise<FundsState | undefined> {
  const touches = await ledgerTables(db).selectFrom('journal_entries').select('id').where('transfer_id', '=', transferId)
    .where('kind', 'in', ['FUNDS_IN', 'FUNDS_OUT'])
    .where((eb) => eb.or([eb('debit_account_id', '=', accountId), eb('credit_account_id', '=', accountId)]))
    .executeTakeFirst();
  return touches === undefined ? undefined : fundsState(db, transferId);
}

/** Funds operations that run in their own transaction, for the admin API. */
export function createFunds(deps: Deps) {
  return {
    recordFundsIn: (request: FundsRequest) => recordFundsIn(deps, request),
    recordFundsOutPrepareReserve: (request: FundsRequest) => recordFundsOutPrepareReserve(deps, request),
    recordFundsOutCommit: (transferId: string, accountId: number, reason: string, createdBy: string) =>
      resolveFundsOut(deps, transferId, accountId, 'commit', reason, createdBy),
    recordFundsOutAbort: (transferId: string, accountId: number, reason: string, createdBy: string) =>
      resolveFundsOut(deps, transferId, accountId, 'abort', reason, createdBy),
    fundsStateOn: (transferId: string, accountId: number) => fundsStateOn(deps.db, transferId, accountId),
  };
}
