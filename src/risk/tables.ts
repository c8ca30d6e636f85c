// The risk module's tables (migration 0070), and its typed view of them.
import { ownTables } from '../storage/index.ts';
import type { PartyKey } from './types.ts';

/** Who a counter row counts for: the windowed subjects, and the payer party's failures. */
export type CounterSubject = 'payerParty' | 'payeeParty' | 'payerFsp' | 'payeeFsp' | 'pair' | 'source' | 'payerFailed';

/** deny and watch lists feed the features; allow exempts a party from the LIVE rule set's verdict (sanctions aside). */
export type RiskList = 'deny' | 'watch' | 'allow';

/** Payments of one subject in one time bucket, per currency. */
export interface RiskCountersTable {
  subject: CounterSubject;
  subject_key: string;
  granularity_ms: number;
  bucket_start_ms: number;
  currency: string;
  payment_count: number;
  sum_minor: bigint;
}

export interface RiskPairsTable {
  payer_key: PartyKey;
  payee_key: PartyKey;
  first_seen_ms: number;
  last_seen_ms: number;
}

export interface RiskPartyActivityTable {
  party_key: PartyKey;
  last_paid_ms: number | null;
  last_received_ms: number | null;
  last_seen_ms: number;
}

export interface RiskListsTable {
  list: RiskList;
  party_key: PartyKey;
  reason: string;
  added_at_ms: number;
  added_by: string;
  change_request_id: string | null;
}

export interface RiskTables {
  risk_counters: RiskCountersTable;
  risk_pairs: RiskPairsTable;
  risk_party_activity: RiskPartyActivityTable;
  risk_lists: RiskListsTable;
}

export const riskTables = ownTables<RiskTables>();
