// Holds (issue 16). A transfer the FRMS holds is reserved like any other, but
// its prepare's forward to the payee waits in transfer_holds, not in the
// outbox, so no delivery worker of any hub process can send it. It leaves in
// one of three ways, each under the transfer's row lock:
//
//   release   an analyst's approved release (risk/cases.ts, maker-checker)
//             enqueues the forward, in the release's transaction, only while
//             the transfer is RESERVED, still held and before its expiration
//   confirm   fraud confirmed: the transfer is aborted (reservation released,
//             the payer told 4400 with the generic risk refusal), the payee,
//             which never saw the prepare, told nothing
//   expiry    the sweeper (service.ts) expires it like any other transfer and
//             tells the payer 3303, not the payee; the forward is never sent
//
// Until a release the transfer does not exist for its payee: a fulfil, an
// abort or a GET from it is answered 3208 (payeeSawPrepare).
import type { OutboundMessage } from '../delivery/index.ts';
import { RISK_REFUSAL, type HeldPayments, type HoldView } from '../risk/index.ts';
import type { Tx } from '../ledger/index.ts';
import { forUpdate } from '../storage/index.ts';
import { err, ok, type Result } from '../support/index.ts';
import type { TransferContext } from './context.ts';
import { abortReserved, failure, loadTransfer } from './handling.ts';
import { transferTables, type Transfer, type TransferHoldsTable } from './tables.ts';

type Hold = Pick<TransferHoldsTable, 'state' | 'held_message'>;

/** Keeps a held prepare's forward back from the outbox, in the prepare's transaction. */
export async function holdForward(tx: Tx, transferId: string, forward: OutboundMessage, nowMs: number): Promise<void> {
  await transferTables(tx).insertInto('transfer_holds').values({
    transfer_id: transferId, state: 'HELD', held_message: JSON.stringify(forward), held_at_ms: nowMs, changed_at_ms: nowMs,
  }).execute();
}

async function holdOf(tx: Tx, transferId: string): Promise<Hold | undefined> {
  return transferTables(tx).selectFrom('transfer_holds').select(['state', 'held_message']).where('transfer_id', '=', transferId).executeTakeFirst();
}

/** Whether the payee was sent the prepare: the transfer was never held, or its hold was released. */
export async function payeeSawPrepare(tx: Tx, transferId: string): Promise<boolean> {
  const hold = await holdOf(tx, transferId);
  return hold === undefined || hold.state === 'RELEASED';
}

/** The held transfers among `transferIds` (the sweeper's batch): their payees are not told of the expiry. */
export async function stillHeld(tx: Tx, transferIds: readonly string[]): Promise<Set<string>> {
  if (transferIds.length === 0) return new Set();
  const rows = await transferTables(tx).selectFrom('transfer_holds').select('transfer_id').where('transfer_id', 'in', transferIds).where('state', '=', 'HELD').execute();
  return new Set(rows.map((row) => row.transfer_id));
}

async function setHoldState(tx: Tx, transferId: string, from: 'HELD', to: Exclude<TransferHoldsTable['state'], 'HELD'>, nowMs: number): Promise<void> {
  const updated = await transferTables(tx).updateTable('transfer_holds').set({ state: to, changed_at_ms: nowMs })
    .where('transfer_id', '=', transferId).where('state', '=', from).executeTakeFirst();
  if (updated.numUpdatedRows !== 1n) throw new Error(`transfer ${transferId}: the hold was not ${from} under the transfer's lock`);
}

/** Marks the holds of transfers the sweeper expired: their forwards are never sent. */
export async function expireHolds(tx: Tx, transferIds: Iterable<string>, nowMs: number): Promise<void> {
  for (const transferId of transferIds) await setHoldState(tx, transferId, 'HELD', 'EXPIRED', nowMs);
}

/** Why a held transfer cannot be acted on now (`beforeExpiry`: a release must also come before its expiration). */
function refusalOf(transfer: Transfer | undefined, hold: Hold | undefined, nowMs: number, beforeExpiry: boolean): string | undefined {
  if (transfer === undefined || hold === undefined) return 'the transfer was not held';
  if (hold.state === 'RELEASED') return 'the hold was released already: the payee has the transfer';
  if (hold.state === 'CONFIRMED') return 'the hold was confirmed as fraud: the transfer is aborted';
  if (hold.state === 'EXPIRED' || transfer.state !== 'RESERVED') return `the transfer is ${transfer.state}, no longer RESERVED`;
  if (beforeExpiry && nowMs >= transfer.expires_at_ms) return 'the transfer\'s expiration has passed: it expires, its reservation is released';
  return undefined;
}

/** The transfer module's side of holds, as the FRMS's cases use it (risk/cases.ts), in the case action's transaction. */
export function createHeldPayments(ctx: TransferContext): HeldPayments {
  /** The transfer and its hold, the transfer's row locked. */
  async function locked(tx: Tx, transferId: string) {
    const transfer = await loadTransfer(tx, ctx.engine, transferId);
    const hold = transfer === undefined ? undefined : await forUpdate(transferTables(tx).selectFrom('transfer_holds').select(['state', 'held_message']).where('transfer_id', '=', transferId), ctx.engine).executeTakeFirst();
    return { transfer, hold };
  }

  return {
    async releaseRefusal(tx: Tx, transferId: string, nowMs: number): Promise<string | undefined> {
      const transfer = await transferTables(tx).selectFrom('transfers').selectAll().where('transfer_id', '=', transferId).executeTakeFirst();
      return refusalOf(transfer, await holdOf(tx, transferId), nowMs, true);
    },

    async release(tx: Tx, transferId: string, nowMs: number): Promise<Result<void, string>> {
      const { transfer, hold } = await locked(tx, transferId);
      const refusal = refusalOf(transfer, hold, nowMs, true);
      if (refusal !== undefined || hold === undefined) return err(refusal ?? 'the transfer was not held');
      await setHoldState(tx, transferId, 'HELD', 'RELEASED', nowMs);
      await ctx.enqueue(tx, JSON.parse(hold.held_message) as OutboundMessage, nowMs);
      return ok(undefined);
    },

    async confirmFraud(tx: Tx, transferId: string, nowMs: number): Promise<Result<void, string>> {
      const { transfer, hold } = await locked(tx, transferId);
      const refusal = refusalOf(transfer, hold, nowMs, false);
      if (refusal !== undefined || transfer === undefined) return err(refusal ?? 'the transfer was not held');
      await setHoldState(tx, transferId, 'HELD', 'CONFIRMED', nowMs);
      await abortReserved(ctx, tx, transfer, 'ABORTED_ERROR', failure('4400', RISK_REFUSAL), nowMs, {}, false);
      return ok(undefined);
    },

    async view(tx: Tx, transferId: string): Promise<HoldView | undefined> {
      const transfer = await transferTables(tx).selectFrom('transfers').select(['state', 'expires_at_ms']).where('transfer_id', '=', transferId).executeTakeFirst();
      const hold = await holdOf(tx, transferId);
      if (transfer === undefined || hold === undefined) return undefined;
      return { holdState: hold.state, transferState: transfer.state, expiresAtMs: transfer.expires_at_ms };
    },
  };
}
