// The fraud and risk management service (issue 16; being built). What src/risk/ offers the rest of the hub.
export * from './types.ts';
export { loadOrCreatePartyKeys, partyKeys, RISK_KEY_FILE_NAME, type PartyIdentity, type PartyKeyOf } from './party_key.ts';
export { paymentParties, partyView, type PartyView } from './parties.ts';
export {
  DECISIONS_LIST_LENGTH_MAX, REPLAY_TRANSFERS_MAX, createDecisionQueries, decisionsOf, decodeFeatures, recordDecision, transferDecisions,
  type DecisionFilter, type DecisionQueries,
} from './decisions.ts';
export {
  CASE_ASSIGNEE_CHARS_MAX, CASE_EVENTS_MAX, CASE_NOTE_CHARS_MAX, CASE_NOTES_MAX, CASE_PAGE_MAX, createRiskCases,
  type CaseDetail, type CaseFilter, type HeldPayments, type HoldView, type RiskCases,
} from './cases.ts';
export { CASE_KINDS, CASE_OUTCOMES, CASE_STATES, type CaseKind, type CaseOutcome, type CaseState, type RiskCaseEventRow, type RiskCaseRow } from './case_tables.ts';
export { confirmedFraudCounts, type ConfirmedFraudCounts } from './case_outcomes.ts';
export { FRMS_ACTOR } from './decision_effects.ts';
export { NAME_PATTERN as RULE_SET_NAME_PATTERN, createRuleSetStore, type RuleSetStore, type RuleSetValidator } from './rule_sets.ts';
export type { RiskDecisionRow, RiskRuleSetRow, RuleSetState } from './decision_tables.ts';
export { compileRuleSet, formatProblems, ruleSetProblems, type CompiledRuleSet, type RuleSetData, type RuleSetProblem } from './rule_set.ts';
export { evaluate } from './engine.ts';
export { buildSanctionsList, loadSanctionsList, screenName, type SanctionsList, type SanctionsMatch } from './sanctions.ts';
export { DEFAULT_RULE_SET } from './default_rules.ts';
export { createRiskService, RULE_SET_REFRESH_MS, type RiskService, type RiskServiceDeps } from './service.ts';
export {
  GRANULARITIES_MS, PAIR_RETENTION_MS, PRUNE_BATCH_ROWS, SUM_MINOR_SATURATION, WINDOW_GRANULARITY_MS,
  isRoundAmount, pruneBeforeMs, pruneFeatures, readFeatures, recordPayment, subjectKeys, windowStartMs,
  type PaymentOutcome, type PruneReport,
} from './features.ts';
export {
  LIST_ENTRIES_MAX, LIST_FILE_LENGTH_MAX, LIST_FILE_LINES_MAX, LIST_PAGE_MAX, RISK_LISTS,
  addToList, createListStore, isPartyKey, isRiskList, listEntries, listFlags, loadListFile, overrideByAllowList, parseListFile, removeFromList,
  type ListChange, type ListEntry, type ListStore, type ListEntryInput, type ListFileLoad, type ListFileResult, type ListFlags, type ListRefusal, type ListLineKeyOf, type RiskList,
} from './lists.ts';
export { FRAUD_REPORT_DAY_MS, FRAUD_REPORTS_PER_DFSP_PER_DAY_MAX, fraudReportFeatures, type FraudReportRow, type ReporterRole } from './fraud_reports.ts';
export {
  createRiskSharing, FRAUD_REPORT_LIST_ACTOR, SIGNAL_RECENT_MS, SIGNAL_REPORTED_MS,
  type FraudReportBody, type RiskNotice, type RiskNotifier, type RiskSharing, type RiskSharingDeps, type SharingOutcome, type TransferParties, type TransferPartiesOf,
} from './sharing.ts';
export { REPLAY_LIMIT_DEFAULT, replayDecisions, runRiskCommand, type ReplayReport, type ReplayedPayment } from './replay.ts';
