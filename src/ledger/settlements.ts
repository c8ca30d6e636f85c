// What settlement asks of the ledger: the totals of a closed window, and each
// participant's settlement movement.
//
// A participant's net settlement amount moves between its own SETTLEMENT and
// POSITION accounts, as one balanced journal entry: a net sender's funds fall
// and its position falls back by the same amount (debit SETTLEMENT, credit
// POSITION); a net recipient's position rises back and its funds grow (debit
// POSITION, credit SETTLEMENT). Across a settlement the amounts sum to zero, so
// the funds move from the senders to the recipients. Reserving makes the entry
// PENDING (a sender's funds cannot be withdrawn or lent twice meanwhile, a
// recipient's position stops counting as headroom), committing posts it, and
// aborting voids it. Liquidity (availableLiquidityMinor) is the same before
// and after a committed settlement: settlement turns position into funds.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { ok, formatAmount } from '../support/index.ts';
import type { Db, Engine } from '../storage/index.ts';
import { findAccount } from './accounts.ts';
import { valueMinor } from './balances.ts';
import { refuse, type LedgerResult } from './errors.ts';
import { findPending, lockAccounts, postMovement, resolvePending, type Tx } from './journal.ts';
import { ledgerTables, type JournalEntry } from './tables.ts';

/** One POSITION account's committed transfers in a window. */
export interface WindowAccountTotal {
  accountId: number;
  participantId: number;
  currency: string;
  /** Sent, as payer. */
  debitsMinor: bigint;
  /** Received, as payee. */
  creditsMinor: bigint;
  transferCount: number;
}

/**
 * The committed transfers of window `windowId`, per POSITION account, from the journal. One pass over the
 * window's entries sums them per payer and payee pair (at most one row per pair of accounts), and only those
 * sums are split into each account's sent and received; the covering index journal_window_totals (migration
 * 0061) holds every column the pass reads, so it does not visit the journal's rows.
 */
export async function windowTotals(tx: Tx, windowId: number): Promise<WindowAccountTotal[]> {
  const rows = await sql<{ account_id: number; participant_id: number; currency: string; debits_minor: bigint; credits_minor: bigint; transfer_count: number }>`
    with pairs as (
      select debit_account_id, credit_account_id, sum(amount_minor) as amount_minor, count(*) as transfer_count
      from journal_entries where settlement_window_id = ${windowId}
      group by debit_account_id, credit_account_id
    )
    select s.account_id, a.participant_id, a.currency,
      sum(s.debits_minor) as debits_minor, sum(s.credits_minor) as credits_minor, cast(sum(s.transfer_count) as bigint) as transfer_count
    from (
      select debit_account_id as account_id, amount_minor as debits_minor, 0 as credits_minor, transfer_count from pairs
      union all
      select credit_account_id as account_id, 0 as debits_minor, amount_minor as credits_minor, transfer_count from pairs
    ) s join accounts a on a.id = s.account_id
    group by s.account_id, a.participant_id, a.currency
    order by s.account_id`.execute(tx);
  return rows.rows.map((r) => ({
    accountId: r.account_id, participantId: r.participant_id, currency: r.currency,
    debitsMinor: r.debits_minor, creditsMinor: r.credits_minor, transferCount: r.transfer_count,
  }));
}

export interface SettlementMovement {
  /** The journal's transfer id of the movement (unique across the journal). */
  transferId: string;
  participantId: number;
  currency: string;
  /** Positive: the participant owes (net sender); negative: it is owed. Never zero. */
  netMinor: bigint;
  createdBy: string;
  reason: string;
}

/** Reserves a participant's settlement movement (PENDING); a net sender's settlement funds must cover it. */
export async function reserveSettlementMovement(tx: Tx, engine: Engine, movement: SettlementMovement, nowMs: number): Promise<LedgerResult<JournalEntry>> {
  const { participantId, currency, netMinor } = movement;
  assert.ok(netMinor !== 0n, 'a settlement movement carries a non-zero net amount');
  if ((await findPending(tx, movement.transferId)) !== undefined) return refuse('TRANSFER_ID_IN_USE', `settlement transfer ${movement.transferId} is reserved already`);
  const position = await findAccount(tx, participantId, currency, 'POSITION');
  const settlement = await findAccount(tx, participantId, currency, 'SETTLEMENT');
  if (position === undefined || settlement === undefined) return refuse('NO_ACCOUNT', `participant ${participantId} has no ${currency} accounts`);
  const accounts = await lockAccounts(tx, engine, [position.id, settlement.id]);
  const funds = accounts.get(settlement.id);
  assert.ok(funds !== undefined);
  const amountMinor = netMinor > 0n ? netMinor : -netMinor;
  if (netMinor > 0n && amountMinor > -valueMinor(funds)) {
    return refuse('INSUFFICIENT_LIQUIDITY', `participant ${participantId}'s settlement funds ${formatAmount(-valueMinor(funds), currency)} ${currency} < its net ${formatAmount(amountMinor, currency)}: fund it first`);
  }
  const entry = await postMovement(tx, accounts, {
    transferId: movement.transferId,
    kind: 'SETTLEMENT',
    debitAccountId: netMinor > 0n ? settlement.id : position.id,
    creditAccountId: netMinor > 0n ? position.id : settlement.id,
    currency,
    amountMinor,
    reason: movement.reason,
    createdBy: movement.createdBy,
  }, 'PENDING', nowMs);
  return ok(entry);
}

/** Commits (POST) or aborts (VOID) a reserved settlement movement. */
export async function resolveSettlementMovement(tx: Tx, engine: Engine, transferId: string, phase: 'POST' | 'VOID', createdBy: string, reason: string, nowMs: number): Promise<LedgerResult<JournalEntry>> {
  const found = await findPending(tx, transferId);
  if (found?.pending.kind !== 'SETTLEMENT') return refuse('NO_RESERVATION', `no reserved settlement transfer ${transferId}`);
  await lockAccounts(tx, engine, [found.pending.debit_account_id, found.pending.credit_account_id]);
  const resolution = (await findPending(tx, transferId))?.resolution;
  if (resolution !== undefined) return refuse('ALREADY_RESOLVED', `settlement transfer ${transferId} is already ${resolution.phase === 'POST' ? 'committed' : 'aborted'}`);
  return ok(await resolvePending(tx, found.pending, phase, createdBy, reason, nowMs));
}

/** A settlement movement's entries (its PENDING and the entry that resolved it), for the settlement check. */
export async function settlementMovement(db: Db, transferId: string): Promise<{ pending: JournalEntry; resolution: JournalEntry | undefined } | undefined> {
  const rows = await ledgerTables(db).selectFrom('journal_entries').selectAll().where('transfer_id', '=', transferId).where('kind', '=', 'SETTLEMENT').execute();
  const pending = rows.find((row) => row.phase === 'PENDING');
  return pending === undefined ? undefined : { pending, resolution: rows.find((row) => row.pending_entry_id === pending.id) };
}
