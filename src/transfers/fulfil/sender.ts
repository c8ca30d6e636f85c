// Step 1: the transfer exists and the sender is its payee. A stranger's PUT
// is refused without touching the transfer (central-ledger aborts it, which
// would let anyone abort anyone's transfer); to a stranger the transfer does
// not exist, and so does a held transfer to its payee until it is released.
import { fail, type FspiopResult } from '../../fspiop/index.ts';
import { ok } from '../../support/index.ts';
import { loadTransfer } from '../handling.ts';
import { payeeSawPrepare } from '../holds.ts';
import type { Transfer } from '../tables.ts';
import type { FulfilRun } from './run.ts';

export async function payeesTransfer(f: FulfilRun): Promise<FspiopResult<Transfer>> {
  const transfer = await loadTransfer(f.tx, f.ctx.engine, f.transferId);
  if (transfer === undefined) return fail('3208', 'no such transfer');
  if (f.inbound.source !== transfer.payee_fsp) return fail('3208', 'no such transfer');
  // A held transfer's prepare never reached the payee: a fulfil for it cannot be legitimate (holds.ts).
  if (!(await payeeSawPrepare(f.tx, f.transferId))) return fail('3208', 'no such transfer');
  if (f.inbound.destination !== undefined && f.inbound.destination !== transfer.payer_fsp) {
    return fail('3100', 'FSPIOP-Destination does not match the payer');
  }
  return ok(transfer);
}
