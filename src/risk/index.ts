// The fraud and risk management service (issue 16; being built).
export { loadOrCreatePartyKeys, partyKeys, RISK_KEY_FILE_NAME, type PartyIdentity, type PartyKeyOf } from './party_key.ts';
export { paymentParties, partyView, type PartyView } from './parties.ts';
export { decisionsOf, recordDecision } from './decisions.ts';
export { createRuleSetStore, type RuleSetStore, type RuleSetValidator } from './rule_sets.ts';
export type { RiskDecisionRow, RiskRuleSetRow, RuleSetState } from './decision_tables.ts';
export { compileRuleSet, formatProblems, type CompiledRuleSet, type RuleSetData, type RuleSetProblem } from './rule_set.ts';
export { evaluate } from './engine.ts';
export * from './types.ts';
