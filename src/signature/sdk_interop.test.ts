// Interop both ways with Mojaloop's JWS (@mojaloop/sdk-standard-components
// 19.19.1, Jws.signer and Jws.validator, as DFSPs on the SDK and the
// sdk-scheme-adapter use them): what the SDK signs, Interlock verifies; what
// Interlock signs, the SDK accepts; and each side refuses the other's
// tampered messages.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { fspiopUriOf } from './fspiop_uri.ts';
import { sdkJwsSigner, sdkJwsValidator, type SdkRequestOptions } from '../testing/sdk_jws_peer.ts';
import { signMessage, signOutgoingRequest, type SigningKey } from './sign_message.ts';
import { verifySignature, type SignedRequest } from './verify_signature.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const pem = (key: KeyObject, type: 'pkcs1' | 'pkcs8' | 'sec1' | 'spki') => key.export({ type, format: 'pem' }).toString();

/** The SDK's signer takes a PEM: PKCS#1 or PKCS#8 for RSA, and for ES256 only SEC1 ("BEGIN EC PRIVATE KEY"). */
const SDK_SIGNERS = [
  { alg: 'RS256', pem: pem(rsa.privateKey, 'pkcs1'), publicKey: rsa.publicKey, privateKey: rsa.privateKey },
  { alg: 'RS256', pem: pem(rsa.privateKey, 'pkcs8'), publicKey: rsa.publicKey, privateKey: rsa.privateKey },
  { alg: 'ES256', pem: pem(ec.privateKey, 'sec1'), publicKey: ec.publicKey, privateKey: ec.privateKey },
] as const;

const TRANSFER = '0194d5c8-3b0e-7c7a-9d7e-1f2a3b4c5d6e';
const prepare = {
  transferId: TRANSFER, payerFsp: 'payerfsp', payeeFsp: 'payeefsp', amount: { currency: 'USD', amount: '100' },
  ilpPacket: 'AYIBgQAAAAAAAASwNGxldmVsb25lLmRmc3AxLm1lci45T2RTOF81MDdqUUZERmZlakgyOVc4bXFmNEpLMHlGTFGCAUBQU0svMS4wCk5vbmNl',
  condition: 'GRzLaTP7DJ9t4P-a_BA0WA9wzzlsugf00-Tn6kESAfM', expiration: '2026-03-03T10:05:00.000Z',
};

/** A request the SDK signs as MojaloopRequests does: lower-case headers, the hub's URL, the body as an object. */
function sdkSigned(signingPem: string, options: { method?: string; url?: string; body?: unknown; destination?: boolean; date?: boolean } = {}): SdkRequestOptions {
  const request: SdkRequestOptions = {
    method: options.method ?? 'POST',
    uri: options.url ?? 'http://hub.example:3000/transfers',
    headers: {
      'content-type': 'application/vnd.interoperability.transfers+json;version=1.1',
      'fspiop-source': 'payerfsp',
      ...(options.destination === false ? {} : { 'fspiop-destination': 'payeefsp' }),
      ...(options.date === false ? {} : { date: 'Tue, 03 Mar 2026 10:00:00 GMT' }),
    },
    body: structuredClone(options.body ?? prepare),
  };
  sdkJwsSigner(signingPem).sign(request);
  return request;
}

/** The request as the hub receives it: the SDK's headers and the bytes it sends (its body after sign() is the signed text). */
function received(request: SdkRequestOptions, path = '/transfers'): SignedRequest {
  assert.equal(typeof request.body, 'string', 'the SDK signer replaced the body with its serialisation');
  return { method: request.method, fspiopUri: path, headers: request.headers, rawBody: Buffer.from(request.body as string, 'utf8') };
}

// --- the SDK signs, Interlock verifies --------------------------------------------------

for (const signer of SDK_SIGNERS) {
  const keys = [{ kid: 'payer', publicKey: signer.publicKey }];

  test(`SDK → Interlock (${signer.alg}, ${signer.pem.split('\n')[0] ?? ''}): Interlock verifies what the SDK's signer signs`, async () => {
    const request = sdkSigned(signer.pem);
    const protectedHeader = JSON.parse(Buffer.from((JSON.parse(request.headers['fspiop-signature'] ?? '') as { protectedHeader: string }).protectedHeader, 'base64url').toString('utf8')) as { alg: string };
    assert.equal(protectedHeader.alg, signer.alg);
    const result = await verifySignature(received(request), keys);
    assert.ok(result.ok, result.ok ? '' : `${result.reason}: ${result.error.detail}`);
    assert.equal(result.value.alg, signer.alg);
    assert.equal(result.value.payloadForm, 'raw');
  });

  test(`SDK → Interlock (${signer.alg}): PUT callbacks, without destination or date, and behind a path prefix`, async () => {
    const fulfil = { transferState: 'COMMITTED', fulfilment: 'WLctttbu2HvTsa1XWvUoGRcQozHsqeu9Ahl2JW9Bsu8', completedTimestamp: '2026-03-03T10:00:01.000Z' };
    for (const options of [{ destination: false }, { date: false }, { destination: false, date: false }, {}]) {
      const request = sdkSigned(signer.pem, { method: 'PUT', url: `https://gateway.example/fspiop/v1/transfers/${TRANSFER}`, body: fulfil, ...options });
      assert.equal(request.headers['fspiop-uri'], fspiopUriOf(`https://gateway.example/fspiop/v1/transfers/${TRANSFER}`));
      const result = await verifySignature(received(request, `/transfers/${TRANSFER}`), keys);
      assert.ok(result.ok, result.ok ? '' : `${JSON.stringify(options)} ${result.reason}: ${result.error.detail}`);
    }
  });

  test(`SDK → Interlock (${signer.alg}): the SDK's signature survives a re-serialisation on the way (sorted form)`, async () => {
    const request = sdkSigned(signer.pem);
    const reordered = JSON.stringify(prepare, null, 2);
    const result = await verifySignature({ ...received(request), rawBody: Buffer.from(reordered) }, keys);
    assert.ok(result.ok && result.value.payloadForm === 'sorted');
  });

  test(`SDK → Interlock (${signer.alg}): tampering with what the SDK signed is refused`, async () => {
    const request = sdkSigned(signer.pem);
    const body = (request.body as string).replace('"100"', '"101"');
    const tamperedBody = await verifySignature({ ...received(request), rawBody: Buffer.from(body) }, keys);
    assert.ok(!tamperedBody.ok && tamperedBody.reason === 'bad_signature');
    const otherPath = await verifySignature(received(request, `/transfers/${TRANSFER}`), keys);
    assert.ok(!otherPath.ok && otherPath.reason === 'header_mismatch' && otherPath.field === 'FSPIOP-URI');
    const otherSource = await verifySignature(received({ ...request, headers: { ...request.headers, 'fspiop-source': 'payeefsp' } }), keys);
    assert.ok(!otherSource.ok && otherSource.reason === 'header_mismatch' && otherSource.field === 'FSPIOP-Source');
  });
}

test('SDK ↔ Interlock: for RS256 (deterministic) Interlock\'s signature is the SDK\'s, byte for byte', async () => {
  const request = sdkSigned(pem(rsa.privateKey, 'pkcs1'));
  const ours = await signMessage({
    method: 'POST', fspiopUri: '/transfers', source: 'payerfsp', destination: 'payeefsp', date: 'Tue, 03 Mar 2026 10:00:00 GMT', body: prepare,
  }, { kid: 'payer', alg: 'RS256', privateKey: rsa.privateKey });
  assert.equal(ours.signature, request.headers['fspiop-signature']);
  assert.equal(ours.body, request.body);
});

// --- Interlock signs, the SDK accepts ---------------------------------------------------

const HUB_KEYS: readonly SigningKey[] = [
  { kid: 'hub-rsa', alg: 'RS256', privateKey: rsa.privateKey },
  { kid: 'hub-ec', alg: 'ES256', privateKey: ec.privateKey },
];
const publicPemOf = (key: SigningKey) => pem(key.alg === 'RS256' ? rsa.publicKey : ec.publicKey, 'spki');

for (const key of HUB_KEYS) {
  test(`Interlock → SDK (${key.alg}): the SDK's validator accepts what the hub signs`, async () => {
    const validator = sdkJwsValidator({ Hub: publicPemOf(key) });
    const cases = [
      { method: 'PATCH', uri: `/transfers/${TRANSFER}`, destination: 'payeefsp', date: 'Tue, 03 Mar 2026 10:00:01 GMT', body: { transferState: 'COMMITTED', completedTimestamp: '2026-03-03T10:00:01.000Z' } },
      { method: 'PUT', uri: `/transfers/${TRANSFER}/error`, destination: 'payerfsp', date: undefined, body: { errorInformation: { errorCode: '3303', errorDescription: 'Transfer expired' } } },
      { method: 'PUT', uri: '/parties/MSISDN/27713803912/error', destination: undefined, date: 'Tue, 03 Mar 2026 10:00:01 GMT', body: { errorInformation: { errorCode: '3204', errorDescription: 'Party not found' } } },
    ];
    for (const c of cases) {
      const signed = await signMessage({ method: c.method, fspiopUri: c.uri, source: 'Hub', destination: c.destination, date: c.date, body: c.body }, key);
      const headers: Record<string, string> = {
        'fspiop-source': 'Hub', 'fspiop-uri': c.uri, 'fspiop-http-method': c.method, 'fspiop-signature': signed.signature,
        ...(c.destination === undefined ? {} : { 'fspiop-destination': c.destination }),
        ...(c.date === undefined ? {} : { date: c.date }),
      };
      // As the SDK's inbound server calls it: with the parsed body.
      assert.equal(validator.validate({ headers, body: JSON.parse(signed.body) }), true);
    }
  });

  test(`Interlock → SDK (${key.alg}): signOutgoingRequest's headers pass the SDK's validator, and the SDK refuses them tampered`, async () => {
    const validator = sdkJwsValidator({ Hub: publicPemOf(key) });
    const headers = {
      'content-type': 'application/vnd.interoperability.transfers+json;version=1.1', date: 'Tue, 03 Mar 2026 10:00:01 GMT',
      'fspiop-source': 'Hub', 'fspiop-destination': 'payeefsp', 'fspiop-uri': `/transfers/${TRANSFER}`, 'fspiop-http-method': 'PATCH',
    };
    const body = '{"completedTimestamp":"2026-03-03T10:00:01.000Z","transferState":"COMMITTED"}';
    const sent = await signOutgoingRequest({ method: 'PATCH', headers, body }, key);
    assert.equal(validator.validate({ headers: sent, body: JSON.parse(body) }), true);
    assert.throws(() => validator.validate({ headers: sent, body: { completedTimestamp: '2026-03-03T10:00:01.000Z', transferState: 'ABORTED' } }));
    assert.throws(() => validator.validate({ headers: { ...sent, 'fspiop-destination': 'otherfsp' }, body: JSON.parse(body) }));
    assert.throws(() => validator.validate({ headers: { ...sent, 'fspiop-uri': '/transfers/other' }, body: JSON.parse(body) }));
  });
}

test('Interlock → SDK: any FSPIOP-shaped body the hub signs, the SDK validates (property)', async () => {
  const key = HUB_KEYS[0]!;
  const validator = sdkJwsValidator({ Hub: publicPemOf(key) });
  const text = fc.string({ unit: 'grapheme', maxLength: 40 });
  const body = fc.record({
    errorInformation: fc.record({ errorCode: fc.stringMatching(/^[1-6][0-9]{3}$/), errorDescription: text }),
    extra: fc.dictionary(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,15}$/), text, { maxKeys: 5 }),
  });
  await fc.assert(fc.asyncProperty(body, async (value) => {
    const signed = await signMessage({ method: 'PUT', fspiopUri: `/transfers/${TRANSFER}/error`, source: 'Hub', destination: 'payerfsp', body: value }, key);
    const headers = { 'fspiop-source': 'Hub', 'fspiop-destination': 'payerfsp', 'fspiop-uri': `/transfers/${TRANSFER}/error`, 'fspiop-http-method': 'PUT', 'fspiop-signature': signed.signature };
    assert.equal(validator.validate({ headers, body: JSON.parse(signed.body) }), true);
  }), { numRuns: 100 });
});

// --- the SDK's FSPIOP-URI, reproduced -----------------------------------------------------

test('fspiopUriOf gives the FSPIOP-URI the SDK signer puts in its headers, for any URL (property)', () => {
  const signer = sdkJwsSigner(pem(ec.privateKey, 'sec1'));
  const piece = fc.constantFrom('/', 'transfers', 'parties', 'participants', 'quotes', 'fxQuotes', 'bulkTransfers', 'MSISDN', '123', 'x', '?a=1', 'https://hub', ':3000', '\n', 'transfersX', '//');
  fc.assert(fc.property(fc.array(piece, { maxLength: 9 }).map((pieces) => pieces.join('')), (url) => {
    const request: SdkRequestOptions = { method: 'PUT', uri: url, headers: { 'fspiop-source': 'x' }, body: { a: 1 } };
    let theirs: string | undefined;
    try {
      signer.sign(request);
      theirs = request.headers['fspiop-uri'];
    } catch {
      theirs = undefined;
    }
    assert.equal(fspiopUriOf(url), theirs, JSON.stringify(url));
  }), { numRuns: 500 });
});
