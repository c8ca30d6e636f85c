// The two ILP packet layouts Mojaloop DFSPs send in FSPIOP `ilpPacket`, as
// @mojaloop/sdk-standard-components builds them (IlpV1.js over ilp-packet@2.2.0,
// IlpV4.js over ilp-packet@3), checked field by field against packets the SDK
// made and the SDK's own decoders (sdk_interop.test.ts):
//
//   ILPv1 Payment  0x01 | len | amount UInt64 BE | var-octets account (ASCII)
//                  | var-octets data | 0x00 (no extensions)
//   ILPv4 Prepare  0x0C | len | amount UInt64 BE | expiresAt 17 ASCII digits
//                  YYYYMMDDHHmmssSSS (UTC) | executionCondition 32 bytes
//                  | var-octets destination (ASCII ILP address) | var-octets data
//
// `len` is an OER length determinant over the rest of the packet.
//
// Where this decoder is stricter than the SDK's (each a place where two
// parsers could otherwise read one packet differently):
// - Trailing bytes after the envelope, or after the last field inside it, are
//   refused; ilp-packet ignores them.
// - The v1 extensions byte must be 0x00; ilp-packet@2 never reads it.
// - v1 accounts must be printable ASCII. The SDK writes them with
//   Buffer 'ascii', which keeps the low byte of each character, and reads
//   them back with 'ascii', which also clears the high bit, so a non-ASCII
//   account reads differently at each end.
// - v4 expiresAt must be a real UTC instant written in digits; ilp-packet
//   passes the fields to Date.UTC, which rolls month 13 into the next year.
// Where they agree: length prefixes must be canonical (oer-utils 1.3 and 5
// both refuse the indefinite form 0x80 and lengths in more bytes than needed).
import { fail, type FspiopResult } from '../fspiop/index.ts';
import { err, ok, parseStrictJson } from '../support/index.ts';
import { decodeBase64url } from './base64url.ts';
import {
  ILP_ADDRESS_BYTES_MAX,
  ILP_CONDITION_BYTES,
  ILP_DATA_BYTES_MAX,
  ILP_PACKET_BYTES_MAX,
  ILP_PACKET_TEXT_LENGTH_MAX,
  INTERLEDGER_TIME_LENGTH,
} from './limits.ts';
import { lengthPrefix, oerReader, readOctets, readUInt64, readUInt8, readVarOctets, remainingOf, uint64, varOctets, type OerReader, type Read } from './oer.ts';

export type IlpVersion = 'v1' | 'v4';

export const ILP_V1_TYPE_PAYMENT = 0x01;
export const ILP_V4_TYPE_PREPARE = 0x0c;

export interface IlpV1Payment {
  readonly version: 'v1';
  readonly amount: bigint;
  /** The payee's ILP address: `g.{fspId}.{partyIdType}.{partyIdentifier}[.{partySubIdOrType}]` in Mojaloop. */
  readonly account: string;
  readonly data: Buffer;
}

export interface IlpV4Prepare {
  readonly version: 'v4';
  readonly amount: bigint;
  /** Millisecond precision, UTC. */
  readonly expiresAt: Date;
  readonly executionCondition: Buffer;
  /** Always `g.mojaloop` from Mojaloop's SDK. */
  readonly destination: string;
  readonly data: Buffer;
}

export type IlpPacket = IlpV1Payment | IlpV4Prepare;

/** What the hub learns from an FSPIOP `ilpPacket`. */
export interface DecodedIlpPacket {
  readonly version: IlpVersion;
  readonly amount: bigint;
  /** v1: the account; v4: the destination. */
  readonly destination: string;
  readonly data: Buffer;
  /** v4 only. */
  readonly expiresAt?: Date;
  /** v4 only. */
  readonly executionCondition?: Buffer;
  /** The data parsed as base64url of UTF-8 JSON, when it is that (Mojaloop puts the Transaction object there). */
  readonly transaction?: unknown;
}

// --- addresses -------------------------------------------------------------

const V4_SCHEMES = new Set(['g', 'private', 'example', 'peer', 'self', 'test', 'test1', 'test2', 'test3', 'local']);
const V4_SEGMENT = /^[a-zA-Z0-9_~-]+$/;

/** RFC 15: scheme, then one or more dot-separated segments of [a-zA-Z0-9_~-], at most 1023 bytes. */
export function isIlpAddress(address: string): boolean {
  if (address.length > ILP_ADDRESS_BYTES_MAX) return false;
  const [scheme, ...segments] = address.split('.');
  return scheme !== undefined && V4_SCHEMES.has(scheme) && segments.length > 0 && segments.every((s) => V4_SEGMENT.test(s));
}

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** ILPv1 accounts as Mojaloop writes them: 1..1023 printable ASCII characters (party identifiers are not ILP-address safe, e.g. e-mail '@'). */
export function isV1Account(account: string): boolean {
  return account.length <= ILP_ADDRESS_BYTES_MAX && PRINTABLE_ASCII.test(account);
}

// --- interledger time --------------------------------------------------------

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

export function interledgerTime(date: Date): string {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('interledgerTime: invalid date');
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`interledgerTime: year ${year} does not fit four digits`);
  return pad(year, 4) + pad(date.getUTCMonth() + 1, 2) + pad(date.getUTCDate(), 2)
    + pad(date.getUTCHours(), 2) + pad(date.getUTCMinutes(), 2) + pad(date.getUTCSeconds(), 2) + pad(date.getUTCMilliseconds(), 3);
}

const INTERLEDGER_TIME = /^[0-9]{17}$/;

function parseInterledgerTime(text: string): Date | undefined {
  if (!INTERLEDGER_TIME.test(text)) return undefined;
  const field = (from: number, to: number): number => Number(text.slice(from, to));
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  date.setUTCFullYear(field(0, 4), field(4, 6) - 1, field(6, 8));
  date.setUTCHours(field(8, 10), field(10, 12), field(12, 14), field(14, 17));
  // Out-of-range fields roll over (month 13, 25 o'clock), past year 9999 too; only an exact round trip is a real instant.
  if (!Number.isFinite(date.getTime()) || date.getUTCFullYear() > 9999) return undefined;
  return interledgerTime(date) === text ? date : undefined;
}

// --- encoding (our own packets; a bad input is a programmer error) ----------

function envelope(type: number, contents: Buffer): Buffer {
  return Buffer.concat([Buffer.of(type), lengthPrefix(contents.length), contents]);
}

export function encodeIlpPacket(packet: IlpPacket): Buffer {
  if (packet.data.length > ILP_DATA_BYTES_MAX) throw new RangeError(`encodeIlpPacket: data is ${packet.data.length} bytes, at most ${ILP_DATA_BYTES_MAX}`);
  switch (packet.version) {
    case 'v1': {
      if (!isV1Account(packet.account)) throw new RangeError(`encodeIlpPacket: account ${JSON.stringify(packet.account)} is not 1..1023 printable ASCII characters`);
      return envelope(ILP_V1_TYPE_PAYMENT, Buffer.concat([
        uint64(packet.amount),
        varOctets(Buffer.from(packet.account, 'latin1')),
        varOctets(packet.data),
        Buffer.of(0), // no extensions
      ]));
    }
    case 'v4': {
      if (!isIlpAddress(packet.destination)) throw new RangeError(`encodeIlpPacket: destination ${JSON.stringify(packet.destination)} is not an ILP address`);
      if (packet.executionCondition.length !== ILP_CONDITION_BYTES) throw new RangeError('encodeIlpPacket: executionCondition is not 32 bytes');
      return envelope(ILP_V4_TYPE_PREPARE, Buffer.concat([
        uint64(packet.amount),
        Buffer.from(interledgerTime(packet.expiresAt), 'latin1'),
        packet.executionCondition,
        varOctets(Buffer.from(packet.destination, 'latin1')),
        varOctets(packet.data),
      ]));
    }
    default:
      throw new TypeError('encodeIlpPacket: unknown packet version');
  }
}

/** Base64url text of the packet, as FSPIOP carries it (no padding, like the SDK). */
export function encodeIlpPacketText(packet: IlpPacket): string {
  const text = encodeIlpPacket(packet).toString('base64url');
  if (text.length > ILP_PACKET_TEXT_LENGTH_MAX) throw new RangeError(`encodeIlpPacketText: ${text.length} characters exceed the FSPIOP limit of ${ILP_PACKET_TEXT_LENGTH_MAX}`);
  return text;
}

// --- decoding (hostile input; never throws) ----------------------------------

function end(reader: OerReader, what: string): Read<undefined> {
  const rest = remainingOf(reader);
  return rest === 0 ? ok(undefined) : err(`${rest} unexpected bytes after ${what}`);
}

function decodeV1(contents: OerReader): Read<IlpV1Payment> {
  const amount = readUInt64(contents, 'amount');
  if (!amount.ok) return amount;
  const accountBytes = readVarOctets(contents, 'account');
  if (!accountBytes.ok) return accountBytes;
  const account = accountBytes.value.toString('latin1');
  if (!isV1Account(account)) return err('account is not 1..1023 printable ASCII characters');
  const data = readVarOctets(contents, 'data');
  if (!data.ok) return data;
  const extensions = readUInt8(contents, 'extensions');
  if (!extensions.ok) return extensions;
  if (extensions.value !== 0) return err('extensions are not supported (the extensions byte must be 0x00)');
  const done = end(contents, 'the extensions byte');
  if (!done.ok) return done;
  return ok({ version: 'v1', amount: amount.value, account, data: Buffer.from(data.value) });
}

function decodeV4(contents: OerReader): Read<IlpV4Prepare> {
  const amount = readUInt64(contents, 'amount');
  if (!amount.ok) return amount;
  const time = readOctets(contents, INTERLEDGER_TIME_LENGTH, 'expiresAt');
  if (!time.ok) return time;
  const expiresAt = parseInterledgerTime(time.value.toString('latin1'));
  if (expiresAt === undefined) return err('expiresAt is not a valid YYYYMMDDHHmmssSSS UTC time');
  const condition = readOctets(contents, ILP_CONDITION_BYTES, 'executionCondition');
  if (!condition.ok) return condition;
  const destinationBytes = readVarOctets(contents, 'destination');
  if (!destinationBytes.ok) return destinationBytes;
  const destination = destinationBytes.value.toString('latin1');
  if (!isIlpAddress(destination)) return err('destination is not an ILP address');
  const data = readVarOctets(contents, 'data');
  if (!data.ok) return data;
  const done = end(contents, 'the data');
  if (!done.ok) return done;
  return ok({ version: 'v4', amount: amount.value, expiresAt, executionCondition: Buffer.from(condition.value), destination, data: Buffer.from(data.value) });
}

/** Decodes the binary packet. Never throws; allocates only copies of the condition and data it returns. */
export function decodeIlpPacketBytes(bytes: Buffer): Read<IlpPacket> {
  if (bytes.length > ILP_PACKET_BYTES_MAX) return err(`packet is ${bytes.length} bytes; at most ${ILP_PACKET_BYTES_MAX} are accepted`);
  const reader = oerReader(bytes);
  const type = readUInt8(reader, 'packet type');
  if (!type.ok) return type;
  if (type.value !== ILP_V1_TYPE_PAYMENT && type.value !== ILP_V4_TYPE_PREPARE) {
    return err(`packet type ${type.value} is neither an ILPv1 Payment (1) nor an ILPv4 Prepare (12)`);
  }
  const contents = readVarOctets(reader, 'packet');
  if (!contents.ok) return contents;
  const done = end(reader, 'the packet');
  if (!done.ok) return done;
  return type.value === ILP_V1_TYPE_PAYMENT ? decodeV1(oerReader(contents.value)) : decodeV4(oerReader(contents.value));
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Mojaloop's data: base64url text of UTF-8 JSON. Anything else is opaque data, not an error;
 * but JSON that gives a member twice is refused (its detail returned): the hub would check one
 * amount or payee and the payee's parser could read the other.
 */
export function transactionOf(data: Buffer): { transaction: unknown } | { ambiguous: string } {
  const text = decodeBase64url(data.toString('latin1'), ILP_PACKET_TEXT_LENGTH_MAX, 'data');
  if (!text.ok) return { transaction: undefined };
  let json: string;
  try {
    json = utf8.decode(text.value);
  } catch {
    return { transaction: undefined }; // not UTF-8: opaque data
  }
  const parsed = parseStrictJson(json);
  if (parsed.ok) return { transaction: parsed.value };
  return parsed.error.problem === 'duplicate-member' ? { ambiguous: parsed.error.detail } : { transaction: undefined };
}

/** Decodes an FSPIOP `ilpPacket` (base64url text). Never throws; every refusal is a 3100 naming what is wrong (3101 for data JSON that gives a member twice). */
export function decodeIlpPacket(ilpPacket: string): FspiopResult<DecodedIlpPacket> {
  const bytes = decodeBase64url(ilpPacket, ILP_PACKET_TEXT_LENGTH_MAX, 'ilpPacket');
  if (!bytes.ok) return fail('3100', bytes.error);
  const packet = decodeIlpPacketBytes(bytes.value);
  if (!packet.ok) return fail('3100', `ilpPacket: ${packet.error}`);
  const data = transactionOf(packet.value.data);
  if ('ambiguous' in data) return fail('3101', `ilpPacket data: ${data.ambiguous}`);
  const { transaction } = data;
  const shared = transaction === undefined ? {} : { transaction };
  const p = packet.value;
  return p.version === 'v1'
    ? ok({ version: 'v1', amount: p.amount, destination: p.account, data: p.data, ...shared })
    : ok({ version: 'v4', amount: p.amount, destination: p.destination, data: p.data, expiresAt: p.expiresAt, executionCondition: p.executionCondition, ...shared });
}
