import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertLookupLimits, DEFAULT_LOOKUP_LIMITS } from './limits.ts';
import { checkCurrency, checkPartyPath, identifierProblem, partyTemplateValues, partyUri, PARTY_ID_TYPES } from './party.ts';

test('every FSPIOP party type is accepted, and nothing else', () => {
  for (const type of PARTY_ID_TYPES) assert.equal(checkPartyPath({ type, id: '123' }).valid, true, type);
  for (const type of ['msisdn', 'MSISDN ', 'PHONE', '', '__proto__', 'constructor']) {
    const checked = checkPartyPath({ type, id: '123' });
    assert.equal(checked.valid, false, type);
    assert.ok(!checked.valid);
    assert.equal(checked.failure.code, '3100');
  }
});

test('identifiers: 1..128 characters counted as characters, no URL delimiters, escapes, spaces or invisible characters', () => {
  const good = ['1', '255712345678', '+255712345678', 'alice@example.com', 'DE89370400440532013000', 'a.b', '...', 'ñandú', '名前', 'x'.repeat(128), '😀'.repeat(128)];
  for (const id of good) assert.equal(identifierProblem(id, 'ID'), undefined, id);
  const bad = ['', 'x'.repeat(129), '😀'.repeat(129), 'a/b', 'a?b', 'a#b', '%31', 'a b', ' 123', '123 ', 'a\tb', 'a\nb', 'a\u0000b', 'a\u007fb',
    '12\u200b3', '\u202e321', 'a\u00a0b', 'a\u2028b', '.', '..', '\ud800', 'a\ue000b'];
  for (const id of bad) assert.notEqual(identifierProblem(id, 'ID'), undefined, JSON.stringify(id));
  assert.notEqual(identifierProblem(123, 'ID'), undefined);
});

test('a sub-identifier is held to the same rules; an absent one stays absent', () => {
  assert.deepEqual(checkPartyPath({ type: 'MSISDN', id: '123', subId: 'savings' }), { valid: true, value: { partyIdType: 'MSISDN', partyIdentifier: '123', partySubIdOrType: 'savings' } });
  assert.deepEqual(checkPartyPath({ type: 'MSISDN', id: '123' }), { valid: true, value: { partyIdType: 'MSISDN', partyIdentifier: '123', partySubIdOrType: undefined } });
  for (const subId of ['', 'a/b', '..', 'x'.repeat(129)]) assert.equal(checkPartyPath({ type: 'MSISDN', id: '123', subId }).valid, false, subId);
});

test('currencies: ISO 4217 codes the hub supports, or none', () => {
  assert.deepEqual(checkCurrency(undefined), { valid: true, value: undefined });
  assert.deepEqual(checkCurrency('USD'), { valid: true, value: 'USD' });
  for (const currency of ['usd', 'XYZ', 'US', '', 840, null]) assert.equal(checkCurrency(currency).valid, false, String(currency));
});

test('URIs and template values of a party', () => {
  const key = { partyIdType: 'EMAIL' as const, partyIdentifier: 'a+b@x.org', partySubIdOrType: undefined };
  assert.equal(partyUri('parties', key), '/parties/EMAIL/a%2Bb%40x.org');
  assert.equal(partyUri('participants', { ...key, partySubIdOrType: 'home' }, '/error'), '/participants/EMAIL/a%2Bb%40x.org/home/error');
  assert.deepEqual(partyTemplateValues(key), { partyIdType: 'EMAIL', partyIdentifier: 'a+b@x.org' });
  assert.deepEqual(partyTemplateValues({ ...key, partySubIdOrType: 'home' }), { partyIdType: 'EMAIL', partyIdentifier: 'a+b@x.org', partySubIdOrType: 'home' });
});

test('the default limits hold together, and limits that cannot are refused at start', () => {
  assertLookupLimits(DEFAULT_LOOKUP_LIMITS);
  assert.throws(() => { assertLookupLimits({ ...DEFAULT_LOOKUP_LIMITS, oracleTimeoutMs: DEFAULT_LOOKUP_LIMITS.lookupWindowMs }); });
  assert.throws(() => { assertLookupLimits({ ...DEFAULT_LOOKUP_LIMITS, lookupPruneBatchMax: 1 }); });
  assert.throws(() => { assertLookupLimits({ ...DEFAULT_LOOKUP_LIMITS, lookupWindowMs: 0 }); });
});
