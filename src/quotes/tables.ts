// The quotes module's table and its own view of it (quoteTables).
import type { Selectable } from 'kysely';
import { ownTables } from '../storage/index.ts';

export type QuoteState = 'PENDING' | 'RESPONDED' | 'ERRORED';

export interface QuotesTable {
  quote_id: string;
  payer_fsp: string;
  payee_fsp: string;
  state: QuoteState;
  request_hash: string;
  /** The payee's response, kept to answer a repeated request; it carries the payee's signature. */
  response_hash: string | null;
  response_headers: string | null;
  response_body: string | null;
  error_hash: string | null;
  content_version: string;
  created_at_ms: number;
  changed_at_ms: number;
}

export type Quote = Selectable<QuotesTable>;

export interface QuoteTables {
  quotes: QuotesTable;
}

export const quoteTables = ownTables<QuoteTables>();

