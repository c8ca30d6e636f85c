// The ledger's own tables, as its own view of the database. Column-name
// conventions carry units and types across both engines (see
// storage/normalise_results.ts): `…_minor` is money in minor units (bigint),
// `…_ms` is epoch milliseconds, `is_…` is 0 or 1.
import type { Generated, Selectable } from 'kysely';
import { ownTables } from '../storage/index.ts';

export const ACCOUNT_TYPES = ['POSITION', 'SETTLEMENT', 'HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

export const JOURNAL_PHASES = ['SINGLE', 'PENDING', 'POST', 'VOID'] as const;
export type JournalPhase = (typeof JOURNAL_PHASES)[number];

export const JOURNAL_KINDS = ['FUNDS_IN', 'FUNDS_OUT', 'TRANSFER', 'INITIAL_POSITION', 'SETTLEMENT'] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

export interface AccountsTable {
  id: Generated<number>;
  participant_id: number;
  currency: string;
  type: AccountType;
  is_active: number;
  debits_pending_minor: bigint;
  debits_posted_minor: bigint;
  credits_pending_minor: bigint;
  credits_posted_minor: bigint;
  created_at_ms: number;
  created_by: string;
  changed_at_ms: number;
}

export interface JournalEntriesTable {
  id: Generated<number>;
  /** The business transfer this movement belongs to (FSPIOP transferId or an admin funds transferId). */
  transfer_id: string;
  phase: JournalPhase;
  /** For POST and VOID: the PENDING entry they resolve (at most once, by a unique index). */
  pending_entry_id: number | null;
  kind: JournalKind;
  debit_account_id: number;
  credit_account_id: number;
  currency: string;
  amount_minor: bigint;
  reason: string | null;
  external_reference: string | null;
  created_by: string;
  created_at_ms: number;
  /** On a transfer's POST entry: the settlement window it was committed in (settlement/windows.ts). */
  settlement_window_id: number | null;
}

export interface ParticipantLimitsTable {
  participant_id: number;
  currency: string;
  type: 'NET_DEBIT_CAP';
  value_minor: bigint;
  alarm_percentage: number;
  changed_at_ms: number;
}

/** Admin funds requests (recordFundsIn / recordFundsOutPrepareReserve), kept for idempotency. */
export interface FundsRequestsTable {
  transfer_id: string;
  account_id: number;
  action: 'recordFundsIn' | 'recordFundsOutPrepareReserve';
  request_hash: string;
  created_at_ms: number;
}

export interface LedgerTables {
  accounts: AccountsTable;
  journal_entries: JournalEntriesTable;
  participant_limits: ParticipantLimitsTable;
  funds_requests: FundsRequestsTable;
}

export const ledgerTables = ownTables<LedgerTables>();

export type Account = Selectable<AccountsTable>;
export type JournalEntry = Selectable<JournalEntriesTable>;
export type ParticipantLimit = Selectable<ParticipantLimitsTable>;
