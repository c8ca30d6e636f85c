// `interlock risk replay`: a rule set evaluated over stored history. For each
// transfer the FRMS decided on, the features it saw then (kept with the
// decision) are judged again by the rule set under test, and what it would have
// decided is printed beside what was; a table counts old verdict × new verdict.
//
// The replay judges the same feature values the decision saw: it does not
// rebuild them from today's windows, and it reads the allow list as it was then
// only through the verdict that was (a replayed verdict is the rule set's own,
// with no override). Decisions made before the hub kept their features
// (migration 0072) cannot be replayed: they are skipped and counted.
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Config } from '../config/index.ts';
import { MIGRATIONS } from '../migrations/index.ts';
import { openStorage, redactStorageUrl, type Db } from '../storage/index.ts';
import { EXIT_FAILED, EXIT_USAGE, parseDateTimeMs, processOutput, UsageError, type CliOutput } from '../support/index.ts';
import { riskDecisionTables } from './decision_tables.ts';
import { decodeFeatures, REPLAY_TRANSFERS_MAX, transferDecisions } from './decisions.ts';
import { evaluate } from './engine.ts';
import { compileRuleSet, formatProblems, type CompiledRuleSet } from './rule_set.ts';
import { DEFINITION_CHARS_MAX, NAME_PATTERN } from './rule_sets.ts';
import { VERDICT_ORDER, type Verdict } from './types.ts';

/** Transfers replayed when --limit is not given. */
export const REPLAY_LIMIT_DEFAULT = 1000;
/** The largest rule set file read (its JSON text may be indented beyond the stored form's bound). */
const RULE_SET_FILE_BYTES_MAX = 4 * DEFINITION_CHARS_MAX;

export const RISK_USAGE = `Usage: interlock risk replay (--rule-set NAME[@VERSION] | --file rules.json) [options]

Evaluates a rule set over the transfers the FRMS decided on, with the features each decision saw, and
prints per transfer what it would have decided beside what was, then a table of old × new verdicts.

  --rule-set NAME[@VERSION]  a stored rule set (its newest version without @VERSION)
  --file FILE                a rule set file (JSON, as POST /risk/ruleSets/{name} takes its definition)
  --from ISO, --to ISO       only decisions made in this time range (inclusive)
  --limit N                  at most N transfers, oldest first (default ${REPLAY_LIMIT_DEFAULT}, at most ${REPLAY_TRANSFERS_MAX})
  --json                     machine-readable output
  --config FILE              the hub's configuration (its storage is read; nothing is written)
`;

export interface ReplayedPayment {
  readonly subjectId: string;
  readonly decidedAtMs: number;
  readonly was: Verdict;
  /** The LIVE rule set that decided; null when none was LIVE (a SHADOW decision's features are replayed). */
  readonly wasRuleSet: { readonly name: string; readonly version: number } | null;
  readonly wouldBe: Verdict;
}

export interface ReplayReport {
  readonly ruleSet: { readonly name: string; readonly version: number };
  readonly payments: readonly ReplayedPayment[];
  /** Transfers whose decision kept no features (made before migration 0072), or unreadable ones. */
  readonly skipped: number;
  /** counts[was][wouldBe]. */
  readonly counts: Readonly<Record<Verdict, Readonly<Record<Verdict, number>>>>;
}

const zeroCounts = (): Record<Verdict, Record<Verdict, number>> =>
  Object.fromEntries(VERDICT_ORDER.map((was) => [was, Object.fromEntries(VERDICT_ORDER.map((to) => [to, 0]))])) as Record<Verdict, Record<Verdict, number>>;

/** Evaluates `ruleSet` over the transfers' decisions in the range (oldest first, at most `limit` transfers). */
export async function replayDecisions(db: Db, ruleSet: CompiledRuleSet, range: { fromMs?: number | undefined; toMs?: number | undefined; limit: number }): Promise<ReplayReport> {
  const payments: ReplayedPayment[] = [];
  const counts = zeroCounts();
  let skipped = 0;
  for (const { row, enforcedVerdict } of await transferDecisions(db, range)) {
    const seen = decodeFeatures(row.features);
    if (seen === undefined) {
      skipped += 1;
      continue;
    }
    const wouldBe = evaluate(ruleSet, seen.features, seen.currency).verdict;
    counts[enforcedVerdict][wouldBe] += 1;
    payments.push({
      subjectId: row.subject_id, decidedAtMs: row.decided_at_ms, was: enforcedVerdict,
      wasRuleSet: row.is_enforced === 1 ? { name: row.rule_set_name, version: row.rule_set_version } : null, wouldBe,
    });
  }
  return { ruleSet: { name: ruleSet.name, version: ruleSet.version }, payments, skipped, counts };
}

/** The stored rule set NAME[@VERSION] (the newest version without one), compiled. */
async function storedRuleSet(db: Db, spec: string): Promise<CompiledRuleSet> {
  const [name = '', version, ...rest] = spec.split('@');
  if (!NAME_PATTERN.test(name) || (version !== undefined && !/^[1-9][0-9]{0,9}$/.test(version)) || rest.length > 0) {
    throw new UsageError(`--rule-set ${JSON.stringify(spec.slice(0, 80))} is not NAME or NAME@VERSION`);
  }
  let query = riskDecisionTables(db).selectFrom('risk_rule_sets').select(['version', 'definition']).where('name', '=', name);
  if (version !== undefined) query = query.where('version', '=', Number(version));
  const row = await query.orderBy('version', 'desc').limit(1).executeTakeFirst();
  if (row === undefined) throw new ReplayProblem(`no rule set ${spec} is stored`);
  return compiled(JSON.parse(row.definition) as unknown, `rule set ${name} version ${row.version}`);
}

function fileRuleSet(path: string): CompiledRuleSet {
  let text: string;
  try {
    // The operator names the file on their own command line.
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator's own file
    if (statSync(path).size > RULE_SET_FILE_BYTES_MAX) throw new ReplayProblem(`${path} is larger than ${RULE_SET_FILE_BYTES_MAX} bytes`);
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the operator's own file
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ReplayProblem) throw error;
    throw new ReplayProblem(`${path} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ReplayProblem(`${path} is not JSON`);
  }
  return compiled(data, path);
}

function compiled(data: unknown, what: string): CompiledRuleSet {
  const result = compileRuleSet(data);
  if (!result.ok) throw new ReplayProblem(`${what} is not a valid rule set: ${formatProblems(result.error)}`);
  return result.value;
}

/** The command ran but cannot replay (no such rule set, an invalid file): exit 1 with the reason. */
class ReplayProblem extends Error {}

const iso = (ms: number) => new Date(ms).toISOString();

function timeOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDateTimeMs(value);
  if (ms === undefined) throw new UsageError(`--${name} ${JSON.stringify(value.slice(0, 40))} is not an ISO 8601 date-time`);
  return ms;
}

function limitOption(value: string | undefined): number {
  if (value === undefined) return REPLAY_LIMIT_DEFAULT;
  const limit = /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!(limit <= REPLAY_TRANSFERS_MAX)) throw new UsageError(`--limit must be a whole number from 1 to ${REPLAY_TRANSFERS_MAX}`);
  return limit;
}

function printReport(report: ReplayReport, header: string, output: CliOutput): void {
  const { name, version } = report.ruleSet;
  output.stdout(`${header}: rule set ${name} version ${version} over ${report.payments.length + report.skipped} transfer(s)\n`);
  for (const p of report.payments) {
    const was = p.wasRuleSet === null ? `${p.was} (no LIVE rule set)` : `${p.was} (${p.wasRuleSet.name} v${p.wasRuleSet.version})`;
    output.stdout(`  ${p.subjectId}  ${iso(p.decidedAtMs)}  was ${was.padEnd(28)} would be ${p.wouldBe}${p.wouldBe === p.was ? '' : '  (changed)'}\n`);
  }
  const width = 8;
  output.stdout(`\n${'was \\ would be'.padEnd(16)}${VERDICT_ORDER.map((v) => v.padStart(width)).join('')}\n`);
  for (const was of VERDICT_ORDER) output.stdout(`${was.padEnd(16)}${VERDICT_ORDER.map((to) => String(report.counts[was][to]).padStart(width)).join('')}\n`);
  const changed = report.payments.filter((p) => p.wouldBe !== p.was).length;
  output.stdout(`\nreplayed ${report.payments.length}, changed ${changed}; skipped ${report.skipped} (decided before the hub kept each decision's features)\n`);
}

const RISK_OPTIONS = {
  config: { type: 'string' },
  'rule-set': { type: 'string' },
  file: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

/** `interlock risk …`: replay. */
export async function runRiskCommand(args: readonly string[], config: Config, output: CliOutput = processOutput): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, strict: true, options: RISK_OPTIONS });
    if (values.help) {
      output.stdout(RISK_USAGE);
      return 0;
    }
    if (positionals.join(' ') !== 'replay') throw new UsageError(`unknown risk command: ${positionals.join(' ').slice(0, 80)}`);
    if ((values['rule-set'] === undefined) === (values.file === undefined)) throw new UsageError('give exactly one of --rule-set and --file');
    const range = { fromMs: timeOption(values.from, 'from'), toMs: timeOption(values.to, 'to'), limit: limitOption(values.limit) };
    const file = values.file;
    const fromFile = file === undefined ? undefined : fileRuleSet(file);
    const storage = openStorage(config.storage.url);
    try {
      await storage.migrate(MIGRATIONS);
      const ruleSet = fromFile ?? await storedRuleSet(storage.db, values['rule-set'] ?? '');
      const report = await replayDecisions(storage.db, ruleSet, range);
      if (values.json) output.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else printReport(report, `risk replay on ${storage.engine} (${redactStorageUrl(config.storage.url)})`, output);
      return 0;
    } finally {
      await storage.close();
    }
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      output.stderr(`interlock risk: ${error.message}\n\n${RISK_USAGE}`);
      return EXIT_USAGE;
    }
    if (error instanceof ReplayProblem) {
      output.stderr(`interlock risk: ${error.message}\n`);
      return EXIT_FAILED;
    }
    throw error;
  }
}
