// Rule sets as data (issue 16): the JSON an operator writes and versions, its
// validation, and its compilation into the form the engine evaluates without
// parsing anything.
//
// The format, Tazama's bands and cases:
//
//   { "name": "scheme-default", "version": 3, "failurePolicy": "closed",
//     "rules": [
//       { "id": "amount", "kind": "bands", "feature": "amountMinor", "currency": "USD",
//         "bands": [ { "upper": "100" }, { "lower": "100", "upper": "9000" }, { "lower": "9000" } ] },
//       { "id": "new-pair", "kind": "cases", "feature": "pairFirstSeen",
//         "cases": [ { "value": true, "ref": ".01" } ], "else": ".02" } ],
//     "typologies": [
//       { "id": "new-payee-large", "weights": [ { "rule": "new-pair", "ref": ".01", "weight": 30 },
//                                               { "rule": "amount", "ref": ".03", "weight": 30 } ],
//         "alert": 50, "hold": 80 } ] }
//
// - bands: `[lower, upper)`, in order, each band's lower the previous band's upper; the first band has no
//   lower (−∞) and the last no upper (+∞), so every value falls in exactly one band. Band i (from 1) has
//   the ref ".0i" (".01"…".32"). Over a money feature (amountMinor, payerReceivedMinor1h, *.sumMinor.*)
//   the rule names its currency and the bounds are decimal strings in major units, converted exactly to
//   minor units; a payment in another currency gets ".00". Over other features the bounds are integers.
// - cases: over a boolean feature (values true/false) or an integer one (e.g. hourOfDay): each case maps a
//   value to a ref (".01"…".99"; several values may share one), `else` gives the ref of every other value.
// - Any rule over an unknown (null) feature gives ".00".
// - A typology's score is the sum of the weights of the (rule, ref) outcomes that occurred; its verdict is
//   the highest of its thresholds the score reaches (score ≥ threshold), ALLOW when none.
//
// Bounds: ≤ 200 rules, ≤ 50 typologies, ≤ 32 bands or cases per rule, ≤ 400 weights per typology, each
// weight an integer in ±1,000,000 and each threshold in ±1,000,000,000 (so a score stays a safe integer),
// ids of 1–64 characters [A-Za-z0-9_.-], descriptions ≤ 500 characters, version 1…2^31−1.
import { FEATURE_NAMES, type Verdict } from './types.ts';
import { currencyScale, err, ok, parseAmount, type Result } from '../support/index.ts';

export const RULES_MAX = 200;
export const TYPOLOGIES_MAX = 50;
export const BANDS_OR_CASES_MAX = 32;
export const WEIGHTS_PER_TYPOLOGY_MAX = 400;
export const WEIGHT_ABS_MAX = 1_000_000;
export const THRESHOLD_ABS_MAX = 1_000_000_000;
export const DESCRIPTION_CHARS_MAX = 500;
export const VERSION_MAX = 2_147_483_647;
export const UNKNOWN_REF = '.00';

const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const CASE_REF_PATTERN = /^\.(0[1-9]|[1-9][0-9])$/;

/** What kind of value a feature holds: money (bigint minor units), another integer, or a boolean. */
export type FeatureKind = 'money' | 'integer' | 'boolean';

const BOOLEAN_FEATURES: ReadonlySet<string> = new Set([
  'amountRound', 'pairFirstSeen', 'payerDenied', 'payeeDenied', 'payerWatched', 'payeeWatched', 'payerSanctioned', 'payeeSanctioned',
]);

export function featureKind(name: string): FeatureKind | undefined {
  if (!FEATURE_NAMES.has(name)) return undefined;
  if (name === 'amountMinor' || name === 'payerReceivedMinor1h' || name.includes('.sumMinor.')) return 'money';
  return BOOLEAN_FEATURES.has(name) ? 'boolean' : 'integer';
}

/** The ref of band `index` (0-based): ".01" for the first. */
export function bandRef(index: number): string {
  return '.' + String(index + 1).padStart(2, '0');
}

// ---- The data, as written ----

export interface BandData { readonly lower?: string | number; readonly upper?: string | number }
export interface CaseData { readonly value: boolean | number; readonly ref: string }
export interface BandsRuleData {
  readonly id: string; readonly kind: 'bands'; readonly feature: string; readonly currency?: string;
  readonly description?: string; readonly bands: readonly BandData[];
}
export interface CasesRuleData {
  readonly id: string; readonly kind: 'cases'; readonly feature: string; readonly description?: string;
  readonly cases: readonly CaseData[]; readonly else: string;
}
export type RuleData = BandsRuleData | CasesRuleData;
export interface WeightData { readonly rule: string; readonly ref: string; readonly weight: number }
export interface TypologyData {
  readonly id: string; readonly description?: string; readonly weights: readonly WeightData[];
  readonly alert?: number; readonly hold?: number; readonly block?: number;
}
export interface RuleSetData {
  readonly name: string; readonly version: number; readonly failurePolicy: 'open' | 'closed';
  readonly description?: string; readonly rules: readonly RuleData[]; readonly typologies: readonly TypologyData[];
}

// ---- The compiled form ----

export type CompiledRule =
  | { readonly id: string; readonly feature: string; readonly kind: 'money'; readonly currency: string; readonly uppers: readonly bigint[] }
  | { readonly id: string; readonly feature: string; readonly kind: 'integer'; readonly uppers: readonly number[] }
  | { readonly id: string; readonly feature: string; readonly kind: 'cases'; readonly valueType: 'boolean' | 'number'; readonly cases: ReadonlyMap<boolean | number, string>; readonly elseRef: string };

export interface CompiledTypology {
  readonly id: string;
  /** Per rule index, the weight of each of its refs that this typology counts. */
  readonly weights: readonly (ReadonlyMap<string, number> | undefined)[];
  /** Thresholds from the highest verdict down: the first the score reaches is the verdict. */
  readonly thresholds: readonly { readonly verdict: Verdict; readonly atLeast: number }[];
}

export interface CompiledRuleSet {
  readonly name: string;
  readonly version: number;
  readonly failurePolicy: 'open' | 'closed';
  readonly rules: readonly CompiledRule[];
  readonly typologies: readonly CompiledTypology[];
}

/** One thing wrong with a rule set: where (a JSON path such as `rules[3].bands[1].lower`) and what. */
export interface RuleSetProblem { readonly path: string; readonly message: string }

export function formatProblems(problems: readonly RuleSetProblem[]): string {
  return problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
}

// ---- Validation and compilation ----

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Checker {
  readonly problems: RuleSetProblem[] = [];
  /** Records a problem (the first 100 of them); returns undefined so that `return check.add(…)` ends a callback. */
  add(path: string, message: string): undefined {
    if (this.problems.length < 100) this.problems.push({ path, message });
    return undefined;
  }
  /** Refuses members other than `allowed`: a misspelt key is an operator's mistake, not something to ignore. */
  members(value: Json, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) if (!allowed.includes(key)) this.add(path === '' ? key : `${path}.${key}`, 'is not a member of this object');
  }
  id(value: unknown, path: string): value is string {
    if (typeof value === 'string' && ID_PATTERN.test(value)) return true;
    this.add(path, 'must be 1 to 64 characters of A-Z a-z 0-9 _ . -');
    return false;
  }
  description(value: unknown, path: string): void {
    if (value !== undefined && (typeof value !== 'string' || value.length > DESCRIPTION_CHARS_MAX)) this.add(path, `must be a string of at most ${String(DESCRIPTION_CHARS_MAX)} characters`);
  }
  integer(value: unknown, path: string, bound: number): value is number {
    if (typeof value === 'number' && Number.isSafeInteger(value) && Math.abs(value) <= bound) return true;
    this.add(path, `must be an integer between -${String(bound)} and ${String(bound)}`);
    return false;
  }
  list(value: unknown, path: string, max: number, min = 1): value is unknown[] {
    if (Array.isArray(value) && value.length >= min && value.length <= max) return true;
    this.add(path, `must be a list of ${String(min)} to ${String(max)} entries`);
    return false;
  }
}

/** Validates and compiles a rule set: every problem with its path, or the compiled form. */
/** The problems of a rule set definition, as text (none when it compiles): what the rule set store validates with. */
export function ruleSetProblems(data: unknown): string[] {
  const compiled = compileRuleSet(data);
  return compiled.ok ? [] : [formatProblems(compiled.error)];
}

export function compileRuleSet(data: unknown): Result<CompiledRuleSet, RuleSetProblem[]> {
  const check = new Checker();
  if (!isObject(data)) return err([{ path: '', message: 'a rule set must be a JSON object' }]);
  check.members(data, '', ['name', 'version', 'failurePolicy', 'description', 'rules', 'typologies']);
  check.id(data['name'], 'name');
  const version = data['version'];
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1 || version > VERSION_MAX) check.add('version', `must be an integer from 1 to ${String(VERSION_MAX)}`);
  const failurePolicy = data['failurePolicy'];
  if (failurePolicy !== 'open' && failurePolicy !== 'closed') check.add('failurePolicy', 'must be "open" (an engine failure allows) or "closed" (it blocks)');
  check.description(data['description'], 'description');
  const rules = compileRules(check, data['rules']);
  const typologies = compileTypologies(check, data['typologies'], rules);
  if (check.problems.length > 0) return err(check.problems);
  return ok({ name: data['name'] as string, version: version as number, failurePolicy: failurePolicy as 'open' | 'closed', rules, typologies });
}

function compileRules(check: Checker, value: unknown): CompiledRule[] {
  if (!check.list(value, 'rules', RULES_MAX)) return [];
  const compiled: CompiledRule[] = [];
  const seen = new Set<string>();
  value.forEach((rule, index) => {
    const path = `rules[${String(index)}]`;
    const result = compileRule(check, rule, path);
    if (result === undefined) return;
    if (seen.has(result.id)) check.add(`${path}.id`, `repeats the rule id ${JSON.stringify(result.id)}`);
    seen.add(result.id);
    compiled.push(result);
  });
  return compiled;
}

function compileRule(check: Checker, rule: unknown, path: string): CompiledRule | undefined {
  if (!isObject(rule)) {
    check.add(path, 'must be an object');
    return undefined;
  }
  const idOk = check.id(rule['id'], `${path}.id`);
  check.description(rule['description'], `${path}.description`);
  const feature = rule['feature'];
  const kind = typeof feature === 'string' ? featureKind(feature) : undefined;
  if (kind === undefined) check.add(`${path}.feature`, `${JSON.stringify(feature)} is not a known feature (see FEATURE_NAMES)`);
  let compiled: CompiledRule | undefined;
  if (rule['kind'] === 'bands') {
    check.members(rule, path, ['id', 'kind', 'feature', 'currency', 'description', 'bands']);
    compiled = kind === undefined ? undefined : compileBands(check, rule, path, kind);
  } else if (rule['kind'] === 'cases') {
    check.members(rule, path, ['id', 'kind', 'feature', 'description', 'cases', 'else']);
    compiled = kind === undefined ? undefined : compileCases(check, rule, path, kind);
  } else {
    check.add(`${path}.kind`, 'must be "bands" or "cases"');
  }
  return idOk ? compiled : undefined;
}

function compileBands(check: Checker, rule: Json, path: string, kind: FeatureKind): CompiledRule | undefined {
  const id = rule['id'] as string;
  const feature = rule['feature'] as string;
  if (kind === 'boolean') {
    check.add(`${path}.kind`, `feature ${feature} is a boolean: use "cases"`);
    return undefined;
  }
  const currency = rule['currency'];
  if (kind === 'money' && (typeof currency !== 'string' || currencyScale(currency) === undefined)) {
    check.add(`${path}.currency`, `feature ${feature} is an amount: the rule must name a supported ISO 4217 currency`);
    return undefined;
  }
  if (kind === 'integer' && currency !== undefined) check.add(`${path}.currency`, `feature ${feature} is not an amount: a currency has no meaning here`);
  const bands = rule['bands'];
  if (!check.list(bands, `${path}.bands`, BANDS_OR_CASES_MAX)) return undefined;
  const bound = (value: unknown, where: string): bigint | number | undefined =>
    kind === 'money' ? moneyBound(check, value, currency as string, where) : integerBound(check, value, where);
  const uppers: (bigint | number)[] = [];
  let previousUpper: bigint | number | undefined;
  bands.forEach((band, index) => {
    const where = `${path}.bands[${String(index)}]`;
    if (!isObject(band)) { check.add(where, 'must be an object'); return; }
    check.members(band, where, ['lower', 'upper']);
    const first = index === 0;
    const last = index === bands.length - 1;
    if (first !== (band['lower'] === undefined)) check.add(`${where}.lower`, first ? 'the first band has no lower bound (it starts at −∞)' : 'must be given (the previous band\'s upper)');
    if (last !== (band['upper'] === undefined)) check.add(`${where}.upper`, last ? 'the last band has no upper bound (it runs to +∞)' : 'must be given');
    const lower = band['lower'] === undefined ? undefined : bound(band['lower'], `${where}.lower`);
    const upper = band['upper'] === undefined ? undefined : bound(band['upper'], `${where}.upper`);
    if (lower !== undefined && previousUpper !== undefined && lower !== previousUpper) {
      check.add(`${where}.lower`, lower < previousUpper ? 'overlaps the previous band (bands are [lower, upper) in order)' : 'leaves a gap after the previous band (it must equal the previous upper)');
    }
    if (lower !== undefined && upper !== undefined && upper <= lower) check.add(`${where}.upper`, 'must be greater than lower');
    if (upper !== undefined) uppers.push(upper);
    previousUpper = upper;
  });
  if (kind === 'money') return { id, feature, kind, currency: currency as string, uppers: uppers as bigint[] };
  return { id, feature, kind, uppers: uppers as number[] };
}

function moneyBound(check: Checker, value: unknown, currency: string, path: string): bigint | undefined {
  if (typeof value !== 'string') {
    check.add(path, 'an amount bound is a decimal string in major units (e.g. "9999.99"), never a JSON number');
    return undefined;
  }
  const parsed = parseAmount(value, currency, { allowZero: true });
  if (!parsed.ok) check.add(path, parsed.error);
  return parsed.ok ? parsed.value : undefined;
}

function integerBound(check: Checker, value: unknown, path: string): number | undefined {
  return check.integer(value, path, Number.MAX_SAFE_INTEGER) ? value : undefined;
}

function compileCases(check: Checker, rule: Json, path: string, kind: FeatureKind): CompiledRule | undefined {
  const feature = rule['feature'] as string;
  if (kind === 'money') {
    check.add(`${path}.kind`, `feature ${feature} is an amount: use "bands"`);
    return undefined;
  }
  const elseRef = rule['else'];
  if (typeof elseRef !== 'string' || !CASE_REF_PATTERN.test(elseRef)) check.add(`${path}.else`, 'must be a ref ".01" to ".99"');
  const cases = rule['cases'];
  if (!check.list(cases, `${path}.cases`, BANDS_OR_CASES_MAX)) return undefined;
  const map = new Map<boolean | number, string>();
  cases.forEach((entry, index) => {
    const where = `${path}.cases[${String(index)}]`;
    if (!isObject(entry)) { check.add(where, 'must be an object'); return; }
    check.members(entry, where, ['value', 'ref']);
    const value = entry['value'];
    const valueOk = kind === 'boolean' ? typeof value === 'boolean' : typeof value === 'number' && Number.isSafeInteger(value);
    if (!valueOk || (typeof value !== 'boolean' && typeof value !== 'number')) { check.add(`${where}.value`, `must be ${kind === 'boolean' ? 'true or false' : 'an integer'} (feature ${feature})`); return; }
    if (map.has(value)) { check.add(`${where}.value`, `repeats the value ${String(value)}`); return; }
    const ref = entry['ref'];
    if (typeof ref !== 'string' || !CASE_REF_PATTERN.test(ref)) { check.add(`${where}.ref`, 'must be a ref ".01" to ".99"'); return; }
    map.set(value, ref);
  });
  return { id: rule['id'] as string, feature, kind: 'cases', valueType: kind === 'boolean' ? 'boolean' : 'number', cases: map, elseRef: elseRef as string };
}

/** The refs a compiled rule can give, besides ".00". */
export function ruleRefs(rule: CompiledRule): Set<string> {
  if (rule.kind === 'cases') return new Set([...rule.cases.values(), rule.elseRef]);
  return new Set(Array.from({ length: rule.uppers.length + 1 }, (_, index) => bandRef(index)));
}

function compileTypologies(check: Checker, value: unknown, rules: readonly CompiledRule[]): CompiledTypology[] {
  if (!check.list(value, 'typologies', TYPOLOGIES_MAX)) return [];
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id, index]));
  const seen = new Set<string>();
  const compiled: CompiledTypology[] = [];
  value.forEach((typology, index) => {
    const path = `typologies[${String(index)}]`;
    if (!isObject(typology)) { check.add(path, 'must be an object'); return; }
    check.members(typology, path, ['id', 'description', 'weights', 'alert', 'hold', 'block']);
    if (!check.id(typology['id'], `${path}.id`)) return;
    if (seen.has(typology['id'])) check.add(`${path}.id`, `repeats the typology id ${JSON.stringify(typology['id'])}`);
    seen.add(typology['id']);
    check.description(typology['description'], `${path}.description`);
    const weights = compileWeights(check, typology['weights'], `${path}.weights`, rules, ruleIndex);
    compiled.push({ id: typology['id'], weights, thresholds: compileThresholds(check, typology, path) });
  });
  return compiled;
}

function compileWeights(check: Checker, value: unknown, path: string, rules: readonly CompiledRule[], ruleIndex: ReadonlyMap<string, number>): (Map<string, number> | undefined)[] {
  const weights: (Map<string, number> | undefined)[] = rules.map(() => undefined);
  if (!check.list(value, path, WEIGHTS_PER_TYPOLOGY_MAX)) return weights;
  value.forEach((entry, index) => {
    const where = `${path}[${String(index)}]`;
    if (!isObject(entry)) { check.add(where, 'must be an object'); return; }
    check.members(entry, where, ['rule', 'ref', 'weight']);
    const position = typeof entry['rule'] === 'string' ? ruleIndex.get(entry['rule']) : undefined;
    const rule = position === undefined ? undefined : rules[position];
    if (position === undefined || rule === undefined) { check.add(`${where}.rule`, `${JSON.stringify(entry['rule'])} names no rule of this rule set`); return; }
    const ref = entry['ref'];
    if (typeof ref !== 'string' || (ref !== UNKNOWN_REF && !ruleRefs(rule).has(ref))) {
      check.add(`${where}.ref`, `${JSON.stringify(ref)} is not an outcome of rule ${rule.id} (its refs: ${[UNKNOWN_REF, ...ruleRefs(rule)].join(' ')})`); return;
    }
    if (!check.integer(entry['weight'], `${where}.weight`, WEIGHT_ABS_MAX)) return;
    const map = weights[position] ?? new Map<string, number>();
    if (map.has(ref)) { check.add(where, `repeats the outcome ${rule.id}${ref}`); return; }
    map.set(ref, entry['weight']);
    weights[position] = map;
  });
  return weights;
}

function compileThresholds(check: Checker, typology: Json, path: string): CompiledTypology['thresholds'] {
  const given: { verdict: Verdict; atLeast: number }[] = [];
  for (const [key, verdict] of [['alert', 'ALERT'], ['hold', 'HOLD'], ['block', 'BLOCK']] as const) {
    const value = typology[key];
    if (value === undefined || !check.integer(value, `${path}.${key}`, THRESHOLD_ABS_MAX)) continue;
    const previous = given.at(-1);
    if (previous !== undefined && value < previous.atLeast) check.add(`${path}.${key}`, `must be at least the ${previous.verdict.toLowerCase()} threshold (${String(previous.atLeast)}): alert ≤ hold ≤ block`);
    given.push({ verdict, atLeast: value });
  }
  if (given.length === 0) check.add(path, 'names no threshold: give at least one of alert, hold, block');
  return given.reverse();
}
