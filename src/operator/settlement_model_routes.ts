// /settlementModels, as central-settlement serves them.
import type { FastifyInstance } from 'fastify';
import type { SettlementModelInput, SettlementModels } from '../settlement/index.ts';
import { access } from './access.ts';
import { sendFailure, sendResult } from './replies.ts';
import { bodies, params } from './schemas.ts';
import { settlementModelView } from './views.ts';

const none = () => undefined;

export function registerSettlementModelRoutes(app: FastifyInstance, models: SettlementModels): void {
  app.get('/settlementModels', { config: access.privilege('SETTLEMENT_MODEL_READ', none) }, async (_request, reply) => reply.send((await models.list()).map(settlementModelView)));

  app.post<{ Body: Omit<SettlementModelInput, 'currency'> & { currency?: string | null } }>('/settlementModels', { schema: { body: bodies.settlementModel }, config: access.privilege('SETTLEMENT_MODEL_CREATE', none) }, async (request, reply) =>
    sendResult(reply, await models.create({ ...request.body, currency: request.body.currency ?? null }), () => ({ status: 201 })));

  app.get<{ Params: { name: string } }>('/settlementModels/:name', { schema: { params: params.settlementModel }, config: access.privilege('SETTLEMENT_MODEL_READ', none) }, async (request, reply) => {
    const model = await models.get(request.params.name);
    return model === undefined
      ? sendFailure(reply, { code: '3200', detail: `settlement model ${request.params.name} does not exist` })
      : reply.send(settlementModelView(model));
  });

  app.put<{ Params: { name: string }; Body: { isActive: boolean } }>('/settlementModels/:name', { schema: { params: params.settlementModel, body: bodies.isActive }, config: access.privilege('SETTLEMENT_MODEL_STATUS_CHANGE', none) }, async (request, reply) =>
    sendResult(reply, await models.setActive(request.params.name, request.body.isActive), (model) => ({ status: 200, body: settlementModelView(model) })));
}
