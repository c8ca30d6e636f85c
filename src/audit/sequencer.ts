// The audit log's sequencer: one per hub process. It gives each entry its
// index, commits entries in batches (group commit), and signs checkpoints.
//
// Batching: an append waits in a bounded queue; when the sequencer is idle,
// the first entry starts a short window (AUDIT_BATCH_WINDOW_MS) for others to
// join, and while a batch commits, the entries that arrive meanwhile form the
// next one. A batch is one transaction (on SQLite, one unit of the storage
// group commit), and each append settles only after that transaction
// committed: an acknowledged entry is durable.
//
// Sequencing across hub processes on one PostgreSQL: every batch and every
// checkpoint takes the row lock of the one-row audit_log_state first
// (SELECT … FOR UPDATE; on SQLite, BEGIN IMMEDIATE already holds the write
// lock). Under that lock the stored size is the next index: if another
// process appended since, this one first reads those leaf hashes into its
// tree (catching up), then appends its batch at the stored size, and raises
// the size in the same transaction. So indexes are unique (the primary key
// also says so) and gap-free (an index is only taken as the size, and the
// size only moves with the rows), whichever process appends.
//
// The in-memory tree is replaced only once a transaction committed; a batch
// that fails, or that the storage layer runs again (a PostgreSQL
// serialisation failure, a retried SQLite commit), starts again from the
// committed tree.
//
// A checkpoint is signed only once the stored tree proves it consistent with
// the last checkpoint signed (a consistency proof read from the stored tiles,
// checked against both roots): the hub never signs two inconsistent trees,
// whatever happened to its database.
import assert from 'node:assert/strict';
import { forUpdate, runTransaction, withCommitHook, type Engine } from '../storage/index.ts';
import type { Clock } from '../support/index.ts';
import { err, ok, type Result } from '../support/index.ts';
import { consistencyProofPlan, type FullTile, type Hash, hashesEqual, type NoteSigner, type NoteVerifier, openCheckpoint, proofFromPlan, signCheckpoint, type TreeState, verifyConsistency } from '../translog/index.ts';
import {
  AUDIT_BATCH_ENTRIES_MAX,
  AUDIT_BATCH_WINDOW_MS,
  AUDIT_CATCH_UP_ROWS_MAX,
  AUDIT_INSERT_ROWS_MAX,
  AUDIT_QUEUE_ENTRIES_MAX,
} from './limits.ts';
import { AuditIntegrityError, bytesOf, latestCheckpoint, nodeReader, type AuditDb, type StoredCheckpoint } from './store.ts';
import { restoreTreeState } from './tree_restore.ts';
import { auditTables } from './tables.ts';

/** An encoded entry, ready to append, with the fields the search indexes copy. */
export interface PendingEntry {
  readonly bytes: Uint8Array;
  readonly leafHash: Hash;
  readonly kind: string;
  readonly actor: string;
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string;
  readonly timeMs: number;
}

/** An entry that must be appended in a transaction could not be: the transaction rolls back with this. */
export class AuditAppendError extends Error {
  override readonly name = 'AuditAppendError';
  readonly code = 'AUDIT_APPEND_FAILED';
}

/** Refused without being queued: the queue is full, or the log is closing. Storage failures reject instead. */
export interface AppendRefusal {
  readonly problem: 'overloaded' | 'closed' | 'entry-too-large';
  readonly reason: string;
}
/** The entry's index once it is durable, or why it was not queued. */
export type AppendResult = Result<number, AppendRefusal>;

export interface SignedCheckpoint extends StoredCheckpoint {
  /** False when the tree had not grown since the last checkpoint, which is returned instead. */
  readonly created: boolean;
}

export interface SequencerLimits {
  readonly batchWindowMs: number;
  readonly batchEntriesMax: number;
  readonly queueEntriesMax: number;
}

export const DEFAULT_SEQUENCER_LIMITS: SequencerLimits = {
  batchWindowMs: AUDIT_BATCH_WINDOW_MS,
  batchEntriesMax: AUDIT_BATCH_ENTRIES_MAX,
  queueEntriesMax: AUDIT_QUEUE_ENTRIES_MAX,
};

export interface SequencerDeps {
  readonly db: AuditDb;
  readonly engine: Engine;
  readonly clock: Clock;
  /** The log's origin: its checkpoints' first line, and the key name the signer and verifier use. */
  readonly origin: string;
  readonly signer: NoteSigner;
  /** The same key's verifier, to check that the stored checkpoints are this log's. */
  readonly verifier: NoteVerifier;
  readonly limits?: SequencerLimits;
}

export interface Sequencer {
  /** Queues the entry; settles with its index once it is durable. */
  append(entry: PendingEntry): Promise<AppendResult>;
  /**
   * Appends the entry in the caller's transaction `tx`, under the sequence lock, which the transaction then
   * holds until it ends: the entry commits with the caller's writes, or neither does. Resolves with the index
   * it will have once `tx` commits; throws (and the caller's transaction must roll back) if it cannot.
   * Call it last in the transaction, after every other lock the transaction takes.
   */
  appendInTransaction(tx: AuditDb, entry: PendingEntry): Promise<number>;
  /**
   * Signs a checkpoint of every entry committed so far (by any hub process), after the entries queued in this
   * process before the call; returns the last one when the tree has not grown, and undefined for an empty log.
   */
  checkpoint(): Promise<SignedCheckpoint | undefined>;
  /** The committed size as this process last saw it. */
  size(): number;
  /** Commits what is queued, then refuses further appends. */
  close(): Promise<void>;
}

interface Waiting {
  readonly entry: PendingEntry;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

interface CheckpointWaiter {
  readonly resolve: (checkpoint: SignedCheckpoint | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/** The stored size, with the sequence lock held until the transaction ends. */
async function lockedSize(tx: AuditDb, engine: Engine): Promise<number> {
  const query = auditTables(tx).selectFrom('audit_log_state').select('size').where('id', '=', 1);
  // On SQLite every transaction is BEGIN IMMEDIATE (storage/sqlite.ts): the database's write lock is held already.
  const row = await forUpdate(query, engine).executeTakeFirst();
  assert.ok(row !== undefined, 'audit_log_state has its row (migration 0030)');
  return row.size;
}

/** Brings `tree` up to `storedSize` with the leaf hashes other hub processes committed. */
async function catchUp(tx: AuditDb, tree: TreeState, storedSize: number): Promise<void> {
  if (storedSize < tree.size()) {
    throw new AuditIntegrityError(`audit log: storage holds ${storedSize} entries, fewer than the ${tree.size()} this process committed or read: entries were removed`);
  }
  while (tree.size() < storedSize) {
    const from = tree.size();
    const to = Math.min(storedSize, from + AUDIT_CATCH_UP_ROWS_MAX);
    const rows = await auditTables(tx).selectFrom('audit_entries').select(['idx', 'leaf_hash']).where('idx', '>=', from).where('idx', '<', to).orderBy('idx').execute();
    for (const row of rows) {
      if (row.idx !== tree.size()) throw new AuditIntegrityError(`audit log: entry ${tree.size()} is missing below the stored size ${storedSize}`);
      tree.append(bytesOf(row.leaf_hash));
    }
    if (tree.size() < to) throw new AuditIntegrityError(`audit log: entry ${tree.size()} is missing below the stored size ${storedSize}`);
  }
}

/**
 * Checks the log's last checkpoint against the stored tree `tree` (of the stored size, read through `db`): it
 * is this log's (origin and key), and the stored tree extends it (a consistency proof from the stored tiles,
 * verified against the checkpoint's root and the tree's). Throws AuditIntegrityError otherwise.
 */
export async function checkLastCheckpoint(db: AuditDb, tree: TreeState, origin: string, verifier: NoteVerifier): Promise<StoredCheckpoint | undefined> {
  const last = await latestCheckpoint(db);
  if (last === undefined) return undefined;
  const opened = openCheckpoint(last.note, origin, [verifier]);
  if (!opened.ok) throw new AuditIntegrityError(`audit log: checkpoint ${last.seq} is not this log's (origin ${origin}, key ${verifier.name}): ${opened.error.reason}`);
  const { size, rootHash } = opened.value.checkpoint;
  if (size !== last.size || !hashesEqual(rootHash, last.rootHash)) {
    throw new AuditIntegrityError(`audit log: checkpoint ${last.seq}'s columns disagree with its signed note`);
  }
  const n = tree.size();
  if (size > n) throw new AuditIntegrityError(`audit log: checkpoint ${last.seq} signs ${size} entries but storage holds ${n}: entries were removed`);
  if (size === 0) return last;
  const plan = consistencyProofPlan(size, n);
  const proof = proofFromPlan(plan, await nodeReader(db, n)(plan.nodes));
  const verdict = verifyConsistency({ size1: size, size2: n, root1: rootHash, root2: tree.root(), proof });
  if (!verdict.ok) throw new AuditIntegrityError(`audit log: the stored tree of ${n} entries does not extend checkpoint ${last.seq} (size ${size}): ${verdict.error}`);
  return last;
}

function entryRows(entries: readonly PendingEntry[], first: number) {
  return entries.map((entry, i) => ({
    idx: first + i,
    leaf_hash: entry.leafHash,
    entry: entry.bytes,
    kind: entry.kind,
    actor: entry.actor,
    action: entry.action,
    target_type: entry.targetType,
    target_id: entry.targetId,
    time_ms: entry.timeMs,
  }));
}

async function insertInChunks<R>(rows: readonly R[], insert: (chunk: R[]) => Promise<unknown>): Promise<void> {
  for (let at = 0; at < rows.length; at += AUDIT_INSERT_ROWS_MAX) await insert(rows.slice(at, at + AUDIT_INSERT_ROWS_MAX));
}

/**
 * Appends `entries` to the stored tree in `tx`, under the sequence lock it takes: their rows, the full tiles they
 * complete, and the new size. Returns a copy of `base` grown by them (after what other processes appended) and the
 * index of the first.
 */
async function writeEntries(tx: AuditDb, engine: Engine, base: TreeState, entries: readonly PendingEntry[]): Promise<{ tree: TreeState; first: number }> {
  const tree = base.clone();
  await catchUp(tx, tree, await lockedSize(tx, engine));
  const first = tree.size();
  const tiles: FullTile[] = [];
  for (const entry of entries) tree.append(entry.leafHash, tiles);
  await insertInChunks(entryRows(entries, first), (chunk) => auditTables(tx).insertInto('audit_entries').values(chunk).execute());
  await insertInChunks(tiles, (chunk) => auditTables(tx).insertInto('audit_tiles').values(chunk.map((t) => ({ level: t.level, idx: t.index, hashes: t.hashes, root: t.root }))).execute());
  await auditTables(tx).updateTable('audit_log_state').set({ size: tree.size() }).where('id', '=', 1).execute();
  return { tree, first };
}

/** A running sequencer: its tree as last committed, and what waits for the next batch. */
interface SequencerState {
  readonly deps: SequencerDeps;
  readonly limits: SequencerLimits;
  committed: TreeState;
  readonly queue: Waiting[];
  checkpointWaiters: CheckpointWaiter[];
  timer: NodeJS.Timeout | undefined;
  pumping: Promise<void> | undefined;
  closed: boolean;
}

/** The log's own transactions never carry an operator action's audit entry (storage/transaction.ts). */
function ownTransaction<T>(state: SequencerState, work: (tx: AuditDb) => Promise<T>): Promise<T> {
  return withCommitHook(undefined, () => runTransaction(state.deps.db, state.deps.engine, work));
}

async function commitBatch(state: SequencerState, batch: readonly Waiting[]): Promise<void> {
  let outcome: { tree: TreeState; first: number };
  try {
    outcome = await ownTransaction(state, (tx) => writeEntries(tx, state.deps.engine, state.committed, batch.map((waiting) => waiting.entry)));
  } catch (error) {
    for (const waiting of batch) waiting.reject(error);
    if (error instanceof assert.AssertionError) throw error;
    return;
  }
  state.committed = outcome.tree;
  batch.forEach((waiting, i) => { waiting.resolve(ok(outcome.first + i)); });
}

/** Signs a checkpoint of the stored tree in `tx`, unless the last one already signs it (or the log is empty). */
async function signInTransaction(state: SequencerState, tx: AuditDb): Promise<{ tree: TreeState; checkpoint: SignedCheckpoint | undefined }> {
  const { engine, clock, origin, signer, verifier } = state.deps;
  const tree = state.committed.clone();
  await catchUp(tx, tree, await lockedSize(tx, engine));
  const last = await checkLastCheckpoint(tx, tree, origin, verifier);
  const size = tree.size();
  if (size === 0) return { tree, checkpoint: undefined };
  if (last?.size === size) return { tree, checkpoint: { ...last, created: false } };
  const rootHash = Buffer.from(tree.root());
  const note = signCheckpoint({ origin, size, rootHash, extensions: [] }, [signer]);
  const checkpoint = { seq: (last?.seq ?? 0) + 1, size, rootHash, note, createdAtMs: clock.nowMs() };
  await auditTables(tx).insertInto('audit_checkpoints').values({ seq: checkpoint.seq, size, root_hash: rootHash, note, created_at_ms: checkpoint.createdAtMs }).execute();
  return { tree, checkpoint: { ...checkpoint, created: true } };
}

async function signCheckpointNow(state: SequencerState, waiters: readonly CheckpointWaiter[]): Promise<void> {
  let outcome: { tree: TreeState; checkpoint: SignedCheckpoint | undefined };
  try {
    outcome = await ownTransaction(state, (tx) => signInTransaction(state, tx));
  } catch (error) {
    for (const waiter of waiters) waiter.reject(error);
    if (error instanceof assert.AssertionError) throw error;
    return;
  }
  state.committed = outcome.tree;
  for (const waiter of waiters) waiter.resolve(outcome.checkpoint);
}

async function pump(state: SequencerState): Promise<void> {
  for (;;) {
    if (state.queue.length > 0) await commitBatch(state, state.queue.splice(0, state.limits.batchEntriesMax));
    // After at most one batch, so that a checkpoint asked for under load is not put off without end.
    if (state.checkpointWaiters.length > 0) {
      const waiters = state.checkpointWaiters;
      state.checkpointWaiters = [];
      await signCheckpointNow(state, waiters);
    }
    if (state.queue.length === 0 && state.checkpointWaiters.length === 0) return;
  }
}

function startPump(state: SequencerState): void {
  if (state.timer !== undefined) clearTimeout(state.timer);
  state.timer = undefined;
  // Cleared in a later turn, never synchronously (a pump with nothing to do returns before it is assigned);
  // what arrived between the pump's last look at its queues and now is scheduled then.
  // An assertion failing in a batch rejects here, unhandled: programmer errors crash.
  state.pumping ??= pump(state).finally(() => {
    state.pumping = undefined;
    if (state.queue.length > 0 || state.checkpointWaiters.length > 0) schedule(state);
  });
}

function schedule(state: SequencerState): void {
  if (state.pumping !== undefined) return; // the running pump takes whatever arrives before it ends
  if (state.closed || state.queue.length >= state.limits.batchEntriesMax || state.checkpointWaiters.length > 0) {
    startPump(state);
    return;
  }
  // The first entry after a quiet spell opens the window for others to join its batch.
  state.timer ??= setTimeout(() => { startPump(state); }, state.limits.batchWindowMs);
}

function append(state: SequencerState, entry: PendingEntry): Promise<AppendResult> {
  if (state.closed) return Promise.resolve(err({ problem: 'closed', reason: 'the audit log is closed' }));
  if (state.queue.length >= state.limits.queueEntriesMax) {
    return Promise.resolve(err({ problem: 'overloaded', reason: `the audit log already has ${state.limits.queueEntriesMax} entries waiting to be stored` }));
  }
  return new Promise<AppendResult>((resolve, reject) => {
    state.queue.push({ entry, resolve, reject });
    schedule(state);
  });
}

async function appendInTransaction(state: SequencerState, tx: AuditDb, entry: PendingEntry): Promise<number> {
  if (state.closed) throw new AuditAppendError('the audit log is closed');
  // Like a batch of one, in the caller's transaction. The in-memory tree is not moved: this process learns
  // of the entry as of any other process's, by catching up under the lock, once the transaction committed.
  return (await writeEntries(tx, state.deps.engine, state.committed, [entry])).first;
}

function requestCheckpoint(state: SequencerState): Promise<SignedCheckpoint | undefined> {
  assert.ok(!state.closed, 'checkpoint: the audit log is closed');
  return new Promise<SignedCheckpoint | undefined>((resolve, reject) => {
    state.checkpointWaiters.push({ resolve, reject });
    schedule(state);
  });
}

async function close(state: SequencerState): Promise<void> {
  state.closed = true;
  schedule(state);
  while (state.pumping !== undefined) await state.pumping;
}

/** Restores the tree from storage, checks it against the last checkpoint, and starts the sequencer. */
export async function createSequencer(deps: SequencerDeps): Promise<Sequencer> {
  const { db, origin, signer, verifier } = deps;
  const limits = deps.limits ?? DEFAULT_SEQUENCER_LIMITS;
  assert.ok(limits.batchEntriesMax >= 1 && limits.batchEntriesMax <= limits.queueEntriesMax && limits.batchWindowMs >= 0, 'sequencer limits');
  assert.equal(signer.name, origin, 'sequencer: the checkpoint key is named after the origin');
  assert.ok(verifier.name === signer.name && verifier.keyId === signer.keyId, 'sequencer: the verifier is the signer\'s');

  const committed = await restoreTreeState(db);
  await checkLastCheckpoint(db, committed, origin, verifier);
  const state: SequencerState = { deps, limits, committed, queue: [], checkpointWaiters: [], timer: undefined, pumping: undefined, closed: false };
  return {
    append: (entry) => append(state, entry),
    appendInTransaction: (tx, entry) => appendInTransaction(state, tx, entry),
    checkpoint: () => requestCheckpoint(state),
    size: () => state.committed.size(),
    close: () => close(state),
  };
}
