import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileDefaultRuleSet } from './default_rules.ts';
import { evaluate, higherVerdict } from './engine.ts';
import { compileRuleSet, type CompiledRuleSet } from './rule_set.ts';
import { FEATURE_NAMES, VERDICT_ORDER, windowedFeatureNames, type Decision, type Features, type FeatureValue } from './types.ts';

function compiled(data: unknown): CompiledRuleSet {
  const result = compileRuleSet(data);
  assert.ok(result.ok, `should validate: ${result.ok ? '' : JSON.stringify(result.error)}`);
  return result.value;
}

const SMALL = compiled({
  name: 'small',
  version: 7,
  failurePolicy: 'closed',
  rules: [
    { id: 'amount', kind: 'bands', feature: 'amountMinor', currency: 'USD', bands: [{ upper: '100' }, { lower: '100', upper: '9000' }, { lower: '9000', upper: '10000' }, { lower: '10000' }] },
    { id: 'count', kind: 'bands', feature: 'payerParty.count.1h', bands: [{ upper: 5 }, { lower: 5 }] },
    { id: 'new-pair', kind: 'cases', feature: 'pairFirstSeen', cases: [{ value: true, ref: '.01' }], else: '.02' },
    { id: 'night', kind: 'cases', feature: 'hourOfDay', cases: [{ value: 2, ref: '.01' }, { value: 3, ref: '.01' }], else: '.02' },
  ],
  typologies: [
    { id: 'new-large', weights: [{ rule: 'new-pair', ref: '.01', weight: 30 }, { rule: 'amount', ref: '.04', weight: 30 }, { rule: 'count', ref: '.00', weight: 5 }], alert: 50, hold: 65 },
    { id: 'busy', weights: [{ rule: 'count', ref: '.02', weight: 10 }, { rule: 'night', ref: '.01', weight: 10 }, { rule: 'new-pair', ref: '.02', weight: -5 }], block: 20 },
  ],
});

function refOf(decision: Decision, ruleId: string): string | undefined {
  return decision.rules.find((rule) => rule.ruleId === ruleId)?.ref;
}

describe('evaluate: bands and cases', () => {
  it('puts each boundary in the band it opens: [lower, upper)', () => {
    const at = (amountMinor: bigint) => refOf(evaluate(SMALL, { amountMinor }, 'USD'), 'amount');
    assert.equal(at(0n), '.01');
    assert.equal(at(9999n), '.01');
    assert.equal(at(10000n), '.02');
    assert.equal(at(899999n), '.02');
    assert.equal(at(900000n), '.03');
    assert.equal(at(999999n), '.03');
    assert.equal(at(1000000n), '.04');
    assert.equal(at(10n ** 17n), '.04');
    const count = (value: number) => refOf(evaluate(SMALL, { 'payerParty.count.1h': value }, 'USD'), 'count');
    assert.equal(count(4), '.01');
    assert.equal(count(5), '.02');
  });

  it('maps case values, and every other value to else', () => {
    const night = (hourOfDay: number) => refOf(evaluate(SMALL, { hourOfDay }, 'USD'), 'night');
    assert.equal(night(2), '.01');
    assert.equal(night(3), '.01');
    assert.equal(night(4), '.02');
    assert.equal(refOf(evaluate(SMALL, { pairFirstSeen: false }, 'USD'), 'new-pair'), '.02');
  });

  it('gives .00 for an unknown (null or absent) feature, and for an amount in another currency', () => {
    const decision = evaluate(SMALL, { amountMinor: null }, 'USD');
    assert.deepEqual(decision.rules.map((rule) => rule.ref), ['.00', '.00', '.00', '.00']);
    assert.equal(decision.rules[0]?.value, 'null');
    assert.equal(refOf(evaluate(SMALL, { amountMinor: 5000000n }, 'EUR'), 'amount'), '.00');
  });

  it('property: every value falls in exactly one band, the one whose bounds hold it', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 17n }), (amountMinor) => {
      const ref = refOf(evaluate(SMALL, { amountMinor }, 'USD'), 'amount');
      const uppers = [10000n, 900000n, 1000000n];
      const expected = uppers.findIndex((upper) => amountMinor < upper);
      assert.equal(ref, `.0${String((expected < 0 ? uppers.length : expected) + 1)}`);
    }));
  });

  it('does not read inherited members of the features object', () => {
    const features = Object.create({ pairFirstSeen: true }) as Features;
    assert.equal(refOf(evaluate(SMALL, features, 'USD'), 'new-pair'), '.00');
  });
});

describe('evaluate: typologies and the trace', () => {
  it('sums the weights of the outcomes that occurred and takes the highest threshold reached', () => {
    const decision = evaluate(SMALL, { amountMinor: 2000000n, pairFirstSeen: true, 'payerParty.count.1h': 1, hourOfDay: 12 }, 'USD');
    assert.deepEqual(decision.typologies, [
      { typologyId: 'new-large', score: 60, verdict: 'ALERT' },
      { typologyId: 'busy', score: 0, verdict: 'ALLOW' },
    ]);
    assert.equal(decision.verdict, 'ALERT');
    assert.deepEqual(decision.ruleSet, { name: 'small', version: 7 });
    assert.equal(decision.failure, undefined);
  });

  it('counts a weight on the unknown outcome, and negative weights', () => {
    const decision = evaluate(SMALL, { amountMinor: 2000000n, pairFirstSeen: true }, 'USD');
    assert.deepEqual(decision.typologies[0], { typologyId: 'new-large', score: 65, verdict: 'HOLD' });
    const busy = evaluate(SMALL, { 'payerParty.count.1h': 9, hourOfDay: 2, pairFirstSeen: false }, 'USD');
    assert.equal(busy.typologies[1]?.score, 15);
    assert.equal(busy.verdict, 'ALLOW');
    assert.equal(evaluate(SMALL, { 'payerParty.count.1h': 9, hourOfDay: 2, pairFirstSeen: true }, 'USD').verdict, 'BLOCK');
  });

  it('traces every rule with the value it saw as text', () => {
    const decision = evaluate(SMALL, { amountMinor: 12345n, 'payerParty.count.1h': 3, pairFirstSeen: true, hourOfDay: 23 }, 'USD');
    assert.deepEqual(decision.rules, [
      { ruleId: 'amount', feature: 'amountMinor', value: '12345', ref: '.02' },
      { ruleId: 'count', feature: 'payerParty.count.1h', value: '3', ref: '.01' },
      { ruleId: 'new-pair', feature: 'pairFirstSeen', value: 'true', ref: '.01' },
      { ruleId: 'night', feature: 'hourOfDay', value: '23', ref: '.02' },
    ]);
  });

  it('property: the verdict never decreases when an outcome of positive weight is added', () => {
    const base = fc.record({
      amountMinor: fc.option(fc.bigInt({ min: 0n, max: 10n ** 8n })),
      count: fc.option(fc.nat(20)),
      hourOfDay: fc.option(fc.integer({ min: 0, max: 23 })),
    });
    fc.assert(fc.property(base, (sample) => {
      const features = { amountMinor: sample.amountMinor, 'payerParty.count.1h': sample.count, hourOfDay: sample.hourOfDay, pairFirstSeen: false };
      // Turning pairFirstSeen from false to true trades a −5 outcome for a +30: no typology loses score.
      const before = evaluate(SMALL, features, 'USD');
      const after = evaluate(SMALL, { ...features, pairFirstSeen: true }, 'USD');
      assert.equal(higherVerdict(before.verdict, after.verdict), after.verdict);
      before.typologies.forEach((typology, index) => {
        assert.ok((after.typologies[index]?.score ?? 0) >= typology.score);
      });
    }));
  });

  it('higherVerdict follows VERDICT_ORDER', () => {
    for (const [i, a] of VERDICT_ORDER.entries()) for (const [j, b] of VERDICT_ORDER.entries()) assert.equal(higherVerdict(a, b), i >= j ? a : b);
  });
});

describe('evaluate: the failure policy', () => {
  const wrong: Features = { amountMinor: 1000 };

  it('closed: a feature of the wrong type at run time blocks, with the reason, never a throw', () => {
    const decision = evaluate(SMALL, wrong, 'USD');
    assert.equal(decision.verdict, 'BLOCK');
    assert.match(decision.failure ?? '', /rule amount: feature amountMinor is a number, expected a bigint amount/);
    assert.deepEqual(decision.typologies, []);
  });

  it('open: the same failure allows', () => {
    const open: CompiledRuleSet = { ...SMALL, failurePolicy: 'open' };
    const decision = evaluate(open, { 'payerParty.count.1h': 5n }, 'USD');
    assert.equal(decision.verdict, 'ALLOW');
    assert.match(decision.failure ?? '', /feature payerParty.count.1h is a bigint, expected a finite number/);
    assert.deepEqual(decision.rules.map((rule) => rule.ruleId), ['amount'], 'the trace keeps the rules evaluated before the failure');
  });

  it('an exception from the features object itself follows the policy too', () => {
    const hostile = new Proxy({}, { has: () => true, get: () => { throw new Error('boom'); }, getOwnPropertyDescriptor: () => { throw new Error('boom'); } });
    const decision = evaluate(SMALL, hostile, 'USD');
    assert.equal(decision.verdict, 'BLOCK');
    assert.match(decision.failure ?? '', /internal error: boom/);
  });

  it('a thrown value that cannot even be described still gives a decision', () => {
    const unprintable = { toString: () => { throw new Error('again'); } };
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point: a thrown value that is no Error and cannot be printed
    const hostile = new Proxy({}, { getOwnPropertyDescriptor: () => { throw unprintable; } });
    const decision = evaluate({ ...SMALL, failurePolicy: 'open' }, hostile, 'USD');
    assert.equal(decision.verdict, 'ALLOW');
    assert.equal(decision.failure, 'internal error (not describable)');
  });
});

/** The features of an ordinary payment: an established payer paying a known payee, 50 USD, midday. */
function ordinary(overrides: Record<string, FeatureValue> = {}): Features {
  const features: Record<string, FeatureValue> = {};
  for (const name of windowedFeatureNames()) features[name] = name.includes('.sumMinor.') ? 0n : 0;
  Object.assign(features, {
    amountMinor: 5000n, amountRound: false, hourOfDay: 12, pairFirstSeen: false, payerDormantMs: 3 * 86_400_000,
    payerFanOut24h: 1, payeeFanIn24h: 1, payerReceivedMinor1h: 0n, payerPassThroughPct: null, payerFailed24h: 0,
    payerDenied: false, payeeDenied: false, payerWatched: false, payeeWatched: false, payerSanctioned: false, payeeSanctioned: false,
    payerFraudReports: 0, payeeFraudReports: 0,
    'payerParty.count.24h': 1, 'payerParty.sumMinor.24h': 5000n, 'pair.count.24h': 1,
  });
  Object.assign(features, overrides);
  for (const name of Object.keys(features)) assert.ok(FEATURE_NAMES.has(name), name);
  return features;
}

function typology(decision: Decision, id: string): string | undefined {
  return decision.typologies.find((outcome) => outcome.typologyId === id)?.verdict;
}

describe('the default rule set', () => {
  const set = compileDefaultRuleSet();

  it('allows an ordinary payment, every typology quiet', () => {
    const decision = evaluate(set, ordinary(), 'USD');
    assert.equal(decision.verdict, 'ALLOW');
    assert.equal(decision.failure, undefined);
    assert.ok(decision.typologies.every((outcome) => outcome.verdict === 'ALLOW'), JSON.stringify(decision.typologies));
    assert.ok(decision.rules.every((rule) => rule.ref !== '.00' || rule.feature === 'payerPassThroughPct'));
  });

  it('allows an ordinary payment whose party features are all unknown', () => {
    const unknown = Object.fromEntries([...FEATURE_NAMES].map((name) => [name, null]));
    assert.equal(evaluate(set, { ...unknown, amountMinor: 5000n, hourOfDay: 12 }, 'USD').verdict, 'ALLOW');
  });

  for (const flag of ['payerDenied', 'payeeDenied', 'payerSanctioned', 'payeeSanctioned']) {
    it(`blocks a payment whose ${flag} is true`, () => {
      const decision = evaluate(set, ordinary({ [flag]: true }), 'USD');
      assert.equal(decision.verdict, 'BLOCK');
      assert.equal(typology(decision, flag.endsWith('Denied') ? 'deny-list' : 'sanctions'), 'BLOCK');
    });
  }

  it('alerts on a watched party', () => {
    assert.equal(evaluate(set, ordinary({ payeeWatched: true }), 'USD').verdict, 'ALERT');
  });

  it('allows one payment of 9,5xx, holds structuring across payees and DFSPs in 24 h, blocks a dozen', () => {
    assert.equal(evaluate(set, ordinary({ amountMinor: 955000n, 'payerParty.sumMinor.24h': 0n, 'payerParty.count.24h': 0 }), 'USD').verdict, 'ALLOW');
    // The fourth payment of 9,5xx today, each to a different payee at a different DFSP.
    const fourth = evaluate(set, ordinary({ amountMinor: 952000n, pairFirstSeen: true, 'payerParty.count.24h': 3, payerFanOut24h: 3, 'payerParty.sumMinor.24h': 2865000n, 'pair.count.24h': 0 }), 'USD');
    assert.ok(['HOLD', 'BLOCK'].includes(fourth.verdict), fourth.verdict);
    assert.equal(typology(fourth, 'structuring'), 'HOLD');
    const twelfth = evaluate(set, ordinary({ amountMinor: 958000n, pairFirstSeen: true, 'payerParty.count.24h': 11, payerFanOut24h: 11, 'payerParty.sumMinor.24h': 10500000n }), 'USD');
    assert.equal(twelfth.verdict, 'BLOCK');
  });

  it('alerts on a first large payment to a new payee', () => {
    const decision = evaluate(set, ordinary({ amountMinor: 2000000n, pairFirstSeen: true, 'pair.count.24h': 0 }), 'USD');
    assert.equal(decision.verdict, 'ALERT');
    assert.equal(typology(decision, 'new-payee-large-amount'), 'ALERT');
    assert.equal(evaluate(set, ordinary({ amountMinor: 2000000n }), 'USD').verdict, 'ALLOW', 'the same amount to a known payee');
  });

  it('alerts on a mule fan-in: a payee paid by a dozen payers today', () => {
    const decision = evaluate(set, ordinary({ payeeFanIn24h: 12, 'payeeParty.sumMinor.24h': 600000n }), 'USD');
    assert.equal(decision.verdict, 'ALERT');
    assert.equal(typology(decision, 'mule-fan-in'), 'ALERT');
  });

  it('alerts on money passed straight through, and holds it when it goes to many payees', () => {
    const decision = evaluate(set, ordinary({ payerReceivedMinor1h: 500000n, payerPassThroughPct: 95, payerFanOut24h: 3 }), 'USD');
    assert.equal(typology(decision, 'mule-pass-through'), 'ALERT');
    const many = evaluate(set, ordinary({ payerReceivedMinor1h: 500000n, payerPassThroughPct: 95, payerFanOut24h: 10 }), 'USD');
    assert.equal(typology(many, 'mule-pass-through'), 'HOLD');
  });

  it('holds a burst from one source address', () => {
    assert.equal(evaluate(set, ordinary({ 'source.count.1m': 150 }), 'USD').verdict, 'ALERT');
    assert.equal(evaluate(set, ordinary({ 'source.count.1m': 150, 'source.count.1h': 1200 }), 'USD').verdict, 'HOLD');
  });

  it('fails closed on a feature of the wrong type', () => {
    const decision = evaluate(set, ordinary({ payerDenied: 1 }), 'USD');
    assert.equal(decision.verdict, 'BLOCK');
    assert.match(decision.failure ?? '', /feature payerDenied is a number, expected a boolean/);
  });
});
