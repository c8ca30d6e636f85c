// The few OER (ITU-T X.696) encodings ILP packets use: UInt8, UInt64, fixed
// octet strings and length-prefixed octet strings.
//
// The reader is written for hostile input. Every read first compares what it
// needs with what remains and fails as a value when the input is short, so a
// length prefix that lies (claims 2^32 bytes in a 40-byte packet) is refused
// before anything is sliced or allocated. Reads return views into the input
// (subarray); callers copy what they keep. Length prefixes must be canonical
// (the short form below 128, the fewest bytes otherwise), as X.696 requires and
// as oer-utils 5 (ilp-packet 3) also insists, so one packet has one encoding.
import assert from 'node:assert/strict';
import { err, ok, type Result } from '../support/index.ts';
import { ILP_AMOUNT_MAX, OER_LENGTH_PREFIX_BYTES_MAX } from './limits.ts';

/** A read's value, or why the input does not hold one. */
export type Read<T> = Result<T, string>;

const got = ok;
const short = err;

export interface OerReader {
  readonly bytes: Buffer;
  offset: number;
}

export function oerReader(bytes: Buffer): OerReader {
  return { bytes, offset: 0 };
}

export function remainingOf(reader: OerReader): number {
  return reader.bytes.length - reader.offset;
}

/** A fixed-length octet string, as a view into the input. */
export function readOctets(reader: OerReader, length: number, what: string): Read<Buffer> {
  assert.ok(Number.isSafeInteger(length) && length >= 0, 'readOctets: length is a non-negative integer');
  const remaining = remainingOf(reader);
  if (length > remaining) return short(`${what}: needs ${length} bytes, ${remaining} remain`);
  const view = reader.bytes.subarray(reader.offset, reader.offset + length);
  reader.offset += length;
  return got(view);
}

export function readUInt8(reader: OerReader, what: string): Read<number> {
  if (remainingOf(reader) < 1) return short(`${what}: needs 1 byte, 0 remain`);
  const value = reader.bytes.readUInt8(reader.offset);
  reader.offset += 1;
  return got(value);
}

export function readUInt64(reader: OerReader, what: string): Read<bigint> {
  const remaining = remainingOf(reader);
  if (remaining < 8) return short(`${what}: needs 8 bytes, ${remaining} remain`);
  const value = reader.bytes.readBigUInt64BE(reader.offset);
  reader.offset += 8;
  return got(value);
}

/**
 * A length determinant: one byte below 0x80 is the length; 0x80 | n is
 * followed by n big-endian bytes of length. Refuses the indefinite form (n = 0),
 * non-canonical forms, and any length beyond the bytes that remain after the
 * prefix, before returning it.
 */
export function readLengthPrefix(reader: OerReader, what: string): Read<number> {
  const first = readUInt8(reader, `${what} length`);
  if (!first.ok) return first;
  if (first.value < 0x80) return checkedLength(reader, first.value, what);
  const prefixBytes = first.value & 0x7f;
  if (prefixBytes === 0) return short(`${what} length: the indefinite form (0x80) is not allowed`);
  const remaining = remainingOf(reader);
  if (prefixBytes > remaining) return short(`${what} length: needs ${prefixBytes} length bytes, ${remaining} remain`);
  if (reader.bytes[reader.offset] === 0) return short(`${what} length: not canonical (leading zero byte)`);
  if (prefixBytes > OER_LENGTH_PREFIX_BYTES_MAX) {
    return short(`${what} length: a ${prefixBytes}-byte length declares at least 2^${8 * (prefixBytes - 1)} bytes, more than remain`);
  }
  let length = 0;
  for (let i = 0; i < prefixBytes; i += 1) length = length * 256 + (reader.bytes[reader.offset + i] ?? 0);
  reader.offset += prefixBytes;
  if (length < 0x80) return short(`${what} length: not canonical (${length} in the long form)`);
  return checkedLength(reader, length, what);
}

function checkedLength(reader: OerReader, length: number, what: string): Read<number> {
  const remaining = remainingOf(reader);
  if (length > remaining) return short(`${what}: declares ${length} bytes, ${remaining} remain`);
  return got(length);
}

/** A length-prefixed octet string, as a view into the input. */
export function readVarOctets(reader: OerReader, what: string): Read<Buffer> {
  const length = readLengthPrefix(reader, what);
  if (!length.ok) return length;
  return readOctets(reader, length.value, what);
}

// Writers. Their inputs come from our own code, so a bad input is a programmer error and throws.

export function lengthPrefix(length: number): Buffer {
  assert.ok(Number.isSafeInteger(length) && length >= 0 && length < 2 ** (8 * OER_LENGTH_PREFIX_BYTES_MAX), 'lengthPrefix: length out of range');
  if (length < 0x80) return Buffer.of(length);
  const digits: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) digits.unshift(rest % 256);
  return Buffer.of(0x80 | digits.length, ...digits);
}

export function varOctets(bytes: Buffer): Buffer {
  return Buffer.concat([lengthPrefix(bytes.length), bytes]);
}

export function uint64(value: bigint): Buffer {
  if (value < 0n || value > ILP_AMOUNT_MAX) throw new RangeError(`uint64: ${value} is outside 0..2^64-1`);
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(value);
  return bytes;
}
