// Operators and automation clients, as the admin API manages them. Creating
// them, (de)activating them and resetting an operator's credential are
// change requests; ending an operator's sessions is immediate (protective,
// and needed fast in an incident).
//
//   GET    /me                                 who the token speaks for: roles and privileges
//   GET    /operators                          operators (never hashes or TOTP secrets)
//   POST   /operators                          {username, displayName} → the operator and a one-time credential
//   PUT    /operators/{id}                     {isActive}; deactivating also ends their sessions
//   POST   /operators/{id}/credentialReset     a new one-time credential; TOTP is enrolled again
//   DELETE /operators/{id}/sessions            ends every session and token of the operator
//   GET    /clients                            automation clients
//   POST   /clients                            {clientId, displayName, jwks} (public keys: private_key_jwt)
//   PUT    /clients/{clientId}                 {isActive}
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../support/index.ts';
import { access } from '../access.ts';
import { heldPrivileges } from '../rbac/authorize.ts';
import { sendFailure, sendResult } from '../../fspiop/index.ts';
import { clientView, type ClientStore } from './clients.ts';
import { operatorView, type OperatorStore } from './operators.ts';

export interface IamRouteDeps {
  operators: OperatorStore;
  clients: ClientStore;
  /** Ends every authorization-server artefact of an account; the number removed. */
  revokeSessions: (operatorId: string) => Promise<number>;
  clock: Clock;
}

const none = () => undefined;
const operatorParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f-]{36}$' } } } as const;
const clientParams = { type: 'object', required: ['clientId'], properties: { clientId: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{2,63}$' } } } as const;
const isActiveBody = { type: 'object', additionalProperties: false, required: ['isActive'], properties: { isActive: { type: 'boolean' } } } as const;
const createOperatorBody = {
  type: 'object', additionalProperties: false, required: ['username', 'displayName'],
  properties: { username: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{1,63}$' }, displayName: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;
const createClientBody = {
  type: 'object', additionalProperties: false, required: ['clientId', 'displayName', 'jwks'],
  properties: {
    clientId: clientParams.properties.clientId,
    displayName: { type: 'string', minLength: 1, maxLength: 128 },
    jwks: { type: 'object', required: ['keys'], additionalProperties: false, properties: { keys: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'object', maxProperties: 16 } } } },
  },
} as const;

export function registerIamRoutes(app: FastifyInstance, deps: IamRouteDeps): void {
  const { operators, clients, clock } = deps;

  app.get('/me', { config: access.authenticated() }, async (request, reply) => {
    const principal = request.authority?.principal;
    if (principal === undefined) throw new Error('/me without a principal');
    return reply.send({
      kind: principal.kind, id: principal.id, name: principal.name,
      roles: principal.grants.map((g) => ({ role: g.role, participant: g.participant })),
      privileges: [...heldPrivileges(principal)].sort(),
    });
  });

  app.get('/operators', { config: access.privilege('OPERATOR_READ', none) }, async (_request, reply) =>
    reply.send((await operators.list()).map((o) => operatorView(o, clock.nowMs()))));

  app.post<{ Body: { username: string; displayName: string } }>('/operators', {
    schema: { body: createOperatorBody },
    config: access.change({ functions: ['OPERATOR_CREATE'], participant: none, summary: (r) => `create operator ${(r.body as { username: string }).username}` }),
  }, async (request, reply) => {
    const created = await operators.create({ username: request.body.username, displayName: request.body.displayName }, request.authority?.principal?.name ?? 'unknown');
    return sendResult(reply, created, ({ operator, oneTimePassword }) => ({ status: 201, body: { operator: operatorView(operator, clock.nowMs()), oneTimePassword } }));
  });

  app.put<{ Params: { id: string }; Body: { isActive: boolean } }>('/operators/:id', {
    schema: { params: operatorParams, body: isActiveBody },
    config: access.change({ functions: ['OPERATOR_STATUS'], participant: none, summary: (r) => `${(r.body as { isActive: boolean }).isActive ? 'activate' : 'deactivate'} operator ${(r.params as { id: string }).id}` }),
  }, async (request, reply) => {
    const updated = await operators.setActive(request.params.id, request.body.isActive);
    if (updated.ok && !request.body.isActive) await deps.revokeSessions(request.params.id);
    return sendResult(reply, updated, (o) => ({ status: 200, body: operatorView(o, clock.nowMs()) }));
  });

  app.post<{ Params: { id: string } }>('/operators/:id/credentialReset', {
    schema: { params: operatorParams },
    config: access.change({ functions: ['OPERATOR_CREDENTIAL_RESET'], participant: none, summary: (r) => `reset the credential of operator ${(r.params as { id: string }).id}` }),
  }, async (request, reply) => {
    const reset = await operators.resetCredential(request.params.id);
    if (reset.ok) await deps.revokeSessions(request.params.id);
    return sendResult(reply, reset, ({ operator, oneTimePassword }) => ({ status: 200, body: { operator: operatorView(operator, clock.nowMs()), oneTimePassword } }));
  });

  app.delete<{ Params: { id: string } }>('/operators/:id/sessions', { schema: { params: operatorParams }, config: access.privilege('SESSION_REVOKE', none) }, async (request, reply) => {
    const operator = await operators.find(request.params.id);
    if (operator === undefined) return sendFailure(reply, { code: '3200', detail: `operator ${request.params.id} does not exist` });
    return reply.send({ operator: operator.username, artefactsRevoked: await deps.revokeSessions(operator.id) });
  });

  app.get('/clients', { config: access.privilege('OPERATOR_READ', none) }, async (_request, reply) => reply.send((await clients.list()).map(clientView)));

  app.post<{ Body: { clientId: string; displayName: string; jwks: unknown } }>('/clients', {
    schema: { body: createClientBody },
    config: access.change({ functions: ['CLIENT_CREATE'], participant: none, summary: (r) => `create automation client ${(r.body as { clientId: string }).clientId}` }),
  }, async (request, reply) =>
    sendResult(reply, await clients.create(request.body, request.authority?.principal?.name ?? 'unknown'), (c) => ({ status: 201, body: clientView(c) })));

  app.put<{ Params: { clientId: string }; Body: { isActive: boolean } }>('/clients/:clientId', {
    schema: { params: clientParams, body: isActiveBody },
    config: access.change({ functions: ['CLIENT_STATUS'], participant: none, summary: (r) => `${(r.body as { isActive: boolean }).isActive ? 'activate' : 'deactivate'} client ${(r.params as { clientId: string }).clientId}` }),
  }, async (request, reply) =>
    sendResult(reply, await clients.setActive(request.params.clientId, request.body.isActive), (c) => ({ status: 200, body: clientView(c) })));

}
