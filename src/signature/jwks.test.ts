import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { calculateJwkThumbprint } from 'jose';
import { jwksOf, publicJwkOf } from './jwks.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

test('a JWK Set of public members only, each with kid, alg and use', async () => {
  const set = jwksOf([{ kid: 'r', alg: 'RS256', publicKey: rsa.publicKey }, { kid: 'e', alg: 'ES256', publicKey: ec.publicKey }]);
  assert.deepEqual(set.keys.map((k) => Object.keys(k).sort()), [['alg', 'e', 'kid', 'kty', 'n', 'use'], ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']]);
  assert.deepEqual(set.keys.map((k) => [k.kid, k.alg, k.use, k.kty]), [['r', 'RS256', 'sig', 'RSA'], ['e', 'ES256', 'sig', 'EC']]);
  // A DFSP can rebuild each key, and its thumbprint, from what is published.
  for (const [i, key] of [rsa.publicKey, ec.publicKey].entries()) {
    const jwk = set.keys[i]!;
    assert.ok(createPublicKey({ key: { ...jwk }, format: 'jwk' }).equals(key));
    assert.equal(await calculateJwkThumbprint({ ...jwk }), await calculateJwkThumbprint(key.export({ format: 'jwk' })));
  }
});

test('a private key is never exported: programmer error', () => {
  assert.throws(() => publicJwkOf({ kid: 'r', alg: 'RS256', publicKey: rsa.privateKey }), /not a public key/);
});
