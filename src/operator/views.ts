// Response bodies in central-ledger's shapes. Amounts go out as JSON numbers,
// as central-ledger writes them, but exactly: JSON.rawJSON emits the decimal
// string's digits, so no amount ever passes through a float.
import { reservedMinor, valueMinor, type Account, type ParticipantLimit } from '../ledger/index.ts';
import type { ParticipantWithAccounts } from '../participants/index.ts';
import type { SettlementAccount, SettlementModel, SettlementWithDetail, StepOutcome, WindowWithContent } from '../settlement/index.ts';
import { formatAmount } from '../support/index.ts';
import { errorInformation } from '../fspiop/index.ts';

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

/** A window's content per currency, as central-settlement lists it (the content number is its place in the window). */
function windowContentView({ window, content }: WindowWithContent) {
  const currencies = [...new Set(content.map((c) => c.currency))].sort();
  return currencies.map((currency, index) => {
    const rows = content.filter((c) => c.currency === currency);
    const settlementIds = [...new Set(rows.map((r) => r.settlement_id).filter((id) => id !== null))];
    const taken = rows.every((r) => r.settlement_id !== null);
    return {
      id: index + 1,
      state: !taken ? (window.state === 'ABORTED' ? 'ABORTED' : 'CLOSED') : window.state === 'SETTLED' ? 'SETTLED' : 'PENDING_SETTLEMENT',
      ledgerAccountType: 'POSITION',
      currencyId: currency,
      createdDate: iso(window.closed_at_ms ?? window.created_at_ms),
      changedDate: iso(window.changed_at_ms),
      ...(settlementIds.length === 0 ? {} : { settlementId: settlementIds[0] }),
      // Each transfer touches two accounts of its currency.
      transferCount: rows.reduce((n, r) => n + r.transfer_count, 0) / 2,
      amount: amountNumber(rows.reduce((sum, r) => sum + r.debits_minor, 0n), currency),
    };
  });
}

/** GET /settlementWindows/{id}: central-settlement's shape, with each currency's transfer count and amount (Interlock's addition). */
export function settlementWindowView(windowWithContent: WindowWithContent) {
  const { window } = windowWithContent;
  return {
    settlementWindowId: window.id,
    id: window.id,
    state: window.state,
    reason: window.reason ?? '',
    createdDate: iso(window.created_at_ms),
    changedDate: iso(window.changed_at_ms),
    ...(window.closed_at_ms === null ? {} : { closedDate: iso(window.closed_at_ms) }),
    content: windowContentView(windowWithContent),
  };
}

function settlementAccountView(account: SettlementAccount) {
  return {
    id: account.account_id,
    state: account.state,
    reason: account.reason ?? '',
    ...(account.external_reference === null ? {} : { externalReference: account.external_reference }),
    createdDate: iso(account.changed_at_ms),
    netSettlementAmount: { amount: amountNumber(account.net_minor, account.currency), currency: account.currency },
  };
}

/** Participants with their accounts, in central-settlement's shape. */
function participantsView(accounts: readonly SettlementAccount[]) {
  const ids = [...new Set(accounts.map((a) => a.participant_id))];
  return ids.map((id) => ({ id, accounts: accounts.filter((a) => a.participant_id === id).map(settlementAccountView) }));
}

/** GET /settlements/{id}. */
export function settlementView({ settlement, windows, accounts }: SettlementWithDetail) {
  return {
    id: settlement.id,
    state: settlement.state,
    reason: settlement.reason,
    settlementModel: settlement.model_name,
    createdDate: iso(settlement.created_at_ms),
    changedDate: iso(settlement.changed_at_ms),
    settlementWindows: windows.map((w) => ({ id: w.id, state: w.state, reason: w.reason ?? '', createdDate: iso(w.created_at_ms), changedDate: iso(w.changed_at_ms) })),
    participants: participantsView(accounts),
  };
}

/** PUT /settlements/{id}: the settlement, and the accounts the request named, each with its new state or why it did not move. */
export function settlementStepView({ detail, outcomes }: StepOutcome) {
  const ids = [...new Set(outcomes.map((o) => o.participantId))];
  return {
    ...settlementView(detail),
    participants: ids.map((id) => ({
      id,
      accounts: outcomes.filter((o) => o.participantId === id).map((o) => ('error' in o
        ? { id: o.accountId, ...(o.account === undefined ? {} : settlementAccountView(o.account)), ...errorInformation(o.error) }
        : settlementAccountView(o.account))),
    })),
  };
}
