// Maker-checker: a sensitive admin request becomes a change request, which
// other people approve or reject. The rules, and where each is enforced:
//
//   - the maker holds the function's _REQUEST privilege (for the participant
//     it is about) — here, at submit;
//   - a checker holds the function's _APPROVE privilege, is not the maker
//     (here, on the user id, and by a database check on every approval row),
//     and approves once (the approval's primary key);
//   - the policy's number of approvals (N of M) is reached before anything
//     runs; a request not decided in time expires;
//   - one PENDING request per deduplication key (a unique partial index);
//   - the command runs exactly once: the approval that reaches the number
//     moves the row PENDING → APPROVED in the same transaction as its own
//     approval row, holding the row's lock (PostgreSQL: SELECT … FOR UPDATE;
//     SQLite: one writer at a time), so of concurrent approvals exactly one
//     sees PENDING and claims it. Only that one executes; the commands are
//     idempotent in the domain too (funds by transferId, participants by
//     name), so even a re-run after a crash cannot act twice;
//   - every step that changes a request (made, approved, rejected,
//     cancelled, its outcome) is recorded in the audit log in the same
//     transaction, last: if the entry cannot be appended, the step is not
//     taken (the caller gets the error, which the admin API answers 503).
import { randomUUID } from 'node:crypto';
import { fail, type FspiopResult } from '../../fspiop/index.ts';
import { ok, type Ok, canonicalHash, canonicalJson } from '../../support/index.ts';
import type { Clock } from '../../support/index.ts';
import { forUpdate, runRefusable, runTransaction, type Db, type Engine } from '../../storage/index.ts';
import { actorOf, recordInTransactionOrFail, type AdminAuditEvent, type AdminAuditSink, type AuditActor, type AuditTransaction } from '../audit_events.ts';
import { decide, type Principal } from '../rbac/authorize.ts';
import { approvePrivilege, requestPrivilege, type ChangeFunction } from '../rbac/privileges.ts';
import type { RbacStore } from '../rbac/store.ts';
import { APPROVALS_REQUIRED_MAX, EXECUTION_STALE_MS, PENDING_MS_DEFAULT, PENDING_MS_MAX, PENDING_MS_MIN, LIST_LENGTH_MAX, STORED_BODY_CHARS_MAX } from './limits.ts';
import type { ChangeRequestState } from './states.ts';
import { ABOUT_ONESELF_REFUSAL, OWN_GRANT_REFUSAL, isAbout, isSubject, subjectsOf } from './subjects.ts';
import { changeRequestTables, type ChangeRequestRow } from './tables.ts';

/** The admin request a change request holds, replayed as it was once approved. */
export interface StoredRequest {
  readonly method: string;
  /** Path only: the admin API's change routes take no query. */
  readonly url: string;
  readonly body?: unknown;
}

export interface Submission {
  readonly fn: ChangeFunction;
  readonly request: StoredRequest;
  readonly summary: string;
  readonly participant: string | null;
  readonly maker: Principal;
  readonly sourceAddress: string | undefined;
  /** The admin route it came in by ("POST /participants/:name/…"), for the audit entry. */
  readonly route?: string;
}

/** Where a decision came from, for its audit entry. */
export interface DecisionContext {
  readonly sourceAddress?: string | undefined;
}

export interface Approval {
  readonly approverId: string;
  readonly approverName: string;
  readonly approvedAtMs: number;
}

export interface ChangeRequest extends ChangeRequestRow {
  readonly approvals: readonly Approval[];
}

export interface Policy {
  readonly approvalsRequired: number;
  readonly pendingMsMax: number;
}

// JSON.rawJSON (Node ≥ 21) is not yet in TypeScript's lib.
const rawJSON = (text: string): unknown => (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON(text);

/** Parses a stored answer keeping each number's own digits, so amounts go out exactly as the command wrote them. */
function parseKeepingNumbers(text: string): unknown {
  try {
    return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
      (typeof value === 'number' && context?.source !== undefined ? rawJSON(context.source) : value)) as unknown;
  } catch {
    return { text: text.slice(0, 1024) };
  }
}

export function storedRequestOf(row: ChangeRequestRow): StoredRequest {
  return JSON.parse(row.payload) as StoredRequest;
}

export function changeRequestView(cr: ChangeRequest) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const request = storedRequestOf(cr);
  return {
    id: cr.id,
    function: cr.function,
    state: cr.state,
    summary: cr.summary,
    participant: cr.participant,
    request: { method: request.method, path: request.url, body: request.body ?? null },
    maker: { id: cr.maker_id, kind: cr.maker_kind, name: cr.maker_name },
    approvalsRequired: cr.approvals_required,
    approvals: cr.approvals.map((a) => ({ approverId: a.approverId, approverName: a.approverName, approvedAt: iso(a.approvedAtMs) })),
    createdAt: iso(cr.created_at_ms),
    expiresAt: iso(cr.expires_at_ms),
    decidedAt: iso(cr.decided_at_ms),
    executedAt: iso(cr.executed_at_ms),
    result: cr.result_status === null ? null : { status: cr.result_status, body: cr.result_body === null ? null : parseKeepingNumbers(cr.result_body) },
    reason: cr.reason,
    links: { self: `/changeRequests/${cr.id}` },
  };
}

export const INTERRUPTED_REASON = 'interrupted: the hub stopped after the approval and before the outcome was recorded; the command may or may not have taken effect: check its target before making the request again';

export interface ChangeRequestDeps {
  db: Db;
  engine: Engine;
  clock: Clock;
  rbac: RbacStore;
  /** Where each step is recorded, in its transaction. */
  audit: AdminAuditSink;
}

/** Records a step of change request `row` in `tx`, last in it. */
function recordStep({ clock, audit }: ChangeRequestDeps, tx: unknown, row: Pick<ChangeRequestRow, 'id' | 'participant'>, event: Omit<AdminAuditEvent, 'timeMs' | 'target'> & { route?: string }): Promise<void> {
  const { route, ...rest } = event;
  return recordInTransactionOrFail(audit, tx as AuditTransaction, {
    ...rest,
    timeMs: clock.nowMs(),
    target: { changeRequestId: row.id, ...(row.participant === null ? {} : { participant: row.participant }), ...(route === undefined ? {} : { route }) },
  });
}
export const makerOf = (row: ChangeRequestRow): AuditActor => ({ kind: row.maker_kind === 'client' || row.maker_kind === 'external' ? row.maker_kind : 'operator', id: row.maker_id, name: row.maker_name });
const from = (sourceAddress: string | null | undefined) => (sourceAddress === null || sourceAddress === undefined ? {} : { sourceAddress });

async function withApprovals(db: Db, row: ChangeRequestRow): Promise<ChangeRequest> {
  const approvals = await changeRequestTables(db).selectFrom('change_request_approvals').select(['approver_id', 'approver_name', 'approved_at_ms'])
    .where('change_request_id', '=', row.id).orderBy('approved_at_ms').execute();
  return { ...row, approvals: approvals.map((a) => ({ approverId: a.approver_id, approverName: a.approver_name, approvedAtMs: a.approved_at_ms })) };
}

async function get(db: Db, id: string): Promise<ChangeRequest | undefined> {
  const row = await changeRequestTables(db).selectFrom('change_requests').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : withApprovals(db, row);
}

async function list(db: Db, filter: { state?: ChangeRequestState | undefined }): Promise<ChangeRequest[]> {
  let query = changeRequestTables(db).selectFrom('change_requests').selectAll().orderBy('created_at_ms', 'desc').limit(LIST_LENGTH_MAX);
  if (filter.state !== undefined) query = query.where('state', '=', filter.state);
  return Promise.all((await query.execute()).map((row) => withApprovals(db, row)));
}

async function policy(db: Db, fn: ChangeFunction): Promise<Policy> {
  const row = await changeRequestTables(db).selectFrom('change_request_policies').select(['approvals_required', 'pending_ms_max']).where('function', '=', fn).executeTakeFirst();
  return row === undefined ? { approvalsRequired: 1, pendingMsMax: PENDING_MS_DEFAULT } : { approvalsRequired: row.approvals_required, pendingMsMax: row.pending_ms_max };
}

async function setPolicy({ db, engine, clock }: ChangeRequestDeps, fn: ChangeFunction, next: Policy, by: string): Promise<FspiopResult<Policy>> {
  if (!Number.isInteger(next.approvalsRequired) || next.approvalsRequired < 1 || next.approvalsRequired > APPROVALS_REQUIRED_MAX) {
    return fail('3100', `approvalsRequired must be 1 to ${APPROVALS_REQUIRED_MAX}`);
  }
  if (!Number.isInteger(next.pendingMsMax) || next.pendingMsMax < PENDING_MS_MIN || next.pendingMsMax > PENDING_MS_MAX) {
    return fail('3100', `pendingMsMax must be ${PENDING_MS_MIN} to ${PENDING_MS_MAX}`);
  }
  const values = { approvals_required: next.approvalsRequired, pending_ms_max: next.pendingMsMax, changed_at_ms: clock.nowMs(), changed_by: by };
  // In a transaction, which carries the approved change's audit entry (rbac/guard.ts).
  await runTransaction(db, engine, (tx) => changeRequestTables(tx).insertInto('change_request_policies').values({ function: fn, ...values }).onConflict((oc) => oc.column('function').doUpdateSet(values)).execute());
  return ok(next);
}

async function submit(context: ChangeRequestDeps, input: Submission): Promise<FspiopResult<ChangeRequest>> {
  const { db, engine, clock, rbac } = context;
  const exclusions = await rbac.exclusions();
  const allowed = decide(input.maker, requestPrivilege(input.fn), input.participant ?? undefined, exclusions);
  if (!allowed.ok) return fail('3000', allowed.error.detail, { httpStatus: 403 });
  if (input.fn === 'ROLE_GRANT' && isSubject(input.maker, subjectsOf(input.fn, input.request))) return fail('3000', OWN_GRANT_REFUSAL, { httpStatus: 403 });
  const payload = canonicalJson(input.request);
  if (payload.length > STORED_BODY_CHARS_MAX) return fail('3104', 'the request is too large to hold for approval');
  const { approvalsRequired, pendingMsMax } = await policy(db, input.fn);
  const nowMs = clock.nowMs();
  const dedupeKey = canonicalHash({ fn: input.fn, request: input.request });
  const id = randomUUID();
  const inserted = await runRefusable(db, engine, async (tx): Promise<FspiopResult<ChangeRequestRow>> => {
    // A duplicate whose time has passed no longer blocks: it expires here, in the same transaction.
    await changeRequestTables(tx).updateTable('change_requests').set({ state: 'EXPIRED', decided_at_ms: nowMs, reason: 'expired before a decision' })
      .where('dedupe_key', '=', dedupeKey).where('state', '=', 'PENDING').where('expires_at_ms', '<=', nowMs).execute();
    const pending = await changeRequestTables(tx).selectFrom('change_requests').select('id').where('dedupe_key', '=', dedupeKey).where('state', '=', 'PENDING').executeTakeFirst();
    if (pending !== undefined) return fail('3000', `the same request is already pending approval as change request ${pending.id}`);
    const row = await changeRequestTables(tx).insertInto('change_requests').values({
      id, function: input.fn, state: 'PENDING', payload, summary: input.summary, participant: input.participant, dedupe_key: dedupeKey,
      maker_id: input.maker.id, maker_kind: input.maker.kind, maker_name: input.maker.name, approvals_required: approvalsRequired,
      source_address: input.sourceAddress ?? null, created_at_ms: nowMs, expires_at_ms: nowMs + pendingMsMax,
      decided_at_ms: null, executed_at_ms: null, result_status: null, result_body: null, reason: null,
    }).returningAll().executeTakeFirstOrThrow();
    await recordStep(context, tx, row, {
      actor: actorOf(input.maker), action: requestPrivilege(input.fn), result: 'pending-approval', detail: input.summary,
      ...(input.route === undefined ? {} : { route: input.route }), ...from(input.sourceAddress),
    });
    return ok(row);
  });
  return inserted.ok ? ok(await withApprovals(db, inserted.value)) : inserted;
}

export interface Decision { row: ChangeRequestRow; claimed: boolean }

/**
 * Records `approver`'s approval. `claimed` is true for exactly one approval
 * of a request: the one that reached the policy's number and moved it to
 * APPROVED. Its caller runs the command and then calls recordOutcome.
 */
async function approve(deps: ChangeRequestDeps, approver: Principal, id: string, context: DecisionContext = {}): Promise<FspiopResult<Decision>> {
  const { db, engine, clock, rbac } = deps;
  const exclusions = await rbac.exclusions();
  const nowMs = clock.nowMs();
  const decided = await runRefusable(db, engine, async (tx): Promise<FspiopResult<Decision> | Ok<{ expired: ChangeRequestRow }>> => {
    const row = await forUpdate(changeRequestTables(tx).selectFrom('change_requests').selectAll().where('id', '=', id), engine).executeTakeFirst();
    if (row === undefined) return fail('3200', `change request ${id} does not exist`);
    if (row.state !== 'PENDING') return fail('3000', `change request ${id} is ${row.state}, not PENDING`);
    if (row.expires_at_ms <= nowMs) {
      const expired = await changeRequestTables(tx).updateTable('change_requests').set({ state: 'EXPIRED', decided_at_ms: nowMs, reason: 'expired before a decision' })
        .where('id', '=', id).where('state', '=', 'PENDING').returningAll().executeTakeFirstOrThrow();
      // Committed, so that the expiry stands; the approval is refused below.
      return ok({ expired });
    }
    if (row.maker_id === approver.id) return fail('3000', 'the maker of a change request cannot approve it', { httpStatus: 403 });
    if (isAbout(approver, row.function, storedRequestOf(row))) return fail('3000', ABOUT_ONESELF_REFUSAL, { httpStatus: 403 });
    const allowed = decide(approver, approvePrivilege(row.function), row.participant ?? undefined, exclusions);
    if (!allowed.ok) return fail('3000', allowed.error.detail, { httpStatus: 403 });
    const inserted = await changeRequestTables(tx).insertInto('change_request_approvals').values({
      change_request_id: id, approver_id: approver.id, approver_kind: approver.kind, approver_name: approver.name, maker_id: row.maker_id, approved_at_ms: nowMs,
    }).onConflict((oc) => oc.columns(['change_request_id', 'approver_id']).doNothing()).returning('approver_id').executeTakeFirst();
    if (inserted === undefined) return fail('3000', `${approver.name} has already approved change request ${id}`);
    const count = Number((await changeRequestTables(tx).selectFrom('change_request_approvals').select((eb) => eb.fn.countAll().as('n')).where('change_request_id', '=', id).executeTakeFirstOrThrow()).n);
    const step = { actor: actorOf(approver), action: 'CHANGE_REQUEST_APPROVE', ...from(context.sourceAddress) } as const;
    if (count < row.approvals_required) {
      await recordStep(deps, tx, row, { ...step, result: 'pending-approval', detail: `approval ${count} of ${row.approvals_required}: more approvals needed` });
      return ok({ row, claimed: false });
    }
    const claimed = await changeRequestTables(tx).updateTable('change_requests').set({ state: 'APPROVED', decided_at_ms: nowMs })
      .where('id', '=', id).where('state', '=', 'PENDING').returningAll().executeTakeFirst();
    if (claimed === undefined) return fail('3000', `change request ${id} was decided meanwhile`);
    await recordStep(deps, tx, claimed, { ...step, result: 'succeeded', detail: `${claimed.function} approved (${count} of ${row.approvals_required}); running it` });
    return ok({ row: claimed, claimed: true });
  });
  if (!decided.ok) return decided;
  if ('expired' in decided.value) return fail('3300', `change request ${id} expired before it was approved`);
  return ok(decided.value);
}

/** For the bootstrap administrator only (bootstrap.ts decides when): APPROVED with no second person, recorded as such. */
async function approveForBootstrap(context: ChangeRequestDeps, id: string): Promise<FspiopResult<Decision>> {
  const { db, engine, clock } = context;
  return runRefusable(db, engine, async (tx): Promise<FspiopResult<Decision>> => {
    const reason = 'bootstrap: no second operator could approve yet';
    const row = await changeRequestTables(tx).updateTable('change_requests').set({ state: 'APPROVED', decided_at_ms: clock.nowMs(), reason })
      .where('id', '=', id).where('state', '=', 'PENDING').returningAll().executeTakeFirst();
    if (row === undefined) return fail('3000', `change request ${id} is not PENDING`);
    await recordStep(context, tx, row, { actor: makerOf(row), action: 'CHANGE_REQUEST_APPROVE', result: 'succeeded', detail: `${row.function} approved alone: ${reason}`, ...from(row.source_address) });
    return ok({ row, claimed: true });
  });
}

async function reject(deps: ChangeRequestDeps, approver: Principal, id: string, reason: string, context: DecisionContext = {}): Promise<FspiopResult<ChangeRequest>> {
  const { db, rbac } = deps;
  const exclusions = await rbac.exclusions();
  const row = await changeRequestTables(db).selectFrom('change_requests').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) return fail('3200', `change request ${id} does not exist`);
  if (row.maker_id === approver.id) return fail('3000', 'the maker withdraws a request with cancel, not reject', { httpStatus: 403 });
  const allowed = decide(approver, approvePrivilege(row.function), row.participant ?? undefined, exclusions);
  if (!allowed.ok) return fail('3000', allowed.error.detail, { httpStatus: 403 });
  return close(deps, id, 'REJECTED', reason, { actor: actorOf(approver), action: 'CHANGE_REQUEST_REJECT', ...from(context.sourceAddress) });
}

async function cancel(deps: ChangeRequestDeps, maker: Principal, id: string, reason: string, context: DecisionContext = {}): Promise<FspiopResult<ChangeRequest>> {
  const { db } = deps;
  const row = await changeRequestTables(db).selectFrom('change_requests').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) return fail('3200', `change request ${id} does not exist`);
  if (row.maker_id !== maker.id) return fail('3000', 'only its maker can cancel a change request', { httpStatus: 403 });
  return close(deps, id, 'CANCELLED', reason, { actor: actorOf(maker), action: 'CHANGE_REQUEST_CANCEL', ...from(context.sourceAddress) });
}

async function close(context: ChangeRequestDeps, id: string, state: 'REJECTED' | 'CANCELLED', reason: string, step: { actor: AuditActor; action: string; sourceAddress?: string }): Promise<FspiopResult<ChangeRequest>> {
  const { db, engine, clock } = context;
  const closed = await runRefusable(db, engine, async (tx): Promise<FspiopResult<ChangeRequestRow>> => {
    const row = await changeRequestTables(tx).updateTable('change_requests').set({ state, decided_at_ms: clock.nowMs(), reason })
      .where('id', '=', id).where('state', '=', 'PENDING').returningAll().executeTakeFirst();
    if (row === undefined) return fail('3000', `change request ${id} is not PENDING`);
    await recordStep(context, tx, row, { ...step, result: 'succeeded', detail: `${state.toLowerCase()}: ${reason}` });
    return ok(row);
  });
  return closed.ok ? ok(await withApprovals(db, closed.value)) : closed;
}

/** The command's answer: EXECUTED for a 2xx, FAILED otherwise (the answer says why). */
async function recordOutcome(context: ChangeRequestDeps, id: string, outcome: { status: number; bodyText: string | undefined }): Promise<ChangeRequest> {
  const { db, engine, clock } = context;
  const text = outcome.bodyText ?? null;
  const executed = outcome.status >= 200 && outcome.status < 300;
  const row = await runTransaction(db, engine, async (tx) => {
    const updated = await changeRequestTables(tx).updateTable('change_requests').set({
      state: executed ? 'EXECUTED' : 'FAILED',
      executed_at_ms: clock.nowMs(),
      result_status: outcome.status,
      result_body: text !== null && text.length > STORED_BODY_CHARS_MAX ? JSON.stringify({ truncated: true }) : text,
    }).where('id', '=', id).where('state', '=', 'APPROVED').returningAll().executeTakeFirst();
    // Only the approval that claimed the request records its outcome, once.
    if (updated === undefined) throw new Error(`change request ${id} was not APPROVED when its outcome was recorded`);
    await recordStep(context, tx, updated, {
      actor: makerOf(updated), action: `${updated.function}_OUTCOME`, result: executed ? 'succeeded' : 'failed',
      detail: `${executed ? 'EXECUTED' : 'FAILED'}: the command answered HTTP ${outcome.status}`,
    });
    return updated;
  });
  return withApprovals(db, row);
}

async function expireDue({ db, clock }: ChangeRequestDeps): Promise<number> {
  const nowMs = clock.nowMs();
  const result = await changeRequestTables(db).updateTable('change_requests').set({ state: 'EXPIRED', decided_at_ms: nowMs, reason: 'expired before a decision' })
    .where('state', '=', 'PENDING').where('expires_at_ms', '<=', nowMs).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Approved requests whose execution was cut off (the process running it stopped after the approval
 * and before the outcome was recorded) become FAILED, saying so. They are not run again: the command
 * may have taken effect before the stop, and running a funds movement twice is worse than asking an
 * operator to check its target and, if needed, make the request anew (which a FAILED one allows).
 */
async function failInterrupted({ db, clock }: ChangeRequestDeps): Promise<ChangeRequestRow[]> {
  const nowMs = clock.nowMs();
  return changeRequestTables(db).updateTable('change_requests').set({ state: 'FAILED', executed_at_ms: nowMs, reason: INTERRUPTED_REASON })
    .where('state', '=', 'APPROVED').where('decided_at_ms', '<=', nowMs - EXECUTION_STALE_MS).returningAll().execute();
}

export function createChangeRequests(deps: ChangeRequestDeps) {
  const { db } = deps;
  return {
    submit: (input: Submission) => submit(deps, input),
    approve: (approver: Principal, id: string, context?: DecisionContext) => approve(deps, approver, id, context),
    approveForBootstrap: (id: string) => approveForBootstrap(deps, id),
    reject: (approver: Principal, id: string, reason: string, context?: DecisionContext) => reject(deps, approver, id, reason, context),
    cancel: (maker: Principal, id: string, reason: string, context?: DecisionContext) => cancel(deps, maker, id, reason, context),
    recordOutcome: (id: string, outcome: { status: number; bodyText: string | undefined }) => recordOutcome(deps, id, outcome),
    get: (id: string) => get(db, id),
    list: (filter: { state?: ChangeRequestState | undefined }) => list(db, filter),
    policy: (fn: ChangeFunction) => policy(db, fn),
    setPolicy: (fn: ChangeFunction, next: Policy, by: string) => setPolicy(deps, fn, next, by),
    expireDue: () => expireDue(deps),
    failInterrupted: () => failInterrupted(deps),
  };
}

export type ChangeRequests = ReturnType<typeof createChangeRequests>;
