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
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { ErrorCode } from '../fspiop/errors.ts';
import { sendFailure } from './replies.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../support/logger.ts';
import { isLoopbackHost } from '../support/loopback.ts';
import { JsonBodyError, useExactJsonBodies } from './exact_json.ts';
import { registerParticipantRoutes, type ParticipantRouteDeps } from './participant_routes.ts';
import { registerSettlementModelRoutes } from './settlement_model_routes.ts';
import { registerSigningKeyRoutes, type SigningKeyRouteDeps } from './signing_key_routes.ts';
import { registerGatewayRoutes, type GatewayRouteDeps } from './gateway_routes.ts';
import { createGatewayPolicyStore, type GatewayPolicyStore } from '../edge/gateway/policy_store.ts';
import { registerPkiRoutes, type PkiRouteDeps } from '../pki/index.ts';
import { registerAuditRoutes, type AuditQueries } from '../audit/index.ts';
import type { SettlementModels } from '../settlement/index.ts';
import { STORAGE_OVERLOADED, type Storage } from '../storage/index.ts';
import { sql } from 'kysely';
import { every } from '../support/periodic.ts';
import { errorInformation } from '../fspiop/errors.ts';
import { access, installAccessControl, type DeclaredRoute } from './access.ts';
import { isAuditFailure, loggedAdminAudit, type AdminAuditSink } from './audit_events.ts';
import { createExecutions } from './change_requests/executor.ts';
import { EXPIRY_SWEEP_INTERVAL_MS } from './change_requests/limits.ts';
import { registerChangeRequestRoutes, runApproved, viewWithAnswer } from './change_requests/routes.ts';
import { createChangeRequests } from './change_requests/service.ts';
import { guardedServices } from './guarded_services.ts';
import { registerIamRoutes } from './iam/admin_routes.ts';
import { bootstrapMayActAlone } from './iam/bootstrap.ts';
import { createIam, type ExternalIssuer, type Iam } from './iam/iam.ts';
import { discoverExternalIssuer } from './iam/external_issuer.ts';
import { BOOTSTRAP_WINDOW_MS_DEFAULT, IAM_PRUNE_INTERVAL_MS } from './iam/limits.ts';
import { pruneOidcPayloads, revokeAccount } from './iam/oidc_adapter.ts';
import { registerOidcRoutes } from './iam/oidc_routes.ts';
import type { ParticipantTokenOptions } from './iam/authorization_server.ts';
import type { SecretBox } from './iam/secret_box.ts';
import { registerSigninRoutes } from './iam/signin_routes.ts';
import { PKI_ROUTE_ACCESS } from './pki_access.ts';
import { registerRbacRoutes } from './rbac/routes.ts';
import { createPortalSessions, registerPortal } from '../portal/index.ts';

export interface AdminApiDeps extends ParticipantRouteDeps {
  settlementModels: SettlementModels;
  signingKeys: SigningKeyRouteDeps['signingKeys'];
  hubPublicKeys: SigningKeyRouteDeps['hubPublicKeys'];
  pki: PkiRouteDeps['pki'];
  afterRevocation?: NonNullable<PkiRouteDeps['afterRevocation']>;
  expiryWarningDays: number;
  storage: Storage;
  log: Logger;
  config: Config['admin'];
  startedAtMs: number;
  version: string;
  /**
   * TLS for the admin API: a key and certificate (the scheme PKI's, say).
   * Without them the API must be bound to loopback, and says so loudly.
   */
  https?: AdminTls;
  /** Where admin audit events go; structured log lines when absent. */
  audit?: AdminAuditSink;
  /** The tamper-evident audit log's read side (checkpoints, proofs, tiles, search), served under /audit with AUDIT_READ. */
  auditQueries?: AuditQueries;
  /**
   * Delivers the bootstrap administrator's one-time credential, once (iam/one_time_credential.ts: the terminal,
   * or an owner-only file in the data directory). Absent: the terminal when stderr is one, and otherwise nowhere
   * (the log says how to issue one).
   */
  showOnce?: (text: string, username: string) => void;
  /** An operator replaced their one-time credential at sign-in (the delivery removes its file). */
  credentialReplaced?: (username: string) => void;
  /** External OpenID Connect issuers whose users may call the admin API (iam/external_issuer.ts). */
  externalIssuers?: () => Promise<readonly ExternalIssuer[]>;
  /** The API gateway's policy store (IP allow-lists, API permissions); one over `storage` when absent. */
  gatewayPolicies?: GatewayPolicyStore;
  /** DFSPs' certificate-bound access tokens for the FSPIOP API: the scopes each may have, and where its token endpoint is. */
  participantTokens?: ParticipantTokenOptions;
  /** After an approved gateway policy change was stored: reload the gateway's checks (they also refresh by version). */
  afterGatewayPolicyChange?: GatewayRouteDeps['afterChange'];
  /**
   * Seals the IAM's secrets (TOTP secrets, the authorization server's keys) in the database: the hub's from
   * its key file (iam/secret_box.ts loadOrCreateSecretBox). Absent: an in-memory key, for tests only (what it
   * seals is lost when the process ends, and it refuses to seal secrets already stored).
   */
  secretBox?: SecretBox;
}

export interface AdminTls {
  key: string | Buffer;
  cert: string | Buffer;
  /** CA certificates to send with the hub's own (intermediates). */
  ca?: string | Buffer | (string | Buffer)[];
}

/** Without a data directory to write to: the terminal when stderr is one; never a log capture. */
function terminalOnly(log: Logger): (text: string, username: string) => void {
  return (text, username) => {
    if (process.stderr.isTTY) process.stderr.write(`${text}\n`);
    else log.error({ operator: username }, `stderr is not a terminal and no data directory was given: the one-time credential of ${username} is not shown; issue a new one with: interlock operator reset-credential ${username}`);
  };
}

const declaredRoutes = new WeakMap<FastifyInstance, readonly DeclaredRoute[]>();
const iams = new WeakMap<FastifyInstance, Iam>();

/** Every route of an admin API with the access it declared: for the test that proves each refuses. */
export function declaredRoutesOf(app: FastifyInstance): readonly DeclaredRoute[] {
  return declaredRoutes.get(app) ?? [];
}

/** The admin API's IAM (operators, clients, roles): for wiring and tests. */
export function iamOf(app: FastifyInstance): Iam {
  const iam = iams.get(app);
  if (iam === undefined) throw new Error('not an admin API');
  return iam;
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

export async function createAdminApi(deps: AdminApiDeps): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = deps.log.child({ component: 'admin-api' });
  if (deps.https === undefined && deps.config.tls === 'on') throw new Error('admin.tls is on and the admin API was given no key and certificate');
  if (deps.https === undefined && !isLoopbackHost(deps.config.host)) {
    throw new Error(`the admin API may listen on ${deps.config.host} only with TLS: give it a key and certificate, or bind it to loopback`);
  }
  const app = Fastify({
    loggerInstance: logger,
    // Request URLs can carry authorization codes (the portal's callback): requests are logged below, without their query.
    logController: new LogController({ disableRequestLogging: true }),
    ...(deps.https === undefined ? {} : {
      https: {
        key: deps.https.key,
        cert: deps.https.cert,
        ...(deps.https.ca === undefined ? {} : { ca: deps.https.ca }),
        // Operators' browsers and tools all speak TLS 1.3; nothing older is needed on an admin interface.
        minVersion: 'TLSv1.3',
        // Operators authenticate with tokens, not client certificates.
        requestCert: false,
        rejectUnauthorized: false,
        // Under https Fastify creates the server from these options alone (its http options are not read).
        maxHeaderSize: HEADER_BYTES_MAX,
      } satisfies HttpsServerOptions,
    }),
    bodyLimit: deps.config.bodyBytesMax,
    requestTimeout: deps.config.requestTimeoutMs,
    connectionTimeout: deps.config.requestTimeoutMs,
    maxParamLength: PATH_PARAMETER_LENGTH_MAX,
    ...(deps.https === undefined ? { http: { maxHeaderSize: HEADER_BYTES_MAX } } : {}),
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  });

  useExactJsonBodies(app);

  if (deps.https === undefined) {
    logger.warn({ host: deps.config.host }, 'ADMIN API WITHOUT TLS: plain HTTP on loopback only; operator passwords and tokens cross it in clear text between processes on this machine. Give the admin API a key and certificate for anything else.');
  }
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ method: request.method, path: request.url.split('?')[0], statusCode: reply.statusCode, responseTimeMs: Math.round(reply.elapsedTime) }, 'admin request');
    done();
  });

  app.setNotFoundHandler((request, reply) =>
    sendFailure(reply, { code: '3002', detail: `${request.method} ${request.url.split('?')[0] ?? ''} is not an admin API route` }));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation !== undefined) {
      const first = error.validation[0];
      const where = error.validationContext ?? 'body';
      const detail = first === undefined ? error.message : `${where}${first.instancePath} ${first.message ?? 'is invalid'}`;
      return sendFailure(reply, { code: validationCode(first?.keyword ?? ''), detail });
    }
    if (error instanceof JsonBodyError) return sendFailure(reply, { code: '3101', detail: error.message });
    if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return sendFailure(reply, { code: '3101', detail: 'the body is not valid JSON' });
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendFailure(reply, { code: '3104', detail: `the body exceeds ${deps.config.bodyBytesMax} bytes` });
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendFailure(reply, { code: '3101', detail: 'the body must be application/json' });
    if (error.code === STORAGE_OVERLOADED) return sendFailure(reply, { code: '2003', detail: 'the hub is overloaded; try again later' });
    if (isAuditFailure(error)) {
      // The action's transaction rolled back with its entry, or nothing was done: nothing changed unaudited.
      request.log.error({ err: error }, 'an admin action could not be audited, so it was not done');
      return sendFailure(reply, { code: '2003', detail: 'the audit log could not record this action, so it was not done; try again later' });
    }
    request.log.error({ err: error }, 'admin request failed');
    return sendFailure(reply, { code: '2001', detail: '' });
  });

  const { db, engine } = deps.storage;
  const clock = deps.clock;
  const audit = deps.audit ?? loggedAdminAudit(deps.log);
  const publicUrl = (): string => {
    const url = new URL(deps.config.publicUrl);
    if (deps.https !== undefined) url.protocol = 'https:';
    if (url.port === '0') {
      const address = app.server.address();
      if (typeof address !== 'object' || address === null) throw new Error('admin.publicUrl has port 0 and the admin API is not listening yet: set admin.publicUrl');
      url.port = String(address.port);
    }
    return url.href.replace(/\/$/, '');
  };
  const iam = createIam({
    db, engine, clock, log: deps.log, publicUrl,
    showOnce: deps.showOnce ?? terminalOnly(deps.log),
    ...(deps.credentialReplaced === undefined ? {} : { credentialReplaced: deps.credentialReplaced }),
    audit,
    automationCredentialsFile: deps.config.automationCredentialsFile,
    ...externalIssuers(),
    ...(deps.participantTokens === undefined ? {} : { participantTokens: deps.participantTokens }),
    ...(deps.secretBox === undefined ? {} : { secretBox: deps.secretBox }),
  });
  iams.set(app, iam);
  // admin.externalIssuer: discovered at the first request, as the hub's own issuer is built.
  function externalIssuers(): { externalIssuers?: () => Promise<readonly ExternalIssuer[]> } {
    if (deps.externalIssuers !== undefined) return { externalIssuers: deps.externalIssuers };
    const external = deps.config.externalIssuer;
    return external === undefined ? {} : { externalIssuers: async () => [await discoverExternalIssuer(external, iam.rbac)] };
  }
  await iam.bootstrap();
  const changeRequests = createChangeRequests({ db, engine, clock, rbac: iam.rbac, audit });
  const executions = createExecutions();
  declaredRoutes.set(app, installAccessControl(app, {
    iam, changeRequests, executions, audit, clock,
    declaredElsewhere: PKI_ROUTE_ACCESS,
    participantExists: async (name) => (await deps.registry.find(name)) !== undefined,
    bootstrapMayActAlone: (maker, fn, request) => bootstrapMayActAlone({ db, clock, operators: iam.operators, rbac: iam.rbac, windowMs: deps.config.bootstrapWindowMs ?? BOOTSTRAP_WINDOW_MS_DEFAULT }, maker, fn, request),
    runBootstrapRequest: async (id) => {
      const approved = await changeRequests.approveForBootstrap(id);
      return approved.ok ? viewWithAnswer(await runApproved(app, { changeRequests, executions }, id)) : errorInformation(approved.error);
    },
  }));
  const portalSessions = createPortalSessions({ db, clock, secretBox: iam.secretBox });
  // The routes reach the domain only through these (rbac/guard.ts).
  const services = guardedServices({
    registry: deps.registry, funds: deps.funds, limits: deps.limits, settlementModels: deps.settlementModels,
    signingKeys: deps.signingKeys, pki: deps.pki, operators: iam.operators, clients: iam.clients, rbac: iam.rbac, changeRequests,
    gatewayPolicies: deps.gatewayPolicies ?? createGatewayPolicyStore({ db, engine, clock }),
    revokeSessions: async (operatorId) => {
      const revoked = await revokeAccount(db, operatorId);
      await portalSessions.endAllOf(operatorId);
      return revoked;
    },
  });

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

  registerOidcRoutes(app, iam);
  registerSigninRoutes(app, { iam, db, clock, audit });
  registerPortal(app, { iam, db, clock, audit });
  registerChangeRequestRoutes(app, { changeRequests, executions, audit, clock });
  registerIamRoutes(app, { operators: services.operators, clients: services.clients, revokeSessions: services.revokeSessions, clock });
  registerRbacRoutes(app, { rbac: services.rbac, operators: services.operators, clients: services.clients, changeRequests: services.changeRequests });
  registerParticipantRoutes(app, { ...deps, ...services });
  registerSettlementModelRoutes(app, services.settlementModels);
  registerSigningKeyRoutes(app, { ...deps, signingKeys: services.signingKeys });
  registerPkiRoutes(app, { ...deps, pki: services.pki });
  registerGatewayRoutes(app, { gatewayPolicies: services.gatewayPolicies, afterChange: deps.afterGatewayPolicyChange });
  if (deps.auditQueries !== undefined) registerAuditRoutes(app, { queries: deps.auditQueries });

  const stopPruning = every(IAM_PRUNE_INTERVAL_MS, async () => {
    await pruneOidcPayloads(db, clock);
    await iam.signinLimits.prune();
    await db.deleteFrom('signin_flows').where('expires_at_ms', '<=', clock.nowMs()).execute();
    await portalSessions.prune();
  }, deps.log, 'IAM pruning');
  const sweepChangeRequests = async () => {
    await changeRequests.expireDue();
    for (const row of await changeRequests.failInterrupted()) {
      deps.log.error({ changeRequest: row.id, function: row.function, participant: row.participant, approvedAt: new Date(row.decided_at_ms ?? 0).toISOString() },
        'an approved change request was cut off before its outcome was recorded: marked FAILED, not run again; check whether it took effect before making it anew');
    }
  };
  const stopExpiry = every(EXPIRY_SWEEP_INTERVAL_MS, sweepChangeRequests, deps.log, 'change request expiry');
  app.addHook('onClose', (_instance, done) => {
    stopPruning();
    stopExpiry();
    done();
  });
  await app.ready();
  return app;
}
