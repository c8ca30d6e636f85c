// What the prepare, fulfil and abort steps share: reading a transfer under its
// lock, moving it along the state machine, the state body the hub sends, the
// refusal that touches no transfer, and the abort of a reserved transfer.
import assert from 'node:assert/strict';
import type { ErrorCode, Failure } from '../fspiop/index.ts';
import { abortTransfer, type Tx } from '../ledger/index.ts';
import { findParticipant } from '../participants/index.ts';
import { forUpdate, type Engine } from '../storage/index.ts';
import type { Handling, TransferContext, TransferOutcome } from './context.ts';
import { completedTimestamp, hubTransferError, type TransferStateBody } from './messages.ts';
import { canTransition, externalState, type TransferState } from './states.ts';
import { transferTables, type Transfer } from './tables.ts';

export function failure(code: ErrorCode, detail: string): Failure {
  return { code, detail };
}

export async function loadTransfer(tx: Tx, engine: Engine, transferId: string): Promise<Transfer | undefined> {
  return forUpdate(transferTables(tx).selectFrom('transfers').selectAll().where('transfer_id', '=', transferId), engine).executeTakeFirst();
}

type TransitionFields = Partial<Pick<Transfer, 'fulfilment' | 'fulfil_hash' | 'error_hash' | 'error_code' | 'error_description' | 'completed_at_ms'>>;

/** Moves a transfer along one edge of the state machine, only from the state it was read in (compare-and-set). */
export async function transition(tx: Tx, transfer: Transfer, to: TransferState, nowMs: number, set: TransitionFields, reason: string | null): Promise<void> {
  assert.ok(canTransition(transfer.state, to), `transition ${transfer.state} -> ${to} is in the table`);
  const tables = transferTables(tx);
  const updated = await tables.updateTable('transfers').set({ ...set, state: to, changed_at_ms: nowMs })
    .where('transfer_id', '=', transfer.transfer_id).where('state', '=', transfer.state).executeTakeFirst();
  assert.equal(updated.numUpdatedRows, 1n, 'the transfer was still in the state it was read in (it is locked)');
  await tables.insertInto('transfer_state_changes').values({ transfer_id: transfer.transfer_id, from_state: transfer.state, to_state: to, reason, changed_at_ms: nowMs }).execute();
}

/** The state body the hub sends for a transfer: fulfilment only once committed. */
export function stateBody(transfer: Transfer): TransferStateBody {
  return {
    transferState: externalState(transfer.state),
    ...(transfer.completed_at_ms === null ? {} : { completedTimestamp: completedTimestamp(transfer.completed_at_ms) }),
    ...(transfer.state === 'COMMITTED' && transfer.fulfilment !== null ? { fulfilment: transfer.fulfilment } : {}),
  };
}

/** An error callback to the sender of a request the hub refuses without touching any transfer. */
export async function refuse(h: Handling, failure: Failure): Promise<TransferOutcome> {
  // Only a known participant can be called back; the edge refuses unknown sources before this.
  if ((await findParticipant(h.tx, h.inbound.source)) !== undefined) {
    await h.ctx.enqueue(h.tx, hubTransferError(h.transferId, h.inbound.source, failure, h.inbound.contentVersion, h.nowMs), h.nowMs);
  }
  return { kind: 'refused', failure };
}

/**
 * Aborts a reserved transfer for a reason the hub found, telling the payer and, unless `tellPayee` is false
 * (a held transfer, whose prepare the payee never received), the payee.
 */
export async function abortReserved(ctx: TransferContext, tx: Tx, transfer: Transfer, to: 'ABORTED_ERROR' | 'EXPIRED_RESERVED', failure: Failure, nowMs: number, extra: { error_hash?: string } = {}, tellPayee = true): Promise<void> {
  const reason = `${failure.code} ${failure.detail}`;
  const voided = await abortTransfer(tx, ctx.engine, transfer.transfer_id, 'Hub', reason, nowMs);
  assert.ok(voided.ok, 'a RESERVED transfer has an unresolved reservation');
  await transition(tx, transfer, to, nowMs, { ...extra, error_code: failure.code, error_description: failure.detail, completed_at_ms: nowMs }, reason);
  const version = transfer.content_version;
  await ctx.enqueue(tx, hubTransferError(transfer.transfer_id, transfer.payer_fsp, failure, version, nowMs), nowMs);
  if (tellPayee) await ctx.enqueue(tx, hubTransferError(transfer.transfer_id, transfer.payee_fsp, failure, version, nowMs), nowMs);
}
