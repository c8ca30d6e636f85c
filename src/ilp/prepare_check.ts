// The ILP checks the hub makes on a transfer prepare, in order. Mojaloop's
// central ledger stores the packet without reading it; this hub reads it so
// that the terms the payee agreed to (in the quote) and the transfer the payer
// asks for cannot drift apart unnoticed. Every refusal is 3100 with a detail
// naming the field.
//
// 1. condition: canonical unpadded base64url of exactly 32 bytes.
// 2. expiration: an FSPIOP DateTime after now.
// 3. ilpPacket: decodes as an ILPv1 Payment or ILPv4 Prepare (packet.ts).
// 4. amount: the packet's amount is the transfer amount in minor units of its
//    currency (the SDK's scaling; see transaction.ts).
// 5. destination: v1 addresses the payee FSP (`g.{payeeFsp}.…`); v4 goes to
//    `g.mojaloop` and its Transaction's payee.partyIdInfo.fspId is the payee FSP.
// 6. v4 only: the packet has not expired, and its executionCondition is the
//    transfer's condition (a v4 packet commits to its condition).
// 7. the Transaction object, when the packet carries one (v4 must), names the
//    same payee FSP and the same amount and currency as the transfer. (v1 data
//    that is not base64url JSON is opaque and passes: the FSPIOP example
//    packet carries such data. JSON that is not a Transaction is refused.)
//
// checkIlpPacket makes checks 3 to 7 on terms already parsed (the transfer
// path parses them once, in its terms step); checkPrepareAgainstIlp parses
// the terms as text (checks 1, 2 and the amount) and then makes them.
import { timingSafeEqual } from 'node:crypto';
import { fail, type FspiopResult } from '../fspiop/index.ts';
import { err, ok, type Result, parseAmount, parseDateTimeMs } from '../support/index.ts';
import { decodeBase64url } from './base64url.ts';
import { ILP_CONDITION_BYTES } from './limits.ts';
import { decodeIlpPacket } from './packet.ts';
import { ILP_V4_DESTINATION } from './terms.ts';
import { payeeFspOf, transactionAmountOf } from './transaction.ts';

export interface PrepareIlpTerms {
  readonly payeeFsp: string;
  readonly amount: { readonly amount: string; readonly currency: string };
  readonly ilpPacket: string;
  readonly condition: string;
  readonly expiration: string;
}

/** A prepare's terms once parsed: what the packet is checked against, with nothing left to parse. */
export interface ParsedPrepareTerms {
  readonly payeeFsp: string;
  /** The amount as sent, for messages. */
  readonly amount: { readonly amount: string; readonly currency: string };
  readonly amountMinor: bigint;
  readonly ilpPacket: string;
  /** The condition's 32 bytes. */
  readonly condition: Buffer;
}

function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text);
}

/** An FSPIOP IlpCondition: canonical unpadded base64url of exactly 32 bytes; the failure names what is wrong. */
export function parseCondition(text: string): Result<Buffer, string> {
  const condition = decodeBase64url(text, 64, 'condition', { padding: 'refused' });
  if (!condition.ok) return err(condition.error);
  if (condition.value.length !== ILP_CONDITION_BYTES) return err(`condition is ${condition.value.length} bytes, not ${ILP_CONDITION_BYTES}`);
  return ok(condition.value);
}

/** Steps 1, 2 and the amount of 4: the terms as text, parsed, then checked against the packet. */
export function checkPrepareAgainstIlp(prepare: PrepareIlpTerms, nowMs: number): FspiopResult<void> {
  const condition = parseCondition(prepare.condition);
  if (!condition.ok) return fail('3100', condition.error);
  const expirationMs = typeof prepare.expiration === 'string' ? parseDateTimeMs(prepare.expiration) : undefined;
  if (expirationMs === undefined) return fail('3100', `expiration ${quoted(prepare.expiration)} is not a date and time`);
  if (expirationMs <= nowMs) return fail('3100', `the transfer expired at ${prepare.expiration}`);
  const amountMinor = parseAmount(prepare.amount.amount, prepare.amount.currency);
  if (!amountMinor.ok) return fail('3100', `transfer amount: ${amountMinor.error}`);
  return checkIlpPacket({ payeeFsp: prepare.payeeFsp, amount: prepare.amount, amountMinor: amountMinor.value, ilpPacket: prepare.ilpPacket, condition: condition.value }, nowMs);
}

/** Steps 3 to 7: the packet against terms already parsed (and an expiry already checked). */
export function checkIlpPacket(terms: ParsedPrepareTerms, nowMs: number): FspiopResult<void> {
  const decoded = decodeIlpPacket(terms.ilpPacket);
  if (!decoded.ok) return decoded;
  const packet = decoded.value;

  // 4. amount
  if (packet.amount !== terms.amountMinor) {
    return fail('3100', `ilpPacket amount ${packet.amount} is not the transfer amount ${terms.amount.amount} ${terms.amount.currency} (${terms.amountMinor} minor units)`);
  }

  // 5. destination
  if (packet.version === 'v1') {
    if (!packet.destination.startsWith(`g.${terms.payeeFsp}.`)) {
      return fail('3100', `ilpPacket address ${quoted(packet.destination)} is not an account of payee FSP ${quoted(terms.payeeFsp)}`);
    }
  } else {
    if (packet.destination !== ILP_V4_DESTINATION) return fail('3100', `ilpPacket destination ${quoted(packet.destination)} is not ${ILP_V4_DESTINATION}`);
    if (packet.transaction === undefined) return fail('3100', 'ilpPacket data is not a Transaction object, so it names no payee FSP');
  }

  // 6. v4 expiry and condition
  if (packet.expiresAt !== undefined && packet.expiresAt.getTime() <= nowMs) {
    return fail('3100', `ilpPacket expired at ${packet.expiresAt.toISOString()}`);
  }
  if (packet.executionCondition !== undefined && !timingSafeEqual(packet.executionCondition, terms.condition)) {
    return fail('3100', 'ilpPacket executionCondition is not the transfer condition');
  }
  return packet.transaction === undefined ? ok(undefined) : checkTransaction(terms, packet.transaction);
}

/** Step 7: the Transaction object the packet carries names the transfer's payee FSP, amount and currency. */
function checkTransaction(terms: ParsedPrepareTerms, transaction: unknown): FspiopResult<void> {
  const transactionPayeeFsp = payeeFspOf(transaction);
  if (transactionPayeeFsp !== terms.payeeFsp) {
    return fail('3100', transactionPayeeFsp === undefined
      ? 'ilpPacket transaction names no payee FSP'
      : `ilpPacket transaction payee FSP ${quoted(transactionPayeeFsp)} is not payee FSP ${quoted(terms.payeeFsp)}`);
  }
  const transactionAmount = transactionAmountOf(transaction);
  if (transactionAmount === undefined) return fail('3100', 'ilpPacket transaction carries no amount');
  const transactionMinor = parseAmount(transactionAmount.amount, transactionAmount.currency);
  if (transactionAmount.currency !== terms.amount.currency || !transactionMinor.ok || transactionMinor.value !== terms.amountMinor) {
    return fail('3100', `ilpPacket transaction amount ${quoted(transactionAmount.amount)} ${quoted(transactionAmount.currency)} is not the transfer amount`);
  }
  return ok(undefined);
}
