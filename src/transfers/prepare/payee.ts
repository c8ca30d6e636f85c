// Step 7: the payee can be reached: it has an endpoint for transfer
// prepares (step 4 found it active).
import { fail, type FspiopResult } from '../../fspiop/index.ts';
import { callbackEndpoint } from '../../participants/index.ts';
import { ok } from '../../support/index.ts';
import type { Parties, PrepareRun } from './run.ts';

export async function checkPayeeReachable(p: PrepareRun, parties: Parties): Promise<FspiopResult<void>> {
  const endpoint = await callbackEndpoint(p.tx, parties.payee.id, 'FSPIOP_CALLBACK_URL_TRANSFER_POST');
  if (endpoint === undefined) return fail('3201', 'the payee FSP has no transfer endpoint');
  return ok(undefined);
}
