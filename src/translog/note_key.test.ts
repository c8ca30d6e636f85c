import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  ed25519NoteSigner,
  ed25519NoteVerifier,
  ed25519PublicKeyBytes,
  formatVerifierKey,
  isKeyName,
  noteKeyId,
  parseEd25519VerifierKey,
  parseVerifierKey,
} from './note_key.ts';
import { PETER_SIGNER_KEY, PETER_VERIFIER_KEY, PLUS_IN_BASE64_KEY, REMORA_COSIGNATURE_KEY, privateKeyOfGoSignerKey } from './note_fixture.ts';

describe('note_key', () => {
  it('derives the key ID and verifier key string of the Go example key', () => {
    const privateKey = privateKeyOfGoSignerKey(PETER_SIGNER_KEY);
    const signer = ed25519NoteSigner('PeterNeumann', privateKey);
    assert.equal(signer.keyId, 0xc74f20a3);
    assert.equal(formatVerifierKey('PeterNeumann', 0x01, ed25519PublicKeyBytes(privateKey)), PETER_VERIFIER_KEY);
    const parsed = parseVerifierKey(PETER_VERIFIER_KEY);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.keyId, 0xc74f20a3);
    assert.equal(parsed.value.type, 0x01);
    assert.equal(noteKeyId('PeterNeumann', 0x01, parsed.value.publicKey), 0xc74f20a3);
    assert.ok(parseEd25519VerifierKey(PETER_VERIFIER_KEY).ok);
  });

  it('reads keys whose base64 holds a "+", and keys of other types by type', () => {
    const plus = parseEd25519VerifierKey(PLUS_IN_BASE64_KEY);
    assert.ok(plus.ok);
    assert.equal(plus.value.keyId, 0x7997405c);
    const cosignature = parseVerifierKey(REMORA_COSIGNATURE_KEY);
    assert.ok(cosignature.ok);
    assert.equal(cosignature.value.type, 0x04);
    assert.deepEqual(parseEd25519VerifierKey(REMORA_COSIGNATURE_KEY), { ok: false, error: 'the verifier key has type 4, not Ed25519 (1)' });
  });

  it('refuses every substring and every one-byte change of a verifier key', () => {
    const key = Buffer.from(PETER_VERIFIER_KEY);
    for (let i = 0; i <= key.length; i += 1) {
      for (let j = i + 1; j <= key.length; j += 1) {
        if (i === 0 && j === key.length) continue;
        assert.equal(parseVerifierKey(key.subarray(i, j).toString('latin1')).ok, false, `[${i}, ${j})`);
      }
    }
    for (let i = 0; i < key.length; i += 1) {
      const changed = Buffer.from(key);
      changed[i]! += 1;
      assert.equal(parseVerifierKey(changed.toString('latin1')).ok, false, `byte ${i}`);
    }
    assert.equal(parseVerifierKey('PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW').ok, false, 'uppercase key ID');
    assert.equal(parseVerifierKey('rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!').ok, false);
    assert.equal(parseVerifierKey('bananas.sigstore.dev+12344556').ok, false);
  });

  it('key names have no spaces of any kind, no "+" and no controls', () => {
    assert.ok(isKeyName('example.com/log42') && isKeyName('PeterNeumann') && isKeyName('oid/1.3.6.1.4.1.44363.47.1'));
    for (const bad of ['', 'a b', 'a+b', 'a\tb', 'a\u00a0b', 'a\u0085b', 'a\u2003b', 'a\u3000b', 'a\nb', 'a\u0000b', '\ud800']) {
      assert.equal(isKeyName(bad), false, JSON.stringify(bad));
    }
  });

  it('a verifier checks only its own key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    const signer = ed25519NoteSigner('hub.example/audit', privateKey);
    const message = Buffer.from('text\n');
    const signature = signer.sign(message);
    assert.ok(ed25519NoteVerifier('hub.example/audit', publicKey).verify(message, signature));
    assert.ok(!ed25519NoteVerifier('hub.example/audit', other.publicKey).verify(message, signature));
    assert.ok(!ed25519NoteVerifier('hub.example/audit', publicKey).verify(message, signature.subarray(1)));
    assert.throws(() => ed25519NoteSigner('a b', privateKey));
    assert.throws(() => ed25519NoteVerifier('hub.example/audit', privateKey));
  });
});
