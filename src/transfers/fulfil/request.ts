// Step 3: what the payee asks for, and whether the transfer can still take
// it: COMMITTED, or RESERVED from API version 1.1 on, of a transfer that is
// still RESERVED. Refused without touching the transfer.
import { fail, type FspiopResult } from '../../fspiop/index.ts';
import { ok } from '../../support/index.ts';
import { externalState } from '../states.ts';
import type { Transfer } from '../tables.ts';
import type { FulfilRun } from './run.ts';

export function checkRequest(f: FulfilRun, transfer: Transfer): FspiopResult<void> {
  const { transferState } = f.body;
  if (transferState !== 'COMMITTED' && transferState !== 'RESERVED') {
    return fail('3100', 'transferState must be COMMITTED or RESERVED; abort with PUT /transfers/{ID}/error');
  }
  if (transferState === 'RESERVED' && f.inbound.contentVersion === '1.0') {
    return fail('3100', 'a RESERVED fulfil needs API version 1.1 or later');
  }
  if (transfer.state !== 'RESERVED') {
    return transfer.state === 'EXPIRED_RESERVED' ? fail('3303', 'the transfer has expired') : fail('3100', `the transfer is ${externalState(transfer.state)}`);
  }
  return ok(undefined);
}
