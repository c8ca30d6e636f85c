// A benchmark of the rules engine alone (no test; no timing assertion anywhere):
// `node src/risk/engine_bench.ts [decisions] [sanctions entries]` evaluates the
// default rule set over varied features and prints the decision time p50 / p99
// / max, the rule and typology counts, and the compile time (target, issue 16:
// p99 ≤ 2 ms); then builds a synthetic sanctions list and prints its build
// time, heap and the screening time per name.
import { performance } from 'node:perf_hooks';
import { compileDefaultRuleSet } from './default_rules.ts';
import { evaluate } from './engine.ts';
import { FEATURE_NAMES, type Features, type FeatureValue } from './types.ts';
import { featureKind } from './rule_set.ts';
import { buildSanctionsList, screenName } from './sanctions.ts';

/** Features for decision `index`: every feature set, values spread over the bands (deterministic). */
function sampleFeatures(index: number): Features {
  const features: Record<string, FeatureValue> = {};
  let seed = index * 2654435761;
  const next = (modulo: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % modulo;
  };
  for (const name of FEATURE_NAMES) {
    const kind = featureKind(name);
    if (next(20) === 0) features[name] = null;
    else if (kind === 'money') features[name] = BigInt(next(6_000_000));
    else if (kind === 'boolean') features[name] = next(50) === 0;
    else features[name] = name === 'hourOfDay' ? next(24) : next(40);
  }
  return features;
}

export function benchEngine(decisions: number): { p50Ms: number; p99Ms: number; maxMs: number; rules: number; typologies: number; compileMs: number } {
  const compileStart = performance.now();
  const ruleSet = compileDefaultRuleSet();
  const compileMs = performance.now() - compileStart;
  const samples = Array.from({ length: 1000 }, (_, index) => sampleFeatures(index));
  for (let index = 0; index < 20_000; index++) evaluate(ruleSet, samples[index % samples.length] ?? {}, 'USD');
  const timesMs = new Float64Array(decisions);
  for (let index = 0; index < decisions; index++) {
    const start = performance.now();
    evaluate(ruleSet, samples[index % samples.length] ?? {}, 'USD');
    timesMs[index] = performance.now() - start;
  }
  timesMs.sort();
  const at = (quantile: number): number => timesMs[Math.min(decisions - 1, Math.floor(quantile * decisions))] ?? 0;
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1), rules: ruleSet.rules.length, typologies: ruleSet.typologies.length, compileMs };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ra', 'sen', 'tor', 'vi', 'an', 'el', 'os', 'du', 'bek', 'zo', 'ha', 'nu', 'pe'];

function syntheticName(index: number): string {
  const word = (value: number): string => {
    let text = '';
    for (let rest = value; text.length < 12; rest = Math.floor(rest / SYLLABLES.length)) text += SYLLABLES[rest % SYLLABLES.length] ?? '';
    return text;
  };
  return `${word(index)} ${word(index * 7919 + 13)}${index % 3 === 0 ? ' ' + word(index * 104729 + 7) : ''}`;
}

export function benchSanctions(entries: number, screenings: number): { buildMs: number; heapMiB: number; perNameP99Ms: number; matches: number } {
  const names = Array.from({ length: entries }, (_, index) => ({ name: syntheticName(index), line: index + 1 }));
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  const list = buildSanctionsList(names);
  const buildMs = performance.now() - start;
  if (!list.ok) throw new Error(list.error);
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 1_048_576;
  const timesMs = new Float64Array(screenings);
  let matches = 0;
  for (let index = 0; index < screenings; index++) {
    const name = index % 10 === 0 ? `Mr ${syntheticName(index * 31)} Junior` : `Customer ${syntheticName(entries + index)} Person`;
    const begin = performance.now();
    if (screenName(list.value, name).matched) matches++;
    timesMs[index] = performance.now() - begin;
  }
  timesMs.sort();
  return { buildMs, heapMiB, perNameP99Ms: timesMs[Math.floor(0.99 * screenings)] ?? 0, matches };
}

/** A duration for reading, in microseconds to one decimal (a time, not money). */
function microseconds(durationMs: number): string {
  return String(Math.round(durationMs * 10_000) / 10);
}

if (import.meta.main) {
  const decisions = Number(process.argv[2] ?? 100_000);
  const entries = Number(process.argv[3] ?? 100_000);
  const result = benchEngine(Number.isSafeInteger(decisions) && decisions > 0 ? decisions : 100_000);
  process.stdout.write(
    `risk engine: ${String(result.rules)} rules, ${String(result.typologies)} typologies; compile ${microseconds(result.compileMs)} µs; ` +
      `decision p50 ${microseconds(result.p50Ms)} µs, p99 ${microseconds(result.p99Ms)} µs, max ${microseconds(result.maxMs)} µs\n`,
  );
  const sanctions = benchSanctions(Number.isSafeInteger(entries) && entries > 0 ? entries : 100_000, 20_000);
  process.stdout.write(
    `sanctions: ${String(entries)} entries built in ${String(Math.round(sanctions.buildMs))} ms, heap +${String(Math.round(sanctions.heapMiB))} MiB; ` +
      `screening p99 ${microseconds(sanctions.perNameP99Ms)} µs per name (${String(sanctions.matches)} of 20000 matched)\n`,
  );
}
