// The fraud and risk management service (issue 16; being built). What src/risk/ offers the rest of the hub.
export * from './types.ts';
export { loadOrCreatePartyKeys, partyKeys, RISK_KEY_FILE_NAME, type PartyIdentity, type PartyKeyOf } from './party_key.ts';
export { paymentParties, partyView, type PartyView } from './parties.ts';
export { decisionsOf, recordDecision } from './decisions.ts';
export {
  CASE_ASSIGNEE_CHARS_MAX, CASE_EVENTS_MAX, CASE_NOTE_CHARS_MAX, CASE_NOTES_MAX, CASE_PAGE_MAX, createRiskCases,
  type CaseDetail, type CaseFilter, type HeldPayments, type HoldView, type RiskCases,
} from './cases.ts';
export { CASE_KINDS, CASE_OUTCOMES, CASE_STATES, type CaseKind, type CaseOutcome, type CaseState, type RiskCaseEventRow, type RiskCaseRow } from './case_tables.ts';
export { confirmedFraudCounts, type ConfirmedFraudCounts } from './case_outcomes.ts';
export { FRMS_ACTOR } from './decision_effects.ts';
export { createRuleSetStore, type RuleSetStore, type RuleSetValidator } from './rule_sets.ts';
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
  addToList, isPartyKey, listEntries, listFlags, loadListFile, parseListFile, removeFromList,
  type ListEntry, type ListEntryInput, type ListFileLoad, type ListFileResult, type ListFlags, type ListRefusal, type ListLineKeyOf, type RiskList,
} from './lists.ts';
