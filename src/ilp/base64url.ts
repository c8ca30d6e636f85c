// Strict base64url for the ILP fields FSPIOP carries as text.
//
// Buffer.from(text, 'base64url') is lenient: it skips characters outside the
// alphabet and ignores the unused low bits of the last character, so several
// strings decode to the same bytes. For ILPv1 the fulfilment is an HMAC over
// the packet *text*, so two spellings of one packet are two different
// agreements; the hub accepts only the one canonical spelling (the one
// Buffer#toString('base64url') and the SDK's base64url produce). '=' padding
// is optional where FSPIOP allows it (IlpPacket) and refused where it does not
// (IlpCondition, IlpFulfilment: exactly 43 characters of the alphabet).
import { err, ok } from '../support/index.ts';
import type { Read } from './oer.ts';

const ALPHABET = /^[A-Za-z0-9_-]*$/;

/** Decodes canonical base64url of at most `textLengthMax` characters. Never throws; allocates at most 3/4 of the text length. */
export function decodeBase64url(text: unknown, textLengthMax: number, what: string, options: { readonly padding: 'optional' | 'refused' } = { padding: 'optional' }): Read<Buffer> {
  if (typeof text !== 'string') return err(`${what} is not a string`);
  if (text.length === 0) return err(`${what} is empty`);
  if (text.length > textLengthMax) return err(`${what} is ${text.length} characters; at most ${textLengthMax} are accepted`);
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (padding > 0 && options.padding === 'refused') return err(`${what} must not have '=' padding`);
  const body = text.slice(0, text.length - padding);
  if (!ALPHABET.test(body)) return err(`${what} is not base64url`);
  if (body.length % 4 === 1) return err(`${what} has a base64url length that no byte string has`);
  if (padding > 0 && (text.length % 4 !== 0 || padding !== (4 - (body.length % 4)) % 4)) {
    return err(`${what} has wrong base64 padding`);
  }
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.toString('base64url') !== body) return err(`${what} is not canonical base64url (unused bits set)`);
  return ok(bytes);
}
