// Step 3: only a RESERVED transfer can be declined.
import { fail, type FspiopResult } from '../../fspiop/index.ts';
import { ok } from '../../support/index.ts';
import { externalState } from '../states.ts';
import type { Transfer } from '../tables.ts';

export function checkReserved(transfer: Transfer): FspiopResult<void> {
  if (transfer.state !== 'RESERVED') return fail('3100', `the transfer is ${externalState(transfer.state)}`);
  return ok(undefined);
}
