// Where a ledger refusal becomes an FSPIOP error: one table over every kind
// the ledger has, so the compiler proves each one has its code. The transfer
// path and the admin API's funds and limits routes both answer through it.
import { err, type Result } from '../support/index.ts';
import type { ErrorCode, Failure, FspiopResult } from '../fspiop/index.ts';
import type { LedgerError, LedgerErrorKind } from '../ledger/index.ts';

const FSPIOP_CODE_OF: Readonly<Record<LedgerErrorKind, ErrorCode>> = {
  SAME_PARTICIPANT: '3100',
  NO_ACCOUNT: '3100',
  NO_POSITION_ACCOUNT: '3200',
  NO_SUCH_ACCOUNT: '3200',
  ACCOUNT_INACTIVE: '3100',
  NOT_SETTLEMENT_ACCOUNT: '3100',
  CURRENCY_MISMATCH: '3100',
  INVALID_AMOUNT: '3100',
  NO_HUB_ACCOUNT: '3100',
  INSUFFICIENT_LIQUIDITY: '4001',
  NO_NET_DEBIT_CAP: '4200',
  NET_DEBIT_CAP_EXCEEDED: '4200',
  TRANSFER_ID_IN_USE: '3106',
  NO_RESERVATION: '3208',
  ALREADY_RESOLVED: '3100',
  LIMITS_ALREADY_SET: '3000',
  LIMITS_NOT_SET: '3200',
};

export function ledgerFailure(refusal: LedgerError): Failure {
  return { code: FSPIOP_CODE_OF[refusal.kind], detail: refusal.detail };
}

/** A ledger result as the protocol answers it. */
export function asFspiopResult<T>(result: Result<T, LedgerError>): FspiopResult<T> {
  return result.ok ? result : err(ledgerFailure(result.error));
}
