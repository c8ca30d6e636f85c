// Money is never a float. At the edge it is a decimal string in the FSPIOP
// Amount format; inside it is a bigint count of the currency's minor unit
// (ISO 4217 scale), named `…Minor`.
import { err, ok, type Result } from './result.ts';
import { currencyScales } from './iso4217.ts';

/** The FSPIOP v1.1 Amount pattern: no sign, no leading zeros, ≤ 18 integer digits, ≤ 4 decimals, no trailing zeros. */
// eslint-disable-next-line security/detect-unsafe-regex -- bounded repetitions, no nested quantifiers: linear time
export const FSPIOP_AMOUNT_PATTERN = /^(0|[1-9][0-9]{0,17})(\.[0-9]{0,3}[1-9])?$/;

/**
 * Largest amount, in minor units, that one movement may carry. Balances are
 * 64-bit signed integers in both engines; keeping each movement ≤ 10^17 leaves
 * room for ninety such movements on one account before a counter could
 * overflow, and the databases refuse overflow rather than round.
 */
export const AMOUNT_MINOR_MAX = 10n ** 17n;

/** A parsed amount, or why it was refused. */
export type MoneyResult<T> = Result<T, string>;

export function currencyScale(currency: string): number | undefined {
  return currencyScales.get(currency);
}

export function isSupportedCurrency(currency: string): boolean {
  return currencyScales.has(currency);
}

/**
 * Parses a decimal string into minor units of `currency`. Refuses anything that
 * is not the FSPIOP Amount format, a currency without a minor unit, more
 * decimals than the currency has, and amounts over AMOUNT_MINOR_MAX.
 */
export function parseAmount(amount: string, currency: string, options: { allowZero?: boolean } = {}): MoneyResult<bigint> {
  const scale = currencyScales.get(currency);
  if (scale === undefined) return err(`currency ${JSON.stringify(currency)} is not a supported ISO 4217 currency`);
  if (typeof amount !== 'string' || !FSPIOP_AMOUNT_PATTERN.test(amount)) {
    return err(`amount ${JSON.stringify(amount)} is not a decimal of up to 18 digits and 4 decimals without trailing zeros`);
  }
  const [whole = '0', fraction = ''] = amount.split('.');
  if (fraction.length > scale) {
    return err(`amount ${amount} has ${fraction.length} decimals; ${currency} has ${scale}`);
  }
  const minor = BigInt(whole + fraction.padEnd(scale, '0'));
  if (minor === 0n && options.allowZero !== true) return err('amount must be greater than zero');
  if (minor > AMOUNT_MINOR_MAX) return err(`amount ${amount} ${currency} exceeds the largest amount the hub accepts`);
  return ok(minor);
}

/** Formats minor units as an FSPIOP Amount string (no trailing zeros). Negative values get a leading '-'. */
export function formatAmount(minor: bigint, currency: string): string {
  const scale = currencyScales.get(currency);
  if (scale === undefined) throw new Error(`formatAmount: unsupported currency ${currency}`);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '');
  return (negative ? '-' : '') + whole + (fraction === '' ? '' : '.' + fraction);
}
