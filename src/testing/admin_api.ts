// For tests of the admin API: principals made directly in its stores (as the
// system would at bootstrap), and callers that get real tokens from the
// admin API's own authorization server (client credentials, private_key_jwt,
// through oauth4webapi) and call it in-process with app.inject.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { BOOTSTRAP_WINDOW_MS_DEFAULT, DEFAULT_CALLBACK_NETWORKS, type ExternalIssuerConfig } from '../config/index.ts';
import { createCallbackAddressPolicy, enqueue, type CallbackAddressPolicy } from '../delivery/index.ts';
import { createFunds, createLimits } from '../ledger/index.ts';
import { createParticipantRegistry, createSigningKeyRegistry } from '../participants/index.ts';
import { createPkiService } from '../pki/index.ts';
import { createTestPki } from '../pki/testing.ts';
import { createRiskCases } from '../risk/index.ts';
import { createSettlementModels, createSettlementReports, createSettlements, createWindows, liquidityCheckRequired, windowForCommit } from '../settlement/index.ts';
import { createTransferService } from '../transfers/index.ts';
import type { Storage } from '../storage/index.ts';
import { systemClock, type Clock } from '../support/clock.ts';
import { createLogger } from '../support/logger.ts';
import { completeAdminApi, createAdminIam, riskAdmin, type AdminApi } from '../app/admin.ts';
import { createRuleSetStore, partyKeys, ruleSetProblems } from '../risk/index.ts';
import type { RiskRouteDeps } from '../operator/risk_rule_routes.ts';
import { createAdminServer, type AdminTls } from '../operator/admin_api.ts';
import { loggedAdminAudit, type AdminAuditSink } from '../operator/audit_events.ts';
import { createGatewayPolicyStore } from '../edge/gateway/policy_store.ts';
import type { SecretBox } from '../operator/iam/secret_box.ts';
import { OIDC_PATH } from '../operator/iam/authorization_server.ts';
import { inProcessFetch } from '../operator/iam/in_process_fetch.ts';
import { JsonBodyError, useExactJsonBodies } from '../operator/exact_json.ts';
import { sendFailure } from '../fspiop/replies.ts';

export interface Answer {
  status: number;
  body: unknown;
  raw: string;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface Caller {
  readonly clientId: string;
  token(): Promise<string>;
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
}

/** fetch, answered by the app in-process (what oauth4webapi calls the authorization server with). */
export const injectFetch = inProcessFetch;

/** oauth4webapi's options for requests answered in-process: no network, so plain http is fine. */
export function inProcess(app: FastifyInstance) {
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- in-process requests to a test issuer on http://hub.test; nothing crosses a network
  return { [oauth.customFetch]: injectFetch(app), [oauth.allowInsecureRequests]: true };
}

export async function authorizationServerOf(app: FastifyInstance, issuer: string): Promise<oauth.AuthorizationServer> {
  const options = inProcess(app);
  return oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), options));
}

export interface RoleGrant {
  role: string;
  participant?: string;
}

/** A new automation client holding `grants`, and a caller that acts as it. */
/** An admin API as the tests hold it: its listener and its IAM. */
type AdminUnderTest = Pick<AdminApi, 'app' | 'iam'>;

export async function clientCaller(api: AdminUnderTest, name: string, grants: readonly RoleGrant[]): Promise<Caller> {
  const { iam } = api;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  const kid = randomBytes(6).toString('hex');
  const clientId = `${name}-${randomBytes(3).toString('hex')}`;
  const created = await iam.clients.create({ clientId, displayName: name, jwks: { keys: [{ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid }] } }, 'test');
  if (!created.ok) throw new Error(created.error.detail);
  for (const grant of grants) {
    const granted = await iam.rbac.grant({ principalId: clientId, principalKind: 'client', role: grant.role, participant: grant.participant ?? null }, 'test');
    if (!granted.ok) throw new Error(granted.error.detail);
  }
  return callerWithKey(api, clientId, privateKey, kid);
}

export function callerWithKey(api: AdminUnderTest, clientId: string, privateKey: import('node:crypto').KeyObject, kid: string): Caller {
  const { app, iam } = api;
  let cached: { token: string; expiresAtMs: number } | undefined;
  async function token(): Promise<string> {
    if (cached !== undefined && cached.expiresAtMs > Date.now() + 10_000) return cached.token;
    const { issuer } = await iam.started();
    const as = await authorizationServerOf(app, issuer);
    const client: oauth.Client = { client_id: clientId };
    const auth = oauth.PrivateKeyJwt({ key: await crypto.subtle.importKey('jwk', privateKey.export({ format: 'jwk' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']), kid });
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), inProcess(app));
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    cached = { token: result.access_token, expiresAtMs: Date.now() + (result.expires_in ?? 60) * 1000 };
    return result.access_token;
  }
  return {
    clientId,
    token,
    async call(method, url, body, headers = {}) {
      const response = await app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${await token()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return injectedAnswer(response);
    },
  };
}

/** Maker then checker: the answer the endpoint gave once approved (or the maker's own answer when it was not a change request). */
export async function makeAndApprove(maker: Caller, checker: Caller, method: string, url: string, body?: unknown): Promise<Answer> {
  const made = await maker.call(method, url, body);
  if (made.status !== 202 || typeof made.body !== 'object' || made.body === null || !('function' in made.body)) return made;
  const id = (made.body as unknown as { id: string }).id;
  const approved = await checker.call('POST', `/changeRequests/${id}/approve`);
  if (approved.status !== 200) return approved;
  const result = (approved.body as { result: { status: number; body: unknown } | null }).result;
  if (result === null) return approved;
  return { status: result.status, body: result.body ?? undefined, raw: result.body === null ? '' : JSON.stringify(result.body), headers: {} };
}

export const OIDC_PREFIX = OIDC_PATH;

/**
 * Test names: metadata.example resolves to the cloud metadata address, other .example names to a
 * documentation address (RFC 5737) inside the default callback networks; no DNS is asked.
 */
const TEST_NAMES: Readonly<Record<string, string>> = { 'metadata.example': '169.254.169.254' };
export const TEST_CALLBACK_ADDRESSES: CallbackAddressPolicy = createCallbackAddressPolicy(
  { networks: DEFAULT_CALLBACK_NETWORKS, allowLoopback: false },
  () => [{ name: 'admin', host: '127.0.0.1', port: 3001 }],
  (hostname) => (hostname.endsWith('.example')
    ? Promise.resolve([{ address: TEST_NAMES[hostname] ?? '203.0.113.10', family: 4 }])
    : Promise.reject(Object.assign(new Error(`${hostname}: not a test name`), { code: 'ENOTFOUND' }))),
);

export interface TestAdminApi extends AdminApi {
  close(): Promise<void>;
}

interface TestAdminOptions {
  clock?: Clock; audit?: AdminAuditSink; publicUrl?: string; bodyBytesMax?: number; externalIssuer?: ExternalIssuerConfig;
  showOnce?: (text: string, username: string) => void; credentialReplaced?: (username: string) => void; host?: string; https?: AdminTls; secretBox?: SecretBox;
  /** The FRMS's part; by default its own rule set store and a throwaway party key. */
  risk?: RiskRouteDeps;
}

/** An admin API over `storage` built with main.ts's steps (app/admin.ts), with a throwaway PKI, a silent log and the given clock and audit sink. */
export async function createTestAdminApi(storage: Storage, options: TestAdminOptions = {}): Promise<TestAdminApi> {
  const testPki = await createTestPki();
  try {
    const api = await buildTestAdminApi(storage, options, testPki.ca);
    const stopTimers = api.startTimers();
    return { ...api, close: async () => { stopTimers(); await api.app.close(); testPki.dispose(); } };
  } catch (error) {
    testPki.dispose();
    throw error;
  }
}

async function buildTestAdminApi(storage: Storage, options: TestAdminOptions, ca: Awaited<ReturnType<typeof createTestPki>>['ca']): Promise<AdminApi> {
  const { db, engine } = storage;
  const clock = options.clock ?? systemClock;
  const log = createLogger('silent');
  const audit = options.audit ?? loggedAdminAudit(log);
  const settings = {
    host: options.host ?? '127.0.0.1', port: 0, tls: options.https === undefined ? 'off' : 'on', bodyBytesMax: options.bodyBytesMax ?? 65_536, requestTimeoutMs: 10_000,
    publicUrl: options.publicUrl ?? 'http://hub.test', ...(options.externalIssuer === undefined ? {} : { externalIssuer: options.externalIssuer }),
  } as const;
  const app = createAdminServer(settings, log, options.https);
  const iam = await createAdminIam(app, {
    storage, clock, log, settings, tls: options.https !== undefined, audit,
    showOnce: options.showOnce ?? (() => undefined),
    ...(options.credentialReplaced === undefined ? {} : { credentialReplaced: options.credentialReplaced }),
    ...(options.secretBox === undefined ? {} : { secretBox: options.secretBox }),
  });
  const registry = createParticipantRegistry({ db, engine, clock });
  await registry.ensureHub();
  return completeAdminApi(app, iam, {
    registry,
    callbackAddresses: TEST_CALLBACK_ADDRESSES,
    funds: createFunds({ db, engine, clock }),
    limits: createLimits({ db, engine, clock }),
    settlementModels: createSettlementModels({ db, engine, clock }),
    settlementWindows: createWindows({ db, engine, clock }),
    settlements: createSettlements({ db, engine, clock }),
    settlementReports: createSettlementReports({ db }),
    riskCases: createRiskCases({ db, engine, clock, holds: createTransferService({ db, engine, clock, enqueue, liquidityCheckRequired, windowOf: windowForCommit(engine) }).holds }),
    signingKeys: createSigningKeyRegistry({ db, engine, clock }),
    hubPublicKeys: () => [],
    pki: createPkiService({ db, engine, clock, ca, settings: { leafLifetimeDays: 365, leafLifetimeDaysMax: 397, crlNextUpdateHours: 48 } }),
    expiryWarningDays: 30,
    storage, clock, log, audit,
    gatewayPolicies: createGatewayPolicyStore({ db, engine, clock }),
    risk: options.risk ?? riskAdmin({ storage, clock, ruleSets: createRuleSetStore({ db, engine, clock, validate: ruleSetProblems }), partyKeyOf: partyKeys(randomBytes(32)) }),
    config: settings,
    bootstrapWindowMs: BOOTSTRAP_WINDOW_MS_DEFAULT,
    startedAtMs: clock.nowMs(),
    version: 'test',
  });
}

/**
 * A bare Fastify app with the admin API's ajv options (unknown properties refused, never removed; no
 * coercion), its exact JSON bodies and, in short, its failure mapping (schema 3100/3103, unreadable
 * JSON 3101), for testing one module's routes without the access control in front of them.
 */
export async function routeTestApp(register: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } } });
  useExactJsonBodies(app);
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.validation !== undefined) return sendFailure(reply, { code: error.validation[0]?.keyword === 'additionalProperties' ? '3103' : '3100', detail: error.message });
    if (error instanceof JsonBodyError) return sendFailure(reply, { code: '3101', detail: error.message });
    return sendFailure(reply, { code: '2001', detail: '' });
  });
  register(app);
  await app.ready();
  return app;
}

/** An injected response as the test clients answer it: the body parsed as JSON where it is JSON. */
export function injectedAnswer(response: { statusCode: number; body: string; headers: Answer['headers'] }): Answer {
  let parsed: unknown;
  try {
    parsed = response.body === '' ? undefined : JSON.parse(response.body) as unknown;
  } catch {
    parsed = response.body;
  }
  return { status: response.statusCode, body: parsed, raw: response.body, headers: response.headers };
}
