import assert from 'node:assert/strict';
import { test } from 'node:test';
import { URI } from 'otpauth';
import { acceptTotp, newTotpSecret, totpCode, totpUri } from './totp.ts';

const T0 = Date.parse('2026-03-01T12:00:00Z');

test('a code is accepted once, for its step or one either side', () => {
  const secret = newTotpSecret();
  const code = totpCode(secret, T0);
  const step = Math.floor(T0 / 30_000);
  assert.equal(acceptTotp(secret, code, null, T0), step);
  // Replayed in the same window: refused.
  assert.equal(acceptTotp(secret, code, step, T0 + 5_000), undefined);
  // The next step's code is fine after it.
  assert.equal(acceptTotp(secret, totpCode(secret, T0 + 30_000), step, T0 + 30_000), step + 1);
  // Drift of one step is tolerated, two is not.
  assert.ok(acceptTotp(secret, totpCode(secret, T0 - 30_000), null, T0) !== undefined);
  assert.equal(acceptTotp(secret, totpCode(secret, T0 - 90_000), null, T0), undefined);
});

test('malformed and wrong codes are refused', () => {
  const secret = newTotpSecret();
  for (const code of ['', '12345', '1234567', 'abcdef', ' 123456']) assert.equal(acceptTotp(secret, code, null, T0), undefined, code);
  const right = totpCode(secret, T0);
  const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
  assert.equal(acceptTotp(secret, wrong, null, T0), undefined);
});

test('the otpauth URI is what authenticator apps read', () => {
  const secret = newTotpSecret();
  const uri = totpUri(secret, 'alice');
  assert.equal(URI.parse(uri).secret.base32, secret);
  assert.match(uri, /^otpauth:\/\/totp\/Interlock:alice\?/);
  assert.ok(uri.includes(`secret=${secret}`));
  assert.match(uri, /digits=6/);
  assert.match(uri, /period=30/);
});
