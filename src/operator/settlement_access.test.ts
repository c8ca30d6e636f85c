// Who may do what to a settlement, through the admin API, on both engines:
// an auditor reads and changes nothing; a holder of SETTLEMENT_RECORD records
// but cannot reserve; a maker's PUT to a money-moving step is a change request
// that moves nothing until another person approves it; and nobody approves
// their own SETTLEMENT_RESERVE, SETTLEMENT_COMMIT or SETTLEMENT_ABORT request,
// even one holding both privileges (the separation-of-duties rule removed).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkLedger } from '../ledger/index.ts';
import { checkSettlements } from '../settlement/index.ts';
import { clientCaller, createTestAdminApi, makeAndApprove, type Caller, type TestAdminApi } from '../testing/admin_api.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { everyAccountTo, onboardSettlementScheme, payThroughLedger } from '../testing/settlement_api.ts';
import { testTables } from '../testing/tables.ts';

interface SettlementView { id: number; state: string; participants: { id: number; accounts: { id: number }[] }[] }

const MONEY_FUNCTIONS = ['SETTLEMENT_RESERVE', 'SETTLEMENT_COMMIT', 'SETTLEMENT_ABORT'] as const;

describeOnEachEngine('who may settle, through the admin API', (ctx) => {
  let api: TestAdminApi;
  let maker: Caller;
  let checker: Caller;
  let auditor: Caller;
  /** Holds SETTLEMENT_READ and SETTLEMENT_RECORD only. */
  let recorder: Caller;
  /** Holds both the request and the approve privilege of each money-moving settlement step. */
  let both: Caller;
  const ids = new Map<string, number>();
  let clockMs = 1_770_000_000_000;

  const pay = (payer: string, payee: string, amountMinor: bigint) => payThroughLedger(ctx.storage, ids.get(payer) ?? 0, ids.get(payee) ?? 0, amountMinor, clockMs++);
  const settlementEntries = async () => (await testTables(ctx.storage.db).selectFrom('journal_entries').select('id').where('kind', '=', 'SETTLEMENT').execute()).length;
  const stateOf = async (id: number) => ((await auditor.call('GET', `/settlements/${id}`)).body as SettlementView).state;
  const accountsBody = everyAccountTo;

  before(async () => {
    api = await createTestAdminApi(ctx.storage);
    maker = await clientCaller(api, 'maker', [{ role: 'operations-maker' }]);
    checker = await clientCaller(api, 'checker', [{ role: 'operations-checker' }]);
    auditor = await clientCaller(api, 'auditor', [{ role: 'auditor' }]);
    const { rbac } = api.iam;
    assert.ok((await rbac.defineRole({ name: 'settlement-recorder', description: 'records settlements', privileges: ['SETTLEMENT_READ', 'SETTLEMENT_RECORD'] }, 'test')).ok);
    recorder = await clientCaller(api, 'recorder', [{ role: 'settlement-recorder' }]);
    for (const fn of MONEY_FUNCTIONS) assert.ok((await rbac.removeExclusion(`${fn}_REQUEST`, `${fn}_APPROVE`)).ok);
    const privileges = ['SETTLEMENT_READ', 'CHANGE_REQUEST_DECIDE', ...MONEY_FUNCTIONS.flatMap((fn) => [`${fn}_REQUEST`, `${fn}_APPROVE`])];
    const defined = await rbac.defineRole({ name: 'settlement-both', description: 'requests and approves settlement steps', privileges }, 'test');
    assert.ok(defined.ok, defined.ok ? '' : defined.error.detail);
    both = await clientCaller(api, 'both', [{ role: 'settlement-both' }]);

    for (const [name, id] of await onboardSettlementScheme(ctx.storage, maker, checker, ['dfspa', 'dfspb'])) ids.set(name, id);
  });
  after(async () => {
    await api.close();
  });

  test('an auditor reads but cannot close, create, record or confirm; a recorder records but cannot reserve', async () => {
    await pay('dfspa', 'dfspb', 10000n);
    const windowId = (await testTables(ctx.storage.db).selectFrom('settlement_windows').select('id').where('state', '=', 'OPEN').executeTakeFirstOrThrow()).id;
    assert.equal((await auditor.call('GET', '/settlementWindows')).status, 200);
    assert.equal((await auditor.call('POST', `/settlementWindows/${windowId}`, { state: 'CLOSED', reason: 'auditor' })).status, 403);
    assert.equal(((await auditor.call('GET', `/settlementWindows/${windowId}`)).body as { state: string }).state, 'OPEN');
    assert.equal((await maker.call('POST', `/settlementWindows/${windowId}`, { state: 'CLOSED', reason: 'close' })).status, 200);
    const create = { settlementModel: 'DEFERREDNET', reason: 'daily', settlementWindows: [{ id: windowId }] };
    assert.equal((await auditor.call('POST', '/settlements', create)).status, 403);
    assert.equal((await testTables(ctx.storage.db).selectFrom('settlements').select('id').execute()).length, 0, 'the auditor created nothing');
    const created = await maker.call('POST', '/settlements', create);
    assert.equal(created.status, 200, created.raw);
    const settlement = created.body as SettlementView;
    assert.equal((await auditor.call('GET', `/settlements/${settlement.id}`)).status, 200);
    assert.equal((await auditor.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_RECORDED'))).status, 403);
    assert.equal(await stateOf(settlement.id), 'PENDING_SETTLEMENT');
    assert.equal((await recorder.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_RECORDED'))).status, 200);
    assert.equal(await stateOf(settlement.id), 'PS_TRANSFERS_RECORDED');

    const entries = await settlementEntries();
    assert.equal((await recorder.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_RESERVED'))).status, 403, 'SETTLEMENT_RECORD does not reserve');
    const requested = await maker.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_RESERVED'));
    assert.equal(requested.status, 202, requested.raw);
    assert.equal((requested.body as { function: string }).function, 'SETTLEMENT_RESERVE');
    assert.equal(await stateOf(settlement.id), 'PS_TRANSFERS_RECORDED', 'a requested reserve does not run');
    assert.equal(await settlementEntries(), entries, 'nothing reserved before approval');
    assert.equal((await maker.call('POST', `/changeRequests/${(requested.body as { id: string }).id}/approve`)).status, 403, 'its maker cannot approve it');
    assert.equal(await settlementEntries(), entries);
    assert.equal((await checker.call('POST', `/changeRequests/${(requested.body as { id: string }).id}/approve`)).status, 200);
    assert.equal(await stateOf(settlement.id), 'PS_TRANSFERS_RESERVED');
    assert.equal((await auditor.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'SETTLED'))).status, 403, 'an auditor cannot confirm');
    assert.equal((await auditor.call('PUT', `/settlements/${settlement.id}`, { state: 'ABORTED', reason: 'auditor' })).status, 403, 'nor abort');

    const committed = await makeAndApprove(maker, checker, 'PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_COMMITTED'));
    assert.equal(committed.status, 200, committed.raw);
    assert.equal((await auditor.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'SETTLED'))).status, 403, 'an auditor cannot confirm');
    assert.equal((await recorder.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'SETTLED'))).status, 403, 'a recorder cannot confirm');
    assert.equal(await stateOf(settlement.id), 'PS_TRANSFERS_COMMITTED');
    assert.equal((await maker.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'SETTLED'))).status, 200);
    assert.equal(await stateOf(settlement.id), 'SETTLED');
  });

  test('nobody approves their own reserve, commit or abort, even holding both privileges', async () => {
    await pay('dfspb', 'dfspa', 2500n);
    const windowId = (await testTables(ctx.storage.db).selectFrom('settlement_windows').select('id').where('state', '=', 'OPEN').executeTakeFirstOrThrow()).id;
    assert.equal((await maker.call('POST', `/settlementWindows/${windowId}`, { state: 'CLOSED', reason: 'close' })).status, 200);
    const settlement = (await maker.call('POST', '/settlements', { settlementModel: 'DEFERREDNET', reason: 'r', settlementWindows: [{ id: windowId }] })).body as SettlementView;
    assert.equal((await maker.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_RECORDED'))).status, 200);

    const selfApproved = async (caller: Caller, body: unknown, fn: string, state: string) => {
      const made = await caller.call('PUT', `/settlements/${settlement.id}`, body);
      assert.equal(made.status, 202, made.raw);
      assert.equal((made.body as { function: string }).function, fn);
      const id = (made.body as { id: string }).id;
      const approved = await caller.call('POST', `/changeRequests/${id}/approve`);
      assert.equal(approved.status, 403, `${fn}: ${approved.raw}`);
      assert.equal(await stateOf(settlement.id), state, `${fn}: nothing ran`);
      return id;
    };
    const entries = await settlementEntries();
    const reserve = await selfApproved(both, accountsBody(settlement, 'PS_TRANSFERS_RESERVED'), 'SETTLEMENT_RESERVE', 'PS_TRANSFERS_RECORDED');
    assert.equal(await settlementEntries(), entries);
    assert.equal((await checker.call('POST', `/changeRequests/${reserve}/approve`)).status, 200);
    assert.equal(await stateOf(settlement.id), 'PS_TRANSFERS_RESERVED');
    const commit = await selfApproved(both, accountsBody(settlement, 'PS_TRANSFERS_COMMITTED'), 'SETTLEMENT_COMMIT', 'PS_TRANSFERS_RESERVED');
    const abort = await selfApproved(both, { state: 'ABORTED', reason: 'self' }, 'SETTLEMENT_ABORT', 'PS_TRANSFERS_RESERVED');
    const answer = await both.call('POST', `/changeRequests/${abort}/approve`);
    assert.match(answer.raw, /maker of a change request cannot approve it/);
    assert.equal((await checker.call('POST', `/changeRequests/${commit}/approve`)).status, 200);
    assert.equal(await stateOf(settlement.id), 'PS_TRANSFERS_COMMITTED');
    assert.deepEqual((await checkLedger(ctx.storage.db)).problems, []);
    assert.deepEqual((await checkSettlements(ctx.storage.db)).problems, []);
  });
});
