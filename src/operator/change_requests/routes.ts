// The maker-checker API:
//
//   GET  /changeRequests[?state=PENDING]   the latest requests (newest first)
//   GET  /changeRequests/{id}
//   POST /changeRequests/{id}/approve      a checker approves; the approval that reaches the
//                                          policy's number runs the command, and its answer
//                                          (the original endpoint's) is in result
//   POST /changeRequests/{id}/reject       {reason}
//   POST /changeRequests/{id}/cancel       {reason?}  its maker withdraws it
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../support/index.ts';
import { access, actorOf } from '../access.ts';
import { recordOrRefuse, type AdminAuditEvent, type AdminAuditSink } from '../audit_events.ts';
import { sendFailure, sendResult } from '../../fspiop/index.ts';
import type { Executions } from './executor.ts';
import { changeRequestView, type ChangeRequest, type ChangeRequests } from './service.ts';
import { CHANGE_REQUEST_STATES, type ChangeRequestState } from './states.ts';

/** The one-time credentials some commands answer with go to the approver once and are not kept on the request. */
const SECRET_RESULT_MEMBERS = ['oneTimePassword'];

export function withoutSecrets(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || !SECRET_RESULT_MEMBERS.some((m) => m in parsed)) return text;
    return JSON.stringify(Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, SECRET_RESULT_MEMBERS.includes(k) ? '[given to the approver once]' : v as unknown])));
  } catch {
    return text;
  }
}

export interface ChangeRequestRouteDeps {
  changeRequests: ChangeRequests;
  executions: Executions;
  audit: AdminAuditSink;
  clock: Clock;
}

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' } } } as const;
const reasonBody = { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 512 } } } as const;
const optionalReasonBody = { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', minLength: 1, maxLength: 512 } } } as const;
const listQuery = { type: 'object', additionalProperties: false, properties: { state: { type: 'string', enum: CHANGE_REQUEST_STATES } } } as const;

/**
 * Runs a change request that was just APPROVED (claimed by this process) and
 * records what its command answered. Returns the request with the answer,
 * including any one-time credential, which is not stored.
 */
export async function runApproved(app: FastifyInstance, deps: Pick<ChangeRequestRouteDeps, 'changeRequests' | 'executions'>, id: string): Promise<{ cr: ChangeRequest; bodyText: string | undefined; status: number }> {
  const row = await deps.changeRequests.get(id);
  if (row?.state !== 'APPROVED') throw new Error(`change request ${id} is not APPROVED`);
  const outcome = await deps.executions.execute(app, row);
  const cr = await deps.changeRequests.recordOutcome(id, { status: outcome.status, bodyText: withoutSecrets(outcome.bodyText) });
  return { cr, bodyText: outcome.bodyText, status: outcome.status };
}

/** The change request's view with the command's full answer (one-time credentials included), for the one approver who ran it. */
export function viewWithAnswer(ran: { cr: ChangeRequest; bodyText: string | undefined; status: number }): unknown {
  const view = changeRequestView(ran.cr);
  return { ...view, result: { status: ran.status, body: ran.bodyText === undefined ? null : JSON.parse(ran.bodyText) as unknown } };
}

export function registerChangeRequestRoutes(app: FastifyInstance, deps: ChangeRequestRouteDeps): void {
  const { changeRequests, audit, clock } = deps;

  /** A refused decision changed nothing: it is recorded before it is answered (503 if it cannot be). */
  async function recordRefusal(request: FastifyRequest, event: Omit<AdminAuditEvent, 'timeMs' | 'result' | 'sourceAddress'>): Promise<void> {
    await recordOrRefuse(audit, { ...event, timeMs: clock.nowMs(), result: 'refused', sourceAddress: request.ip });
    request.actionRecorded = true;
  }

  app.get<{ Querystring: { state?: ChangeRequestState } }>('/changeRequests', { schema: { querystring: listQuery }, config: access.privilege('CHANGE_REQUEST_READ') }, async (request, reply) =>
    reply.send((await changeRequests.list({ state: request.query.state })).map(changeRequestView)));

  app.get<{ Params: { id: string } }>('/changeRequests/:id', { schema: { params: idParams }, config: access.privilege('CHANGE_REQUEST_READ') }, async (request, reply) => {
    const cr = await changeRequests.get(request.params.id);
    return cr === undefined ? sendFailure(reply, { code: '3200', detail: `change request ${request.params.id} does not exist` }) : reply.send(changeRequestView(cr));
  });

  app.post<{ Params: { id: string } }>('/changeRequests/:id/approve', { schema: { params: idParams }, config: access.privilegeAnyScope('CHANGE_REQUEST_DECIDE') }, async (request, reply) => {
    const approver = request.authority?.principal;
    if (approver === undefined) throw new Error('approve without a principal');
    const id = request.params.id;
    const decided = await changeRequests.approve(approver, id, { sourceAddress: request.ip });
    if (!decided.ok) {
      await recordRefusal(request, { actor: actorOf(approver), action: 'CHANGE_REQUEST_APPROVE', target: { changeRequestId: id }, detail: decided.error.detail });
      return sendFailure(reply, decided.error);
    }
    // The approval was recorded in its transaction; the command's changes and its outcome are recorded in theirs.
    request.actionRecorded = true;
    if (!decided.value.claimed) {
      const cr = await changeRequests.get(id);
      return reply.send(cr === undefined ? undefined : changeRequestView(cr));
    }
    return reply.send(viewWithAnswer(await runApproved(app, deps, id)));
  });

  app.post<{ Params: { id: string }; Body: { reason: string } }>('/changeRequests/:id/reject', { schema: { params: idParams, body: reasonBody }, config: access.privilegeAnyScope('CHANGE_REQUEST_DECIDE') }, async (request, reply) => {
    const approver = request.authority?.principal;
    if (approver === undefined) throw new Error('reject without a principal');
    const rejected = await changeRequests.reject(approver, request.params.id, request.body.reason, { sourceAddress: request.ip });
    if (rejected.ok) request.actionRecorded = true;
    else await recordRefusal(request, { actor: actorOf(approver), action: 'CHANGE_REQUEST_REJECT', target: { changeRequestId: request.params.id }, detail: rejected.error.detail });
    return sendResult(reply, rejected, (cr) => ({ status: 200, body: changeRequestView(cr) }));
  });

  app.post<{ Params: { id: string }; Body: { reason?: string } | undefined }>('/changeRequests/:id/cancel', { schema: { params: idParams, body: optionalReasonBody }, config: access.privilegeAnyScope('CHANGE_REQUEST_CANCEL') }, async (request, reply) => {
    const maker = request.authority?.principal;
    if (maker === undefined) throw new Error('cancel without a principal');
    const cancelled = await changeRequests.cancel(maker, request.params.id, request.body?.reason ?? 'withdrawn by its maker', { sourceAddress: request.ip });
    if (cancelled.ok) request.actionRecorded = true;
    else await recordRefusal(request, { actor: actorOf(maker), action: 'CHANGE_REQUEST_CANCEL', target: { changeRequestId: request.params.id }, detail: cancelled.error.detail });
    return sendResult(reply, cancelled, (cr) => ({ status: 200, body: changeRequestView(cr) }));
  });
}
