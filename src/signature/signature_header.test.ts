import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeProtectedHeader, formatSignatureHeader, parseSignatureHeader } from './signature_header.ts';

const protectedHeader = Buffer.from('{"alg":"RS256"}').toString('base64url');

test('written as the SDK writes it, and read back', () => {
  const text = formatSignatureHeader({ signature: 'c2ln', protectedHeader });
  assert.equal(text, `{"protectedHeader":"${protectedHeader}","signature":"c2ln"}`);
  assert.deepEqual(parseSignatureHeader(text), { ok: true, value: { protectedHeader, signature: 'c2ln' } });
  // Unsigned extra members are ignored, as the SDK's validator ignores them.
  assert.ok(parseSignatureHeader(JSON.stringify({ signature: 'c2ln', protectedHeader, note: 1 })).ok);
});

test('a protected header must be UTF-8 JSON and an object', () => {
  assert.deepEqual(decodeProtectedHeader(protectedHeader), { ok: true, value: { alg: 'RS256' } });
  for (const bytes of [Buffer.from('[1]'), Buffer.from('"x"'), Buffer.from('{'), Buffer.from([0xff, 0xfe]), Buffer.from('\uFEFF{}')]) {
    assert.equal(decodeProtectedHeader(bytes.toString('base64url')).ok, false, bytes.toString('hex'));
  }
});

test('refusals say what is wrong without echoing the value', () => {
  for (const value of ['{', '[]', '{"signature":"c2ln"}', '{"protectedHeader":"e30","signature":"a b"}', 'z'.repeat(8193)]) {
    const parsed = parseSignatureHeader(value);
    assert.equal(parsed.ok, false);
    assert.ok(!parsed.ok);
    assert.ok(!parsed.error.includes(value.slice(0, 20)) && parsed.error.startsWith('FSPIOP-Signature'));
  }
});

test('a header or protected header giving a member twice is refused, not read one way (the recipient may read the other)', () => {
  const twice = parseSignatureHeader(`{"protectedHeader":"${protectedHeader}","signature":"c2ln","signature":"b3RoZXI"}`);
  assert.ok(!twice.ok);
  assert.match(twice.error, /^FSPIOP-Signature is ambiguous: member "signature" is given twice/);
  for (const json of ['{"alg":"RS256","FSPIOP-URI":"/transfers","FSPIOP-URI":"/quotes"}', '{"alg":"RS256","\\u0061lg":"none"}']) {
    const decoded = decodeProtectedHeader(Buffer.from(json).toString('base64url'));
    assert.ok(!decoded.ok, json);
    assert.match(decoded.error, /^the protected header is ambiguous: member "(FSPIOP-URI|alg)" is given twice/);
  }
});
