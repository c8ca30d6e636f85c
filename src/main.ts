// Wiring only: storage → domain services → the FSPIOP and admin APIs, the
// callback outbox worker and the timers. Each service is a function of its
// dependencies.
import { readFileSync } from 'node:fs';
import type { Config } from './config/index.ts';
import { createDeliveryWorker, DEFAULT_DELIVERY_LIMITS, enqueue } from './delivery/index.ts';
import { createFspiopApi } from './edge/fspiop_api.ts';
import { loggedSecurityEvents } from './edge/security_events.ts';
import { loadOrCreateHubSigningKey, signOutgoingRequest } from './edge/signature/index.ts';
import { createFunds, createLimits } from './ledger/index.ts';
import { createLookupService, createOracleClient } from './lookup/index.ts';
import { createAdminApi } from './operator/index.ts';
import { createParticipantRegistry, createSigningKeyRegistry } from './participants/index.ts';
import { createQuoteService } from './quotes/index.ts';
import { createSettlementModels } from './settlement/index.ts';
import { createTransferService } from './transfers/index.ts';
import { openStorage, redactStorageUrl, type Storage } from './storage/index.ts';
import { systemClock, type Clock } from './support/clock.ts';
import type { Logger } from './support/logger.ts';
import { every } from './support/periodic.ts';

// eslint-disable-next-line security/detect-non-literal-fs-filename -- the package's own manifest, beside the sources
export const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface Hub {
  storage: Storage;
  /** Base URLs of the admin and FSPIOP APIs, with the ports actually bound. */
  adminUrl: string;
  fspiopUrl: string;
  close(): Promise<void>;
}

/** Transfers expired per sweep; a longer backlog is taken over the next sweeps. */
const EXPIRY_BATCH_SIZE_MAX = 200;
/** How often forwarded party lookups past their window are pruned. */
const LOOKUP_PRUNE_INTERVAL_MS = 60_000;

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function boundPort(server: { address(): unknown }, fallback: number): number {
  const address = server.address();
  return typeof address === 'object' && address !== null && 'port' in address ? Number(address.port) : fallback;
}

export async function startHub(config: Config, log: Logger, clock: Clock = systemClock): Promise<Hub> {
  const storage = openStorage(config.storage.url);
  const { applied } = await storage.migrate();
  log.info({ engine: storage.engine, storage: redactStorageUrl(config.storage.url), migrationsApplied: applied }, 'storage ready');

  const { db, engine } = storage;
  const registry = createParticipantRegistry({ db, engine, clock });
  await registry.ensureHub();

  // The hub signs what it originates (RS256: the algorithm FSPIOP v1.1 names) and checks what DFSPs sign.
  const hubSigningKey = await loadOrCreateHubSigningKey({ dataDir: config.dataDir, alg: 'RS256' });
  const signingKeys = createSigningKeyRegistry({ db, engine, clock });
  const securityEvents = loggedSecurityEvents(log);

  const delivery = createDeliveryWorker({
    db, engine, clock, log: log.child({ component: 'delivery' }), limits: DEFAULT_DELIVERY_LIMITS,
    signHubMessage: (message) => signOutgoingRequest(message, hubSigningKey),
  });
  const transfers = createTransferService({ db, engine, clock, enqueue, limits: { expiryMsMax: config.transfers.expiryMsMax } });
  const quotes = createQuoteService({ db, engine, clock, enqueue });
  const lookup = createLookupService({ db, engine, clock, enqueue, oracleClient: createOracleClient({ clock }) });

  const admin = await createAdminApi({
    registry,
    funds: createFunds({ db, engine, clock }),
    limits: createLimits({ db, engine, clock }),
    settlementModels: createSettlementModels({ db, engine, clock }),
    signingKeys,
    hubPublicKeys: () => [hubSigningKey],
    storage,
    clock,
    log,
    config: config.admin,
    startedAtMs: clock.nowMs(),
    version: VERSION,
  });
  const fspiop = await createFspiopApi({
    db, clock, log, config: config.fspiop, transfers, quotes, lookup,
    signatureKeysOf: (participant, nowMs) => signingKeys.activeKeysOf(participant, nowMs),
    securityEvents,
    afterAccepted: () => { delivery.wake(); },
  });

  await admin.listen({ host: config.admin.host, port: config.admin.port });
  const adminUrl = urlOf(config.admin.host, boundPort(admin.server, config.admin.port));
  log.warn({ adminUrl }, 'admin API listening on loopback only: operator sign-in is not built yet, so it must not be reachable from other machines');
  await fspiop.listen({ host: config.fspiop.host, port: config.fspiop.port });
  const fspiopUrl = urlOf(config.fspiop.host, boundPort(fspiop.server, config.fspiop.port));
  log.warn({ fspiopUrl }, 'FSPIOP API listening on plain HTTP, loopback only: mutual TLS is not built yet, so it must not be reachable from other machines');

  delivery.start();
  const stopSweeper = every(config.transfers.expirySweepIntervalMs, async () => {
    if ((await transfers.expireDue(EXPIRY_BATCH_SIZE_MAX)) > 0) delivery.wake();
  }, log, 'transfer expiry');
  const stopPruner = every(LOOKUP_PRUNE_INTERVAL_MS, () => lookup.pruneExpiredLookups(), log, 'lookup pruning');

  return {
    storage,
    adminUrl,
    fspiopUrl,
    async close() {
      stopSweeper();
      stopPruner();
      await fspiop.close();
      await admin.close();
      await delivery.stop();
      await storage.close();
    },
  };
}
