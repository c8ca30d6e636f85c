import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeCanonicalBase64, decodeCanonicalBase64url, encodeBase64 } from './base64.ts';

describe('base64: one spelling per value', () => {
  it('reads back what it writes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), (bytes) => {
        assert.deepEqual(decodeCanonicalBase64(encodeBase64(bytes)), Buffer.from(bytes));
      }),
    );
  });

  it('refuses what Node would decode leniently', () => {
    // 'AR==' and 'AQJ=' decode (leniently) to the same bytes as 'AQ==' and 'AQI=', with padding bits set.
    for (const text of ['', 'AQ', 'AQ=', 'AQ==\n', ' AQ==', 'AR==', 'AQJ=', 'A=Q=', 'AQ-_', 'AQ==AQ==', '====', 'AQ=\u00a0']) {
      assert.equal(decodeCanonicalBase64(text), undefined, JSON.stringify(text));
    }
    assert.deepEqual(decodeCanonicalBase64('AQI='), Buffer.from([1, 2]));
  });
});

describe('base64url: one spelling per value', () => {
  it('only canonical unpadded base64url is read', () => {
    assert.deepEqual(decodeCanonicalBase64url('c2ln'), Buffer.from('sig'));
    for (const text of ['', 'c2ln=', 'c2l+', 'c2l/', 'c', 'c2m', 'c2lu Zw']) assert.equal(decodeCanonicalBase64url(text), undefined, text);
    assert.deepEqual(decodeCanonicalBase64url('c2k'), Buffer.from('si'));
  });
});
