// Certificate serial numbers: unpredictable (RFC 5280 §4.1.2.2 and the CA/B
// requirement that defeated the MD5 collision attacks on CAs) and positive.
import { randomBytes } from 'node:crypto';
import { SERIAL_BYTES } from './limits.ts';

/**
 * A random serial as lower-case hex, always SERIAL_BYTES long. The top bit is
 * cleared (a DER INTEGER with it set is negative) and the next one set (so
 * the first byte is never zero, which DER would have to drop), so every
 * serial has the same length in hex and in DER.
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(SERIAL_BYTES);
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return bytes.toString('hex');
}

const SERIAL_HEX_PATTERN = /^[0-9a-f]{2,40}$/;

/** A serial as typed by an operator or read from node (upper case, maybe with colons), in the form this module stores. */
export function normaliseSerialHex(text: string): string | undefined {
  const hex = text.replaceAll(':', '').toLowerCase();
  return SERIAL_HEX_PATTERN.test(hex) ? hex : undefined;
}
