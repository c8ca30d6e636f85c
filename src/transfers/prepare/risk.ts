// Step 8: risk. After the terms and the parties are known and before any
// liquidity is reserved, the FRMS (risk/) decides on the payment, in this
// transaction, so the decision and its trace commit with the prepare or not
// at all: ALLOW and ALERT go on to the reservation; BLOCK is refused with
// FSPIOP 4400 (generic payer blocked error), whose text never names the rule;
// HOLD goes on to the reservation too, but the prepare is kept back from the
// payee until an analyst's release (record_and_forward.ts, holds.ts). With no
// FRMS wired every prepare is allowed.
import { decodeIlpPacket } from '../../ilp/index.ts';
import { fail, type FspiopResult } from '../../fspiop/index.ts';
import { RISK_REFUSAL, type Verdict } from '../../risk/index.ts';
import { ok } from '../../support/index.ts';
import type { Parties, PrepareRun, PrepareTerms } from './run.ts';

export interface RiskDecision { readonly verdict: Verdict }

const ALLOW: RiskDecision = { verdict: 'ALLOW' };

export async function assessRisk(p: PrepareRun, terms: PrepareTerms, parties: Parties): Promise<FspiopResult<RiskDecision>> {
  const assess = p.ctx.riskAssessor;
  if (assess === undefined) return ok(ALLOW);
  // The ILP step decoded this packet already: it decodes.
  const packet = decodeIlpPacket(p.body.ilpPacket);
  const decision = await assess(p.tx, {
    stage: 'transfer',
    id: p.transferId,
    payerFsp: parties.payer.name,
    payeeFsp: parties.payee.name,
    message: packet.ok ? packet.value.transaction : undefined,
    currency: p.body.amount.currency,
    amountMinor: terms.amountMinor,
    sourceAddress: null,
    nowMs: p.nowMs,
  });
  // The payer DFSP is told of a verdict other than ALLOW (if it registered for it), in this transaction.
  await p.ctx.riskNotifier?.(p.tx, { transferId: p.transferId, payerFsp: parties.payer.name, verdict: decision.verdict, decidedAtMs: p.nowMs, caseReference: decision.caseId === undefined ? undefined : `CASE-${decision.caseId}` });
  if (decision.verdict === 'BLOCK') return fail('4400', RISK_REFUSAL);
  return ok({ verdict: decision.verdict });
}
