// The composition root: every service of the hub built once, in dependency
// order (storage → audit → PKI → IAM → participants and ledger → delivery →
// domain services → gateway → admin API routes → listeners → timers), each a
// function of what was built before it. Nothing here refers to a service built
// after it: what must know a listener's port reads the port reserved for it.
import { readFileSync } from 'node:fs';
import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { completeAdminApi, createAdminIam, riskAdmin, type AdminApi } from './app/index.ts';
import type { Config } from './config/index.ts';
import { createCallbackAddressPolicy, createDeliveryWorker, DEFAULT_DELIVERY_LIMITS, enqueue, type CallbackAddressPolicy, type DeliveryWorker } from './delivery/index.ts';
import { createFspiopApi, startSchemeTls, type SchemeTls, createGatewayControls, loadGatewayPolicies, type GatewayPolicies, participantTokenEndpointUrl } from './edge/index.ts';
import { auditOperatorActions, auditSecurityEvents, createAuditLogFromConfig, createAuditQueries, SECURITY_EVENT_LIMITS, fanOutSecurityEvents, loggedSecurityEvents } from './audit/index.ts';
import { loadOrCreateHubSigningKey, signOutgoingRequest } from './signature/index.ts';
import { createFunds, createLimits } from './ledger/index.ts';
import { createLookupService, createOracleClient } from './lookup/index.ts';
import { createAdminServer, fanOutAdminAudit, type RiskRouteDeps, loadOrCreateSecretBox, loggedAdminAudit, oneTimeCredentialDelivery, type AdminAuditSink, participantTokenHandler } from './operator/index.ts';
import { createParticipantRegistry, createSigningKeyRegistry } from './participants/index.ts';
import { createQuoteService } from './quotes/index.ts';
import { closeDueWindow, createSettlementModels, createSettlementReports, createSettlements, createWindows, liquidityCheckRequired, SCHEDULE_CHECK_INTERVAL_MS, windowForCommit } from './settlement/index.ts';
import { createTransferService, transferPartiesOf } from './transfers/index.ts';
import { createRiskCases, createRiskService, createRiskSharing, type RiskSharing, createRuleSetStore, loadOrCreatePartyKeys, ruleSetProblems, loadSanctionsList, pruneFeatures, type RiskService } from './risk/index.ts';
import { openStorage, redactStorageUrl, type Storage } from './storage/index.ts';
import { MIGRATIONS } from './migrations/index.ts';
import { systemClock, type Clock, reserveListenerPorts, type ReservedPorts, every } from './support/index.ts';
import type { Logger } from './support/index.ts';

// eslint-disable-next-line security/detect-non-literal-fs-filename -- the package's own manifest, beside the sources
export const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface Hub {
  storage: Storage;
  /** Base URLs of the admin and FSPIOP APIs, with the ports actually bound. */
  adminUrl: string;
  fspiopUrl: string;
  /** What a client of the hub trusts: the scheme's root certificate. */
  schemeCaPems: readonly string[];
  close(): Promise<void>;
}

/** Transfers expired per sweep; a longer backlog is taken over the next sweeps. */
const EXPIRY_BATCH_SIZE_MAX = 200;
/** How often forwarded party lookups past their window are pruned. */
const LOOKUP_PRUNE_INTERVAL_MS = 60_000;
/** How often the FRMS prunes its features: windows move by minutes, and a prune is bounded batches. */
const RISK_PRUNE_INTERVAL_MS = 600_000;

function urlOf(scheme: 'http' | 'https', host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** One-time credentials issued at start go to the terminal, or to an owner-only file in the data directory (never a log). */
function credentialDelivery(config: Config, log: Logger) {
  const delivery = oneTimeCredentialDelivery({ dataDir: config.dataDir, log });
  return { showOnce: delivery.show, credentialReplaced: delivery.replaced };
}

const ADMIN_PORT = 0;
const FSPIOP_PORT = 1;

export async function startHub(config: Config, log: Logger, clock: Clock = systemClock): Promise<Hub> {
  // Before anything is created (database, keys, PKI, the bootstrap administrator's one-time credential):
  // a busy port stops the start here, with nothing made and nothing to lose.
  const ports = await reserveListenerPorts([
    { name: 'the admin API', host: config.admin.host, port: config.admin.port, setting: 'admin.port (INTERLOCK_ADMIN_PORT)' },
    { name: 'the FSPIOP API', host: config.fspiop.host, port: config.fspiop.port, setting: 'fspiop.port (INTERLOCK_FSPIOP_PORT)' },
  ]);
  try {
    return await startOnPorts(config, log, clock, ports);
  } finally {
    // The listeners adopted their sockets; this closes only what a failed start left unadopted.
    ports.release();
  }
}

/**
 * fastify passes its listen options on to net.Server.listen, which adopts a BoundSocket given as handle. The host
 * is the address bound (for "localhost", the one it resolved to), so that fastify binds no second address.
 */
function onReserved(ports: ReservedPorts, index: number) {
  const handle = ports.socket(index);
  const { address, port } = handle.address();
  return { host: address, port, handle };
}

/** What every later step is built on: storage, the audit log and security events, the scheme PKI, the hub's keys. */
interface Foundation {
  readonly storage: Storage;
  readonly auditLog: Awaited<ReturnType<typeof createAuditLogFromConfig>>;
  readonly auditedSecurityEvents: ReturnType<typeof auditSecurityEvents>;
  readonly securityEvents: ReturnType<typeof fanOutSecurityEvents>;
  readonly adminAudit: AdminAuditSink;
  readonly schemeTls: SchemeTls;
  readonly hubSigningKey: Awaited<ReturnType<typeof loadOrCreateHubSigningKey>>;
}

async function buildFoundation(config: Config, log: Logger, clock: Clock): Promise<Foundation> {
  const storage = openStorage(config.storage.url);
  const { applied } = await storage.migrate(MIGRATIONS);
  log.info({ engine: storage.engine, storage: redactStorageUrl(config.storage.url), migrationsApplied: applied }, 'storage ready');
  const { db, engine } = storage;
  // The tamper-evident audit log; every security event is logged and appended to it.
  const auditLog = await createAuditLogFromConfig(config, { db, engine, clock, log: log.child({ component: 'audit' }) });
  const auditedSecurityEvents = auditSecurityEvents(auditLog, log, clock, { ...SECURITY_EVENT_LIMITS, coalesceIntervalMs: config.audit.securityEventIntervalMs });
  const securityEvents = fanOutSecurityEvents(loggedSecurityEvents(log), auditedSecurityEvents);
  // Every operator action, allowed or refused: a change in its own transaction, anything else before it is
  // answered; an action the audit log cannot record fails (operator/audit_events.ts).
  const adminAudit = fanOutAdminAudit(loggedAdminAudit(log), auditOperatorActions(auditLog));
  // The scheme PKI and mutual TLS (off only on loopback, by configuration).
  const schemeTls = await startSchemeTls({ config, db, engine, clock, log, securityEvents });
  // The hub signs what it originates (RS256: the algorithm FSPIOP v1.1 names) and checks what DFSPs sign.
  const hubSigningKey = await loadOrCreateHubSigningKey({ keyFile: config.fspiop.signingKeyFile, dataDir: config.dataDir, alg: 'RS256' });
  return { storage, auditLog, auditedSecurityEvents, securityEvents, adminAudit, schemeTls, hubSigningKey };
}

/** The admin listener (not yet listening) and the operator IAM behind it. */
async function buildIam(config: Config, log: Logger, clock: Clock, base: Foundation, policies: GatewayPolicies, fspiopPort: number) {
  // The key that seals the operator IAM's secrets (TOTP secrets, the authorization server's keys) in the database.
  const iamSecrets = loadOrCreateSecretBox({ keyFile: config.admin.secretsKeyFile, dataDir: config.dataDir });
  if (iamSecrets.created) log.warn({ keyFile: iamSecrets.path }, 'made a new IAM secrets key: back it up (without it the operators\' TOTP enrolments and the authorization server\'s keys are lost) and give every hub process on this database the same file (admin.secretsKeyFile)');
  // The admin API presents the hub's certificate too (TLS 1.3; operators authenticate with tokens).
  const adminTls = config.admin.tls === 'on';
  const adminServer = createAdminServer(config.admin, log, adminTls ? adminHttps(base.schemeTls) : undefined);
  const mutual = config.fspiop.tls === 'mutual';
  const iam = await createAdminIam(adminServer, {
    storage: base.storage, clock, log, settings: config.admin, tls: adminTls, audit: base.adminAudit,
    ...credentialDelivery(config, log),
    secretBox: iamSecrets.box,
    participantTokens: {
      grantedScopes: (fspId) => policies.apiPermissions.grantedScopes(fspId),
      tokenEndpointUrl: () => (mutual ? participantTokenEndpointUrl(urlOf('https', config.fspiop.host, fspiopPort)) : undefined),
    },
  });
  return { adminServer, adminTls, iam };
}

function adminHttps(schemeTls: SchemeTls) {
  return { key: schemeTls.credentials().keyPem, cert: schemeTls.credentials().certificateChainPem };
}

/** The callback outbox worker, over the address policy: configuration, less link-local and the hub's own listeners. */
function buildDelivery(config: Config, log: Logger, clock: Clock, base: Foundation, listeners: Listeners) {
  const ownListeners = [
    { name: 'admin', host: config.admin.host, port: listeners.admin.port },
    { name: 'FSPIOP', host: config.fspiop.host, port: listeners.fspiop.port },
  ];
  const callbackAddresses = createCallbackAddressPolicy({ networks: config.delivery.callbackNetworks, allowLoopback: config.delivery.allowLoopbackCallbacks }, () => ownListeners);
  const delivery = createDeliveryWorker({
    db: base.storage.db, engine: base.storage.engine, clock, log: log.child({ component: 'delivery' }), limits: DEFAULT_DELIVERY_LIMITS,
    signHubMessage: (message) => signOutgoingRequest(message, base.hubSigningKey),
    tls: deliveryTls(config, base.schemeTls),
    callbackAddresses,
    securityEvents: base.securityEvents,
  });
  return { callbackAddresses, delivery };
}

function deliveryTls(config: Config, schemeTls: SchemeTls) {
  return { ...schemeTls.mtls.clientOptions(), httpsOnly: config.fspiop.tls === 'mutual' };
}

/** CRLs into the listener; the hub's certificate, when renewed, into the listener, the delivery worker and the admin listener. */
function tlsRefresher(config: Config, schemeTls: SchemeTls, delivery: DeliveryWorker, adminServer: FastifyInstance, adminTls: boolean) {
  return async (): Promise<void> => {
    if (!(await schemeTls.refresh()).renewed) return;
    delivery.updateTls(deliveryTls(config, schemeTls));
    if (adminTls) (adminServer.server as unknown as TlsServer).setSecureContext(adminHttps(schemeTls));
  };
}

interface Services {
  readonly transfers: ReturnType<typeof createTransferService>;
  readonly quotes: ReturnType<typeof createQuoteService>;
  readonly lookup: ReturnType<typeof createLookupService>;
  readonly riskSharing: RiskSharing | undefined;
}

/** The FRMS (risk/), unless risk.enabled is off: its party key, the operator's sanctions list, the rule set versions; and its admin API's part. */
async function buildRisk(config: Config, log: Logger, clock: Clock, storage: Storage, audit: AdminAuditSink): Promise<{ service: RiskService; admin: RiskRouteDeps } | undefined> {
  if (!config.risk.enabled) {
    log.warn('FRMS OFF (risk.enabled false): no payment is assessed or counted');
    return undefined;
  }
  const { db, engine } = storage;
  const keys = loadOrCreatePartyKeys({ keyFile: config.risk.keyFile, dataDir: config.dataDir });
  if (keys.created) log.info({ file: keys.path }, 'made the FRMS party key: hub processes on this database must share it');
  const sanctionsFile = config.risk.sanctionsFile;
  const sanctions = sanctionsFile === undefined ? undefined : await loadSanctionsList(sanctionsFile);
  if (sanctions !== undefined && !sanctions.ok) throw new Error(`risk.sanctionsFile ${sanctionsFile ?? ''}: ${sanctions.error}`);
  if (sanctions !== undefined) log.info({ file: sanctionsFile, names: sanctions.value.size }, 'FRMS sanctions list loaded');
  const ruleSets = createRuleSetStore({ db, engine, clock, validate: ruleSetProblems });
  const service = createRiskService({ db, engine, partyKeyOf: keys.partyKeyOf, ruleSets, sanctions: sanctions?.value, log: log.child({ component: 'risk' }), nowMs: () => clock.nowMs(), audit });
  // An approved promotion is enforced at once in this process (the others read it within RULE_SET_REFRESH_MS).
  return { service, admin: riskAdmin({ storage, clock, ruleSets, partyKeyOf: keys.partyKeyOf, afterRuleSetChange: service.refresh }) };
}

function buildDomainServices(config: Config, log: Logger, clock: Clock, storage: Storage, callbackAddresses: CallbackAddressPolicy, risk: RiskService | undefined): Services {
  const { db, engine } = storage;
  const riskAssessor = risk === undefined ? {} : { riskAssessor: risk.assess };
  // The FRMS's sharing with DFSPs (the FSPIOP extension): fraud reports, risk signals, notifications of its verdicts.
  const riskSharing = risk === undefined ? undefined : createRiskSharing({
    db, engine, partyKeyOf: risk.partyKeyOf, transferPartiesOf, enqueue, nowMs: () => clock.nowMs(), log: log.child({ component: 'risk-sharing' }),
  });
  return {
    riskSharing,
    transfers: createTransferService({ db, engine, clock, enqueue, liquidityCheckRequired, windowOf: windowForCommit(engine), limits: { expiryMsMax: config.transfers.expiryMsMax }, ...riskAssessor, riskNotifier: riskSharing?.notify }),
    quotes: createQuoteService({ db, engine, clock, enqueue, ...riskAssessor }),
    lookup: createLookupService({ db, engine, clock, enqueue, oracleClient: createOracleClient({ clock, addresses: callbackAddresses }) }),
  };
}

/** Where the listeners listen: the sockets reserved for them, whose ports are known before anything is built. */
interface Listeners {
  readonly admin: ReturnType<typeof onReserved>;
  readonly fspiop: ReturnType<typeof onReserved>;
}

async function startOnPorts(config: Config, log: Logger, clock: Clock, ports: ReservedPorts): Promise<Hub> {
  const listeners: Listeners = { admin: onReserved(ports, ADMIN_PORT), fspiop: onReserved(ports, FSPIOP_PORT) };
  const base = await buildFoundation(config, log, clock);
  const { storage, schemeTls } = base;
  const { db, engine } = storage;
  // The participant API gateway's policies: IP allow-lists and API permissions (data, changed through maker-checker).
  const policies = await loadGatewayPolicies({ db, engine, clock, ipAllowlistMode: config.gateway.ipAllowlistMode });
  const { adminServer, adminTls, iam } = await buildIam(config, log, clock, base, policies, listeners.fspiop.port);
  const registry = createParticipantRegistry({ db, engine, clock });
  await registry.ensureHub();
  const signingKeys = createSigningKeyRegistry({ db, engine, clock });
  const { callbackAddresses, delivery } = buildDelivery(config, log, clock, base, listeners);
  const refreshTls = tlsRefresher(config, schemeTls, delivery, adminServer, adminTls);
  const risk = await buildRisk(config, log, clock, storage, base.adminAudit);
  const services = buildDomainServices(config, log, clock, storage, callbackAddresses, risk?.service);
  const settlementWindows = createWindows({ db, engine, clock });
  // The gateway's checks: the policies, certificate-bound access tokens from the hub's authorization server, rate limits.
  const gateway = createGatewayControls({ policies, clock, settings: config.gateway, tokenTrust: () => iam.participantTokenTrust() });
  const admin = await completeAdminApi(adminServer, iam, {
    registry, callbackAddresses, signingKeys, storage, clock, log,
    funds: createFunds({ db, engine, clock }),
    limits: createLimits({ db, engine, clock }),
    settlementModels: createSettlementModels({ db, engine, clock }),
    settlementWindows,
    settlements: createSettlements({ db, engine, clock }),
    settlementReports: createSettlementReports({ db }),
    riskCases: createRiskCases({ db, engine, clock, holds: services.transfers.holds }),
    hubPublicKeys: () => [base.hubSigningKey],
    pki: schemeTls.pki,
    afterRevocation: refreshTls,
    expiryWarningDays: config.pki.expiryWarningDays,
    audit: base.adminAudit,
    auditQueries: createAuditQueries({ db, log: log.child({ component: 'audit-queries' }) }),
    gatewayPolicies: policies.store,
    afterGatewayPolicyChange: (policy) => policies.reload(policy),
    risk: risk?.admin,
    config: config.admin,
    bootstrapWindowMs: config.admin.bootstrapWindowMs,
    startedAtMs: clock.nowMs(),
    version: VERSION,
  });
  const mutual = config.fspiop.tls === 'mutual';
  const fspiop = await createFspiopApi({
    db, clock, log, config: config.fspiop, ...services,
    signatureKeysOf: (participant, nowMs) => signingKeys.activeKeysOf(participant, nowMs),
    securityEvents: base.securityEvents,
    gateway,
    ...(mutual ? { tls: schemeTls.mtls, tokenRequestHandler: async () => participantTokenHandler((await iam.started()).provider) } : {}),
    afterAccepted: () => { delivery.wake(); },
  });
  const urls = await listen(config, log, listeners, admin, fspiop);
  const scheduledClose = () => closeDueWindow({ windows: settlementWindows, audit: base.adminAudit, clock }, config.settlement.windowCloseIntervalMs);
  const stopTimers = startTimers(config, log, { db, engine, services, delivery, refreshTls, policies, admin, scheduledClose });
  return {
    storage,
    ...urls,
    schemeCaPems: [schemeTls.pki.rootPem],
    async close() {
      stopTimers();
      await fspiop.close();
      await admin.app.close();
      await delivery.stop();
      // The interval's counts of repeated security events, appended before the log closes.
      await base.auditedSecurityEvents.close();
      await base.auditLog.close();
      await storage.close();
    },
  };
}

async function listen(config: Config, log: Logger, listeners: Listeners, admin: AdminApi, fspiop: { listen(options: Listeners['fspiop']): Promise<unknown> }) {
  const adminTls = config.admin.tls === 'on';
  const mutual = config.fspiop.tls === 'mutual';
  await admin.app.listen(listeners.admin);
  const adminUrl = urlOf(adminTls ? 'https' : 'http', config.admin.host, listeners.admin.port);
  if (adminTls) log.info({ adminUrl }, 'admin API listening with TLS 1.3 and the hub\'s certificate from the scheme CA: every call needs an operator\'s or a client\'s token');
  else log.warn({ adminUrl }, 'admin API listening on plain HTTP (admin.tls off), loopback only: every call needs an operator\'s or a client\'s token');
  await fspiop.listen(listeners.fspiop);
  const fspiopUrl = urlOf(mutual ? 'https' : 'http', config.fspiop.host, listeners.fspiop.port);
  if (mutual) log.info({ fspiopUrl }, 'FSPIOP API listening with mutual TLS: every DFSP presents a certificate of the scheme CA naming its fspId');
  else log.warn({ fspiopUrl }, 'FSPIOP API listening on plain HTTP (fspiop.tls off), loopback only: no DFSP identity beyond its signatures');
  return { adminUrl, fspiopUrl };
}

/** The hub's periodic work, once it listens; returns what stops it all. */
function startTimers(config: Config, log: Logger, parts: { db: Storage['db']; engine: Storage['engine']; services: Services; delivery: DeliveryWorker; refreshTls: () => Promise<void>; policies: GatewayPolicies; admin: AdminApi; scheduledClose: () => Promise<unknown> }): () => void {
  const { services, delivery } = parts;
  delivery.start();
  const stops = [
    every(config.transfers.expirySweepIntervalMs, async () => {
      if ((await services.transfers.expireDue(EXPIRY_BATCH_SIZE_MAX)) > 0) delivery.wake();
    }, log, 'transfer expiry'),
    every(LOOKUP_PRUNE_INTERVAL_MS, () => services.lookup.pruneExpiredLookups(), log, 'lookup pruning'),
    // The FRMS's windows: counters past every window and pairs past their retention (bounded batches).
    every(RISK_PRUNE_INTERVAL_MS, () => pruneFeatures(parts.db, parts.engine, Date.now()), log, 'FRMS feature pruning'),
    // CRLs from any hub process (or `interlock pki revoke`) reach this one's listener within an interval.
    every(config.pki.crlReloadIntervalMs, parts.refreshTls, log, 'TLS refresh'),
    // IP allow-lists and API permissions approved in another hub process reach this one within an interval.
    every(config.gateway.policyRefreshIntervalMs, () => parts.policies.refresh(), log, 'gateway policy refresh'),
    parts.admin.startTimers(),
  ];
  // settlement.windowCloseIntervalMs: any hub process may close the due window; the others then find a young one.
  if (config.settlement.windowCloseIntervalMs > 0) stops.push(every(SCHEDULE_CHECK_INTERVAL_MS, parts.scheduledClose, log, 'settlement window close'));
  return () => { for (const stop of stops) stop(); };
}
