// The admin API, compatible in paths and bodies with Mojaloop central-ledger's
// (port 3001) and central-settlement's /settlementModels, so that the
// onboarding tools schemes already use can drive Interlock.
//
// Every route needs a token with its privilege (access.ts), except the few
// that are public by nature (health, the hub's public keys, CRLs, the
// authorization server and its sign-in pages). Sensitive routes answer 202
// with a change request and take effect once a second person approves it
// (change_requests/). The authorization server (iam/) and the operator
// portal (portal/) share the listener, which is TLS unless it is loopback
// and no key and certificate were given.
//
// This module makes the listener (createAdminServer) and registers the routes
// on it (registerAdminApi); the services behind them (the IAM, change
// requests, portal sessions) and the timers are built by the composition
// root (src/app/admin.ts).
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { isLoopbackHost } from '../support/index.ts';
import type { ErrorCode } from '../fspiop/index.ts';
import { sendFailure, errorInformation } from '../fspiop/index.ts';
import type { Config } from '../config/index.ts';
import type { Clock, Logger } from '../support/index.ts';
import { JsonBodyError, useExactJsonBodies } from './exact_json.ts';
import { registerParticipantRoutes, type ParticipantRouteDeps } from './participant_routes.ts';
import { registerSettlementModelRoutes } from './settlement_model_routes.ts';
import { registerSettlementReportRoutes } from './settlement_report_routes.ts';
import { registerSettlementRoutes } from './settlement_routes.ts';
import { registerRiskRoutes, type RiskRouteDeps } from './risk_rule_routes.ts';
import { registerRiskCaseRoutes } from './risk_case_routes.ts';
import { registerSigningKeyRoutes, type SigningKeyRouteDeps } from './signing_key_routes.ts';
import { registerGatewayRoutes, type GatewayRouteDeps } from './gateway_routes.ts';
import type { GatewayPolicyStore } from '../edge/index.ts';
import { registerPkiRoutes, type PkiRouteDeps } from '../pki/index.ts';
import { registerAuditRoutes, type AuditQueries } from '../audit/index.ts';
import type { SettlementModels, SettlementReports, Settlements, SettlementWindows } from '../settlement/index.ts';
import type { RiskCases } from '../risk/index.ts';
import { STORAGE_OVERLOADED, type Storage } from '../storage/index.ts';
import { sql } from 'kysely';
import { access, installAccessControl, type DeclaredRoute } from './access.ts';
import { isAuditFailure, type AdminAuditSink } from './audit_events.ts';
import type { Executions } from './change_requests/executor.ts';
import { registerChangeRequestRoutes, runApproved, viewWithAnswer } from './change_requests/routes.ts';
import type { ChangeRequests } from './change_requests/service.ts';
import { guardedRiskServices, guardedServices } from './guarded_services.ts';
import { registerIamRoutes } from './iam/admin_routes.ts';
import { bootstrapMayActAlone } from './iam/bootstrap.ts';
import type { Iam } from './iam/iam.ts';
import { pruneOidcPayloads, revokeAccount } from './iam/oidc_adapter.ts';
import { registerOidcRoutes } from './iam/oidc_routes.ts';
import { registerSigninRoutes } from './iam/signin_routes.ts';
import { PKI_ROUTE_ACCESS } from './pki_access.ts';
import { registerRbacRoutes } from './rbac/routes.ts';
import { iamTables } from './iam/tables.ts';

/** The admin listener's own settings (admin.*). */
export type AdminServerSettings = Pick<Config['admin'], 'host' | 'tls' | 'bodyBytesMax' | 'requestTimeoutMs'>;

export interface AdminTls {
  key: string | Buffer;
  cert: string | Buffer;
  /** CA certificates to send with the hub's own (intermediates). */
  ca?: string | Buffer | (string | Buffer)[];
}


/** Longest path parameter (a participant name is 30, a ULID 26, a UUID 36). */
const PATH_PARAMETER_LENGTH_MAX = 64;
const HEADER_BYTES_MAX = 16_384;

/** ajv keyword → FSPIOP code, as Mojaloop maps OpenAPI failures. */
function validationCode(keyword: string): ErrorCode {
  switch (keyword) {
    case 'required': return '3102';
    case 'additionalProperties': return '3103';
    case 'type': return '3101';
    default: return '3100';
  }
}

/**
 * The admin API's listener, with no route yet: TLS 1.3 (or plain HTTP on loopback only), its limits, exact
 * JSON bodies, request logging without query strings, and FSPIOP-style failures. registerAdminApi adds the routes.
 */
export function createAdminServer(settings: AdminServerSettings, log: Logger, https?: AdminTls): FastifyInstance {
  const logger: FastifyBaseLogger = log.child({ component: 'admin-api' });
  if (https === undefined && settings.tls === 'on') throw new Error('admin.tls is on and the admin API was given no key and certificate');
  if (https === undefined && !isLoopbackHost(settings.host)) {
    throw new Error(`the admin API may listen on ${settings.host} only with TLS: give it a key and certificate, or bind it to loopback`);
  }
  const app = Fastify({
    loggerInstance: logger,
    // Request URLs can carry authorization codes (the portal's callback): requests are logged below, without their query.
    logController: new LogController({ disableRequestLogging: true }),
    ...(https === undefined ? {} : {
      https: {
        key: https.key,
        cert: https.cert,
        ...(https.ca === undefined ? {} : { ca: https.ca }),
        // Operators' browsers and tools all speak TLS 1.3; nothing older is needed on an admin interface.
        minVersion: 'TLSv1.3',
        // Operators authenticate with tokens, not client certificates.
        requestCert: false,
        rejectUnauthorized: false,
        // Under https Fastify creates the server from these options alone (its http options are not read).
        maxHeaderSize: HEADER_BYTES_MAX,
      } satisfies HttpsServerOptions,
    }),
    bodyLimit: settings.bodyBytesMax,
    requestTimeout: settings.requestTimeoutMs,
    connectionTimeout: settings.requestTimeoutMs,
    maxParamLength: PATH_PARAMETER_LENGTH_MAX,
    ...(https === undefined ? { http: { maxHeaderSize: HEADER_BYTES_MAX } } : {}),
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  });

  useExactJsonBodies(app);

  if (https === undefined) {
    logger.warn({ host: settings.host }, 'ADMIN API WITHOUT TLS: plain HTTP on loopback only; operator passwords and tokens cross it in clear text between processes on this machine. Give the admin API a key and certificate for anything else.');
  }
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ method: request.method, path: request.url.split('?')[0], statusCode: reply.statusCode, responseTimeMs: Math.round(reply.elapsedTime) }, 'admin request');
    done();
  });
  app.setNotFoundHandler((request, reply) =>
    sendFailure(reply, { code: '3002', detail: `${request.method} ${request.url.split('?')[0] ?? ''} is not an admin API route` }));
  app.setErrorHandler(adminErrorHandler(settings.bodyBytesMax));
  return app;
}

function adminErrorHandler(bodyBytesMax: number) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error.validation !== undefined) {
      const first = error.validation[0];
      const where = error.validationContext ?? 'body';
      const detail = first === undefined ? error.message : `${where}${first.instancePath} ${first.message ?? 'is invalid'}`;
      return sendFailure(reply, { code: validationCode(first?.keyword ?? ''), detail });
    }
    if (error instanceof JsonBodyError) return sendFailure(reply, { code: '3101', detail: error.message });
    if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return sendFailure(reply, { code: '3101', detail: 'the body is not valid JSON' });
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendFailure(reply, { code: '3104', detail: `the body exceeds ${bodyBytesMax} bytes` });
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendFailure(reply, { code: '3101', detail: 'the body must be application/json' });
    if (error.code === STORAGE_OVERLOADED) return sendFailure(reply, { code: '2003', detail: 'the hub is overloaded; try again later' });
    if (isAuditFailure(error)) {
      // The action's transaction rolled back with its entry, or nothing was done: nothing changed unaudited.
      request.log.error({ err: error }, 'an admin action could not be audited, so it was not done');
      return sendFailure(reply, { code: '2003', detail: 'the audit log could not record this action, so it was not done; try again later' });
    }
    request.log.error({ err: error }, 'admin request failed');
    return sendFailure(reply, { code: '2001', detail: '' });
  };
}

/** The admin API's base URL: admin.publicUrl, https when the listener has TLS, with the bound port when it names port 0. */
export function adminPublicUrl(app: FastifyInstance, publicUrl: string, tls: boolean): () => string {
  return () => {
    const url = new URL(publicUrl);
    if (tls) url.protocol = 'https:';
    if (url.port === '0') {
      const address = app.server.address();
      if (typeof address !== 'object' || address === null) throw new Error('admin.publicUrl has port 0 and the admin API is not listening yet: set admin.publicUrl');
      url.port = String(address.port);
    }
    return url.href.replace(/\/$/, '');
  };
}

export interface AdminApiDeps extends ParticipantRouteDeps {
  settlementModels: SettlementModels;
  settlementWindows: SettlementWindows;
  settlements: Settlements;
  settlementReports: SettlementReports;
  /** The FRMS's cases (risk/cases.ts), served under /risk/cases. */
  riskCases: RiskCases;
  signingKeys: SigningKeyRouteDeps['signingKeys'];
  hubPublicKeys: SigningKeyRouteDeps['hubPublicKeys'];
  pki: PkiRouteDeps['pki'];
  afterRevocation?: NonNullable<PkiRouteDeps['afterRevocation']>;
  expiryWarningDays: number;
  storage: Storage;
  log: Logger;
  startedAtMs: number;
  version: string;
  /** Operators, clients, roles and the authorization server. */
  iam: Iam;
  changeRequests: ChangeRequests;
  executions: Executions;
  /** Ends every portal session of an operator whose sessions are revoked (the portal, above this module, owns them). */
  endPortalSessionsOf(operatorId: string): Promise<void>;
  /** How long after the first start the bootstrap administrator may act alone (admin.bootstrapWindowMs). */
  bootstrapWindowMs: number;
  /** Where admin audit events go. */
  audit: AdminAuditSink;
  /** The tamper-evident audit log's read side (checkpoints, proofs, tiles, search), served under /audit with AUDIT_READ. */
  auditQueries?: AuditQueries;
  /** The API gateway's policy store (IP allow-lists, API permissions). */
  gatewayPolicies: GatewayPolicyStore;
  /** After an approved gateway policy change was stored: reload the gateway's checks (they also refresh by version). */
  afterGatewayPolicyChange?: GatewayRouteDeps['afterChange'];
  /** The FRMS's rule sets, lists and decisions (absent: the /risk routes are not served). */
  risk?: RiskRouteDeps | undefined;
}

/** Registers every admin route on `app`, behind access control; returns each route with the access it declared. */
export function registerAdminApi(app: FastifyInstance, deps: AdminApiDeps): readonly DeclaredRoute[] {
  const { iam, changeRequests, executions, audit, clock } = deps;
  const { db } = deps.storage;
  const declared = installAccessControl(app, {
    iam, changeRequests, executions, audit, clock,
    declaredElsewhere: PKI_ROUTE_ACCESS,
    participantExists: async (name) => (await deps.registry.find(name)) !== undefined,
    bootstrapMayActAlone: (maker, fn, request) => bootstrapMayActAlone({ db, clock, operators: iam.operators, rbac: iam.rbac, windowMs: deps.bootstrapWindowMs }, maker, fn, request),
    runBootstrapRequest: async (id) => {
      const approved = await changeRequests.approveForBootstrap(id);
      return approved.ok ? viewWithAnswer(await runApproved(app, { changeRequests, executions }, id)) : errorInformation(approved.error);
    },
  });
  // The routes reach the domain only through these (rbac/guard.ts).
  const services = guardedServices({
    registry: deps.registry, funds: deps.funds, limits: deps.limits, settlementModels: deps.settlementModels,
    settlementWindows: deps.settlementWindows, settlements: deps.settlements, settlementReports: deps.settlementReports,
    signingKeys: deps.signingKeys, pki: deps.pki, riskCases: deps.riskCases, operators: iam.operators, clients: iam.clients, rbac: iam.rbac, changeRequests,
    gatewayPolicies: deps.gatewayPolicies,
    revokeSessions: async (operatorId) => {
      const revoked = await revokeAccount(db, operatorId);
      await deps.endPortalSessionsOf(operatorId);
      return revoked;
    },
  });
  registerHealthRoute(app, deps);
  registerOidcRoutes(app, iam);
  registerSigninRoutes(app, { iam, db, clock, audit });
  registerChangeRequestRoutes(app, { changeRequests, executions, audit, clock });
  registerIamRoutes(app, { operators: services.operators, clients: services.clients, revokeSessions: services.revokeSessions, clock });
  registerRbacRoutes(app, { rbac: services.rbac, operators: services.operators, clients: services.clients, changeRequests: services.changeRequests });
  registerParticipantRoutes(app, { ...deps, ...services });
  registerSettlementModelRoutes(app, services.settlementModels);
  registerSettlementRoutes(app, { settlements: services.settlements, windows: services.settlementWindows });
  registerSettlementReportRoutes(app, services.settlementReports);
  registerRiskCaseRoutes(app, services.riskCases);
  registerSigningKeyRoutes(app, { ...deps, signingKeys: services.signingKeys });
  registerPkiRoutes(app, { ...deps, pki: services.pki });
  registerGatewayRoutes(app, { gatewayPolicies: services.gatewayPolicies, afterChange: deps.afterGatewayPolicyChange });
  if (deps.auditQueries !== undefined) registerAuditRoutes(app, { queries: deps.auditQueries });
  if (deps.risk !== undefined) registerRiskRoutes(app, { ...guardedRiskServices(deps.risk), afterRuleSetChange: deps.risk.afterRuleSetChange });
  return declared;
}

function registerHealthRoute(app: FastifyInstance, deps: Pick<AdminApiDeps, 'storage' | 'clock' | 'startedAtMs' | 'version'>): void {
  app.get('/health', { config: access.public('liveness and readiness probes') }, async (_request, reply) => {
    let datastore = 'OK';
    try {
      await sql`select 1`.execute(deps.storage.db);
    } catch {
      datastore = 'DOWN';
    }
    const healthy = datastore === 'OK';
    return reply.code(healthy ? 200 : 502).send({
      status: healthy ? 'OK' : 'DOWN',
      uptime: Math.floor((deps.clock.nowMs() - deps.startedAtMs) / 1000),
      startTime: new Date(deps.startedAtMs).toISOString(),
      versionNumber: deps.version,
      services: [{ name: 'datastore', status: datastore }],
    });
  });
}

/** What expires in the IAM: authorization-server artefacts, sign-in counters and flows. */
export async function pruneAdminState(deps: { storage: Storage; clock: Clock; iam: Iam }): Promise<void> {
  const { db } = deps.storage;
  await pruneOidcPayloads(db, deps.clock);
  await deps.iam.signinLimits.prune();
  await iamTables(db).deleteFrom('signin_flows').where('expires_at_ms', '<=', deps.clock.nowMs()).execute();
}

/** Change requests past their expiry; approved ones cut off before their outcome was recorded are marked FAILED, never run again. */
export async function sweepChangeRequests(deps: { changeRequests: ChangeRequests; log: Logger }): Promise<void> {
  await deps.changeRequests.expireDue();
  for (const row of await deps.changeRequests.failInterrupted()) {
    deps.log.error({ changeRequest: row.id, function: row.function, participant: row.participant, approvedAt: new Date(row.decided_at_ms ?? 0).toISOString() },
      'an approved change request was cut off before its outcome was recorded: marked FAILED, not run again; check whether it took effect before making it anew');
  }
}
