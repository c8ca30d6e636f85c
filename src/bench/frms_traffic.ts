// What npm run bench needs of the FRMS: the parties its flows are spread
// over, a synthetic sanctions list, the default rule set made LIVE through the
// rule set store, and the decisions read back from the hub's database.
import { sql } from 'kysely';
import { createRuleSetStore, DEFAULT_RULE_SET, ruleSetProblems, VERDICT_ORDER, type Verdict } from '../risk/index.ts';
import type { Storage } from '../storage/index.ts';
import type { SimParty } from '../sim/index.ts';
import { systemClock } from '../support/index.ts';
import { percentile } from './load.ts';

/**
 * The payers and payees the flows are spread over. Each payer always pays the same payee, and
 * pays once per PAYER_PARTIES flows; a payee has PAYER_PARTIES / PAYEE_PARTIES (8) payers.
 * So in a run of up to BENCH_FLOWS_ALLOWED flows no party's counts reach a band of the default
 * rule set that alerts (a payer's 3 payments a minute or 20 a day, a payee's 10 payers a day).
 */
export const PAYER_PARTIES = 2_000;
export const PAYEE_PARTIES = 250;
/** Flows in a run the default rule set allows, every one (frms_traffic.test.ts), at up to BENCH_FLOWS_PER_S_ALLOWED. */
export const BENCH_FLOWS_ALLOWED = 4_000;
/**
 * The fastest pace the default rule set allows a DFSP: from 3,000 payments in its 1 m window
 * (payer-dfsp-velocity-1m band .03; the window is read from 10 s buckets, so it spans up to
 * 70 s) every payment the DFSP sends is alerted on (the automation typology), whoever pays
 * whom. The bench's payments all come from one DFSP: a run that sends more than 3,000 with the
 * FRMS on within 70 s reports ALERTs among its verdicts (a default run sends some hundreds).
 */
export const BENCH_FLOWS_PER_S_ALLOWED = 42;
/** Names on the synthetic sanctions list (the consolidated lists schemes screen against hold some tens of thousands). */
export const SANCTIONS_NAMES = 20_000;
/** Who saved and promoted the bench's rule set, as the rule set store records it. */
const RULE_SET_ACTOR = 'npm run bench';

const party = (prefix: string, label: string, index: number): SimParty =>
  ({ partyIdType: 'MSISDN', partyIdentifier: `${prefix}${String(index).padStart(7, '0')}`, name: `Bench ${label} ${index}` });
export const BENCH_PAYERS: readonly SimParty[] = Array.from({ length: PAYER_PARTIES }, (_, index) => party('4471', 'Payer', index));
export const BENCH_PAYEES: readonly SimParty[] = Array.from({ length: PAYEE_PARTIES }, (_, index) => party('2771', 'Payee', index));

/** Flow `n`: who pays whom, and how much (USD, whole, below 100: the default rule set's first amount band). */
export function flowParties(n: number): { payer: SimParty; payee: SimParty; amount: string } {
  const payer = BENCH_PAYERS[n % PAYER_PARTIES];
  const payee = BENCH_PAYEES[(n % PAYER_PARTIES) % PAYEE_PARTIES];
  if (payer === undefined || payee === undefined) throw new Error('the bench has no parties');
  return { payer, payee, amount: String(1 + (n % 97)) };
}

/**
 * A synthetic sanctions list: two or three six-letter words a name, letters only, so that no
 * bench party ("Bench Payer 12") matches it. Deterministic, so that runs compare.
 */
export function sanctionsListText(names: number): string {
  const word = (seed: number): string => {
    let text = '';
    for (let rest = Math.imul(seed, 2654435761) >>> 0; text.length < 6; rest = Math.floor(rest / 26)) text += String.fromCharCode(97 + (rest % 26));
    return text;
  };
  const lines = Array.from({ length: names }, (_, index) => `${word(3 * index + 1)} ${word(3 * index + 2)}${index % 3 === 0 ? ` ${word(3 * index + 3)}` : ''}`);
  return `# npm run bench: synthetic names\n${lines.join('\n')}\n`;
}

/** Saves the default rule set as a draft and promotes it to LIVE, as an approved change request would; names the version. */
export async function promoteDefaultRuleSet(storage: Storage): Promise<string> {
  const store = createRuleSetStore({ db: storage.db, engine: storage.engine, clock: systemClock, validate: ruleSetProblems });
  const draft = await store.saveDraft(DEFAULT_RULE_SET.name, DEFAULT_RULE_SET, RULE_SET_ACTOR);
  if (!draft.ok) throw new Error(`the default rule set was not saved: ${draft.error}`);
  const live = await store.promote(draft.value.name, draft.value.version, 'LIVE', RULE_SET_ACTOR, null);
  if (!live.ok) throw new Error(`the default rule set was not promoted: ${live.error}`);
  return `${live.value.name} v${live.value.version}`;
}

export interface TimeWindow { fromMs: number; toMs: number }

export interface DecisionFigures {
  /** Enforced decisions in the measured windows, with their times. */
  measured: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  /** Every enforced decision (warm-up included), quotes and transfers, by verdict. */
  verdicts: Record<Verdict, number>;
}

/** The enforced decisions in `storage`: verdicts of all, decision_us percentiles of those taken in `windows`. */
export async function decisionFigures(storage: Storage, windows: readonly TimeWindow[]): Promise<DecisionFigures> {
  // risk/ offers no read of every decision (the admin API's is being built); the bench reads the table as the feature-store bench does.
  const rows = (await sql<{ verdict: Verdict; decision_us: number; decided_at_ms: number }>`
    select verdict, decision_us, decided_at_ms from risk_decisions where is_enforced = 1`.execute(storage.db)).rows;
  const verdicts = Object.fromEntries(VERDICT_ORDER.map((verdict) => [verdict, 0])) as Record<Verdict, number>;
  for (const row of rows) verdicts[row.verdict] += 1;
  const measuredUs = rows.filter((row) => windows.some((w) => row.decided_at_ms >= w.fromMs && row.decided_at_ms <= w.toMs))
    .map((row) => row.decision_us).sort((a, b) => a - b);
  return { measured: measuredUs.length, p50Us: percentile(measuredUs, 50), p99Us: percentile(measuredUs, 99), maxUs: measuredUs.at(-1) ?? Number.NaN, verdicts };
}

/** Decisions that were not ALLOW: the rules judged the bench's own traffic. */
export const notAllowed = (verdicts: Readonly<Record<Verdict, number>>): number => verdicts.ALERT + verdicts.HOLD + verdicts.BLOCK;
