// Tests may read and write any module's tables (to set up a state, or to prove
// what a module left behind), so they see them all: testTables(db) is every
// module's view at once. Code outside tests uses its own module's view.
import type { AuditTables } from '../audit/tables.ts';
import type { GatewayTables } from '../edge/gateway/policy_store.ts';
import type { LedgerTables } from '../ledger/tables.ts';
import type { LookupTables } from '../lookup/tables.ts';
import type { ChangeRequestTables } from '../operator/change_requests/tables.ts';
import type { IamTables } from '../operator/iam/tables.ts';
import type { RbacTables } from '../operator/rbac/tables.ts';
import type { ParticipantTables } from '../participants/tables.ts';
import type { PkiTables } from '../pki/tables.ts';
import type { PortalTables } from '../portal/tables.ts';
import type { QuoteTables } from '../quotes/tables.ts';
import type { RiskCaseTables } from '../risk/case_tables.ts';
import type { RiskDecisionTables } from '../risk/decision_tables.ts';
import type { RiskTables } from '../risk/tables.ts';
import type { FraudReportTables } from '../risk/fraud_report_tables.ts';
import type { SettlementTables } from '../settlement/tables.ts';
import { ownTables, type Storage } from '../storage/index.ts';
import type { TransferTables } from '../transfers/tables.ts';

export type AllTables = AuditTables & GatewayTables & LedgerTables & LookupTables & ChangeRequestTables & IamTables & RbacTables
  & ParticipantTables & PkiTables & PortalTables & QuoteTables & RiskTables & RiskCaseTables & RiskDecisionTables & SettlementTables & TransferTables & FraudReportTables;

export const testTables = ownTables<AllTables>();

/** A participant named `name` (no accounts: delivery needs only the name and endpoints). */
export async function addParticipant(storage: Storage, name: string): Promise<void> {
  await testTables(storage.db).insertInto('participants').values({
    name, name_folded: name.toLowerCase(), is_active: 1, is_proxy: 0, is_hub: 0, created_at_ms: 0, created_by: 'test',
  }).execute();
}

/** Writes an endpoint straight to the table, past the registry's checks (what a tampered database could hold). */
export async function setEndpointUnchecked(storage: Storage, name: string, type: string, value: string): Promise<void> {
  const db = testTables(storage.db);
  const participant = await db.selectFrom('participants').select('id').where('name', '=', name).executeTakeFirstOrThrow();
  await db.deleteFrom('participant_endpoints').where('participant_id', '=', participant.id).where('type', '=', type).execute();
  await db.insertInto('participant_endpoints').values({ participant_id: participant.id, type, value, changed_at_ms: 0 }).execute();
}
