import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { currencyScales } from './iso4217.ts';
import { AMOUNT_MINOR_MAX, currencyScale, formatAmount, isSupportedCurrency, parseAmount } from './money.ts';

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

function parsed(amount: string, currency: string, options: { allowZero?: boolean } = {}): bigint {
  const result = parseAmount(amount, currency, options);
  assert.ok(result.ok, `${JSON.stringify(amount)} ${currency} should parse, got: ${result.ok ? '' : result.error}`);
  return result.value;
}

function refused(amount: string, currency: string, options: { allowZero?: boolean } = {}): string {
  const result = parseAmount(amount, currency, options);
  assert.ok(!result.ok, `${JSON.stringify(amount)} ${currency} should be refused, got ${result.ok ? result.value : ''}`);
  return result.error;
}

describe('parseAmount: the FSPIOP Amount format', () => {
  it('accepts whole numbers and decimals without trailing zeros', () => {
    assert.equal(parsed('5', 'USD'), 500n);
    assert.equal(parsed('5.5', 'USD'), 550n);
    assert.equal(parsed('0.5', 'USD'), 50n);
    assert.equal(parsed('0.01', 'USD'), 1n);
    assert.equal(parsed('123.45', 'USD'), 12345n);
    assert.equal(parsed('10', 'USD'), 1000n, 'trailing zeros of the integer part are digits, not padding');
    assert.equal(parsed('1.2345', 'CLF'), 12345n);
    assert.equal(parsed('7', 'JPY'), 7n);
    assert.equal(parsed('1.005', 'KWD'), 1005n);
  });

  for (const amount of ['5.0', '5.', '.5', '00.5', '05', '-1', '+1', '1e3', '1E3', ' 1', '1 ', '1\n', '\t1', '１', '٥', '1,5', '1.5.0', '', '.', '0x10', 'NaN', 'Infinity', '5.00', '0.0', '00']) {
    it(`refuses ${JSON.stringify(amount)}`, () => {
      const reason = refused(amount, 'USD');
      assert.match(reason, /not a decimal/);
    });
  }

  it('refuses more than four decimals and more than eighteen integer digits, whatever the currency', () => {
    refused('0.00001', 'CLF');
    refused('1234567890123456789', 'JPY');
  });

  it('refuses a value that is not a string', () => {
    // (A bigint here throws from the refusal's JSON.stringify; TypeScript keeps bigints out, and JSON cannot carry one.)
    for (const value of [5, null, undefined, ['5'], { toString: () => '5' }]) {
      assert.equal(parseAmount(value as unknown as string, 'USD').ok, false, `${String(value)} is not an amount string`);
    }
  });
});

describe('parseAmount: the currency decides the decimals', () => {
  it('refuses decimals beyond the ISO 4217 minor unit', () => {
    assert.match(refused('1.001', 'USD'), /3 decimals; USD has 2/);
    assert.match(refused('1.5', 'JPY'), /1 decimals; JPY has 0/);
    assert.match(refused('0.0001', 'KWD'), /4 decimals; KWD has 3/);
    refused('1.01', 'XOF');
  });

  it('accepts exactly the minor unit', () => {
    assert.equal(parsed('1.99', 'USD'), 199n);
    assert.equal(parsed('1.999', 'BHD'), 1999n);
    assert.equal(parsed('0.0001', 'UYW'), 1n);
  });

  it('refuses unknown, lower-case, withdrawn and unit-less currency codes', () => {
    for (const currency of ['XXX', 'usd', 'US', 'USDD', '', 'HRK', 'XAU', 'XDR', 'XTS']) {
      assert.match(refused('1', currency), /not a supported ISO 4217 currency/);
      assert.equal(isSupportedCurrency(currency), false, currency);
      assert.equal(currencyScale(currency), undefined, currency);
    }
  });

  it('knows the scale of currencies of each minor unit', () => {
    assert.equal(currencyScale('JPY'), 0);
    assert.equal(currencyScale('USD'), 2);
    assert.equal(currencyScale('EUR'), 2);
    assert.equal(currencyScale('KWD'), 3);
    assert.equal(currencyScale('CLF'), 4);
  });
});

describe('parseAmount: zero and the upper bound', () => {
  it('refuses zero unless allowZero', () => {
    assert.match(refused('0', 'USD'), /greater than zero/);
    assert.equal(parsed('0', 'USD', { allowZero: true }), 0n);
    assert.equal(parsed('0', 'JPY', { allowZero: true }), 0n);
    refused('0.0', 'USD', { allowZero: true });
    refused('-0', 'USD', { allowZero: true });
  });

  it('accepts AMOUNT_MINOR_MAX and refuses one minor unit more, at each scale', () => {
    assert.equal(AMOUNT_MINOR_MAX, 10n ** 17n);
    const cases: [currency: string, atMax: string, overMax: string][] = [
      ['JPY', '100000000000000000', '100000000000000001'],
      ['USD', '1000000000000000', '1000000000000000.01'],
      ['KWD', '100000000000000', '100000000000000.001'],
      ['CLF', '10000000000000', '10000000000000.0001'],
    ];
    for (const [currency, atMax, overMax] of cases) {
      assert.equal(parsed(atMax, currency), AMOUNT_MINOR_MAX, `${atMax} ${currency}`);
      assert.match(refused(overMax, currency), /exceeds the largest amount/, `${overMax} ${currency}`);
    }
    refused('999999999999999999', 'JPY');
    refused('999999999999999999.9999', 'CLF');
  });
});

describe('formatAmount', () => {
  it('writes minor units as an FSPIOP Amount without trailing zeros', () => {
    assert.equal(formatAmount(500n, 'USD'), '5');
    assert.equal(formatAmount(550n, 'USD'), '5.5');
    assert.equal(formatAmount(50n, 'USD'), '0.5');
    assert.equal(formatAmount(1n, 'USD'), '0.01');
    assert.equal(formatAmount(0n, 'USD'), '0');
    assert.equal(formatAmount(1000n, 'USD'), '10');
    assert.equal(formatAmount(7n, 'JPY'), '7');
    assert.equal(formatAmount(1n, 'CLF'), '0.0001');
    assert.equal(formatAmount(AMOUNT_MINOR_MAX, 'USD'), '1000000000000000');
  });

  it('writes negative values (balances) with a leading minus', () => {
    assert.equal(formatAmount(-5000n, 'USD'), '-50');
    assert.equal(formatAmount(-1n, 'USD'), '-0.01');
    assert.equal(formatAmount(-1050n, 'KWD'), '-1.05');
  });

  it('throws on an unsupported currency (a programmer error)', () => {
    assert.throws(() => formatAmount(1n, 'XXX'), /unsupported currency/);
  });
});

describe('parseAmount and formatAmount, as properties', () => {
  // Currencies of each ISO 4217 scale the hub supports.
  const currencies = fc.constantFrom('JPY', 'XOF', 'USD', 'EUR', 'KES', 'KWD', 'BHD', 'CLF', 'UYW');

  /** A valid FSPIOP amount in `currency`, built from its parts (not from formatAmount, which is under test). */
  const validAmount = currencies.chain((currency) => {
    const scale = currencyScales.get(currency) ?? 0;
    const maxWhole = AMOUNT_MINOR_MAX / 10n ** BigInt(scale);
    const whole = fc.oneof(fc.bigInt({ min: 0n, max: 999n }), fc.bigInt({ min: 0n, max: maxWhole - 1n }));
    const fraction = scale === 0
      ? fc.constant('')
      : fc.integer({ min: 1, max: scale }).chain((length) =>
        fc.tuple(fc.string({ unit: fc.constantFrom(...DIGITS), minLength: length - 1, maxLength: length - 1 }), fc.constantFrom(...DIGITS.slice(1)))
          .map(([body, last]) => body + last));
    return fc.tuple(whole, fc.option(fraction, { nil: '' })).map(([w, f]) => ({ currency, amount: f === '' ? String(w) : `${w}.${f}` }));
  }).filter(({ amount }) => amount !== '0');

  it('formatAmount(parseAmount(x)) === x for every valid amount', () => {
    fc.assert(fc.property(validAmount, ({ currency, amount }) => {
      const result = parseAmount(amount, currency);
      assert.ok(result.ok, `${amount} ${currency}: ${result.ok ? '' : result.error}`);
      assert.equal(typeof result.value, 'bigint');
      assert.ok(result.value > 0n && result.value <= AMOUNT_MINOR_MAX);
      assert.equal(formatAmount(result.value, currency), amount);
    }), { numRuns: 2000 });
  });

  it('parseAmount(formatAmount(m)) === m for every amount in range', () => {
    fc.assert(fc.property(currencies, fc.bigInt({ min: 1n, max: AMOUNT_MINOR_MAX }), (currency, minor) => {
      const result = parseAmount(formatAmount(minor, currency), currency);
      assert.ok(result.ok);
      assert.equal(result.value, minor);
    }), { numRuns: 2000 });
  });

  it('never returns anything but a bigint or a refusal with a reason, whatever the input', () => {
    const anyCurrency = fc.oneof(currencies, fc.string({ maxLength: 4 }));
    const anyAmount = fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom(...DIGITS, '.', '-', '+', 'e', 'E', ' '), maxLength: 25 }));
    fc.assert(fc.property(anyAmount, anyCurrency, fc.boolean(), (amount, currency, allowZero) => {
      const result = parseAmount(amount, currency, { allowZero });
      if (result.ok) {
        assert.equal(typeof result.value, 'bigint');
        assert.ok(result.value >= 0n && result.value <= AMOUNT_MINOR_MAX);
        assert.ok(allowZero || result.value > 0n);
        assert.equal(formatAmount(result.value, currency), amount, 'only the canonical spelling is accepted');
      } else {
        assert.equal(typeof result.error, 'string');
        assert.ok(result.error.length > 0);
      }
    }), { numRuns: 3000 });
  });
});
