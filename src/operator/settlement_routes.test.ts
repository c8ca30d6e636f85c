// Settlement through the admin API, on both engines: windows close and the
// next opens; a settlement nets the closed window per participant (summing to
// zero); its accounts step one state at a time, the money-moving steps only
// through maker-checker; committing moves each net amount between the
// participant's settlement and position accounts, so the positions are reset
// and liquidity is unchanged; an abort releases what was reserved and gives
// the window back; the audit log records each step with its amounts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkLedger } from '../ledger/index.ts';
import { checkSettlements } from '../settlement/index.ts';
import { clientCaller, createTestAdminApi, makeAndApprove, type Caller, type TestAdminApi } from '../testing/admin_api.ts';
import { everyAccountTo, onboardSettlementScheme, openWindowIdOf, payThroughLedger } from '../testing/settlement_api.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { capturedAdminAudit } from './audit_events.ts';

interface AccountView { id: number; ledgerAccountType: string; value: number; reservedValue: number }
interface SettlementAccountView { id: number; state: string; netSettlementAmount: { amount: number; currency: string }; errorInformation?: { errorCode: string; errorDescription: string } }
interface SettlementView { id: number; state: string; participants: { id: number; accounts: SettlementAccountView[] }[]; settlementWindows: { id: number; state: string }[] }
interface WindowView { id: number; state: string; content: { currencyId: string; state: string; transferCount: number; amount: number; settlementId?: number }[] }

describeOnEachEngine('settlement windows and settlements through the admin API', (ctx) => {
  let api: TestAdminApi;
  const audit = capturedAdminAudit();
  let maker: Caller;
  let checker: Caller;
  let auditor: Caller;
  const ids = new Map<string, number>();
  let clockMs = 1_760_000_000_000;

  const accountsOf = async (name: string) => (await maker.call('GET', `/participants/${name}/accounts`)).body as AccountView[];
  const valueOf = async (name: string, type: 'POSITION' | 'SETTLEMENT') => (await accountsOf(name)).find((a) => a.ledgerAccountType === type)?.value;
  const positionAccount = async (name: string) => (await accountsOf(name)).find((a) => a.ledgerAccountType === 'POSITION')?.id ?? 0;

  const pay = (payer: string, payee: string, amountMinor: bigint) => payThroughLedger(ctx.storage, ids.get(payer) ?? 0, ids.get(payee) ?? 0, amountMinor, clockMs++);

  const openWindowId = () => openWindowIdOf(ctx.storage);
  const accountsBody = everyAccountTo;

  before(async () => {
    api = await createTestAdminApi(ctx.storage, { audit });
    maker = await clientCaller(api, 'maker', [{ role: 'operations-maker' }]);
    checker = await clientCaller(api, 'checker', [{ role: 'operations-checker' }]);
    auditor = await clientCaller(api, 'auditor', [{ role: 'auditor' }]);
    for (const [name, id] of await onboardSettlementScheme(ctx.storage, maker, checker, ['dfspa', 'dfspb', 'dfspc'])) ids.set(name, id);
  });
  after(async () => {
    await api.close();
  });

  test('a window closes, the next opens, and later commits fall in the next', async () => {
    const first = await openWindowId();
    await pay('dfspa', 'dfspb', 10000n); // 100.00
    await pay('dfspb', 'dfspc', 3000n);
    await pay('dfspc', 'dfspa', 1000n);
    assert.equal((await auditor.call('POST', `/settlementWindows/${first}`, { state: 'CLOSED', reason: 'end of day' })).status, 403, 'an auditor cannot close a window');
    const closed = await maker.call('POST', `/settlementWindows/${first}`, { state: 'CLOSED', reason: 'end of day' });
    assert.equal(closed.status, 200, closed.raw);
    const next = closed.body as WindowView;
    assert.equal(next.state, 'OPEN');
    assert.equal(next.id, first + 1);
    const again = await maker.call('POST', `/settlementWindows/${first}`, { state: 'CLOSED', reason: 'twice' });
    assert.equal(again.status, 400);
    assert.match(again.raw, /only the open window can be closed/);
    const window = (await auditor.call('GET', `/settlementWindows/${first}`)).body as WindowView;
    assert.equal(window.state, 'CLOSED');
    assert.deepEqual(window.content.map((c) => [c.currencyId, c.state, c.transferCount, c.amount]), [['USD', 'CLOSED', 3, 140]]);
    await pay('dfspa', 'dfspc', 500n);
    const listed = (await auditor.call('GET', '/settlementWindows?state=CLOSED')).body as WindowView[];
    assert.deepEqual(listed.map((w) => w.id), [first]);
  });

  test('a settlement nets the window, steps one state at a time, and money moves only through maker-checker', async () => {
    const windowId = (await openWindowId()) - 1;
    const before = { a: await valueOf('dfspa', 'SETTLEMENT'), b: await valueOf('dfspb', 'SETTLEMENT'), c: await valueOf('dfspc', 'SETTLEMENT') };
    const created = await maker.call('POST', '/settlements', { settlementModel: 'DEFERREDNET', reason: 'daily', settlementWindows: [{ id: windowId }] });
    assert.equal(created.status, 200, created.raw);
    const settlement = created.body as SettlementView;
    assert.equal(settlement.state, 'PENDING_SETTLEMENT');
    const nets = new Map(settlement.participants.map((p) => [p.id, p.accounts[0]?.netSettlementAmount.amount]));
    assert.deepEqual([nets.get(ids.get('dfspa') ?? 0), nets.get(ids.get('dfspb') ?? 0), nets.get(ids.get('dfspc') ?? 0)], [90, -70, -20]);
    const twice = await maker.call('POST', '/settlements', { settlementModel: 'DEFERREDNET', reason: 'again', settlementWindows: [{ id: windowId }] });
    assert.equal(twice.status, 400);
    assert.match(twice.raw, /already in settlement/);
    assert.equal((await maker.call('POST', '/settlements', { settlementModel: 'DEFERREDNET', reason: 'open', settlementWindows: [{ id: await openWindowId() }] })).status, 400, 'the open window cannot be settled');

    // Skipping a step: every account is answered with why, and nothing moves.
    const skipped = await maker.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'SETTLED'));
    assert.equal(skipped.status, 200, skipped.raw);
    assert.ok((skipped.body as SettlementView).participants.every((p) => p.accounts.every((a) => a.errorInformation?.errorCode === '3100')));
    assert.equal((skipped.body as SettlementView).state, 'PENDING_SETTLEMENT');

    const recorded = await maker.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_RECORDED'));
    assert.equal(recorded.status, 200, recorded.raw);
    assert.equal((recorded.body as SettlementView).state, 'PS_TRANSFERS_RECORDED');

    // Reserving moves money: a change request, which its maker cannot approve.
    const made = await maker.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_RESERVED'));
    assert.equal(made.status, 202, made.raw);
    const cr = made.body as { id: string; function: string };
    assert.equal(cr.function, 'SETTLEMENT_RESERVE');
    assert.equal((await maker.call('POST', `/changeRequests/${cr.id}/approve`)).status, 403);
    assert.equal((await maker.call('GET', `/settlements/${settlement.id}`)).body && ((await maker.call('GET', `/settlements/${settlement.id}`)).body as SettlementView).state, 'PS_TRANSFERS_RECORDED');
    const approved = await checker.call('POST', `/changeRequests/${cr.id}/approve`);
    assert.equal(approved.status, 200, approved.raw);
    assert.equal(((approved.body as { result: { body: SettlementView } }).result.body).state, 'PS_TRANSFERS_RESERVED');
    assert.equal(await valueOf('dfspa', 'SETTLEMENT'), (before.a ?? 0) + 90, 'the sender\'s funds are reserved');

    const committed = await makeAndApprove(maker, checker, 'PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_COMMITTED'));
    assert.equal(committed.status, 200, committed.raw);
    assert.equal((committed.body as SettlementView).state, 'PS_TRANSFERS_COMMITTED');
    assert.deepEqual([await valueOf('dfspa', 'SETTLEMENT'), await valueOf('dfspb', 'SETTLEMENT'), await valueOf('dfspc', 'SETTLEMENT')],
      [(before.a ?? 0) + 90, (before.b ?? 0) - 70, (before.c ?? 0) - 20], 'funds moved from the sender to the recipients');
    // Only the next window's transfer (dfspa → dfspc, 5.00) is left on the positions.
    assert.deepEqual([await valueOf('dfspa', 'POSITION'), await valueOf('dfspb', 'POSITION'), await valueOf('dfspc', 'POSITION')], [5, 0, -5]);
    assert.equal((await makeAndApprove(maker, checker, 'PUT', `/settlements/${settlement.id}`, { state: 'ABORTED', reason: 'too late' })).status, 400, 'committed money cannot be aborted');

    const settled = await maker.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'SETTLED'));
    assert.equal(settled.status, 200, settled.raw);
    assert.equal((settled.body as SettlementView).state, 'SETTLED');
    assert.equal(((await auditor.call('GET', `/settlementWindows/${windowId}`)).body as WindowView).state, 'SETTLED');
    assert.equal((await maker.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'SETTLED'))).status, 400, 'a settled settlement cannot change');

    const report = await checkLedger(ctx.storage.db);
    assert.deepEqual(report.problems, []);
    const proof = await checkSettlements(ctx.storage.db);
    assert.deepEqual(proof.problems, []);
    assert.ok(proof.windowsChecked >= 1 && proof.settlementsChecked === 1);
    const commitEntry = audit.events.find((e) => e.action === 'SETTLEMENT_COMMIT_EXECUTE');
    const [facts] = (commitEntry?.after ?? []) as { settlementId: number; step: string; accounts: { participantId: number; netAmount: string; settlementTransferId: string | null }[] }[];
    assert.equal(facts?.step, 'PS_TRANSFERS_COMMITTED');
    assert.deepEqual(facts.accounts.map((a) => a.netAmount).sort(), ['-20', '-70', '90'], 'the audit entry names each amount');
    assert.ok(audit.events.some((e) => e.action === 'SETTLEMENT_WINDOW_CLOSE' && e.result === 'succeeded'));
  });

  test('an abort releases the reservations and gives the window back to be settled again', async () => {
    const windowId = await openWindowId();
    assert.equal((await maker.call('POST', `/settlementWindows/${windowId}`, { state: 'CLOSED', reason: 'close' })).status, 200);
    const fundsBefore = await valueOf('dfspa', 'SETTLEMENT');
    const settlement = (await maker.call('POST', '/settlements', { settlementModel: 'DEFERREDNET', reason: 'r', settlementWindows: [{ id: windowId }] })).body as SettlementView;
    assert.equal((await maker.call('PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_RECORDED'))).status, 200);
    assert.equal((await makeAndApprove(maker, checker, 'PUT', `/settlements/${settlement.id}`, accountsBody(settlement, 'PS_TRANSFERS_RESERVED'))).status, 200);
    assert.equal(await valueOf('dfspa', 'SETTLEMENT'), (fundsBefore ?? 0) + 5);
    const aborted = await makeAndApprove(maker, checker, 'PUT', `/settlements/${settlement.id}`, { state: 'ABORTED', reason: 'wrong window' });
    assert.equal(aborted.status, 200, aborted.raw);
    assert.equal((aborted.body as SettlementView).state, 'ABORTED');
    assert.equal(await valueOf('dfspa', 'SETTLEMENT'), fundsBefore, 'the reservation is released');
    assert.equal(((await auditor.call('GET', `/settlementWindows/${windowId}`)).body as WindowView).state, 'ABORTED');
    const again = await maker.call('POST', '/settlements', { settlementModel: 'DEFERREDNET', reason: 'again', settlementWindows: [{ id: windowId }] });
    assert.equal(again.status, 200, again.raw);
    assert.notEqual((again.body as SettlementView).id, settlement.id);
    assert.deepEqual((await checkLedger(ctx.storage.db)).problems, []);
    assert.deepEqual((await checkSettlements(ctx.storage.db)).problems, []);
    assert.ok(await positionAccount('dfspa') > 0);
  });
});
