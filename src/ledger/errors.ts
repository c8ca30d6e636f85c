// The ledger's own refusals. The ledger knows accounts, positions and limits,
// not the FSPIOP protocol: its callers turn a refusal into a protocol error
// where one is needed (transfers/ledger_refusals.ts, one total table).
import { err, type Err, type Result } from '../support/index.ts';

export const LEDGER_ERRORS = [
  /** A reservation names the same participant as payer and payee. */
  'SAME_PARTICIPANT',
  /** A payer or payee has no accounts in the currency of a reservation. */
  'NO_ACCOUNT',
  /** A limit is set for a currency the participant holds no POSITION account in. */
  'NO_POSITION_ACCOUNT',
  /** An account named by id does not exist. */
  'NO_SUCH_ACCOUNT',
  'ACCOUNT_INACTIVE',
  /** Funds move only through SETTLEMENT accounts. */
  'NOT_SETTLEMENT_ACCOUNT',
  'CURRENCY_MISMATCH',
  'INVALID_AMOUNT',
  /** The hub has not opened the hub account the movement needs. */
  'NO_HUB_ACCOUNT',
  /** Liquidity (or withdrawable funds) do not cover the amount. */
  'INSUFFICIENT_LIQUIDITY',
  /** The payer has no net debit cap in the currency, so nothing may be reserved. */
  'NO_NET_DEBIT_CAP',
  'NET_DEBIT_CAP_EXCEEDED',
  /** A transferId already names another movement or another request. */
  'TRANSFER_ID_IN_USE',
  /** No open reservation of that kind under the transferId. */
  'NO_RESERVATION',
  /** The reservation was committed or aborted already. */
  'ALREADY_RESOLVED',
  /** The initial position and limits were set before; later changes go through the limit. */
  'LIMITS_ALREADY_SET',
  /** A limit change before the initial position and limits. */
  'LIMITS_NOT_SET',
] as const;

export type LedgerErrorKind = (typeof LEDGER_ERRORS)[number];

export interface LedgerError {
  readonly kind: LedgerErrorKind;
  /** For people: names the account, currency or amount concerned. */
  readonly detail: string;
}

export type LedgerResult<T> = Result<T, LedgerError>;

export function refuse(kind: LedgerErrorKind, detail: string): Err<LedgerError> {
  return err({ kind, detail });
}
