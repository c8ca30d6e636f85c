// The ledger's own tables, as its own view of the database. (The table
// interfaces still live in storage/schema.ts, where the global Schema and the
// first migration read them; they move here when the global entries go.)
import type { AccountsTable, FundsRequestsTable, JournalEntriesTable, ParticipantLimitsTable } from '../storage/index.ts';
import { ownTables } from '../storage/index.ts';

export interface LedgerTables {
  accounts: AccountsTable;
  journal_entries: JournalEntriesTable;
  participant_limits: ParticipantLimitsTable;
  funds_requests: FundsRequestsTable;
}

export const ledgerTables = ownTables<LedgerTables>();
