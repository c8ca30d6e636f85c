// ILP packets for test prepares: an ILPv1 payment for the transfer's amount to
// the payee FSP, as a DFSP's quote would make it, so that the hub's ILP checks
// at prepare pass unless a test means them to fail.
import { randomBytes } from 'node:crypto';
import { encodeIlpPacketText } from '../ilp/index.ts';
import { parseAmount } from '../support/money.ts';

/** The v1 packet for `amount` `currency` to a party of `payeeFsp`; random bytes when the amount is not one the currency can carry (a test of that refusal). */
export function ilpPacketFor(payeeFsp: string, amount: string, currency: string): string {
  const minor = parseAmount(amount, currency);
  if (!minor.ok) return randomBytes(64).toString('base64url');
  return encodeIlpPacketText({ version: 'v1', amount: minor.value, account: `g.${payeeFsp}.msisdn.27710000001`, data: Buffer.alloc(0) });
}
