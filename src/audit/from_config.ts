// The audit log from the hub's configuration: its key (made at first start),
// its origin, its checkpoint interval and its witnesses. What main.ts and the
// CLI call; the log itself takes explicit dependencies (audit_log.ts).
import type { Config, WitnessConfig } from '../config/index.ts';
import type { Engine } from '../storage/index.ts';
import type { Clock, Logger } from '../support/index.ts';
import { createAuditLog, type AuditLog } from './audit_log.ts';
import { parseCosignatureVerifierKey, type Witness } from '../translog/index.ts';
import { loadOrCreateAuditKey } from './key_file.ts';
import type { SequencerLimits } from './sequencer.ts';
import type { AuditDb } from './store.ts';

/** The configured witnesses with their pinned keys (the configuration has checked every key already). */
export function witnessesOf(configured: readonly WitnessConfig[]): Witness[] {
  return configured.map(({ url, verifierKey }) => {
    const verifier = parseCosignatureVerifierKey(verifierKey);
    if (!verifier.ok) throw new Error(`audit.witnesses: ${verifierKey}: ${verifier.error}`);
    return { url, verifier: verifier.value };
  });
}

export interface AuditLogFromConfigDeps {
  readonly db: AuditDb;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly log: Logger;
  readonly limits?: SequencerLimits;
}

/**
 * The hub's audit log: the key from audit.keyFile, or <dataDir>/audit_key.pem (made at first start, 0600; a key
 * others can read is refused). Rejects if the stored log is not this key's and origin's, or does not extend its
 * last checkpoint.
 */
export async function createAuditLogFromConfig(config: Pick<Config, 'dataDir' | 'audit'>, deps: AuditLogFromConfigDeps): Promise<AuditLog> {
  const key = loadOrCreateAuditKey({ keyFile: config.audit.keyFile, dataDir: config.dataDir });
  if (key.created) deps.log.warn({ keyFile: key.path }, 'made a new audit log key: back it up, and publish the log\'s verifier key to auditors and witnesses');
  return createAuditLog({
    ...deps,
    origin: config.audit.origin,
    privateKey: key.privateKey,
    checkpointIntervalMs: config.audit.checkpointIntervalMs,
    witnesses: witnessesOf(config.audit.witnesses),
  });
}
