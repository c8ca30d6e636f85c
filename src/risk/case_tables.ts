// The FRMS's cases and their trail (migration 0073), and its typed view of them.
import type { Generated, Selectable } from 'kysely';
import { ownTables } from '../storage/index.ts';
import type { PartyKey, RiskStage } from './types.ts';

/** A case is opened by an ALERT or a HOLD: its kind is that verdict. */
export const CASE_KINDS = ['ALERT', 'HOLD'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

/** OPEN → (a hold:) RELEASED or CONFIRMED → CLOSED; any open case may be closed with an outcome. */
export const CASE_STATES = ['OPEN', 'RELEASED', 'CONFIRMED', 'CLOSED'] as const;
export type CaseState = (typeof CASE_STATES)[number];

export const CASE_OUTCOMES = ['CONFIRMED_FRAUD', 'FALSE_POSITIVE', 'INCONCLUSIVE'] as const;
export type CaseOutcome = (typeof CASE_OUTCOMES)[number];

export type CaseEventKind = 'OPENED' | 'ASSIGNED' | 'NOTE' | 'RELEASED' | 'CONFIRMED' | 'CLOSED';

export interface RiskCasesTable {
  id: Generated<number>;
  kind: CaseKind;
  stage: RiskStage;
  /** The quote or transfer id. */
  subject_id: string;
  /** The enforced decision that opened the case (risk_decisions.id): its trace is the case's evidence. */
  decision_id: number;
  payer_fsp: string;
  payee_fsp: string;
  payer_party: PartyKey | null;
  payee_party: PartyKey | null;
  state: CaseState;
  assignee: string | null;
  outcome: CaseOutcome | null;
  opened_at_ms: number;
  changed_at_ms: number;
  closed_at_ms: number | null;
}

/** Append-only: who did what to a case, when (notes carry their text). */
export interface RiskCaseEventsTable {
  id: Generated<number>;
  case_id: number;
  kind: CaseEventKind;
  actor: string;
  text: string | null;
  at_ms: number;
}

export type RiskCaseRow = Selectable<RiskCasesTable>;
export type RiskCaseEventRow = Selectable<RiskCaseEventsTable>;

export interface RiskCaseTables {
  risk_cases: RiskCasesTable;
  risk_case_events: RiskCaseEventsTable;
}

export const riskCaseTables = ownTables<RiskCaseTables>();
