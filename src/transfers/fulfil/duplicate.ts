// Step 2: the duplicate check. The same fulfil again gets the transfer's state
// resent to the payee; a different one after the first is 3106.
import type { TransferOutcome } from '../context.ts';
import { failure, refuse, stateBody } from '../handling.ts';
import { hubTransferState } from '../messages.ts';
import type { Transfer } from '../tables.ts';
import { err, ok, type Result } from '../../support/index.ts';
import type { FulfilRun } from './run.ts';

/** Ok when no fulfil was received yet; otherwise the answer the repeat got. */
export async function answerRepeat(f: FulfilRun, transfer: Transfer): Promise<Result<void, TransferOutcome>> {
  if (transfer.fulfil_hash === null) return ok(undefined);
  if (transfer.fulfil_hash !== f.fulfilHash) return err(await refuse(f, failure('3106', 'a different fulfil was received for this transfer')));
  await f.ctx.enqueue(f.tx, hubTransferState(f.transferId, transfer.payee_fsp, stateBody(transfer), f.inbound.contentVersion, f.nowMs), f.nowMs);
  return err({ kind: 'duplicate-resent' });
}
