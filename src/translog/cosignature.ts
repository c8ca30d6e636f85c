// C2SP tlog-cosignature/v1: a witness's timestamped Ed25519 cosignature of a
// checkpoint (signature type 0x04). The witness signs
// `cosignature/v1\ntime <unix seconds>\n` followed by the checkpoint's note
// text, and the signature line carries the 8-byte big-endian timestamp before
// the 64-byte signature. It states that, at that time, this was the largest
// tree consistent with everything the witness had seen of the log; the
// witness server (which checks consistency before signing) comes later.
//
// A cosigner and a cosignature verifier are a NoteSigner and a NoteVerifier,
// so cosignatures are added to and checked in checkpoints like any other
// note signature.
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../support/index.ts';
import { parseCheckpoint } from './checkpoint.ts';
import {
  ED25519_SIGNATURE_BYTES,
  ed25519NoteVerifier,
  ed25519PublicKeyBytes,
  ed25519PublicKeyFromBytes,
  ed25519Sign,
  ed25519Verifies,
  formatVerifierKey,
  isKeyName,
  noteKeyId,
  parseVerifierKey,
  type NoteSigner,
  type NoteVerifier,
} from './note_key.ts';
import { err, ok } from '../support/index.ts';
import type { Outcome } from './outcome.ts';

/** Signature type of timestamped Ed25519 cosignatures. */
export const COSIGNATURE_TYPE = 0x04;
const TIMESTAMP_BYTES = 8;
/** A cosignature: the 8-byte timestamp and the 64-byte Ed25519 signature. */
export const COSIGNATURE_BYTES = TIMESTAMP_BYTES + ED25519_SIGNATURE_BYTES;
/** tlog-cosignature: the timestamp MUST NOT exceed 2^63 − 1. */
const TIMESTAMP_S_MAX = 2n ** 63n - 1n;

const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The message an Ed25519 cosignature signs: header line, timestamp line, then the checkpoint text. */
export function cosignedMessage(checkpointText: Uint8Array, timestampS: bigint): Uint8Array {
  assert.ok(timestampS >= 0n && timestampS <= TIMESTAMP_S_MAX, 'cosignedMessage: timestamp from 0 to 2^63 − 1');
  return Buffer.concat([Buffer.from(`cosignature/v1\ntime ${timestampS.toString()}\n`, 'utf8'), checkpointText]);
}

/** A witness's cosigner: signs checkpoint texts at the clock's current second. */
export function createCosigner(name: string, privateKey: KeyObject, clock: Clock): NoteSigner {
  assert.ok(isKeyName(name), `createCosigner: ${JSON.stringify(name)} is not a key name`);
  assert.ok(privateKey.type === 'private' && privateKey.asymmetricKeyType === 'ed25519', 'createCosigner: an Ed25519 private key');
  return {
    name,
    keyId: noteKeyId(name, COSIGNATURE_TYPE, ed25519PublicKeyBytes(privateKey)),
    sign(text) {
      // A witness cosigns checkpoints only; anything else reaching here is a programmer error.
      assert.ok(parseCheckpoint(textDecoder.decode(text)).ok, 'cosigner: the text is a checkpoint');
      const timestampS = BigInt(Math.floor(clock.nowMs() / 1000));
      const cosignature = Buffer.alloc(COSIGNATURE_BYTES);
      cosignature.writeBigUInt64BE(timestampS, 0);
      cosignature.set(ed25519Sign(privateKey, cosignedMessage(text, timestampS)), TIMESTAMP_BYTES);
      return cosignature;
    },
  };
}

/** The timestamp (POSIX seconds) of a cosignature, or undefined when it is not one. */
export function cosignatureTimestampS(signature: Uint8Array): bigint | undefined {
  if (signature.length !== COSIGNATURE_BYTES) return undefined;
  const timestampS = Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).readBigUInt64BE(0);
  return timestampS <= TIMESTAMP_S_MAX ? timestampS : undefined;
}

/** Verifies a witness's cosignatures (type 0x04) for this name and public key. */
export function cosignatureVerifier(name: string, publicKey: KeyObject): NoteVerifier {
  // Reuses the Ed25519 verifier's checks of the name and key; only the key ID and message differ.
  const plain = ed25519NoteVerifier(name, publicKey);
  return {
    name: plain.name,
    keyId: noteKeyId(name, COSIGNATURE_TYPE, ed25519PublicKeyBytes(publicKey)),
    verify(text, signature) {
      const timestampS = cosignatureTimestampS(signature);
      if (timestampS === undefined) return false;
      return ed25519Verifies(publicKey, cosignedMessage(text, timestampS), signature.subarray(TIMESTAMP_BYTES));
    },
  };
}

/** The verifier key string a witness publishes for its cosignatures. */
export function cosignatureVerifierKey(name: string, publicKey: KeyObject): string {
  return formatVerifierKey(name, COSIGNATURE_TYPE, ed25519PublicKeyBytes(publicKey));
}

/** A pinned witness verifier key string (type 0x04), as a note verifier. */
export function parseCosignatureVerifierKey(text: string): Outcome<NoteVerifier> {
  const parsed = parseVerifierKey(text);
  if (!parsed.ok) return parsed;
  if (parsed.value.type !== COSIGNATURE_TYPE) return err(`the verifier key has type ${parsed.value.type}, not an Ed25519 cosignature (4)`);
  const publicKey = ed25519PublicKeyFromBytes(parsed.value.publicKey);
  if (!publicKey.ok) return publicKey;
  return ok(cosignatureVerifier(parsed.value.name, publicKey.value));
}
