// The scheme PKI and mutual TLS as one hub process runs them: the CA loaded
// (made at first start when there is none, as the demo needs), the hub's own
// certificate issued or renewed, and a timer that reloads the CRLs into the
// listener (closing connections of revoked or expired certificates), renews the
// hub's certificate when due, and warns of every certificate close to expiry.
import { initCa, loadCa, createPkiService, type PkiService } from '../../pki/index.ts';
import type { Config } from '../../config/index.ts';
import type { Db, Engine } from '../../storage/index.ts';
import type { Clock, Logger } from '../../support/index.ts';
import type { SecurityEvents } from '../../audit/index.ts';
import { ensureHubTlsCredentials, type HubTlsCredentials } from './hub_credentials.ts';
import { createMutualTls, type MutualTls } from './mtls.ts';

const DAY_MS = 86_400_000;
/** Expiry warnings repeat this often, not at every reload. */
const EXPIRY_WARNING_REPEAT_MS = 6 * 3_600_000;

export interface SchemeTls {
  readonly pki: PkiService;
  readonly mtls: MutualTls;
  /** The hub's own key and certificate now (the admin API presents them too). */
  credentials(): HubTlsCredentials;
  /** Reloads CRLs now (after a revocation in this process), renews the hub's certificate if due, warns of expiries. */
  refresh(): Promise<{ renewed: boolean }>;
}

export interface SchemeTlsDeps {
  readonly config: Config;
  readonly db: Db;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly log: Logger;
  readonly securityEvents: SecurityEvents;
}

async function loadOrInitCa(config: Config, clock: Clock, log: Logger) {
  let loaded = await loadCa(config.pki.dir);
  if (!loaded.ok) {
    const created = await initCa({ dir: config.pki.dir, schemeName: 'Interlock Scheme', nowMs: clock.nowMs() });
    if (!created.ok) throw new Error(`scheme CA in ${config.pki.dir}: ${loaded.error.detail}; and a new one could not be made: ${created.error.detail}`);
    log.warn({ pkiDir: config.pki.dir, rootKey: created.value.paths.rootKey, rootFingerprintSha256: created.value.rootFingerprintSha256 },
      'no scheme CA was found, so the hub made one: move the root key offline (the hub needs only the intermediate), and give DFSPs the root fingerprint to check out of band');
    loaded = await loadCa(config.pki.dir);
    if (!loaded.ok) throw new Error(`scheme CA in ${config.pki.dir}: ${loaded.error.detail}`);
  }
  return loaded.value;
}

export async function startSchemeTls(deps: SchemeTlsDeps): Promise<SchemeTls> {
  const { config, db, engine, clock, log, securityEvents } = deps;
  const ca = await loadOrInitCa(config, clock, log);
  const pki = createPkiService({
    db, engine, clock, ca,
    settings: { leafLifetimeDays: config.pki.leafLifetimeDays, leafLifetimeDaysMax: config.pki.leafLifetimeDaysMax, crlNextUpdateHours: config.pki.crlNextUpdateHours, crlUrl: config.pki.crlUrl },
  });
  const credentialOptions = () => ({
    pki, dir: `${config.dataDir}/hub-tls`, hosts: config.fspiop.certificateHosts,
    lifetimeDays: config.pki.leafLifetimeDays, renewBeforeDays: config.pki.expiryWarningDays, nowMs: clock.nowMs(),
  });
  const first = await ensureHubTlsCredentials(credentialOptions());
  if (first.issued) log.info({ serial: first.credentials.serialHex, notAfter: new Date(first.credentials.notAfterMs).toISOString() }, 'issued the hub\'s own TLS certificate');
  const trust = async () => ({ caPems: [pki.rootPem, pki.intermediatePem], crlPems: await pki.crlsForTls() });
  const mtls = createMutualTls({ credentials: first.credentials, trust: await trust(), clock, securityEvents });
  let current = first.credentials;

  let lastWarnedMs = Number.NEGATIVE_INFINITY;
  async function warnOfExpiries(): Promise<void> {
    if (clock.nowMs() - lastWarnedMs < EXPIRY_WARNING_REPEAT_MS) return;
    lastWarnedMs = clock.nowMs();
    const warningDays = config.pki.expiryWarningDays;
    for (const record of await pki.expiring(warningDays)) {
      log.warn({ participant: record.fsp_id, serial: record.serial_hex, notAfter: new Date(record.not_after_ms).toISOString(), daysLeft: Math.floor((record.not_after_ms - clock.nowMs()) / DAY_MS) },
        'certificate expires soon: renew it (interlock pki renew, or POST /pki/csr with a new key)');
    }
    const caExpiry = pki.caExpiry();
    for (const [what, notAfterMs] of [['scheme root CA', caExpiry.rootNotAfterMs], ['scheme intermediate CA', caExpiry.intermediateNotAfterMs], ['root CA\'s CRL', caExpiry.rootCrlNextUpdateMs]] as const) {
      if (notAfterMs - clock.nowMs() <= warningDays * DAY_MS) log.warn({ what, notAfter: new Date(notAfterMs).toISOString() }, `${what} expires soon: plan the ceremony with the offline root key`);
    }
  }

  async function refresh(): Promise<{ renewed: boolean }> {
    const renewed = await ensureHubTlsCredentials(credentialOptions());
    if (renewed.issued) {
      log.info({ serial: renewed.credentials.serialHex }, 'renewed the hub\'s own TLS certificate');
      current = renewed.credentials;
    }
    mtls.reload(await trust(), renewed.issued ? renewed.credentials : undefined);
    await warnOfExpiries();
    return { renewed: renewed.issued };
  }

  await warnOfExpiries();
  return { pki, mtls, credentials: () => current, refresh };
}
