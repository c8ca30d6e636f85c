// Standard base64 (RFC 4648 §4, with padding), read strictly: signed notes,
// checkpoints and verifier keys are compared and signed as text, so a value
// must have exactly one spelling. Node's decoder skips invalid characters and
// ignores non-zero padding bits; this refuses both.

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The bytes of canonical padded base64 text, or undefined for any other text (including the empty string). */
export function decodeCanonicalBase64(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
