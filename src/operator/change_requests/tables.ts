// The maker-checker tables (migration 0012) and their own view (changeRequestTables).
import type { Selectable } from 'kysely';
import { ownTables } from '../../storage/index.ts';
import type { ChangeFunction } from '../rbac/privileges.ts';
import type { ChangeRequestState } from './states.ts';

export interface ChangeRequestsTable {
  id: string;
  function: ChangeFunction;
  state: ChangeRequestState;
  /** The command's input, canonical JSON: what the checker approves is exactly what runs. */
  payload: string;
  summary: string;
  /** The participant the request is about, for scoped grants; null for hub-wide requests. */
  participant: string | null;
  /** At most one PENDING request per key (a unique partial index). */
  dedupe_key: string;
  maker_id: string;
  maker_kind: string;
  maker_name: string;
  approvals_required: number;
  source_address: string | null;
  created_at_ms: number;
  expires_at_ms: number;
  decided_at_ms: number | null;
  executed_at_ms: number | null;
  /** The answer the command gave (the central-ledger endpoint's own status and body). */
  result_status: number | null;
  result_body: string | null;
  reason: string | null;
}

export interface ChangeRequestApprovalsTable {
  change_request_id: string;
  approver_id: string;
  approver_kind: string;
  approver_name: string;
  /** The request's maker, carried by a composite foreign key so that the database refuses approver = maker. */
  maker_id: string;
  approved_at_ms: number;
}

export interface ChangeRequestPoliciesTable {
  function: ChangeFunction;
  approvals_required: number;
  pending_ms_max: number;
  changed_at_ms: number;
  changed_by: string;
}

export type ChangeRequestRow = Selectable<ChangeRequestsTable>;

export interface ChangeRequestTables {
  change_requests: ChangeRequestsTable;
  change_request_approvals: ChangeRequestApprovalsTable;
  change_request_policies: ChangeRequestPoliciesTable;
}

export const changeRequestTables = ownTables<ChangeRequestTables>();

