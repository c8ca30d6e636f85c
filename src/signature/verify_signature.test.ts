// Verification: what it accepts (both algorithms, a key rollover, the SDK's
// sorted re-serialisation) and, adversarially, that each attack is refused
// with 3105 and the reason that names it.
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { httpStatusOf } from '../fspiop/errors.ts';
import { signMessage, type SigningKey } from './sign_message.ts';
import { formatSignatureHeader } from './signature_header.ts';
import { verifySignature, type SignatureFailureReason, type SignatureVerification, type SignedRequest, type VerificationKey } from './verify_signature.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaNext = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const RSA: SigningKey = { kid: 'payer-rsa', alg: 'RS256', privateKey: rsa.privateKey };
const EC: SigningKey = { kid: 'payer-ec', alg: 'ES256', privateKey: ec.privateKey };
const payerKeys: VerificationKey[] = [{ kid: 'payer-rsa', publicKey: rsa.publicKey }, { kid: 'payer-ec', publicKey: ec.publicKey }];

const DATE = 'Tue, 03 Mar 2026 10:00:00 GMT';
const TRANSFER_A = '0194d5c8-3b0e-7c7a-9d7e-1f2a3b4c5d6e';
const TRANSFER_B = '0194d5c8-3b0e-7c7a-9d7e-1f2a3b4c5d6f';

function prepare(transferId: string, amount = '100') {
  return {
    transferId, payerFsp: 'payerfsp', payeeFsp: 'payeefsp', amount: { currency: 'USD', amount },
    ilpPacket: 'AYIBgQAAAAAAAASwNGxldmVsb25lLmRmc3AxLm1lci45T2RTOF81MDdqUUZERmZlakgyOVc4bXFmNEpLMHlGTFGCAUBQU0svMS4wCk5vbmNlOiB1SXlweUYzY3pYSXBFdzVVc05TYWh3CkVuY3J5cHRpb246IG5vbmUKUGF5bWVudC1JZDogMTMyMzZhM2ItOGZhOC00MTYzLTg0NDctNGMzZWQzZGE5OGE3CgpDb250ZW50LUxlbmd0aDogMTM1CkNvbnRlbnQtVHlwZTogYXBwbGljYXRpb24vanNvbgpTZW5kZXItSWRlbnRpZmllcjogOTI4MDYzOTEKCiJ7XCJmZWVcIjowLFwidHJhbnNmZXJDb2RlXCI6XCJpbnZvaWNlXCIsXCJkZWJpdE5hbWVcIjpcImFsaWNlIGNvb3BlclwiLFwiY3JlZGl0TmFtZVwiOlwibWVyIGNoYW50XCIsXCJkZWJpdElkZW50aWZpZXJcIjpcIjkyODA2MzkxXCJ9IgA',
    condition: 'GRzLaTP7DJ9t4P-a_BA0WA9wzzlsugf00-Tn6kESAfM', expiration: '2026-03-03T10:05:00.000Z',
  };
}

interface Sent {
  method?: string;
  uri?: string;
  source?: string;
  destination?: string | undefined;
  date?: string | undefined;
}

/** A request as a DFSP sends it: headers and body as signed by `key` with `signedAs`, sent as `sentAs`. */
async function signedRequest(body: unknown, key: SigningKey, signedAs: Sent = {}, sentAs: Sent = signedAs): Promise<SignedRequest> {
  const method = signedAs.method ?? 'POST';
  const uri = signedAs.uri ?? '/transfers';
  const signed = await signMessage({
    method, fspiopUri: uri, source: signedAs.source ?? 'payerfsp',
    destination: 'destination' in signedAs ? signedAs.destination : 'payeefsp',
    date: 'date' in signedAs ? signedAs.date : DATE, body,
  }, key);
  const destination = 'destination' in sentAs ? sentAs.destination : 'payeefsp';
  const date = 'date' in sentAs ? sentAs.date : DATE;
  return {
    method: sentAs.method ?? method,
    fspiopUri: sentAs.uri ?? uri,
    headers: {
      'content-type': 'application/vnd.interoperability.transfers+json;version=1.1',
      'fspiop-source': sentAs.source ?? 'payerfsp',
      ...(destination === undefined ? {} : { 'fspiop-destination': destination }),
      ...(date === undefined ? {} : { date }),
      'fspiop-signature': signed.signature,
    },
    rawBody: Buffer.from(signed.body, 'utf8'),
  };
}

function withHeader(request: SignedRequest, name: string, value: string | string[] | undefined): SignedRequest {
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([key]) => key !== name));
  return { ...request, headers: value === undefined ? headers : { ...headers, [name]: value } };
}

/** A JWS made by hand, for what jose would refuse to make (alg none, HS256, RSA 1024, a lower-case method). */
function handMade(header: Record<string, unknown>, body: Buffer, signWith: (input: Buffer) => Buffer): string {
  const protectedHeader = Buffer.from(JSON.stringify(header), 'utf8').toString('base64url');
  const input = Buffer.from(`${protectedHeader}.${body.toString('base64url')}`, 'ascii');
  return formatSignatureHeader({ protectedHeader, signature: signWith(input).toString('base64url') });
}

const HEADER = { 'FSPIOP-URI': '/transfers', 'FSPIOP-HTTP-Method': 'POST', 'FSPIOP-Source': 'payerfsp', 'FSPIOP-Destination': 'payeefsp', Date: DATE };

function assertRefused(result: SignatureVerification, reason: SignatureFailureReason, field?: string): void {
  if (result.ok) assert.fail(`expected ${reason}, got a verified signature`);
  assert.equal(result.reason, reason, `${result.reason}: ${result.error.detail}`);
  assert.equal(result.error.code, '3105');
  assert.equal(httpStatusOf(result.error), 400);
  if (field !== undefined) assert.equal(result.field, field);
}

function assertVerified(result: SignatureVerification, kid: string, form: 'raw' | 'sorted' = 'raw'): void {
  assert.ok(result.ok, result.ok ? '' : `${result.reason}: ${result.error.detail}`);
  assert.equal(result.value.kid, kid);
  assert.equal(result.value.payloadForm, form);
}

// --- what is accepted ----------------------------------------------------------------

test('an RS256 and an ES256 signature over the raw body verify, naming the key used', async () => {
  assertVerified(await verifySignature(await signedRequest(prepare(TRANSFER_A), RSA), payerKeys), 'payer-rsa');
  const es = await verifySignature(await signedRequest(prepare(TRANSFER_A), EC), payerKeys);
  assertVerified(es, 'payer-ec');
  assert.equal(es.ok && es.value.alg, 'ES256');
});

test('during a rollover either of two keys verifies', async () => {
  const keys = [{ kid: 'old', publicKey: rsa.publicKey }, { kid: 'new', publicKey: rsaNext.publicKey }];
  assertVerified(await verifySignature(await signedRequest(prepare(TRANSFER_A), { kid: 'x', alg: 'RS256', privateKey: rsaNext.privateKey }), keys), 'new');
  assertVerified(await verifySignature(await signedRequest(prepare(TRANSFER_A), RSA), keys), 'old');
});

test('a body re-serialised on the way (other member order, spaces) verifies against the sorted form the SDK signs', async () => {
  const request = await signedRequest(prepare(TRANSFER_A), RSA);
  const pretty = JSON.stringify(JSON.parse(Buffer.from(request.rawBody).toString('utf8')) as unknown, ['transferId', 'payeeFsp', 'payerFsp', 'amount', 'amount', 'currency', 'ilpPacket', 'condition', 'expiration'], 2);
  assert.notEqual(pretty, Buffer.from(request.rawBody).toString('utf8'));
  assertVerified(await verifySignature({ ...request, rawBody: Buffer.from(pretty) }, payerKeys), 'payer-rsa', 'sorted');
});

test('the sorted form is not taken for other spellings of the same values (escapes, a byte-order mark, duplicate members)', async () => {
  const request = await signedRequest(prepare(TRANSFER_A), RSA);
  const text = Buffer.from(request.rawBody).toString('utf8');
  for (const variant of [
    text.replace('"100"', '"\\u0031\\u0030\\u0030"'),
    `\uFEFF${text}`,
    text.replace('{', '{"amount":{"amount":"1","currency":"USD"},'),
  ]) {
    assert.deepEqual(JSON.parse(variant.replace(/^\uFEFF/, '')), JSON.parse(text), 'the variant means the same to JSON.parse');
    assertRefused(await verifySignature({ ...request, rawBody: Buffer.from(variant) }, payerKeys), 'bad_signature');
  }
});

test('the protected header kid, when present, picks the key', async () => {
  const body = Buffer.from(JSON.stringify(prepare(TRANSFER_A)));
  const signature = handMade({ alg: 'RS256', kid: 'payer-rsa', ...HEADER }, body, (input) => nodeSign('sha256', input, rsa.privateKey));
  const request = { ...(await signedRequest(prepare(TRANSFER_A), RSA)), rawBody: body };
  assertVerified(await verifySignature(withHeader(request, 'fspiop-signature', signature), payerKeys), 'payer-rsa');
  const unknown = handMade({ alg: 'RS256', kid: 'not-registered', ...HEADER }, body, (input) => nodeSign('sha256', input, rsa.privateKey));
  assertRefused(await verifySignature(withHeader(request, 'fspiop-signature', unknown), payerKeys), 'no_key');
});

// --- adversarial ------------------------------------------------------------------------

test('a tampered body is refused', async () => {
  const request = await signedRequest(prepare(TRANSFER_A), RSA);
  const tampered = Buffer.from(Buffer.from(request.rawBody).toString('utf8').replace('"100"', '"900"'));
  assertRefused(await verifySignature({ ...request, rawBody: tampered }, payerKeys), 'bad_signature');
});

test('a tampered protected header is refused', async () => {
  const request = await signedRequest(prepare(TRANSFER_A), RSA);
  const { protectedHeader, signature } = JSON.parse(request.headers['fspiop-signature'] as string) as { protectedHeader: string; signature: string };
  const header = JSON.parse(Buffer.from(protectedHeader, 'base64url').toString('utf8')) as Record<string, string>;
  const forged = Buffer.from(JSON.stringify({ ...header, 'FSPIOP-Destination': 'otherfsp' })).toString('base64url');
  const result = await verifySignature(withHeader({ ...request, headers: { ...request.headers, 'fspiop-destination': 'otherfsp' } }, 'fspiop-signature', formatSignatureHeader({ protectedHeader: forged, signature })), payerKeys);
  assertRefused(result, 'bad_signature');
});

test('a signature replayed on another transfer\'s body is refused: the body is covered', async () => {
  const a = await signedRequest(prepare(TRANSFER_A), RSA);
  const b = await signedRequest(prepare(TRANSFER_B), RSA);
  assertRefused(await verifySignature({ ...b, headers: a.headers }, payerKeys), 'bad_signature');
  assertRefused(await verifySignature({ ...a, headers: b.headers }, payerKeys), 'bad_signature');
});

test('FSPIOP-URI swapped: a signature for one path is refused on another', async () => {
  const fulfil = { transferState: 'COMMITTED', fulfilment: 'WLctttbu2HvTsa1XWvUoGRcQozHsqeu9Ahl2JW9Bsu8', completedTimestamp: '2026-03-03T10:00:01.000Z' };
  const request = await signedRequest(fulfil, RSA, { method: 'PUT', uri: `/transfers/${TRANSFER_A}` }, { method: 'PUT', uri: `/transfers/${TRANSFER_B}` });
  assertRefused(await verifySignature(request, payerKeys), 'header_mismatch', 'FSPIOP-URI');
  // The FSPIOP-URI header, when sent, must say what was signed too.
  const honest = await signedRequest(fulfil, RSA, { method: 'PUT', uri: `/transfers/${TRANSFER_A}` });
  assertVerified(await verifySignature(withHeader(honest, 'fspiop-uri', `/transfers/${TRANSFER_A}`), payerKeys), 'payer-rsa');
  assertRefused(await verifySignature(withHeader(honest, 'fspiop-uri', `/transfers/${TRANSFER_B}`), payerKeys), 'header_mismatch', 'FSPIOP-URI');
});

test('method swapped: a signature for PUT is refused on POST, and the method must be upper-case as signed', async () => {
  const request = await signedRequest(prepare(TRANSFER_A), RSA, { method: 'PUT' }, { method: 'POST' });
  assertRefused(await verifySignature(request, payerKeys), 'header_mismatch', 'FSPIOP-HTTP-Method');
  const honest = await signedRequest(prepare(TRANSFER_A), RSA);
  assertRefused(await verifySignature(withHeader(honest, 'fspiop-http-method', 'PUT'), payerKeys), 'header_mismatch', 'FSPIOP-HTTP-Method');
  const body = Buffer.from(JSON.stringify(prepare(TRANSFER_A)));
  const lowerCase = handMade({ alg: 'RS256', ...HEADER, 'FSPIOP-HTTP-Method': 'post' }, body, (input) => nodeSign('sha256', input, rsa.privateKey));
  assertRefused(await verifySignature(withHeader({ ...honest, rawBody: body }, 'fspiop-signature', lowerCase), payerKeys), 'header_mismatch', 'FSPIOP-HTTP-Method');
  // The request line's method is compared upper-cased, as HTTP methods are case-sensitive tokens that Node gives upper-case.
  assertVerified(await verifySignature({ ...honest, method: 'post' }, payerKeys), 'payer-rsa');
});

test('FSPIOP-Source mismatch: what the key signed as another source is refused', async () => {
  const request = await signedRequest(prepare(TRANSFER_A), RSA, { source: 'payeefsp' }, { source: 'payerfsp' });
  assertRefused(await verifySignature(request, payerKeys), 'header_mismatch', 'FSPIOP-Source');
  assertRefused(await verifySignature(withHeader(await signedRequest(prepare(TRANSFER_A), RSA), 'fspiop-source', undefined), payerKeys), 'header_mismatch', 'FSPIOP-Source');
});

test('FSPIOP-Destination mismatch, and a destination signed but not sent or sent but not signed, are refused', async () => {
  assertRefused(await verifySignature(await signedRequest(prepare(TRANSFER_A), RSA, {}, { destination: 'otherfsp' }), payerKeys), 'header_mismatch', 'FSPIOP-Destination');
  assertRefused(await verifySignature(await signedRequest(prepare(TRANSFER_A), RSA, {}, { destination: undefined }), payerKeys), 'header_mismatch', 'FSPIOP-Destination');
  assertRefused(await verifySignature(await signedRequest(prepare(TRANSFER_A), RSA, { destination: undefined }, { destination: 'payeefsp' }), payerKeys), 'header_mismatch', 'FSPIOP-Destination');
  assertVerified(await verifySignature(await signedRequest(prepare(TRANSFER_A), RSA, { destination: undefined }), payerKeys), 'payer-rsa');
});

test('Date: a request carrying Date must have it signed, with the same text', async () => {
  assertRefused(await verifySignature(await signedRequest(prepare(TRANSFER_A), RSA, {}, { date: 'Tue, 03 Mar 2026 10:00:01 GMT' }), payerKeys), 'header_mismatch', 'Date');
  assertRefused(await verifySignature(await signedRequest(prepare(TRANSFER_A), RSA, { date: undefined }, { date: DATE }), payerKeys), 'header_mismatch', 'Date');
  assertRefused(await verifySignature(await signedRequest(prepare(TRANSFER_A), RSA, {}, { date: undefined }), payerKeys), 'header_mismatch', 'Date');
  assertVerified(await verifySignature(await signedRequest(prepare(TRANSFER_A), RSA, { date: undefined }), payerKeys), 'payer-rsa');
});

test('a signature by a key the source does not hold is refused', async () => {
  const request = await signedRequest(prepare(TRANSFER_A), { kid: 'stranger', alg: 'RS256', privateKey: stranger.privateKey });
  assertRefused(await verifySignature(request, payerKeys), 'bad_signature');
  assertRefused(await verifySignature(await signedRequest(prepare(TRANSFER_A), RSA), []), 'no_key');
  // An ES256 signature when the source holds only RSA keys: no key to try.
  assertRefused(await verifySignature(await signedRequest(prepare(TRANSFER_A), EC), [{ kid: 'rsa', publicKey: rsa.publicKey }]), 'no_key');
});

test('algorithm confusion: HS256 keyed with the public key\'s bytes is refused before any key is used', async () => {
  const body = Buffer.from(JSON.stringify(prepare(TRANSFER_A)));
  const request = { ...(await signedRequest(prepare(TRANSFER_A), RSA)), rawBody: body };
  for (const secret of [rsa.publicKey.export({ type: 'spki', format: 'pem' }), rsa.publicKey.export({ type: 'spki', format: 'der' })]) {
    const hs256 = handMade({ alg: 'HS256', ...HEADER }, body, (input) => createHmac('sha256', secret).update(input).digest());
    assertRefused(await verifySignature(withHeader(request, 'fspiop-signature', hs256), payerKeys), 'bad_alg');
  }
});

test('alg none, missing, and every algorithm but RS256 and ES256 are refused', async () => {
  const body = Buffer.from(JSON.stringify(prepare(TRANSFER_A)));
  const request = { ...(await signedRequest(prepare(TRANSFER_A), RSA)), rawBody: body };
  const none = formatSignatureHeader({ protectedHeader: Buffer.from(JSON.stringify({ alg: 'none', ...HEADER })).toString('base64url'), signature: 'AA' });
  assertRefused(await verifySignature(withHeader(request, 'fspiop-signature', none), payerKeys), 'bad_alg');
  for (const alg of [undefined, 'None', 'RS384', 'RS512', 'PS256', 'ES384', 'EdDSA', 'HS512', 7]) {
    const header = alg === undefined ? { ...HEADER } : { alg, ...HEADER };
    const signature = handMade(header, body, (input) => nodeSign('sha256', input, rsa.privateKey));
    assertRefused(await verifySignature(withHeader(request, 'fspiop-signature', signature), payerKeys), 'bad_alg');
  }
});

test('a truncated signature is refused', async () => {
  const request = await signedRequest(prepare(TRANSFER_A), RSA);
  const { protectedHeader, signature } = JSON.parse(request.headers['fspiop-signature'] as string) as { protectedHeader: string; signature: string };
  const cut = signature.slice(0, 4 * Math.floor(signature.length / 4) - 4); // whole quanta: still canonical base64url
  assertRefused(await verifySignature(withHeader(request, 'fspiop-signature', formatSignatureHeader({ protectedHeader, signature: cut })), payerKeys), 'bad_signature');
  const esRequest = await signedRequest(prepare(TRANSFER_A), EC);
  const es = JSON.parse(esRequest.headers['fspiop-signature'] as string) as { protectedHeader: string; signature: string };
  assertRefused(await verifySignature(withHeader(esRequest, 'fspiop-signature', formatSignatureHeader({ protectedHeader: es.protectedHeader, signature: es.signature.slice(0, 40) })), payerKeys), 'bad_signature');
  assertRefused(await verifySignature(withHeader(request, 'fspiop-signature', formatSignatureHeader({ protectedHeader, signature: '' })), payerKeys), 'malformed');
  assertRefused(await verifySignature(withHeader(request, 'fspiop-signature', formatSignatureHeader({ protectedHeader: protectedHeader.slice(0, 20), signature })), payerKeys), 'malformed');
});

test('a missing FSPIOP-Signature is refused as missing', async () => {
  const request = await signedRequest(prepare(TRANSFER_A), RSA);
  assertRefused(await verifySignature(withHeader(request, 'fspiop-signature', undefined), payerKeys), 'missing_header');
  assertRefused(await verifySignature(withHeader(request, 'fspiop-signature', ''), payerKeys), 'missing_header');
});

test('malformed FSPIOP-Signature values are refused as malformed', async () => {
  const request = await signedRequest(prepare(TRANSFER_A), RSA);
  const good = JSON.parse(request.headers['fspiop-signature'] as string) as { protectedHeader: string; signature: string };
  const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
  const values = [
    '{"signature":',
    'not json',
    '[]',
    'null',
    JSON.stringify({ signature: good.signature }),
    JSON.stringify({ protectedHeader: good.protectedHeader }),
    JSON.stringify({ protectedHeader: good.protectedHeader, signature: 42 }),
    JSON.stringify({ protectedHeader: `${good.protectedHeader}=`, signature: good.signature }),
    JSON.stringify({ protectedHeader: good.protectedHeader.replace(/-/g, '+'), signature: good.signature.replace(/_/g, '/') + '+/' }),
    JSON.stringify({ protectedHeader: b64('not json'), signature: good.signature }),
    JSON.stringify({ protectedHeader: b64([1, 2]), signature: good.signature }),
    JSON.stringify({ protectedHeader: Buffer.from([0xc3, 0x28]).toString('base64url'), signature: good.signature }),
    JSON.stringify({ protectedHeader: b64({ alg: 'RS256', ...HEADER, 'FSPIOP-URI': ['/transfers'] }), signature: good.signature }),
    JSON.stringify({ protectedHeader: b64({ alg: 'RS256', ...HEADER, crit: ['exp'], exp: 1 }), signature: good.signature }),
    JSON.stringify({ protectedHeader: b64({ alg: 'RS256', ...HEADER, crit: ['b64'], b64: false }), signature: good.signature }),
    'x'.repeat(9000),
  ];
  for (const value of values) {
    assertRefused(await verifySignature(withHeader(request, 'fspiop-signature', value), payerKeys), 'malformed');
  }
  assertRefused(await verifySignature(withHeader(request, 'fspiop-signature', [request.headers['fspiop-signature'] as string, 'x']), payerKeys), 'malformed');
});

test('an RSA 1024 key is refused at verification, even when the signature is good', async () => {
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const body = Buffer.from(JSON.stringify(prepare(TRANSFER_A)));
  const signature = handMade({ alg: 'RS256', ...HEADER }, body, (input) => nodeSign('sha256', input, weak.privateKey));
  const request = withHeader({ ...(await signedRequest(prepare(TRANSFER_A), RSA)), rawBody: body }, 'fspiop-signature', signature);
  assertRefused(await verifySignature(request, [{ kid: 'weak', publicKey: weak.publicKey }]), 'key_too_weak');
  // Beside a good key of the other algorithm, the weak one is still never used.
  assertRefused(await verifySignature(request, [{ kid: 'weak', publicKey: weak.publicKey }, { kid: 'ec', publicKey: ec.publicKey }]), 'key_too_weak');
});

test('an EC key not on P-256 is never used for ES256', async () => {
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const body = Buffer.from(JSON.stringify(prepare(TRANSFER_A)));
  const signature = handMade({ alg: 'ES256', ...HEADER }, body, (input) => nodeSign('sha256', input, { key: p384.privateKey, dsaEncoding: 'ieee-p1363' }));
  const request = withHeader({ ...(await signedRequest(prepare(TRANSFER_A), RSA)), rawBody: body }, 'fspiop-signature', signature);
  assertRefused(await verifySignature(request, [{ kid: 'p384', publicKey: p384.publicKey }]), 'no_key');
});

test('a private key passed as a verification key is a programmer error', async () => {
  const request = await signedRequest(prepare(TRANSFER_A), RSA);
  await assert.rejects(verifySignature(request, [{ kid: 'oops', publicKey: rsa.privateKey }]), TypeError);
});

// --- property -------------------------------------------------------------------------

const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];
const hasForbiddenKey = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && (Array.isArray(value)
    ? value.some(hasForbiddenKey)
    : Object.entries(value).some(([key, item]) => FORBIDDEN_KEYS.includes(key) || hasForbiddenKey(item)));

const body = fc.oneof(
  fc.record({ transferId: fc.uuid(), amount: fc.record({ currency: fc.constantFrom('USD', 'EUR', 'XOF'), amount: fc.tuple(fc.integer({ min: 1, max: 999_999_999 }), fc.integer({ min: 0, max: 99 })).map(([units, cents]) => (cents === 0 ? `${units}` : `${units}.${cents}`)) }), note: fc.string({ unit: 'grapheme' }) }),
  // Keys the FSPIOP body shape check refuses anyway (at any depth) are left out.
  fc.dictionary(fc.string({ maxLength: 20 }).filter((k) => !FORBIDDEN_KEYS.includes(k)), fc.jsonValue({ maxDepth: 3 }).filter((v) => !hasForbiddenKey(v)), { minKeys: 1, maxKeys: 8 }),
);

for (const key of [RSA, EC]) {
  test(`property (${key.alg}): any single-byte change of the body makes verification fail`, async () => {
    await fc.assert(fc.asyncProperty(body, fc.nat(), fc.integer({ min: 1, max: 255 }), async (value, at, flip) => {
      const request = await signedRequest(value, key);
      const bytes = Buffer.from(request.rawBody);
      const index = at % bytes.length;
      bytes[index] = (bytes[index]! ^ flip) & 0xff;
      const result = await verifySignature({ ...request, rawBody: bytes }, payerKeys);
      if (result.ok) assert.fail(`a changed byte at ${index} verified`);
      assert.equal(result.reason, 'bad_signature');
    }), { numRuns: 200 });
  });
}

test('property: the same body with its members in any order and any spacing verifies', async () => {
  await fc.assert(fc.asyncProperty(body, fc.constantFrom(0, 1, 2, '\t'), fc.boolean(), async (value, space, reverse) => {
    const request = await signedRequest(value, RSA);
    const reorder = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(reorder);
      if (typeof v !== 'object' || v === null) return v;
      const entries = Object.entries(v).map(([k, item]) => [k, reorder(item)] as const);
      return Object.fromEntries(reverse ? entries.reverse() : entries);
    };
    const resent = JSON.stringify(reorder(JSON.parse(Buffer.from(request.rawBody).toString('utf8'))), null, space);
    const result = await verifySignature({ ...request, rawBody: Buffer.from(resent) }, payerKeys);
    assert.ok(result.ok, result.ok ? '' : `${result.reason}: ${result.error.detail} for ${resent}`);
  }), { numRuns: 100 });
});
