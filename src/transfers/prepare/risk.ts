// Step 8: risk. Empty today: every prepare that got this far is allowed.
//
// This is where fraud and risk decisions will go, after the terms and the
// parties are known and before any liquidity is reserved: velocity and
// amount limits per payer, sanctions screening of the parties, a hold for
// review (which would need a state before RESERVED, see states.ts). A
// decision other than ALLOW will be a refusal recorded like the steps
// before it.
import type { FspiopResult } from '../../fspiop/index.ts';
import { ok } from '../../support/index.ts';
import type { Parties, PrepareRun, PrepareTerms } from './run.ts';

export interface RiskDecision { readonly verdict: 'ALLOW' }

const ALLOW: RiskDecision = { verdict: 'ALLOW' };

export function assessRisk(_p: PrepareRun, _terms: PrepareTerms, _parties: Parties): FspiopResult<RiskDecision> {
  return ok(ALLOW);
}
