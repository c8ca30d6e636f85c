// The fraud and risk management service's shared vocabulary (issue 16): what
// a payment looks like to the risk engine, the features it is judged on, the
// rule sets (data, versioned), and the decision with its full trace.
//
// The flow, inline on the payment's own transaction: the quote or transfer
// step builds PaymentFacts → the feature store reads Features for them (and,
// once decided, records the payment into its windows) → the engine evaluates
// the live rule set (and any shadow one) over the features → a Decision,
// stored with its trace. Party identifiers never appear in clear: each is a
// keyed digest (PartyKey), so features and lists shared across DFSPs reveal no
// DFSP's customers to another.
import type { Tx } from '../ledger/index.ts';

/** A party identifier's keyed digest (HMAC-SHA256 under the scheme's risk key, base64url): never the clear value. */
export type PartyKey = string;

export type RiskStage = 'quote' | 'transfer';

export interface PaymentFacts {
  readonly stage: RiskStage;
  /** The quote or transfer id. */
  readonly id: string;
  readonly payerFsp: string;
  readonly payeeFsp: string;
  readonly payerParty: PartyKey | null;
  readonly payeeParty: PartyKey | null;
  /** The parties' names as the messages give them (for sanctions screening only; never stored). */
  readonly payerName: string | null;
  readonly payeeName: string | null;
  readonly currency: string;
  readonly amountMinor: bigint;
  /** The sender's network address as the gateway saw it. */
  readonly sourceAddress: string | null;
  readonly nowMs: number;
}

/** The sliding windows every count and sum is kept over. */
export const WINDOWS = ['1m', '1h', '24h', '7d'] as const;
export type FeatureWindow = (typeof WINDOWS)[number];
export const WINDOW_MS: Readonly<Record<FeatureWindow, number>> = { '1m': 60_000, '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000 };

/** Who a count or sum is kept for. */
export const SUBJECTS = ['payerParty', 'payeeParty', 'payerFsp', 'payeeFsp', 'pair', 'source'] as const;
export type FeatureSubject = (typeof SUBJECTS)[number];

/**
 * The features of one payment, by name. Names are fixed strings (FEATURE_NAMES) so that a rule set can be
 * validated against them: `<subject>.count.<window>` and `<subject>.sumMinor.<window>` (the payments before
 * this one, in the payment's currency for sums), and the named features below. A feature that cannot be
 * known (no party key in the message) is null; a rule over a null feature takes its "unknown" outcome.
 */
export type FeatureValue = number | bigint | boolean | null;
export type Features = Readonly<Record<string, FeatureValue>>;

export const NAMED_FEATURES = [
  /** The amount, minor units (bigint). */
  'amountMinor',
  /** Whether the amount is a whole multiple of 100 major units (round amounts). */
  'amountRound',
  /** Hour of day at the hub, 0..23, UTC. */
  'hourOfDay',
  /** No payment between this payer party and payee party before (true/false). */
  'pairFirstSeen',
  /** Milliseconds since the payer party last paid (null: never). */
  'payerDormantMs',
  /** Distinct payee parties the payer party paid in 24 h (fan-out). */
  'payerFanOut24h',
  /** Distinct payer parties that paid the payee party in 24 h (fan-in). */
  'payeeFanIn24h',
  /** What the payer party received in the last hour, minor units (rapid pass-through: money in and straight out). */
  'payerReceivedMinor1h',
  /**
   * The amount as a whole percentage of payerReceivedMinor1h (floor of 100 × amount ÷ received; null when
   * nothing was received in the hour): rapid pass-through as one number a band rule can judge — near 100
   * when what came in goes straight out. Added for the rules engine (default_rules.ts).
   */
  'payerPassThroughPct',
  /** The payer party's failed or aborted payments in 24 h. */
  'payerFailed24h',
  /** Whether a party is on the scheme's deny or watch list, or its name matches the sanctions list. */
  'payerDenied', 'payeeDenied', 'payerWatched', 'payeeWatched', 'payerSanctioned', 'payeeSanctioned',
  /** Confirmed fraud reports naming the party, ever. */
  'payerFraudReports', 'payeeFraudReports',
] as const;

export function windowedFeatureNames(): string[] {
  return SUBJECTS.flatMap((subject) => WINDOWS.flatMap((window) => [`${subject}.count.${window}`, `${subject}.sumMinor.${window}`]));
}

export const FEATURE_NAMES: ReadonlySet<string> = new Set([...NAMED_FEATURES, ...windowedFeatureNames()]);

export type Verdict = 'ALLOW' | 'ALERT' | 'HOLD' | 'BLOCK';
export const VERDICT_ORDER: readonly Verdict[] = ['ALLOW', 'ALERT', 'HOLD', 'BLOCK'];

/** One rule's outcome in a decision's trace: the value it saw and the band or case it fell in. */
export interface RuleOutcome {
  readonly ruleId: string;
  readonly feature: string;
  /** The value seen, as text (bigints and booleans alike). */
  readonly value: string;
  /** The outcome's reference, Tazama-style: ".00" unknown feature, ".01"… a band or case. */
  readonly ref: string;
}

export interface TypologyOutcome {
  readonly typologyId: string;
  readonly score: number;
  readonly verdict: Verdict;
}

export interface Decision {
  readonly verdict: Verdict;
  readonly ruleSet: { readonly name: string; readonly version: number };
  readonly rules: readonly RuleOutcome[];
  readonly typologies: readonly TypologyOutcome[];
  /** Set when the engine failed and the rule set's failure policy decided. */
  readonly failure?: string;
  /** Set when the allow list overrode the rule set's verdict: which entry, and the verdict it overrode. */
  readonly override?: string;
  /** The case an enforced ALERT or HOLD opened (set by the service, not the engine). */
  readonly caseId?: number;
}

/** A payment as the quote and transfer steps hand it to the FRMS: `message` is the quote request or the ILP packet's Transaction object (untrusted). */
export interface PaymentToAssess {
  readonly stage: RiskStage;
  readonly id: string;
  readonly payerFsp: string;
  readonly payeeFsp: string;
  readonly message: unknown;
  readonly currency: string;
  readonly amountMinor: bigint;
  readonly sourceAddress: string | null;
  readonly nowMs: number;
}

/** The FRMS's decision on a payment, taken and recorded in the caller's transaction (the quote and transfer steps call it). */
export type RiskAssessor = (tx: Tx, payment: PaymentToAssess) => Promise<Decision>;

/** What a sender is told when the FRMS refuses a payment (FSPIOP 4400): that the scheme's controls refused it, never which. */
export const RISK_REFUSAL = 'the payment was refused by the scheme\'s risk controls';
