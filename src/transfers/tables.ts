// The transfers module's tables and its own view of them (transferTables).
import type { Generated, Selectable } from 'kysely';
import { ownTables } from '../storage/index.ts';
import type { MessageEvidenceTable } from './evidence.ts';
import type { TransferState } from './states.ts';

export interface TransfersTable {
  transfer_id: string;
  payer_fsp: string;
  payee_fsp: string;
  currency: string;
  amount_minor: bigint;
  ilp_condition: string;
  ilp_packet: string;
  /** The expiration exactly as the payer sent it, and as epoch milliseconds. */
  expiration: string;
  expires_at_ms: number;
  state: TransferState;
  /** FSPIOP content version of the prepare ("1.1"); the hub answers in it. */
  content_version: string;
  prepare_hash: string;
  fulfil_hash: string | null;
  error_hash: string | null;
  fulfilment: string | null;
  error_code: string | null;
  error_description: string | null;
  created_at_ms: number;
  changed_at_ms: number;
  completed_at_ms: number | null;
}

export interface TransferStateChangesTable {
  id: Generated<number>;
  transfer_id: string;
  from_state: TransferState | null;
  to_state: TransferState;
  reason: string | null;
  changed_at_ms: number;
}

/** Where a held transfer's forward to its payee is (holds.ts). */
export type HoldState = 'HELD' | 'RELEASED' | 'CONFIRMED' | 'EXPIRED';

/** A transfer the FRMS held (migration 0073): its prepare's forward waits here until a release. */
export interface TransferHoldsTable {
  transfer_id: string;
  state: HoldState;
  /** The forward to the payee (an OutboundMessage) as JSON: enqueued on release, never otherwise. */
  held_message: string;
  held_at_ms: number;
  changed_at_ms: number;
}

export type Transfer = Selectable<TransfersTable>;

export interface TransferTables {
  transfers: TransfersTable;
  transfer_state_changes: TransferStateChangesTable;
  message_evidence: MessageEvidenceTable;
  transfer_holds: TransferHoldsTable;
}

export const transferTables = ownTables<TransferTables>();

