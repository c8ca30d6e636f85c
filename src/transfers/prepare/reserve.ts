// Step 9: reserve the amount on the payer's position, against its liquidity
// (4001) and its net debit cap (4200); the ledger's refusal becomes an FSPIOP
// error through the one table.
import type { FspiopResult } from '../../fspiop/index.ts';
import { reserveTransfer } from '../../ledger/index.ts';
import { asFspiopResult } from '../ledger_refusals.ts';
import type { Parties, PrepareRun, PrepareTerms } from './run.ts';

export async function reserve(p: PrepareRun, terms: PrepareTerms, parties: Parties): Promise<FspiopResult<unknown>> {
  return asFspiopResult(await reserveTransfer(p.tx, p.ctx.engine, {
    transferId: p.transferId, payerParticipantId: parties.payer.id, payeeParticipantId: parties.payee.id,
    currency: p.body.amount.currency, amountMinor: terms.amountMinor, createdBy: p.body.payerFsp,
    liquidityCheckRequired: p.ctx.liquidityCheckRequired,
  }, p.nowMs));
}
