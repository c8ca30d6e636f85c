import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bodyIdentifierProblem } from './body_identifiers.ts';
import { fspIdProblem, partyIdentifierProblem, PARTY_IDENTIFIER_RULES } from './party_identifiers.ts';
import { PARTY_ID_TYPES } from './resources.ts';

const quote = (payeeId: string, extra: Record<string, unknown> = {}) => ({
  quoteId: '019a7b3c-5d2e-7f10-9a4b-3c2d1e0f9a8b', transactionId: '019a7b3c-5d2e-7f10-9a4b-3c2d1e0f9a8c',
  payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: payeeId, fspId: 'payeefsp', ...extra } },
  payer: { partyIdInfo: { partyIdType: 'EMAIL', partyIdentifier: 'alice@example.com', fspId: 'payerfsp' } },
  amountType: 'SEND', amount: { amount: '100', currency: 'USD' },
});

test('the table has a rule for every PartyIdType the API defines', () => {
  assert.deepEqual(Object.keys(PARTY_IDENTIFIER_RULES).sort(), [...PARTY_ID_TYPES].sort());
});

test('a body whose identifiers are of their forms passes', () => {
  assert.equal(bodyIdentifierProblem(quote('+27713803912')), undefined);
  assert.equal(bodyIdentifierProblem(quote('27713803912', { partySubIdOrType: 'savings' })), undefined);
  assert.equal(bodyIdentifierProblem({ partyList: [{ partyIdType: 'IBAN', partyIdentifier: 'DE89370400440532013000', fspId: 'dfsp.a' }], currency: 'USD' }), undefined);
  assert.equal(bodyIdentifierProblem({ transferId: 'x', payerFsp: 'payerfsp', payeeFsp: 'payee_fsp-1', amount: { amount: '1', currency: 'USD' } }), undefined);
  // An unknown partyIdType is the schema's to refuse.
  assert.equal(bodyIdentifierProblem({ partyIdType: 'PHONE', partyIdentifier: 'anything at all' }), undefined);
});

test('a party identifier not of its type\'s form, anywhere in the body, is found and named by its path', () => {
  assert.deepEqual(bodyIdentifierProblem(quote('2771380391\u0430')), {
    at: 'payee.partyIdInfo.partyIdentifier',
    detail: 'payee.partyIdInfo.partyIdentifier must be ASCII: it holds U+0430, which is outside printable ASCII (look-alike, invisible and control characters are refused)',
    lookAlike: true,
  });
  const letters = bodyIdentifierProblem(quote('27713803912a'));
  assert.ok(letters !== undefined);
  assert.equal(letters.lookAlike, false);
  assert.match(letters.detail, /payee\.partyIdInfo\.partyIdentifier of type MSISDN must be 1\.\.15 digits/);
  assert.equal(bodyIdentifierProblem(quote('27713803912', { partySubIdOrType: 'h\u043eme' }))?.at, 'payee.partyIdInfo.partySubIdOrType');
  assert.equal(bodyIdentifierProblem({ partyList: [{ partyIdType: 'MSISDN', partyIdentifier: '1', fspId: 'a' }, { partyIdType: 'MSISDN', partyIdentifier: '\uff11', fspId: 'a' }] })?.at, 'partyList.1.partyIdentifier');
  assert.equal(bodyIdentifierProblem({ party: { partyIdInfo: { partyIdType: 'EMAIL', partyIdentifier: 'alice@ex\u0430mple.com' } } })?.lookAlike, true);
});

test('FSP ids are ASCII FSP names wherever they appear', () => {
  for (const [body, at] of [
    [{ payerFsp: 'payerfsp', payeeFsp: 'payeefs\u0440' }, 'payeeFsp'],
    [{ payerFsp: 'payerfsp\u200b', payeeFsp: 'payeefsp' }, 'payerFsp'],
    [quote('1', { fspId: 'payee fsp' }), 'payee.partyIdInfo.fspId'],
    [{ partyList: [{ partyIdType: 'MSISDN', partyIdentifier: '1', fspId: '-x' }] }, 'partyList.0.fspId'],
  ] as const) {
    assert.equal(bodyIdentifierProblem(body)?.at, at, JSON.stringify(body));
  }
  assert.equal(fspIdProblem('a'.repeat(33)), 'fspId must be 1..32 characters');
});

test('MSISDN: E.164 digits with one optional +; IBAN: ISO 13616 electronic form; EMAIL: RFC 3696', () => {
  for (const id of ['1', '+1', '123456789012345', '+123456789012345']) assert.equal(partyIdentifierProblem('MSISDN', id), undefined, id);
  for (const id of ['', '+', '++1', '1234567890123456', '1 2', '12-34', '１２', '١٢']) assert.notEqual(partyIdentifierProblem('MSISDN', id), undefined, id);
  for (const id of ['DE89370400440532013000', 'NO9386011117947', `MT84${'1'.repeat(27)}`]) assert.equal(partyIdentifierProblem('IBAN', id), undefined, id);
  for (const id of ['de893', 'DE89 3704', 'D989', 'DE8', `DE89${'1'.repeat(31)}`]) assert.notEqual(partyIdentifierProblem('IBAN', id), undefined, id);
  for (const id of ['a@b.co', 'Alice.Smith+tag@mail.example.org', "o'brien@x.ie", 'a@b-c.d1.io']) assert.equal(partyIdentifierProblem('EMAIL', id), undefined, id);
  for (const id of ['a@b', 'a@b.12', '.a@b.co', 'a.@b.co', 'a..b@b.co', 'a@b..co', 'a@-b.co', 'a@b-.co', '"a"@b.co', 'a@[1.2.3.4]', `${'a'.repeat(65)}@b.co`]) {
    assert.notEqual(partyIdentifierProblem('EMAIL', id), undefined, id);
  }
});
