// The settlement benchmark, small, so that it cannot rot: the same run as
// `npm run bench:settlement`, with 2,000 transfers among 5 participants, on
// SQLite. No timing is asserted; the run must leave a consistent ledger, and a
// settlement that nets to zero and is SETTLED.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchSettlement } from './settlement.ts';

test('the settlement benchmark closes, nets and settles a window, and the ledger holds together', async () => {
  const figures = await benchSettlement('sqlite', { transfers: 2_000, participants: 5, seed: 15 });
  assert.deepEqual(figures.ledgerProblems, []);
  assert.deepEqual(figures.settlementProblems, []);
  assert.equal(figures.netSumMinor, 0n);
  assert.equal(figures.settlementState, 'SETTLED');
  assert.equal(figures.settlementAccounts, 5, 'every participant sent or received in the window');
  // Hub and participant set-up, then each transfer's PENDING and POST, the in-flight transfers' pairs, and the settlement movements.
  assert.ok(figures.journalEntries >= 2 * 2_000 + 2 * 8, `journal holds the load: ${figures.journalEntries} entries`);
});
