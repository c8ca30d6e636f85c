// Keys for C2SP signed notes: key names, key IDs, verifier key strings
// (`name+hexkeyid+base64(type ‖ public key)`, as golang.org/x/mod/sumdb/note
// writes them), and the Ed25519 note signer and verifier (signature type 0x01)
// on node:crypto KeyObjects. Private keys never leave their KeyObject.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { decodeCanonicalBase64, encodeBase64, err, ok } from '../support/index.ts';
import type { Outcome } from './outcome.ts';

/** Signature type of plain Ed25519 note signatures (the log's checkpoint signature). */
export const ED25519_SIGNATURE_TYPE = 0x01;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

export interface NoteSigner {
  readonly name: string;
  /** The uint32 key ID written before the signature. */
  readonly keyId: number;
  /** The signature bytes (without the key ID) over the note text's UTF-8 bytes. */
  sign(text: Uint8Array): Uint8Array;
}

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** True when `signature` (without the key ID) is this key's signature of the note text's UTF-8 bytes. */
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/** A verifier key string, decoded. */
export interface VerifierKey {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  readonly publicKey: Uint8Array;
}

// Unicode White_Space (JavaScript's \s lacks only U+0085, NEXT LINE), and every control character.
// eslint-disable-next-line no-control-regex -- control characters are what this refuses
const NOT_IN_KEY_NAME = /[\s\u0085+\u0000-\u001f\u007f]/u;

/** C2SP signed-note: a key name is non-empty, without Unicode spaces or `+` (nor, here, control characters). */
export function isKeyName(name: string): boolean {
  return name.length > 0 && name.isWellFormed() && !NOT_IN_KEY_NAME.test(name);
}

/** Key ID = SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], as a big-endian uint32. */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const digest = createHash('sha256').update(name, 'utf8').update(new Uint8Array([0x0a, type])).update(publicKey).digest();
  return digest.readUInt32BE(0);
}

/** The 32-byte RFC 8032 encoding of an Ed25519 public key (or of the public half of a private key). */
export function ed25519PublicKeyBytes(key: KeyObject): Uint8Array {
  assert.equal(key.asymmetricKeyType, 'ed25519', 'ed25519PublicKeyBytes: an Ed25519 key');
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const { x } = publicKey.export({ format: 'jwk' });
  assert.ok(typeof x === 'string', 'ed25519PublicKeyBytes: the JWK has x');
  return Buffer.from(x, 'base64url');
}

/** An Ed25519 public KeyObject from its 32-byte encoding; refused when the bytes are not a key. */
export function ed25519PublicKeyFromBytes(bytes: Uint8Array): Outcome<KeyObject> {
  if (bytes.length !== ED25519_PUBLIC_KEY_BYTES) return err(`an Ed25519 public key is ${ED25519_PUBLIC_KEY_BYTES} bytes`);
  try {
    return ok(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(bytes).toString('base64url') }, format: 'jwk' }));
  } catch {
    return err('not an Ed25519 public key');
  }
}

/** Verifies an Ed25519 signature, answering false (never throwing) for a signature of the wrong length. */
export function ed25519Verifies(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  return signature.length === ED25519_SIGNATURE_BYTES && verify(null, message, publicKey, signature);
}

/** Signs with an Ed25519 private key (RFC 8032, deterministic). */
export function ed25519Sign(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  return sign(null, message, privateKey);
}

function assertSigningKey(name: string, privateKey: KeyObject): void {
  assert.ok(isKeyName(name), `note signer: ${JSON.stringify(name)} is not a key name`);
  assert.ok(privateKey.type === 'private' && privateKey.asymmetricKeyType === 'ed25519', 'note signer: an Ed25519 private key');
}

/** The log's checkpoint signer: Ed25519 over the note text, signature type 0x01. */
export function ed25519NoteSigner(name: string, privateKey: KeyObject): NoteSigner {
  assertSigningKey(name, privateKey);
  return {
    name,
    keyId: noteKeyId(name, ED25519_SIGNATURE_TYPE, ed25519PublicKeyBytes(privateKey)),
    sign: (text) => ed25519Sign(privateKey, text),
  };
}

/** Verifies the signatures of `ed25519NoteSigner` for this name and public key. */
export function ed25519NoteVerifier(name: string, publicKey: KeyObject): NoteVerifier {
  assert.ok(isKeyName(name), `note verifier: ${JSON.stringify(name)} is not a key name`);
  assert.ok(publicKey.type === 'public' && publicKey.asymmetricKeyType === 'ed25519', 'note verifier: an Ed25519 public key');
  return {
    name,
    keyId: noteKeyId(name, ED25519_SIGNATURE_TYPE, ed25519PublicKeyBytes(publicKey)),
    verify: (text, signature) => ed25519Verifies(publicKey, text, signature),
  };
}

/** `name+hexkeyid+base64(type ‖ public key)`, the string a log or witness publishes and verifiers pin. */
export function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  assert.ok(isKeyName(name), `formatVerifierKey: ${JSON.stringify(name)} is not a key name`);
  assert.ok(Number.isInteger(type) && type >= 0 && type <= 0xff, 'formatVerifierKey: a one-byte type');
  const keyId = noteKeyId(name, type, publicKey).toString(16).padStart(8, '0');
  return `${name}+${keyId}+${encodeBase64(Buffer.concat([new Uint8Array([type]), publicKey]))}`;
}

const KEY_ID_HEX = /^[0-9a-f]{8}$/;

/** Decodes a verifier key string, refusing any other spelling and a key ID that does not match the key. */
export function parseVerifierKey(text: string): Outcome<VerifierKey> {
  // Names and key IDs hold no '+', but base64 can: split at the first two only.
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  if (first < 0 || second < 0) return err('a verifier key is name+keyid+key');
  const name = text.slice(0, first);
  const keyIdHex = text.slice(first + 1, second);
  const keyData = text.slice(second + 1);
  if (!isKeyName(name)) return err('the verifier key name is not a key name');
  if (!KEY_ID_HEX.test(keyIdHex)) return err('the verifier key ID is not 8 lowercase hex digits');
  const decoded = decodeCanonicalBase64(keyData);
  if (decoded === undefined || decoded.length < 2) return err('the verifier key is not base64 of a type and a key');
  const type = decoded[0] ?? 0;
  const publicKey = decoded.subarray(1);
  const keyId = Number.parseInt(keyIdHex, 16);
  if (keyId !== noteKeyId(name, type, publicKey)) return err('the verifier key ID does not match its name and key');
  return ok({ name, keyId, type, publicKey });
}

/** A pinned Ed25519 (type 0x01) verifier key string, as a note verifier. */
export function parseEd25519VerifierKey(text: string): Outcome<NoteVerifier> {
  const parsed = parseVerifierKey(text);
  if (!parsed.ok) return parsed;
  if (parsed.value.type !== ED25519_SIGNATURE_TYPE) return err(`the verifier key has type ${parsed.value.type}, not Ed25519 (1)`);
  const publicKey = ed25519PublicKeyFromBytes(parsed.value.publicKey);
  if (!publicKey.ok) return publicKey;
  return ok(ed25519NoteVerifier(parsed.value.name, publicKey.value));
}
