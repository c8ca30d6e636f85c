// Every bound the ILP codec works within, with its unit and reason.
import assert from 'node:assert/strict';

/** FSPIOP v1.1 IlpPacket: a base64url string of 1..32768 characters. The decoder refuses longer input before decoding it. */
export const ILP_PACKET_TEXT_LENGTH_MAX = 32768;

/** The most bytes a packet of ILP_PACKET_TEXT_LENGTH_MAX base64 characters can hold (6 bits per character). */
export const ILP_PACKET_BYTES_MAX = (ILP_PACKET_TEXT_LENGTH_MAX / 4) * 3;

/** ILPv1 (spec §6.5.2.3) and ILPv4 (RFC 27) both cap the data field at 32767 bytes. */
export const ILP_DATA_BYTES_MAX = 32767;

/** ILP addresses are at most 1023 bytes (RFC 15). */
export const ILP_ADDRESS_BYTES_MAX = 1023;

/** Conditions and fulfilments are SHA-256 sized: 32 bytes. */
export const ILP_CONDITION_BYTES = 32;
export const ILP_FULFILMENT_BYTES = 32;

/** ILPv4 expiresAt: fixed-width ASCII `YYYYMMDDHHmmssSSS`, UTC. */
export const INTERLEDGER_TIME_LENGTH = 17;

/** An ILP amount is an OER UInt64. */
export const ILP_AMOUNT_MAX = 2n ** 64n - 1n;

/**
 * Long-form OER length prefixes longer than this many bytes declare at least
 * 2^32 bytes, more than any packet the decoder accepts; they are refused
 * without reading the declared length.
 */
export const OER_LENGTH_PREFIX_BYTES_MAX = 4;

assert.ok(ILP_PACKET_BYTES_MAX < 2 ** (8 * OER_LENGTH_PREFIX_BYTES_MAX), 'every accepted packet length fits a 4-byte OER length');
assert.ok(ILP_PACKET_BYTES_MAX <= ILP_DATA_BYTES_MAX, 'a packet that fits FSPIOP can never carry data over the ILP data cap');
