// The hub's prepare checks, each refusal on its own, without the SDK (our
// quote terms are the SDK's: see vectors.test.ts and sdk_interop.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPrepareAgainstIlp, encodeIlpPacketText, quoteResponseIlp, sdkStableJson, type IlpVersion } from './index.ts';

const quoteRequest = {
  quoteId: 'b51ec534-ee48-4575-b6a9-ead2955b8069',
  transactionId: 'a8323bc6-c228-4df2-ae82-e5a997baf898',
  payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '123456789', fspId: 'payeefsp' } },
  payer: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '987654321', fspId: 'payerfsp' } },
  amountType: 'SEND',
  amount: { amount: '100.5', currency: 'USD' },
  transactionType: { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' },
};
const response = { transferAmount: { amount: '100.5', currency: 'USD' }, expiration: '2030-01-01T00:00:00.000Z' };
const NOW_MS = Date.parse('2029-12-31T23:58:00.000Z');

function prepareFor(version: IlpVersion) {
  const terms = quoteResponseIlp(version, 'secret', quoteRequest, response);
  return { payeeFsp: 'payeefsp', amount: { amount: '100.5', currency: 'USD' }, ilpPacket: terms.ilpPacket, condition: terms.condition, expiration: '2029-12-31T23:59:00.000Z' };
}

function outcome(result: ReturnType<typeof checkPrepareAgainstIlp>): string {
  return result.ok ? 'ok' : `${result.error.code} ${result.error.detail}`;
}

function dataOf(transaction: unknown): Buffer {
  return Buffer.from(Buffer.from(sdkStableJson(transaction)).toString('base64url'), 'latin1');
}

const transaction = { payee: quoteRequest.payee, payer: quoteRequest.payer, amount: response.transferAmount, expiration: response.expiration };

for (const version of ['v1', 'v4'] as const) {
  const prepare = prepareFor(version);

  test(`prepare ${version}: terms from the payee's quote pass`, () => {
    assert.equal(outcome(checkPrepareAgainstIlp(prepare, NOW_MS)), 'ok');
    // The same amount written with the currency's full scale is the same amount.
    assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, amount: { amount: '100.5', currency: 'USD' } }, NOW_MS)), 'ok');
  });

  test(`prepare ${version}: the condition must be canonical base64url of 32 bytes`, () => {
    const condition = Buffer.from(prepare.condition, 'base64url');
    assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, condition: condition.subarray(0, 31).toString('base64url') }, NOW_MS)), '3100 condition is 31 bytes, not 32');
    assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, condition: Buffer.concat([condition, Buffer.of(1)]).toString('base64url') }, NOW_MS)), '3100 condition is 33 bytes, not 32');
    assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, condition: prepare.condition + '=' }, NOW_MS)), "3100 condition must not have '=' padding");
    assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, condition: prepare.condition.replace(/[A-Za-z]/, '+') }, NOW_MS)), '3100 condition is not base64url');
    assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, condition: '' }, NOW_MS)), '3100 condition is empty');
  });

  test(`prepare ${version}: the transfer must not have expired`, () => {
    assert.equal(outcome(checkPrepareAgainstIlp(prepare, Date.parse(prepare.expiration))), '3100 the transfer expired at 2029-12-31T23:59:00.000Z');
    assert.equal(outcome(checkPrepareAgainstIlp(prepare, Date.parse(prepare.expiration) - 1)), 'ok');
    assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, expiration: '2029-12-31T23:59:00+01:00' }, NOW_MS)), '3100 the transfer expired at 2029-12-31T23:59:00+01:00');
    for (const expiration of ['tomorrow', '1', '2029-12-31', '2029-12-31T23:59:00.000', '2029-13-31T23:59:00.000Z', '2030-02-30T00:00:00.000Z', '2030-04-31T00:00:00Z', '2030-01-01T24:00:00Z', '2030-01-01T00:00:60Z', '2030-01-01T00:00:00+24:00']) {
      assert.match(outcome(checkPrepareAgainstIlp({ ...prepare, expiration }, NOW_MS)), /^3100 expiration ".*" is not a date and time$/, expiration);
    }
  });

  test(`prepare ${version}: the packet must decode`, () => {
    assert.match(outcome(checkPrepareAgainstIlp({ ...prepare, ilpPacket: 'AAAA' }, NOW_MS)), /^3100 ilpPacket: packet type 0 is neither/);
    assert.match(outcome(checkPrepareAgainstIlp({ ...prepare, ilpPacket: prepare.ilpPacket.slice(0, prepare.ilpPacket.length - (prepare.ilpPacket.length % 4) - 8) }, NOW_MS)), /^3100 ilpPacket: packet: declares \d+ bytes, \d+ remain$/);
    assert.match(outcome(checkPrepareAgainstIlp({ ...prepare, ilpPacket: prepare.ilpPacket + '!' }, NOW_MS)), /^3100 ilpPacket is not base64url$/);
  });

  test(`prepare ${version}: the packet amount must be the transfer amount at the currency's scale`, () => {
    assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, amount: { amount: '100.05', currency: 'USD' } }, NOW_MS)),
      '3100 ilpPacket amount 10050 is not the transfer amount 100.05 USD (10005 minor units)');
    // 10050 minor units of a zero-decimal currency is a different amount.
    assert.match(outcome(checkPrepareAgainstIlp({ ...prepare, amount: { amount: '10050', currency: 'JPY' } }, NOW_MS)), /^3100 ilpPacket transaction amount "100\.5" "USD" is not the transfer amount$/);
    assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, amount: { amount: '100.505', currency: 'USD' } }, NOW_MS)), '3100 transfer amount: amount 100.505 has 3 decimals; USD has 2');
    assert.match(outcome(checkPrepareAgainstIlp({ ...prepare, amount: { amount: '100.5', currency: 'XYZ' } }, NOW_MS)), /^3100 transfer amount: currency "XYZ" is not a supported/);
  });

  test(`prepare ${version}: the packet must address the payee FSP`, () => {
    assert.match(outcome(checkPrepareAgainstIlp({ ...prepare, payeeFsp: 'otherfsp' }, NOW_MS)), /^3100 ilpPacket (address "g\.payeefsp\.msisdn\.123456789" is not an account of payee FSP "otherfsp"|transaction payee FSP "payeefsp" is not payee FSP "otherfsp")$/);
    assert.match(outcome(checkPrepareAgainstIlp({ ...prepare, payeeFsp: 'payee' }, NOW_MS)), /^3100 /);
    assert.match(outcome(checkPrepareAgainstIlp({ ...prepare, payeeFsp: 'PayeeFSP' }, NOW_MS)), /^3100 /); // fspIds compare exactly
  });
}

test('prepare v1: opaque (non-JSON) data passes when amount and address are right', () => {
  const ilpPacket = encodeIlpPacketText({ version: 'v1', amount: 10050n, account: 'g.payeefsp.msisdn.1', data: Buffer.from('PSK/1.0 opaque') });
  assert.equal(outcome(checkPrepareAgainstIlp({ ...prepareFor('v1'), ilpPacket }, NOW_MS)), 'ok');
});

test('prepare v1: a Transaction naming another payee, or no amount, is refused even when the address is right', () => {
  const packetWith = (tx: unknown): string => encodeIlpPacketText({ version: 'v1', amount: 10050n, account: 'g.payeefsp.msisdn.1', data: dataOf(tx) });
  const otherPayee = { ...transaction, payee: { partyIdInfo: { ...quoteRequest.payee.partyIdInfo, fspId: 'otherfsp' } } };
  assert.equal(outcome(checkPrepareAgainstIlp({ ...prepareFor('v1'), ilpPacket: packetWith(otherPayee) }, NOW_MS)), '3100 ilpPacket transaction payee FSP "otherfsp" is not payee FSP "payeefsp"');
  const { amount: _amount, ...noAmount } = transaction;
  assert.equal(outcome(checkPrepareAgainstIlp({ ...prepareFor('v1'), ilpPacket: packetWith(noAmount) }, NOW_MS)), '3100 ilpPacket transaction carries no amount');
  assert.equal(outcome(checkPrepareAgainstIlp({ ...prepareFor('v1'), ilpPacket: packetWith({}) }, NOW_MS)), '3100 ilpPacket transaction names no payee FSP');
  assert.equal(outcome(checkPrepareAgainstIlp({ ...prepareFor('v1'), ilpPacket: packetWith([1, 2]) }, NOW_MS)), '3100 ilpPacket transaction names no payee FSP');
});

test('prepare v4: destination, expiry, condition and Transaction are checked', () => {
  const prepare = prepareFor('v4');
  const condition = Buffer.from(prepare.condition, 'base64url');
  const v4 = (changes: Partial<{ destination: string; expiresAt: Date; executionCondition: Buffer; data: Buffer }>): string => encodeIlpPacketText({
    version: 'v4', amount: 10050n, expiresAt: new Date('2030-01-01T00:00:00.000Z'), executionCondition: condition, destination: 'g.mojaloop', data: dataOf(transaction), ...changes,
  });
  assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, ilpPacket: v4({}) }, NOW_MS)), 'ok');
  assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, ilpPacket: v4({ destination: 'g.payeefsp' }) }, NOW_MS)), '3100 ilpPacket destination "g.payeefsp" is not g.mojaloop');
  assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, ilpPacket: v4({ data: Buffer.from('opaque') }) }, NOW_MS)), '3100 ilpPacket data is not a Transaction object, so it names no payee FSP');
  assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, ilpPacket: v4({ expiresAt: new Date(NOW_MS) }) }, NOW_MS)), '3100 ilpPacket expired at 2029-12-31T23:58:00.000Z');
  assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, ilpPacket: v4({ executionCondition: Buffer.alloc(32) }) }, NOW_MS)), '3100 ilpPacket executionCondition is not the transfer condition');
  const cheaper = { ...transaction, amount: { amount: '1', currency: 'USD' } };
  assert.equal(outcome(checkPrepareAgainstIlp({ ...prepare, ilpPacket: v4({ data: dataOf(cheaper) }) }, NOW_MS)), '3100 ilpPacket transaction amount "1" "USD" is not the transfer amount');
});
