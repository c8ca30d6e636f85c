// The rules engine (issue 16): a compiled rule set evaluated over one payment's
// features, in memory, with no parsing and no I/O. Each rule gives one ref (its
// band or case, ".00" when the feature is unknown); each typology sums the
// weights of the refs that occurred and reaches its highest threshold; the
// decision is the highest typology verdict. Nothing here throws: an internal
// failure (a feature of the wrong type, a bug) becomes a decision the rule
// set's failure policy gives, with the reason in `failure`.
import { bandRef, UNKNOWN_REF, type CompiledRule, type CompiledRuleSet, type CompiledTypology } from './rule_set.ts';
import { VERDICT_ORDER, type Decision, type Features, type FeatureValue, type RuleOutcome, type TypologyOutcome, type Verdict } from './types.ts';

const VERDICT_RANK: ReadonlyMap<Verdict, number> = new Map(VERDICT_ORDER.map((verdict, rank) => [verdict, rank]));

/** The higher of two verdicts (ALLOW < ALERT < HOLD < BLOCK). */
export function higherVerdict(a: Verdict, b: Verdict): Verdict {
  return (VERDICT_RANK.get(a) ?? 0) >= (VERDICT_RANK.get(b) ?? 0) ? a : b;
}

class FeatureTypeError extends Error {}

/** The index of the band `value` falls in: the first whose upper bound is above it, else the last. */
function bandIndex<T extends number | bigint>(uppers: readonly T[], value: T): number {
  let low = 0;
  let high = uppers.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const upper = uppers[middle];
    if (upper !== undefined && value < upper) high = middle;
    else low = middle + 1;
  }
  return low;
}

function wrongType(rule: CompiledRule, value: FeatureValue, expected: string): never {
  throw new FeatureTypeError(`rule ${rule.id}: feature ${rule.feature} is a ${typeof value}, expected ${expected}`);
}

/** One rule's ref for `value` (never null here) in a payment of `currency`. */
function ruleRef(rule: CompiledRule, value: Exclude<FeatureValue, null>, currency: string): string {
  switch (rule.kind) {
    case 'money':
      if (typeof value !== 'bigint') return wrongType(rule, value, 'a bigint amount');
      return rule.currency === currency ? bandRef(bandIndex(rule.uppers, value)) : UNKNOWN_REF;
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return wrongType(rule, value, 'a finite number');
      return bandRef(bandIndex(rule.uppers, value));
    case 'cases':
      if (typeof value === 'bigint' || typeof value !== rule.valueType) return wrongType(rule, value, rule.valueType === 'boolean' ? 'a boolean' : 'a number');
      return rule.cases.get(value) ?? rule.elseRef;
  }
}

function typologyOutcome(typology: CompiledTypology, refs: readonly string[]): TypologyOutcome {
  let score = 0;
  refs.forEach((ref, index) => {
    const weight = typology.weights[index]?.get(ref);
    if (weight !== undefined) score += weight;
  });
  const reached = typology.thresholds.find((threshold) => score >= threshold.atLeast);
  return { typologyId: typology.id, score, verdict: reached?.verdict ?? 'ALLOW' };
}

/**
 * Evaluates a compiled rule set over one payment's features. `currency` is the payment's: an amount rule
 * written in another currency gives ".00" (it cannot judge this payment). Never throws.
 */
export function evaluate(ruleSet: CompiledRuleSet, features: Features, currency: string): Decision {
  const rules: RuleOutcome[] = [];
  try {
    const refs: string[] = [];
    for (const rule of ruleSet.rules) {
      const value = Object.hasOwn(features, rule.feature) ? features[rule.feature] : null;
      const ref = value === null || value === undefined ? UNKNOWN_REF : ruleRef(rule, value, currency);
      refs.push(ref);
      rules.push({ ruleId: rule.id, feature: rule.feature, value: String(value ?? null), ref });
    }
    let verdict: Verdict = 'ALLOW';
    const typologies = ruleSet.typologies.map((typology) => {
      const outcome = typologyOutcome(typology, refs);
      verdict = higherVerdict(verdict, outcome.verdict);
      return outcome;
    });
    return { verdict, ruleSet: { name: ruleSet.name, version: ruleSet.version }, rules, typologies };
  } catch (error) {
    return failed(ruleSet, rules, error);
  }
}

/** What went wrong, as text; never throws itself (a thrown value may have a throwing toString). */
function describeError(error: unknown): string {
  if (error instanceof FeatureTypeError) return error.message;
  try {
    return `internal error: ${error instanceof Error ? error.message : String(error)}`;
  } catch {
    return 'internal error (not describable)';
  }
}

function failed(ruleSet: CompiledRuleSet, rules: readonly RuleOutcome[], error: unknown): Decision {
  const reason = describeError(error);
  return {
    verdict: ruleSet.failurePolicy === 'open' ? 'ALLOW' : 'BLOCK',
    ruleSet: { name: ruleSet.name, version: ruleSet.version },
    rules,
    typologies: [],
    failure: reason,
  };
}
