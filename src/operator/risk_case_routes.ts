// /risk/cases: the FRMS's cases for analysts (issue 16).
//
// Reading cases (with the deciding rule set's trace) is RISK_CASE_READ;
// assigning, annotating, closing with an outcome and confirming a hold as
// fraud are RISK_CASE_WORK and run at once: none of them moves money (a
// confirmation aborts the held transfer, releasing its reservation, as its
// expiry would). Releasing a hold lets a payment the FRMS stopped reach its
// payee: a change request (RISK_HOLD_RELEASE) that a second person approves,
// refused at once when the case is not an open hold or its transfer can no
// longer be released, and checked again when the approval runs it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendFailure, sendResult } from '../fspiop/index.ts';
import {
  CASE_ASSIGNEE_CHARS_MAX, CASE_KINDS, CASE_NOTE_CHARS_MAX, CASE_OUTCOMES, CASE_PAGE_MAX, CASE_STATES,
  type CaseDetail, type CaseFilter, type CaseKind, type CaseOutcome, type CaseState, type RiskCaseRow, type RiskCases,
} from '../risk/index.ts';
import { access, actorName } from './access.ts';

const none = () => undefined;
const id = { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } as const;
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
const caseParams = { type: 'object', required: ['id'], properties: { id } } as const;

const schemas = {
  listQuery: {
    type: 'object', additionalProperties: false,
    properties: {
      state: { type: 'string', enum: CASE_STATES }, kind: { type: 'string', enum: CASE_KINDS }, outcome: { type: 'string', enum: CASE_OUTCOMES },
      assignee: text(CASE_ASSIGNEE_CHARS_MAX), afterId: id, limit: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' },
    },
  },
  assignment: { type: 'object', additionalProperties: false, required: ['assignee'], properties: { assignee: text(CASE_ASSIGNEE_CHARS_MAX) } },
  note: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: text(CASE_NOTE_CHARS_MAX) } },
  closure: { type: 'object', additionalProperties: false, required: ['outcome'], properties: { outcome: { type: 'string', enum: CASE_OUTCOMES } } },
  /** A release or confirmation says why, for the trail. */
  reason: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: text(CASE_NOTE_CHARS_MAX) } },
} as const;

interface ListQuery { state?: CaseState; kind?: CaseKind; outcome?: CaseOutcome; assignee?: string; afterId?: string; limit?: string }

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function riskCaseView(row: RiskCaseRow) {
  return {
    id: row.id, kind: row.kind, stage: row.stage, subjectId: row.subject_id, decisionId: row.decision_id,
    payerFsp: row.payer_fsp, payeeFsp: row.payee_fsp, state: row.state, assignee: row.assignee, outcome: row.outcome,
    openedAt: iso(row.opened_at_ms), changedAt: iso(row.changed_at_ms), closedAt: iso(row.closed_at_ms),
  };
}

function detailView(detail: CaseDetail) {
  const { decision, hold } = detail;
  return {
    ...riskCaseView(detail.riskCase),
    decision: decision === undefined ? null : {
      id: decision.id, verdict: decision.verdict, ruleSet: { name: decision.rule_set_name, version: decision.rule_set_version },
      trace: JSON.parse(decision.trace) as unknown, failure: decision.failure, decidedAt: iso(decision.decided_at_ms),
    },
    hold: hold === undefined ? null : { state: hold.holdState, transferState: hold.transferState, expiresAt: iso(hold.expiresAtMs) },
    events: detail.events.map((e) => ({ kind: e.kind, actor: e.actor, text: e.text, at: iso(e.at_ms) })),
  };
}

const caseId = (request: FastifyRequest) => Number((request.params as { id: string }).id);
const ok200 = (row: RiskCaseRow) => ({ status: 200, body: riskCaseView(row) });

export function registerRiskCaseRoutes(app: FastifyInstance, cases: RiskCases): void {
  app.get<{ Querystring: ListQuery }>('/risk/cases', { schema: { querystring: schemas.listQuery }, config: access.privilege('RISK_CASE_READ', none) }, async (request, reply) => {
    const q = request.query;
    const filter: CaseFilter = {
      ...(q.state === undefined ? {} : { state: q.state }), ...(q.kind === undefined ? {} : { kind: q.kind }),
      ...(q.outcome === undefined ? {} : { outcome: q.outcome }), ...(q.assignee === undefined ? {} : { assignee: q.assignee }),
      ...(q.afterId === undefined ? {} : { afterId: Number(q.afterId) }), limit: Math.min(Number(q.limit ?? CASE_PAGE_MAX), CASE_PAGE_MAX),
    };
    return reply.send((await cases.list(filter)).map(riskCaseView));
  });

  app.get<{ Params: { id: string } }>('/risk/cases/:id', { schema: { params: caseParams }, config: access.privilege('RISK_CASE_READ', none) }, async (request, reply) => {
    const found = await cases.get(caseId(request));
    return found === undefined ? sendFailure(reply, { code: '3100', detail: `case ${request.params.id} does not exist` }) : reply.send(detailView(found));
  });

  const work = access.privilege('RISK_CASE_WORK', none);
  app.post<{ Params: { id: string }; Body: { assignee: string } }>('/risk/cases/:id/assignment', { schema: { params: caseParams, body: schemas.assignment }, config: work }, async (request, reply) =>
    sendResult(reply, await cases.assign(caseId(request), request.body.assignee, actorName(request)), ok200));

  app.post<{ Params: { id: string }; Body: { text: string } }>('/risk/cases/:id/notes', { schema: { params: caseParams, body: schemas.note }, config: work }, async (request, reply) =>
    sendResult(reply, await cases.note(caseId(request), request.body.text, actorName(request)), ok200));

  app.post<{ Params: { id: string }; Body: { reason: string } }>('/risk/cases/:id/confirmation', { schema: { params: caseParams, body: schemas.reason }, config: work }, async (request, reply) =>
    sendResult(reply, await cases.confirm(caseId(request), request.body.reason, actorName(request)), ok200));

  app.post<{ Params: { id: string }; Body: { outcome: CaseOutcome } }>('/risk/cases/:id/closure', { schema: { params: caseParams, body: schemas.closure }, config: work }, async (request, reply) =>
    sendResult(reply, await cases.close(caseId(request), request.body.outcome, actorName(request)), ok200));

  app.post<{ Params: { id: string }; Body: { reason: string } }>('/risk/cases/:id/release', {
    schema: { params: caseParams, body: schemas.reason },
    config: access.change({
      functions: ['RISK_HOLD_RELEASE'],
      participant: none,
      summary: (request) => `release the transfer held in FRMS case ${caseId(request)}: its prepare is forwarded to the payee`,
      refusal: (request) => cases.releaseRefusal(caseId(request)),
    }),
  }, async (request, reply) => sendResult(reply, await cases.release(caseId(request), request.body.reason, actorName(request)), ok200));
}
