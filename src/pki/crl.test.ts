import assert from 'node:assert/strict';
import { createSecureContext } from 'node:tls';
import { after, before, test } from 'node:test';
import { crlNumberOf, revokedSerialsOf, signCrl } from './crl.ts';
import { HOUR_MS } from './limits.ts';
import { pemToDer } from './pem.ts';
import { createTestPki, type TestPki } from './testing.ts';
import { nodeCrypto, x509 } from './x509.ts';

let pki: TestPki;
before(async () => { pki = await createTestPki(); });
after(() => { pki.dispose(); });

const nowMs = Date.UTC(2026, 0, 1, 12, 0, 0);

test('a CRL carries its number, thisUpdate, nextUpdate, the issuer key id, and each entry with its date and reason', async () => {
  const crl = await signCrl({
    issuer: pki.ca.intermediate, signingKey: pki.ca.intermediateKey, crlNumber: 7, thisUpdateMs: nowMs, nextUpdateMs: nowMs + 48 * HOUR_MS,
    entries: [
      { serialHex: '4a'.repeat(16), revokedAtMs: nowMs - 1_000, reason: 'keyCompromise' },
      { serialHex: '5b'.repeat(16), revokedAtMs: nowMs - 2_000, reason: 'unspecified' },
    ],
  });
  assert.equal(crl.crlNumber, 7);
  assert.equal(crlNumberOf(crl.pem), 7);
  const parsed = new x509.X509Crl(pemToDer(crl.pem));
  assert.ok(await parsed.verify({ publicKey: pki.ca.intermediate }, nodeCrypto));
  assert.equal(await parsed.verify({ publicKey: pki.ca.root }, nodeCrypto), false);
  assert.equal(parsed.thisUpdate.getTime(), nowMs);
  assert.equal(parsed.nextUpdate?.getTime(), nowMs + 48 * HOUR_MS);
  assert.equal(parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, pki.ca.intermediateKeyId);
  const compromised = parsed.findRevoked('4a'.repeat(16));
  assert.ok(compromised);
  assert.equal(compromised.reason, x509.X509CrlReason.keyCompromise);
  assert.equal(compromised.revocationDate.getTime(), nowMs - 1_000);
  // "unspecified" is left out, as RFC 5280 §5.3.1 asks.
  assert.equal(parsed.findRevoked('5b'.repeat(16))?.reason, undefined);
  assert.deepEqual(revokedSerialsOf(crl.pem), new Set(['4a'.repeat(16), '5b'.repeat(16)]));
});

test('the PEM is labelled X509 CRL, which node:tls takes; the library\'s own BEGIN CRL label it refuses', async () => {
  const crl = await signCrl({ issuer: pki.ca.intermediate, signingKey: pki.ca.intermediateKey, crlNumber: 1, thisUpdateMs: nowMs, nextUpdateMs: nowMs + HOUR_MS, entries: [] });
  assert.match(crl.pem, /^-----BEGIN X509 CRL-----\n/);
  assert.doesNotThrow(() => createSecureContext({ crl: crl.pem }));
  const libraryPem = new x509.X509Crl(pemToDer(crl.pem)).toString('pem');
  assert.match(libraryPem, /BEGIN CRL/);
  assert.throws(() => createSecureContext({ crl: libraryPem }));
});

test('the root CRL from init is signed by the root, with CRL number 1', () => {
  assert.equal(crlNumberOf(pki.ca.rootCrlPem), 1);
  assert.deepEqual(revokedSerialsOf(pki.ca.rootCrlPem), new Set());
  assert.equal(pki.ca.rootCrlNextUpdateMs, pki.ca.intermediate.notAfter.getTime());
});
