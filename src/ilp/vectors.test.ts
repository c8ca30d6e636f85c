// Known answers from Mojaloop's SDK (vectors.json, written by
// testing/generate_ilp_vectors.ts): this module must reproduce them without the SDK.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkPrepareAgainstIlp, conditionMatches, decodeIlpPacket, fulfilmentOf, quoteResponseIlp } from './index.ts';

interface QuoteVector {
  name: string;
  version: 'v1' | 'v4';
  secret: string;
  quoteRequest: Record<string, unknown> & { payee: { partyIdInfo: { fspId: string } } };
  response: { transferAmount: { amount: string; currency: string }; expiration: string; note?: string };
  expected: { ilpPacket: string; condition: string; fulfilment: string };
  decoded: {
    amount: string;
    destination: string;
    dataBase64url: string;
    transaction: unknown;
    expiresAt?: string;
    executionConditionBase64url?: string;
  };
}

interface PacketVector {
  name: string;
  ilpPacket: string;
  sdk: string;
  refusal: string | null;
}

const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as { quotes: QuoteVector[]; packets: PacketVector[] };

test('vectors: the file holds v1 and v4 quote vectors and malformed packets', () => {
  assert.equal(vectors.quotes.filter((v) => v.version === 'v1').length, 5);
  assert.equal(vectors.quotes.filter((v) => v.version === 'v4').length, 5);
  assert.ok(vectors.packets.length >= 10);
});

for (const v of vectors.quotes) {
  test(`vectors: quote terms, ${v.name}`, () => {
    const ours = quoteResponseIlp(v.version, v.secret, v.quoteRequest, v.response);
    assert.equal(ours.ilpPacket, v.expected.ilpPacket);
    assert.equal(ours.condition, v.expected.condition);
    assert.equal(ours.fulfilment, v.expected.fulfilment);
    assert.equal(fulfilmentOf(v.version, v.secret, v.expected.ilpPacket), v.expected.fulfilment);
    assert.ok(conditionMatches(v.expected.fulfilment, v.expected.condition));
  });

  test(`vectors: decoding, ${v.name}`, () => {
    const decoded = decodeIlpPacket(v.expected.ilpPacket);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.detail);
    const p = decoded.value;
    assert.equal(p.version, v.version);
    assert.equal(p.amount, BigInt(v.decoded.amount));
    assert.equal(p.destination, v.decoded.destination);
    assert.equal(p.data.toString('base64url'), v.decoded.dataBase64url);
    assert.deepEqual(p.transaction, v.decoded.transaction);
    assert.equal(p.expiresAt?.toISOString(), v.decoded.expiresAt);
    assert.equal(p.executionCondition?.toString('base64url'), v.decoded.executionConditionBase64url);
  });

  test(`vectors: the hub accepts the prepare, ${v.name}`, () => {
    const prepare = {
      payeeFsp: v.quoteRequest.payee.partyIdInfo.fspId,
      amount: v.response.transferAmount,
      ilpPacket: v.expected.ilpPacket,
      condition: v.expected.condition,
      expiration: '2029-12-31T23:59:00.000Z',
    };
    const nowMs = Date.parse('2029-12-31T23:58:00.000Z');
    assert.deepEqual(checkPrepareAgainstIlp(prepare, nowMs), { ok: true, value: undefined });
  });
}

for (const p of vectors.packets) {
  test(`vectors: packet, ${p.name} (SDK ${p.sdk.split(':')[0] ?? ''})`, () => {
    const decoded = decodeIlpPacket(p.ilpPacket);
    if (p.refusal === null) {
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.detail);
      return;
    }
    assert.ok(!decoded.ok);
    assert.equal(decoded.error.code, '3100');
    assert.ok(decoded.error.detail.includes(p.refusal), `${decoded.error.detail} should mention ${p.refusal}`);
  });
}

test('vectors: the FSPIOP specification example decodes as ILPv1 with opaque data', () => {
  const example = vectors.packets[0]!;
  const decoded = decodeIlpPacket(example.ilpPacket);
  assert.ok(decoded.ok);
  assert.equal(decoded.value.version, 'v1');
  assert.equal(decoded.value.amount, 1200n);
  assert.equal(decoded.value.destination, 'levelone.dfsp1.mer.9OdS8_507jQFDFfejH29W8mqf4JK0yFLQ');
  assert.equal(decoded.value.data.length, 320);
  assert.equal(decoded.value.transaction, undefined);
  assert.ok(example.sdk.startsWith('accepts (amount 1200)'));
});
