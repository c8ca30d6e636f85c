// /settlementWindows and /settlements, as central-settlement serves them.
//
// Closing a window, creating a settlement, recording its transfers and
// confirming it SETTLED are privileges of their own and run at once: they move
// no money. Reserving and committing the participants' settlement movements,
// and aborting a settlement (which releases what was reserved), move money:
// each becomes a change request that a second person approves, and the
// approval replays the request through the same route (change_requests/).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendFailure, sendResult, type Failure } from '../fspiop/index.ts';
import { isWindowState, SETTLEMENT_STATES, SETTLEMENT_WINDOWS_MAX, type AccountUpdate, type SettlementFilter, type Settlements, type SettlementState, type SettlementStep, type SettlementWindows, type WindowFilter } from '../settlement/index.ts';
import { parseDateTimeMs } from '../support/index.ts';
import { access, actorName } from './access.ts';
import type { ChangeFunction, Privilege } from './rbac/privileges.ts';
import { settlementStepView, settlementView, settlementWindowView } from './views.ts';

const none = () => undefined;
const id = { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } as const;
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
const STEP_STATES = ['PENDING_SETTLEMENT', 'PS_TRANSFERS_RECORDED', 'PS_TRANSFERS_RESERVED', 'PS_TRANSFERS_COMMITTED', 'SETTLED'] as const;
/** Most participants, and accounts each, one PUT may name. */
const PARTICIPANTS_PER_REQUEST_MAX = 1000;
const ACCOUNTS_PER_PARTICIPANT_MAX = 32;

const accountUpdate = {
  type: 'object', additionalProperties: false, required: ['id', 'state', 'reason'],
  properties: { id: { type: 'integer', minimum: 1 }, state: { type: 'string', enum: STEP_STATES }, reason: text(512), externalReference: text(256) },
} as const;
const accountsList = { type: 'array', minItems: 1, maxItems: ACCOUNTS_PER_PARTICIPANT_MAX, items: accountUpdate } as const;

const schemas = {
  windowParams: { type: 'object', required: ['id'], properties: { id } },
  settlementParams: { type: 'object', required: ['id'], properties: { id } },
  participantParams: { type: 'object', required: ['sid', 'pid'], properties: { sid: id, pid: id } },
  accountParams: { type: 'object', required: ['sid', 'pid', 'aid'], properties: { sid: id, pid: id, aid: id } },
  windowQuery: {
    type: 'object', additionalProperties: false,
    properties: { participantId: id, state: text(32), fromDateTime: text(40), toDateTime: text(40), currency: { type: 'string', pattern: '^[A-Z]{3}$' } },
  },
  settlementQuery: {
    type: 'object', additionalProperties: false,
    properties: {
      currency: { type: 'string', pattern: '^[A-Z]{3}$' }, participantId: id, settlementWindowId: id, accountId: id, state: text(32),
      fromDateTime: text(40), toDateTime: text(40), fromSettlementWindowDateTime: text(40), toSettlementWindowDateTime: text(40),
    },
  },
  closeWindow: {
    type: 'object', additionalProperties: false, required: ['state', 'reason'],
    properties: { state: { type: 'string', enum: ['CLOSED'] }, reason: text(512) },
  },
  createSettlement: {
    type: 'object', additionalProperties: false, required: ['settlementModel', 'reason', 'settlementWindows'],
    properties: {
      settlementModel: text(50),
      reason: text(512),
      settlementWindows: {
        type: 'array', minItems: 1, maxItems: SETTLEMENT_WINDOWS_MAX,
        items: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
      },
    },
  },
  updateSettlement: {
    type: 'object', additionalProperties: false,
    properties: {
      state: { type: 'string', enum: ['ABORTED'] },
      reason: text(512),
      externalReference: text(256),
      participants: {
        type: 'array', minItems: 1, maxItems: PARTICIPANTS_PER_REQUEST_MAX,
        items: { type: 'object', additionalProperties: false, required: ['id', 'accounts'], properties: { id: { type: 'integer', minimum: 1 }, accounts: accountsList } },
      },
    },
    oneOf: [{ required: ['state', 'reason'], not: { required: ['participants'] } }, { required: ['participants'], not: { required: ['state'] } }],
  },
  updateParticipant: { type: 'object', additionalProperties: false, required: ['accounts'], properties: { accounts: accountsList } },
  updateAccount: {
    type: 'object', additionalProperties: false, required: ['state', 'reason'],
    properties: { state: { type: 'string', enum: STEP_STATES }, reason: text(512), externalReference: text(256) },
  },
} as const;

interface AccountBody { id: number; state: string; reason: string; externalReference?: string }
interface UpdateBody { state?: 'ABORTED'; reason?: string; externalReference?: string; participants?: { id: number; accounts: AccountBody[] }[]; accounts?: AccountBody[] }
interface UpdateParams { id?: string; sid?: string; pid?: string; aid?: string }

/** What a PUT on a settlement, one of its participants or one of its accounts asks: an abort, or accounts to move. */
function updateOf(request: FastifyRequest): { settlementId: number; abort?: { reason: string }; updates: AccountUpdate[] } {
  const params = request.params as UpdateParams;
  const body = request.body as UpdateBody & Partial<AccountBody>;
  const settlementId = Number(params.id ?? params.sid);
  if (body.state === 'ABORTED' && body.participants === undefined && params.pid === undefined) return { settlementId, abort: { reason: body.reason ?? '' }, updates: [] };
  const update = (participantId: number) => (a: AccountBody): AccountUpdate => ({ participantId, accountId: a.id, state: a.state, reason: a.reason, externalReference: a.externalReference });
  if (params.aid !== undefined) {
    return { settlementId, updates: [update(Number(params.pid))({ id: Number(params.aid), state: body.state ?? '', reason: body.reason ?? '', ...(body.externalReference === undefined ? {} : { externalReference: body.externalReference }) })] };
  }
  if (params.pid !== undefined) return { settlementId, updates: (body.accounts ?? []).map(update(Number(params.pid))) };
  return { settlementId, updates: (body.participants ?? []).flatMap((p) => p.accounts.map(update(p.id))) };
}

const STEP_OF_STATE: Readonly<Record<string, SettlementStep>> = {
  PENDING_SETTLEMENT: 'PS_TRANSFERS_RECORDED',
  PS_TRANSFERS_RECORDED: 'PS_TRANSFERS_RECORDED',
  PS_TRANSFERS_RESERVED: 'PS_TRANSFERS_RESERVED',
  PS_TRANSFERS_COMMITTED: 'PS_TRANSFERS_COMMITTED',
  SETTLED: 'SETTLED',
};

/** The one step a PUT takes (the highest it names: a request naming several states is refused at request time). */
function stepOf(updates: readonly AccountUpdate[]): SettlementStep {
  const steps = updates.map((u) => STEP_OF_STATE[u.state] ?? 'PS_TRANSFERS_RECORDED');
  const order: readonly SettlementStep[] = ['PS_TRANSFERS_RECORDED', 'PS_TRANSFERS_RESERVED', 'PS_TRANSFERS_COMMITTED', 'SETTLED'];
  return order[Math.max(...steps.map((s) => order.indexOf(s)))] ?? 'PS_TRANSFERS_RECORDED';
}

const DIRECT_STEPS: Partial<Record<SettlementStep, Privilege>> = { PS_TRANSFERS_RECORDED: 'SETTLEMENT_RECORD', SETTLED: 'SETTLEMENT_CONFIRM' };
const FUNCTION_OF_STEP: Partial<Record<SettlementStep, ChangeFunction>> = { PS_TRANSFERS_RESERVED: 'SETTLEMENT_RESERVE', PS_TRANSFERS_COMMITTED: 'SETTLEMENT_COMMIT' };

function functionOf(request: FastifyRequest): ChangeFunction {
  const { abort, updates } = updateOf(request);
  return abort !== undefined ? 'SETTLEMENT_ABORT' : FUNCTION_OF_STEP[stepOf(updates)] ?? 'SETTLEMENT_RESERVE';
}

function directPrivilege(request: FastifyRequest): Privilege | undefined {
  const { abort, updates } = updateOf(request);
  return abort === undefined ? DIRECT_STEPS[stepOf(updates)] : undefined;
}

function summaryOf(request: FastifyRequest): string {
  const { settlementId, abort, updates } = updateOf(request);
  if (abort !== undefined) return `abort settlement ${settlementId} (releases its reserved settlement movements): ${abort.reason}`;
  const step = stepOf(updates);
  const moves = step === 'PS_TRANSFERS_RESERVED' ? 'reserves each net amount against the senders\' settlement funds' : 'posts each net amount and resets the positions';
  return `move ${updates.length} account(s) of settlement ${settlementId} to ${step}: ${moves}`;
}

/** Refusals known when the change is requested: one state per request, and a settlement that exists and is not over. */
async function refusalOf(settlements: Settlements, request: FastifyRequest): Promise<Failure | undefined> {
  const { settlementId, updates } = updateOf(request);
  const states = new Set(updates.map((u) => STEP_OF_STATE[u.state]));
  if (states.size > 1) return { code: '3100', detail: 'one request moves accounts to one state' };
  const found = await settlements.get(settlementId);
  if (found === undefined) return { code: '3100', detail: `settlement ${settlementId} does not exist` };
  if (found.settlement.state === 'SETTLED' || found.settlement.state === 'ABORTED') return { code: '3100', detail: `settlement ${settlementId} is ${found.settlement.state}: nothing more can change` };
  return undefined;
}

function timeFilter(from: string | undefined, to: string | undefined): { fromMs?: number; toMs?: number } | Failure {
  const fromMs = from === undefined ? undefined : parseDateTimeMs(from);
  const toMs = to === undefined ? undefined : parseDateTimeMs(to);
  if ((from !== undefined && fromMs === undefined) || (to !== undefined && toMs === undefined)) return { code: '3101', detail: 'fromDateTime and toDateTime are ISO 8601 date-times' };
  return { ...(fromMs === undefined ? {} : { fromMs }), ...(toMs === undefined ? {} : { toMs }) };
}

export function registerSettlementRoutes(app: FastifyInstance, deps: { settlements: Settlements; windows: SettlementWindows }): void {
  registerWindowRoutes(app, deps.windows);
  registerSettlementReadRoutes(app, deps.settlements);
  registerSettlementUpdateRoutes(app, deps.settlements);
}

function registerWindowRoutes(app: FastifyInstance, windows: SettlementWindows): void {
  app.get<{ Querystring: { participantId?: string; state?: string; fromDateTime?: string; toDateTime?: string; currency?: string } }>('/settlementWindows', {
    schema: { querystring: schemas.windowQuery }, config: access.privilege('SETTLEMENT_READ', none),
  }, async (request, reply) => {
    const q = request.query;
    if (q.state !== undefined && !isWindowState(q.state)) return sendFailure(reply, { code: '3101', detail: `state ${q.state} is not a settlement window state` });
    const times = timeFilter(q.fromDateTime, q.toDateTime);
    if ('code' in times) return sendFailure(reply, times);
    const filter: WindowFilter = {
      ...times,
      ...(q.state === undefined || !isWindowState(q.state) ? {} : { state: q.state }),
      ...(q.participantId === undefined ? {} : { participantId: Number(q.participantId) }),
      ...(q.currency === undefined ? {} : { currency: q.currency }),
    };
    const found = await windows.list(filter);
    return found.length === 0 ? sendFailure(reply, { code: '3100', detail: 'no settlement window matches' }) : reply.send(found.map(settlementWindowView));
  });

  app.get<{ Params: { id: string } }>('/settlementWindows/:id', {
    schema: { params: schemas.windowParams }, config: access.privilege('SETTLEMENT_READ', none),
  }, async (request, reply) => {
    const found = await windows.get(Number(request.params.id));
    return found === undefined ? sendFailure(reply, { code: '3100', detail: `settlement window ${request.params.id} does not exist` }) : reply.send(settlementWindowView(found));
  });

  app.post<{ Params: { id: string }; Body: { state: 'CLOSED'; reason: string } }>('/settlementWindows/:id', {
    schema: { params: schemas.windowParams, body: schemas.closeWindow }, config: access.privilege('SETTLEMENT_WINDOW_CLOSE', none),
  }, async (request, reply) => {
    const closed = await windows.close(Number(request.params.id), request.body.reason, actorName(request));
    if (!closed.ok) return sendFailure(reply, closed.error);
    // central-settlement answers with the new window.
    return reply.send(settlementWindowView({ window: closed.value.opened, content: [] }));
  });
}

interface SettlementQuery { currency?: string; participantId?: string; settlementWindowId?: string; accountId?: string; state?: string; fromDateTime?: string; toDateTime?: string }

function registerSettlementReadRoutes(app: FastifyInstance, settlements: Settlements): void {
  app.get<{ Querystring: SettlementQuery }>('/settlements', { schema: { querystring: schemas.settlementQuery }, config: access.privilege('SETTLEMENT_READ', none) }, async (request, reply) => {
    const q = request.query;
    if (q.state !== undefined && !SETTLEMENT_STATES.includes(q.state as SettlementState)) return sendFailure(reply, { code: '3101', detail: `state ${q.state} is not a settlement state` });
    const times = timeFilter(q.fromDateTime, q.toDateTime);
    if ('code' in times) return sendFailure(reply, times);
    const filter: SettlementFilter = {
      ...times,
      ...(q.state === undefined ? {} : { state: q.state as SettlementState }),
      ...(q.currency === undefined ? {} : { currency: q.currency }),
      ...(q.participantId === undefined ? {} : { participantId: Number(q.participantId) }),
      ...(q.accountId === undefined ? {} : { accountId: Number(q.accountId) }),
      ...(q.settlementWindowId === undefined ? {} : { windowId: Number(q.settlementWindowId) }),
    };
    const found = await settlements.list(filter);
    return found.length === 0 ? sendFailure(reply, { code: '3100', detail: 'no settlement matches' }) : reply.send(found.map(settlementView));
  });

  app.post<{ Body: { settlementModel: string; reason: string; settlementWindows: { id: number }[] } }>('/settlements', {
    schema: { body: schemas.createSettlement }, config: access.privilege('SETTLEMENT_CREATE', none),
  }, async (request, reply) => {
    const { settlementModel, reason, settlementWindows } = request.body;
    const created = await settlements.create({ modelName: settlementModel, reason, windowIds: settlementWindows.map((w) => w.id) }, actorName(request));
    return sendResult(reply, created, (detail) => ({ status: 200, body: settlementView(detail) }));
  });

  app.get<{ Params: { id: string } }>('/settlements/:id', { schema: { params: schemas.settlementParams }, config: access.privilege('SETTLEMENT_READ', none) }, async (request, reply) => {
    const found = await settlements.get(Number(request.params.id));
    return found === undefined ? sendFailure(reply, { code: '3100', detail: `settlement ${request.params.id} does not exist` }) : reply.send(settlementView(found));
  });

  app.get<{ Params: UpdateParams }>('/settlements/:sid/participants/:pid', { schema: { params: schemas.participantParams }, config: access.privilege('SETTLEMENT_READ', none) }, async (request, reply) => {
    const found = await settlements.get(Number(request.params.sid));
    const view = found === undefined ? undefined : settlementView(found);
    const participant = view?.participants.find((p) => p.id === Number(request.params.pid));
    return participant === undefined || view === undefined
      ? sendFailure(reply, { code: '3100', detail: `settlement ${String(request.params.sid)} has no participant ${String(request.params.pid)}` })
      : reply.send({ ...view, participants: [participant] });
  });

  app.get<{ Params: UpdateParams }>('/settlements/:sid/participants/:pid/accounts/:aid', { schema: { params: schemas.accountParams }, config: access.privilege('SETTLEMENT_READ', none) }, async (request, reply) => {
    const found = await settlements.get(Number(request.params.sid));
    const view = found === undefined ? undefined : settlementView(found);
    const participant = view?.participants.find((p) => p.id === Number(request.params.pid));
    const account = participant?.accounts.find((a) => a.id === Number(request.params.aid));
    return account === undefined || view === undefined || participant === undefined
      ? sendFailure(reply, { code: '3100', detail: `settlement ${String(request.params.sid)} has no account ${String(request.params.aid)} of participant ${String(request.params.pid)}` })
      : reply.send({ ...view, participants: [{ ...participant, accounts: [account] }] });
  });
}

function registerSettlementUpdateRoutes(app: FastifyInstance, settlements: Settlements): void {
  const config = access.change({
    functions: ['SETTLEMENT_RESERVE', 'SETTLEMENT_COMMIT', 'SETTLEMENT_ABORT'],
    functionOf,
    participant: none,
    summary: summaryOf,
    refusal: (request) => refusalOf(settlements, request),
    direct: { privileges: ['SETTLEMENT_RECORD', 'SETTLEMENT_CONFIRM'], when: directPrivilege },
  });
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const { settlementId, abort, updates } = updateOf(request);
    const actor = actorName(request);
    if (abort !== undefined) return sendResult(reply, await settlements.abort(settlementId, abort.reason, actor), (detail) => ({ status: 200, body: settlementView(detail) }));
    const step = stepOf(updates);
    const run = { PS_TRANSFERS_RECORDED: settlements.record, PS_TRANSFERS_RESERVED: settlements.reserve, PS_TRANSFERS_COMMITTED: settlements.commit, SETTLED: settlements.confirm }[step];
    return sendResult(reply, await run(settlementId, updates, actor), (outcome) => ({ status: 200, body: settlementStepView(outcome) }));
  };
  app.put('/settlements/:id', { schema: { params: schemas.settlementParams, body: schemas.updateSettlement }, config }, handler);
  app.put('/settlements/:sid/participants/:pid', { schema: { params: schemas.participantParams, body: schemas.updateParticipant }, config }, handler);
  app.put('/settlements/:sid/participants/:pid/accounts/:aid', { schema: { params: schemas.accountParams, body: schemas.updateAccount }, config }, handler);
}
