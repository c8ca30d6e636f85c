// The ledger: accounts, the append-only double-entry journal, positions,
// limits, funds in and out, and the consistency check.
export { openAccount, findAccount, findHubAccount, listAccounts, setAccountActive } from './accounts.ts';
export { valueMinor, reservedMinor, availableLiquidityMinor, withdrawableMinor } from './balances.ts';
export { checkLedger, transferReservations, type LedgerCheckReport, type TransferReservation } from './check.ts';
export { createFunds, fundsState, type FundsRequest, type FundsOutcome, type FundsState } from './funds.ts';
export type { Tx } from './journal.ts';
export type { Account, AccountType, JournalEntry, JournalKind, JournalPhase, ParticipantLimit } from './tables.ts';
export { createLimits, listLimits, netDebitCapMinor, setInitialPositionAndLimits, setNetDebitCap, type LimitChange } from './limits.ts';
export { reserveTransfer, commitTransfer, abortTransfer, type LiquidityRule, type Reservation, type WindowRule } from './reservations.ts';
export { windowTotals, reserveSettlementMovement, resolveSettlementMovement, settlementMovement, type SettlementMovement, type WindowAccountTotal } from './settlements.ts';
export { accountEntries, postedTotalsAt, settlementMovementPhases, type PostedTotals } from './statements.ts';
export { LEDGER_ERRORS, type LedgerError, type LedgerErrorKind, type LedgerResult } from './errors.ts';
