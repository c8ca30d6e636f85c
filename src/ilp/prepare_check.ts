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
import { timingSafeEqual } from 'node:crypto';
import { fail, type FspiopResult } from '../fspiop/errors.ts';
import { ok } from '../support/result.ts';
import { parseAmount } from '../support/money.ts';
import { decodeBase64url } from './base64url.ts';
import { ILP_CONDITION_BYTES } from './limits.ts';
import { parseDateTimeMs } from '../support/timestamp.ts';
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

function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text);
}

export function checkPrepareAgainstIlp(prepare: PrepareIlpTerms, nowMs: number): FspiopResult<void> {
  // 1. condition
  const condition = decodeBase64url(prepare.condition, 64, 'condition', { padding: 'refused' });
  if (!condition.ok) return fail('3100', condition.reason);
  if (condition.value.length !== ILP_CONDITION_BYTES) return fail('3100', `condition is ${condition.value.length} bytes, not 32`);

  // 2. expiration
  const expirationMs = typeof prepare.expiration === 'string' ? parseDateTimeMs(prepare.expiration) : undefined;
  if (expirationMs === undefined) return fail('3100', `expiration ${quoted(prepare.expiration)} is not a date and time`);
  if (expirationMs <= nowMs) return fail('3100', `the transfer expired at ${prepare.expiration}`);

  // 3. ilpPacket
  const decoded = decodeIlpPacket(prepare.ilpPacket);
  if (!decoded.ok) return decoded;
  const packet = decoded.value;

  // 4. amount
  const amountMinor = parseAmount(prepare.amount.amount, prepare.amount.currency);
  if (!amountMinor.ok) return fail('3100', `transfer amount: ${amountMinor.reason}`);
  if (packet.amount !== amountMinor.value) {
    return fail('3100', `ilpPacket amount ${packet.amount} is not the transfer amount ${prepare.amount.amount} ${prepare.amount.currency} (${amountMinor.value} minor units)`);
  }

  // 5. destination
  if (packet.version === 'v1') {
    if (!packet.destination.startsWith(`g.${prepare.payeeFsp}.`)) {
      return fail('3100', `ilpPacket address ${quoted(packet.destination)} is not an account of payee FSP ${quoted(prepare.payeeFsp)}`);
    }
  } else {
    if (packet.destination !== ILP_V4_DESTINATION) return fail('3100', `ilpPacket destination ${quoted(packet.destination)} is not ${ILP_V4_DESTINATION}`);
    if (packet.transaction === undefined) return fail('3100', 'ilpPacket data is not a Transaction object, so it names no payee FSP');
  }

  // 6. v4 expiry and condition
  if (packet.expiresAt !== undefined && packet.expiresAt.getTime() <= nowMs) {
    return fail('3100', `ilpPacket expired at ${packet.expiresAt.toISOString()}`);
  }
  if (packet.executionCondition !== undefined && !timingSafeEqual(packet.executionCondition, condition.value)) {
    return fail('3100', 'ilpPacket executionCondition is not the transfer condition');
  }

  // 7. the Transaction object agrees
  if (packet.transaction !== undefined) {
    const transactionPayeeFsp = payeeFspOf(packet.transaction);
    if (transactionPayeeFsp !== prepare.payeeFsp) {
      return fail('3100', transactionPayeeFsp === undefined
        ? 'ilpPacket transaction names no payee FSP'
        : `ilpPacket transaction payee FSP ${quoted(transactionPayeeFsp)} is not payee FSP ${quoted(prepare.payeeFsp)}`);
    }
    const transactionAmount = transactionAmountOf(packet.transaction);
    if (transactionAmount === undefined) return fail('3100', 'ilpPacket transaction carries no amount');
    const transactionMinor = parseAmount(transactionAmount.amount, transactionAmount.currency);
    if (transactionAmount.currency !== prepare.amount.currency || !transactionMinor.ok || transactionMinor.value !== amountMinor.value) {
      return fail('3100', `ilpPacket transaction amount ${quoted(transactionAmount.amount)} ${quoted(transactionAmount.currency)} is not the transfer amount`);
    }
  }
  return ok(undefined);
}
