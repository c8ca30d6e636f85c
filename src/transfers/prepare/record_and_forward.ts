// Step 10: record the transfer and forward the prepare to the payee (a held
// one's forward waits for a release instead), or, for
// a refusal from step 4 on, record it as ABORTED_REJECTED and tell the payer,
// so that a repeat of the prepare gets the same answer.
import type { Failure } from '../../fspiop/index.ts';
import type { TransferOutcome } from '../context.ts';
import { holdForward } from '../holds.ts';
import { forwardPrepare, hubTransferError } from '../messages.ts';
import { transferTables, type TransfersTable } from '../tables.ts';
import type { PrepareRun, PrepareTerms } from './run.ts';

type Outcome = Pick<TransfersTable, 'state' | 'error_code' | 'error_description' | 'completed_at_ms'>;

async function insertTransfer(p: PrepareRun, terms: PrepareTerms, outcome: Outcome, reason: string | null): Promise<void> {
  const { body, inbound, nowMs } = p;
  const tables = transferTables(p.tx);
  await tables.insertInto('transfers').values({
    transfer_id: p.transferId, payer_fsp: body.payerFsp, payee_fsp: body.payeeFsp, currency: body.amount.currency,
    amount_minor: terms.amountMinor, ilp_condition: body.condition, ilp_packet: body.ilpPacket, expiration: body.expiration,
    expires_at_ms: terms.expiresAtMs, content_version: inbound.contentVersion, prepare_hash: p.prepareHash,
    fulfil_hash: null, error_hash: null, fulfilment: null, created_at_ms: nowMs, changed_at_ms: nowMs, ...outcome,
  }).execute();
  await tables.insertInto('transfer_state_changes').values({ transfer_id: p.transferId, from_state: null, to_state: outcome.state, reason, changed_at_ms: nowMs }).execute();
}

export async function recordRejection(p: PrepareRun, terms: PrepareTerms, failure: Failure): Promise<TransferOutcome> {
  await insertTransfer(p, terms, { state: 'ABORTED_REJECTED', error_code: failure.code, error_description: failure.detail, completed_at_ms: p.nowMs }, `${failure.code} ${failure.detail}`);
  await p.ctx.enqueue(p.tx, hubTransferError(p.transferId, p.body.payerFsp, failure, p.inbound.contentVersion, p.nowMs), p.nowMs);
  return { kind: 'rejected', failure };
}

/** Records the reserved transfer and forwards the prepare, or, when the FRMS held it, keeps the forward back (holds.ts). */
export async function recordAndForward(p: PrepareRun, terms: PrepareTerms, held: boolean): Promise<TransferOutcome> {
  await insertTransfer(p, terms, { state: 'RESERVED', error_code: null, error_description: null, completed_at_ms: null }, held ? 'held by the FRMS' : null);
  const forward = forwardPrepare(p.transferId, p.body.payeeFsp, p.inbound, terms.expiresAtMs);
  if (held) {
    await holdForward(p.tx, p.transferId, forward, p.nowMs);
    return { kind: 'held' };
  }
  await p.ctx.enqueue(p.tx, forward, p.nowMs);
  return { kind: 'reserved' };
}
