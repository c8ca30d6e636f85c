// PUT /transfers/{ID} from the payee as an ordered list of steps, one file
// each, in one database transaction:
//
//   the payee's transfer → duplicate check → request → key-lock → commit and notify
//
// Steps 1 and 3 refuse without touching the transfer; step 4 aborts it.
import type { Inbound } from '../../fspiop/index.ts';
import { canonicalHash } from '../../support/index.ts';
import { runTransaction } from '../../storage/index.ts';
import type { FulfilBody, TransferContext, TransferOutcome } from '../context.ts';
import { recordEvidence } from '../evidence.ts';
import { refuse } from '../handling.ts';
import { commitAndNotify } from './commit.ts';
import { answerRepeat } from './duplicate.ts';
import { openKeyLock } from './key_lock.ts';
import { checkRequest } from './request.ts';
import type { FulfilRun } from './run.ts';
import { payeesTransfer } from './sender.ts';

export async function fulfil(ctx: TransferContext, inbound: Inbound, transferId: string, body: FulfilBody): Promise<TransferOutcome> {
  const fulfilHash = canonicalHash(body);
  return runTransaction(ctx.db, ctx.engine, async (tx) => {
    const f: FulfilRun = { ctx, tx, inbound, transferId, body, fulfilHash, nowMs: ctx.clock.nowMs() };
    await recordEvidence(tx, transferId, inbound, f.nowMs);
    const transfer = await payeesTransfer(f);
    if (!transfer.ok) return refuse(f, transfer.error);
    const fresh = await answerRepeat(f, transfer.value);
    if (!fresh.ok) return fresh.error;
    const request = checkRequest(f, transfer.value);
    if (!request.ok) return refuse(f, request.error);
    const fulfilment = await openKeyLock(f, transfer.value);
    if (!fulfilment.ok) return fulfilment.error;
    return commitAndNotify(f, transfer.value, fulfilment.value);
  });
}
