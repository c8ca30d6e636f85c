// A small settlement scheme through the admin API, for the settlement routes'
// tests: the hub's accounts and a DEFERREDNET model in USD, participants with a
// net debit cap and funds (each through maker-checker, as an operator does it),
// and committed transfers made through the ledger as the transfer path makes them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { commitTransfer, reserveTransfer } from '../ledger/index.ts';
import { liquidityCheckRequired, windowForCommit } from '../settlement/index.ts';
import { runRefusable, type Storage } from '../storage/index.ts';
import { makeAndApprove, type Caller } from './admin_api.ts';
import { testTables } from './tables.ts';

export const SETTLEMENT_MODEL_USD = {
  name: 'DEFERREDNET', settlementGranularity: 'NET', settlementInterchange: 'MULTILATERAL', settlementDelay: 'DEFERRED', currency: 'USD',
  requireLiquidityCheck: true, ledgerAccountType: 'POSITION', autoPositionReset: true, settlementAccountType: 'SETTLEMENT',
} as const;

/** Onboards `names` in USD (net debit cap 10000, funds in 1000) with the hub's accounts and the model; answers each participant's id. */
export async function onboardSettlementScheme(storage: Storage, maker: Caller, checker: Caller, names: readonly string[]): Promise<Map<string, number>> {
  for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION']) {
    assert.equal((await maker.call('POST', '/participants/Hub/accounts', { currency: 'USD', type })).status, 201);
  }
  assert.equal((await makeAndApprove(maker, checker, 'POST', '/settlementModels', SETTLEMENT_MODEL_USD)).status, 201);
  const ids = new Map<string, number>();
  for (const name of names) {
    assert.equal((await makeAndApprove(maker, checker, 'POST', '/participants', { name, currency: 'USD' })).status, 201);
    assert.equal((await makeAndApprove(maker, checker, 'POST', `/participants/${name}/initialPositionAndLimits`, { currency: 'USD', limit: { type: 'NET_DEBIT_CAP', value: 10000 }, initialPosition: 0 })).status, 201);
    const accounts = (await maker.call('GET', `/participants/${name}/accounts`)).body as { id: number; ledgerAccountType: string }[];
    const settlementAccount = accounts.find((a) => a.ledgerAccountType === 'SETTLEMENT')?.id ?? 0;
    assert.equal((await makeAndApprove(maker, checker, 'POST', `/participants/${name}/accounts/${settlementAccount}`, {
      transferId: randomUUID(), externalReference: 'prefund', action: 'recordFundsIn', reason: 'prefunding', amount: { amount: '1000', currency: 'USD' },
    })).status, 202);
    ids.set(name, (await testTables(storage.db).selectFrom('participants').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id);
  }
  return ids;
}

/** A USD transfer reserved and committed through the ledger, in the open window, as the transfer path does it. */
export async function payThroughLedger(storage: Storage, payerId: number, payeeId: number, amountMinor: bigint, nowMs: number): Promise<void> {
  const { db, engine } = storage;
  const transferId = randomUUID();
  const reserved = await runRefusable(db, engine, (tx) => reserveTransfer(tx, engine, {
    transferId, payerParticipantId: payerId, payeeParticipantId: payeeId, currency: 'USD', amountMinor, createdBy: 'test', liquidityCheckRequired,
  }, nowMs));
  assert.ok(reserved.ok, reserved.ok ? undefined : reserved.error.detail);
  const committed = await runRefusable(db, engine, (tx) => commitTransfer(tx, engine, transferId, 'test', nowMs, windowForCommit(engine)));
  assert.ok(committed.ok);
}

/** The open settlement window's id. */
export async function openWindowIdOf(storage: Storage): Promise<number> {
  return (await testTables(storage.db).selectFrom('settlement_windows').select('id').where('state', '=', 'OPEN').executeTakeFirstOrThrow()).id;
}

/** A PUT /settlements/{id} body moving every account of `settlement` to `state`. */
export function everyAccountTo(settlement: { participants: { id: number; accounts: { id: number }[] }[] }, state: string, extra: Record<string, string> = {}) {
  return { participants: settlement.participants.map((p) => ({ id: p.id, accounts: p.accounts.map((a) => ({ id: a.id, state, reason: `to ${state}`, ...extra })) })) };
}
