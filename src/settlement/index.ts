export { createSettlementModels, liquidityCheckRequired, type SettlementModels, type SettlementModelInput } from './models.ts';
export { createWindows, isWindowState, windowForCommit, type SettlementWindows, type WindowFilter, type WindowWithContent } from './windows.ts';
export { createSettlements, SETTLEMENT_WINDOWS_MAX, type AccountOutcome, type AccountUpdate, type Settlements, type SettlementFilter, type SettlementStep, type SettlementWithDetail, type StepOutcome } from './settlements.ts';
export { ACCOUNT_STEPS, SETTLEMENT_STATES, WINDOW_STATES, type AccountState, type SettlementState, type WindowState } from './states.ts';
export type { Settlement, SettlementAccount, SettlementModel, SettlementWindow, WindowContent } from './tables.ts';
export { checkSettlements, type SettlementCheckReport } from './check.ts';
export { closeDueWindow, SCHEDULE_CHECK_INTERVAL_MS } from './schedule.ts';
export { createSettlementReports, totalsOf, RECONCILIATION_ROWS_MAX, type CurrencyTotals, type MovementPhase, type Reconciliation, type ReconciliationQuery, type ReportLine, type SettlementReport, type SettlementReportLine, type SettlementReports, type StateChange, type StatementRow, type WindowReport } from './reports.ts';
