// The lookup module's tables and its own view of them (lookupTables).
import type { Generated, Selectable } from 'kysely';
import { ownTables } from '../storage/index.ts';
import type { PartyIdType } from './party.ts';

/**
 * The built-in oracle: which FSP serves a party. One FSP per party, whatever
 * the currency, so that a lookup (GET /parties carries no currency) always
 * resolves to one FSP; see service.ts.
 */
export interface OraclePartiesTable {
  party_id_type: PartyIdType;
  party_identifier: string;
  /** '' for a party without a sub-identifier. */
  party_sub_id: string;
  fsp_id: string;
  created_at_ms: number;
  /** When the FSP last registered the party (a repeat registration refreshes it). */
  changed_at_ms: number;
}

/** The currencies a registration covers: '' for "any currency" (registered without one). */
export interface OraclePartyCurrenciesTable {
  party_id_type: PartyIdType;
  party_identifier: string;
  party_sub_id: string;
  currency: string;
  created_at_ms: number;
}

/** External oracles, as ALS's admin API registers them (POST /oracles). */
export interface OraclesTable {
  id: Generated<number>;
  oracle_id_type: PartyIdType;
  /** The oracle's base URL (http or https, no credentials, query or fragment). */
  endpoint: string;
  /** '' for an oracle not tied to a currency. */
  currency: string;
  is_default: number;
  created_at_ms: number;
  created_by: string;
}

/** GET /parties forwarded and not yet expired: the only answers (PUT /parties) the hub passes on. */
export interface PartyLookupsTable {
  id: Generated<number>;
  requester_fsp: string;
  asked_fsp: string;
  party_id_type: PartyIdType;
  party_identifier: string;
  party_sub_id: string;
  created_at_ms: number;
  expires_at_ms: number;
}

export type OracleParty = Selectable<OraclePartiesTable>;
export type Oracle = Selectable<OraclesTable>;
export type PartyLookup = Selectable<PartyLookupsTable>;

export interface LookupTables {
  oracle_parties: OraclePartiesTable;
  oracle_party_currencies: OraclePartyCurrenciesTable;
  oracles: OraclesTable;
  party_lookups: PartyLookupsTable;
}

export const lookupTables = ownTables<LookupTables>();

