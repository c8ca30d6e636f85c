// Response bodies in central-ledger's shapes. Amounts go out as JSON numbers,
// as central-ledger writes them, but exactly: JSON.rawJSON emits the decimal
// string's digits, so no amount ever passes through a float.
import { reservedMinor, valueMinor, type Account, type ParticipantLimit } from '../ledger/index.ts';
import type { ParticipantWithAccounts } from '../participants/index.ts';
import type { SettlementModel } from '../settlement/index.ts';
import { formatAmount } from '../support/index.ts';

// JSON.rawJSON (Node ≥ 21) is not yet in TypeScript's lib.
const rawJSON = (text: string): unknown => (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON(text);

/** An exact JSON number for an amount in minor units. */
export function amountNumber(minor: bigint, currency: string): unknown {
  return rawJSON(formatAmount(minor, currency));
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function participantView({ participant, accounts }: ParticipantWithAccounts, publicUrl: string) {
  const link = `${publicUrl}/participants/${encodeURIComponent(participant.name)}`;
  return {
    name: participant.name,
    id: link,
    created: iso(participant.created_at_ms),
    isActive: participant.is_active,
    links: { self: link },
    accounts: accounts.map((account) => ({
      id: account.id,
      ledgerAccountType: account.type,
      currency: account.currency,
      isActive: account.is_active,
      createdDate: iso(account.created_at_ms),
      createdBy: account.created_by,
    })),
    isProxy: participant.is_proxy,
  };
}

/** GET /participants/{name}/accounts: `value` includes reservations, as in central-ledger; `reservedValue` says how much of it is reserved. */
export function accountBalanceView(account: Account) {
  return {
    id: account.id,
    ledgerAccountType: account.type,
    currency: account.currency,
    isActive: account.is_active,
    value: amountNumber(valueMinor(account), account.currency),
    reservedValue: amountNumber(reservedMinor(account), account.currency),
    changedDate: iso(account.changed_at_ms),
  };
}

export function positionView(account: Account) {
  return { currency: account.currency, value: amountNumber(valueMinor(account), account.currency), changedDate: iso(account.changed_at_ms) };
}

export function limitView(limit: ParticipantLimit) {
  return {
    currency: limit.currency,
    limit: { type: limit.type, value: amountNumber(limit.value_minor, limit.currency), alarmPercentage: limit.alarm_percentage },
  };
}

export function settlementModelView(model: SettlementModel) {
  return {
    settlementModelId: model.id,
    name: model.name,
    isActive: model.is_active === 1,
    settlementGranularity: model.settlement_granularity,
    settlementInterchange: model.settlement_interchange,
    settlementDelay: model.settlement_delay,
    currency: model.currency,
    requireLiquidityCheck: model.require_liquidity_check === 1,
    ledgerAccountTypeId: model.ledger_account_type,
    settlementAccountTypeId: model.settlement_account_type,
    autoPositionReset: model.auto_position_reset === 1,
  };
}
