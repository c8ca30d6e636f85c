// Wiring only: storage → domain services → the FSPIOP and admin APIs, the
// callback outbox worker and the timers. Each service is a function of its
// dependencies.
import { readFileSync } from 'node:fs';
import type { Server as TlsServer } from 'node:tls';
import type { Config } from './config/index.ts';
import { createCallbackAddressPolicy, createDeliveryWorker, DEFAULT_DELIVERY_LIMITS, enqueue, type OwnListener } from './delivery/index.ts';
import { createFspiopApi } from './edge/fspiop_api.ts';
import { auditOperatorActions, auditSecurityEvents, createAuditLogFromConfig, createAuditQueries, SECURITY_EVENT_LIMITS } from './audit/index.ts';
import { fanOutAdminAudit, loggedAdminAudit } from './operator/audit_events.ts';
import { loggedSecurityEvents, type SecurityEvents } from './support/security_events.ts';
import { loadOrCreateHubSigningKey, signOutgoingRequest } from './edge/signature/index.ts';
import { startSchemeTls } from './edge/tls/scheme_tls.ts';
import { createFunds, createLimits } from './ledger/index.ts';
import { createLookupService, createOracleClient } from './lookup/index.ts';
import { createAdminApi, iamOf } from './operator/index.ts';
import { loadOrCreateSecretBox } from './operator/iam/secret_box.ts';
import { oneTimeCredentialDelivery } from './operator/iam/one_time_credential.ts';
import { createGateway } from './edge/gateway/gateway.ts';
import { participantTokenEndpointUrl } from './edge/gateway/token_endpoint.ts';
import { createParticipantRegistry, createSigningKeyRegistry } from './participants/index.ts';
import { createQuoteService } from './quotes/index.ts';
import { createSettlementModels } from './settlement/index.ts';
import { createTransferService } from './transfers/index.ts';
import { openStorage, redactStorageUrl, type Storage } from './storage/index.ts';
import { systemClock, type Clock } from './support/clock.ts';
import type { Logger } from './support/logger.ts';
import { reserveListenerPorts, type ReservedPorts } from './support/listen_ports.ts';
import { every } from './support/periodic.ts';

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

function urlOf(scheme: 'http' | 'https', host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** One-time credentials issued at start go to the terminal, or to an owner-only file in the data directory (never a log). */
function credentialDelivery(config: Config, log: Logger) {
  const delivery = oneTimeCredentialDelivery({ dataDir: config.dataDir, log });
  return { showOnce: delivery.show, credentialReplaced: delivery.replaced };
}

function boundPort(server: { address(): unknown }, fallback: number): number {
  const address = server.address();
  return typeof address === 'object' && address !== null && 'port' in address ? Number(address.port) : fallback;
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

async function startOnPorts(config: Config, log: Logger, clock: Clock, ports: ReservedPorts): Promise<Hub> {
  const storage = openStorage(config.storage.url);
  const { applied } = await storage.migrate();
  log.info({ engine: storage.engine, storage: redactStorageUrl(config.storage.url), migrationsApplied: applied }, 'storage ready');

  const { db, engine } = storage;
  const registry = createParticipantRegistry({ db, engine, clock });
  await registry.ensureHub();

  // The hub signs what it originates (RS256: the algorithm FSPIOP v1.1 names) and checks what DFSPs sign.
  const hubSigningKey = await loadOrCreateHubSigningKey({ keyFile: config.fspiop.signingKeyFile, dataDir: config.dataDir, alg: 'RS256' });
  const signingKeys = createSigningKeyRegistry({ db, engine, clock });
  // The key that seals the operator IAM's secrets (TOTP secrets, the authorization server's keys) in the database.
  const iamSecrets = loadOrCreateSecretBox({ keyFile: config.admin.secretsKeyFile, dataDir: config.dataDir });
  if (iamSecrets.created) log.warn({ keyFile: iamSecrets.path }, 'made a new IAM secrets key: back it up (without it the operators\' TOTP enrolments and the authorization server\'s keys are lost) and give every hub process on this database the same file (admin.secretsKeyFile)');
  // The tamper-evident audit log; every security event is logged and appended to it.
  const auditLog = await createAuditLogFromConfig(config, { db, engine, clock, log: log.child({ component: 'audit' }) });
  const auditedSecurityEvents = auditSecurityEvents(auditLog, log, clock, { ...SECURITY_EVENT_LIMITS, coalesceIntervalMs: config.audit.securityEventIntervalMs });
  const loggedEvents = loggedSecurityEvents(log);
  const securityEvents: SecurityEvents = {
    record(event) {
      loggedEvents.record(event);
      auditedSecurityEvents.record(event);
    },
  };
  // Every operator action, allowed or refused: a change in its own transaction, anything else before it is
  // answered; an action the audit log cannot record fails (operator/audit_events.ts).
  const adminAudit = fanOutAdminAudit(loggedAdminAudit(log), auditOperatorActions(auditLog));
  // The scheme PKI and mutual TLS (off only on loopback, by configuration).
  const schemeTls = await startSchemeTls({ config, db, engine, clock, log, securityEvents });
  const mutual = config.fspiop.tls === 'mutual';
  const deliveryTls = () => ({ ...schemeTls.mtls.clientOptions(), httpsOnly: mutual });

  // Where callbacks may go: configuration, less link-local and the hub's own listeners (their ports once bound).
  const ownListeners = (): OwnListener[] => [
    { name: 'admin', host: config.admin.host, port: boundPort(admin.server, config.admin.port) },
    { name: 'FSPIOP', host: config.fspiop.host, port: boundPort(fspiop.server, config.fspiop.port) },
  ];
  const callbackAddresses = createCallbackAddressPolicy({ networks: config.delivery.callbackNetworks, allowLoopback: config.delivery.allowLoopbackCallbacks }, ownListeners);

  const delivery = createDeliveryWorker({
    db, engine, clock, log: log.child({ component: 'delivery' }), limits: DEFAULT_DELIVERY_LIMITS,
    signHubMessage: (message) => signOutgoingRequest(message, hubSigningKey),
    tls: deliveryTls(),
    callbackAddresses,
    securityEvents,
  });
  /** CRLs into the listener; the hub's certificate, when renewed, into the listener and the delivery worker. */
  async function refreshTls(): Promise<void> {
    if (!(await schemeTls.refresh()).renewed) return;
    delivery.updateTls(deliveryTls());
    if (adminTls) (admin.server as unknown as TlsServer).setSecureContext(adminHttps());
  }
  const transfers = createTransferService({ db, engine, clock, enqueue, limits: { expiryMsMax: config.transfers.expiryMsMax } });
  const quotes = createQuoteService({ db, engine, clock, enqueue });
  const lookup = createLookupService({ db, engine, clock, enqueue, oracleClient: createOracleClient({ clock, addresses: callbackAddresses }) });

  // The admin API presents the hub's certificate too (TLS 1.3; operators authenticate with tokens).
  const adminTls = config.admin.tls === 'on';
  const adminHttps = () => ({ key: schemeTls.credentials().keyPem, cert: schemeTls.credentials().certificateChainPem });
  // The participant API gateway: IP allow-lists and API permissions (data, changed through maker-checker),
  // certificate-bound access tokens from the hub's authorization server, rate limits.
  const gateway = await createGateway({
    db, engine, clock, settings: config.gateway,
    tokenTrust: () => iamOf(admin).participantTokenTrust(),
  });
  const admin = await createAdminApi({
    registry,
    callbackAddresses,
    funds: createFunds({ db, engine, clock }),
    limits: createLimits({ db, engine, clock }),
    settlementModels: createSettlementModels({ db, engine, clock }),
    signingKeys,
    hubPublicKeys: () => [hubSigningKey],
    pki: schemeTls.pki,
    afterRevocation: refreshTls,
    expiryWarningDays: config.pki.expiryWarningDays,
    storage,
    clock,
    log,
    audit: adminAudit,
    auditQueries: createAuditQueries({ db, log: log.child({ component: 'audit-queries' }) }),
    secretBox: iamSecrets.box,
    ...credentialDelivery(config, log),
    gatewayPolicies: gateway.store,
    afterGatewayPolicyChange: (policy) => gateway.reload(policy),
    participantTokens: {
      grantedScopes: (fspId) => gateway.controls.apiPermissions.grantedScopes(fspId),
      // Asked once the FSPIOP API listens (its port may be chosen then).
      tokenEndpointUrl: () => (mutual ? participantTokenEndpointUrl(urlOf('https', config.fspiop.host, boundPort(fspiop.server, config.fspiop.port))) : undefined),
    },
    config: config.admin,
    ...(adminTls ? { https: adminHttps() } : {}),
    startedAtMs: clock.nowMs(),
    version: VERSION,
  });
  const fspiop = await createFspiopApi({
    db, clock, log, config: config.fspiop, transfers, quotes, lookup,
    signatureKeysOf: (participant, nowMs) => signingKeys.activeKeysOf(participant, nowMs),
    securityEvents,
    gateway: gateway.controls,
    ...(mutual ? { tls: schemeTls.mtls, tokenProvider: async () => (await iamOf(admin).started()).provider } : {}),
    afterAccepted: () => { delivery.wake(); },
  });

  await admin.listen(onReserved(ports, ADMIN_PORT));
  const adminUrl = urlOf(adminTls ? 'https' : 'http', config.admin.host, boundPort(admin.server, config.admin.port));
  if (adminTls) log.info({ adminUrl }, 'admin API listening with TLS 1.3 and the hub\'s certificate from the scheme CA: every call needs an operator\'s or a client\'s token');
  else log.warn({ adminUrl }, 'admin API listening on plain HTTP (admin.tls off), loopback only: every call needs an operator\'s or a client\'s token');
  await fspiop.listen(onReserved(ports, FSPIOP_PORT));
  const fspiopUrl = urlOf(mutual ? 'https' : 'http', config.fspiop.host, boundPort(fspiop.server, config.fspiop.port));
  if (mutual) log.info({ fspiopUrl }, 'FSPIOP API listening with mutual TLS: every DFSP presents a certificate of the scheme CA naming its fspId');
  else log.warn({ fspiopUrl }, 'FSPIOP API listening on plain HTTP (fspiop.tls off), loopback only: no DFSP identity beyond its signatures');

  delivery.start();
  const stopSweeper = every(config.transfers.expirySweepIntervalMs, async () => {
    if ((await transfers.expireDue(EXPIRY_BATCH_SIZE_MAX)) > 0) delivery.wake();
  }, log, 'transfer expiry');
  const stopPruner = every(LOOKUP_PRUNE_INTERVAL_MS, () => lookup.pruneExpiredLookups(), log, 'lookup pruning');
  // CRLs from any hub process (or `interlock pki revoke`) reach this one's listener within an interval.
  const stopTlsRefresh = every(config.pki.crlReloadIntervalMs, refreshTls, log, 'TLS refresh');
  // IP allow-lists and API permissions approved in another hub process reach this one within an interval.
  const stopPolicyRefresh = every(config.gateway.policyRefreshIntervalMs, () => gateway.refresh(), log, 'gateway policy refresh');

  return {
    storage,
    adminUrl,
    fspiopUrl,
    schemeCaPems: [schemeTls.pki.rootPem],
    async close() {
      stopSweeper();
      stopPruner();
      stopTlsRefresh();
      stopPolicyRefresh();
      await fspiop.close();
      await admin.close();
      await delivery.stop();
      // The interval's counts of repeated security events, appended before the log closes.
      await auditedSecurityEvents.close();
      await auditLog.close();
      await storage.close();
    },
  };
}
