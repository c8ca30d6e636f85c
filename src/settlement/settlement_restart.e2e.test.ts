// A hub killed with SIGKILL while a settlement's commit is being approved,
// and started again on the same storage: the settlement is wholly at
// PS_TRANSFERS_RESERVED (the commit did not happen) or wholly at
// PS_TRANSFERS_COMMITTED (it did, with every movement posted once), never
// between; it can then be completed to SETTLED; and checkLedger and
// checkSettlements find no problem: money is conserved. The hub runs as
// `interlock start` in a child process; the transfers are committed through
// the ledger on the same storage, as the transfer path commits them (so they
// have no transfer records, and `interlock ledger check`, which also matches
// reservations to transfers, is not the check here).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { checkLedger, commitTransfer, reserveTransfer, valueMinor } from '../ledger/index.ts';
import type { Engine, Storage } from '../storage/index.ts';
import { runRefusable } from '../storage/index.ts';
import { adminClientFor, type AdminClient } from '../testing/admin_client.ts';
import { freePort } from '../testing/dfsp.ts';
import { freshStorage, postgresUnavailable, skippedOnPostgres } from '../testing/engines.ts';
import { reportHubOutputs, startHubProcess, until, type HubProcess } from '../testing/hub_process.ts';
import { testSchemePki } from '../testing/scheme_pki.ts';
import { testTables } from '../testing/tables.ts';
import { checkSettlements } from './check.ts';
import { liquidityCheckRequired } from './models.ts';
import { windowForCommit } from './windows.ts';

const PARTICIPANTS = ['dfspa', 'dfspb', 'dfspc', 'dfspd'] as const;
/** Payer, payee, amount in cents: nets a +120.00, b −50.00, c −40.00, d −30.00. */
const PAYMENTS: readonly (readonly [number, number, bigint])[] = [[0, 1, 10_000n], [0, 2, 5_000n], [1, 2, 3_000n], [2, 3, 1_500n], [3, 0, 500n], [1, 3, 2_000n], [2, 0, 2_500n]];
const NETS_MINOR = [12_000n, -5_000n, -4_000n, -3_000n];

interface SettlementView { id: number; state: string; participants: { id: number; accounts: { id: number; state: string }[] }[] }

async function expectStatus(admin: Pick<AdminClient, 'call'>, status: number, method: string, path: string, body?: unknown): Promise<unknown> {
  const answer = await admin.call(method, path, body);
  assert.equal(answer.status, status, `${method} ${path}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Hub accounts, a USD settlement model and the participants, funded, through the admin API. */
async function onboard(admin: AdminClient, storage: Storage): Promise<Map<string, { id: number; settlementAccountId: number }>> {
  for (const type of ['HUB_MULTILATERAL_SETTLEMENT', 'HUB_RECONCILIATION']) await expectStatus(admin, 201, 'POST', '/participants/Hub/accounts', { currency: 'USD', type });
  await expectStatus(admin, 201, 'POST', '/settlementModels', {
    name: 'DEFERREDNET', settlementGranularity: 'NET', settlementInterchange: 'MULTILATERAL', settlementDelay: 'DEFERRED', currency: 'USD',
    requireLiquidityCheck: true, ledgerAccountType: 'POSITION', autoPositionReset: true, settlementAccountType: 'SETTLEMENT',
  });
  const participants = new Map<string, { id: number; settlementAccountId: number }>();
  for (const name of PARTICIPANTS) {
    await expectStatus(admin, 201, 'POST', '/participants', { name, currency: 'USD' });
    await expectStatus(admin, 201, 'POST', `/participants/${name}/initialPositionAndLimits`, { currency: 'USD', limit: { type: 'NET_DEBIT_CAP', value: 10_000 }, initialPosition: 0 });
    const accounts = await expectStatus(admin, 200, 'GET', `/participants/${name}/accounts`) as { id: number; ledgerAccountType: string }[];
    const settlementAccountId = accounts.find((a) => a.ledgerAccountType === 'SETTLEMENT')?.id ?? 0;
    await expectStatus(admin, 202, 'POST', `/participants/${name}/accounts/${settlementAccountId}`, {
      transferId: randomUUID(), externalReference: 'prefund', action: 'recordFundsIn', reason: 'prefunding', amount: { amount: '1000', currency: 'USD' },
    });
    const id = (await testTables(storage.db).selectFrom('participants').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
    participants.set(name, { id, settlementAccountId });
  }
  return participants;
}

async function pay(storage: Storage, payerId: number, payeeId: number, amountMinor: bigint): Promise<void> {
  const { db, engine } = storage;
  const transferId = randomUUID();
  const reserved = await runRefusable(db, engine, (tx) => reserveTransfer(tx, engine, {
    transferId, payerParticipantId: payerId, payeeParticipantId: payeeId, currency: 'USD', amountMinor, createdBy: 'e2e', liquidityCheckRequired,
  }, Date.now()));
  assert.ok(reserved.ok, reserved.ok ? '' : reserved.error.detail);
  const committed = await runRefusable(db, engine, (tx) => commitTransfer(tx, engine, transferId, 'e2e', Date.now(), windowForCommit(engine)));
  assert.ok(committed.ok);
}

const accountsBody = (settlement: SettlementView, state: string) => ({
  participants: settlement.participants.map((p) => ({ id: p.id, accounts: p.accounts.map((a) => ({ id: a.id, state, reason: `to ${state}` })) })),
});

/** The settlement as the database holds it: its state, its accounts' states, and each movement's journal phases. */
async function settlementAsStored(storage: Storage, settlementId: number) {
  const db = testTables(storage.db);
  const settlement = await db.selectFrom('settlements').select('state').where('id', '=', settlementId).executeTakeFirstOrThrow();
  const accounts = await db.selectFrom('settlement_accounts').selectAll().where('settlement_id', '=', settlementId).execute();
  const phases = new Map<string, string[]>();
  for (const account of accounts) {
    const rows = await db.selectFrom('journal_entries').select('phase').where('kind', '=', 'SETTLEMENT').where('transfer_id', '=', account.transfer_id ?? '').orderBy('id').execute();
    phases.set(String(account.account_id), rows.map((r) => r.phase));
  }
  return { state: settlement.state, accountStates: [...new Set(accounts.map((a) => a.state))], phases: [...phases.values()] };
}

async function settlementFunds(storage: Storage, accountIds: readonly number[]): Promise<bigint[]> {
  const rows = await testTables(storage.db).selectFrom('accounts').selectAll().where('id', 'in', [...accountIds]).execute();
  return accountIds.map((id) => {
    const row = rows.find((r) => r.id === id);
    assert.ok(row !== undefined);
    return valueMinor(row);
  });
}

/** When the hub is killed: as soon as the commit's approval is recorded, or as soon as the commit itself is. */
type KillPoint = 'approval' | 'commit';

async function killedDuringCommit(t: TestContext, engine: Engine, killAt: KillPoint): Promise<void> {
  const fresh = await freshStorage(engine);
  const storage = fresh.storage;
  const dataDir = mkdtempSync(join(tmpdir(), 'interlock-settlement-kill-'));
  const hubOptions = { dataDir, storageUrl: fresh.url, adminPort: await freePort(), fspiopPort: await freePort(), pkiDir: (await testSchemePki()).dir };
  const hubs: HubProcess[] = [];
  const adminOf = (hub: HubProcess) => adminClientFor(hub.adminUrl, dataDir, hub.pkiDir);
  try {
    hubs.push(await startHubProcess(hubOptions));
    const admin = adminOf(hubs[0]!);
    const participants = await onboard(admin, storage);
    const idOf = (i: number) => participants.get(PARTICIPANTS[i] ?? '')?.id ?? 0;
    for (const [payer, payee, amountMinor] of PAYMENTS) await pay(storage, idOf(payer), idOf(payee), amountMinor);
    const windowId = (await testTables(storage.db).selectFrom('settlement_windows').select('id').where('state', '=', 'OPEN').executeTakeFirstOrThrow()).id;
    await expectStatus(admin, 200, 'POST', `/settlementWindows/${windowId}`, { state: 'CLOSED', reason: 'end of day' });
    const settlement = await expectStatus(admin, 200, 'POST', '/settlements', { settlementModel: 'DEFERREDNET', reason: 'daily', settlementWindows: [{ id: windowId }] }) as SettlementView;
    await expectStatus(admin, 200, 'PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_RECORDED'));
    await expectStatus(admin, 200, 'PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_RESERVED'));
    const fundsAccounts = PARTICIPANTS.map((name) => participants.get(name)?.settlementAccountId ?? 0);
    const fundsReserved = await settlementFunds(storage, fundsAccounts);

    // The commit, requested by the maker; the checker's approval sent, and the hub killed as soon as the approval (or the commit) is in the database.
    const requested = await expectStatus(admin.maker, 202, 'PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_COMMITTED')) as { id: string };
    const approval = admin.checker.call('POST', `/changeRequests/${requested.id}/approve`).catch(() => undefined);
    await until(`the commit's ${killAt}, in the database`, async () => {
      const row = await testTables(storage.db).selectFrom('change_requests').select('state').where('id', '=', requested.id).executeTakeFirst();
      const moved = await testTables(storage.db).selectFrom('settlements').select('state').where('id', '=', settlement.id).executeTakeFirst();
      const committed = moved?.state !== 'PS_TRANSFERS_RESERVED';
      return committed || (killAt === 'approval' && row?.state !== 'PENDING') ? true : undefined;
    }, 10_000, 1);
    await hubs[0]!.kill();
    await approval;

    const killed = await settlementAsStored(storage, settlement.id);
    const request = await testTables(storage.db).selectFrom('change_requests').select('state').where('id', '=', requested.id).executeTakeFirstOrThrow();
    t.diagnostic(`at the kill the settlement was ${killed.state}, the commit's change request ${request.state}`);
    assert.ok(killed.state === 'PS_TRANSFERS_RESERVED' || killed.state === 'PS_TRANSFERS_COMMITTED', killed.state);
    assert.deepEqual(killed.accountStates, [killed.state], 'every account is where the settlement is');
    const expected = killed.state === 'PS_TRANSFERS_COMMITTED' ? ['PENDING', 'POST'] : ['PENDING'];
    assert.deepEqual(killed.phases, NETS_MINOR.map(() => expected), 'each movement is wholly reserved or wholly posted');
    assert.deepEqual((await checkSettlements(storage.db)).problems, []);
    assert.deepEqual((await checkLedger(storage.db)).problems, []);

    hubs.push(await startHubProcess(hubOptions));
    const again = adminOf(hubs[1]!);
    const current = await expectStatus(again, 200, 'GET', `/settlements/${settlement.id}`) as SettlementView;
    assert.equal(current.state, killed.state, 'the restarted hub sees the settlement as it was left');
    if (current.state === 'PS_TRANSFERS_RESERVED') await expectStatus(again, 200, 'PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_COMMITTED'));
    const settled = await expectStatus(again, 200, 'PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'SETTLED')) as SettlementView;
    assert.equal(settled.state, 'SETTLED');
    const done = await settlementAsStored(storage, settlement.id);
    assert.deepEqual(done.phases, NETS_MINOR.map(() => ['PENDING', 'POST']), 'each movement posted once');
    // Reserving already counted the senders' funds as held; committing moved the recipients' in.
    assert.deepEqual((await settlementFunds(storage, fundsAccounts)).map((v, i) => v - (fundsReserved[i] ?? 0n)), NETS_MINOR.map((n) => (n > 0n ? 0n : n)));
    assert.deepEqual((await checkLedger(storage.db)).problems, []);
    assert.deepEqual((await checkSettlements(storage.db)).problems, []);
  } catch (error) {
    reportHubOutputs(t, hubs);
    throw error;
  } finally {
    for (const hub of hubs) await hub.kill();
    await fresh.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const engine of ['sqlite', 'postgres'] as const) {
  if (engine === 'postgres' && (await postgresUnavailable()) !== undefined) {
    skippedOnPostgres('a hub killed while a settlement commits [postgres]');
    continue;
  }
  describe(`a hub killed while a settlement commits [${engine}]`, () => {
    for (const killAt of ['approval', 'commit'] as const) {
      test(`killed once the ${killAt} is recorded: the settlement is wholly reserved or wholly committed, completes after the restart, and money is conserved`, async (t) => {
        await killedDuringCommit(t, engine, killAt);
      });
    }
  });
}
