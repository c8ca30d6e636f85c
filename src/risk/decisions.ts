// Decisions as evidence: each is written, with its full trace (every rule with
// the value it saw and its outcome, every typology's score), in the payment's
// own transaction, so a payment and the decision that let it through or
// stopped it commit together. The table is append-only (triggers on both engines).
// Each decision also keeps the feature values it saw, so that a replay
// (`interlock risk replay`) can evaluate another rule set over the same history.
import type { Db } from '../storage/index.ts';
import type { Tx } from '../ledger/index.ts';
import { riskDecisionTables, type RiskDecisionRow } from './decision_tables.ts';
import { featureKind } from './rule_set.ts';
import { FEATURE_NAMES, type Decision, type Features, type FeatureValue, type PaymentFacts, type Verdict } from './types.ts';

/** Longest trace kept: a rule set's bounds keep a real trace far below it. */
export const TRACE_CHARS_MAX = 65_536;
/** Most decisions one read answers. */
export const DECISIONS_LIST_LENGTH_MAX = 1000;
/** Longest features text kept (migration 0072's bound): the fixed feature names keep a real one near 3,000. */
export const FEATURES_CHARS_MAX = 16_384;

/** What a decision saw, as a replay needs it: the payment's currency (amount rules judge only their own) and the features. */
export interface SeenFeatures {
  readonly currency: string;
  readonly features: Features;
}

/** The features as JSON text, {currency, values}: amounts (bigints) as decimal strings, which decodeFeatures reads back by the feature's kind. */
export function encodeFeatures(seen: SeenFeatures): string | null {
  const text = JSON.stringify({ currency: seen.currency, values: seen.features }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  return text.length > FEATURES_CHARS_MAX ? null : text;
}

/** What a decision saw, from its stored text: only known features, each of its kind; undefined when not readable. */
export function decodeFeatures(text: string | null): SeenFeatures | undefined {
  if (text === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { currency, values } = parsed as { currency?: unknown; values?: unknown };
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency) || typeof values !== 'object' || values === null || Array.isArray(values)) return undefined;
  const features: Record<string, FeatureValue> = {};
  for (const [name, value] of Object.entries(values)) {
    if (!FEATURE_NAMES.has(name)) continue;
    const kind = featureKind(name);
    if (value === null) features[name] = null;
    else if (kind === 'money' && typeof value === 'string' && /^-?[0-9]{1,40}$/.test(value)) features[name] = BigInt(value);
    else if (kind === 'boolean' && typeof value === 'boolean') features[name] = value;
    else if (kind === 'integer' && typeof value === 'number' && Number.isFinite(value)) features[name] = value;
    else return undefined;
  }
  return { currency, features };
}

/** Stores a decision with its trace and the features it saw; answers its id. */
export async function recordDecision(tx: Tx, facts: PaymentFacts, decision: Decision, enforced: boolean, decisionUs: number, features?: Features): Promise<number> {
  const override = decision.override === undefined ? {} : { override: decision.override };
  let trace = JSON.stringify({ rules: decision.rules, typologies: decision.typologies, ...override });
  if (trace.length > TRACE_CHARS_MAX) trace = JSON.stringify({ truncated: true, typologies: decision.typologies, ...override });
  const row = await riskDecisionTables(tx).insertInto('risk_decisions').values({
    stage: facts.stage,
    subject_id: facts.id,
    payer_fsp: facts.payerFsp,
    payee_fsp: facts.payeeFsp,
    verdict: decision.verdict,
    is_enforced: enforced ? 1 : 0,
    rule_set_name: decision.ruleSet.name,
    rule_set_version: decision.ruleSet.version,
    trace,
    failure: decision.failure ?? null,
    features: features === undefined ? null : encodeFeatures({ currency: facts.currency, features }),
    decision_us: Math.max(0, Math.round(decisionUs)),
    decided_at_ms: facts.nowMs,
  }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** The decisions taken on a quote or transfer, oldest first. */
export async function decisionsOf(db: Db, subjectId: string): Promise<RiskDecisionRow[]> {
  return riskDecisionTables(db).selectFrom('risk_decisions').selectAll().where('subject_id', '=', subjectId).orderBy('id').limit(DECISIONS_LIST_LENGTH_MAX).execute();
}

export interface DecisionFilter {
  readonly subjectId?: string | undefined;
  readonly verdict?: Verdict | undefined;
  readonly fromMs?: number | undefined;
  readonly toMs?: number | undefined;
  /** Decisions older than this id (exclusive): the next page. */
  readonly beforeId?: number | undefined;
  readonly limit: number;
}

/** A page of decisions, newest first. */
export async function findDecisions(db: Db, filter: DecisionFilter): Promise<RiskDecisionRow[]> {
  let query = riskDecisionTables(db).selectFrom('risk_decisions').selectAll();
  if (filter.subjectId !== undefined) query = query.where('subject_id', '=', filter.subjectId);
  if (filter.verdict !== undefined) query = query.where('verdict', '=', filter.verdict);
  if (filter.fromMs !== undefined) query = query.where('decided_at_ms', '>=', filter.fromMs);
  if (filter.toMs !== undefined) query = query.where('decided_at_ms', '<=', filter.toMs);
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  const limit = Math.max(1, Math.min(DECISIONS_LIST_LENGTH_MAX, Math.trunc(filter.limit)));
  return query.orderBy('id', 'desc').limit(limit).execute();
}

export async function decisionById(db: Db, id: number): Promise<RiskDecisionRow | undefined> {
  return riskDecisionTables(db).selectFrom('risk_decisions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The decisions the admin API reads (guarded by operator/guarded_services.ts). */
export function createDecisionQueries(db: Db) {
  return { find: (filter: DecisionFilter) => findDecisions(db, filter), get: (id: number) => decisionById(db, id) };
}

export type DecisionQueries = ReturnType<typeof createDecisionQueries>;

/** Transfers a replay reads at most. */
export const REPLAY_TRANSFERS_MAX = 100_000;

/**
 * The transfers' decisions in a time range, oldest first, at most `limit` transfers: per transfer its
 * enforced (LIVE) decision, else its SHADOW one (nothing was enforced then: the payment was allowed).
 */
export async function transferDecisions(db: Db, range: { fromMs?: number | undefined; toMs?: number | undefined; limit: number }): Promise<{ row: RiskDecisionRow; enforcedVerdict: Verdict }[]> {
  const limit = Math.max(1, Math.min(REPLAY_TRANSFERS_MAX, Math.trunc(range.limit)));
  let query = riskDecisionTables(db).selectFrom('risk_decisions').selectAll().where('stage', '=', 'transfer');
  if (range.fromMs !== undefined) query = query.where('decided_at_ms', '>=', range.fromMs);
  if (range.toMs !== undefined) query = query.where('decided_at_ms', '<=', range.toMs);
  // A transfer has at most two decisions (LIVE and SHADOW): twice the limit covers `limit` transfers.
  const rows = await query.orderBy('id').limit(2 * limit).execute();
  const bySubject = new Map<string, RiskDecisionRow>();
  for (const row of rows) {
    const seen = bySubject.get(row.subject_id);
    if (seen === undefined ? bySubject.size < limit : seen.is_enforced === 0 && row.is_enforced === 1) bySubject.set(row.subject_id, row);
  }
  return [...bySubject.values()].map((row) => ({ row, enforcedVerdict: row.is_enforced === 1 ? row.verdict : 'ALLOW' }));
}
