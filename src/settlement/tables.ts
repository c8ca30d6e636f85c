// The settlement module's table, and its typed view of it.
import type { Generated, Selectable } from 'kysely';
import type { AccountType } from '../ledger/index.ts';
import { ownTables } from '../storage/index.ts';

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

export type SettlementModel = Selectable<SettlementModelsTable>;

export interface SettlementTables {
  settlement_models: SettlementModelsTable;
}

export const settlementTables = ownTables<SettlementTables>();
