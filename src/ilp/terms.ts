// What a payee FSP computes when it quotes and when it fulfils: the ILP
// packet, the fulfilment (a secret only the payee can recompute) and the
// condition (SHA-256 of the fulfilment), derived exactly as
// @mojaloop/sdk-standard-components 19 does, so that a payee built on this
// module and a payer or hub built on the SDK agree (sdk_interop.test.ts).
//
// The HMAC key in both versions is the ASCII text of base64(UTF-8 secret),
// not the secret's bytes. The message differs:
// - v1: the ASCII text of the base64url packet, as sent. The fulfilment covers
//   every byte of the packet (and its exact spelling), so it is computed after
//   the packet.
// - v4: the ASCII text of base64 (standard alphabet, padded) of the sorted
//   Transaction JSON. The v4 packet contains the condition, so the fulfilment
//   cannot cover the packet; it covers the transaction, and the packet's
//   amount, expiry and destination are outside it. The hub checks them itself
//   (prepare_check.ts).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { decodeBase64url } from './base64url.ts';
import { ILP_CONDITION_BYTES, ILP_FULFILMENT_BYTES } from './limits.ts';
import { decodeIlpPacket, encodeIlpPacketText, type IlpVersion } from './packet.ts';
import { ilpAmountOf, sdkStableJson, transactionObject, v1AccountOf, type MojaloopAmount } from './transaction.ts';

/** base64url strings, as FSPIOP carries them. */
export interface IlpTerms {
  ilpPacket: string;
  condition: string;
  fulfilment: string;
}

export interface QuoteResponseTerms {
  readonly transferAmount: MojaloopAmount;
  /** The quote's expiration (FSPIOP DateTime); it becomes the v4 packet's expiresAt. */
  readonly expiration: string;
  /** The quote response's note, which the SDK copies into the Transaction object. */
  readonly note?: string;
}

/** Mojaloop's ILP destination for every v4 packet: the SDK cannot name a payee account there. */
export const ILP_V4_DESTINATION = 'g.mojaloop';

function hmacFulfilment(secret: string, message: string): Buffer {
  if (typeof secret !== 'string' || secret === '') throw new TypeError('ILP secret must be a non-empty string');
  const key = Buffer.from(Buffer.from(secret, 'utf8').toString('base64'), 'latin1');
  // 'latin1' keeps the low byte of each character, as the SDK's Buffer 'ascii' does; the messages are ASCII base64 text.
  return createHmac('sha256', key).update(Buffer.from(message, 'latin1')).digest();
}

function conditionOfBytes(fulfilment: Buffer): Buffer {
  return createHash('sha256').update(fulfilment).digest();
}

function dataOf(transaction: Record<string, unknown>): Buffer {
  return Buffer.from(Buffer.from(sdkStableJson(transaction), 'utf8').toString('base64url'), 'latin1');
}

function v4Fulfilment(secret: string, transaction: unknown): Buffer {
  return hmacFulfilment(secret, Buffer.from(sdkStableJson(transaction), 'utf8').toString('base64'));
}

/**
 * What a payee FSP computes when it answers POST /quotes, as the SDK's
 * getQuoteResponseIlp(quoteRequest, { transferAmount, expiration, note }) does.
 * Throws on what it cannot encode faithfully (unknown currency, more decimals
 * than the currency has, a missing payee fspId in v1, an invalid expiration in v4).
 */
export function quoteResponseIlp(version: IlpVersion, secret: string, quoteRequest: Record<string, unknown>, response: QuoteResponseTerms): IlpTerms {
  const transaction = transactionObject(quoteRequest, response);
  const amount = ilpAmountOf(response.transferAmount);
  const data = dataOf(transaction);
  switch (version) {
    case 'v1': {
      const ilpPacket = encodeIlpPacketText({ version: 'v1', amount, account: v1AccountOf(quoteRequest['payee']), data });
      const fulfilment = hmacFulfilment(secret, ilpPacket);
      return { ilpPacket, fulfilment: fulfilment.toString('base64url'), condition: conditionOfBytes(fulfilment).toString('base64url') };
    }
    case 'v4': {
      const expiresAt = new Date(response.expiration);
      if (Number.isNaN(expiresAt.getTime())) throw new RangeError(`quoteResponseIlp: expiration ${JSON.stringify(response.expiration)} is not a date`);
      const fulfilment = v4Fulfilment(secret, transaction);
      const executionCondition = conditionOfBytes(fulfilment);
      const ilpPacket = encodeIlpPacketText({ version: 'v4', amount, expiresAt, executionCondition, destination: ILP_V4_DESTINATION, data });
      return { ilpPacket, fulfilment: fulfilment.toString('base64url'), condition: executionCondition.toString('base64url') };
    }
    default:
      throw new TypeError('quoteResponseIlp: unknown ILP version');
  }
}

/**
 * The fulfilment a payee computes for a prepare's ilpPacket (the SDK's
 * calculateFulfil). v1: the HMAC of the packet text as received, decoded or
 * not, as the SDK does. v4: the HMAC of the Transaction object the packet
 * carries, re-serialised; throws if the packet does not decode or carries none.
 */
export function fulfilmentOf(version: IlpVersion, secret: string, ilpPacket: string): string {
  switch (version) {
    case 'v1':
      return hmacFulfilment(secret, ilpPacket).toString('base64url');
    case 'v4': {
      const decoded = decodeIlpPacket(ilpPacket);
      if (!decoded.ok) throw new RangeError(`fulfilmentOf: ${decoded.error.detail}`);
      if (decoded.value.version !== 'v4') throw new RangeError('fulfilmentOf: the packet is ILPv1, not ILPv4');
      if (decoded.value.transaction === undefined) throw new RangeError('fulfilmentOf: the packet carries no Transaction object');
      return v4Fulfilment(secret, decoded.value.transaction).toString('base64url');
    }
    default:
      throw new TypeError('fulfilmentOf: unknown ILP version');
  }
}

/** The condition for a fulfilment: base64url SHA-256 of its 32 bytes. Throws if it is not canonical base64url of 32 bytes. */
export function conditionOf(fulfilment: string): string {
  const bytes = decodeBase64url(fulfilment, 64, 'fulfilment', { padding: 'refused' });
  if (!bytes.ok || bytes.value.length !== ILP_FULFILMENT_BYTES) throw new RangeError('conditionOf: the fulfilment is not 32 bytes of base64url');
  return conditionOfBytes(bytes.value).toString('base64url');
}

/** SHA-256 of the fulfilment's 32 bytes is the condition's 32 bytes (compared as bytes). False for anything malformed. */
export function conditionMatches(fulfilment: string, condition: string): boolean {
  const preimage = decodeBase64url(fulfilment, 64, 'fulfilment', { padding: 'refused' });
  const expected = decodeBase64url(condition, 64, 'condition', { padding: 'refused' });
  if (!preimage.ok || !expected.ok) return false;
  if (preimage.value.length !== ILP_FULFILMENT_BYTES || expected.value.length !== ILP_CONDITION_BYTES) return false;
  return timingSafeEqual(conditionOfBytes(preimage.value), expected.value);
}
