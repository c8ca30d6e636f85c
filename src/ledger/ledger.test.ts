import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { runRefusable } from '../storage/index.ts';
import type { Account } from './tables.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { assertFails, assertOk, createLedgerFixture, newTransferId, TEST_OPERATOR, type LedgerFixture } from '../testing/ledger_fixture.ts';
import { availableLiquidityMinor, reservedMinor, valueMinor, withdrawableMinor } from './balances.ts';
import { checkLedger } from './check.ts';
import { fundsState } from './funds.ts';
import { setNetDebitCap } from './limits.ts';
import { liquidityCheckRequired } from '../settlement/index.ts';
import { testTables } from '../testing/tables.ts';

const COUNTERS = ['debits_pending_minor', 'debits_posted_minor', 'credits_pending_minor', 'credits_posted_minor'] as const;

/** The four counters of an account, for comparing before and after. */
function counters(account: Account): Record<(typeof COUNTERS)[number], bigint> {
  return {
    debits_pending_minor: account.debits_pending_minor,
    debits_posted_minor: account.debits_posted_minor,
    credits_pending_minor: account.credits_pending_minor,
    credits_posted_minor: account.credits_posted_minor,
  };
}

/** Each counter of `after` less the same counter of `before`. */
function delta(before: Account, after: Account): Record<(typeof COUNTERS)[number], bigint> {
  return {
    debits_pending_minor: after.debits_pending_minor - before.debits_pending_minor,
    debits_posted_minor: after.debits_posted_minor - before.debits_posted_minor,
    credits_pending_minor: after.credits_pending_minor - before.credits_pending_minor,
    credits_posted_minor: after.credits_posted_minor - before.credits_posted_minor,
  };
}

const NO_CHANGE = { debits_pending_minor: 0n, debits_posted_minor: 0n, credits_pending_minor: 0n, credits_posted_minor: 0n };

describeOnEachEngine('ledger', (context) => {
  let f: LedgerFixture;
  const db = () => context.storage.db;

  before(async () => {
    f = createLedgerFixture(context.storage);
    await f.openHubAccounts('USD');
    await f.openHubAccounts('EUR');
  });

  // Whatever a case did, the ledger must still hold together.
  afterEach(async () => {
    const report = await checkLedger(db());
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
  });

  async function journalCount(): Promise<number> {
    const row = await testTables(db()).selectFrom('journal_entries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function entriesOf(transferId: string) {
    return testTables(db()).selectFrom('journal_entries').selectAll().where('transfer_id', '=', transferId).orderBy('id').execute();
  }

  /** Everything a refused or duplicate request must leave untouched: every account and the journal. */
  async function snapshot() {
    return { accounts: await testTables(db()).selectFrom('accounts').selectAll().orderBy('id').execute(), entries: await journalCount() };
  }

  describe('funds in', () => {
    it('credits the SETTLEMENT account against HUB_RECONCILIATION and writes one journal entry', async () => {
      const p = await f.participant({ ndcMinor: 0n });
      const reconciliationBefore = await f.hubAccount('USD', 'HUB_RECONCILIATION');
      const transferId = newTransferId('in');
      assert.deepEqual(assertOk(await f.fundsIn(p, 5000n, transferId)), { duplicate: false, state: 'COMMITTED' });

      const { position, settlement } = await f.accountsOf(p);
      assert.deepEqual(counters(settlement), { ...NO_CHANGE, credits_posted_minor: 5000n });
      assert.equal(valueMinor(settlement), -5000n, 'funded liquidity is a negative settlement value');
      assert.equal(valueMinor(position), 0n);
      assert.equal(availableLiquidityMinor(position, settlement), 5000n);
      assert.equal(withdrawableMinor(position, settlement), 5000n);
      const reconciliation = await f.hubAccount('USD', 'HUB_RECONCILIATION');
      assert.deepEqual(delta(reconciliationBefore, reconciliation), { ...NO_CHANGE, debits_posted_minor: 5000n });

      const entries = await entriesOf(transferId);
      assert.equal(entries.length, 1);
      const { id: _id, created_at_ms: _at, ...entry } = entries[0]!;
      assert.deepEqual(entry, {
        transfer_id: transferId,
        phase: 'SINGLE',
        pending_entry_id: null,
        settlement_window_id: null,
        kind: 'FUNDS_IN',
        debit_account_id: reconciliation.id,
        credit_account_id: p.settlementId,
        currency: 'USD',
        amount_minor: 5000n,
        reason: 'test',
        external_reference: `ext-${transferId}`,
        created_by: TEST_OPERATOR,
      });
      assert.equal(await fundsState(db(), transferId), 'COMMITTED');
    });

    it('the same request again is a duplicate and moves nothing', async () => {
      const p = await f.participant({ ndcMinor: 0n });
      const transferId = newTransferId('in');
      assertOk(await f.fundsIn(p, 5000n, transferId));
      const before = await snapshot();
      assert.deepEqual(assertOk(await f.fundsIn(p, 5000n, transferId)), { duplicate: true, state: 'COMMITTED' });
      assert.deepEqual(await snapshot(), before);
    });

    it('the same transferId for a different request is 3106, and moves nothing', async () => {
      const p = await f.participant({ ndcMinor: 0n });
      const q = await f.participant({ ndcMinor: 0n });
      const transferId = newTransferId('in');
      assertOk(await f.fundsIn(p, 5000n, transferId));
      const before = await snapshot();
      assertFails(await f.fundsIn(p, 5001n, transferId), '3106', 'another amount');
      assertFails(await f.funds.recordFundsIn(f.fundsRequest(p, 5000n, transferId, { reason: 'other' })), '3106', 'another reason');
      assertFails(await f.funds.recordFundsIn({ ...f.fundsRequest(p, 5000n, transferId), accountId: q.settlementId }), '3106', 'same body, another account');
      assertFails(await f.fundsOutReserve(p, 5000n, transferId), '3106', 'same body, funds out');
      assert.deepEqual(await snapshot(), before);
    });

    it('a transferId already used by a transfer is 3106', async () => {
      const p = await f.participant({ fundsMinor: 1000n, ndcMinor: 1000n });
      const q = await f.participant({ ndcMinor: 0n });
      const transferId = newTransferId('tr');
      assertOk(await f.reserve(p, q, 100n, transferId));
      const before = await snapshot();
      assert.match(assertFails(await f.fundsIn(p, 100n, transferId), '3106'), /already used by another transfer/);
      assertFails(await f.fundsOutReserve(p, 100n, transferId), '3106');
      assert.deepEqual(await snapshot(), before);
      assertOk(await f.abort(transferId));
    });

    it('refuses a request in another currency than the account, and the refused id stays free', async () => {
      const p = await f.participant({ ndcMinor: 0n });
      const transferId = newTransferId('in');
      const before = await snapshot();
      const request = { ...f.fundsRequest(p, 100n, transferId), currency: 'EUR' };
      assert.match(assertFails(await f.funds.recordFundsIn(request), '3100'), /is in USD, not EUR/);
      assert.deepEqual(await snapshot(), before);
      assertOk(await f.fundsIn(p, 100n, transferId), 'a refusal does not consume the transferId');
    });

    it('refuses an inactive account until it is active again', async () => {
      const p = await f.participant({ ndcMinor: 0n });
      assertOk(await f.registry.setAccountActive(p.name, p.settlementId, false));
      const transferId = newTransferId('in');
      const before = await snapshot();
      assert.match(assertFails(await f.fundsIn(p, 100n, transferId), '3100'), /not active/);
      assertFails(await f.fundsOutReserve(p, 100n), '3100');
      assert.deepEqual(await snapshot(), before);
      assertOk(await f.registry.setAccountActive(p.name, p.settlementId, true));
      assertOk(await f.fundsIn(p, 100n, transferId));
    });

    it('refuses a POSITION account, a hub account and an account that does not exist', async () => {
      const p = await f.participant({ ndcMinor: 0n });
      const reconciliation = await f.hubAccount('USD', 'HUB_RECONCILIATION');
      const multilateral = await f.hubAccount('USD', 'HUB_MULTILATERAL_SETTLEMENT');
      const before = await snapshot();
      assert.match(assertFails(await f.funds.recordFundsIn(f.fundsRequest(p, 100n, newTransferId('in'), { accountId: p.positionId })), '3100'), /POSITION account/);
      assertFails(await f.funds.recordFundsIn(f.fundsRequest(p, 100n, newTransferId('in'), { accountId: reconciliation.id })), '3100');
      assertFails(await f.funds.recordFundsIn(f.fundsRequest(p, 100n, newTransferId('in'), { accountId: multilateral.id })), '3100');
      assertFails(await f.funds.recordFundsOutPrepareReserve(f.fundsRequest(p, 100n, newTransferId('out'), { accountId: p.positionId })), '3100');
      assertFails(await f.funds.recordFundsIn(f.fundsRequest(p, 100n, newTransferId('in'), { accountId: 987654 })), '3200');
      assert.deepEqual(await snapshot(), before);
    });

    it('refuses an amount that is not a positive FSPIOP amount in the currency', async () => {
      const p = await f.participant({ ndcMinor: 0n });
      const before = await snapshot();
      for (const amount of ['0', '1.001', '5.0', '-1', '1e3', '']) {
        const request = { ...f.fundsRequest(p, 1n, newTransferId('in')), amount };
        assertFails(await f.funds.recordFundsIn(request), '3100', JSON.stringify(amount));
        assertFails(await f.funds.recordFundsOutPrepareReserve({ ...request, transferId: newTransferId('out') }), '3100', JSON.stringify(amount));
      }
      assert.deepEqual(await snapshot(), before);
    });
  });

  describe('funds out', () => {
    it('a reservation is visible and comes off what can be withdrawn, exactly to the last minor unit', async () => {
      const p = await f.participant({ fundsMinor: 5000n, ndcMinor: 0n });
      const reconciliationBefore = await f.hubAccount('USD', 'HUB_RECONCILIATION');
      const first = newTransferId('out');
      assert.deepEqual(assertOk(await f.fundsOutReserve(p, 3000n, first)), { duplicate: false, state: 'RESERVED' });
      let { position, settlement } = await f.accountsOf(p);
      assert.deepEqual(counters(settlement), { ...NO_CHANGE, credits_posted_minor: 5000n, debits_pending_minor: 3000n });
      assert.equal(reservedMinor(settlement), 3000n);
      assert.equal(valueMinor(settlement), -2000n);
      assert.equal(withdrawableMinor(position, settlement), 2000n);
      assert.equal(availableLiquidityMinor(position, settlement), 2000n, 'a reserved funds out is not liquidity for transfers either');
      assert.deepEqual(delta(reconciliationBefore, await f.hubAccount('USD', 'HUB_RECONCILIATION')), { ...NO_CHANGE, credits_pending_minor: 3000n });
      assert.equal(await fundsState(db(), first), 'RESERVED');
      assert.deepEqual(assertOk(await f.fundsOutReserve(p, 3000n, first)), { duplicate: true, state: 'RESERVED' });

      const before = await snapshot();
      assert.match(assertFails(await f.fundsOutReserve(p, 2001n), '4001'), /withdrawable/);
      assert.deepEqual(await snapshot(), before);
      const second = newTransferId('out');
      assertOk(await f.fundsOutReserve(p, 2000n, second), 'exactly the withdrawable balance');
      assertFails(await f.fundsOutReserve(p, 1n), '4001');
      ({ position, settlement } = await f.accountsOf(p));
      assert.equal(valueMinor(settlement), 0n);
      assert.equal(withdrawableMinor(position, settlement), 0n);
      assertOk(await f.fundsOutAbort(p, first));
      assertOk(await f.fundsOutAbort(p, second));
    });

    it('what is owed on a net debit position cannot be withdrawn; a net credit position is not withdrawable money', async () => {
      const p = await f.participant({ fundsMinor: 5000n, ndcMinor: 10_000n });
      const q = await f.participant({ ndcMinor: 0n });
      const transfer = newTransferId('tr');
      assertOk(await f.reserve(p, q, 1500n, transfer));
      let { position, settlement } = await f.accountsOf(p);
      assert.equal(valueMinor(position), 1500n);
      assert.equal(withdrawableMinor(position, settlement), 3500n);
      assertFails(await f.fundsOutReserve(p, 3501n), '4001', 'a reserved transfer counts');
      const out = newTransferId('out');
      assertOk(await f.fundsOutReserve(p, 3500n, out));
      assertFails(await f.reserve(p, q, 1n), '4001', 'the funds out took the last liquidity');

      assertOk(await f.commit(transfer));
      ({ position, settlement } = await f.accountsOf(p));
      assert.equal(valueMinor(position), 1500n, 'a committed transfer stays on the position until settlement');
      assert.equal(withdrawableMinor(position, settlement), 0n);
      assertOk(await f.fundsOutAbort(p, out));
      assertFails(await f.fundsOutReserve(p, 3501n), '4001', 'a posted net debit position counts');

      // q received 1500 but has no settlement funds: its credit position is not money it can withdraw.
      const payee = await f.accountsOf(q);
      assert.equal(valueMinor(payee.position), -1500n);
      assert.equal(withdrawableMinor(payee.position, payee.settlement), 0n);
      assertFails(await f.fundsOutReserve(q, 1n), '4001');
    });

    it('commit posts the reservation; commit again is a duplicate; abort after commit is refused', async () => {
      const p = await f.participant({ fundsMinor: 5000n, ndcMinor: 0n });
      const reconciliationBefore = await f.hubAccount('USD', 'HUB_RECONCILIATION');
      const out = newTransferId('out');
      assertOk(await f.fundsOutReserve(p, 3000n, out));
      assert.deepEqual(assertOk(await f.fundsOutCommit(p, out)), { duplicate: false, state: 'COMMITTED' });
      const settlement = await f.account(p.settlementId);
      assert.deepEqual(counters(settlement), { ...NO_CHANGE, credits_posted_minor: 5000n, debits_posted_minor: 3000n });
      assert.equal(valueMinor(settlement), -2000n);
      assert.deepEqual(delta(reconciliationBefore, await f.hubAccount('USD', 'HUB_RECONCILIATION')), { ...NO_CHANGE, credits_posted_minor: 3000n });
      const [pending, post] = await entriesOf(out);
      assert.ok(pending !== undefined && post !== undefined);
      assert.equal(pending.phase, 'PENDING');
      assert.equal(post.phase, 'POST');
      assert.equal(post.pending_entry_id, pending.id);
      assert.equal(await fundsState(db(), out), 'COMMITTED');

      const before = await snapshot();
      assert.deepEqual(assertOk(await f.fundsOutCommit(p, out)), { duplicate: true, state: 'COMMITTED' });
      assert.match(assertFails(await f.fundsOutAbort(p, out), '3100'), /already committed/);
      assert.deepEqual(assertOk(await f.fundsOutReserve(p, 3000n, out)), { duplicate: true, state: 'COMMITTED' });
      assert.deepEqual(await snapshot(), before);
    });

    it('abort releases the reservation; abort again is a duplicate; commit after abort is refused', async () => {
      const p = await f.participant({ fundsMinor: 5000n, ndcMinor: 0n });
      const reconciliationBefore = await f.hubAccount('USD', 'HUB_RECONCILIATION');
      const out = newTransferId('out');
      assertOk(await f.fundsOutReserve(p, 3000n, out));
      assert.deepEqual(assertOk(await f.fundsOutAbort(p, out)), { duplicate: false, state: 'ABORTED' });
      const { position, settlement } = await f.accountsOf(p);
      assert.deepEqual(counters(settlement), { ...NO_CHANGE, credits_posted_minor: 5000n });
      assert.equal(withdrawableMinor(position, settlement), 5000n);
      assert.deepEqual(delta(reconciliationBefore, await f.hubAccount('USD', 'HUB_RECONCILIATION')), NO_CHANGE);
      assert.equal(await fundsState(db(), out), 'ABORTED');

      const before = await snapshot();
      assert.deepEqual(assertOk(await f.fundsOutAbort(p, out)), { duplicate: true, state: 'ABORTED' });
      assert.match(assertFails(await f.fundsOutCommit(p, out), '3100'), /already aborted/);
      assert.deepEqual(assertOk(await f.fundsOutReserve(p, 3000n, out)), { duplicate: true, state: 'ABORTED' });
      assert.deepEqual(await snapshot(), before);
    });

    it('commit or abort of an unknown id, through another account, or of a funds in is 3208', async () => {
      const p = await f.participant({ fundsMinor: 5000n, ndcMinor: 0n });
      const q = await f.participant({ fundsMinor: 5000n, ndcMinor: 0n });
      const out = newTransferId('out');
      assertOk(await f.fundsOutReserve(p, 100n, out));
      const fundsIn = newTransferId('in');
      assertOk(await f.fundsIn(p, 100n, fundsIn));
      const before = await snapshot();
      assertFails(await f.fundsOutCommit(p, newTransferId('none')), '3208');
      assertFails(await f.fundsOutCommit(q, out), '3208', 'through another participant\'s account');
      assertFails(await f.fundsOutAbort(q, out), '3208');
      assertFails(await f.fundsOutCommit(p, fundsIn), '3208');
      assertFails(await f.commit(out), '3208', 'a funds out is not a transfer');
      assert.deepEqual(await snapshot(), before);
      assertOk(await f.fundsOutAbort(p, out));
    });
  });

  describe('transfer reservations', () => {
    it('4001: liquidity admits exactly the funds, and not one minor unit more', async () => {
      const p = await f.participant({ fundsMinor: 1000n, ndcMinor: 1_000_000n });
      const q = await f.participant({ ndcMinor: 0n });
      const before = await snapshot();
      assert.match(assertFails(await f.reserve(p, q, 1001n), '4001'), /liquidity/);
      assert.deepEqual(await snapshot(), before);
      assertOk(await f.reserve(p, q, 1000n));
      assertFails(await f.reserve(p, q, 1n), '4001');
      const { position, settlement } = await f.accountsOf(p);
      assert.equal(valueMinor(position), 1000n);
      assert.equal(availableLiquidityMinor(position, settlement), 0n);
    });

    it('4200: the net debit cap admits exactly the cap, and not one minor unit more', async () => {
      const p = await f.participant({ fundsMinor: 1_000_000n, ndcMinor: 1000n });
      const q = await f.participant({ ndcMinor: 0n });
      const before = await snapshot();
      assert.match(assertFails(await f.reserve(p, q, 1001n), '4200'), /net debit cap/);
      assert.deepEqual(await snapshot(), before);
      assertOk(await f.reserve(p, q, 400n));
      assertOk(await f.reserve(p, q, 600n));
      assertFails(await f.reserve(p, q, 1n), '4200');
      assert.equal(valueMinor(await f.account(p.positionId)), 1000n);
    });

    it('liquidity is checked before the cap, as central-ledger does', async () => {
      const p = await f.participant({ fundsMinor: 100n, ndcMinor: 100n });
      const q = await f.participant({ ndcMinor: 0n });
      assertFails(await f.reserve(p, q, 101n), '4001');
    });

    it('4200 when the payer has no net debit cap', async () => {
      const p = await f.participant({ fundsMinor: 1000n });
      const q = await f.participant({ ndcMinor: 0n });
      assert.match(assertFails(await f.reserve(p, q, 1n), '4200'), /no USD net debit cap/);
    });

    it('3100 when payer and payee are the same participant', async () => {
      const p = await f.participant({ fundsMinor: 1000n, ndcMinor: 1000n });
      const before = await snapshot();
      assert.match(assertFails(await f.reserve(p, p, 1n), '3100'), /same participant/);
      assert.deepEqual(await snapshot(), before);
    });

    it('3100 when the payer\'s or the payee\'s position account is inactive', async () => {
      const p = await f.participant({ fundsMinor: 1000n, ndcMinor: 1000n });
      const q = await f.participant({ fundsMinor: 1000n, ndcMinor: 1000n });
      const before = await snapshot();
      assertOk(await f.registry.setAccountActive(p.name, p.positionId, false));
      assert.match(assertFails(await f.reserve(p, q, 1n), '3100'), /payer's USD position account is not active/);
      assert.match(assertFails(await f.reserve(q, p, 1n), '3100'), /payee's USD position account is not active/);
      assertOk(await f.registry.setAccountActive(p.name, p.positionId, true));
      const after = await snapshot();
      assert.deepEqual(counters(after.accounts.find((a) => a.id === p.positionId) as Account), counters(before.accounts.find((a) => a.id === p.positionId) as Account));
      assert.equal(after.entries, before.entries);
      assertOk(await f.reserve(p, q, 1n), 'active again');
    });

    it('3100 when the payer or the payee has no account in the currency', async () => {
      const usd = await f.participant({ fundsMinor: 1000n, ndcMinor: 1000n });
      const eur = await f.participant({ currency: 'EUR', fundsMinor: 1000n, ndcMinor: 1000n });
      assert.match(assertFails(await f.reserve(usd, { ...eur, currency: 'USD' }, 1n), '3100'), /payee has no USD accounts/);
      assert.match(assertFails(await f.reserve({ ...eur, currency: 'USD' }, usd, 1n), '3100'), /payer has no USD accounts/);
    });

    it('commit posts: the payer keeps the amount as a posted position, the payee\'s position falls by it', async () => {
      const p = await f.participant({ fundsMinor: 5000n, ndcMinor: 5000n });
      const q = await f.participant({ ndcMinor: 0n });
      const pBefore = await f.account(p.positionId);
      const qBefore = await f.account(q.positionId);
      const transferId = newTransferId('tr');
      const pending = assertOk(await f.reserve(p, q, 1200n, transferId));
      assert.equal(pending.phase, 'PENDING');
      assert.equal(pending.debit_account_id, p.positionId);
      assert.equal(pending.credit_account_id, q.positionId);
      assert.deepEqual(delta(pBefore, await f.account(p.positionId)), { ...NO_CHANGE, debits_pending_minor: 1200n });
      assert.deepEqual(delta(qBefore, await f.account(q.positionId)), { ...NO_CHANGE, credits_pending_minor: 1200n });
      assert.equal(valueMinor(await f.account(p.positionId)), 1200n, 'a reservation raises the payer position at once');
      assert.equal(valueMinor(await f.account(q.positionId)), 0n, 'the payee gains nothing before the commit');

      const post = assertOk(await f.commit(transferId));
      assert.equal(post.phase, 'POST');
      assert.equal(post.pending_entry_id, pending.id);
      const { position, settlement } = await f.accountsOf(p);
      assert.deepEqual(delta(pBefore, position), { ...NO_CHANGE, debits_posted_minor: 1200n });
      assert.deepEqual(delta(qBefore, await f.account(q.positionId)), { ...NO_CHANGE, credits_posted_minor: 1200n });
      assert.equal(valueMinor(position), 1200n);
      assert.equal(availableLiquidityMinor(position, settlement), 3800n);
      const payee = await f.accountsOf(q);
      assert.equal(valueMinor(payee.position), -1200n);
      assert.equal(availableLiquidityMinor(payee.position, payee.settlement), 1200n);

      // What q received, it can send on (its cap of 0 allows a position back up to 0), and no more.
      assertOk(await f.reserve(q, p, 1200n));
      assertFails(await f.reserve(q, p, 1n), '4001');
    });

    it('abort releases the payer\'s position and the payee\'s pending credit', async () => {
      const p = await f.participant({ fundsMinor: 5000n, ndcMinor: 5000n });
      const q = await f.participant({ ndcMinor: 0n });
      const pBefore = await f.account(p.positionId);
      const qBefore = await f.account(q.positionId);
      const transferId = newTransferId('tr');
      const pending = assertOk(await f.reserve(p, q, 5000n, transferId));
      assertFails(await f.reserve(p, q, 1n), '4001');
      const voided = assertOk(await f.abort(transferId));
      assert.equal(voided.phase, 'VOID');
      assert.equal(voided.pending_entry_id, pending.id);
      assert.deepEqual(delta(pBefore, await f.account(p.positionId)), NO_CHANGE);
      assert.deepEqual(delta(qBefore, await f.account(q.positionId)), NO_CHANGE);
      assertOk(await f.reserve(p, q, 5000n), 'the released amount can be reserved again');
    });

    it('a second commit, a commit after an abort and an abort after a commit are refused; an unknown id is 3208', async () => {
      const p = await f.participant({ fundsMinor: 5000n, ndcMinor: 5000n });
      const q = await f.participant({ ndcMinor: 0n });
      const committed = newTransferId('tr');
      const aborted = newTransferId('tr');
      assertOk(await f.reserve(p, q, 100n, committed));
      assertOk(await f.reserve(p, q, 100n, aborted));
      assertOk(await f.commit(committed));
      assertOk(await f.abort(aborted));
      const before = await snapshot();
      assert.match(assertFails(await f.commit(committed), '3100'), /already committed/);
      assert.match(assertFails(await f.abort(committed), '3100'), /already committed/);
      assert.match(assertFails(await f.commit(aborted), '3100'), /already aborted/);
      assert.match(assertFails(await f.abort(aborted), '3100'), /already aborted/);
      assertFails(await f.commit(newTransferId('none')), '3208');
      assertFails(await f.abort(newTransferId('none')), '3208');
      assert.deepEqual(await snapshot(), before);
    });

    it('an initial position is booked against HUB_MULTILATERAL_SETTLEMENT and counts against the cap', async () => {
      const hubBefore = await f.hubAccount('USD', 'HUB_MULTILATERAL_SETTLEMENT');
      const p = await f.participant({ fundsMinor: 10_000n, ndcMinor: 1000n, initialPositionMinor: 700n });
      const position = await f.account(p.positionId);
      assert.deepEqual(counters(position), { ...NO_CHANGE, debits_posted_minor: 700n });
      assert.deepEqual(delta(hubBefore, await f.hubAccount('USD', 'HUB_MULTILATERAL_SETTLEMENT')), { ...NO_CHANGE, credits_posted_minor: 700n });
      const [entry] = await entriesOf(`initial-position:${p.id}:USD`);
      assert.ok(entry !== undefined);
      assert.equal(entry.kind, 'INITIAL_POSITION');
      assert.equal(entry.amount_minor, 700n);

      const q = await f.participant({ ndcMinor: 1000n, initialPositionMinor: -300n });
      assert.deepEqual(counters(await f.account(q.positionId)), { ...NO_CHANGE, credits_posted_minor: 300n });
      assert.deepEqual(delta(hubBefore, await f.hubAccount('USD', 'HUB_MULTILATERAL_SETTLEMENT')), { ...NO_CHANGE, credits_posted_minor: 700n, debits_posted_minor: 300n });

      assertFails(await f.reserve(p, q, 301n), '4200');
      assertOk(await f.reserve(p, q, 300n));
      const before = await snapshot();
      assert.match(assertFails(await f.setLimits(p, 5000n, 100n), '3000'), /already set/);
      assert.deepEqual(await snapshot(), before);
    });

    it('a cap lowered below the position refuses new reservations; the check warns and finds no problem', async () => {
      const p = await f.participant({ fundsMinor: 10_000n, ndcMinor: 1000n });
      const q = await f.participant({ ndcMinor: 0n });
      const transferId = newTransferId('tr');
      assertOk(await f.reserve(p, q, 800n, transferId));
      const lower = (netDebitCapMinor: bigint) => runRefusable(db(), context.engine, (tx) =>
        setNetDebitCap(tx, context.engine, { participantId: p.id, currency: 'USD', netDebitCapMinor, alarmPercentage: 10 }, f.clock.nowMs()));
      assertOk(await lower(500n));
      assertFails(await f.reserve(p, q, 1n), '4200');
      const warned = await checkLedger(db());
      assert.deepEqual(warned.problems, []);
      assert.equal(warned.ok, true);
      const warning = `participant ${p.id}: USD position is above its net debit cap`;
      assert.ok(warned.warnings.some((w) => w.startsWith(warning)), warned.warnings.join('\n'));

      assertOk(await f.abort(transferId));
      assertOk(await f.reserve(p, q, 500n), 'the lowered cap, exactly');
      assertFails(await f.reserve(p, q, 1n), '4200');
      assert.ok(!(await checkLedger(db())).warnings.some((w) => w.startsWith(warning)));

      const uncapped = await f.participant({});
      const noCap = await runRefusable(db(), context.engine, (tx) =>
        setNetDebitCap(tx, context.engine, { participantId: uncapped.id, currency: 'USD', netDebitCapMinor: 1n, alarmPercentage: 10 }, f.clock.nowMs()));
      assertFails(noCap, '3200');
    });

    it('a settlement model with requireLiquidityCheck 0 for a currency lifts the liquidity check for that currency only', async () => {
      assert.equal(await liquidityCheckRequired(db(), 'EUR'), true, 'with no model, liquidity is checked');
      const model = (name: string, currency: string | null, requireLiquidityCheck: number) => ({
        name, currency, require_liquidity_check: requireLiquidityCheck,
        settlement_granularity: 'NET' as const, settlement_interchange: 'MULTILATERAL' as const, settlement_delay: 'DEFERRED' as const,
        ledger_account_type: 'POSITION' as const, settlement_account_type: 'SETTLEMENT' as const,
        auto_position_reset: 1, is_active: 1, created_at_ms: f.clock.nowMs(),
      });
      await testTables(db()).insertInto('settlement_models').values([model('DEFAULT', null, 1), model('EUR-NO-LIQUIDITY', 'EUR', 0)]).execute();
      try {
        assert.equal(await liquidityCheckRequired(db(), 'USD'), true);
        assert.equal(await liquidityCheckRequired(db(), 'EUR'), false);

        const p = await f.participant({ currency: 'EUR', ndcMinor: 1000n });
        const q = await f.participant({ currency: 'EUR', ndcMinor: 0n });
        assertOk(await f.reserve(p, q, 1000n), 'no settlement funds needed in EUR');
        assertFails(await f.reserve(p, q, 1n), '4200', 'the cap still holds');
        assertFails(await f.fundsOutReserve(p, 1n), '4001', 'funds out still needs funds');
        const usdPayer = await f.participant({ ndcMinor: 1000n });
        const usdPayee = await f.participant({ ndcMinor: 0n });
        assertFails(await f.reserve(usdPayer, usdPayee, 1n), '4001', 'USD still needs funds');

        // The currency's own model decides over the default, either way.
        await testTables(db()).updateTable('settlement_models').set({ require_liquidity_check: 0 }).where('name', '=', 'DEFAULT').execute();
        await testTables(db()).updateTable('settlement_models').set({ require_liquidity_check: 1 }).where('name', '=', 'EUR-NO-LIQUIDITY').execute();
        assert.equal(await liquidityCheckRequired(db(), 'USD'), false);
        assert.equal(await liquidityCheckRequired(db(), 'EUR'), true);
        const r = await f.participant({ currency: 'EUR', ndcMinor: 1000n });
        assertFails(await f.reserve(r, q, 1n), '4001');

        // An inactive model counts for nothing.
        await testTables(db()).updateTable('settlement_models').set({ is_active: 0 }).where('name', '=', 'EUR-NO-LIQUIDITY').execute();
        assert.equal(await liquidityCheckRequired(db(), 'EUR'), false, 'the active default decides');
        await testTables(db()).updateTable('settlement_models').set({ is_active: 0 }).where('name', '=', 'DEFAULT').execute();
        assert.equal(await liquidityCheckRequired(db(), 'EUR'), true);
      } finally {
        await testTables(db()).deleteFrom('settlement_models').execute();
      }
    });
  });

  describe('the journal is append-only and the check catches what it cannot prevent', () => {
    it('an UPDATE or DELETE of journal_entries fails, even as raw SQL, and changes nothing', async () => {
      const p = await f.participant({ fundsMinor: 1000n, ndcMinor: 0n });
      const transferId = newTransferId('in');
      assertOk(await f.fundsIn(p, 1000n, transferId));
      const [entry] = await entriesOf(transferId);
      assert.ok(entry !== undefined);
      const entriesBefore = await testTables(db()).selectFrom('journal_entries').selectAll().orderBy('id').execute();

      await assert.rejects(testTables(db()).updateTable('journal_entries').set({ amount_minor: 1n }).where('id', '=', entry.id).execute(), /append-only/);
      await assert.rejects(testTables(db()).updateTable('journal_entries').set({ reason: 'edited' }).execute(), /append-only/);
      await assert.rejects(testTables(db()).deleteFrom('journal_entries').where('id', '=', entry.id).execute(), /append-only/);
      await assert.rejects(sql`update journal_entries set amount_minor = amount_minor + 1`.execute(db()), /append-only/);
      await assert.rejects(sql`delete from journal_entries`.execute(db()), /append-only/);
      await assert.rejects(
        db().transaction().execute(async (tx) => {
          await testTables(tx).updateTable('accounts').set({ credits_posted_minor: 0n }).where('id', '=', p.settlementId).execute();
          await testTables(tx).deleteFrom('journal_entries').where('transfer_id', '=', transferId).execute();
        }),
        /append-only/,
      );
      if (context.engine === 'postgres') {
        await assert.rejects(sql`truncate journal_entries cascade`.execute(db()), /append-only/);
      }
      assert.deepEqual(await testTables(db()).selectFrom('journal_entries').selectAll().orderBy('id').execute(), entriesBefore);
      assert.equal((await f.account(p.settlementId)).credits_posted_minor, 2000n, 'the failed transaction rolled back');
    });

    it('a counter changed behind the journal\'s back is named, account and field, by checkLedger', async () => {
      const p = await f.participant({ fundsMinor: 5000n, ndcMinor: 5000n });
      const q = await f.participant({ ndcMinor: 0n });
      assertOk(await f.reserve(p, q, 700n));
      for (const [accountId, type] of [[p.settlementId, 'SETTLEMENT'], [p.positionId, 'POSITION']] as const) {
        for (const field of COUNTERS) {
          const stored = (await f.account(accountId))[field];
          await testTables(db()).updateTable('accounts').set((eb) => ({ [field]: eb(field, '+', 1n) })).where('id', '=', accountId).execute();
          try {
            const report = await checkLedger(db());
            assert.equal(report.ok, false, `${type} ${field}`);
            assert.ok(
              report.problems.includes(`account ${accountId} (${type} USD): stored ${field} ${stored + 1n} but the journal gives ${stored}`),
              report.problems.join('\n'),
            );
            const side = field.includes('pending') ? 'pending' : 'posted';
            assert.ok(report.problems.some((problem) => problem.startsWith(`USD: ${side} debits`)), `the ${side} totals no longer balance: ${report.problems.join('\n')}`);
          } finally {
            await testTables(db()).updateTable('accounts').set((eb) => ({ [field]: eb(field, '-', 1n) })).where('id', '=', accountId).execute();
          }
        }
      }
      assert.deepEqual((await checkLedger(db())).problems, [], 'restored');
    });

    it('a settlement account pushed into overdraft is a problem even when the journal agrees', async () => {
      const p = await f.participant({ ndcMinor: 0n });
      // A movement that no API would make: bypass the checks, keep the journal and the counters consistent.
      const reconciliation = await f.hubAccount('USD', 'HUB_RECONCILIATION');
      const transferId = newTransferId('raw');
      await db().transaction().execute(async (tx) => {
        await testTables(tx).insertInto('journal_entries').values({
          transfer_id: transferId, phase: 'SINGLE', pending_entry_id: null, kind: 'FUNDS_OUT', debit_account_id: p.settlementId,
          credit_account_id: reconciliation.id, currency: 'USD', amount_minor: 1n, reason: null, external_reference: null,
          created_by: TEST_OPERATOR, created_at_ms: f.clock.nowMs(),
        }).execute();
        await testTables(tx).updateTable('accounts').set((eb) => ({ debits_posted_minor: eb('debits_posted_minor', '+', 1n) })).where('id', '=', p.settlementId).execute();
        await testTables(tx).updateTable('accounts').set((eb) => ({ credits_posted_minor: eb('credits_posted_minor', '+', 1n) })).where('id', '=', reconciliation.id).execute();
      });
      const report = await checkLedger(db());
      assert.deepEqual(report.problems, [`account ${p.settlementId} (SETTLEMENT USD) is overdrawn: value 1`]);
      // Repair it the only way an append-only journal allows: a compensating movement.
      assertOk(await f.fundsIn(p, 1n));
    });
  });
});

