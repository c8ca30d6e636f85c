import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertLookupLimits, DEFAULT_LOOKUP_LIMITS } from './limits.ts';
import { checkCurrency, checkPartyPath, identifierProblem, partyTemplateValues, partyUri, PARTY_ID_TYPES } from './party.ts';

test('every FSPIOP party type is accepted, and nothing else', () => {
  for (const type of PARTY_ID_TYPES) assert.equal(checkPartyPath({ type, id: type === 'EMAIL' ? 'a@b.org' : type === 'IBAN' ? 'DE89370400440532013000' : '123' }).ok, true, type);
  for (const type of ['msisdn', 'MSISDN ', 'PHONE', '', '__proto__', 'constructor']) {
    const checked = checkPartyPath({ type, id: '123' });
    assert.equal(checked.ok, false, type);
    assert.ok(!checked.ok);
    assert.equal(checked.error.code, '3100');
  }
});

test('identifiers: 1..128 printable ASCII characters, no URL delimiters, escapes, spaces, look-alike or invisible characters', () => {
  const good = ['1', '255712345678', '+255712345678', 'alice@example.com', 'DE89370400440532013000', 'a.b', '...', 'x'.repeat(128)];
  for (const id of good) assert.equal(identifierProblem(id, 'ID'), undefined, id);
  const bad = ['', 'x'.repeat(129), '😀', 'ñandú', '名前', '27713803912\u0430', '\uff11', 'a/b', 'a?b', 'a#b', '%31', 'a b', ' 123', '123 ', 'a\tb', 'a\nb', 'a\u0000b', 'a\u007fb',
    '12\u200b3', '\u202e321', 'a\u00a0b', 'a\u2028b', '.', '..', '\ud800', 'a\ue000b'];
  for (const id of bad) assert.notEqual(identifierProblem(id, 'ID'), undefined, JSON.stringify(id));
  assert.notEqual(identifierProblem(123, 'ID'), undefined);
});

test('a sub-identifier is held to the same rules; an absent one stays absent', () => {
  assert.deepEqual(checkPartyPath({ type: 'MSISDN', id: '123', subId: 'savings' }), { ok: true, value: { partyIdType: 'MSISDN', partyIdentifier: '123', partySubIdOrType: 'savings' } });
  assert.deepEqual(checkPartyPath({ type: 'MSISDN', id: '123' }), { ok: true, value: { partyIdType: 'MSISDN', partyIdentifier: '123', partySubIdOrType: undefined } });
  for (const subId of ['', 'a/b', '..', 'x'.repeat(129)]) assert.equal(checkPartyPath({ type: 'MSISDN', id: '123', subId }).ok, false, subId);
});

test('currencies: ISO 4217 codes the hub supports, or none', () => {
  assert.deepEqual(checkCurrency(undefined), { ok: true, value: undefined });
  assert.deepEqual(checkCurrency('USD'), { ok: true, value: 'USD' });
  for (const currency of ['usd', 'XYZ', 'US', '', 840, null]) assert.equal(checkCurrency(currency).ok, false, String(currency));
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

test('an identifier is held to its type\'s rule, and a look-alike is refused, with 3101 naming the type and rule', () => {
  const cases: [type: string, id: string, rule: RegExp][] = [
    ['MSISDN', '2771380391\u0430', /ID must be ASCII: it holds U\+0430/],
    ['MSISDN', '27713803912a', /ID of type MSISDN must be 1\.\.15 digits \(ITU-T E\.164\)/],
    ['MSISDN', '1234567890123456', /MSISDN/],
    ['EMAIL', 'alice', /ID of type EMAIL must be an e-mail address as in RFC 3696/],
    ['IBAN', 'de89370400440532013000', /ID of type IBAN must be an ISO 13616 IBAN/],
    ['ALIAS', 'ali\u0441e', /ID must be ASCII: it holds U\+0441/],
  ];
  for (const [type, id, rule] of cases) {
    const checked = checkPartyPath({ type, id });
    assert.ok(!checked.ok, `${type} ${id}`);
    assert.equal(checked.error.code, '3101', `${type} ${id}`);
    assert.match(checked.error.detail, rule);
  }
  const sub = checkPartyPath({ type: 'MSISDN', id: '27713803912', subId: 'h\u043eme' });
  assert.ok(!sub.ok);
  assert.deepEqual([sub.error.code, sub.error.detail.includes('SubId must be ASCII')], ['3101', true]);
});
