// The Mojaloop Transaction object a payee FSP puts in the ILP packet, and the
// two derivations from it that must match the SDK bit for bit: its JSON text and
// the ILP amount.
//
// Amount scaling (read from the SDK 19.19.1 source, IlpBase._getIlpCurrencyAmount):
// the ILP amount is the transfer amount times 10^(the currency's decimal
// places), taken from the SDK's own currency.json (ISO 4217 minor units), not
// a fixed 4 decimals; so 100.5 USD is 10050 and 100 JPY is 100. It uses
// BigNumber#shiftedBy and then
// - v1: Long.fromString(…, unsigned) from ilp-packet@2, which silently drops a
//   fraction ("1234.5" → 1234), wraps values past 2^64 and reads an
//   exponent-form string such as "1e+21" as 1;
// - v4: refuses a scaled amount containing '.', then oer-utils writes it.
// Our scaling is minor units of the currency's ISO 4217 scale (support/money.ts
// parseAmount), which agrees with the SDK's table for every currency both
// know. Where the SDK would silently build a packet for a different amount
// (extra decimals in v1, overflow) we refuse instead. Currencies in only one
// table: the SDK also knows BGN, HRK, CUC, ANG, SLL, ZWL (withdrawn) and XXX,
// XTS (scale 4, test codes); ours also knows SLE, VED, XCG, ZWG, for which the
// SDK throws.
import { currencyScale, parseAmount } from '../support/index.ts';
import { isV1Account } from './packet.ts';

export interface MojaloopAmount {
  readonly amount: string;
  readonly currency: string;
}

/**
 * JSON text with object keys sorted, as safe-stable-stringify@2 (the SDK's
 * serialiser) writes JSON values: keys in UTF-16 code unit order at every
 * level, strings as JSON.stringify writes them (lone surrogates escaped as
 * \udXXX, where RFC 8785 would refuse them: so not support/canonical_json.ts),
 * numbers as String(n), non-finite numbers as null, undefined members left
 * out and undefined array items as null. It refuses what a parsed JSON body
 * cannot contain (cycles, bigints, functions, Dates and other non-plain objects)
 * rather than guess how the SDK would print them.
 */
export function sdkStableJson(value: unknown): string {
  const open = new Set<object>();
  const write = (v: unknown): string | undefined => {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'string': return JSON.stringify(v);
      case 'number': return Number.isFinite(v) ? String(v) : 'null';
      case 'boolean': return v ? 'true' : 'false';
      case 'undefined': return undefined;
      case 'object': break;
      case 'bigint':
      case 'function':
      case 'symbol':
      default:
        throw new TypeError(`sdkStableJson: cannot write a ${typeof v}`);
    }
    if (open.has(v)) throw new TypeError('sdkStableJson: cyclic value');
    open.add(v);
    let text: string;
    if (Array.isArray(v)) {
      text = '[' + v.map((item: unknown) => write(item) ?? 'null').join(',') + ']';
    } else {
      const prototype: unknown = Object.getPrototypeOf(v);
      if (prototype !== Object.prototype && prototype !== null) throw new TypeError('sdkStableJson: not a plain object');
      const members: string[] = [];
      for (const key of Object.keys(v).sort()) {
        const member = write((v as Record<string, unknown>)[key]);
        if (member !== undefined) members.push(JSON.stringify(key) + ':' + member);
      }
      text = '{' + members.join(',') + '}';
    }
    open.delete(v);
    return text;
  };
  const text = write(value);
  if (text === undefined) throw new TypeError('sdkStableJson: nothing to write');
  return text;
}

/**
 * The Transaction object of the SDK's transactionObjectDto: the quote
 * request's ids, type and parties, with the quote response's transfer amount,
 * expiration and note. The SDK adds `expiration`, which the FSPIOP Transaction
 * type lacks; members the request leaves out stay out.
 */
export function transactionObject(
  quoteRequest: Record<string, unknown>,
  response: { readonly transferAmount: MojaloopAmount; readonly expiration: string; readonly note?: string },
): Record<string, unknown> {
  const { quoteId, transactionId, transactionType, payee, payer } = quoteRequest;
  return {
    quoteId,
    transactionId,
    transactionType,
    payee,
    payer,
    expiration: response.expiration,
    amount: response.transferAmount,
    // The SDK writes `...(note && { note })`: an empty note is left out.
    ...(response.note === undefined || response.note === '' ? {} : { note: response.note }),
  };
}

/** The ILP amount for a Mojaloop amount: minor units at the currency's ISO 4217 scale. Throws where the SDK would throw or misencode. */
export function ilpAmountOf(amount: MojaloopAmount): bigint {
  if (currencyScale(amount.currency) === undefined) throw new RangeError(`ilpAmountOf: no decimal places known for currency ${JSON.stringify(amount.currency)}`);
  const minor = parseAmount(amount.amount, amount.currency);
  if (!minor.ok) throw new RangeError(`ilpAmountOf: ${minor.error}`);
  return minor.value;
}

function ownString(record: unknown, key: string): string | undefined {
  if (typeof record !== 'object' || record === null || !Object.hasOwn(record, key)) return undefined;
  const value: unknown = (record as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

/** `partyIdInfo` of a Mojaloop Party, when it is an object. */
export function partyIdInfoOf(party: unknown): unknown {
  if (typeof party !== 'object' || party === null || !Object.hasOwn(party, 'partyIdInfo')) return undefined;
  return (party as Record<string, unknown>)['partyIdInfo'];
}

/** The payee's fspId as a Transaction object names it, if it does. */
export function payeeFspOf(transaction: unknown): string | undefined {
  if (typeof transaction !== 'object' || transaction === null || !Object.hasOwn(transaction, 'payee')) return undefined;
  return ownString(partyIdInfoOf((transaction as Record<string, unknown>)['payee']), 'fspId');
}

/** The amount a Transaction object carries, if it carries one of the right shape. */
export function transactionAmountOf(transaction: unknown): MojaloopAmount | undefined {
  if (typeof transaction !== 'object' || transaction === null || !Object.hasOwn(transaction, 'amount')) return undefined;
  const amountObject: unknown = (transaction as Record<string, unknown>)['amount'];
  const amount = ownString(amountObject, 'amount');
  const currency = ownString(amountObject, 'currency');
  return amount === undefined || currency === undefined ? undefined : { amount, currency };
}

/**
 * The ILPv1 account for a payee, as IlpV1._getIlpAddress writes it:
 * `g.{fspId}.{partyIdType}.{partyIdentifier}[.{partySubIdOrType}]`, the last
 * three lower-cased, fspId as is. The SDK writes "g.undefined.…" when fspId is
 * missing; we refuse that, and an account that is not printable ASCII.
 */
export function v1AccountOf(payee: unknown): string {
  const info = partyIdInfoOf(payee);
  const fspId = ownString(info, 'fspId');
  const partyIdType = ownString(info, 'partyIdType');
  const partyIdentifier = ownString(info, 'partyIdentifier');
  const subId: unknown = typeof info === 'object' && info !== null && Object.hasOwn(info, 'partySubIdOrType')
    ? (info as Record<string, unknown>)['partySubIdOrType']
    : undefined;
  if (fspId === undefined || fspId === '') throw new TypeError('v1AccountOf: payee.partyIdInfo.fspId is required for an ILPv1 address');
  if (partyIdType === undefined || partyIdType === '') throw new TypeError('v1AccountOf: payee.partyIdInfo.partyIdType is required');
  if (partyIdentifier === undefined || partyIdentifier === '') throw new TypeError('v1AccountOf: payee.partyIdInfo.partyIdentifier is required');
  if (subId !== undefined && typeof subId !== 'string') throw new TypeError('v1AccountOf: payee.partyIdInfo.partySubIdOrType must be a string');
  const account = `g.${fspId}.${partyIdType.toLowerCase()}.${partyIdentifier.toLowerCase()}` + (subId === undefined || subId === '' ? '' : `.${subId.toLowerCase()}`);
  if (!isV1Account(account)) throw new RangeError(`v1AccountOf: ${JSON.stringify(account)} is not 1..1023 printable ASCII characters`);
  return account;
}
