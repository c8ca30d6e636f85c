// Access control for every admin route, deny by default.
//
// Each route declares its access in its options (config.access): public (with
// the reason), any signed-in principal (self-service), one privilege, or a
// maker-checker function. A route that declares nothing stops the start
// (onRoute throws), and a test walks every route to prove it refuses a
// request without a valid token or without the privilege.
//
// For each request, in order:
//   onRequest   the bearer token is verified (jose: issuer, audience,
//               algorithm, type, expiry) and the principal and its grants read
//               from the database; the route's privilege is checked (or, for a
//               maker-checker route, that the principal may request any of its
//               functions). 401 without a valid token, 403 without the
//               privilege, both audited.
//   preHandler  a maker-checker route's body is valid by now: its function is
//               known, the maker's _REQUEST privilege for the participant is
//               checked, and the request becomes a change request: 202 with
//               the change request, the handler does not run. When the request
//               is the replay of an approved change request (executor.ts), the
//               handler runs instead.
//   handler     runs with the request's authority in the domain guards'
//               AsyncLocalStorage (rbac/guard.ts): the second check. Every
//               transaction a state-changing domain call runs carries the
//               action's audit entry (recordChange), so the change and its
//               entry commit together or not at all.
//   onSend      an action that left no entry in a transaction (a read, a
//               failure, a refusal by the handler) is audited before it is
//               answered; if that fails, the answer is 503 instead.
//
// Every refusal is audited before it is answered, too. Nothing is audited in
// the background: an action the audit log cannot record fails (503).
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Clock } from '../support/index.ts';
import { ok } from '../support/index.ts';
import { errorInformation, type Failure, sendFailure } from '../fspiop/index.ts';
import { actorOf, AuditUnavailableError, recordInTransactionOrFail, recordOrRefuse, type AdminAuditEvent, type AdminAuditSink, type AuditResult, type AuditTransaction } from './audit_events.ts';
import { changeRequestView, type ChangeRequests, type StoredRequest } from './change_requests/service.ts';
import { EXECUTION_HEADER, type Executions } from './change_requests/executor.ts';
import type { Iam } from './iam/iam.ts';
import { BEARER_TOKEN_LENGTH_MAX } from '../identity/index.ts';
import { decide, decideAny, type Decision, type Principal } from './rbac/authorize.ts';
import { withAuthority, type Authority } from './rbac/guard.ts';
import type { Exclusion } from './rbac/sod.ts';
import { isPrivilege, requestPrivilege, type ChangeFunction, type Privilege } from './rbac/privileges.ts';

export type ParticipantOf = (request: FastifyRequest) => string | undefined;

export type RouteAccess =
  | { readonly kind: 'public'; readonly reason: string }
  | { readonly kind: 'authenticated' }
  /** Any of several privileges at the route (the body says which); the domain guard checks the exact one. */
  | { readonly kind: 'anyPrivilege'; readonly privileges: readonly Privilege[]; readonly participant?: ParticipantOf }
  | {
    readonly kind: 'privilege';
    readonly privilege: Privilege;
    readonly participant?: ParticipantOf;
    /** Let in a holder of the privilege for any participant: the handler checks the scope against what it loads. */
    readonly anyScope?: boolean;
  }
  | {
    readonly kind: 'change';
    /** Every function the route may become; `functionOf` picks one from the valid body when there are several. */
    readonly functions: readonly [ChangeFunction, ...ChangeFunction[]];
    readonly functionOf?: (request: FastifyRequest) => ChangeFunction;
    readonly participant?: ParticipantOf;
    /** One line a checker reads before deciding. */
    readonly summary: (request: FastifyRequest) => string;
    /**
     * Why the command would be refused, asked when the change is requested (with the maker's
     * authority, reads only): a request the hub would refuse is answered at once, with its
     * reason, and never reaches a checker. The command checks again when it runs.
     */
    readonly refusal?: (request: FastifyRequest) => Promise<Failure | undefined>;
    /**
     * Requests of the route that move no money and run at once for a holder of a privilege (a settlement's
     * steps that only record): `when` picks the privilege from the valid body, or undefined for a change request.
     */
    readonly direct?: { readonly privileges: readonly Privilege[]; readonly when: (request: FastifyRequest) => Privilege | undefined };
  };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /** Shorthand some modules use (the audit log's routes): one privilege, for no particular participant. */
    privilege?: string;
  }
  interface FastifyRequest {
    authority?: Authority;
    /** Entries this request's action has in committed or running transactions: none means onSend records it. */
    recordedInTransaction?: number;
    /** The handler recorded the action itself (a refusal, a change request's step): onSend adds nothing. */
    actionRecorded?: boolean;
    /** A change route's request that runs at once under this privilege (RouteAccess change.direct). */
    directPrivilege?: Privilege;
  }
}

/** The path's participant (:name), the default subject of a route. */
export const participantParam: ParticipantOf = (request) => (request.params as { name?: string } | undefined)?.name;

/** Route options' `config` for each kind of access. */
export const access = {
  public: (reason: string) => ({ access: { kind: 'public', reason } as const }),
  authenticated: () => ({ access: { kind: 'authenticated' } as const }),
  privilege: (privilege: Privilege, participant: ParticipantOf = participantParam) => ({ access: { kind: 'privilege', privilege, participant } as const }),
  anyPrivilege: (privileges: readonly Privilege[], participant: ParticipantOf = participantParam) => ({ access: { kind: 'anyPrivilege', privileges, participant } as const }),
  /** The privilege in any scope; the handler checks the scope of what it acts on (a change request's participant). */
  privilegeAnyScope: (privilege: Privilege) => ({ access: { kind: 'privilege', privilege, anyScope: true } as const }),
  change: (spec: Omit<Extract<RouteAccess, { kind: 'change' }>, 'kind'>) => ({ access: { kind: 'change', participant: participantParam, ...spec } as const }),
};

export interface DeclaredRoute {
  readonly method: string;
  readonly url: string;
  readonly access: RouteAccess;
}

export interface AccessControlDeps {
  iam: Iam;
  /**
   * Access of routes registered by modules that do not declare it themselves
   * (the scheme PKI's), keyed "METHOD /path"; a route in neither place stops the start.
   */
  declaredElsewhere: ReadonlyMap<string, RouteAccess>;
  changeRequests: ChangeRequests;
  executions: Executions;
  audit: AdminAuditSink;
  clock: Clock;
  /** Whether a participant exists: a change request about one that does not is refused at once (3200). */
  participantExists: (name: string) => Promise<boolean>;
  /**
   * Whether the maker is the bootstrap administrator acting before anyone
   * else could approve (bootstrap.ts); such a request runs at once, recorded as such.
   */
  bootstrapMayActAlone: (maker: Principal, fn: ChangeFunction, request: StoredRequest) => Promise<boolean>;
  /** Approves a change request for the bootstrap, runs it, and answers its view. */
  runBootstrapRequest: (changeRequestId: string) => Promise<unknown>;
}

const AUTH_CHALLENGE = 'Bearer realm="interlock-admin"';

function unauthorized(reply: FastifyReply, detail: string, error: 'invalid_request' | 'invalid_token'): unknown {
  void reply.header('www-authenticate', `${AUTH_CHALLENGE}, error="${error}"`);
  return sendFailure(reply, { code: '3000', detail, httpStatus: 401 });
}

function routeName(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0] ?? ''}`;
}

export { actorOf };

/** The principal with every grant's scope lifted: "holds the privilege for some participant". */
function unscoped(principal: Principal): Principal {
  return { ...principal, grants: principal.grants.map((g) => ({ ...g, participant: null })) };
}

function participantOf(routeAccess: RouteAccess, request: FastifyRequest): string | undefined {
  if (routeAccess.kind === 'public' || routeAccess.kind === 'authenticated') return undefined;
  return routeAccess.participant?.(request);
}

interface EventExtra { detail?: string; changeRequestId?: string; participant?: string | undefined }

function eventOf(clock: Clock, request: FastifyRequest, principal: Principal | undefined, action: string, result: AuditResult, extra: EventExtra = {}): AdminAuditEvent {
  return {
    timeMs: clock.nowMs(),
    actor: actorOf(principal),
    action,
    target: {
      route: routeName(request),
      ...(extra.participant === undefined ? {} : { participant: extra.participant }),
      ...(extra.changeRequestId === undefined ? {} : { changeRequestId: extra.changeRequestId }),
    },
    result,
    ...(extra.detail === undefined ? {} : { detail: extra.detail }),
    sourceAddress: request.ip,
  };
}

/** Records an action that changed nothing; throws AuditUnavailableError (answered 503) if it cannot be. */
async function emit(deps: AccessControlDeps, request: FastifyRequest, principal: Principal | undefined, action: string, result: AuditResult, extra: EventExtra = {}): Promise<void> {
  await recordOrRefuse(deps.audit, eventOf(deps.clock, request, principal, action, result, extra));
}

/** The authority's recorder of state changes: the request's action, in each transaction a guarded write runs. */
function changeRecorder(deps: AccessControlDeps, request: FastifyRequest, principal: Principal | undefined, action: string, participant: string | undefined, changeRequestId?: string) {
  return async (tx: AuditTransaction, call: string, facts: readonly unknown[]): Promise<void> => {
    const event = eventOf(deps.clock, request, principal, action, 'succeeded', { detail: call, participant, ...(changeRequestId === undefined ? {} : { changeRequestId }) });
    await recordInTransactionOrFail(deps.audit, tx, facts.length === 0 ? event : { ...event, after: facts });
    request.recordedInTransaction = (request.recordedInTransaction ?? 0) + 1;
  };
}

function actionOf(routeAccess: RouteAccess): string {
  switch (routeAccess.kind) {
    case 'public': return 'PUBLIC';
    case 'authenticated': return 'SELF_SERVICE';
    case 'privilege': return routeAccess.privilege;
    case 'anyPrivilege': return routeAccess.privileges.join('|');
    case 'change': return routeAccess.functions.map(requestPrivilege).join('|');
  }
}

/** onRoute: every route declares its access (or is refused at start), and its handler runs with the request's authority. */
function declareRoute(deps: AccessControlDeps, declared: DeclaredRoute[], route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  // HEAD routes are Fastify's copies of GET routes.
  const method = methods[0] === 'HEAD' ? 'GET' : methods[0] ?? '';
  const shorthand = route.config?.privilege;
  const routeAccess = route.config?.access ?? deps.declaredElsewhere.get(`${method} ${route.url}`)
    ?? (isPrivilege(shorthand) ? { kind: 'privilege', privilege: shorthand, participant: () => undefined } satisfies RouteAccess : undefined);
  if (shorthand !== undefined && !isPrivilege(shorthand)) throw new Error(`admin route ${route.url} declares an unknown privilege ${shorthand}`);
  if (routeAccess !== undefined && route.config?.access === undefined) route.config = { ...route.config, access: routeAccess };
  if (routeAccess === undefined) throw new Error(`admin route ${methods.join(',')} ${route.url} declares no access (config.access): every route must`);
  for (const each of methods) declared.push({ method: each, url: route.url, access: routeAccess });
  const handler = route.handler;
  route.handler = function guardedHandler(this: FastifyInstance, request, reply) {
    const authority = request.authority;
    // onRequest sets the authority for every declared route; reaching here without one is a bug.
    if (authority === undefined) throw new Error(`admin route ${route.url}: no authority`);
    return withAuthority(authority, () => handler.call(this, request, reply));
  };
}

/** onRequest, for a request carrying an execution token: the approved change request's authority, or a refusal. */
async function executionAuthority(deps: AccessControlDeps, request: FastifyRequest, reply: FastifyReply, routeAccess: RouteAccess, execution: string): Promise<unknown> {
  const participant = participantOf(routeAccess, request);
  const running = deps.executions.take(execution);
  const path = request.url.split('?')[0];
  if (running === undefined || routeAccess.kind !== 'change' || running.method !== request.method || running.url !== path) {
    await emit(deps, request, undefined, actionOf(routeAccess), 'refused', { detail: 'an execution token that is not this request\'s' });
    return unauthorized(reply, 'invalid execution token', 'invalid_token');
  }
  const maker: Principal = { kind: running.maker.kind === 'operator' || running.maker.kind === 'client' || running.maker.kind === 'external' ? running.maker.kind : 'operator', id: running.maker.id, name: running.maker.name, grants: [] };
  request.authority = {
    principal: maker, participant, exclusions: [], execution: { changeRequestId: running.changeRequestId, fn: running.fn },
    recordChange: changeRecorder(deps, request, maker, `${running.fn}_EXECUTE`, participant, running.changeRequestId),
  };
  return undefined;
}

function routeDecision(routeAccess: RouteAccess, principal: Principal, participant: string | undefined, exclusions: readonly Exclusion[]): Decision {
  switch (routeAccess.kind) {
    case 'public':
    case 'authenticated': return ok(undefined);
    case 'privilege': return decide(routeAccess.anyScope === true ? unscoped(principal) : principal, routeAccess.privilege, participant, exclusions);
    case 'anyPrivilege': return decideAny(principal, routeAccess.privileges, participant, exclusions);
    case 'change': return decideAny(principal, [...routeAccess.functions.map(requestPrivilege), ...(routeAccess.direct?.privileges ?? [])], participant, exclusions);
  }
}

/** onRequest, for a request with a bearer token: the caller's authority if the route lets it in, or a refusal. */
async function tokenAuthority(deps: AccessControlDeps, request: FastifyRequest, reply: FastifyReply, routeAccess: RouteAccess): Promise<unknown> {
  const { iam } = deps;
  const participant = participantOf(routeAccess, request);
  const header = request.headers.authorization;
  if (header === undefined) {
    await emit(deps, request, undefined, actionOf(routeAccess), 'refused', { detail: 'no token', participant });
    return unauthorized(reply, 'a bearer token is required', 'invalid_request');
  }
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
  if (match?.[1] === undefined || match[1].length > BEARER_TOKEN_LENGTH_MAX) {
    await emit(deps, request, undefined, actionOf(routeAccess), 'refused', { detail: 'malformed Authorization header', participant });
    return unauthorized(reply, 'the Authorization header must be "Bearer <token>"', 'invalid_request');
  }
  const check = await iam.verify(match[1]);
  if (!check.ok) {
    await emit(deps, request, undefined, actionOf(routeAccess), 'refused', { detail: `token ${check.error.reason}: ${check.error.detail}`, participant });
    return unauthorized(reply, check.error.detail, 'invalid_token');
  }
  const resolved = await iam.principalOf(check.value);
  if (!resolved.ok) {
    await emit(deps, request, undefined, actionOf(routeAccess), 'refused', { detail: resolved.error, participant });
    return unauthorized(reply, resolved.error, 'invalid_token');
  }
  const principal = resolved.value;
  const exclusions = await iam.rbac.exclusions();
  const decision = routeDecision(routeAccess, principal, participant, exclusions);
  if (!decision.ok) {
    await emit(deps, request, principal, actionOf(routeAccess), 'refused', { detail: `${decision.error.refusal}: ${decision.error.detail}`, participant });
    return sendFailure(reply, { code: '3000', detail: decision.error.detail, httpStatus: 403 });
  }
  request.authority = { principal, participant, exclusions, recordChange: changeRecorder(deps, request, principal, actionOf(routeAccess), participant) };
  return undefined;
}

/** onRequest: who calls, and whether the route lets them in. */
async function authenticate(deps: AccessControlDeps, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const routeAccess = request.routeOptions.config.access;
  // Not a declared route: the not-found handler answers 3002.
  if (routeAccess === undefined) return undefined;
  const execution = request.headers[EXECUTION_HEADER];
  if (typeof execution === 'string') return executionAuthority(deps, request, reply, routeAccess, execution);
  if (routeAccess.kind === 'public') {
    request.authority = { principal: undefined, participant: participantOf(routeAccess, request), exclusions: [] };
    return undefined;
  }
  return tokenAuthority(deps, request, reply, routeAccess);
}

/** preHandler: a change route's request becomes a change request instead of running (but for the bootstrap administrator alone). */
async function submitChange(deps: AccessControlDeps, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const routeAccess = request.routeOptions.config.access;
  const authority = request.authority;
  if (routeAccess?.kind !== 'change' || authority === undefined || authority.execution !== undefined) return undefined;
  const principal = authority.principal;
  // onRequest let only a principal through to a change route.
  if (principal === undefined) throw new Error('change route without a principal');
  const participant = participantOf(routeAccess, request);
  const direct = routeAccess.direct?.when(request);
  if (direct !== undefined) return runDirect(deps, request, reply, { principal, authority, privilege: direct, participant });
  const fn = routeAccess.functionOf?.(request) ?? routeAccess.functions[0];
  // The path's :name is a participant only on routes about one (a settlement model's :name is not).
  const name = routeAccess.participant === participantParam ? participantParam(request) : undefined;
  if (name !== undefined && !(await deps.participantExists(name))) {
    await emit(deps, request, principal, requestPrivilege(fn), 'refused', { detail: `participant ${name} does not exist`, participant });
    return sendFailure(reply, { code: '3200', detail: `participant ${name} does not exist` });
  }
  const refused = routeAccess.refusal === undefined ? undefined : await withAuthority(authority, () => routeAccess.refusal?.(request));
  if (refused !== undefined) {
    await emit(deps, request, principal, requestPrivilege(fn), 'refused', { detail: refused.detail, participant });
    return sendFailure(reply, refused);
  }
  const stored: StoredRequest = { method: request.method, url: request.url.split('?')[0] ?? request.url, ...(request.body === undefined ? {} : { body: request.body }) };
  const submitted = await deps.changeRequests.submit({
    fn,
    route: routeName(request),
    request: stored,
    summary: routeAccess.summary(request),
    participant: participant ?? null,
    maker: principal,
    sourceAddress: request.ip,
  });
  if (!submitted.ok) {
    await emit(deps, request, principal, requestPrivilege(fn), 'refused', { detail: submitted.error.detail, participant });
    return sendFailure(reply, submitted.error);
  }
  // Recorded (pending approval) in the transaction that stored it.
  const cr = submitted.value;
  if (await deps.bootstrapMayActAlone(principal, fn, stored)) {
    return reply.code(200).header('location', `/changeRequests/${cr.id}`).send(await deps.runBootstrapRequest(cr.id));
  }
  return reply.code(202).header('location', `/changeRequests/${cr.id}`).send(changeRequestView(cr));
}

/** preHandler, for a change route's request that moves no money: runs at once for a holder of its privilege. */
async function runDirect(deps: AccessControlDeps, request: FastifyRequest, reply: FastifyReply, run: { principal: Principal; authority: Authority; privilege: Privilege; participant: string | undefined }): Promise<unknown> {
  const { principal, authority, privilege, participant } = run;
  const decision = decide(principal, privilege, participant, authority.exclusions);
  if (!decision.ok) {
    await emit(deps, request, principal, privilege, 'refused', { detail: `${decision.error.refusal}: ${decision.error.detail}`, participant });
    return sendFailure(reply, { code: '3000', detail: decision.error.detail, httpStatus: 403 });
  }
  request.directPrivilege = privilege;
  request.authority = { ...authority, recordChange: changeRecorder(deps, request, principal, privilege, participant) };
  return undefined;
}

/** onSend: the action's outcome, unless it is recorded already; an outcome that cannot be recorded is answered 503. */
async function recordAnswer(deps: AccessControlDeps, request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const routeAccess = request.routeOptions.config.access;
  const authority = request.authority;
  // Public reads (health, CRLs, JWKS) are not actions; refusals and change submissions were audited when made.
  if (routeAccess === undefined || routeAccess.kind === 'public' || authority === undefined) return payload;
  if (routeAccess.kind === 'change' && authority.execution === undefined && request.directPrivilege === undefined) return payload;
  const result: AuditResult = reply.statusCode < 400 ? 'succeeded' : 'failed';
  // A change whose entry committed with it is recorded already, and so is what the handler recorded itself.
  if (request.actionRecorded === true || (result === 'succeeded' && (request.recordedInTransaction ?? 0) > 0)) return payload;
  const action = authority.execution === undefined ? request.directPrivilege ?? actionOf(routeAccess) : `${authority.execution.fn}_EXECUTE`;
  try {
    await emit(deps, request, authority.principal, action, result, {
      participant: authority.participant,
      ...(authority.execution === undefined ? {} : { changeRequestId: authority.execution.changeRequestId }),
      ...(result === 'failed' ? { detail: `HTTP ${reply.statusCode}` } : {}),
    });
    return payload;
  } catch (error) {
    if (!(error instanceof AuditUnavailableError)) throw error;
    request.log.error({ err: error }, 'an admin action could not be audited: answered 503 instead');
    void reply.code(503).header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify(errorInformation({ code: '2003', detail: 'the audit log could not record this action; try again later' }));
  }
}

/**
 * Installs the hooks; call before registering any route. Returns the table of
 * declared routes (for the test that proves each refuses).
 */
export function installAccessControl(app: FastifyInstance, deps: AccessControlDeps): DeclaredRoute[] {
  const declared: DeclaredRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => { declareRoute(deps, declared, route); });
  app.addHook('onRequest', (request, reply) => authenticate(deps, request, reply));
  app.addHook('preHandler', (request, reply) => submitChange(deps, request, reply));
  app.addHook('onSend', (request, reply, payload) => recordAnswer(deps, request, reply, payload));
  return declared;
}

/** Who a handler acts for, as the domain's created_by columns record it: the maker of an approved change request, or the caller. */
export function actorName(request: FastifyRequest): string {
  return request.authority?.principal?.name ?? 'admin-api';
}
