// Base64 read strictly: a value must have exactly one spelling. Signed notes,
// checkpoints and verifier keys are compared and signed as text, a JWS is
// verified over the text it was sent in, and a sealed value is stored as
// text. Node's decoder skips invalid characters and ignores non-zero padding
// bits; these refuse both.

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The bytes of canonical padded standard base64 (RFC 4648 §4), or undefined for any other text (including the empty string). */
export function decodeCanonicalBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The bytes of canonical unpadded base64url (RFC 4648 §5, what every JWS implementation writes), or undefined for any other text (including the empty string). */
export function decodeCanonicalBase64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}
