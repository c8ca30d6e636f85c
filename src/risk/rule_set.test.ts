import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { evaluate } from './engine.ts';
import { compileDefaultRuleSet, DEFAULT_RULE_SET } from './default_rules.ts';
import {
  compileRuleSet, featureKind, WEIGHT_ABS_MAX, BANDS_OR_CASES_MAX, RULES_MAX, TYPOLOGIES_MAX,
  type CompiledRuleSet, type RuleSetProblem,
} from './rule_set.ts';
import { FEATURE_NAMES } from './types.ts';

type Mutable = Record<string, unknown>;

/** A small valid rule set, as JSON data, to break one member at a time. */
function base(): Mutable {
  return {
    name: 'test-set',
    version: 1,
    failurePolicy: 'closed',
    rules: [
      { id: 'amount', kind: 'bands', feature: 'amountMinor', currency: 'USD', bands: [{ upper: '100' }, { lower: '100', upper: '9000.5' }, { lower: '9000.5' }] },
      { id: 'count', kind: 'bands', feature: 'payerParty.count.1h', bands: [{ upper: 5 }, { lower: 5 }] },
      { id: 'new-pair', kind: 'cases', feature: 'pairFirstSeen', cases: [{ value: true, ref: '.01' }], else: '.02' },
    ],
    typologies: [
      { id: 'new-large', weights: [{ rule: 'new-pair', ref: '.01', weight: 30 }, { rule: 'amount', ref: '.03', weight: 30 }], alert: 50, hold: 60 },
    ],
  };
}

function compiled(data: unknown): CompiledRuleSet {
  const result = compileRuleSet(data);
  assert.ok(result.ok, `should validate: ${result.ok ? '' : JSON.stringify(result.error)}`);
  return result.value;
}

function problems(data: unknown): RuleSetProblem[] {
  const result = compileRuleSet(data);
  assert.ok(!result.ok, 'should be refused');
  return result.error;
}

/** Asserts that the refusal names `path` with a message matching `message`. */
function refusedAt(data: unknown, path: string, message: RegExp): void {
  const found = problems(data);
  assert.ok(
    found.some((problem) => problem.path === path && message.test(problem.message)),
    `expected a problem at ${path} matching ${String(message)}, got ${JSON.stringify(found)}`,
  );
}

function withRule(index: number, patch: Mutable): Mutable {
  const data = base();
  const rules = data['rules'] as Mutable[];
  rules[index] = { ...rules[index], ...patch };
  return data;
}

function withTypology(patch: Mutable): Mutable {
  const data = base();
  const typologies = data['typologies'] as Mutable[];
  typologies[0] = { ...typologies[0], ...patch };
  return data;
}

describe('compileRuleSet', () => {
  it('compiles a valid rule set, amount bounds converted exactly to minor units', () => {
    const set = compiled(base());
    assert.equal(set.rules.length, 3);
    const amount = set.rules[0];
    assert.ok(amount?.kind === 'money');
    assert.deepEqual(amount.uppers, [10000n, 900050n]);
    assert.deepEqual(set.typologies[0]?.thresholds.map((threshold) => threshold.verdict), ['HOLD', 'ALERT']);
  });

  it('knows the kind of every feature name', () => {
    for (const name of FEATURE_NAMES) assert.ok(featureKind(name) !== undefined, name);
    assert.equal(featureKind('amountMinor'), 'money');
    assert.equal(featureKind('pair.sumMinor.7d'), 'money');
    assert.equal(featureKind('pairFirstSeen'), 'boolean');
    assert.equal(featureKind('hourOfDay'), 'integer');
    assert.equal(featureKind('payerIban'), undefined);
  });

  it('refuses what is not an object, and unknown members', () => {
    assert.equal(problems([])[0]?.message, 'a rule set must be a JSON object');
    refusedAt({ ...base(), extra: 1 }, 'extra', /not a member/);
    refusedAt(withRule(0, { colour: 'red' }), 'rules[0].colour', /not a member/);
  });

  it('refuses a bad name, version and failure policy', () => {
    refusedAt({ ...base(), name: 'a b' }, 'name', /1 to 64 characters/);
    refusedAt({ ...base(), version: 1.5 }, 'version', /integer from 1/);
    refusedAt({ ...base(), version: 0 }, 'version', /integer from 1/);
    refusedAt({ ...base(), failurePolicy: 'maybe' }, 'failurePolicy', /"open".*"closed"/);
  });

  it('hostile: refuses a rule over a feature that does not exist', () => {
    refusedAt(withRule(1, { feature: 'payerParty.count.2h' }), 'rules[1].feature', /not a known feature/);
    refusedAt(withRule(1, { feature: '__proto__' }), 'rules[1].feature', /not a known feature/);
  });

  it('refuses repeated rule ids and an unknown kind', () => {
    refusedAt(withRule(1, { id: 'amount' }), 'rules[1].id', /repeats the rule id "amount"/);
    refusedAt(withRule(1, { kind: 'regex' }), 'rules[1].kind', /"bands" or "cases"/);
  });

  it('hostile: refuses overlapping bands, gaps, and open ends in the middle', () => {
    refusedAt(withRule(1, { bands: [{ upper: 5 }, { lower: 4, upper: 9 }, { lower: 9 }] }), 'rules[1].bands[1].lower', /overlaps the previous band/);
    refusedAt(withRule(1, { bands: [{ upper: 5 }, { lower: 6, upper: 9 }, { lower: 9 }] }), 'rules[1].bands[1].lower', /leaves a gap/);
    refusedAt(withRule(1, { bands: [{ lower: 0, upper: 5 }, { lower: 5 }] }), 'rules[1].bands[0].lower', /no lower bound/);
    refusedAt(withRule(1, { bands: [{ upper: 5 }, { lower: 5, upper: 9 }] }), 'rules[1].bands[1].upper', /no upper bound/);
    refusedAt(withRule(1, { bands: [{ upper: 5 }, { lower: 5, upper: 5 }, { lower: 5 }] }), 'rules[1].bands[1].upper', /greater than lower/);
    refusedAt(withRule(1, { bands: [{ upper: 5 }, {}, { lower: 9 }] }), 'rules[1].bands[1].lower', /must be given/);
  });

  it('refuses amount bounds that are numbers, badly written, or finer than the currency', () => {
    refusedAt(withRule(0, { bands: [{ upper: 100 }, { lower: 100 }] }), 'rules[0].bands[0].upper', /decimal string.*never a JSON number/);
    refusedAt(withRule(0, { bands: [{ upper: '1e3' }, { lower: '1e3' }] }), 'rules[0].bands[0].upper', /not a decimal/);
    refusedAt(withRule(0, { bands: [{ upper: '9999.999' }, { lower: '9999.999' }] }), 'rules[0].bands[0].upper', /3 decimals; USD has 2/);
    refusedAt(withRule(0, { currency: 'XXX' }), 'rules[0].currency', /ISO 4217/);
    refusedAt(withRule(1, { currency: 'USD' }), 'rules[1].currency', /not an amount/);
    refusedAt(withRule(1, { bands: [{ upper: 2.5 }, { lower: 2.5 }] }), 'rules[1].bands[0].upper', /integer/);
  });

  it('refuses bands over a boolean and cases over an amount', () => {
    refusedAt(withRule(1, { feature: 'payerDenied' }), 'rules[1].kind', /boolean: use "cases"/);
    refusedAt(withRule(2, { feature: 'amountMinor' }), 'rules[2].kind', /amount: use "bands"/);
  });

  it('refuses bad cases', () => {
    refusedAt(withRule(2, { cases: [{ value: 1, ref: '.01' }] }), 'rules[2].cases[0].value', /true or false/);
    refusedAt(withRule(2, { cases: [{ value: true, ref: '.01' }, { value: true, ref: '.02' }] }), 'rules[2].cases[1].value', /repeats the value true/);
    refusedAt(withRule(2, { cases: [{ value: true, ref: '.00' }] }), 'rules[2].cases[0].ref', /".01" to ".99"/);
    refusedAt(withRule(2, { else: '1' }), 'rules[2].else', /".01" to ".99"/);
    refusedAt(withRule(2, { feature: 'hourOfDay', cases: [{ value: 1.5, ref: '.01' }] }), 'rules[2].cases[0].value', /an integer/);
  });

  it('refuses typologies that name a missing rule or ref, repeat outcomes or ids', () => {
    refusedAt(withTypology({ weights: [{ rule: 'ghost', ref: '.01', weight: 1 }] }), 'typologies[0].weights[0].rule', /"ghost" names no rule/);
    refusedAt(withTypology({ weights: [{ rule: 'count', ref: '.03', weight: 1 }] }), 'typologies[0].weights[0].ref', /not an outcome of rule count \(its refs: \.00 \.01 \.02\)/);
    refusedAt(withTypology({ weights: [{ rule: 'count', ref: '.02', weight: 1 }, { rule: 'count', ref: '.02', weight: 2 }] }), 'typologies[0].weights[1]', /repeats the outcome count\.02/);
    const data = base();
    data['typologies'] = [...(data['typologies'] as unknown[]), (data['typologies'] as unknown[])[0]];
    refusedAt(data, 'typologies[1].id', /repeats the typology id/);
  });

  it('refuses thresholds out of order or missing', () => {
    refusedAt(withTypology({ alert: 70, hold: 60 }), 'typologies[0].hold', /at least the alert threshold \(70\)/);
    refusedAt(withTypology({ alert: undefined, hold: 60, block: 10 }), 'typologies[0].block', /at least the hold threshold/);
    refusedAt(withTypology({ alert: undefined, hold: undefined }), 'typologies[0]', /names no threshold/);
  });

  it('accepts thresholds that are equal, and a negative weight', () => {
    compiled(withTypology({ alert: 60, hold: 60, weights: [{ rule: 'count', ref: '.02', weight: -20 }, { rule: 'amount', ref: '.00', weight: 5 }] }));
  });

  it('hostile: refuses huge weights and thresholds (a score stays a safe integer)', () => {
    refusedAt(withTypology({ weights: [{ rule: 'count', ref: '.02', weight: WEIGHT_ABS_MAX + 1 }] }), 'typologies[0].weights[0].weight', /integer between/);
    refusedAt(withTypology({ weights: [{ rule: 'count', ref: '.02', weight: 1e308 }] }), 'typologies[0].weights[0].weight', /integer between/);
    refusedAt(withTypology({ weights: [{ rule: 'count', ref: '.02', weight: 2 ** 53 }] }), 'typologies[0].weights[0].weight', /integer between/);
    refusedAt(withTypology({ block: 1e12 }), 'typologies[0].block', /integer between/);
  });

  it('refuses too many rules, typologies and bands', () => {
    const data = base();
    const many = Array.from({ length: RULES_MAX + 1 }, (_, index) => ({ id: `r${String(index)}`, kind: 'cases', feature: 'payerDenied', cases: [{ value: true, ref: '.01' }], else: '.02' }));
    refusedAt({ ...data, rules: many }, 'rules', /1 to 200 entries/);
    refusedAt({ ...data, typologies: Array.from({ length: TYPOLOGIES_MAX + 1 }, () => (data['typologies'] as unknown[])[0]) }, 'typologies', /1 to 50 entries/);
    const bands = [{ upper: 1 }, ...Array.from({ length: BANDS_OR_CASES_MAX - 1 }, (_, index) => ({ lower: index + 1, upper: index + 2 })), { lower: BANDS_OR_CASES_MAX }];
    refusedAt(withRule(1, { bands }), 'rules[1].bands', /1 to 32 entries/);
  });

  it('refuses members that are not objects, and long descriptions', () => {
    const data = base();
    (data['rules'] as unknown[])[1] = 'count';
    refusedAt(data, 'rules[1]', /must be an object/);
    refusedAt(withRule(1, { bands: [7] }), 'rules[1].bands[0]', /must be an object/);
    refusedAt(withRule(2, { cases: [null] }), 'rules[2].cases[0]', /must be an object/);
    refusedAt(withTypology({ weights: [[]] }), 'typologies[0].weights[0]', /must be an object/);
    refusedAt(withRule(1, { description: 'x'.repeat(501) }), 'rules[1].description', /at most 500 characters/);
    refusedAt(withRule(1, { bands: [] }), 'rules[1].bands', /1 to 32 entries/);
  });

  it('property: any ascending cut points give bands that hold every value exactly once, in [lower, upper)', () => {
    const cuts = fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 0, maxLength: BANDS_OR_CASES_MAX - 1 }).map((list) => list.sort((a, b) => a - b));
    fc.assert(fc.property(cuts, fc.integer({ min: -1100, max: 1100 }), (points, value) => {
      const bands: { lower?: number; upper?: number }[] = points.map((upper, index) => (index === 0 ? { upper } : { lower: points[index - 1] ?? 0, upper }));
      bands.push(points.length === 0 ? {} : { lower: points.at(-1) ?? 0 });
      const set = compiled(withRule(1, { bands }));
      const ref = evaluate(set, { 'payerParty.count.1h': value }, 'USD').rules[1]?.ref;
      const holding = bands.filter((band) => (band.lower === undefined || band.lower <= value) && (band.upper === undefined || value < band.upper));
      assert.equal(holding.length, 1);
      assert.equal(ref, `.${String(bands.indexOf(holding[0] ?? {}) + 1).padStart(2, '0')}`);
    }));
  });

  it('reports every problem at once, each with its path', () => {
    const found = problems({ ...withRule(1, { feature: 'nope' }), version: -1, failurePolicy: 'x' });
    assert.deepEqual(found.map((problem) => problem.path).sort(), ['failurePolicy', 'rules[1].feature', 'version']);
  });
});

describe('the default rule set', () => {
  it('validates, with at least 20 rules and several typologies', () => {
    const set = compileDefaultRuleSet();
    assert.ok(set.rules.length >= 20, `${String(set.rules.length)} rules`);
    assert.ok(set.typologies.length >= 5);
    assert.equal(set.failurePolicy, 'closed');
    // It is data: it survives a JSON round trip unchanged.
    assert.deepEqual(compiled(JSON.parse(JSON.stringify(DEFAULT_RULE_SET))), set);
  });
});
