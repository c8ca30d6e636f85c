// Cases for analysts (issue 16): each ALERT and HOLD the live rule set
// decides opens a case, in the payment's own transaction (service.ts), naming
// the decision whose trace is its evidence. Analysts list, read, assign and
// annotate cases; a hold's case is released (the prepare forwarded to the
// payee: an approved change request, RISK_HOLD_RELEASE) or confirmed as fraud
// (the transfer aborted: protective, a direct privilege); every case is closed
// with an outcome, and CONFIRMED_FRAUD feeds back into the features
// (case_outcomes.ts). Every action is a row of risk_case_events (append-only),
// written in the action's transaction, and, through the admin API's guarded
// service, an entry of the audit log in the same transaction.
//
// The transfer side of a hold is the transfers module's (transfers/holds.ts),
// reached through the HeldPayments port the composition root hands in: a
// release or a confirmation and the case's change commit together, under the
// case's row lock and then the transfer's.
import type { Failure } from '../fspiop/index.ts';
import type { Tx } from '../ledger/index.ts';
import { attachToCommit, forUpdate, runRefusable, runTransaction, type Db, type Engine } from '../storage/index.ts';
import { err, ok, type Clock, type Result } from '../support/index.ts';
import { riskCaseTables, type CaseEventKind, type CaseKind, type CaseOutcome, type CaseState, type RiskCaseEventRow, type RiskCaseRow } from './case_tables.ts';
import { riskDecisionTables, type RiskDecisionRow } from './decision_tables.ts';
import type { PaymentFacts } from './types.ts';

/** Longest note an analyst may add, characters. */
export const CASE_NOTE_CHARS_MAX = 2000;
/** Longest operator name a case is assigned to, characters. */
export const CASE_ASSIGNEE_CHARS_MAX = 128;
/** Most cases one list answers. */
export const CASE_PAGE_MAX = 100;
/** Most events one case read answers (a case with more is an abuse of notes; the oldest are shown). */
export const CASE_EVENTS_MAX = 1000;
/** Most notes one case may have: the trail is bounded like everything that grows. */
export const CASE_NOTES_MAX = 500;

/** A held transfer as a case reads it. */
export interface HoldView {
  readonly holdState: 'HELD' | 'RELEASED' | 'CONFIRMED' | 'EXPIRED';
  readonly transferState: string;
  readonly expiresAtMs: number;
}

/** The transfers module's side of a hold (transfers/holds.ts), run in the case action's transaction. */
export interface HeldPayments {
  /** Why a release would be refused now (not held, released, confirmed, expired, no longer RESERVED); reads only. */
  releaseRefusal(tx: Tx, transferId: string, nowMs: number): Promise<string | undefined>;
  /** Forwards the held prepare to the payee, only while the transfer is RESERVED, held and before its expiration. */
  release(tx: Tx, transferId: string, nowMs: number): Promise<Result<void, string>>;
  /** Aborts the held transfer: reservation released, the payer told 4400 (the generic risk refusal), the payee nothing. */
  confirmFraud(tx: Tx, transferId: string, nowMs: number): Promise<Result<void, string>>;
  view(tx: Tx, transferId: string): Promise<HoldView | undefined>;
}

export interface CaseFilter {
  readonly state?: CaseState;
  readonly kind?: CaseKind;
  readonly assignee?: string;
  readonly outcome?: CaseOutcome;
  /** Cases with a larger id (the last id of the previous page). */
  readonly afterId?: number;
  /** At most CASE_PAGE_MAX. */
  readonly limit?: number;
}

export interface CaseDetail {
  readonly riskCase: RiskCaseRow;
  /** The decision that opened the case, with its trace. */
  readonly decision: RiskDecisionRow | undefined;
  readonly events: readonly RiskCaseEventRow[];
  /** A HOLD's transfer: where its forward is, and the transfer's state. */
  readonly hold: HoldView | undefined;
}

/** Opens the case of an ALERT or HOLD, in the payment's transaction (service.ts). */
/** Opens a case on an enforced ALERT or HOLD; answers its id. */
export async function openCase(tx: Tx, facts: PaymentFacts, kind: CaseKind, decisionId: number): Promise<number> {
  const tables = riskCaseTables(tx);
  const opened = await tables.insertInto('risk_cases').values({
    kind, stage: facts.stage, subject_id: facts.id, decision_id: decisionId, payer_fsp: facts.payerFsp, payee_fsp: facts.payeeFsp,
    payer_party: facts.payerParty, payee_party: facts.payeeParty, state: 'OPEN', assignee: null, outcome: null,
    opened_at_ms: facts.nowMs, changed_at_ms: facts.nowMs, closed_at_ms: null,
  }).returning('id').executeTakeFirstOrThrow();
  await tables.insertInto('risk_case_events').values({ case_id: opened.id, kind: 'OPENED', actor: 'frms', text: null, at_ms: facts.nowMs }).execute();
  return opened.id;
}

const refused = (detail: string): Failure => ({ code: '3100', detail });

/** A case as the audit log records it: what it is and where it stands, never the parties' keys. */
function auditView(row: RiskCaseRow) {
  return { caseId: row.id, kind: row.kind, stage: row.stage, subjectId: row.subject_id, state: row.state, assignee: row.assignee, outcome: row.outcome };
}

interface CaseDeps { readonly db: Db; readonly engine: Engine; readonly clock: Clock; readonly holds: HeldPayments }

type CaseChange = Result<{ set: Partial<Omit<RiskCaseRow, 'id'>>; text?: string }, Failure>;

/**
 * Runs `change` on case `id` under its row lock: the case's new fields and the event commit with whatever
 * `change` did (a release, a confirmation) or, when it refuses, nothing does.
 */
function act(deps: CaseDeps, id: number, actor: string, kind: CaseEventKind, change: (tx: Tx, row: RiskCaseRow, nowMs: number) => CaseChange | Promise<CaseChange>): Promise<Result<RiskCaseRow, Failure>> {
  return runRefusable(deps.db, deps.engine, async (tx) => {
    const tables = riskCaseTables(tx);
    const row = await forUpdate(tables.selectFrom('risk_cases').selectAll().where('id', '=', id), deps.engine).executeTakeFirst();
    if (row === undefined) return err(refused(`case ${id} does not exist`));
    const nowMs = deps.clock.nowMs();
    const changed = await change(tx, row, nowMs);
    if (!changed.ok) return changed;
    const updated = await tables.updateTable('risk_cases').set({ ...changed.value.set, changed_at_ms: nowMs }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    await tables.insertInto('risk_case_events').values({ case_id: id, kind, actor, text: changed.value.text ?? null, at_ms: nowMs }).execute();
    attachToCommit(tx, { ...auditView(updated), event: kind });
    return ok(updated);
  });
}

async function listCases(db: Db, filter: CaseFilter): Promise<RiskCaseRow[]> {
  const limit = Math.min(Math.max(filter.limit ?? CASE_PAGE_MAX, 1), CASE_PAGE_MAX);
  let query = riskCaseTables(db).selectFrom('risk_cases').selectAll().orderBy('id').limit(limit);
  if (filter.state !== undefined) query = query.where('state', '=', filter.state);
  if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
  if (filter.assignee !== undefined) query = query.where('assignee', '=', filter.assignee);
  if (filter.outcome !== undefined) query = query.where('outcome', '=', filter.outcome);
  if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
  return query.execute();
}

async function caseDetail({ db, engine, holds }: CaseDeps, id: number): Promise<CaseDetail | undefined> {
  return runTransaction(db, engine, async (tx) => {
    const riskCase = await riskCaseTables(tx).selectFrom('risk_cases').selectAll().where('id', '=', id).executeTakeFirst();
    if (riskCase === undefined) return undefined;
    const decision = await riskDecisionTables(tx).selectFrom('risk_decisions').selectAll().where('id', '=', riskCase.decision_id).executeTakeFirst();
    const events = await riskCaseTables(tx).selectFrom('risk_case_events').selectAll().where('case_id', '=', id).orderBy('id').limit(CASE_EVENTS_MAX).execute();
    const hold = riskCase.kind === 'HOLD' && riskCase.stage === 'transfer' ? await holds.view(tx, riskCase.subject_id) : undefined;
    return { riskCase, decision, events, hold };
  });
}

const notClosed = (row: RiskCaseRow): Failure | undefined => (row.state === 'CLOSED' ? refused(`case ${row.id} is closed`) : undefined);

/** Why a case cannot be released or confirmed: it must be an OPEN hold of a transfer. */
function holdActionRefusal(row: RiskCaseRow, action: 'release' | 'confirm'): Failure | undefined {
  if (row.kind !== 'HOLD' || row.stage !== 'transfer') return refused(`case ${row.id} is an ${row.kind}, not a held transfer: there is nothing to ${action}`);
  if (row.state !== 'OPEN') return refused(`case ${row.id} is ${row.state}: only an OPEN hold can be ${action === 'release' ? 'released' : 'confirmed'}`);
  return undefined;
}

export function createRiskCases(deps: CaseDeps) {
  const { db, engine, clock, holds } = deps;

  /** Why case `row` cannot be released now; reads only. */
  async function releaseRefusalOf(tx: Tx, row: RiskCaseRow, nowMs: number): Promise<Failure | undefined> {
    const refusal = holdActionRefusal(row, 'release');
    if (refusal !== undefined) return refusal;
    const why = await holds.releaseRefusal(tx, row.subject_id, nowMs);
    return why === undefined ? undefined : refused(`case ${row.id}: ${why}`);
  }

  return {
    list: (filter: CaseFilter = {}): Promise<RiskCaseRow[]> => listCases(db, filter),
    get: (id: number): Promise<CaseDetail | undefined> => caseDetail(deps, id),

    assign(id: number, assignee: string, actor: string): Promise<Result<RiskCaseRow, Failure>> {
      return act(deps, id, actor, 'ASSIGNED', (_tx, row) => {
        if (assignee.length === 0 || assignee.length > CASE_ASSIGNEE_CHARS_MAX) return err(refused(`an assignee is 1 to ${CASE_ASSIGNEE_CHARS_MAX} characters`));
        const closed = notClosed(row);
        return closed === undefined ? ok({ set: { assignee }, text: assignee }) : err(closed);
      });
    },

    note(id: number, text: string, actor: string): Promise<Result<RiskCaseRow, Failure>> {
      return act(deps, id, actor, 'NOTE', async (tx, row) => {
        if (text.length === 0 || text.length > CASE_NOTE_CHARS_MAX) return err(refused(`a note is 1 to ${CASE_NOTE_CHARS_MAX} characters`));
        const closed = notClosed(row);
        if (closed !== undefined) return err(closed);
        const notes = await riskCaseTables(tx).selectFrom('risk_case_events').select((eb) => eb.fn.countAll().as('notes')).where('case_id', '=', id).where('kind', '=', 'NOTE').executeTakeFirstOrThrow();
        if (Number(notes.notes) >= CASE_NOTES_MAX) return err(refused(`case ${id} has ${CASE_NOTES_MAX} notes, the most a case keeps`));
        return ok({ set: {}, text });
      });
    },

    /** Why case `id` could not be released now (asked when the release is requested; the release asks again). */
    async releaseRefusal(id: number): Promise<Failure | undefined> {
      return runTransaction(db, engine, async (tx) => {
        const row = await riskCaseTables(tx).selectFrom('risk_cases').selectAll().where('id', '=', id).executeTakeFirst();
        return row === undefined ? refused(`case ${id} does not exist`) : releaseRefusalOf(tx, row, clock.nowMs());
      });
    },

    /** Releases a held transfer: its prepare is forwarded to the payee, in this transaction (an approved RISK_HOLD_RELEASE). */
    release(id: number, reason: string, actor: string): Promise<Result<RiskCaseRow, Failure>> {
      return act(deps, id, actor, 'RELEASED', async (tx, row, nowMs) => {
        // The transfer's side is checked again under its row lock (holds.release).
        const refusal = holdActionRefusal(row, 'release');
        if (refusal !== undefined) return err(refusal);
        const released = await holds.release(tx, row.subject_id, nowMs);
        return released.ok ? ok({ set: { state: 'RELEASED' }, text: reason }) : err(refused(`case ${id}: ${released.error}`));
      });
    },

    /** Confirms a hold as fraud: the transfer is aborted, the payer told 4400, the payee nothing. */
    confirm(id: number, reason: string, actor: string): Promise<Result<RiskCaseRow, Failure>> {
      return act(deps, id, actor, 'CONFIRMED', async (tx, row, nowMs) => {
        const refusal = holdActionRefusal(row, 'confirm');
        if (refusal !== undefined) return err(refusal);
        const confirmed = await holds.confirmFraud(tx, row.subject_id, nowMs);
        return confirmed.ok ? ok({ set: { state: 'CONFIRMED' }, text: reason }) : err(refused(`case ${id}: ${confirmed.error}`));
      });
    },

    /**
     * Closes a case with its outcome: CONFIRMED_FRAUD counts for its parties in the features from now on;
     * FALSE_POSITIVE stays on the case, beside the decision and its rule set version, for tuning.
     */
    close(id: number, outcome: CaseOutcome, actor: string): Promise<Result<RiskCaseRow, Failure>> {
      return act(deps, id, actor, 'CLOSED', (_tx, row, nowMs) => {
        const closed = notClosed(row);
        if (closed !== undefined) return err(closed);
        return ok({ set: { state: 'CLOSED', outcome, closed_at_ms: nowMs }, text: outcome });
      });
    },
  };
}

export type RiskCases = ReturnType<typeof createRiskCases>;
