// A window closes while a transfer's commit holds its accounts. The commit
// locks its accounts first and the open window last; the close locks the
// window, then writes its content, whose rows reference the accounts. On
// PostgreSQL the close must not wait for the accounts: the commit is about to
// wait for the window, and the two would deadlock (PostgreSQL then kills one
// after deadlock_timeout, and a transfer's commit can fail). On SQLite
// transactions run one at a time, so the case cannot arise there.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { commitTransfer } from '../ledger/index.ts';
import { runRefusable, type Db } from '../storage/index.ts';
import { describeOnEachEngine } from '../testing/engines.ts';
import { createLedgerFixture, assertOk } from '../testing/ledger_fixture.ts';
import { testTables } from '../testing/tables.ts';
import { createWindows, windowForCommit } from './index.ts';

describeOnEachEngine('a window closing while a commit holds its accounts', (ctx) => {
  test('the close does not wait for the accounts, and the commit falls in the next window', { skip: ctx.engine === 'sqlite' ? 'SQLite runs transactions one at a time' : false }, async () => {
    const { db, engine } = ctx.storage;
    const f = createLedgerFixture(ctx.storage);
    await f.openHubAccounts('USD');
    const payer = await f.participant({ fundsMinor: 100_000n, ndcMinor: 100_000n });
    const payee = await f.participant({ fundsMinor: 100_000n, ndcMinor: 100_000n });
    // A committed transfer, so that the window's content has rows for both accounts.
    assertOk(await f.reserve(payer, payee, 700n, 'committed'));
    assertOk(await f.commit('committed'));
    assertOk(await f.reserve(payer, payee, 500n, 'in-flight'));
    const windows = createWindows({ db, engine, clock: f.clock });
    const first = await windows.open();

    // The commit takes its accounts, then stops before it asks for the window until the close has run.
    let accountsLocked!: () => void;
    const locked = new Promise<void>((resolve) => { accountsLocked = resolve; });
    let closeSettled!: () => void;
    const settled = new Promise<void>((resolve) => { closeSettled = resolve; });
    const commit = runRefusable(db, engine, (tx) => commitTransfer(tx, engine, 'in-flight', 'test', f.clock.nowMs(), async (held) => {
      accountsLocked();
      await settled;
      return windowForCommit(engine)(held);
    }));
    await locked;
    const close = windows.close(first.id, 'while a commit holds its accounts', 'test').finally(closeSettled);
    // Either the close finishes, or it is seen waiting for a lock that the stopped commit holds.
    const outcome = await Promise.race([close.then(() => 'closed' as const), waitingForLock(ctx.storage.db)]);
    closeSettled();
    assert.equal(outcome, 'closed', 'the close waited for the accounts the commit holds');
    const closed = assertOk(await close);
    assertOk(await commit);
    const post = await testTables(db).selectFrom('journal_entries').select('settlement_window_id').where('transfer_id', '=', 'in-flight').where('phase', '=', 'POST').executeTakeFirstOrThrow();
    assert.equal(post.settlement_window_id, closed.opened.id);
    const content = await windows.get(first.id);
    assert.deepEqual(content?.content.map((c) => [c.account_id, c.debits_minor, c.credits_minor]), [[payer.positionId, 700n, 0n], [payee.positionId, 0n, 700n]]);
  });
});

/** Resolves once another session of this database waits for a lock. */
async function waitingForLock(db: Db): Promise<'waiting'> {
  for (;;) {
    const waiting = await sql<{ n: number }>`select count(*) as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'`.execute(db);
    if ((waiting.rows[0]?.n ?? 0) > 0) return 'waiting';
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
