// /settlementModels, as central-settlement serves them. A settlement model
// decides whether the liquidity check runs for a currency, so creating one
// and switching one on or off are maker-checker functions; a model the hub
// would refuse is refused when it is requested, with its reason.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SettlementModelInput, SettlementModels } from '../settlement/index.ts';
import { access } from './access.ts';
import { sendFailure, sendResult } from '../fspiop/index.ts';
import { bodies, params } from './schemas.ts';
import { settlementModelView } from './views.ts';

const none = () => undefined;

type ModelBody = Omit<SettlementModelInput, 'currency'> & { currency?: string | null };
const inputOf = (body: ModelBody): SettlementModelInput => ({ ...body, currency: body.currency ?? null });

export function registerSettlementModelRoutes(app: FastifyInstance, models: SettlementModels): void {
  app.get('/settlementModels', { config: access.privilege('SETTLEMENT_MODEL_READ', none) }, async (_request, reply) => reply.send((await models.list()).map(settlementModelView)));

  app.post<{ Body: ModelBody }>('/settlementModels', {
    schema: { body: bodies.settlementModel },
    config: access.change({
      functions: ['SETTLEMENT_MODEL_CREATE'],
      participant: none,
      summary: (r) => {
        const b = inputOf(r.body as ModelBody);
        return `create settlement model ${b.name} for ${b.currency ?? 'all currencies'}, liquidity check ${b.requireLiquidityCheck ? 'on' : 'OFF'}`;
      },
      refusal: (r: FastifyRequest) => models.createRefusal(inputOf(r.body as ModelBody)),
    }),
  }, async (request, reply) =>
    sendResult(reply, await models.create(inputOf(request.body)), () => ({ status: 201 })));

  app.get<{ Params: { name: string } }>('/settlementModels/:name', { schema: { params: params.settlementModel }, config: access.privilege('SETTLEMENT_MODEL_READ', none) }, async (request, reply) => {
    const model = await models.get(request.params.name);
    return model === undefined
      ? sendFailure(reply, { code: '3200', detail: `settlement model ${request.params.name} does not exist` })
      : reply.send(settlementModelView(model));
  });

  app.put<{ Params: { name: string }; Body: { isActive: boolean } }>('/settlementModels/:name', {
    schema: { params: params.settlementModel, body: bodies.isActive },
    config: access.change({
      functions: ['SETTLEMENT_MODEL_STATUS'],
      participant: none,
      summary: (r) => `${(r.body as { isActive: boolean }).isActive ? 'activate' : 'deactivate'} settlement model ${(r.params as { name: string }).name}`,
      refusal: (r: FastifyRequest) => models.setActiveRefusal((r.params as { name: string }).name, (r.body as { isActive: boolean }).isActive),
    }),
  }, async (request, reply) =>
    sendResult(reply, await models.setActive(request.params.name, request.body.isActive), (model) => ({ status: 200, body: settlementModelView(model) })));
}
