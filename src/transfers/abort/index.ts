// PUT /transfers/{ID}/error from the payee (the payee declines) as an ordered
// list of steps, one file each, in one database transaction:
//
//   the payee's transfer → duplicate check → still reserved → release and forward
//
// Steps 1 and 3 refuse without touching the transfer.
import type { Inbound } from '../../fspiop/index.ts';
import { canonicalHash } from '../../support/index.ts';
import { runTransaction } from '../../storage/index.ts';
import type { ErrorBody, TransferContext, TransferOutcome } from '../context.ts';
import { recordEvidence } from '../evidence.ts';
import { refuse } from '../handling.ts';
import { answerRepeat } from './duplicate.ts';
import { releaseAndForward } from './release_and_forward.ts';
import type { AbortRun } from './run.ts';
import { payeesTransfer } from './sender.ts';
import { checkReserved } from './state.ts';

export async function abort(ctx: TransferContext, inbound: Inbound, transferId: string, body: ErrorBody): Promise<TransferOutcome> {
  const errorHash = canonicalHash(body);
  return runTransaction(ctx.db, ctx.engine, async (tx) => {
    const a: AbortRun = { ctx, tx, inbound, transferId, body, errorHash, nowMs: ctx.clock.nowMs() };
    await recordEvidence(tx, transferId, inbound, a.nowMs);
    const transfer = await payeesTransfer(a);
    if (!transfer.ok) return refuse(a, transfer.error);
    const fresh = await answerRepeat(a, transfer.value);
    if (!fresh.ok) return fresh.error;
    const reserved = checkReserved(transfer.value);
    if (!reserved.ok) return refuse(a, reserved.error);
    return releaseAndForward(a, transfer.value);
  });
}
