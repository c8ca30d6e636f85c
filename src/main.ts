// Wiring only: storage → domain services → admin API. Each service is a
// function of its dependencies.
import { readFileSync } from 'node:fs';
import type { Config } from './config/index.ts';
import { createFunds, createLimits } from './ledger/index.ts';
import { createAdminApi } from './operator/index.ts';
import { createParticipantRegistry } from './participants/index.ts';
import { createSettlementModels } from './settlement/index.ts';
import { openStorage, redactStorageUrl, type Storage } from './storage/index.ts';
import { systemClock, type Clock } from './support/clock.ts';
import type { Logger } from './support/logger.ts';

// eslint-disable-next-line security/detect-non-literal-fs-filename -- the package's own manifest, beside the sources
export const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface Hub {
  storage: Storage;
  /** Base URL of the admin API, with the port actually bound. */
  adminUrl: string;
  close(): Promise<void>;
}

export async function startHub(config: Config, log: Logger, clock: Clock = systemClock): Promise<Hub> {
  const storage = openStorage(config.storage.url);
  const { applied } = await storage.migrate();
  log.info({ engine: storage.engine, storage: redactStorageUrl(config.storage.url), migrationsApplied: applied }, 'storage ready');

  const { db, engine } = storage;
  const registry = createParticipantRegistry({ db, engine, clock });
  await registry.ensureHub();
  const admin = await createAdminApi({
    registry,
    funds: createFunds({ db, engine, clock }),
    limits: createLimits({ db, engine, clock }),
    settlementModels: createSettlementModels({ db, engine, clock }),
    storage,
    clock,
    log,
    config: config.admin,
    startedAtMs: clock.nowMs(),
    version: VERSION,
  });
  await admin.listen({ host: config.admin.host, port: config.admin.port });
  const address = admin.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.admin.port;
  const adminUrl = `http://${config.admin.host.includes(':') ? `[${config.admin.host}]` : config.admin.host}:${port}`;
  log.warn({ adminUrl }, 'admin API listening on loopback only: operator sign-in is not built yet, so it must not be reachable from other machines');

  return {
    storage,
    adminUrl,
    async close() {
      await admin.close();
      await storage.close();
    },
  };
}
