// Step 2: the sender is the payer, and a named destination is the payee. A
// mismatch stores nothing: no one may burn another's transferId.
import { fail, type FspiopResult } from '../../fspiop/index.ts';
import { ok } from '../../support/index.ts';
import type { PrepareRun } from './run.ts';

export function checkSender(p: PrepareRun): FspiopResult<void> {
  if (p.body.payerFsp !== p.inbound.source) return fail('3100', 'FSPIOP-Source does not match payerFsp');
  if (p.inbound.destination !== undefined && p.inbound.destination !== p.body.payeeFsp) {
    return fail('3100', 'FSPIOP-Destination does not match payeeFsp');
  }
  return ok(undefined);
}
