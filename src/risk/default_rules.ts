// The scheme's default rule set (issue 16): a realistic starting point an
// operator copies, tunes and versions. Data only, in the format of rule_set.ts,
// validated by compileRuleSet like any operator's rule set. Amounts are USD
// (the demo scheme's currency); a scheme in another currency rewrites the
// amount bands (a rule in another currency than the payment's gives ".00").
//
// Refs of the band rules below: ".01" is the first band (lowest values), ".02"
// the next, and so on; ".00" is an unknown feature. Boolean rules give ".01"
// for true and ".02" for false.
import { compileRuleSet, formatProblems, type BandData, type CompiledRuleSet, type RuleData, type RuleSetData, type TypologyData } from './rule_set.ts';

export const DEFAULT_CURRENCY = 'USD';

/** A bands rule from its cut points: [−∞, c1), [c1, c2), …, [cn, +∞). */
function bands(id: string, feature: string, cuts: readonly (string | number)[], description: string): RuleData {
  const list: BandData[] = [];
  let lower: string | number | undefined;
  for (const cut of cuts) {
    list.push(lower === undefined ? { upper: cut } : { lower, upper: cut });
    lower = cut;
  }
  list.push(lower === undefined ? {} : { lower });
  const money = feature === 'amountMinor' || feature === 'payerReceivedMinor1h' || feature.includes('.sumMinor.');
  return { id, kind: 'bands', feature, ...(money ? { currency: DEFAULT_CURRENCY } : {}), description, bands: list };
}

/** A boolean rule: ".01" true, ".02" false. */
function flag(id: string, feature: string, description: string): RuleData {
  return { id, kind: 'cases', feature, description, cases: [{ value: true, ref: '.01' }], else: '.02' };
}

const DAY_MS = 86_400_000;

const RULES: readonly RuleData[] = [
  // .01 <100, .02 100–999.99, .03 1,000–4,999.99, .04 5,000–8,999.99, .05 9,000–9,999.99 (just below the
  // 10,000 reporting threshold: structuring), .06 10,000–49,999.99, .07 ≥ 50,000.
  bands('amount', 'amountMinor', ['100', '1000', '5000', '9000', '10000', '50000'], 'The amount, USD'),
  bands('payer-velocity-1m', 'payerParty.count.1m', [3, 6], 'Payer payments in the last minute: .01 <3, .02 3–5, .03 ≥6'),
  bands('payer-velocity-1h', 'payerParty.count.1h', [10, 30], 'Payer payments in the last hour: .01 <10, .02 10–29, .03 ≥30'),
  bands('payer-velocity-24h', 'payerParty.count.24h', [3, 6, 20], 'Payer payments in 24 h: .01 <3, .02 3–5, .03 6–19, .04 ≥20'),
  bands('payer-sum-24h', 'payerParty.sumMinor.24h', ['5000', '20000', '100000'], 'Payer total in 24 h, USD: .01 <5k, .02 5k–20k, .03 20k–100k, .04 ≥100k'),
  flag('new-relationship', 'pairFirstSeen', 'First payment from this payer to this payee'),
  bands('payer-dormancy', 'payerDormantMs', [30 * DAY_MS, 90 * DAY_MS], 'Time since the payer last paid: .01 <30 d, .02 30–90 d, .03 ≥90 d (.00: never paid)'),
  bands('payer-fan-out', 'payerFanOut24h', [3, 6, 10], 'Distinct payees of the payer in 24 h: .01 <3, .02 3–5, .03 6–9, .04 ≥10'),
  bands('payee-fan-in', 'payeeFanIn24h', [5, 10, 20], 'Distinct payers of the payee in 24 h: .01 <5, .02 5–9, .03 10–19, .04 ≥20'),
  bands('payee-sum-24h', 'payeeParty.sumMinor.24h', ['10000', '50000'], 'Payee received in 24 h, USD: .01 <10k, .02 10k–50k, .03 ≥50k'),
  bands('payer-received-1h', 'payerReceivedMinor1h', ['1', '1000'], 'Payer received in the last hour, USD: .01 nothing, .02 <1,000, .03 ≥1,000'),
  bands('pass-through', 'payerPassThroughPct', [50, 80], 'Amount as % of what the payer received in the hour: .01 <50, .02 50–79, .03 ≥80'),
  flag('round-amount', 'amountRound', 'The amount is a whole multiple of 100'),
  {
    id: 'odd-hours', kind: 'cases', feature: 'hourOfDay', description: 'Hour of day, UTC: .01 01:00–04:59, .02 otherwise',
    cases: [1, 2, 3, 4].map((hour) => ({ value: hour, ref: '.01' })), else: '.02',
  },
  bands('payer-failed-24h', 'payerFailed24h', [3, 6], 'Payer failed or aborted payments in 24 h: .01 <3, .02 3–5, .03 ≥6'),
  bands('source-velocity-1m', 'source.count.1m', [30, 120], 'Payments from the source address in a minute: .01 <30, .02 30–119, .03 ≥120'),
  bands('source-velocity-1h', 'source.count.1h', [300, 1000], 'Payments from the source address in an hour: .01 <300, .02 300–999, .03 ≥1,000'),
  bands('payer-dfsp-velocity-1m', 'payerFsp.count.1m', [600, 3000], 'Payments the payer DFSP sent in a minute: .01 <600, .02 600–2,999, .03 ≥3,000'),
  bands('pair-velocity-24h', 'pair.count.24h', [3, 10], 'Payments between this payer and payee in 24 h: .01 <3, .02 3–9, .03 ≥10'),
  flag('payer-denied', 'payerDenied', 'The payer party is on the deny list'),
  flag('payee-denied', 'payeeDenied', 'The payee party is on the deny list'),
  flag('payer-watched', 'payerWatched', 'The payer party is on the watch list'),
  flag('payee-watched', 'payeeWatched', 'The payee party is on the watch list'),
  flag('payer-sanctioned', 'payerSanctioned', 'The payer name matches the sanctions list'),
  flag('payee-sanctioned', 'payeeSanctioned', 'The payee name matches the sanctions list'),
  bands('payer-fraud-reports', 'payerFraudReports', [1, 3], 'Confirmed fraud reports naming the payer: .01 none, .02 1–2, .03 ≥3'),
  bands('payee-fraud-reports', 'payeeFraudReports', [1, 3], 'Confirmed fraud reports naming the payee: .01 none, .02 1–2, .03 ≥3'),
];

const w = (rule: string, ref: string, weight: number) => ({ rule, ref, weight });

const TYPOLOGIES: readonly TypologyData[] = [
  {
    id: 'deny-list', description: 'A party the scheme denies: always blocked',
    weights: [w('payer-denied', '.01', 1000), w('payee-denied', '.01', 1000)], block: 1000,
  },
  {
    id: 'sanctions', description: 'A party whose name matches the sanctions list: always blocked',
    weights: [w('payer-sanctioned', '.01', 1000), w('payee-sanctioned', '.01', 1000)], block: 1000,
  },
  {
    id: 'watch-list', description: 'A party on the watch list: allowed, with a case for an analyst',
    weights: [w('payer-watched', '.01', 50), w('payee-watched', '.01', 50)], alert: 50,
  },
  {
    id: 'fraud-reports', description: 'Parties other DFSPs confirmed fraud on: alert on one report, hold on several',
    weights: [w('payer-fraud-reports', '.02', 50), w('payer-fraud-reports', '.03', 100), w('payee-fraud-reports', '.02', 50), w('payee-fraud-reports', '.03', 100)],
    alert: 50, hold: 100,
  },
  {
    // One payment of 9,5xx alone scores 40 (allowed); a third or later one in a day, to several payees,
    // reaches the hold threshold; a dozen across many payees is blocked.
    id: 'structuring', description: 'Amounts just below the 10,000 reporting threshold, repeated in 24 h across payees and DFSPs',
    weights: [
      w('amount', '.05', 40),
      w('payer-velocity-24h', '.02', 30), w('payer-velocity-24h', '.03', 50), w('payer-velocity-24h', '.04', 60),
      w('payer-fan-out', '.02', 20), w('payer-fan-out', '.03', 30), w('payer-fan-out', '.04', 40),
      w('payer-sum-24h', '.03', 20), w('payer-sum-24h', '.04', 30),
    ],
    alert: 60, hold: 90, block: 150,
  },
  {
    // A first payment to a payee of 10,000 or more alerts; an active payer (paid in the last 30 days) weighs a little less.
    id: 'new-payee-large-amount', description: 'A large first payment to a new payee (authorised push payment scams)',
    weights: [
      w('new-relationship', '.01', 30),
      w('amount', '.04', 15), w('amount', '.05', 20), w('amount', '.06', 30), w('amount', '.07', 45),
      w('payer-dormancy', '.01', -5), w('odd-hours', '.01', 10),
    ],
    alert: 50, hold: 85,
  },
  {
    id: 'mule-fan-in', description: 'Many payers paying one payee in a day (a collecting mule account)',
    weights: [
      w('payee-fan-in', '.02', 20), w('payee-fan-in', '.03', 40), w('payee-fan-in', '.04', 60),
      w('payee-sum-24h', '.02', 10), w('payee-sum-24h', '.03', 20), w('payee-fraud-reports', '.02', 30),
    ],
    alert: 40, hold: 80, block: 120,
  },
  {
    id: 'mule-pass-through', description: 'Money received and sent straight on, to many payees (a distributing mule)',
    weights: [
      w('pass-through', '.02', 20), w('pass-through', '.03', 40), w('payer-received-1h', '.03', 10),
      w('payer-fan-out', '.02', 10), w('payer-fan-out', '.03', 20), w('payer-fan-out', '.04', 30),
    ],
    alert: 50, hold: 80,
  },
  {
    // payerDormantMs is the gap before this payment, so the dormancy signal fires on the first payment of a
    // burst; the hour's count carries it on for the following ones.
    id: 'dormancy-then-burst', description: 'A long-dormant payer suddenly sending large amounts or many payments (account takeover)',
    weights: [
      w('payer-dormancy', '.02', 20), w('payer-dormancy', '.03', 35),
      w('amount', '.04', 10), w('amount', '.06', 20), w('amount', '.07', 30),
      w('payer-velocity-1h', '.02', 30), w('payer-velocity-1m', '.02', 20),
    ],
    alert: 50, hold: 80,
  },
  {
    id: 'payer-velocity', description: 'A payer sending far more often or more in total than people do',
    weights: [
      w('payer-velocity-1m', '.02', 25), w('payer-velocity-1m', '.03', 50),
      w('payer-velocity-1h', '.02', 20), w('payer-velocity-1h', '.03', 40),
      w('payer-sum-24h', '.04', 20), w('pair-velocity-24h', '.03', 20),
    ],
    alert: 40, hold: 80,
  },
  {
    id: 'failed-attempts', description: 'Repeated failed or aborted payments (probing, credential testing)',
    weights: [w('payer-failed-24h', '.02', 30), w('payer-failed-24h', '.03', 60), w('payer-velocity-1m', '.02', 10)],
    alert: 30, hold: 60,
  },
  {
    id: 'automation', description: 'A burst from one source address or one DFSP (scripted attack, compromised DFSP channel)',
    weights: [
      w('source-velocity-1m', '.02', 30), w('source-velocity-1m', '.03', 60),
      w('source-velocity-1h', '.02', 20), w('source-velocity-1h', '.03', 40),
      w('payer-dfsp-velocity-1m', '.02', 10), w('payer-dfsp-velocity-1m', '.03', 30),
    ],
    alert: 30, hold: 80,
  },
  {
    id: 'odd-hours-round-amount', description: 'Round, large amounts at night to new payees (cash-out patterns)',
    weights: [
      w('odd-hours', '.01', 15), w('round-amount', '.01', 10), w('new-relationship', '.01', 10),
      w('amount', '.06', 15), w('amount', '.07', 25),
    ],
    alert: 50,
  },
];

export const DEFAULT_RULE_SET: RuleSetData = {
  name: 'scheme-default',
  version: 1,
  failurePolicy: 'closed',
  description: 'The scheme\'s default rules: amounts, velocity, new relationships, dormancy, structuring, mules, lists, sanctions, fraud reports',
  rules: RULES,
  typologies: TYPOLOGIES,
};

/** The default rule set, compiled. Throws if it does not validate (a defect of this file, found by its test). */
export function compileDefaultRuleSet(): CompiledRuleSet {
  const compiled = compileRuleSet(DEFAULT_RULE_SET);
  if (!compiled.ok) throw new Error(`the default rule set does not validate: ${formatProblems(compiled.error)}`);
  return compiled.value;
}
