// Step 1: the transfer exists and the sender is its payee; to anyone else the
// transfer does not exist, and so does a held one to its payee until it is released.
import { fail, type FspiopResult } from '../../fspiop/index.ts';
import { ok } from '../../support/index.ts';
import { loadTransfer } from '../handling.ts';
import { payeeSawPrepare } from '../holds.ts';
import type { Transfer } from '../tables.ts';
import type { AbortRun } from './run.ts';

export async function payeesTransfer(a: AbortRun): Promise<FspiopResult<Transfer>> {
  const transfer = await loadTransfer(a.tx, a.ctx.engine, a.transferId);
  if (transfer?.payee_fsp !== a.inbound.source || !(await payeeSawPrepare(a.tx, a.transferId))) return fail('3208', 'no such transfer');
  return ok(transfer);
}
