// Step 2: the duplicate check. The same error again gets the transfer's state
// resent to the payee; a different one after the first is 3106.
import { err, ok, type Result } from '../../support/index.ts';
import type { TransferOutcome } from '../context.ts';
import { failure, refuse, stateBody } from '../handling.ts';
import { hubTransferState } from '../messages.ts';
import type { Transfer } from '../tables.ts';
import type { AbortRun } from './run.ts';

/** Ok when no error was received yet; otherwise the answer the repeat got. */
export async function answerRepeat(a: AbortRun, transfer: Transfer): Promise<Result<void, TransferOutcome>> {
  if (transfer.error_hash === null) return ok(undefined);
  if (transfer.error_hash !== a.errorHash) return err(await refuse(a, failure('3106', 'a different error was received for this transfer')));
  await a.ctx.enqueue(a.tx, hubTransferState(a.transferId, transfer.payee_fsp, stateBody(transfer), a.inbound.contentVersion, a.nowMs), a.nowMs);
  return err({ kind: 'duplicate-resent' });
}
