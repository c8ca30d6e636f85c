// Verification of a request's FSPIOP-Signature against the keys of the
// participant it claims to come from. The steps, in order:
//
//   header      FSPIOP-Signature present, JSON {signature, protectedHeader}     missing_header, malformed
//   protected   a JSON object; alg RS256 or ES256; no crit, no b64              malformed, bad_alg
//   keys        the source's keys for that alg, of acceptable strength          no_key, key_too_weak
//   signature   over the raw body bytes, else over the body as Mojaloop's       bad_signature
//               SDK signs it (sorted keys, no spaces) when the bytes differ
//               from that only in member order and whitespace
//   binding     alg, FSPIOP-URI, FSPIOP-HTTP-Method, FSPIOP-Source, and         header_mismatch (field)
//               FSPIOP-Destination and Date when the request has them, equal
//               to the real request
//
// The binding is checked only once the signature holds, so that a mismatch
// reported is one the signer really signed (a replay), never a forgery, and
// every failure is 3105. Mojaloop's own validator compares the protected
// header with the FSPIOP-URI and FSPIOP-HTTP-Method *headers*, which the sender
// chooses; here they must equal the request line, and the headers, when
// present, the protected header.
import type { KeyObject } from 'node:crypto';
import { errors as joseErrors, flattenedVerify } from 'jose';
import { checkBodyShape, fail, type Failure } from '../fspiop/index.ts';
import { sdkStableJson } from '../ilp/index.ts';
import { ok, type Err, type Ok, decodeCanonicalBase64url } from '../support/index.ts';
import { isSigningAlg, signingAlgOf, type SigningAlg } from '../participants/index.ts';
import { decodeProtectedHeader, parseSignatureHeader, type SignatureParts } from './signature_header.ts';

/** The protected header members Interlock binds to the request. */
export const PROTECTED_FIELDS = ['alg', 'FSPIOP-URI', 'FSPIOP-HTTP-Method', 'FSPIOP-Source', 'FSPIOP-Destination', 'Date'] as const;
export type ProtectedField = (typeof PROTECTED_FIELDS)[number];

export type SignatureFailureReason = 'missing_header' | 'malformed' | 'bad_alg' | 'no_key' | 'key_too_weak' | 'bad_signature' | 'header_mismatch';

export interface SignedRequest {
  /** The HTTP method of the request line. */
  readonly method: string;
  /** The request's path in FSPIOP-URI form ("/transfers/{ID}"), as the hub routed it (see fspiopUriOf for a URL with a prefix). */
  readonly fspiopUri: string;
  /** The request's headers, lower-case names, as Node gives them. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body exactly as received. */
  readonly rawBody: Uint8Array;
}

export interface VerificationKey {
  readonly kid: string;
  readonly publicKey: KeyObject;
}

/** What a dispute needs to verify the message again later (issue 5, evidence). */
export interface VerifiedSignature {
  /** The key that verified it. */
  readonly kid: string;
  readonly alg: SigningAlg;
  /** 'raw': over the bytes received; 'sorted': over the SDK's re-serialisation of the parsed body. */
  readonly payloadForm: 'raw' | 'sorted';
  readonly protectedHeader: string;
  readonly signature: string;
  readonly header: Readonly<Record<string, unknown>>;
}

/** A refused signature: the FSPIOP failure to answer, and exactly why (for the security event). */
export interface SignatureRefusal extends Err<Failure> {
  readonly reason: SignatureFailureReason;
  /** For header_mismatch: the member that differs. */
  readonly field?: ProtectedField;
}

export type SignatureVerification = Ok<VerifiedSignature> | SignatureRefusal;

/** Protected header parameters that change what is signed or how; Interlock implements none of them. */
const REFUSED_PARAMETERS = ['crit', 'b64'];
const STRING_FIELDS = ['FSPIOP-URI', 'FSPIOP-HTTP-Method', 'FSPIOP-Source', 'FSPIOP-Destination', 'Date', 'kid'];

function refuse(reason: SignatureFailureReason, detail: string, field?: ProtectedField): SignatureRefusal {
  return { ...fail('3105', detail), reason, ...(field === undefined ? {} : { field }) };
}

/** One header's value: undefined when absent; a repeated header is never a value. */
function single(headers: SignedRequest['headers'], name: string): { value: string | undefined; repeated: boolean } {
  const value = headers[name];
  if (value === undefined || typeof value === 'string') return { value, repeated: false };
  return value.length === 1 ? { value: value[0], repeated: false } : { value: undefined, repeated: true };
}

// ignoreBOM keeps a byte-order mark in the text, where JSON.parse refuses it: a BOM is one more spelling of the same body.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** JSON text without the whitespace between tokens (RFC 8259 §2: space, tab, line feed, carriage return); strings untouched. */
function withoutWhitespace(text: string): string {
  let out = '';
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (inString) {
      out += ch;
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
      out += ch;
    } else if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r') {
      out += ch;
    }
  }
  return out;
}

/**
 * base64url of the body as Mojaloop's SDK validator rebuilds it
 * (safe-stable-stringify of the parsed body: keys sorted, no spaces), for a
 * body whose bytes differ from the signed text. Only the re-serialisations a
 * JSON tool makes on the way are taken: member order and whitespace between
 * tokens. Any other spelling of the same values (escapes, number forms,
 * duplicate members, a BOM) is refused, so that what verifies this way reads
 * the same to every JSON parser, and any one-byte change still fails. The
 * shape check bounds depth before the recursive serialisers run.
 */
function sortedPayloadOf(rawBody: Uint8Array): string | undefined {
  let text: string;
  let parsed: unknown;
  try {
    text = strictUtf8.decode(rawBody);
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!checkBodyShape(parsed).ok) return undefined;
  if (JSON.stringify(parsed) !== withoutWhitespace(text)) return undefined;
  const sorted = sdkStableJson(parsed);
  return sorted === text ? undefined : Buffer.from(sorted, 'utf8').toString('base64url');
}

async function verifies(parts: SignatureParts, payload: string, key: VerificationKey, alg: SigningAlg): Promise<boolean> {
  try {
    // The allow-list is the one algorithm this key signs with (a subset of RS256/ES256), so no key is ever tried under another algorithm.
    await flattenedVerify({ protected: parts.protectedHeader, payload, signature: parts.signature }, key.publicKey, { algorithms: [alg], crit: {} });
    return true;
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) return false;
    throw error;
  }
}

/** Verifies `request`'s FSPIOP-Signature with `keys`, the active keys of the participant named by its FSPIOP-Source. */
export async function verifySignature(request: SignedRequest, keys: readonly VerificationKey[]): Promise<SignatureVerification> {
  for (const key of keys) {
    if (key.publicKey.type !== 'public') throw new TypeError(`verifySignature: key ${key.kid} is not a public key`);
  }
  const sent = single(request.headers, 'fspiop-signature');
  if (sent.repeated) return refuse('malformed', 'FSPIOP-Signature is repeated');
  if (sent.value === undefined || sent.value === '') return refuse('missing_header', 'FSPIOP-Signature is missing');
  const parts = parseSignatureHeader(sent.value);
  if (!parts.ok) return refuse('malformed', parts.error);
  const decoded = decodeProtectedHeader(parts.value.protectedHeader);
  if (!decoded.ok) return refuse('malformed', decoded.error);
  const header = decoded.value;

  const alg = header['alg'];
  if (!isSigningAlg(alg)) return refuse('bad_alg', `alg ${typeof alg === 'string' ? JSON.stringify(alg) : 'missing'} is not accepted; RS256 or ES256 is required`);
  for (const name of REFUSED_PARAMETERS) {
    if (Object.hasOwn(header, name)) return refuse('malformed', `the protected header parameter ${name} is not supported`);
  }
  for (const name of STRING_FIELDS) {
    if (Object.hasOwn(header, name) && typeof header[name] !== 'string') return refuse('malformed', `the protected header's ${name} is not a string`);
  }
  if (decodeCanonicalBase64url(parts.value.signature) === undefined) return refuse('malformed', 'the signature is not base64url');

  const named = header['kid'];
  const candidates = typeof named === 'string' ? keys.filter((key) => key.kid === named) : keys;
  if (candidates.length === 0) return refuse('no_key', typeof named === 'string' ? 'the signature names a key the source does not hold' : 'the source has no active signing key');
  const usable: VerificationKey[] = [];
  let weak = false;
  for (const key of candidates) {
    const verdict = signingAlgOf(key.publicKey);
    if (verdict.ok && verdict.value === alg) usable.push(key);
    // Only RSA keys are ever weak (too small); they matter only to an RS256 signature.
    else if (!verdict.ok && verdict.error.weak && alg === 'RS256') weak = true;
  }
  if (usable.length === 0) return weak ? refuse('key_too_weak', `the source's key is too weak for ${alg}`) : refuse('no_key', `the source has no active ${alg} key`);

  const raw = Buffer.from(request.rawBody.buffer, request.rawBody.byteOffset, request.rawBody.byteLength).toString('base64url');
  let verified: { kid: string; payloadForm: 'raw' | 'sorted' } | undefined;
  for (const key of usable) {
    if (await verifies(parts.value, raw, key, alg)) {
      verified = { kid: key.kid, payloadForm: 'raw' };
      break;
    }
  }
  if (verified === undefined) {
    const sorted = sortedPayloadOf(request.rawBody);
    for (const key of sorted === undefined ? [] : usable) {
      if (await verifies(parts.value, sorted ?? '', key, alg)) {
        verified = { kid: key.kid, payloadForm: 'sorted' };
        break;
      }
    }
  }
  if (verified === undefined) return refuse('bad_signature', 'the signature does not verify over the body with the source\'s keys');

  const mismatch = bindingMismatch(request, header);
  if (mismatch !== undefined) return refuse('header_mismatch', mismatch.detail, mismatch.field);
  return ok({ ...verified, alg, protectedHeader: parts.value.protectedHeader, signature: parts.value.signature, header });
}

/** The first protected member that does not equal the request, if any. */
function bindingMismatch(request: SignedRequest, header: Readonly<Record<string, unknown>>): { field: ProtectedField; detail: string } | undefined {
  const differs = (field: ProtectedField, actual: string | undefined, what: string) => {
    const signed = header[field];
    if (signed === actual) return undefined;
    if (signed === undefined) return { field, detail: `the protected header has no ${field}, but the request has ${what}` };
    if (actual === undefined) return { field, detail: `the protected header has ${field}, but the request has no ${what}` };
    return { field, detail: `the protected header's ${field} is not the request's ${what}` };
  };
  // The SDK signer writes the method upper-case; the request line's method is compared upper-cased, the protected value exactly.
  const sentUri = single(request.headers, 'fspiop-uri');
  const sentMethod = single(request.headers, 'fspiop-http-method');
  const source = single(request.headers, 'fspiop-source');
  const destination = single(request.headers, 'fspiop-destination');
  const date = single(request.headers, 'date');
  return differs('FSPIOP-URI', request.fspiopUri, 'path')
    ?? (sentUri.repeated || (sentUri.value !== undefined && sentUri.value !== header['FSPIOP-URI'])
      ? { field: 'FSPIOP-URI', detail: 'the FSPIOP-URI header differs from the protected header\'s' } : undefined)
    ?? differs('FSPIOP-HTTP-Method', request.method.toUpperCase(), 'method')
    ?? (sentMethod.repeated || (sentMethod.value !== undefined && sentMethod.value !== header['FSPIOP-HTTP-Method'])
      ? { field: 'FSPIOP-HTTP-Method', detail: 'the FSPIOP-HTTP-Method header differs from the protected header\'s' } : undefined)
    ?? (source.repeated ? { field: 'FSPIOP-Source', detail: 'FSPIOP-Source is repeated' } : differs('FSPIOP-Source', source.value, 'FSPIOP-Source'))
    ?? (destination.repeated ? { field: 'FSPIOP-Destination', detail: 'FSPIOP-Destination is repeated' } : differs('FSPIOP-Destination', destination.value, 'FSPIOP-Destination'))
    ?? (date.repeated ? { field: 'Date', detail: 'Date is repeated' } : differs('Date', date.value, 'Date'));
}
