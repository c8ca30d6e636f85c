// Signing: the form of what the hub signs (protected header, payload, header
// value), and the refusals that guard it. Interop with the SDK's validator is
// in sdk_interop.test.ts.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { hubHeaders } from '../fspiop/inbound.ts';
import { canonicalJson } from '../support/canonical_json.ts';
import { signMessage, signOutgoingRequest, type SigningKey } from './sign_message.ts';
import { verifySignature } from './verify_signature.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const RSA: SigningKey = { kid: 'hub-rsa', alg: 'RS256', privateKey: rsa.privateKey };
const EC: SigningKey = { kid: 'hub-ec', alg: 'ES256', privateKey: ec.privateKey };
const hubKeys = [{ kid: 'hub-rsa', publicKey: rsa.publicKey }, { kid: 'hub-ec', publicKey: ec.publicKey }];

const TRANSFER = '0194d5c8-3b0e-7c7a-9d7e-1f2a3b4c5d6e';
const PATCH_BODY = { transferState: 'COMMITTED', completedTimestamp: '2026-03-03T10:00:01.000Z' };

function decoded(signature: string): { header: Record<string, unknown>; headerText: string; parts: Record<string, unknown> } {
  const parts = JSON.parse(signature) as Record<string, string>;
  const headerText = Buffer.from(parts['protectedHeader'] ?? '', 'base64url').toString('utf8');
  return { header: JSON.parse(headerText) as Record<string, unknown>, headerText, parts };
}

for (const key of [RSA, EC]) {
  test(`${key.alg}: the protected header is the SDK's, member for member and in its order`, async () => {
    const signed = await signMessage({ method: 'patch', fspiopUri: `/transfers/${TRANSFER}`, source: 'Hub', destination: 'payeefsp', date: 'Tue, 03 Mar 2026 10:00:01 GMT', body: PATCH_BODY }, key);
    const { header, headerText, parts } = decoded(signed.signature);
    assert.equal(headerText, JSON.stringify({ alg: key.alg, 'FSPIOP-URI': `/transfers/${TRANSFER}`, 'FSPIOP-HTTP-Method': 'PATCH', 'FSPIOP-Source': 'Hub', 'FSPIOP-Destination': 'payeefsp', Date: 'Tue, 03 Mar 2026 10:00:01 GMT' }));
    assert.deepEqual(header, signed.protectedHeader);
    // The header value as the SDK writes it: keys sorted, no spaces, nothing else.
    assert.deepEqual(Object.keys(parts), ['protectedHeader', 'signature']);
    assert.equal(signed.signature, `{"protectedHeader":"${String(parts['protectedHeader'])}","signature":"${String(parts['signature'])}"}`);
  });
}

test('the body signed and sent is sorted-key compact JSON, whatever order the value had', async () => {
  const signed = await signMessage({ method: 'PUT', fspiopUri: `/transfers/${TRANSFER}/error`, source: 'Hub', body: { errorInformation: { errorDescription: 'Transfer expired', errorCode: '3303' } } }, RSA);
  assert.equal(signed.body, '{"errorInformation":{"errorCode":"3303","errorDescription":"Transfer expired"}}');
});

test('FSPIOP-Destination and Date are signed only when given', async () => {
  const signed = await signMessage({ method: 'PUT', fspiopUri: `/transfers/${TRANSFER}`, source: 'Hub', destination: undefined, date: '', body: PATCH_BODY }, RSA);
  assert.deepEqual(Object.keys(decoded(signed.signature).header), ['alg', 'FSPIOP-URI', 'FSPIOP-HTTP-Method', 'FSPIOP-Source']);
});

test('a bodyless request (GET, DELETE) is never signed, as in Mojaloop', async () => {
  for (const method of ['GET', 'DELETE', 'HEAD']) {
    await assert.rejects(signMessage({ method, fspiopUri: `/transfers/${TRANSFER}`, source: 'Hub', body: {} }, RSA), /carry no body/);
  }
  await assert.rejects(signMessage({ method: 'PUT', fspiopUri: `/transfers/${TRANSFER}`, source: 'Hub', body: undefined }, RSA), /JSON object/);
  await assert.rejects(signMessage({ method: 'PUT', fspiopUri: `/transfers/${TRANSFER}`, source: 'Hub', body: 'text' }, RSA), /JSON object/);
});

test('a key that is not what it claims, or not private, is a programmer error', async () => {
  const message = { method: 'PUT', fspiopUri: `/transfers/${TRANSFER}`, source: 'Hub', body: PATCH_BODY };
  await assert.rejects(signMessage(message, { kid: 'x', alg: 'ES256', privateKey: rsa.privateKey }), /does not sign ES256/);
  await assert.rejects(signMessage(message, { kid: 'x', alg: 'RS256', privateKey: rsa.publicKey }), /private key/);
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
  await assert.rejects(signMessage(message, { kid: 'x', alg: 'RS256', privateKey: weak.privateKey }), /does not sign RS256/);
});

test('signOutgoingRequest signs a hub message from its own headers, and Interlock verifies it', async () => {
  for (const key of [RSA, EC]) {
    const headers = hubHeaders('transfers', 'payeefsp', 'PATCH', `/transfers/${TRANSFER}`, '1.1', Date.parse('2026-03-03T10:00:01Z'));
    const body = canonicalJson(PATCH_BODY);
    const sent = await signOutgoingRequest({ method: 'PATCH', headers, body }, key);
    assert.equal(sent['fspiop-http-method'], 'PATCH');
    assert.equal(sent['fspiop-uri'], `/transfers/${TRANSFER}`);
    assert.equal(sent['date'], headers['date']);
    const verified = await verifySignature({ method: 'PATCH', fspiopUri: `/transfers/${TRANSFER}`, headers: sent, rawBody: Buffer.from(body) }, hubKeys);
    assert.ok(verified.ok && verified.value.kid === key.kid && verified.value.payloadForm === 'raw');
  }
});

test('signOutgoingRequest refuses a body SDK peers would not verify (not sorted-key compact JSON)', async () => {
  const headers = hubHeaders('transfers', 'payeefsp', 'PATCH', `/transfers/${TRANSFER}`, '1.1', Date.parse('2026-03-03T10:00:01Z'));
  await assert.rejects(signOutgoingRequest({ method: 'PATCH', headers, body: JSON.stringify(PATCH_BODY) }, RSA), /sorted-key compact JSON/);
  await assert.rejects(signOutgoingRequest({ method: 'PATCH', headers, body: JSON.stringify(PATCH_BODY, null, 1) }, RSA), /sorted-key compact JSON/);
});
