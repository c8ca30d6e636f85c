// Step 4: both participants exist and are active, and they are two. From
// this step on a refusal is recorded against the transfer.
import { fail, type FspiopResult } from '../../fspiop/index.ts';
import { findParticipant } from '../../participants/index.ts';
import { ok } from '../../support/index.ts';
import type { Parties, PrepareRun } from './run.ts';

export async function checkParties(p: PrepareRun): Promise<FspiopResult<Parties>> {
  const payer = await findParticipant(p.tx, p.body.payerFsp);
  if (payer?.is_active !== 1) return fail('3202', 'the payer FSP is not an active participant');
  if (p.body.payeeFsp === p.body.payerFsp) return fail('3100', 'payer and payee are the same FSP');
  const payee = await findParticipant(p.tx, p.body.payeeFsp);
  if (payee?.is_active !== 1 || payee.is_hub === 1) return fail('3203', 'the payee FSP is not an active participant');
  return ok({ payer, payee });
}
