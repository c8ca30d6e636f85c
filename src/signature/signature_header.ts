// The FSPIOP-Signature header: JSON {"signature", "protectedHeader"}, each a
// base64url part of a JWS whose payload (the body) travels detached. Written
// exactly as Mojaloop's SDK writes it (safe-stable-stringify: keys sorted, no
// spaces); read strictly, since nothing in it is trusted until verified.
import { decodeCanonicalBase64url, parseStrictJson, err, ok, type Result } from '../support/index.ts';
import { SIGNATURE_LIMITS } from './limits.ts';

export interface SignatureParts {
  /** base64url(UTF-8(JSON protected header)), as signed. */
  readonly protectedHeader: string;
  /** base64url signature. */
  readonly signature: string;
}


function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The header's value as Mojaloop's SDK writes it: `{"protectedHeader":"…","signature":"…"}`. */
export function formatSignatureHeader(parts: SignatureParts): string {
  return JSON.stringify({ protectedHeader: parts.protectedHeader, signature: parts.signature });
}

/** Reads the header's value. Members other than the two are ignored, as the SDK's validator ignores them: they are not signed. */
export function parseSignatureHeader(value: string): Result<SignatureParts, string> {
  if (value.length > SIGNATURE_LIMITS.headerLengthMax) return err(`FSPIOP-Signature is longer than ${SIGNATURE_LIMITS.headerLengthMax} characters`);
  // A member given twice would be read one way here and maybe another by the recipient the header is forwarded to.
  const strict = parseStrictJson(value);
  if (!strict.ok) return err(strict.error.problem === 'not-json' ? 'FSPIOP-Signature is not JSON' : `FSPIOP-Signature is ambiguous: ${strict.error.detail}`);
  const parsed = strict.value;
  if (!isPlainObject(parsed)) return err('FSPIOP-Signature is not a JSON object');
  const { protectedHeader, signature } = parsed;
  if (typeof protectedHeader !== 'string' || decodeCanonicalBase64url(protectedHeader) === undefined) return err('FSPIOP-Signature protectedHeader is not base64url');
  if (typeof signature !== 'string' || decodeCanonicalBase64url(signature) === undefined) return err('FSPIOP-Signature signature is not base64url');
  return ok({ protectedHeader, signature });
}

// ignoreBOM keeps a byte-order mark in the text, where JSON.parse refuses it.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The protected header as a JSON object (its members unchecked). */
export function decodeProtectedHeader(protectedHeader: string): Result<Record<string, unknown>, string> {
  const bytes = decodeCanonicalBase64url(protectedHeader);
  if (bytes === undefined) return err('the protected header is not base64url');
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return err('the protected header is not UTF-8 JSON');
  }
  const strict = parseStrictJson(text);
  if (!strict.ok) return err(strict.error.problem === 'not-json' ? 'the protected header is not UTF-8 JSON' : `the protected header is ambiguous: ${strict.error.detail}`);
  const parsed = strict.value;
  if (!isPlainObject(parsed)) return err('the protected header is not a JSON object');
  return ok(parsed);
}
