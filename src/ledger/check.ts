// Proves, on a live database, that the ledger holds together: every account's
// stored counters equal the sums rebuilt from the append-only journal, each
// currency's debits equal its credits, every resolution matches the
// reservation it resolves, and no settlement account is overdrawn.
import { sql } from 'kysely';
import { inSnapshot, type Db } from '../storage/index.ts';
import { valueMinor } from './balances.ts';
import { ledgerTables, type Account, type JournalPhase } from './tables.ts';

export interface LedgerCheckReport {
  ok: boolean;
  accountsChecked: number;
  entriesChecked: number;
  currencies: { currency: string; debitsPostedMinor: bigint; creditsPostedMinor: bigint; debitsPendingMinor: bigint; creditsPendingMinor: bigint }[];
  /** Violations: the ledger is not consistent. */
  problems: string[];
  /** Facts an operator should see that are not violations (a limit lowered below a position). */
  warnings: string[];
}

interface Rebuilt {
  account_id: number;
  debits_posted_minor: bigint;
  debits_pending_minor: bigint;
  credits_posted_minor: bigint;
  credits_pending_minor: bigint;
}

type CurrencyTotals = Map<string, { dp: bigint; cp: bigint; dq: bigint; cq: bigint }>;

/** Each account's stored counters against the journal's sums, and no settlement account overdrawn; returns the totals per currency. */
function compareAccounts(accounts: readonly Account[], byAccount: ReadonlyMap<number, Rebuilt>, problems: string[]): CurrencyTotals {
  const zero = { debits_posted_minor: 0n, debits_pending_minor: 0n, credits_posted_minor: 0n, credits_pending_minor: 0n };
  const totals: CurrencyTotals = new Map();
  for (const account of accounts) {
    const expected = byAccount.get(account.id) ?? zero;
    for (const field of ['debits_posted_minor', 'debits_pending_minor', 'credits_posted_minor', 'credits_pending_minor'] as const) {
      if (expected[field] !== account[field]) {
        problems.push(`account ${account.id} (${account.type} ${account.currency}): stored ${field} ${account[field]} but the journal gives ${expected[field]}`);
      }
    }
    const total = totals.get(account.currency) ?? { dp: 0n, cp: 0n, dq: 0n, cq: 0n };
    total.dp += account.debits_posted_minor;
    total.cp += account.credits_posted_minor;
    total.dq += account.debits_pending_minor;
    total.cq += account.credits_pending_minor;
    totals.set(account.currency, total);
    if (account.type === 'SETTLEMENT' && valueMinor(account) > 0n) {
      problems.push(`account ${account.id} (SETTLEMENT ${account.currency}) is overdrawn: value ${valueMinor(account)}`);
    }
  }
  return totals;
}

export async function checkLedger(db: Db): Promise<LedgerCheckReport> {
  const problems: string[] = [];
  const warnings: string[] = [];
  // One consistent snapshot of every account and entry.
  return inSnapshot(db, async (tx) => {
    const accounts = await ledgerTables(tx).selectFrom('accounts').selectAll().orderBy('id').execute();
    const entriesChecked = Number((await ledgerTables(tx).selectFrom('journal_entries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const rebuilt = await sql<Rebuilt>`
      select account_id,
        sum(case when side = 'D' and phase in ('SINGLE', 'POST') then amount_minor else 0 end) as debits_posted_minor,
        sum(case when side = 'D' and phase = 'PENDING' then amount_minor
                 when side = 'D' and phase in ('POST', 'VOID') then -amount_minor else 0 end) as debits_pending_minor,
        sum(case when side = 'C' and phase in ('SINGLE', 'POST') then amount_minor else 0 end) as credits_posted_minor,
        sum(case when side = 'C' and phase = 'PENDING' then amount_minor
                 when side = 'C' and phase in ('POST', 'VOID') then -amount_minor else 0 end) as credits_pending_minor
      from (
        select debit_account_id as account_id, 'D' as side, phase, amount_minor from journal_entries
        union all
        select credit_account_id as account_id, 'C' as side, phase, amount_minor from journal_entries
      ) sides
      group by account_id`.execute(tx);
    const byAccount = new Map(rebuilt.rows.map((row) => [row.account_id, row]));
    const totals = compareAccounts(accounts, byAccount, problems);
    for (const [currency, t] of totals) {
      if (t.dp !== t.cp) problems.push(`${currency}: posted debits ${t.dp} differ from posted credits ${t.cp}`);
      if (t.dq !== t.cq) problems.push(`${currency}: pending debits ${t.dq} differ from pending credits ${t.cq}`);
    }
    for (const id of byAccount.keys()) {
      if (!accounts.some((a) => a.id === id)) problems.push(`journal entries name account ${id}, which does not exist`);
    }

    const mismatched = await sql<{ id: number }>`
      select e.id from journal_entries e join journal_entries p on p.id = e.pending_entry_id
      where p.phase <> 'PENDING' or e.transfer_id <> p.transfer_id or e.amount_minor <> p.amount_minor
        or e.debit_account_id <> p.debit_account_id or e.credit_account_id <> p.credit_account_id
        or e.currency <> p.currency or e.kind <> p.kind`.execute(tx);
    for (const row of mismatched.rows) problems.push(`journal entry ${row.id} does not match the reservation it resolves`);

    const overCap = await sql<{ participant_id: number; currency: string }>`
      select l.participant_id, l.currency from participant_limits l
      join accounts a on a.participant_id = l.participant_id and a.currency = l.currency and a.type = 'POSITION'
      where a.debits_posted_minor - a.credits_posted_minor + a.debits_pending_minor > l.value_minor`.execute(tx);
    for (const row of overCap.rows) {
      warnings.push(`participant ${row.participant_id}: ${row.currency} position is above its net debit cap (the cap was lowered after the position was taken)`);
    }

    return {
      ok: problems.length === 0,
      accountsChecked: accounts.length,
      entriesChecked,
      currencies: [...totals].map(([currency, t]) => ({ currency, debitsPostedMinor: t.dp, creditsPostedMinor: t.cp, debitsPendingMinor: t.dq, creditsPendingMinor: t.cq })),
      problems,
      warnings,
    };
  });
}

/** A transfer's reservation (its PENDING entry) and the entry that resolved it, if any. */
export interface TransferReservation {
  transferId: string;
  pendingMinor: bigint;
  resolution: JournalPhase | null;
  resolutionMinor: bigint | null;
}

/** Every transfer reservation in the journal with its resolution: what transfers/ proves its states against. */
export async function transferReservations(db: Db): Promise<TransferReservation[]> {
  const rows = await ledgerTables(db)
    .selectFrom('journal_entries as p')
    .leftJoin('journal_entries as r', 'r.pending_entry_id', 'p.id')
    .select(['p.transfer_id', 'p.amount_minor as pending_minor', 'r.phase as resolution', 'r.amount_minor as resolution_minor'])
    .where('p.phase', '=', 'PENDING')
    .where('p.kind', '=', 'TRANSFER')
    .execute();
  return rows.map((row) => ({ transferId: row.transfer_id, pendingMinor: row.pending_minor, resolution: row.resolution, resolutionMinor: row.resolution_minor }));
}
