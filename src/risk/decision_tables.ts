// The FRMS's rule sets and decisions tables, and its typed view of them.
import type { Generated, Selectable } from 'kysely';
import { ownTables } from '../storage/index.ts';
import type { RiskStage, Verdict } from './types.ts';

export type RuleSetState = 'DRAFT' | 'SHADOW' | 'LIVE' | 'RETIRED';

export interface RiskRuleSetsTable {
  name: string;
  version: number;
  state: RuleSetState;
  /** The rule set as JSON text (rule_set.ts validates it). */
  definition: string;
  created_at_ms: number;
  created_by: string;
  changed_at_ms: number;
  changed_by: string;
  change_request_id: string | null;
}

export interface RiskDecisionsTable {
  id: Generated<number>;
  stage: RiskStage;
  subject_id: string;
  payer_fsp: string;
  payee_fsp: string;
  verdict: Verdict;
  is_enforced: number;
  rule_set_name: string;
  rule_set_version: number;
  /** { rules, typologies } as JSON text. */
  trace: string;
  failure: string | null;
  /** The feature values the decision saw, as JSON text (decisions.ts encodeFeatures); null before migration 0072. */
  features: string | null;
  decision_us: number;
  decided_at_ms: number;
}

export type RiskRuleSetRow = Selectable<RiskRuleSetsTable>;
export type RiskDecisionRow = Selectable<RiskDecisionsTable>;

export interface RiskDecisionTables {
  risk_rule_sets: RiskRuleSetsTable;
  risk_decisions: RiskDecisionsTable;
}

export const riskDecisionTables = ownTables<RiskDecisionTables>();
