// An account's statement, rebuilt from the append-only journal: the entries
// that touched it between two times, and its posted totals at a time. The
// reports settlement/ gives a finance team read these (they never read the
// account's running counters, which say only "now").
//
// Times are the entries' created_at_ms, inclusive at both ends. "Posted" are
// the entries that moved money for good: SINGLE entries and the POST of a
// reservation; a PENDING entry and the VOID that releases it change no posted
// balance.
import { sql } from 'kysely';
import type { Db } from '../storage/index.ts';
import { ledgerTables, type JournalEntry, type JournalPhase } from './tables.ts';

/** Transfer ids per query when phases are looked up (well under SQLite's bound variables). */
const TRANSFER_IDS_PER_QUERY = 500;

export interface PostedTotals {
  debitsMinor: bigint;
  creditsMinor: bigint;
}

/**
 * The entries touching account `accountId` created from `fromMs` to `toMs` (both inclusive), oldest first,
 * at most `limit` of them (ask one more than you accept to learn that a period holds too many).
 */
export async function accountEntries(db: Db, accountId: number, range: { fromMs: number; toMs: number; limit: number }): Promise<JournalEntry[]> {
  return ledgerTables(db).selectFrom('journal_entries').selectAll()
    .where((eb) => eb.or([eb('debit_account_id', '=', accountId), eb('credit_account_id', '=', accountId)]))
    .where('created_at_ms', '>=', range.fromMs)
    .where('created_at_ms', '<=', range.toMs)
    .orderBy('created_at_ms').orderBy('id')
    .limit(range.limit)
    .execute();
}

/** What was posted to the debit and credit sides of account `accountId` by the entries created at or before `atMs`. */
export async function postedTotalsAt(db: Db, accountId: number, atMs: number): Promise<PostedTotals> {
  const row = await sql<{ debits_minor: bigint | null; credits_minor: bigint | null }>`
    select
      sum(case when debit_account_id = ${accountId} then amount_minor else 0 end) as debits_minor,
      sum(case when credit_account_id = ${accountId} then amount_minor else 0 end) as credits_minor
    from journal_entries
    where (debit_account_id = ${accountId} or credit_account_id = ${accountId})
      and phase in ('SINGLE', 'POST') and created_at_ms <= ${atMs}`.execute(db);
  const totals = row.rows[0];
  return { debitsMinor: totals?.debits_minor ?? 0n, creditsMinor: totals?.credits_minor ?? 0n };
}

/**
 * Where each settlement movement of `transferIds` stands in the journal: PENDING (reserved), POST or VOID; a
 * transfer id the journal has no SETTLEMENT entry for is absent from the answer.
 */
export async function settlementMovementPhases(db: Db, transferIds: readonly string[]): Promise<Map<string, Exclude<JournalPhase, 'SINGLE'>>> {
  const phases = new Map<string, Exclude<JournalPhase, 'SINGLE'>>();
  for (let i = 0; i < transferIds.length; i += TRANSFER_IDS_PER_QUERY) {
    const rows = await ledgerTables(db).selectFrom('journal_entries').select(['transfer_id', 'phase'])
      .where('kind', '=', 'SETTLEMENT').where('transfer_id', 'in', transferIds.slice(i, i + TRANSFER_IDS_PER_QUERY)).execute();
    for (const row of rows) {
      if (row.phase === 'SINGLE') continue;
      // A resolution outranks the reservation it resolves.
      if (row.phase !== 'PENDING' || !phases.has(row.transfer_id)) phases.set(row.transfer_id, row.phase);
    }
  }
  return phases;
}
