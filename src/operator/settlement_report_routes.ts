// The settlement reports a finance team reads (issue 15): a window's and a
// settlement's figures per participant and currency, and a participant's
// settlement account reconciled over a period. JSON by default; CSV when the
// query says format=csv or the Accept header prefers text/csv.
//
// The window and settlement reports cover every participant, so they need
// SETTLEMENT_READ for no particular participant; the reconciliation is about
// the participant in the path, so a grant scoped to that participant reads its
// own and no other's.
import type { FastifyReply, FastifyRequest, FastifyInstance } from 'fastify';
import { sendFailure } from '../fspiop/index.ts';
import type { SettlementReports } from '../settlement/index.ts';
import { parseDateTimeMs } from '../support/index.ts';
import { access } from './access.ts';
import { wantsCsv } from './csv.ts';
import { params as participantParams } from './schemas.ts';
import { reconciliationCsv, reconciliationView, settlementReportCsv, settlementReportView, windowReportCsv, windowReportView } from './settlement_report_views.ts';

const none = () => undefined;
const id = { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } as const;
const format = { type: 'string', enum: ['json', 'csv'] } as const;

const schemas = {
  idParams: { type: 'object', required: ['id'], properties: { id } },
  formatQuery: { type: 'object', additionalProperties: false, properties: { format } },
  reconciliationQuery: {
    type: 'object', additionalProperties: false, required: ['currency', 'fromDateTime', 'toDateTime'],
    properties: {
      currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      fromDateTime: { type: 'string', minLength: 1, maxLength: 40 },
      toDateTime: { type: 'string', minLength: 1, maxLength: 40 },
      format,
    },
  },
} as const;

interface FormatQuery { format?: 'json' | 'csv' }
interface ReconciliationQuery extends FormatQuery { currency: string; fromDateTime: string; toDateTime: string }

/** Answers `json` or, when the request asks for CSV, `csv()` as an attachment named `filename`. */
function sendReport(request: FastifyRequest<{ Querystring: FormatQuery }>, reply: FastifyReply, json: () => unknown, csv: () => string, filename: string): FastifyReply {
  if (!wantsCsv(request.query.format, request.headers.accept)) return reply.send(json());
  return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}.csv"`).send(csv());
}

/** The period of a reconciliation, or why the dates are refused (3101). */
function periodOf(query: ReconciliationQuery): { fromMs: number; toMs: number } | { code: '3101'; detail: string } {
  const fromMs = parseDateTimeMs(query.fromDateTime);
  const toMs = parseDateTimeMs(query.toDateTime);
  if (fromMs === undefined || toMs === undefined) return { code: '3101', detail: 'fromDateTime and toDateTime are ISO 8601 date-times with a zone, e.g. 2026-01-31T00:00:00Z' };
  if (fromMs > toMs) return { code: '3101', detail: `fromDateTime ${query.fromDateTime} is after toDateTime ${query.toDateTime}` };
  return { fromMs, toMs };
}

export function registerSettlementReportRoutes(app: FastifyInstance, reports: SettlementReports): void {
  app.get<{ Params: { id: string }; Querystring: FormatQuery }>('/settlementWindows/:id/report', {
    schema: { params: schemas.idParams, querystring: schemas.formatQuery }, config: access.privilege('SETTLEMENT_READ', none),
  }, async (request, reply) => {
    const report = await reports.windowReport(Number(request.params.id));
    if (report === undefined) return sendFailure(reply, { code: '3100', detail: `settlement window ${request.params.id} does not exist` });
    return sendReport(request, reply, () => windowReportView(report), () => windowReportCsv(report), `settlement-window-${report.window.id}`);
  });

  app.get<{ Params: { id: string }; Querystring: FormatQuery }>('/settlements/:id/report', {
    schema: { params: schemas.idParams, querystring: schemas.formatQuery }, config: access.privilege('SETTLEMENT_READ', none),
  }, async (request, reply) => {
    const report = await reports.settlementReport(Number(request.params.id));
    if (report === undefined) return sendFailure(reply, { code: '3100', detail: `settlement ${request.params.id} does not exist` });
    return sendReport(request, reply, () => settlementReportView(report), () => settlementReportCsv(report), `settlement-${report.settlement.id}`);
  });

  app.get<{ Params: { name: string }; Querystring: ReconciliationQuery }>('/participants/:name/settlementReconciliation', {
    schema: { params: participantParams.name, querystring: schemas.reconciliationQuery }, config: access.privilege('SETTLEMENT_READ'),
  }, async (request, reply) => {
    const period = periodOf(request.query);
    if ('code' in period) return sendFailure(reply, period);
    const found = await reports.reconciliation({ participantName: request.params.name, currency: request.query.currency, ...period });
    if (!found.ok) return sendFailure(reply, found.error);
    const report = found.value;
    return sendReport(request, reply, () => reconciliationView(report), () => reconciliationCsv(report),
      `settlement-reconciliation-${report.participantName}-${report.currency}`);
  });
}
