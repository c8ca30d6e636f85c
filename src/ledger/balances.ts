// What an account's counters mean, in central-ledger's terms (positive = net debit).
import type { Account } from './tables.ts';

/**
 * The account's value as central-ledger reports it: posted net debit plus
 * in-flight reservations (central-ledger raises a payer's position at prepare).
 * For a POSITION account this is the net debit position; for a SETTLEMENT
 * account, funded liquidity is negative.
 */
export function valueMinor(account: Account): bigint {
  return account.debits_posted_minor - account.credits_posted_minor + account.debits_pending_minor;
}

/** The part of valueMinor that is reserved by pending movements. */
export function reservedMinor(account: Account): bigint {
  return account.debits_pending_minor;
}

/**
 * Liquidity a participant still has for new reservations: its settlement
 * funds (negative balance) less its net debit position, as central-ledger
 * computes it at prepare.
 */
export function availableLiquidityMinor(position: Account, settlement: Account): bigint {
  return -valueMinor(settlement) - valueMinor(position);
}

/**
 * Funds a participant may withdraw: its settlement funds less what it owes
 * on its position (a net creditor's position is not yet settled money and
 * cannot be withdrawn).
 */
export function withdrawableMinor(position: Account, settlement: Account): bigint {
  const netDebit = valueMinor(position);
  return -valueMinor(settlement) - (netDebit > 0n ? netDebit : 0n);
}
