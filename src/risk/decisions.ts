// Decisions as evidence: each is written, with its full trace (every rule with
// the value it saw and its outcome, every typology's score), in the payment's
// own transaction, so a payment and the decision that let it through or
// stopped it commit together. The table is append-only (triggers on both engines).
import type { Db } from '../storage/index.ts';
import type { Tx } from '../ledger/index.ts';
import { riskDecisionTables, type RiskDecisionRow } from './decision_tables.ts';
import type { Decision, PaymentFacts } from './types.ts';

/** Longest trace kept: a rule set's bounds keep a real trace far below it. */
export const TRACE_CHARS_MAX = 65_536;
/** Most decisions one read answers. */
export const DECISIONS_LIST_LENGTH_MAX = 1000;

/** Stores a decision with its trace; answers its id. */
export async function recordDecision(tx: Tx, facts: PaymentFacts, decision: Decision, enforced: boolean, decisionUs: number): Promise<number> {
  let trace = JSON.stringify({ rules: decision.rules, typologies: decision.typologies });
  if (trace.length > TRACE_CHARS_MAX) trace = JSON.stringify({ truncated: true, typologies: decision.typologies });
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
    decision_us: Math.max(0, Math.round(decisionUs)),
    decided_at_ms: facts.nowMs,
  }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** The decisions taken on a quote or transfer, oldest first. */
export async function decisionsOf(db: Db, subjectId: string): Promise<RiskDecisionRow[]> {
  return riskDecisionTables(db).selectFrom('risk_decisions').selectAll().where('subject_id', '=', subjectId).orderBy('id').limit(DECISIONS_LIST_LENGTH_MAX).execute();
}
