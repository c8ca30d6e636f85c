// What an enforced decision causes besides itself, in the payment's own
// transaction: an ALERT or a HOLD opens a case (cases.ts); a BLOCK or a HOLD
// is an entry of the tamper-evident audit log, with the FRMS as its actor,
// written last in the transaction (storage's runLast), after every lock the
// payment takes, as the audit log's sequence lock must be.
import type { AdminAuditEvent, AdminAuditSink } from '../audit/index.ts';
import type { Tx } from '../ledger/index.ts';
import { runLast } from '../storage/index.ts';
import { openCase } from './cases.ts';
import type { Decision, PaymentFacts } from './types.ts';

export const FRMS_ACTOR = { kind: 'system', id: 'frms', name: 'fraud and risk management' } as const;

/** The audit entry of a BLOCK or HOLD: which payment, which rule set version, which decision; the trace stays in risk_decisions. */
export function decisionAuditEvent(facts: PaymentFacts, decision: Decision, decisionId: number): AdminAuditEvent {
  return {
    timeMs: facts.nowMs,
    actor: FRMS_ACTOR,
    action: `RISK_${decision.verdict}`,
    target: { participant: facts.payerFsp, resource: `${facts.stage} ${facts.id}` },
    result: 'succeeded',
    after: [{
      decisionId, stage: facts.stage, subjectId: facts.id, payerFsp: facts.payerFsp, payeeFsp: facts.payeeFsp, verdict: decision.verdict,
      ruleSet: decision.ruleSet, typologies: decision.typologies.filter((t) => t.verdict !== 'ALLOW').map((t) => t.typologyId),
      ...(decision.failure === undefined ? {} : { failure: decision.failure }),
    }],
  };
}

/** Opens the case of an ALERT or HOLD (answers its id) and audits a BLOCK or HOLD, in `tx`; `audit` undefined: nothing is audited (tests of the engine alone). */
export async function followEnforcedDecision(tx: Tx, facts: PaymentFacts, decision: Decision, decisionId: number, audit: Pick<AdminAuditSink, 'recordInTransaction'> | undefined): Promise<number | undefined> {
  const caseId = decision.verdict === 'ALERT' || decision.verdict === 'HOLD' ? await openCase(tx, facts, decision.verdict, decisionId) : undefined;
  if (audit !== undefined && (decision.verdict === 'BLOCK' || decision.verdict === 'HOLD')) {
    const event = decisionAuditEvent(facts, decision, decisionId);
    runLast(tx, (last) => audit.recordInTransaction(last, event));
  }
  return caseId;
}
