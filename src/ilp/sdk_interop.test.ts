// Interop both ways with Mojaloop's SDK (@mojaloop/sdk-standard-components,
// a devDependency used here as an independent peer): for the same quote the
// SDK and this module make the same packet, condition and fulfilment; each
// reads the other's packets; the hub's prepare check accepts what the SDK
// makes and refuses what was tampered with.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { currencyScales } from '../support/iso4217.ts';
import { formatAmount, parseAmount } from '../support/money.ts';
import { checkPrepareAgainstIlp, conditionMatches, decodeIlpPacket, fulfilmentOf, ilpAmountOf, quoteResponseIlp, sdkStableJson, transactionObject } from './index.ts';
import { sdkIlp, sdkStringify } from '../testing/sdk_ilp_peer.ts';

type Version = 'v1' | 'v4';
const VERSIONS: readonly Version[] = ['v1', 'v4'];
const SECRET = 'hub-interop-secret';

interface Quote {
  quoteRequest: Record<string, unknown> & { payee: { partyIdInfo: { fspId: string } }; payer: { partyIdInfo: { fspId: string } } };
  response: { transferAmount: { amount: string; currency: string }; expiration: string; note?: string };
}

const vectorQuotes = (JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as { quotes: (Quote & { version: Version })[] })
  .quotes.filter((q) => q.version === 'v1');

// Currencies both tables know, with their scale (the SDK has its own currency.json).
const sharedCurrencies = [...currencyScales.keys()].filter((currency) => {
  try {
    sdkIlp('v4', SECRET).getQuoteResponseIlp(
      { payee: { partyIdInfo: { partyIdType: 'MSISDN', partyIdentifier: '1', fspId: 'x' } } },
      { transferAmount: { amount: '1', currency }, expiration: '2030-01-01T00:00:00.000Z' },
    );
    return true;
  } catch {
    return false;
  }
});

function prepareOf(quote: Quote, terms: { ilpPacket: string; condition: string }, expiration = '2029-12-31T23:59:00.000Z') {
  return {
    transferId: '3e8b1d0c-5d7f-4a4e-9c1b-2f6a8d0e4b7c',
    payerFsp: quote.quoteRequest.payer.partyIdInfo.fspId,
    payeeFsp: quote.quoteRequest.payee.partyIdInfo.fspId,
    amount: quote.response.transferAmount,
    ilpPacket: terms.ilpPacket,
    condition: terms.condition,
    expiration,
  };
}
const NOW_MS = Date.parse('2029-12-31T23:58:00.000Z');

function detail(result: { ok: boolean; error?: { code: string; detail: string } }): string {
  return result.ok ? 'ok' : `${result.error?.code ?? ''} ${result.error?.detail ?? ''}`;
}

function assertSameTerms(version: Version, quote: Quote): void {
  const theirs = sdkIlp(version, SECRET).getQuoteResponseIlp(quote.quoteRequest, quote.response);
  const ours = quoteResponseIlp(version, SECRET, quote.quoteRequest, quote.response);
  assert.equal(ours.ilpPacket, theirs.ilpPacket);
  assert.equal(ours.condition, theirs.condition);
  assert.equal(ours.fulfilment, theirs.fulfilment);
}

function assertSdkReadsOurs(version: Version, quote: Quote): void {
  const sdk = sdkIlp(version, SECRET);
  const ours = quoteResponseIlp(version, SECRET, quote.quoteRequest, quote.response);
  const packet = sdk.decodeIlpPacket(ours.ilpPacket);
  assert.equal(packet['amount'], String(ilpAmountOf(quote.response.transferAmount)));
  const transaction = JSON.parse(sdkStableJson(transactionObject(quote.quoteRequest, quote.response))) as unknown;
  assert.deepEqual(sdk.getTransactionObject(ours.ilpPacket), transaction);
  if (version === 'v4') {
    assert.equal(packet['destination'], 'g.mojaloop');
    assert.equal((packet['expiresAt'] as Date).getTime(), new Date(quote.response.expiration).getTime());
    assert.equal((packet['executionCondition'] as Buffer).toString('base64url'), ours.condition);
  } else {
    assert.ok(String(packet['account']).startsWith(`g.${quote.quoteRequest.payee.partyIdInfo.fspId}.`));
  }
  assert.equal(sdk.validateFulfil(ours.fulfilment, ours.condition), true);
  assert.equal(sdk.calculateFulfil(ours.ilpPacket), ours.fulfilment);
  assert.equal(sdk.validateIlpAgainstTransferRequest(prepareOf(quote, ours)), true);
}

function assertWeReadTheirs(version: Version, quote: Quote): void {
  const theirs = sdkIlp(version, SECRET).getQuoteResponseIlp(quote.quoteRequest, quote.response);
  const decoded = decodeIlpPacket(theirs.ilpPacket);
  assert.ok(decoded.ok, detail(decoded));
  assert.equal(decoded.value.version, version);
  assert.equal(decoded.value.amount, ilpAmountOf(quote.response.transferAmount));
  assert.deepEqual(decoded.value.transaction, sdkIlp(version, SECRET).getTransactionObject(theirs.ilpPacket));
  assert.equal(fulfilmentOf(version, SECRET, theirs.ilpPacket), theirs.fulfilment);
  assert.ok(conditionMatches(theirs.fulfilment, theirs.condition));
}

for (const version of VERSIONS) {
  for (const quote of vectorQuotes) {
    test(`interop ${version}: same terms, each reads the other, ${String(quote.quoteRequest['quoteId'])}`, () => {
      assertSameTerms(version, quote);
      assertSdkReadsOurs(version, quote);
      assertWeReadTheirs(version, quote);
    });
  }
}

// --- random quotes -------------------------------------------------------------

const loneSurrogate = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff');
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 24 }), fc.tuple(fc.string({ maxLength: 6 }), loneSurrogate, fc.string({ maxLength: 6 })).map((parts) => parts.join('')));
const partyIdInfo = fc.record(
  {
    partyIdType: fc.constantFrom('MSISDN', 'EMAIL', 'PERSONAL_ID', 'BUSINESS', 'DEVICE', 'ACCOUNT_ID', 'IBAN', 'ALIAS'),
    partyIdentifier: fc.stringMatching(/^[\x20-\x7e]{1,128}$/),
    partySubIdOrType: fc.stringMatching(/^[\x20-\x7e]{0,128}$/),
    fspId: fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
  },
  { requiredKeys: ['partyIdType', 'partyIdentifier', 'fspId'] },
);
const money = fc.constantFrom(...sharedCurrencies).chain((currency) =>
  fc.bigInt({ min: 1n, max: 10n ** 17n }).map((minor) => ({ amount: formatAmount(minor, currency), currency })));
const quoteArbitrary: fc.Arbitrary<Quote> = fc.record({
  quoteId: fc.uuid(),
  transactionId: fc.uuid(),
  payee: fc.record({ partyIdInfo, name: anyText }, { requiredKeys: ['partyIdInfo'] }),
  payer: fc.record({ partyIdInfo, name: anyText, personalInfo: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: ['partyIdInfo'] }),
  transactionType: fc.record({ scenario: fc.constantFrom('TRANSFER', 'PAYMENT'), initiator: fc.constant('PAYER'), initiatorType: fc.constant('CONSUMER') }),
  extensionList: fc.option(fc.record({ extension: fc.array(fc.record({ key: anyText, value: anyText }), { minLength: 1, maxLength: 3 }) }), { nil: undefined }),
  money,
  expiration: fc.date({ min: new Date('2000-01-01T00:00:00.000Z'), max: new Date('2099-12-31T23:59:59.999Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  note: fc.option(anyText, { nil: undefined }),
}).map(({ money: transferAmount, expiration, note, ...request }) => ({
  quoteRequest: { ...request, amountType: 'SEND', amount: transferAmount },
  response: { transferAmount, expiration, ...(note === undefined ? {} : { note }) },
}));

for (const version of VERSIONS) {
  test(`interop ${version}: random quotes give the SDK's terms, and each reads the other's packets`, () => {
    fc.assert(fc.property(quoteArbitrary, (quote) => {
      assertSameTerms(version, quote);
      assertSdkReadsOurs(version, quote);
      assertWeReadTheirs(version, quote);
    }), { numRuns: 200 });
  });
}

test('interop: sdkStableJson writes JSON values exactly as the SDK\'s safe-stable-stringify', () => {
  const value = fc.oneof(fc.jsonValue(), fc.dictionary(anyText, fc.oneof(anyText, fc.jsonValue({ maxDepth: 2 }))));
  fc.assert(fc.property(value, (v) => {
    assert.equal(sdkStableJson(v), sdkStringify(v));
  }), { numRuns: 1000 });
});

// --- amount scaling ----------------------------------------------------------------

test('interop: the ILP amount is the amount scaled by the currency\'s ISO 4217 decimals, for every currency both know', () => {
  assert.ok(sharedCurrencies.length > 150, `only ${sharedCurrencies.length} shared currencies`);
  const quote = vectorQuotes[0]!;
  for (const currency of sharedCurrencies) {
    const scale = currencyScales.get(currency)!;
    const amount = scale === 0 ? '7' : `7.${'0'.repeat(scale - 1)}1`; // the smallest unit counts
    for (const version of VERSIONS) {
      const theirs = sdkIlp(version, SECRET).getQuoteResponseIlp(quote.quoteRequest, { ...quote.response, transferAmount: { amount, currency } });
      const decoded = decodeIlpPacket(theirs.ilpPacket);
      assert.ok(decoded.ok);
      assert.equal(decoded.value.amount, 7n * 10n ** BigInt(scale) + (scale === 0 ? 0n : 1n), `${version} ${amount} ${currency}`);
      const parsed = parseAmount(amount, currency);
      assert.ok(parsed.ok);
      assert.equal(decoded.value.amount, parsed.value);
    }
  }
});

test('interop: where the SDK would misencode an amount, we refuse to build the packet', () => {
  const quote = vectorQuotes[0]!;
  const tooPrecise = { ...quote.response, transferAmount: { amount: '1.234', currency: 'USD' } };
  // SDK v1 silently drops the fraction: Long.fromString('123.4') is 123.
  const theirs = sdkIlp('v1', SECRET).getQuoteResponseIlp(quote.quoteRequest, tooPrecise);
  assert.equal(sdkIlp('v1', SECRET).decodeIlpPacket(theirs.ilpPacket)['amount'], '123');
  assert.throws(() => quoteResponseIlp('v1', SECRET, quote.quoteRequest, tooPrecise), /3 decimals; USD has 2/);
  // SDK v4 refuses it too.
  assert.throws(() => sdkIlp('v4', SECRET).getQuoteResponseIlp(quote.quoteRequest, tooPrecise), /should be integer/);
  assert.throws(() => quoteResponseIlp('v4', SECRET, quote.quoteRequest, tooPrecise), /3 decimals; USD has 2/);
  // A 1.23 USD transfer against the SDK's truncated v1 packet: the packet amount (123) agrees, but the
  // Transaction inside, which the payee's fulfilment covers, still says 1.234, so the hub refuses it.
  const check = checkPrepareAgainstIlp({ ...prepareOf({ ...quote, response: tooPrecise }, theirs), amount: { amount: '1.23', currency: 'USD' } }, NOW_MS);
  assert.equal(detail(check), '3100 ilpPacket transaction amount "1.234" "USD" is not the transfer amount');
});

// --- the hub's prepare check against SDK packets ----------------------------------

for (const version of VERSIONS) {
  const quote = vectorQuotes[0]!;
  const theirs = sdkIlp(version, SECRET).getQuoteResponseIlp(quote.quoteRequest, quote.response);
  const prepare = prepareOf(quote, theirs);

  test(`interop ${version}: the hub accepts a prepare built from the SDK's quote response`, () => {
    assert.equal(detail(checkPrepareAgainstIlp(prepare, NOW_MS)), 'ok');
    assert.equal(sdkIlp(version, SECRET).validateIlpAgainstTransferRequest(prepare), true);
  });

  test(`interop ${version}: the hub refuses a modified amount with 3100`, () => {
    const result = checkPrepareAgainstIlp({ ...prepare, amount: { amount: '100.51', currency: 'USD' } }, NOW_MS);
    assert.match(detail(result), /^3100 ilpPacket amount 10050 is not the transfer amount 100\.51 USD/);
    const currency = checkPrepareAgainstIlp({ ...prepare, amount: { amount: '100.5', currency: 'EUR' } }, NOW_MS);
    assert.match(detail(currency), /^3100 ilpPacket transaction amount "100\.5" "USD" is not the transfer amount/);
  });

  test(`interop ${version}: the hub refuses a modified payee with 3100`, () => {
    assert.match(detail(checkPrepareAgainstIlp({ ...prepare, payeeFsp: 'otherfsp' }, NOW_MS)), /^3100 ilpPacket (address|transaction payee FSP) /);
    // A prefix of the real payee FSP is another FSP.
    assert.match(detail(checkPrepareAgainstIlp({ ...prepare, payeeFsp: 'Payee' }, NOW_MS)), /^3100 /);
    // A packet quoted by another payee cannot be sent to this one.
    const other = { ...quote, quoteRequest: { ...quote.quoteRequest, payee: { partyIdInfo: { ...quote.quoteRequest.payee.partyIdInfo, fspId: 'otherfsp' } } } };
    const otherTerms = sdkIlp(version, SECRET).getQuoteResponseIlp(other.quoteRequest, other.response);
    assert.match(detail(checkPrepareAgainstIlp({ ...prepare, ilpPacket: otherTerms.ilpPacket, condition: otherTerms.condition }, NOW_MS)), /^3100 /);
  });

  test(`interop ${version}: the hub refuses an expired transfer, and an expired v4 packet, with 3100`, () => {
    assert.match(detail(checkPrepareAgainstIlp({ ...prepare, expiration: '2029-12-31T23:57:59.999Z' }, NOW_MS)), /^3100 the transfer expired at /);
    assert.match(detail(checkPrepareAgainstIlp(prepare, Date.parse(prepare.expiration))), /^3100 the transfer expired at /);
    const packetExpiry = checkPrepareAgainstIlp({ ...prepare, expiration: '2030-01-01T00:00:10.000Z' }, Date.parse('2030-01-01T00:00:05.000Z'));
    assert.match(detail(packetExpiry), version === 'v4' ? /^3100 ilpPacket expired at 2030-01-01T00:00:00\.000Z/ : /^ok$/);
  });

  test(`interop ${version}: the hub refuses a 31-byte condition, and (v4) a condition other than the packet's`, () => {
    const short = Buffer.from(theirs.condition, 'base64url').subarray(0, 31).toString('base64url');
    assert.equal(detail(checkPrepareAgainstIlp({ ...prepare, condition: short }, NOW_MS)), '3100 condition is 31 bytes, not 32');
    const otherCondition = Buffer.alloc(32, 7).toString('base64url');
    assert.match(detail(checkPrepareAgainstIlp({ ...prepare, condition: otherCondition }, NOW_MS)), version === 'v4' ? /^3100 ilpPacket executionCondition is not the transfer condition$/ : /^ok$/);
  });
}
