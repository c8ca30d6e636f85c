import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import { conditionMatches, conditionOf, decodeIlpPacket, encodeIlpPacketText, fulfilmentOf, quoteResponseIlp } from './index.ts';

const quoteRequest = {
  quoteId: 'q', transactionId: 't',
  payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '1', fspId: 'payeefsp' } },
  payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '2', fspId: 'payerfsp' } },
  transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
};
const response = { transferAmount: { amount: '1', currency: 'USD' }, expiration: '2030-01-01T00:00:00.000Z' };

test('terms: v1 fulfilment is HMAC-SHA256 keyed by the base64 text of the secret over the packet text', () => {
  const terms = quoteResponseIlp('v1', 'secret', quoteRequest, response);
  const expected = createHmac('sha256', Buffer.from('c2VjcmV0', 'ascii')).update(terms.ilpPacket, 'ascii').digest('base64url');
  assert.equal(terms.fulfilment, expected);
  assert.equal(terms.condition, createHash('sha256').update(Buffer.from(expected, 'base64url')).digest('base64url'));
  assert.equal(fulfilmentOf('v1', 'secret', terms.ilpPacket), terms.fulfilment);
  // The fulfilment is over the text as sent: any other spelling of the packet has another fulfilment.
  assert.notEqual(fulfilmentOf('v1', 'secret', terms.ilpPacket + '='), terms.fulfilment);
});

test('terms: v4 fulfilment covers the Transaction, not the packet; the packet carries the condition', () => {
  const terms = quoteResponseIlp('v4', 'secret', quoteRequest, response);
  const decoded = decodeIlpPacket(terms.ilpPacket);
  assert.ok(decoded.ok);
  assert.equal(decoded.value.executionCondition?.toString('base64url'), terms.condition);
  assert.equal(fulfilmentOf('v4', 'secret', terms.ilpPacket), terms.fulfilment);
  // Re-packing the same Transaction under another amount keeps the fulfilment: which is why the hub checks the amount.
  const repacked = encodeIlpPacketText({
    version: 'v4', amount: 999n, expiresAt: decoded.value.expiresAt!, executionCondition: decoded.value.executionCondition, destination: 'g.mojaloop', data: decoded.value.data,
  });
  assert.equal(fulfilmentOf('v4', 'secret', repacked), terms.fulfilment);
  assert.notEqual(fulfilmentOf('v4', 'other secret', terms.ilpPacket), terms.fulfilment);
});

test('terms: fulfilmentOf v4 refuses packets it cannot read', () => {
  const v1 = quoteResponseIlp('v1', 'secret', quoteRequest, response);
  assert.throws(() => fulfilmentOf('v4', 'secret', v1.ilpPacket), /is ILPv1, not ILPv4/);
  assert.throws(() => fulfilmentOf('v4', 'secret', 'AAAA'), /packet type 0/);
  const opaque = encodeIlpPacketText({ version: 'v4', amount: 1n, expiresAt: new Date(0), executionCondition: Buffer.alloc(32), destination: 'g.mojaloop', data: Buffer.from('x') });
  assert.throws(() => fulfilmentOf('v4', 'secret', opaque), /no Transaction object/);
  assert.throws(() => fulfilmentOf('v1', '', v1.ilpPacket), /non-empty string/);
});

test('terms: quoteResponseIlp refuses what it cannot encode faithfully', () => {
  assert.throws(() => quoteResponseIlp('v1', 'secret', quoteRequest, { ...response, transferAmount: { amount: '1', currency: 'XXX' } }), /no decimal places known/);
  assert.throws(() => quoteResponseIlp('v4', 'secret', quoteRequest, { ...response, transferAmount: { amount: '0.001', currency: 'USD' } }), /3 decimals; USD has 2/);
  assert.throws(() => quoteResponseIlp('v4', 'secret', quoteRequest, { ...response, transferAmount: { amount: '0', currency: 'USD' } }), /greater than zero/);
  assert.throws(() => quoteResponseIlp('v4', 'secret', quoteRequest, { ...response, expiration: 'soon' }), /is not a date/);
  const { payee: _payee, ...noPayee } = quoteRequest;
  assert.throws(() => quoteResponseIlp('v1', 'secret', noPayee, response), /fspId is required/);
  // v4 does not need the payee to build the packet (but the hub will refuse a transfer against it).
  assert.ok(quoteResponseIlp('v4', 'secret', noPayee, response).ilpPacket.length > 0);
});

test('terms: conditionMatches compares SHA-256 of the 32 fulfilment bytes with the condition bytes', () => {
  const { fulfilment, condition } = quoteResponseIlp('v1', 'secret', quoteRequest, response);
  assert.equal(conditionMatches(fulfilment, condition), true);
  assert.equal(conditionOf(fulfilment), condition);
  assert.equal(conditionMatches(condition, fulfilment), false);
  assert.equal(conditionMatches(fulfilment, Buffer.alloc(32).toString('base64url')), false);
  const short = Buffer.from(fulfilment, 'base64url').subarray(0, 31);
  assert.equal(conditionMatches(short.toString('base64url'), createHash('sha256').update(short).digest('base64url')), false);
  assert.equal(conditionMatches(fulfilment + '=', condition), false);
  assert.equal(conditionMatches('not base64!', condition), false);
  assert.equal(conditionMatches(fulfilment, condition.slice(0, 42)), false);
  assert.throws(() => conditionOf('AAAA'), /not 32 bytes/);
});
