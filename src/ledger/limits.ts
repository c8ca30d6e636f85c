// Net debit caps and initial positions.
import assert from 'node:assert/strict';
import { refuse, type LedgerResult } from './errors.ts';
import { ok } from '../support/index.ts';
import { runRefusable, type Db, type Engine } from '../storage/index.ts';
import { findAccount, findHubAccount } from './accounts.ts';
import { lockAccounts, postMovement, type Tx } from './journal.ts';
import { ledgerTables, type ParticipantLimit } from './tables.ts';

export async function netDebitCapMinor(db: Db, participantId: number, currency: string): Promise<bigint | undefined> {
  const row = await ledgerTables(db)
    .selectFrom('participant_limits')
    .select('value_minor')
    .where('participant_id', '=', participantId)
    .where('currency', '=', currency)
    .where('type', '=', 'NET_DEBIT_CAP')
    .executeTakeFirst();
  return row?.value_minor;
}

export async function listLimits(db: Db, participantId?: number): Promise<ParticipantLimit[]> {
  let query = ledgerTables(db).selectFrom('participant_limits').selectAll().orderBy('participant_id').orderBy('currency');
  if (participantId !== undefined) query = query.where('participant_id', '=', participantId);
  return query.execute();
}

export interface LimitChange {
  participantId: number;
  currency: string;
  netDebitCapMinor: bigint;
  alarmPercentage: number;
}

/** Locks the participant's POSITION account, so that a limit change and a reservation never interleave. */
async function lockPosition(tx: Tx, engine: Engine, participantId: number, currency: string): Promise<LedgerResult<number>> {
  const position = await findAccount(tx, participantId, currency, 'POSITION');
  if (position === undefined) return refuse('NO_POSITION_ACCOUNT', `participant has no ${currency} position account`);
  await lockAccounts(tx, engine, [position.id]);
  return ok(position.id);
}

/**
 * Sets the first net debit cap, and an opening position booked against the
 * hub's HUB_MULTILATERAL_SETTLEMENT account so the ledger stays balanced.
 * A second call is refused: later changes go through setNetDebitCap.
 */
export async function setInitialPositionAndLimits(tx: Tx, engine: Engine, change: LimitChange & { initialPositionMinor: bigint; createdBy: string }, nowMs: number): Promise<LedgerResult<void>> {
  const locked = await lockPosition(tx, engine, change.participantId, change.currency);
  if (!locked.ok) return locked;
  if ((await netDebitCapMinor(tx, change.participantId, change.currency)) !== undefined) {
    return refuse('LIMITS_ALREADY_SET', `the ${change.currency} initial position and limits are already set; change the limit instead`);
  }
  await ledgerTables(tx).insertInto('participant_limits').values({
    participant_id: change.participantId,
    currency: change.currency,
    type: 'NET_DEBIT_CAP',
    value_minor: change.netDebitCapMinor,
    alarm_percentage: change.alarmPercentage,
    changed_at_ms: nowMs,
  }).execute();
  if (change.initialPositionMinor !== 0n) {
    const hub = await findHubAccount(tx, change.currency, 'HUB_MULTILATERAL_SETTLEMENT');
    if (hub === undefined) return refuse('NO_HUB_ACCOUNT', `the hub has no HUB_MULTILATERAL_SETTLEMENT account in ${change.currency}`);
    const accounts = await lockAccounts(tx, engine, [locked.value, hub.id]);
    const netDebit = change.initialPositionMinor > 0n;
    await postMovement(tx, accounts, {
      transferId: `initial-position:${change.participantId}:${change.currency}`,
      kind: 'INITIAL_POSITION',
      debitAccountId: netDebit ? locked.value : hub.id,
      creditAccountId: netDebit ? hub.id : locked.value,
      currency: change.currency,
      amountMinor: netDebit ? change.initialPositionMinor : -change.initialPositionMinor,
      reason: 'initial position',
      createdBy: change.createdBy,
    }, 'SINGLE', nowMs);
  }
  return ok(undefined);
}

/**
 * Changes a net debit cap. Lowering it below the current position is allowed:
 * existing reservations stand, and new ones are refused until the position falls.
 */
export async function setNetDebitCap(tx: Tx, engine: Engine, change: LimitChange, nowMs: number): Promise<LedgerResult<void>> {
  assert.ok(change.netDebitCapMinor >= 0n);
  const locked = await lockPosition(tx, engine, change.participantId, change.currency);
  if (!locked.ok) return locked;
  const updated = await ledgerTables(tx)
    .updateTable('participant_limits')
    .set({ value_minor: change.netDebitCapMinor, alarm_percentage: change.alarmPercentage, changed_at_ms: nowMs })
    .where('participant_id', '=', change.participantId)
    .where('currency', '=', change.currency)
    .where('type', '=', 'NET_DEBIT_CAP')
    .executeTakeFirst();
  if (updated.numUpdatedRows === 0n) {
    return refuse('LIMITS_NOT_SET', `no ${change.currency} net debit cap is set yet; set the initial position and limits first`);
  }
  return ok(undefined);
}

/** Limit operations that run in their own transaction, for the admin API. */
export function createLimits({ db, engine, clock }: { db: Db; engine: Engine; clock: { nowMs(): number } }) {
  return {
    initialPositionAndLimits: (change: LimitChange & { initialPositionMinor: bigint; createdBy: string }) =>
      runRefusable(db, engine, (tx) => setInitialPositionAndLimits(tx, engine, change, clock.nowMs())),
    setNetDebitCap: (change: LimitChange) => runRefusable(db, engine, (tx) => setNetDebitCap(tx, engine, change, clock.nowMs())),
    list: (participantId?: number) => listLimits(db, participantId),
  };
}
