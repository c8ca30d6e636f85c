// Transfers: prepare, fulfil, abort and query, each one database transaction
// in which the duplicate check, the state change, the position change and the
// callbacks it causes commit together. The edge (headers, schema, TLS identity
// and signatures) has already run; what reaches here is well-formed but not
// yet trusted in meaning. Prepare, fulfil and abort are ordered lists of
// steps (prepare/, fulfil/, abort/); query and the expiry sweep are here.
import type { Inbound } from '../fspiop/index.ts';
import { forUpdateSkipLocked, runTransaction } from '../storage/index.ts';
import { abort } from './abort/index.ts';
import { DEFAULT_TRANSFER_LIMITS, type ErrorBody, type FulfilBody, type PrepareBody, type TransferContext, type TransferDeps, type TransferOutcome } from './context.ts';
import { fulfil } from './fulfil/index.ts';
import { abortReserved, failure, refuse, stateBody } from './handling.ts';
import { createHeldPayments, expireHolds, payeeSawPrepare, stillHeld } from './holds.ts';
import { hubTransferState } from './messages.ts';
import { prepare } from './prepare/index.ts';
import { transferTables } from './tables.ts';

export {
  DEFAULT_TRANSFER_LIMITS,
  type TransferDeps, type TransferOutcome, type TransferLimits, type PrepareBody, type FulfilBody, type ErrorBody,
} from './context.ts';

/** GET /transfers/{ID}: answered by the hub, to the payer or payee only (the payee of a held transfer once it is released); to anyone else the transfer does not exist. */
async function query(ctx: TransferContext, inbound: Inbound, transferId: string): Promise<TransferOutcome> {
  return runTransaction(ctx.db, ctx.engine, async (tx) => {
    const h = { ctx, tx, inbound, transferId, nowMs: ctx.clock.nowMs() };
    const transfer = await transferTables(tx).selectFrom('transfers').selectAll().where('transfer_id', '=', transferId).executeTakeFirst();
    const party = transfer !== undefined && (inbound.source === transfer.payer_fsp || (inbound.source === transfer.payee_fsp && await payeeSawPrepare(tx, transferId)));
    if (transfer === undefined || !party) {
      return refuse(h, failure('3208', 'no such transfer'));
    }
    await ctx.enqueue(tx, hubTransferState(transferId, inbound.source, stateBody(transfer), inbound.contentVersion, h.nowMs), h.nowMs);
    return { kind: 'answered' };
  });
}

/**
 * Expires reserved transfers whose expiration has passed: releases the
 * payer's position and tells payer and payee (3303; a held transfer's payee,
 * which never saw it, is not told). Each transfer moves at
 * most once, whatever the number of hub processes: rows are claimed with
 * SKIP LOCKED on PostgreSQL and the state change is a compare-and-set.
 */
async function expireDue(ctx: TransferContext, batchSizeMax: number): Promise<number> {
  return runTransaction(ctx.db, ctx.engine, async (tx) => {
    const nowMs = ctx.clock.nowMs();
    const due = transferTables(tx).selectFrom('transfers').selectAll().where('state', '=', 'RESERVED').where('expires_at_ms', '<=', nowMs)
      .orderBy('expires_at_ms').limit(batchSizeMax);
    const transfers = await forUpdateSkipLocked(due, ctx.engine).execute();
    // A held transfer's payee never received the prepare: it is not told of the expiry either, and the held forward is never sent.
    const held = await stillHeld(tx, transfers.map((t) => t.transfer_id));
    for (const transfer of transfers) {
      await abortReserved(ctx, tx, transfer, 'EXPIRED_RESERVED', failure('3303', 'the transfer expired'), nowMs, {}, !held.has(transfer.transfer_id));
    }
    await expireHolds(tx, held, nowMs);
    return transfers.length;
  });
}

export function createTransferService(deps: TransferDeps) {
  const ctx: TransferContext = {
    db: deps.db, engine: deps.engine, clock: deps.clock, enqueue: deps.enqueue, liquidityCheckRequired: deps.liquidityCheckRequired, windowOf: deps.windowOf, riskAssessor: deps.riskAssessor, riskNotifier: deps.riskNotifier,
    limits: deps.limits ?? DEFAULT_TRANSFER_LIMITS,
    confirmToPayee: deps.confirmToPayee ?? true,
  };
  return {
    /** POST /transfers (prepare/index.ts). */
    prepare: (inbound: Inbound, body: PrepareBody) => prepare(ctx, inbound, body),
    /** PUT /transfers/{ID} from the payee (fulfil/index.ts). */
    fulfil: (inbound: Inbound, transferId: string, body: FulfilBody) => fulfil(ctx, inbound, transferId, body),
    /** PUT /transfers/{ID}/error from the payee (abort/index.ts). */
    abort: (inbound: Inbound, transferId: string, body: ErrorBody) => abort(ctx, inbound, transferId, body),
    query: (inbound: Inbound, transferId: string) => query(ctx, inbound, transferId),
    expireDue: (batchSizeMax: number) => expireDue(ctx, batchSizeMax),
    /** Held transfers as the FRMS's cases release or confirm them (holds.ts). */
    holds: createHeldPayments(ctx),
  };
}

export type TransferService = ReturnType<typeof createTransferService>;
