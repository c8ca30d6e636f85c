// Step 4: the transfer has not expired, and the fulfilment opens the key-lock:
// SHA-256(fulfilment) is the agreed condition. Either failure aborts the
// reserved transfer and tells both sides.
import { conditionMatches } from '../../ilp/index.ts';
import { err, ok, type Result } from '../../support/index.ts';
import type { TransferOutcome } from '../context.ts';
import { abortReserved, failure } from '../handling.ts';
import type { Transfer } from '../tables.ts';
import type { FulfilRun } from './run.ts';

/** Ok with the fulfilment that opens the lock; otherwise the transfer is aborted and that is the answer. */
export async function openKeyLock(f: FulfilRun, transfer: Transfer): Promise<Result<string, TransferOutcome>> {
  if (transfer.expires_at_ms <= f.nowMs) {
    await abortReserved(f.ctx, f.tx, transfer, 'EXPIRED_RESERVED', failure('3303', 'the transfer expired before it was fulfilled'), f.nowMs);
    return err({ kind: 'expired' });
  }
  const { fulfilment } = f.body;
  if (fulfilment === undefined || !conditionMatches(fulfilment, transfer.ilp_condition)) {
    await abortReserved(f.ctx, f.tx, transfer, 'ABORTED_ERROR', failure('3100', 'the fulfilment does not match the condition'), f.nowMs, { error_hash: f.fulfilHash });
    return err({ kind: 'aborted' });
  }
  return ok(fulfilment);
}
