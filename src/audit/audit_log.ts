// The audit log as the rest of the hub uses it: append an entry (settles once
// it is durable, with its index), sign a checkpoint now, close. Behind it, the
// sequencer (batching, indexes across hub processes, checkpoints that extend
// the last one) and the witnesses, to whom every checkpoint goes.
//
// Checkpoint cadence: every `checkpointIntervalMs` the log signs a checkpoint
// if the tree grew since the last one (any hub process's counts), and sends
// the latest to every witness that has not cosigned it. A quiet log signs
// nothing new; a witness that was down gets the latest checkpoint again at
// each tick until it cosigns.
import assert from 'node:assert/strict';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Engine } from '../storage/index.ts';
import type { Clock, Logger } from '../support/index.ts';
import { err } from '../support/index.ts';
import { type AuditEntry, ED25519_SIGNATURE_TYPE, ed25519NoteSigner, ed25519NoteVerifier, ed25519PublicKeyBytes, encodeEntry, type Fetch, formatVerifierKey, isKeyName, leafHash, type Witness } from '../translog/index.ts';
import { AuditAppendError, createSequencer, type AppendResult, type PendingEntry, type SequencerLimits, type SignedCheckpoint } from './sequencer.ts';
import { AuditIntegrityError, type AuditDb } from './store.ts';
import { createWitnessing } from './witnessing.ts';

export interface AuditLogDeps {
  readonly db: AuditDb;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly log: Logger;
  /** The log's identity (audit.origin): its checkpoints' first line and its key's name. Fixed for the log's life. */
  readonly origin: string;
  /** The log's Ed25519 key (key_file.ts). */
  readonly privateKey: KeyObject;
  readonly checkpointIntervalMs: number;
  readonly witnesses: readonly Witness[];
  readonly limits?: SequencerLimits;
  /** For tests: the witnesses' HTTP client. */
  readonly fetch?: Fetch;
}

/**
 * What a service that records to the audit log depends on (operator actions, FRMS decisions): the log's append,
 * `auditLog.append`. Refusals are values; a storage failure rejects, and an action that must be audited fails with it.
 */
export type AuditAppend = (entry: AuditEntry) => Promise<AppendResult>;

/**
 * Appends an entry in the caller's transaction (storage/transaction.ts): it commits with the caller's writes or
 * not at all. Throws AuditAppendError (or the storage error) when it cannot, and the transaction must roll back.
 */
export type AuditAppendInTransaction = (tx: AuditDb, entry: AuditEntry) => Promise<number>;

export interface AuditLog {
  /**
   * Appends an entry; settles once it is durable, with its index. Refused (as a value) when the entry encodes to
   * more than a tlog-tiles entry may hold, when the log's queue is full, or after close. Rejects if storage fails.
   */
  append: AuditAppend;
  /**
   * Appends an entry in the transaction of the state change it records, under the log's sequence lock (held
   * until that transaction ends): call it last in the transaction. See AuditAppendInTransaction.
   */
  appendInTransaction: AuditAppendInTransaction;
  /** Signs a checkpoint of what is committed now (none again if the tree has not grown) and sends it to the witnesses. */
  checkpointNow(): Promise<SignedCheckpoint | undefined>;
  /** Commits what is queued, signs a last checkpoint, waits for the witnesses' answers, and refuses appends after. */
  close(): Promise<void>;
  /** The verifier key string (`origin+keyid+base64`) auditors and witnesses pin for this log. */
  readonly verifierKey: string;
}

/** How often an integrity failure is reported again while it lasts. */
const INTEGRITY_REPORT_INTERVAL_MS = 60_000;

/**
 * Restores the log from storage and starts its checkpoint timer. Refuses to start (AuditIntegrityError) if the
 * stored tree does not extend the log's last checkpoint, or if that checkpoint is another key's or origin's.
 */
/** What the sequencer stores of an entry: its canonical bytes, their leaf hash, and the fields searches use. */
export function pendingEntryOf(entry: AuditEntry, bytes: Uint8Array): PendingEntry {
  return {
    bytes,
    leafHash: leafHash(bytes),
    kind: entry.kind,
    actor: entry.actor,
    action: entry.action,
    targetType: entry.target.type,
    targetId: entry.target.id,
    timeMs: entry.timeMs,
  };
}

export async function createAuditLog(deps: AuditLogDeps): Promise<AuditLog> {
  const { db, engine, clock, origin, privateKey } = deps;
  assert.ok(isKeyName(origin), `createAuditLog: the origin ${JSON.stringify(origin)} is not a note key name`);
  const log = deps.log.child({ component: 'audit-log' });
  const publicKey = ed25519PublicKeyBytes(privateKey);
  const verifierKey = formatVerifierKey(origin, ED25519_SIGNATURE_TYPE, publicKey);
  const signer = ed25519NoteSigner(origin, privateKey);
  const sequencer = await createSequencer({
    db, engine, clock, origin, signer,
    verifier: ed25519NoteVerifier(origin, createPublicKey(privateKey)),
    ...(deps.limits === undefined ? {} : { limits: deps.limits }),
  });
  const witnessing = createWitnessing({ db, engine, clock, log, witnesses: deps.witnesses, ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }) });

  async function checkpointNow(): Promise<SignedCheckpoint | undefined> {
    const checkpoint = await sequencer.checkpoint();
    if (checkpoint !== undefined) {
      if (checkpoint.created) log.debug({ seq: checkpoint.seq, size: checkpoint.size }, 'checkpoint signed');
      witnessing.submit(checkpoint);
    }
    return checkpoint;
  }

  let ticking: Promise<void> | undefined;
  let integrityReportedAtMs = -Infinity;
  const timer = setInterval(() => {
    if (ticking !== undefined) return;
    ticking = checkpointNow().then(() => undefined, (error: unknown) => {
      if (error instanceof assert.AssertionError) throw error;
      if (error instanceof AuditIntegrityError) {
        if (clock.nowMs() - integrityReportedAtMs >= INTEGRITY_REPORT_INTERVAL_MS) {
          integrityReportedAtMs = clock.nowMs();
          log.fatal({ err: error }, 'AUDIT LOG INTEGRITY: the stored log does not extend its last signed checkpoint; no checkpoint will be signed until this is investigated');
        }
        return;
      }
      log.error({ err: error }, 'audit checkpoint failed; trying again at the next interval');
    }).finally(() => { ticking = undefined; });
  }, deps.checkpointIntervalMs);
  timer.unref();

  log.info({ origin, verifierKey, size: sequencer.size(), witnesses: deps.witnesses.map((w) => w.url) }, 'audit log ready');

  return {
    verifierKey,
    append(entry) {
      const encoded = encodeEntry(entry);
      if (!encoded.ok) return Promise.resolve(err({ problem: 'entry-too-large', reason: encoded.error }));
      return sequencer.append(pendingEntryOf(entry, encoded.value));
    },
    async appendInTransaction(tx, entry) {
      const encoded = encodeEntry(entry);
      if (!encoded.ok) throw new AuditAppendError(`the audit entry cannot be stored: ${encoded.error}`);
      return sequencer.appendInTransaction(tx, pendingEntryOf(entry, encoded.value));
    },
    checkpointNow,
    async close() {
      clearInterval(timer);
      while (ticking !== undefined) await ticking;
      try {
        await checkpointNow();
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        log.error({ err: error }, 'the last audit checkpoint before closing failed');
      }
      await sequencer.close();
      await witnessing.drained();
    },
  };
}
