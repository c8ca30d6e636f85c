// Step 5: commit the position and the transfer, then tell both sides: a
// COMMITTED fulfil is forwarded to the payer (and the hub confirms to the
// payee); a RESERVED one gets the hub's COMMITTED state to the payer and a
// PATCH to the payee.
import assert from 'node:assert/strict';
import { commitTransfer } from '../../ledger/index.ts';
import type { TransferOutcome } from '../context.ts';
import { transition } from '../handling.ts';
import { completedTimestamp, forwardToPayer, hubPatch, hubTransferState } from '../messages.ts';
import type { Transfer } from '../tables.ts';
import type { FulfilRun } from './run.ts';

export async function commitAndNotify(f: FulfilRun, transfer: Transfer, fulfilment: string): Promise<TransferOutcome> {
  const { ctx, tx, transferId, inbound, nowMs } = f;
  const committed = await commitTransfer(tx, ctx.engine, transferId, transfer.payee_fsp, nowMs, ctx.windowOf);
  assert.ok(committed.ok, 'a RESERVED transfer has an unresolved reservation');
  await transition(tx, transfer, 'COMMITTED', nowMs, { fulfilment, fulfil_hash: f.fulfilHash, completed_at_ms: nowMs }, null);
  const done = { transferState: 'COMMITTED' as const, completedTimestamp: completedTimestamp(nowMs) };
  const version = transfer.content_version;
  if (f.body.transferState === 'COMMITTED') {
    await ctx.enqueue(tx, forwardToPayer(transferId, transfer.payer_fsp, inbound, 'fulfil'), nowMs);
    if (ctx.confirmToPayee) await ctx.enqueue(tx, hubTransferState(transferId, transfer.payee_fsp, { ...done, fulfilment }, version, nowMs), nowMs);
  } else {
    await ctx.enqueue(tx, hubTransferState(transferId, transfer.payer_fsp, { ...done, fulfilment }, version, nowMs), nowMs);
    // In the version the payee answered in; PATCH exists from v1.1 on.
    await ctx.enqueue(tx, hubPatch(transferId, transfer.payee_fsp, done, inbound.contentVersion === '1.0' ? '1.1' : inbound.contentVersion, nowMs), nowMs);
  }
  return { kind: 'committed' };
}
