// Issue 15: closing a window of a million transfers stays fast.
//
// Closing a window (and the settlement check) sums the window's committed
// transfers per payer and payee pair (ledger/settlements.ts windowTotals).
// The partial index journal_by_window found those entries, and then each one
// was read from the journal's rows; journal_window_totals holds every column
// the sum reads (window, payer, payee, amount), so the sum reads the index
// alone, in payer and payee order. It replaces journal_by_window, whose
// lookups it serves by its first column. Like journal_by_window it holds only
// the entries that name a window: committed transfers' POST entries.
//
// Measured with `npm run bench:settlement` on a window of a million transfers
// among 20 participants (the aggregate alone, on the same journal):
//   SQLite:     old query 1.77 s; one-pass query 0.63 s; with this index 0.11 s.
//   PostgreSQL: old query 1.1 s; one-pass query 0.55 s; with this index 0.55 s
//               until the journal is vacuumed (autovacuum does it after large
//               inserts), then 0.23 s, read from the index alone.
// On PostgreSQL the index is built in the migration's transaction and holds
// writes to the journal meanwhile; it covers committed transfers only.
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../storage/index.ts';

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await sql`create index journal_window_totals on journal_entries (settlement_window_id, debit_account_id, credit_account_id, amount_minor)
    where settlement_window_id is not null`.execute(db);
  await sql`drop index journal_by_window`.execute(db);
}
