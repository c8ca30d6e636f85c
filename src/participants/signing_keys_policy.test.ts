import assert from 'node:assert/strict';
import { createPublicKey, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { parsePublicKey, signingAlgOf, SIGNING_KEY_LIMITS } from './signing_keys_policy.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 });

/** An RSA public key of any size and exponent from a made-up modulus: the policy reads sizes, not primes. */
function rsaPublicKeyOf(bits: number, exponent: number) {
  const modulus = randomBytes(bits / 8);
  modulus[0] = modulus[0]! | 0x80;
  modulus[modulus.length - 1] = modulus[modulus.length - 1]! | 1;
  const hex = exponent.toString(16);
  const e = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
  return createPublicKey({ key: { kty: 'RSA', n: modulus.toString('base64url'), e: e.toString('base64url') }, format: 'jwk' });
}

test('RSA of 2048 to 8192 bits with exponent 65537 signs RS256; P-256 signs ES256', () => {
  assert.deepEqual(signingAlgOf(rsa.publicKey), { ok: true, value: 'RS256' });
  assert.deepEqual(signingAlgOf(rsa.privateKey), { ok: true, value: 'RS256' });
  assert.deepEqual(signingAlgOf(rsaPublicKeyOf(8192, 65537)), { ok: true, value: 'RS256' });
  assert.deepEqual(signingAlgOf(ec.publicKey), { ok: true, value: 'ES256' });
});

test('weak keys are refused as weak: RSA under 2048 bits, a small exponent', () => {
  for (const key of [rsa1024.publicKey, rsaPublicKeyOf(2040, 65537), rsaPublicKeyOf(2048, 3)]) {
    const verdict = signingAlgOf(key);
    assert.ok(!verdict.ok && verdict.error.weak, JSON.stringify(verdict));
  }
});

test('keys of other types, curves or sizes are refused, not as weak', () => {
  const others = [
    rsaPublicKeyOf(8192 + 64, 65537),
    generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
    generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
    generateKeyPairSync('ed25519').publicKey,
    generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey,
    createSecretKey(randomBytes(32)),
  ];
  for (const key of others) {
    const verdict = signingAlgOf(key);
    assert.ok(!verdict.ok && !verdict.error.weak, JSON.stringify(verdict));
  }
});

test('a public key is read from SPKI PEM, PKCS#1 PEM or a public JWK', () => {
  const inputs = [
    rsa.publicKey.export({ type: 'spki', format: 'pem' }),
    rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }),
    rsa.publicKey.export({ format: 'jwk' }),
    { ...rsa.publicKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'theirs', key_ops: ['verify'], ext: true },
  ];
  for (const input of inputs) {
    const parsed = parsePublicKey(input);
    assert.ok(parsed.ok && parsed.value.alg === 'RS256' && parsed.value.publicKey.equals(rsa.publicKey), JSON.stringify(parsed));
  }
  const fromEc = parsePublicKey(ec.publicKey.export({ format: 'jwk' }));
  assert.ok(fromEc.ok && fromEc.value.alg === 'ES256');
});

test('a private key, in any form, is refused and called disclosed', () => {
  const inputs = [
    rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }),
    ec.privateKey.export({ type: 'sec1', format: 'pem' }),
    rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }),
    rsa.privateKey.export({ format: 'jwk' }),
    ec.privateKey.export({ format: 'jwk' }),
    { kty: 'oct', k: randomBytes(32).toString('base64url') },
    // A private key relabelled as public is still read as a private key first.
    rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().replaceAll('PRIVATE KEY', 'PUBLIC KEY'),
  ];
  for (const input of inputs) {
    const parsed = parsePublicKey(input);
    if (parsed.ok) assert.fail(`a private key was taken: ${JSON.stringify(input).slice(0, 40)}`);
    assert.ok(parsed.error.reason.includes('private') || parsed.error.reason.includes('readable'), parsed.error.reason);
  }
});

test('certificates, several keys, garbage, an encryption JWK or a JWK naming another alg are refused', () => {
  const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const inputs: unknown[] = [
    pem.replaceAll('PUBLIC KEY', 'CERTIFICATE'),
    pem + pem,
    'not a key',
    '',
    `-----BEGIN PUBLIC KEY-----\n${'A'.repeat(SIGNING_KEY_LIMITS.publicKeyTextLengthMax)}\n-----END PUBLIC KEY-----\n`,
    { ...rsa.publicKey.export({ format: 'jwk' }), use: 'enc' },
    { ...rsa.publicKey.export({ format: 'jwk' }), alg: 'RS512' },
    { ...ec.publicKey.export({ format: 'jwk' }), alg: 'RS256' },
    { kty: 'RSA', n: 'AQAB' },
    [pem],
    42,
    null,
    rsa1024.publicKey.export({ type: 'spki', format: 'pem' }),
  ];
  for (const input of inputs) assert.equal(parsePublicKey(input).ok, false, JSON.stringify(input).slice(0, 60));
  const weak = parsePublicKey(rsa1024.publicKey.export({ type: 'spki', format: 'pem' }));
  assert.ok(!weak.ok && weak.error.weak && weak.error.reason.includes('too weak'));
});
