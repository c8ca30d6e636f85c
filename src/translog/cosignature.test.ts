import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { formatCheckpoint, openCheckpoint, signCheckpoint } from './checkpoint.ts';
import {
  COSIGNATURE_TYPE,
  cosignatureTimestampS,
  cosignatureVerifier,
  cosignatureVerifierKey,
  cosignedMessage,
  createCosigner,
  parseCosignatureVerifierKey,
} from './cosignature.ts';
import { leafHash } from './merkle.ts';
import { COSIGNATURE_BASE64, COSIGNATURE_TIMESTAMP_S, REMORA_COSIGNATURE_KEY } from './note_fixture.ts';
import { ed25519NoteSigner, ed25519NoteVerifier, noteKeyId, ed25519PublicKeyBytes } from './note_key.ts';
import { formatNote, openNote, parseNote, signText } from './signed_note.ts';

const ORIGIN = 'hub.example/audit';
const checkpoint = { origin: ORIGIN, size: 1234, rootHash: leafHash(Buffer.from('root')), extensions: [] };
const clock = { nowMs: () => 1_700_000_000_999 };

const logKeys = generateKeyPairSync('ed25519');
const logSigner = ed25519NoteSigner(ORIGIN, logKeys.privateKey);
const logVerifier = ed25519NoteVerifier(ORIGIN, logKeys.publicKey);
const witnessKeys = generateKeyPairSync('ed25519');
const WITNESS = 'witness.example/w1';

/** The log's checkpoint with the witness's cosignature added, as the hub will store and serve it. */
function cosigned(): string {
  const text = formatCheckpoint(checkpoint);
  const logSigned = parseNote(signCheckpoint(checkpoint, [logSigner]));
  assert.ok(logSigned.ok);
  return formatNote({ text, signatures: [...logSigned.value.signatures, ...signText(text, [createCosigner(WITNESS, witnessKeys.privateKey, clock)])] });
}

describe('cosignature: tlog-cosignature/v1', () => {
  it('reads the timestamp of a transparency-dev cosignature, and the key of a real witness', () => {
    const bytes = Buffer.from(COSIGNATURE_BASE64, 'base64');
    assert.equal(cosignatureTimestampS(bytes.subarray(4)), COSIGNATURE_TIMESTAMP_S);
    assert.equal(cosignatureTimestampS(bytes.subarray(5)), undefined);
    const verifier = parseCosignatureVerifierKey(REMORA_COSIGNATURE_KEY);
    assert.ok(verifier.ok);
    assert.equal(verifier.value.keyId, 0xda77ade7);
    assert.equal(parseCosignatureVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW').ok, false);
  });

  it('signs "cosignature/v1", the time line and the checkpoint, with the timestamp before the signature', () => {
    const text = formatCheckpoint(checkpoint);
    const [signature] = signText(text, [createCosigner(WITNESS, witnessKeys.privateKey, clock)]);
    assert.ok(signature !== undefined);
    assert.equal(signature.keyId, noteKeyId(WITNESS, COSIGNATURE_TYPE, ed25519PublicKeyBytes(witnessKeys.publicKey)));
    assert.equal(signature.signature.length, 72);
    assert.equal(Buffer.from(signature.signature.subarray(0, 8)).readBigUInt64BE(), 1_700_000_000n);
    const message = Buffer.from(`cosignature/v1\ntime 1700000000\n${text}`);
    assert.deepEqual(Buffer.from(cosignedMessage(Buffer.from(text), 1_700_000_000n)), message);
    // Checked with node:crypto directly, not through the verifier under test.
    assert.ok(verify(null, message, witnessKeys.publicKey, signature.signature.subarray(8)));
  });

  it('a cosigned checkpoint opens with the witness key, and still with the log key', () => {
    const note = cosigned();
    const byWitness = openNote(note, [cosignatureVerifier(WITNESS, witnessKeys.publicKey)]);
    assert.ok(byWitness.ok);
    assert.deepEqual(byWitness.value.verified.map((s) => s.name), [WITNESS]);
    assert.ok(openCheckpoint(note, ORIGIN, [logVerifier]).ok);
    const parsedKey = parseCosignatureVerifierKey(cosignatureVerifierKey(WITNESS, witnessKeys.publicKey));
    assert.ok(parsedKey.ok);
    assert.ok(openNote(note, [parsedKey.value]).ok);
  });

  it('a plain Ed25519 verifier of the same key does not take a cosignature (different key ID)', () => {
    const opened = openNote(cosigned(), [ed25519NoteVerifier(WITNESS, witnessKeys.publicKey)]);
    assert.ok(!opened.ok && opened.error.problem === 'unverified');
  });

  it('refuses a changed timestamp, a changed checkpoint, and a timestamp past 2^63 − 1', () => {
    const verifier = cosignatureVerifier(WITNESS, witnessKeys.publicKey);
    const text = Buffer.from(formatCheckpoint(checkpoint));
    const [signature] = signText(formatCheckpoint(checkpoint), [createCosigner(WITNESS, witnessKeys.privateKey, clock)]);
    assert.ok(signature !== undefined);
    assert.ok(verifier.verify(text, signature.signature));
    const later = Buffer.from(signature.signature);
    later.writeBigUInt64BE(1_700_000_001n);
    assert.ok(!verifier.verify(text, later));
    const huge = Buffer.from(signature.signature);
    huge.writeBigUInt64BE(2n ** 63n);
    assert.ok(!verifier.verify(text, huge));
    assert.ok(!verifier.verify(Buffer.from(formatCheckpoint({ ...checkpoint, size: 1235 })), signature.signature));
    assert.ok(!verifier.verify(text, signature.signature.subarray(0, 71)));
  });

  it('covers extension lines', () => {
    const extended = formatCheckpoint({ ...checkpoint, extensions: ['extension'] });
    const [signature] = signText(extended, [createCosigner(WITNESS, witnessKeys.privateKey, clock)]);
    assert.ok(signature !== undefined);
    const verifier = cosignatureVerifier(WITNESS, witnessKeys.publicKey);
    assert.ok(verifier.verify(Buffer.from(extended), signature.signature));
    assert.ok(!verifier.verify(Buffer.from(extended.replace('extension', 'extensioN')), signature.signature));
  });

  it('a witness cosigning anything but a checkpoint is a programmer error', () => {
    assert.throws(() => signText('not a checkpoint\n', [createCosigner(WITNESS, witnessKeys.privateKey, clock)]));
  });
});
