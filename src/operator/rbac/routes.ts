// Roles, grants, separation-of-duties exclusions and approval policies, as
// the admin API manages them: reading needs OPERATOR_READ; every change is a
// change request.
//
//   GET  /privileges                           every privilege the code defines, with what it allows
//   GET  /roles                                roles and their privileges
//   PUT  /roles/{role}                         {description, privileges} define or replace a role
//   GET  /grants[?principal=]                  who holds which role, for which participant
//   POST /grants                               {principal, role, participant?} grant (principal: operator username or client id)
//   POST /grants/revoke                        {principal, role, participant?}
//   GET  /sodExclusions                        pairs of privileges no one may hold together
//   POST /sodExclusions                        {privileges: [a, b]} add
//   POST /sodExclusions/remove                 {privileges: [a, b]} remove
//   GET  /approvalPolicies                     approvals needed and time allowed, per function
//   PUT  /approvalPolicies/{function}          {approvalsRequired, pendingMsMax}
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fail, type FspiopResult, sendFailure, sendResult } from '../../fspiop/index.ts';
import { ok } from '../../support/index.ts';
import { access } from '../access.ts';
import type { ChangeRequests } from '../change_requests/service.ts';
import type { ClientStore } from '../iam/clients.ts';
import type { OperatorStore } from '../iam/operators.ts';
import { OWN_GRANT_REFUSAL } from '../change_requests/subjects.ts';
import { CHANGE_FUNCTIONS, PRIVILEGES, type ChangeFunction } from './privileges.ts';
import type { PrincipalKind, RbacStore } from './store.ts';

export interface RbacRouteDeps {
  rbac: RbacStore;
  operators: OperatorStore;
  clients: ClientStore;
  changeRequests: ChangeRequests;
}

const none = () => undefined;
const privilegeName = { type: 'string', pattern: '^[A-Z][A-Z_]{2,63}$' } as const;
const roleName = { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{1,63}$' } as const;
const participantName = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{1,29}$' } as const;
const grantBody = {
  type: 'object', additionalProperties: false, required: ['principal', 'role'],
  properties: { principal: { type: 'string', minLength: 2, maxLength: 64 }, role: roleName, participant: participantName },
} as const;
const pairBody = {
  type: 'object', additionalProperties: false, required: ['privileges'],
  properties: { privileges: { type: 'array', minItems: 2, maxItems: 2, items: privilegeName } },
} as const;

interface GrantBody { principal: string; role: string; participant?: string }

const grantScope = (request: FastifyRequest) => (request.body as GrantBody | undefined)?.participant;
const grantSummary = (verb: string) => (request: FastifyRequest) => {
  const body = request.body as GrantBody;
  return `${verb} role ${body.role}${body.participant === undefined ? '' : ` for ${body.participant}`} ${verb === 'grant' ? 'to' : 'from'} ${body.principal}`;
};

export function registerRbacRoutes(app: FastifyInstance, deps: RbacRouteDeps): void {
  const { rbac, operators, clients, changeRequests } = deps;

  /** An operator's username or a client's id, to the principal id grants are kept under. */
  async function principalOf(name: string): Promise<FspiopResult<{ id: string; kind: PrincipalKind }>> {
    const operator = await operators.findByUsername(name);
    if (operator !== undefined) return ok({ id: operator.id, kind: 'operator' });
    const client = await clients.find(name);
    if (client !== undefined) return ok({ id: client.client_id, kind: 'client' });
    return fail('3200', `no operator or client ${name}`);
  }

  app.get('/privileges', { config: access.privilege('OPERATOR_READ', none) }, async (_request, reply) =>
    reply.send([...PRIVILEGES].map(([name, description]) => ({ name, description }))));

  app.get('/roles', { config: access.privilege('OPERATOR_READ', none) }, async (_request, reply) => reply.send(await rbac.listRoles()));

  app.put<{ Params: { role: string }; Body: { description: string; privileges: string[] } }>('/roles/:role', {
    schema: {
      params: { type: 'object', required: ['role'], properties: { role: roleName } },
      body: { type: 'object', additionalProperties: false, required: ['description', 'privileges'], properties: { description: { type: 'string', minLength: 1, maxLength: 256 }, privileges: { type: 'array', maxItems: 128, items: privilegeName } } },
    },
    config: access.change({ functions: ['ROLE_DEFINE'], participant: none, summary: (r) => `define role ${(r.params as { role: string }).role} with ${(r.body as { privileges: string[] }).privileges.length} privileges` }),
  }, async (request, reply) =>
    sendResult(reply, await rbac.defineRole({ name: request.params.role, ...request.body }, request.authority?.principal?.name ?? 'unknown'), (role) => ({ status: 200, body: role })));

  app.get<{ Querystring: { principal?: string } }>('/grants', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { principal: { type: 'string', minLength: 2, maxLength: 64 } } } },
    config: access.privilege('OPERATOR_READ', none),
  }, async (request, reply) => {
    if (request.query.principal === undefined) return reply.send(await rbac.listGrants());
    const principal = await principalOf(request.query.principal);
    if (!principal.ok) return sendResult(reply, principal, () => ({ status: 200 }));
    return reply.send(await rbac.listGrants(principal.value.id));
  });

  app.post<{ Body: GrantBody }>('/grants', {
    schema: { body: grantBody },
    config: access.change({ functions: ['ROLE_GRANT'], participant: grantScope, summary: grantSummary('grant') }),
  }, async (request, reply) => {
    const principal = await principalOf(request.body.principal);
    if (!principal.ok) return sendResult(reply, principal, () => ({ status: 200 }));
    // Refused when requested (change_requests/service.ts); once more here, as the approved request runs.
    if (principal.value.id === request.authority?.principal?.id) return sendFailure(reply, { code: '3000', detail: OWN_GRANT_REFUSAL, httpStatus: 403 });
    const granted = await rbac.grant({ principalId: principal.value.id, principalKind: principal.value.kind, role: request.body.role, participant: request.body.participant ?? null }, request.authority?.principal?.name ?? 'unknown');
    return sendResult(reply, granted, (g) => ({ status: 201, body: { principal: request.body.principal, role: g.role, participant: g.participant } }));
  });

  app.post<{ Body: GrantBody }>('/grants/revoke', {
    schema: { body: grantBody },
    config: access.change({ functions: ['ROLE_REVOKE'], participant: grantScope, summary: grantSummary('revoke') }),
  }, async (request, reply) => {
    const principal = await principalOf(request.body.principal);
    if (!principal.ok) return sendResult(reply, principal, () => ({ status: 200 }));
    return sendResult(reply, await rbac.revoke({ principalId: principal.value.id, role: request.body.role, participant: request.body.participant ?? null }), () => ({ status: 200, body: { revoked: true } }));
  });

  app.get('/sodExclusions', { config: access.privilege('OPERATOR_READ', none) }, async (_request, reply) =>
    reply.send((await rbac.exclusions()).map((e) => ({ privileges: [e.a, e.b] }))));

  app.post<{ Body: { privileges: [string, string] } }>('/sodExclusions', {
    schema: { body: pairBody },
    config: access.change({ functions: ['SOD_CHANGE'], participant: none, summary: (r) => `exclude ${(r.body as { privileges: string[] }).privileges.join(' with ')}` }),
  }, async (request, reply) =>
    sendResult(reply, await rbac.addExclusion(request.body.privileges[0], request.body.privileges[1], request.authority?.principal?.name ?? 'unknown'), (e) => ({ status: 201, body: { privileges: [e.a, e.b] } })));

  app.post<{ Body: { privileges: [string, string] } }>('/sodExclusions/remove', {
    schema: { body: pairBody },
    config: access.change({ functions: ['SOD_CHANGE'], participant: none, summary: (r) => `stop excluding ${(r.body as { privileges: string[] }).privileges.join(' with ')}` }),
  }, async (request, reply) =>
    sendResult(reply, await rbac.removeExclusion(request.body.privileges[0], request.body.privileges[1]), () => ({ status: 200, body: { removed: true } })));

  app.get('/approvalPolicies', { config: access.privilege('OPERATOR_READ', none) }, async (_request, reply) =>
    reply.send(await Promise.all(CHANGE_FUNCTIONS.map(async (fn) => ({ function: fn, ...(await changeRequests.policy(fn)) })))));

  app.put<{ Params: { function: ChangeFunction }; Body: { approvalsRequired: number; pendingMsMax: number } }>('/approvalPolicies/:function', {
    schema: {
      params: { type: 'object', required: ['function'], properties: { function: { type: 'string', enum: CHANGE_FUNCTIONS } } },
      body: { type: 'object', additionalProperties: false, required: ['approvalsRequired', 'pendingMsMax'], properties: { approvalsRequired: { type: 'integer' }, pendingMsMax: { type: 'integer' } } },
    },
    config: access.change({ functions: ['APPROVAL_POLICY_CHANGE'], participant: none, summary: (r) => `${(r.params as { function: string }).function} needs ${(r.body as { approvalsRequired: number }).approvalsRequired} approvals` }),
  }, async (request, reply) =>
    sendResult(reply, await changeRequests.setPolicy(request.params.function, request.body, request.authority?.principal?.name ?? 'unknown'), (p) => ({ status: 200, body: { function: request.params.function, ...p } })));
}
