// Fraud reports as the FRMS keeps them (migration 0074, append-only): what a
// DFSP said about a transfer it took part in, with the counter-party as the
// suspect, by party key only. They feed the watch list (sharing.ts), the
// features (payerFraudReports/payeeFraudReports) and the risk signals.
import type { Kysely } from 'kysely';
import type { FraudCategory } from '../fspiop/index.ts';
import { fraudReportTables, type FraudReportRow, type ReporterRole } from './fraud_report_tables.ts';
import type { PartyKey } from './types.ts';

export type { FraudReportRow, ReporterRole } from './fraud_report_tables.ts';

/**
 * Fraud reports one DFSP may make in any 24 hours (a sliding day). Above it a report is refused and
 * nothing is stored: a DFSP's honest volume of confirmed frauds is far below it, and a DFSP flooding the
 * scheme's watch list with reports is stopped before it buries real ones.
 */
export const FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX = 200;
export const FRAUD_REPORT_DAY_MS = 86_400_000;

export interface FraudReportInput {
  readonly fraudReportId: string;
  readonly transferId: string;
  readonly reporterFsp: string;
  readonly reporterRole: ReporterRole;
  readonly suspectPartyKey: PartyKey | null;
  readonly category: FraudCategory;
  readonly description: string | null;
  readonly contentHash: string;
  readonly reportedAtMs: number;
}

export async function findFraudReport<S>(db: Kysely<S>, fraudReportId: string): Promise<FraudReportRow | undefined> {
  return fraudReportTables(db).selectFrom('risk_fraud_reports').selectAll().where('fraud_report_id', '=', fraudReportId).executeTakeFirst();
}

/** The reports `reporterFsp` made in the day up to `nowMs`, counted up to one past the bound (no more rows are read). */
export async function reportsInDay<S>(db: Kysely<S>, reporterFsp: string, nowMs: number): Promise<number> {
  const rows = await fraudReportTables(db).selectFrom('risk_fraud_reports').select('fraud_report_id')
    .where('reporter_fsp', '=', reporterFsp).where('reported_at_ms', '>', nowMs - FRAUD_REPORT_DAY_MS)
    .limit(FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX + 1).execute();
  return rows.length;
}

export async function insertFraudReport<S>(db: Kysely<S>, report: FraudReportInput): Promise<void> {
  await fraudReportTables(db).insertInto('risk_fraud_reports').values({
    fraud_report_id: report.fraudReportId, transfer_id: report.transferId, reporter_fsp: report.reporterFsp, reporter_role: report.reporterRole,
    suspect_party_key: report.suspectPartyKey, category: report.category, description: report.description,
    content_hash: report.contentHash, reported_at_ms: report.reportedAtMs,
  }).execute();
}

/** The reports naming `suspect` since `sinceMs` (all of them with 0). */
export async function reportsNaming<S>(db: Kysely<S>, suspect: PartyKey, sinceMs: number): Promise<number> {
  const row = await fraudReportTables(db).selectFrom('risk_fraud_reports').select((eb) => eb.fn.countAll<number | bigint | string>().as('reports'))
    .where('suspect_party_key', '=', suspect).where('reported_at_ms', '>=', sinceMs).executeTakeFirstOrThrow();
  return Number(row.reports);
}

/** The features' fraud report counts: reports naming each party, ever (one indexed query); null for a party without a key. */
export async function fraudReportFeatures<S>(db: Kysely<S>, payer: PartyKey | null, payee: PartyKey | null): Promise<{ payerFraudReports: number | null; payeeFraudReports: number | null }> {
  const keys = [payer, payee].filter((key): key is PartyKey => key !== null);
  const rows = keys.length === 0 ? [] : await fraudReportTables(db).selectFrom('risk_fraud_reports')
    .select((eb) => ['suspect_party_key', eb.fn.countAll<number | bigint | string>().as('reports')])
    .where('suspect_party_key', 'in', keys).groupBy('suspect_party_key').execute();
  const of = (key: PartyKey | null): number | null => (key === null ? null : Number(rows.find((r) => r.suspect_party_key === key)?.reports ?? 0));
  return { payerFraudReports: of(payer), payeeFraudReports: of(payee) };
}
