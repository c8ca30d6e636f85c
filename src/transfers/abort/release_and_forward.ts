// Step 4: release the payer's reservation, record the payee's error on the
// transfer, and forward the error to the payer.
import assert from 'node:assert/strict';
import { abortTransfer } from '../../ledger/index.ts';
import type { TransferOutcome } from '../context.ts';
import { transition } from '../handling.ts';
import { forwardToPayer } from '../messages.ts';
import type { Transfer } from '../tables.ts';
import type { AbortRun } from './run.ts';

export async function releaseAndForward(a: AbortRun, transfer: Transfer): Promise<TransferOutcome> {
  const { ctx, tx, transferId, nowMs } = a;
  const { errorCode, errorDescription } = a.body.errorInformation;
  const voided = await abortTransfer(tx, ctx.engine, transferId, transfer.payee_fsp, errorDescription, nowMs);
  assert.ok(voided.ok, 'a RESERVED transfer has an unresolved reservation');
  await transition(tx, transfer, 'ABORTED_ERROR', nowMs, {
    error_hash: a.errorHash, error_code: errorCode, error_description: errorDescription, completed_at_ms: nowMs,
  }, `payee error ${errorCode}`);
  await ctx.enqueue(tx, forwardToPayer(transferId, transfer.payer_fsp, a.inbound, 'error'), nowMs);
  return { kind: 'aborted' };
}
