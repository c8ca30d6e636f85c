// Step 1: the duplicate check. The same id and content again gets the final
// state resent (and is ignored while in progress); other content under a used
// id, or the same id from another sender, is 3106.
import { err, ok, type Result } from '../../support/index.ts';
import type { TransferOutcome } from '../context.ts';
import { failure, loadTransfer, refuse, stateBody } from '../handling.ts';
import { hubTransferState } from '../messages.ts';
import { isTerminal } from '../states.ts';
import type { PrepareRun } from './run.ts';

/** Ok when the transferId is new; otherwise the answer the repeat got. */
export async function answerRepeat(p: PrepareRun): Promise<Result<void, TransferOutcome>> {
  const existing = await loadTransfer(p.tx, p.ctx.engine, p.transferId);
  if (existing === undefined) return ok(undefined);
  if (existing.payer_fsp !== p.inbound.source) return err(await refuse(p, failure('3106', 'transferId is already in use')));
  if (existing.prepare_hash !== p.prepareHash) return err(await refuse(p, failure('3106', 'a different prepare was received with this transferId')));
  if (!isTerminal(existing.state)) return err({ kind: 'duplicate-ignored' });
  await p.ctx.enqueue(p.tx, hubTransferState(p.transferId, existing.payer_fsp, stateBody(existing), p.inbound.contentVersion, p.nowMs), p.nowMs);
  return err({ kind: 'duplicate-resent' });
}
