import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ilpAmountOf, sdkStableJson, transactionObject, v1AccountOf } from './index.ts';

test('transaction: sdkStableJson sorts keys at every level and writes JSON as the SDK does', () => {
  assert.equal(sdkStableJson({ b: 1, a: [{ z: null, y: 'é' }, undefined], c: undefined }), '{"a":[{"y":"é","z":null},null],"b":1}');
  assert.equal(sdkStableJson({ B: 1, a: 2, _: 3, '10': 4, '9': 5 }), '{"10":4,"9":5,"B":1,"_":3,"a":2}');
  assert.equal(sdkStableJson('lone \ud800'), '"lone \\ud800"');
  assert.equal(sdkStableJson([Number.NaN, Infinity, -0, 1e21, 1e-7]), '[null,null,0,1e+21,1e-7]');
  assert.equal(sdkStableJson(Object.assign(Object.create(null) as object, { k: true })), '{"k":true}');
  assert.throws(() => sdkStableJson(1n), /cannot write a bigint/);
  assert.throws(() => sdkStableJson({ d: new Date(0) }), /not a plain object/);
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  assert.throws(() => sdkStableJson(cyclic), /cyclic/);
  const shared = { x: 1 };
  assert.equal(sdkStableJson({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}'); // shared is not cyclic
  assert.throws(() => sdkStableJson(undefined), /nothing to write/);
});

test('transaction: the Transaction object takes the request ids and parties and the response terms', () => {
  const request = { quoteId: 'q', transactionId: 't', transactionType: { scenario: 'TRANSFER' }, payee: { p: 1 }, payer: { p: 2 }, amount: { amount: '5', currency: 'USD' }, note: 'request note', fees: {} };
  const terms = { transferAmount: { amount: '6', currency: 'USD' }, expiration: 'e' };
  assert.deepEqual(transactionObject(request, terms), { quoteId: 'q', transactionId: 't', transactionType: { scenario: 'TRANSFER' }, payee: { p: 1 }, payer: { p: 2 }, expiration: 'e', amount: terms.transferAmount });
  assert.equal(transactionObject(request, { ...terms, note: 'n' })['note'], 'n');
  assert.equal('note' in transactionObject(request, { ...terms, note: '' }), false);
});

test('transaction: ILP amounts are minor units at the ISO 4217 scale', () => {
  assert.equal(ilpAmountOf({ amount: '100.5', currency: 'USD' }), 10050n);
  assert.equal(ilpAmountOf({ amount: '100', currency: 'JPY' }), 100n);
  assert.equal(ilpAmountOf({ amount: '0.125', currency: 'BHD' }), 125n);
  assert.equal(ilpAmountOf({ amount: '1.2345', currency: 'CLF' }), 12345n);
  assert.throws(() => ilpAmountOf({ amount: '1.5', currency: 'JPY' }), /1 decimals; JPY has 0/);
  assert.throws(() => ilpAmountOf({ amount: '1e3', currency: 'USD' }), /not a decimal/);
});

test('transaction: the v1 account is g.fspId.type.identifier[.subId], all but fspId lower-cased', () => {
  const party = (info: Record<string, unknown>) => ({ partyIdInfo: info });
  assert.equal(v1AccountOf(party({ fspId: 'PayeeFSP', partyIdType: 'EMAIL', partyIdentifier: 'A@B.COM' })), 'g.PayeeFSP.email.a@b.com');
  assert.equal(v1AccountOf(party({ fspId: 'f', partyIdType: 'MSISDN', partyIdentifier: '1', partySubIdOrType: 'SUB' })), 'g.f.msisdn.1.sub');
  assert.equal(v1AccountOf(party({ fspId: 'f', partyIdType: 'MSISDN', partyIdentifier: '1', partySubIdOrType: '' })), 'g.f.msisdn.1');
  assert.throws(() => v1AccountOf(party({ partyIdType: 'MSISDN', partyIdentifier: '1' })), /fspId is required/);
  assert.throws(() => v1AccountOf(party({ fspId: 'f', partyIdentifier: '1' })), /partyIdType is required/);
  assert.throws(() => v1AccountOf(party({ fspId: 'f', partyIdType: 'MSISDN', partyIdentifier: 1 })), /partyIdentifier is required/);
  assert.throws(() => v1AccountOf(party({ fspId: 'f', partyIdType: 'MSISDN', partyIdentifier: '1', partySubIdOrType: 2 })), /must be a string/);
  assert.throws(() => v1AccountOf(party({ fspId: 'f', partyIdType: 'ALIAS', partyIdentifier: 'Ünïcode' })), /printable ASCII/);
  assert.throws(() => v1AccountOf(undefined), /fspId is required/);
});
