// /participants and everything under it, as central-ledger serves them.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { endpointAddressRefusal, type CallbackAddressPolicy } from '../delivery/index.ts';
import type { Failure } from '../fspiop/index.ts';
import type { createFunds, createLimits } from '../ledger/index.ts';
import { endpointValueProblem, isEndpointType, type ParticipantRegistry, type ParticipantWithAccounts } from '../participants/index.ts';
import { canonicalHash, parseAmount, err, ok, type Result } from '../support/index.ts';
import { asFspiopResult } from '../transfers/index.ts';
import type { Clock } from '../support/index.ts';
import { access, actorName } from './access.ts';
import { sendFailure, sendResult } from '../fspiop/index.ts';
import { amountText } from './exact_json.ts';
import { bodies, params, query } from './schemas.ts';
import { accountBalanceView, limitView, participantView, positionView } from './views.ts';

export interface ParticipantRouteDeps {
  registry: ParticipantRegistry;
  funds: ReturnType<typeof createFunds>;
  limits: ReturnType<typeof createLimits>;
  clock: Clock;
  config: { publicUrl: string };
  /** Where callbacks may go: an endpoint elsewhere is refused when it is registered, and again at approval. */
  callbackAddresses: CallbackAddressPolicy;
}

const none = () => undefined;

type Amount = number | string;
interface NameParams { name: string }
interface AccountParams { name: string; id: string }
interface AccountTransferParams extends AccountParams { transferId: string }

/**
 * Why an endpoint may not be registered: its type or value (the registry's own checks), or, for a
 * callback URL, its address (literal, or what its host name resolves to now) under the callback
 * network policy. Undefined when it may.
 */
export async function endpointRefusal(policy: CallbackAddressPolicy, type: string, value: string): Promise<Failure | undefined> {
  if (!isEndpointType(type)) return { code: '3100', detail: `type ${JSON.stringify(type)} is not an endpoint type` };
  const problem = endpointValueProblem(type, value);
  if (problem !== undefined) return { code: '3100', detail: problem };
  if (!/^https?:\/\//i.test(value)) return undefined;
  const refusal = await endpointAddressRefusal(policy, value.replace(/\{\{[^}]*\}\}/g, 'x'));
  return refusal === undefined ? undefined : { code: '3100', detail: `callback endpoint refused: ${refusal}` };
}

export function registerParticipantRoutes(app: FastifyInstance, deps: ParticipantRouteDeps): void {
  registerParticipantCoreRoutes(app, deps);
  registerAccountRoutes(app, deps);
  registerFundsRoutes(app, deps);
  registerEndpointRoutes(app, deps);
  registerLimitRoutes(app, deps);
  registerPositionRoutes(app, deps);
}

/** Loads the participant named in the path, or answers 3200. */
async function participantOr404(registry: ParticipantRegistry, name: string, reply: FastifyReply): Promise<ParticipantWithAccounts | undefined> {
  const found = await registry.get(name);
  if (found === undefined) sendFailure(reply, { code: '3200', detail: `participant ${name} does not exist` });
  return found;
}

/** Loads the participant and checks that account `id` is one of its own, or answers 3200. */
async function ownAccountOr404(registry: ParticipantRegistry, name: string, id: string, reply: FastifyReply): Promise<{ participant: ParticipantWithAccounts; accountId: number } | undefined> {
  const found = await participantOr404(registry, name, reply);
  if (found === undefined) return undefined;
  const accountId = Number(id);
  if (!found.accounts.some((a) => a.id === accountId)) {
    sendFailure(reply, { code: '3200', detail: `participant ${found.participant.name} has no account ${accountId}` });
    return undefined;
  }
  return { participant: found, accountId };
}


/** /participants themselves: list, create, read, activate. */
function registerParticipantCoreRoutes(app: FastifyInstance, deps: ParticipantRouteDeps): void {
  const { registry, limits } = deps;
  const view = (p: ParticipantWithAccounts) => participantView(p, deps.config.publicUrl);
  app.get('/participants', { config: access.privilege('PARTICIPANT_READ', none) }, async (_request, reply) => reply.send((await registry.list()).map(view)));

  app.post<{ Body: { name: string; currency: string; isProxy?: boolean } }>('/participants', {
    schema: { body: bodies.createParticipant },
    config: access.change({
      functions: ['PARTICIPANT_CREATE'],
      // A participant being created has no scoped grants yet: only an unscoped maker may ask.
      participant: none,
      summary: (r) => { const b = r.body as { name: string; currency: string }; return `create participant ${b.name} in ${b.currency}`; },
    }),
  }, async (request, reply) => {
    const { name, currency, isProxy } = request.body;
    return sendResult(reply, await registry.create({ name, currency, isProxy: isProxy ?? false }, actorName(request)), (p) => ({ status: 201, body: view(p) }));
  });

  app.get('/participants/limits', { schema: { querystring: query.limits }, config: access.privilege('LIMIT_READ', none) }, async (_request, reply) => {
    const [all, participants] = await Promise.all([limits.list(), registry.list()]);
    const names = new Map(participants.map((p) => [p.participant.id, p.participant.name]));
    return reply.send(all.map((limit) => ({ name: names.get(limit.participant_id), ...limitView(limit) })));
  });

  app.get<{ Params: NameParams }>('/participants/:name', { schema: { params: params.name }, config: access.privilege('PARTICIPANT_READ') }, async (request, reply) => {
    const found = await participantOr404(registry, request.params.name, reply);
    return found === undefined ? reply : reply.send(view(found));
  });

  app.put<{ Params: NameParams; Body: { isActive: boolean } }>('/participants/:name', {
    schema: { params: params.name, body: bodies.isActive },
    config: access.change({ functions: ['PARTICIPANT_STATUS'], summary: (r) => `${(r.body as { isActive: boolean }).isActive ? 'activate' : 'deactivate'} participant ${(r.params as NameParams).name}` }),
  }, async (request, reply) =>
    sendResult(reply, await registry.setActive(request.params.name, request.body.isActive), (p) => ({ status: 200, body: view(p) })));
}

/** Accounts: the hub opens its own accounts here; participants get theirs with POST /participants. */
function registerAccountRoutes(app: FastifyInstance, deps: ParticipantRouteDeps): void {
  const { registry } = deps;
  const view = (p: ParticipantWithAccounts) => participantView(p, deps.config.publicUrl);
  app.post<{ Params: NameParams; Body: { currency: string; type: 'HUB_MULTILATERAL_SETTLEMENT' | 'HUB_RECONCILIATION' } }>('/participants/:name/accounts', { schema: { params: params.name, body: bodies.hubAccount }, config: access.privilege('HUB_ACCOUNT_CREATE') }, async (request, reply) => {
    const found = await participantOr404(registry, request.params.name, reply);
    if (found === undefined) return reply;
    if (found.participant.is_hub !== 1) return sendFailure(reply, { code: '3000', detail: 'only the hub opens accounts here; add a currency to a participant with POST /participants' });
    const created = await registry.createHubAccount(request.body.currency, request.body.type, actorName(request));
    if (!created.ok) return sendFailure(reply, created.error);
    const updated = await registry.get(found.participant.name);
    return reply.code(201).send(updated === undefined ? undefined : view(updated));
  });

  app.get<{ Params: NameParams }>('/participants/:name/accounts', { schema: { params: params.name }, config: access.privilege('ACCOUNT_READ') }, async (request, reply) => {
    const found = await participantOr404(registry, request.params.name, reply);
    return found === undefined ? reply : reply.send(found.accounts.map(accountBalanceView));
  });

  app.put<{ Params: AccountParams; Body: { isActive: boolean } }>('/participants/:name/accounts/:id', {
    schema: { params: params.account, body: bodies.isActive },
    config: access.change({ functions: ['ACCOUNT_STATUS'], summary: (r) => { const p = r.params as AccountParams; return `${(r.body as { isActive: boolean }).isActive ? 'activate' : 'deactivate'} account ${p.id} of ${p.name}`; } }),
  }, async (request, reply) =>
    sendResult(reply, await registry.setAccountActive(request.params.name, Number(request.params.id), request.body.isActive), () => ({ status: 200 })));
}

/** Funds in and funds out (reserve), then commit or abort. */
function registerFundsRoutes(app: FastifyInstance, deps: ParticipantRouteDeps): void {
  const { registry, funds } = deps;
  app.post<{ Params: AccountParams; Body: { transferId: string; externalReference: string; action: 'recordFundsIn' | 'recordFundsOutPrepareReserve'; reason: string; amount: { amount: Amount; currency: string } } }>(
    '/participants/:name/accounts/:id',
    {
      schema: { params: params.account, body: bodies.funds },
      config: access.change({
        functions: ['FUNDS_IN', 'FUNDS_OUT'],
        functionOf: (r) => ((r.body as { action: string }).action === 'recordFundsIn' ? 'FUNDS_IN' : 'FUNDS_OUT'),
        summary: (r) => {
          const b = r.body as { action: string; amount: { amount: Amount; currency: string }; transferId: string };
          const p = r.params as AccountParams;
          return `${b.action} ${amountText(b.amount.amount)} ${b.amount.currency} ${b.action === 'recordFundsIn' ? 'into' : 'out of'} ${p.name} account ${p.id} (transfer ${b.transferId})`;
        },
      }),
    },
    async (request, reply) => {
      const own = await ownAccountOr404(registry, request.params.name, request.params.id, reply);
      if (own === undefined) return reply;
      const { accountId } = own;
      const body = request.body;
      const fundsRequest = {
        transferId: body.transferId,
        accountId,
        amount: amountText(body.amount.amount),
        currency: body.amount.currency,
        reason: body.reason,
        externalReference: body.externalReference,
        createdBy: actorName(request),
        requestHash: canonicalHash({ ...body, amount: { amount: amountText(body.amount.amount), currency: body.amount.currency } }),
      };
      const result = body.action === 'recordFundsIn' ? await funds.recordFundsIn(fundsRequest) : await funds.recordFundsOutPrepareReserve(fundsRequest);
      return sendResult(reply, asFspiopResult(result), () => ({ status: 202 }));
    },
  );

  app.put<{ Params: AccountTransferParams; Body: { action: 'recordFundsOutCommit' | 'recordFundsOutAbort'; reason: string } }>(
    '/participants/:name/accounts/:id/transfers/:transferId',
    { schema: { params: params.accountTransfer, body: bodies.fundsDecision }, config: access.anyPrivilege(['FUNDS_OUT_COMMIT', 'FUNDS_OUT_ABORT']) },
    async (request, reply) => {
      const own = await ownAccountOr404(registry, request.params.name, request.params.id, reply);
      if (own === undefined) return reply;
      const { accountId } = own;
      const { action, reason } = request.body;
      const decide = action === 'recordFundsOutCommit' ? funds.recordFundsOutCommit : funds.recordFundsOutAbort;
      return sendResult(reply, asFspiopResult(await decide(request.params.transferId, accountId, reason, actorName(request))), () => ({ status: 202 }));
    },
  );

  /** Interlock addition: the state of an admin funds transfer (central-ledger has no such read). */
  app.get<{ Params: AccountTransferParams }>('/participants/:name/accounts/:id/transfers/:transferId', { schema: { params: params.accountTransfer }, config: access.privilege('ACCOUNT_READ') }, async (request, reply) => {
    const own = await ownAccountOr404(registry, request.params.name, request.params.id, reply);
    if (own === undefined) return reply;
    const state = await funds.fundsStateOn(request.params.transferId, own.accountId);
    if (state === undefined) return sendFailure(reply, { code: '3208', detail: `no funds transfer ${request.params.transferId} on account ${request.params.id}` });
    return reply.send({ transferId: request.params.transferId, transferState: state });
  });
}

/** Endpoints. */
function registerEndpointRoutes(app: FastifyInstance, deps: ParticipantRouteDeps): void {
  const { registry } = deps;
  app.get<{ Params: NameParams }>('/participants/:name/endpoints', { schema: { params: params.name }, config: access.privilege('ENDPOINT_READ') }, async (request, reply) =>
    sendResult(reply, await registry.listEndpoints(request.params.name), (rows) => ({ status: 200, body: rows })));

  app.post<{ Params: NameParams; Body: { type: string; value: string } }>('/participants/:name/endpoints', {
    schema: { params: params.name, body: bodies.endpoint },
    config: access.change({
      functions: ['ENDPOINT_CHANGE'],
      summary: (r) => { const b = r.body as { type: string; value: string }; return `set ${(r.params as NameParams).name}'s ${b.type} to ${b.value}`; },
      refusal: (r) => { const b = r.body as { type: string; value: string }; return endpointRefusal(deps.callbackAddresses, b.type, b.value); },
    }),
  }, async (request, reply) => {
    // Again at approval: the name may resolve elsewhere by now.
    const refusal = await endpointRefusal(deps.callbackAddresses, request.body.type, request.body.value);
    if (refusal !== undefined) return sendFailure(reply, refusal);
    return sendResult(reply, await registry.setEndpoint(request.params.name, request.body.type, request.body.value), () => ({ status: 201 }));
  });
}

/** Limits. */
function registerLimitRoutes(app: FastifyInstance, deps: ParticipantRouteDeps): void {
  const { registry, limits } = deps;
  app.post<{ Params: NameParams; Body: { currency: string; limit: { type: 'NET_DEBIT_CAP'; value: Amount }; initialPosition?: Amount } }>(
    '/participants/:name/initialPositionAndLimits',
    {
      schema: { params: params.name, body: bodies.initialPositionAndLimits },
      config: access.change({
        functions: ['INITIAL_POSITION_AND_LIMITS'],
        summary: (r) => {
          const b = r.body as { currency: string; limit: { value: Amount }; initialPosition?: Amount };
          return `${(r.params as NameParams).name}: net debit cap ${amountText(b.limit.value)} ${b.currency}, opening position ${b.initialPosition === undefined ? '0' : amountText(b.initialPosition)}`;
        },
      }),
    },
    async (request, reply) => {
      const found = await participantOr404(registry, request.params.name, reply);
      if (found === undefined) return reply;
      const { currency, limit, initialPosition } = request.body;
      const cap = parseAmount(amountText(limit.value), currency, { allowZero: true });
      if (!cap.ok) return sendFailure(reply, { code: '3100', detail: `limit.value: ${cap.error}` });
      const opening = initialPosition === undefined ? ok(0n) : parseSignedAmount(amountText(initialPosition), currency);
      if (!opening.ok) return sendFailure(reply, { code: '3100', detail: `initialPosition: ${opening.error}` });
      const result = await limits.initialPositionAndLimits({
        participantId: found.participant.id, currency, netDebitCapMinor: cap.value, alarmPercentage: DEFAULT_ALARM_PERCENTAGE,
        initialPositionMinor: opening.value, createdBy: actorName(request),
      });
      return sendResult(reply, asFspiopResult(result), () => ({ status: 201 }));
    },
  );

  app.get<{ Params: NameParams; Querystring: { currency?: string } }>('/participants/:name/limits', { schema: { params: params.name, querystring: query.limits }, config: access.privilege('LIMIT_READ') }, async (request, reply) => {
    const found = await participantOr404(registry, request.params.name, reply);
    if (found === undefined) return reply;
    const rows = (await limits.list(found.participant.id)).filter((l) => request.query.currency === undefined || l.currency === request.query.currency);
    return reply.send(rows.map(limitView));
  });

  app.put<{ Params: NameParams; Body: { currency: string; limit: { type: 'NET_DEBIT_CAP'; value: Amount; alarmPercentage?: number } } }>(
    '/participants/:name/limits',
    {
      schema: { params: params.name, body: bodies.limits },
      config: access.change({
        functions: ['NDC_CHANGE'],
        summary: (r) => { const b = r.body as { currency: string; limit: { value: Amount } }; return `${(r.params as NameParams).name}: net debit cap ${amountText(b.limit.value)} ${b.currency}`; },
      }),
    },
    async (request, reply) => {
      const found = await participantOr404(registry, request.params.name, reply);
      if (found === undefined) return reply;
      const { currency, limit } = request.body;
      const cap = parseAmount(amountText(limit.value), currency, { allowZero: true });
      if (!cap.ok) return sendFailure(reply, { code: '3100', detail: `limit.value: ${cap.error}` });
      const change = { participantId: found.participant.id, currency, netDebitCapMinor: cap.value, alarmPercentage: limit.alarmPercentage ?? DEFAULT_ALARM_PERCENTAGE };
      return sendResult(reply, asFspiopResult(await limits.setNetDebitCap(change)), () => ({
        status: 200,
        body: { currency, limit: { type: limit.type, value: JSON.parse(amountText(limit.value)) as unknown, alarmPercentage: change.alarmPercentage } },
      }));
    },
  );
}

/** Positions. */
function registerPositionRoutes(app: FastifyInstance, { registry }: ParticipantRouteDeps): void {
  app.get<{ Params: NameParams; Querystring: { currency?: string } }>('/participants/:name/positions', { schema: { params: params.name, querystring: query.currency }, config: access.privilege('ACCOUNT_READ') }, async (request, reply) => {
    const found = await participantOr404(registry, request.params.name, reply);
    if (found === undefined) return reply;
    const positions = found.accounts.filter((a) => a.type === 'POSITION');
    const wanted = request.query.currency;
    if (wanted === undefined) return reply.send(positions.map(positionView));
    const position = positions.find((a) => a.currency === wanted);
    if (position === undefined) return sendFailure(reply, { code: '3200', detail: `participant ${found.participant.name} has no ${wanted} position` });
    return reply.send(positionView(position));
  });
}

/** Central-ledger's default alarm percentage for a net debit cap. */
const DEFAULT_ALARM_PERCENTAGE = 10;

/** An opening position may be negative (a net creditor); its magnitude follows the Amount rules. */
function parseSignedAmount(text: string, currency: string): Result<bigint, string> {
  const negative = text.startsWith('-');
  const parsed = parseAmount(negative ? text.slice(1) : text, currency, { allowZero: true });
  return parsed.ok ? ok(negative ? -parsed.value : parsed.value) : err(parsed.error);
}
