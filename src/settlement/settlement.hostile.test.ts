// Settlement attacked: races between commits and window closes, between
// operators settling the same window, between repeated steps; steps skipped
// or repeated; a sender that cannot pay; rows tampered with in the database;
// aborts too late. Each test proves what must still hold: every transfer in
// exactly one window, every content row in at most one settlement, money
// moved once, and checkSettlements naming exactly what was tampered with.
//
// On PostgreSQL the races run on separate connections of two storages on the
// same database, as two hub processes would; on SQLite, which runs one write
// transaction at a time, on the suite's storage.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkLedger, valueMinor } from '../ledger/index.ts';
import { openStorage, type Storage } from '../storage/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { assertFails, assertOk, newTransferId, type TestParticipant } from '../testing/ledger_fixture.ts';
import { commitOn, createSettlementFixture, everyAccount, SETTLEMENT_ACTOR, type SettlementFixture } from '../testing/settlement_fixture.ts';
import { checkSettlements } from './check.ts';
import { createSettlements, type SettlementWithDetail } from './settlements.ts';
import { createWindows } from './windows.ts';

/** Transfers committed while windows close around them. */
const RACING_COMMITS = 80;
const RACING_CLOSES = 4;
/** Commits each storage has in flight at once (so that closes queue between them on SQLite too). */
const COMMIT_LANES = 4;

describeOnEachEngine('settlement under attack', (ctx) => {
  let f: SettlementFixture;
  /** On PostgreSQL, a second storage on the same database: a second hub process. */
  let second: Storage | undefined;
  const stores = (): Storage[] => (second === undefined ? [ctx.storage] : [ctx.storage, second]);
  const servicesOn = (storage: Storage) => ({ windows: createWindows({ ...storage, clock: f.clock }), settlements: createSettlements({ ...storage, clock: f.clock }) });

  before(async () => {
    f = createSettlementFixture(ctx.storage);
    await f.ledger.openHubAccounts('USD');
    await f.ledger.openHubAccounts('EUR');
    await f.addModel('USD');
    await f.addModel('EUR', false);
    if (ctx.engine === 'postgres') second = openStorage(ctx.url);
  });
  after(async () => {
    await second?.close();
  });

  async function team(count: number, options: { currency?: string; fundsMinor?: bigint } = {}): Promise<TestParticipant[]> {
    const members: TestParticipant[] = [];
    for (let i = 0; i < count; i++) members.push(await f.ledger.participant({ currency: options.currency ?? 'USD', fundsMinor: options.fundsMinor ?? 10_000_000n, ndcMinor: 10_000_000n }));
    return members;
  }

  /** a → b 500, b → c 200, c → a 100 in a window of their own, closed: nets a +400, b −300, c −100. */
  async function triangle(currency = 'USD'): Promise<{ parties: TestParticipant[]; windowId: number; nets: bigint[] }> {
    const parties = await team(3, { currency });
    const [a, b, c] = parties as [TestParticipant, TestParticipant, TestParticipant];
    await f.pay(a, b, 500n);
    await f.pay(b, c, 200n);
    await f.pay(c, a, 100n);
    return { parties, windowId: await f.closeOpen(), nets: [400n, -300n, -100n] };
  }

  const valuesOf = async (parties: readonly TestParticipant[]) => Promise.all(parties.map(async (p) => {
    const { position, settlement } = await f.ledger.accountsOf(p);
    return { position: valueMinor(position), settlement: valueMinor(settlement), reserved: settlement.debits_pending_minor };
  }));
  const settlementEntryCount = async () => (await f.db.selectFrom('journal_entries').select('id').where('kind', '=', 'SETTLEMENT').execute()).length;
  const assertConsistent = async () => {
    assert.deepEqual((await checkLedger(ctx.storage.db)).problems, []);
    assert.deepEqual((await checkSettlements(ctx.storage.db)).problems, []);
  };

  /** Each movement of the settlement in the journal: exactly one PENDING and one POST, for the account's net amount. */
  async function assertMovedOnce(detail: SettlementWithDetail): Promise<void> {
    const entries = await f.movementEntries(detail);
    for (const account of detail.accounts) {
      const mine = entries.filter((e) => e.transferId === account.transfer_id);
      const amount = account.net_minor > 0n ? account.net_minor : -account.net_minor;
      assert.deepEqual(mine.map((e) => [e.phase, e.amountMinor]), [['PENDING', amount], ['POST', amount]], `account ${account.account_id}: one PENDING, one POST`);
    }
  }

  test('a transfer committing while its window closes lands in exactly one window', async () => {
    const parties = await team(4);
    const transfers: { id: string; amountMinor: bigint }[] = [];
    for (let i = 0; i < RACING_COMMITS; i++) {
      const payer = parties[i % 4]!;
      const payee = parties[(i + 1 + (i % 3)) % 4]!;
      const id = newTransferId('race');
      const amountMinor = BigInt(100 + i);
      assertOk(await f.ledger.reserve(payer, payee, amountMinor, id));
      transfers.push({ id, amountMinor });
    }
    const firstWindow = (await f.windows.open()).id;
    let committed = 0;
    let next = 0;
    const lane = async (storage: Storage) => {
      for (let i = next++; i < transfers.length; i = next++) {
        assertOk(await commitOn(storage, transfers[i]?.id ?? '', f.clock.nowMs()), `commit ${i}`);
        committed += 1;
      }
    };
    const closed: number[] = [];
    const closer = async (j: number) => {
      while (committed < (j * RACING_COMMITS) / (RACING_CLOSES + 1)) await new Promise((resolve) => setImmediate(resolve));
      const { windows } = servicesOn(stores()[j % stores().length] ?? ctx.storage);
      const open = await windows.open();
      const result = await windows.close(open.id, `race ${j}`, SETTLEMENT_ACTOR);
      if (result.ok) closed.push(result.value.closed.id);
    };
    // allSettled: a failing lane must not leave the others running into the next test.
    const settled = await Promise.allSettled([
      ...stores().flatMap((storage) => Array.from({ length: COMMIT_LANES }, () => lane(storage))),
      ...Array.from({ length: RACING_CLOSES }, (_, j) => closer(j + 1)),
    ]);
    for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;

    const posts = await f.db.selectFrom('journal_entries').select(['transfer_id', 'settlement_window_id', 'amount_minor'])
      .where('kind', '=', 'TRANSFER').where('phase', '=', 'POST').where('transfer_id', 'in', transfers.map((t) => t.id)).execute();
    assert.equal(posts.length, RACING_COMMITS, 'one POST per transfer');
    assert.equal(new Set(posts.map((p) => p.transfer_id)).size, RACING_COMMITS);
    const openWindow = (await f.windows.open()).id;
    const byWindow = new Map<number, bigint>();
    for (const post of posts) {
      const windowId = post.settlement_window_id;
      assert.ok(windowId !== null && windowId >= firstWindow && windowId <= openWindow, `${post.transfer_id} is in window ${String(windowId)}`);
      assert.ok(windowId === openWindow || closed.includes(windowId), `${post.transfer_id}'s window ${windowId} was closed by this test or is open`);
      byWindow.set(windowId, (byWindow.get(windowId) ?? 0n) + post.amount_minor);
    }
    assert.ok(closed.length >= 2 && byWindow.size >= 2, `the closes fell among the commits: ${closed.length} closes, transfers in ${byWindow.size} windows`);
    // The frozen content of each closed window holds exactly its transfers: what each sent, summed over this test's accounts.
    const positions = parties.map((p) => p.positionId);
    let frozenTotal = 0n;
    for (const windowId of closed) {
      const content = await f.db.selectFrom('settlement_window_content').selectAll().where('window_id', '=', windowId).where('account_id', 'in', positions).execute();
      const sent = content.reduce((sum, row) => sum + row.debits_minor, 0n);
      assert.equal(sent, byWindow.get(windowId) ?? 0n, `window ${windowId}'s frozen content equals its transfers`);
      frozenTotal += sent;
    }
    assert.equal(frozenTotal + (byWindow.get(openWindow) ?? 0n), transfers.reduce((sum, t) => sum + t.amountMinor, 0n), 'the windows together hold every committed amount once');
    await assertConsistent();
    await f.closeOpen('the next tests start with an empty window');
  });

  test('two operators settling the same window at once: one succeeds, the others are refused naming it', async () => {
    const { windowId } = await triangle();
    const racers = stores().flatMap((storage) => [storage, storage]).map((storage) =>
      servicesOn(storage).settlements.create({ modelName: 'NET_USD', reason: 'race', windowIds: [windowId] }, SETTLEMENT_ACTOR));
    const results = await Promise.all(racers);
    const won = results.filter((r) => r.ok);
    assert.equal(won.length, 1, 'exactly one settlement takes the window');
    const winner = won[0]?.ok === true ? won[0].value.settlement.id : 0;
    for (const lost of results.filter((r) => !r.ok)) {
      assert.ok(assertFails(lost, '3100').endsWith(`already in settlement ${winner}`), 'the refusal names the settlement that took the window');
    }
    const links = await f.db.selectFrom('settlement_window_links').select('settlement_id').where('window_id', '=', windowId).execute();
    assert.deepEqual(links.map((l) => l.settlement_id), [winner], 'only the winner links the window');
    const content = await f.db.selectFrom('settlement_window_content').select('settlement_id').where('window_id', '=', windowId).execute();
    assert.ok(content.length === 3 && content.every((row) => row.settlement_id === winner));

    // Overlapping windows: both may succeed, but the shared window's content goes to one of them.
    const w1 = (await triangle()).windowId;
    const w2 = (await triangle()).windowId;
    const w3 = (await triangle()).windowId;
    const [first, secondStore] = [stores()[0] ?? ctx.storage, stores().at(-1) ?? ctx.storage];
    const overlapping = await Promise.all([
      servicesOn(first).settlements.create({ modelName: 'NET_USD', reason: 'left', windowIds: [w1, w2] }, SETTLEMENT_ACTOR),
      servicesOn(secondStore).settlements.create({ modelName: 'NET_USD', reason: 'right', windowIds: [w2, w3] }, SETTLEMENT_ACTOR),
    ]);
    const ids = overlapping.map((r) => assertOk(r).settlement.id);
    const rows = await f.db.selectFrom('settlement_window_content').select(['window_id', 'settlement_id']).where('window_id', 'in', [w1, w2, w3]).execute();
    assert.ok(rows.every((row) => row.settlement_id !== null && ids.includes(row.settlement_id)), 'every content row is in one of the two');
    assert.equal(new Set(rows.filter((row) => row.window_id === w2).map((row) => row.settlement_id)).size, 1, 'the shared window went to one settlement whole');
    await assertConsistent();
  });

  test('a step skipped or repeated moves nothing twice', async () => {
    const { parties, windowId, nets } = await triangle();
    const start = await valuesOf(parties);
    const entriesBefore = await settlementEntryCount();
    let detail = assertOk(await f.settlements.create({ modelName: 'NET_USD', reason: 'steps', windowIds: [windowId] }, SETTLEMENT_ACTOR));
    const id = detail.settlement.id;
    const refusedEverywhere = async (step: 'reserve' | 'commit' | 'confirm', state: string) => {
      const outcome = assertOk(await f.settlements[step](id, everyAccount(detail, state), SETTLEMENT_ACTOR));
      assert.ok(outcome.outcomes.every((o) => 'error' in o && o.error.code === '3100'), `${state} from ${detail.settlement.state} is refused for every account`);
      assert.equal(outcome.detail.settlement.state, detail.settlement.state);
    };
    await refusedEverywhere('reserve', 'PS_TRANSFERS_RESERVED');
    await refusedEverywhere('commit', 'PS_TRANSFERS_COMMITTED');
    await refusedEverywhere('confirm', 'SETTLED');
    assert.equal(await settlementEntryCount(), entriesBefore, 'skipping from PENDING_SETTLEMENT moved nothing');

    detail = assertOk(await f.settlements.record(id, everyAccount(detail, 'PS_TRANSFERS_RECORDED'), SETTLEMENT_ACTOR)).detail;
    const transferIds = detail.accounts.map((a) => a.transfer_id);
    detail = assertOk(await f.settlements.record(id, everyAccount(detail, 'PS_TRANSFERS_RECORDED'), SETTLEMENT_ACTOR)).detail;
    assert.deepEqual(detail.accounts.map((a) => a.transfer_id), transferIds, 'recording again keeps each settlement transfer id');
    await refusedEverywhere('commit', 'PS_TRANSFERS_COMMITTED');
    assert.equal(await settlementEntryCount(), entriesBefore, 'skipping RESERVED moved nothing');

    for (let i = 0; i < 2; i++) detail = assertOk(await f.settlements.reserve(id, everyAccount(detail, 'PS_TRANSFERS_RESERVED'), SETTLEMENT_ACTOR)).detail;
    assert.equal(detail.settlement.state, 'PS_TRANSFERS_RESERVED');
    assert.deepEqual((await valuesOf(parties)).map((v, i) => v.reserved - (start[i]?.reserved ?? 0n)), [400n, 0n, 0n], 'the sender\'s net is reserved once');
    for (let i = 0; i < 2; i++) detail = assertOk(await f.settlements.commit(id, everyAccount(detail, 'PS_TRANSFERS_COMMITTED'), SETTLEMENT_ACTOR)).detail;
    assert.equal(detail.settlement.state, 'PS_TRANSFERS_COMMITTED');
    await assertMovedOnce(detail);
    assert.equal(await settlementEntryCount(), entriesBefore + 6);
    const end = await valuesOf(parties);
    assert.deepEqual(end.map((v, i) => v.settlement - (start[i]?.settlement ?? 0n)), nets, 'each settlement account moved by its net amount, once');
    assert.deepEqual(end.map((v, i) => v.position - (start[i]?.position ?? 0n)), nets.map((n) => -n), 'each position was reset by its net amount, once');
    assert.deepEqual(end.map((v) => v.reserved), start.map((v) => v.reserved), 'nothing is left reserved');

    detail = assertOk(await f.settlements.confirm(id, everyAccount(detail, 'SETTLED'), SETTLEMENT_ACTOR)).detail;
    assert.equal(detail.settlement.state, 'SETTLED');
    assertFails(await f.settlements.confirm(id, everyAccount(detail, 'SETTLED'), SETTLEMENT_ACTOR), '3100', 'a SETTLED settlement cannot change');
    await assertConsistent();
  });

  test('concurrent reserve() and commit() calls on one settlement move money once', async () => {
    const { parties, windowId, nets } = await triangle();
    const start = await valuesOf(parties);
    const recorded = await f.settle('NET_USD', [windowId], ['PS_TRANSFERS_RECORDED']);
    const id = recorded.settlement.id;
    const race = async (step: 'reserve' | 'commit', state: string) => {
      const results = await Promise.all(stores().flatMap((storage) => Array.from({ length: 3 }, () =>
        servicesOn(storage).settlements[step](id, everyAccount(recorded, state), SETTLEMENT_ACTOR))));
      for (const result of results) {
        const outcome = assertOk(result, step);
        assert.deepEqual(outcome.outcomes.filter((o) => 'error' in o), [], `${step}: a repeat is answered as already there`);
      }
    };
    await race('reserve', 'PS_TRANSFERS_RESERVED');
    assert.deepEqual((await valuesOf(parties)).map((v, i) => v.reserved - (start[i]?.reserved ?? 0n)), [400n, 0n, 0n], 'reserved once');
    await race('commit', 'PS_TRANSFERS_COMMITTED');
    const detail = await f.settlements.get(id);
    assert.ok(detail !== undefined);
    assert.equal(detail.settlement.state, 'PS_TRANSFERS_COMMITTED');
    await assertMovedOnce(detail);
    const end = await valuesOf(parties);
    assert.deepEqual(end.map((v, i) => v.settlement - (start[i]?.settlement ?? 0n)), nets, 'posted once');
    await assertConsistent();
  });

  test('a net sender whose funds do not cover its net amount: the whole reserve is refused, nothing reserved for anyone', async () => {
    // EUR's model requires no liquidity check at transfer time, so a sender can owe more than its funds.
    const parties = await team(3, { currency: 'EUR' });
    const [a, b, c] = parties as [TestParticipant, TestParticipant, TestParticipant];
    const poor = await f.ledger.participant({ currency: 'EUR', fundsMinor: 1_000n, ndcMinor: 10_000_000n });
    await f.pay(poor, a, 50_000n);
    await f.pay(b, c, 200n);
    const windowId = await f.closeOpen();
    const everyone = [poor, a, b, c];
    const start = await valuesOf(everyone);
    const entriesBefore = await settlementEntryCount();
    const recorded = await f.settle('NET_EUR', [windowId], ['PS_TRANSFERS_RECORDED']);
    const refused = await f.settlements.reserve(recorded.settlement.id, everyAccount(recorded, 'PS_TRANSFERS_RESERVED'), SETTLEMENT_ACTOR);
    assert.match(assertFails(refused, '4001'), /settlement funds .* < its net .*: fund it first/);
    assert.equal(await settlementEntryCount(), entriesBefore, 'nothing reserved for anyone');
    assert.deepEqual(await valuesOf(everyone), start);
    const after = await f.settlements.get(recorded.settlement.id);
    assert.ok(after?.accounts.every((acc) => acc.state === 'PS_TRANSFERS_RECORDED'), 'every account is still RECORDED');
    await assertConsistent();
    // Once its funds cover it, the same request reserves.
    assertOk(await f.ledger.fundsIn(poor, 50_000n));
    assertOk(await f.settlements.reserve(recorded.settlement.id, everyAccount(recorded, 'PS_TRANSFERS_RESERVED'), SETTLEMENT_ACTOR));
    await assertConsistent();
  });

  test('tampering with frozen content, a net amount or an account state is reported exactly', async () => {
    const { parties, windowId } = await triangle();
    const detail = await f.settle('NET_USD', [windowId], ['PS_TRANSFERS_RECORDED', 'PS_TRANSFERS_RESERVED', 'PS_TRANSFERS_COMMITTED']);
    const sid = detail.settlement.id;
    const a = parties[0]!;
    const aAccount = detail.accounts.find((acc) => acc.account_id === a.positionId);
    const movementId = aAccount?.transfer_id ?? null;
    assert.ok(movementId !== null);
    const ledgerBefore = await checkLedger(ctx.storage.db);
    const accountsBefore = await f.db.selectFrom('accounts').selectAll().orderBy('id').execute();
    const problems = async () => (await checkSettlements(ctx.storage.db)).problems;
    const moneyUntouched = async () => {
      const report = await checkLedger(ctx.storage.db);
      assert.deepEqual(report.problems, []);
      assert.deepEqual(report.currencies, ledgerBefore.currencies);
      assert.deepEqual(await f.db.selectFrom('accounts').selectAll().orderBy('id').execute(), accountsBefore);
      for (const c of report.currencies) assert.equal(c.debitsPostedMinor, c.creditsPostedMinor, `${c.currency}: posted debits equal credits`);
    };
    const content = f.db.updateTable('settlement_window_content').where('window_id', '=', windowId).where('account_id', '=', a.positionId);
    const account = f.db.updateTable('settlement_accounts').where('settlement_id', '=', sid).where('account_id', '=', a.positionId);

    await content.set({ debits_minor: 501n }).execute();
    assert.deepEqual(await problems(), [
      `window ${windowId}, account ${a.positionId}: the journal has sent 500, received 100 in 2 transfers, the window's content 501, 100 in 2`,
      `window ${windowId}: USD sent and received differ by 1`,
      `settlement ${sid}, account ${a.positionId}: net amount 400, but its windows' content gives 401`,
    ]);
    await moneyUntouched();
    await content.set({ debits_minor: 500n }).execute();
    assert.deepEqual(await problems(), []);

    await account.set({ net_minor: 401n }).execute();
    const [debit, credit] = [parties[0]?.settlementId, a.positionId];
    assert.deepEqual(await problems(), [
      `settlement ${sid}, account ${a.positionId} (PS_TRANSFERS_COMMITTED): the journal moved 400 USD from account ${String(debit)} to ${credit}, not the net amount 401 on position account ${a.positionId}`,
      `settlement ${sid}: its USD net amounts sum to 1, not zero`,
      `settlement ${sid}, account ${a.positionId}: net amount 401, but its windows' content gives 400`,
    ]);
    await moneyUntouched();
    await account.set({ net_minor: 400n }).execute();

    for (const state of ['PS_TRANSFERS_RESERVED', 'PS_TRANSFERS_RECORDED', 'ABORTED'] as const) {
      await account.set({ state }).execute();
      assert.deepEqual(await problems(), [`settlement ${sid}, account ${a.positionId} (${state}): the journal's settlement movement ${movementId} is POST`], state);
      await moneyUntouched();
    }
    await account.set({ state: 'PS_TRANSFERS_COMMITTED' }).execute();
    assert.deepEqual(await problems(), []);
  });

  test('an abort after PS_TRANSFERS_COMMITTED is refused; one at RESERVED releases exactly what was reserved', async () => {
    const committed = await f.settle('NET_USD', [(await triangle()).windowId], ['PS_TRANSFERS_RECORDED', 'PS_TRANSFERS_RESERVED', 'PS_TRANSFERS_COMMITTED']);
    const entriesBefore = await settlementEntryCount();
    assert.match(assertFails(await f.settlements.abort(committed.settlement.id, 'too late', SETTLEMENT_ACTOR), '3100'), /cannot be aborted: money has moved for good/);
    assert.equal((await f.settlements.get(committed.settlement.id))?.settlement.state, 'PS_TRANSFERS_COMMITTED');
    assert.equal(await settlementEntryCount(), entriesBefore, 'no movement voided');

    const { parties, windowId } = await triangle();
    const start = await valuesOf(parties);
    const reserved = await f.settle('NET_USD', [windowId], ['PS_TRANSFERS_RECORDED', 'PS_TRANSFERS_RESERVED']);
    assert.deepEqual((await valuesOf(parties)).map((v, i) => v.settlement - (start[i]?.settlement ?? 0n)), [400n, 0n, 0n], 'the sender\'s net is held');
    const aborted = assertOk(await f.settlements.abort(reserved.settlement.id, 'wrong window', SETTLEMENT_ACTOR));
    assert.equal(aborted.settlement.state, 'ABORTED');
    assert.deepEqual(await valuesOf(parties), start, 'every account is back where it was');
    const entries = await f.movementEntries(reserved);
    assert.deepEqual(entries.map((e) => e.phase).sort(), ['PENDING', 'PENDING', 'PENDING', 'VOID', 'VOID', 'VOID']);
    const content = await f.db.selectFrom('settlement_window_content').select('settlement_id').where('window_id', '=', windowId).execute();
    assert.ok(content.every((row) => row.settlement_id === null), 'the window\'s content is free again');

    // An abort racing a commit at RESERVED: exactly one of them happens.
    const racing = await f.settle('NET_USD', [windowId], ['PS_TRANSFERS_RECORDED', 'PS_TRANSFERS_RESERVED']);
    const [left, right] = [stores()[0] ?? ctx.storage, stores().at(-1) ?? ctx.storage];
    const [commit, abort] = await Promise.all([
      servicesOn(left).settlements.commit(racing.settlement.id, everyAccount(racing, 'PS_TRANSFERS_COMMITTED'), SETTLEMENT_ACTOR),
      servicesOn(right).settlements.abort(racing.settlement.id, 'race', SETTLEMENT_ACTOR),
    ]);
    const state = (await f.settlements.get(racing.settlement.id))?.settlement.state;
    assert.ok((state === 'PS_TRANSFERS_COMMITTED' && commit.ok && !abort.ok) || (state === 'ABORTED' && abort.ok && !commit.ok), `one wins: ${String(state)}`);
    const phases = (await f.movementEntries(racing)).map((e) => e.phase);
    assert.equal(phases.filter((p) => p === 'POST').length + phases.filter((p) => p === 'VOID').length, 3, 'each movement resolved once');
    assert.ok(!(phases.includes('POST') && phases.includes('VOID')), 'never both posted and voided');
    await assertConsistent();
  });
});
