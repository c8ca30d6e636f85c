// Settlement to test against, through its domain services: the ledger
// fixture's participants, a settlement model per currency, the windows and
// settlements services, committed transfers (reserved and committed as the
// transfer path does it, in the open window), and short calls that read back
// what the journal holds. Used by the settlement's hostile tests.
import assert from 'node:assert/strict';
import { commitTransfer } from '../ledger/index.ts';
import { createSettlementModels, createSettlements, createWindows, windowForCommit, type AccountUpdate, type SettlementStep, type SettlementWithDetail } from '../settlement/index.ts';
import { runRefusable, type Storage } from '../storage/index.ts';
import type { Clock } from '../support/clock.ts';
import type { FspiopResult } from '../fspiop/errors.ts';
import type { JournalEntry } from '../ledger/tables.ts';
import { asFspiopResult } from '../transfers/index.ts';
import { assertOk, createLedgerFixture, newTransferId, steppingClock, type TestParticipant } from './ledger_fixture.ts';
import { testTables } from './tables.ts';

export const SETTLEMENT_ACTOR = 'settlement-test';

/** The model for `currency` (DEFERRED NET MULTILATERAL, positions reset), its name `NET_<currency>`. */
async function addModel(storage: Storage, clock: Clock, currency: string, requireLiquidityCheck: boolean): Promise<string> {
  const name = `NET_${currency}`;
  const created = await createSettlementModels({ db: storage.db, engine: storage.engine, clock }).create({
    name, settlementGranularity: 'NET', settlementInterchange: 'MULTILATERAL', settlementDelay: 'DEFERRED', currency,
    requireLiquidityCheck, ledgerAccountType: 'POSITION', settlementAccountType: 'SETTLEMENT', autoPositionReset: true,
  });
  assertOk(created, `model ${name}`);
  return name;
}

/** Commits a reserved transfer on `storage` (any hub process's), in its open window. */
export async function commitOn(storage: Storage, transferId: string, nowMs: number): Promise<FspiopResult<JournalEntry>> {
  const { db, engine } = storage;
  return asFspiopResult(await runRefusable(db, engine, (tx) => commitTransfer(tx, engine, transferId, SETTLEMENT_ACTOR, nowMs, windowForCommit(engine))));
}

/** Every account of `detail`, asked to move to `state`. */
export function everyAccount(detail: SettlementWithDetail, state: string): AccountUpdate[] {
  return detail.accounts.map((a) => ({ participantId: a.participant_id, accountId: a.account_id, state, reason: `to ${state}` }));
}

export function createSettlementFixture(storage: Storage, clock: Clock = steppingClock()) {
  const ledger = createLedgerFixture(storage, clock);
  const deps = { db: storage.db, engine: storage.engine, clock };
  const windows = createWindows(deps);
  const settlements = createSettlements(deps);
  const db = testTables(storage.db);

  /** A transfer reserved and committed; its id. */
  async function pay(payer: TestParticipant, payee: TestParticipant, amountMinor: bigint): Promise<string> {
    const transferId = newTransferId('pay');
    assertOk(await ledger.reserve(payer, payee, amountMinor, transferId), `reserve ${transferId}`);
    assertOk(await ledger.commit(transferId), `commit ${transferId}`);
    return transferId;
  }

  /** Closes the open window; the closed window's id. */
  async function closeOpen(reason = 'test close'): Promise<number> {
    const open = await windows.open();
    return assertOk(await windows.close(open.id, reason, SETTLEMENT_ACTOR), 'close').closed.id;
  }

  /** A settlement of `windowIds` under `model`, moved to each of `steps` in turn (every account at once). */
  async function settle(model: string, windowIds: number[], steps: readonly SettlementStep[] = []): Promise<SettlementWithDetail> {
    let detail = assertOk(await settlements.create({ modelName: model, reason: 'test', windowIds }, SETTLEMENT_ACTOR), 'create');
    const run = { PS_TRANSFERS_RECORDED: settlements.record, PS_TRANSFERS_RESERVED: settlements.reserve, PS_TRANSFERS_COMMITTED: settlements.commit, SETTLED: settlements.confirm };
    for (const step of steps) {
      const outcome = assertOk(await run[step](detail.settlement.id, everyAccount(detail, step), SETTLEMENT_ACTOR), step);
      assert.deepEqual(outcome.outcomes.filter((o) => 'error' in o).map((o) => ('error' in o ? o.error.detail : '')), [], `${step}: every account moves`);
      detail = outcome.detail;
    }
    return detail;
  }

  /** The SETTLEMENT journal entries of a settlement's movements, by phase. */
  async function movementEntries(detail: SettlementWithDetail): Promise<{ transferId: string; phase: string; amountMinor: bigint }[]> {
    const ids = detail.accounts.map((a) => a.transfer_id).filter((id): id is string => id !== null);
    if (ids.length === 0) return [];
    const rows = await db.selectFrom('journal_entries').select(['transfer_id', 'phase', 'amount_minor']).where('kind', '=', 'SETTLEMENT').where('transfer_id', 'in', ids).orderBy('id').execute();
    return rows.map((r) => ({ transferId: r.transfer_id, phase: r.phase, amountMinor: r.amount_minor }));
  }

  return {
    ledger, windows, settlements, db, clock, pay, closeOpen, settle, movementEntries,
    addModel: (currency: string, requireLiquidityCheck = true) => addModel(storage, clock, currency, requireLiquidityCheck),
  };
}

export type SettlementFixture = ReturnType<typeof createSettlementFixture>;
