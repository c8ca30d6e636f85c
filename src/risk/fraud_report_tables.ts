// The fraud reports table (migration 0074), and the risk module's typed view of it.
import type { Selectable } from 'kysely';
import type { FraudCategory } from '../fspiop/index.ts';
import { ownTables } from '../storage/index.ts';
import type { PartyKey } from './types.ts';

export type ReporterRole = 'payer' | 'payee';

export interface RiskFraudReportsTable {
  fraud_report_id: string;
  transfer_id: string;
  reporter_fsp: string;
  reporter_role: ReporterRole;
  suspect_party_key: PartyKey | null;
  category: FraudCategory;
  description: string | null;
  content_hash: string;
  reported_at_ms: number;
}

export type FraudReportRow = Selectable<RiskFraudReportsTable>;

export interface FraudReportTables {
  risk_fraud_reports: RiskFraudReportsTable;
}

export const fraudReportTables = ownTables<FraudReportTables>();
