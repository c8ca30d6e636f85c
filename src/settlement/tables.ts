// The settlement module's tables, and its typed view of them.
import type { Generated, Selectable } from 'kysely';
import type { AccountType } from '../ledger/index.ts';
import { ownTables } from '../storage/index.ts';
import type { AccountState, SettlementState, WindowState } from './states.ts';

export interface SettlementModelsTable {
  id: Generated<number>;
  name: string;
  settlement_granularity: 'GROSS' | 'NET';
  settlement_interchange: 'BILATERAL' | 'MULTILATERAL';
  settlement_delay: 'IMMEDIATE' | 'DEFERRED';
  currency: string | null;
  require_liquidity_check: number;
  ledger_account_type: AccountType;
  settlement_account_type: AccountType;
  auto_position_reset: number;
  is_active: number;
  created_at_ms: number;
}

export interface SettlementWindowsTable {
  id: Generated<number>;
  state: WindowState;
  reason: string | null;
  created_at_ms: number;
  closed_at_ms: number | null;
  closed_by: string | null;
  changed_at_ms: number;
}

/** A closed window's committed transfers, per participant POSITION account, frozen at closing. */
export interface SettlementWindowContentTable {
  window_id: number;
  account_id: number;
  participant_id: number;
  currency: string;
  debits_minor: bigint;
  credits_minor: bigint;
  transfer_count: number;
  /** The settlement that took this content; null: none yet, or only aborted ones. */
  settlement_id: number | null;
}

export interface SettlementsTable {
  id: Generated<number>;
  model_name: string;
  state: SettlementState;
  reason: string;
  created_at_ms: number;
  created_by: string;
  changed_at_ms: number;
}

export interface SettlementWindowLinksTable {
  settlement_id: number;
  window_id: number;
}

export interface SettlementAccountsTable {
  settlement_id: number;
  /** The participant's POSITION account (central-settlement's participantCurrencyId). */
  account_id: number;
  participant_id: number;
  currency: string;
  /** Positive: the participant owes (net sender); negative: it is owed (net recipient). */
  net_minor: bigint;
  state: AccountState;
  reason: string | null;
  external_reference: string | null;
  transfer_id: string | null;
  changed_at_ms: number;
}

export interface SettlementStateChangesTable {
  id: Generated<number>;
  settlement_id: number;
  account_id: number | null;
  state: string;
  reason: string | null;
  external_reference: string | null;
  created_at_ms: number;
  created_by: string;
}

export type SettlementModel = Selectable<SettlementModelsTable>;
export type SettlementWindow = Selectable<SettlementWindowsTable>;
export type WindowContent = Selectable<SettlementWindowContentTable>;
export type Settlement = Selectable<SettlementsTable>;
export type SettlementAccount = Selectable<SettlementAccountsTable>;
export type SettlementStateChange = Selectable<SettlementStateChangesTable>;

export interface SettlementTables {
  settlement_models: SettlementModelsTable;
  settlement_windows: SettlementWindowsTable;
  settlement_window_content: SettlementWindowContentTable;
  settlements: SettlementsTable;
  settlement_window_links: SettlementWindowLinksTable;
  settlement_accounts: SettlementAccountsTable;
  settlement_state_changes: SettlementStateChangesTable;
}

export const settlementTables = ownTables<SettlementTables>();
