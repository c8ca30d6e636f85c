// Group commit for the embedded engine (SQLite).
//
// With synchronous=FULL every COMMIT waits for an fsync, and node:sqlite runs
// on the event loop's thread: a hub committing each unit of work on its own
// spends most of its time blocked in fsync (about 0.3 ms each on this class of
// disk, a dozen commits per payment flow). Here the units of work that arrive
// together share one database transaction and one fsync:
//
//   BEGIN IMMEDIATE
//     SAVEPOINT unit; work 1; RELEASE unit          (or ROLLBACK TO unit on a refusal or error)
//     SAVEPOINT unit; work 2; RELEASE unit
//     …
//   COMMIT                                         ← one fsync for the batch
//
// The contract of runTransaction is unchanged for each unit: its writes are
// all or nothing (a refusal or a thrown error rolls back to its savepoint, as
// if it had never run), and its promise settles only after the COMMIT that
// made it durable. A unit sees the writes of the units before it in its batch;
// if the COMMIT itself fails, every unit of the batch fails with it, so none
// is acknowledged on the strength of another's uncommitted write.
//
// Units run one after another in arrival order, exactly as they would on the
// single SQLite connection without grouping. Batches are bounded, and so is
// the queue of units waiting for one.
import assert from 'node:assert/strict';
import { sql, type Kysely, type Transaction } from 'kysely';

export interface GroupCommitLimits {
  /** Units of work that share one commit: bounds the time the write lock is held and the work lost to one failed commit. */
  readonly unitsPerCommitMax: number;
  /** Units waiting for a commit: past it, a new unit is refused at once (the hub is overloaded) rather than queued without end. */
  readonly unitsQueuedMax: number;
}

export const DEFAULT_GROUP_COMMIT_LIMITS: GroupCommitLimits = {
  unitsPerCommitMax: 64,
  unitsQueuedMax: 10_000,
};

/** The code of StorageOverloadedError, for the edges that answer it (FSPIOP 2003). */
export const STORAGE_OVERLOADED = 'STORAGE_OVERLOADED';

export class StorageOverloadedError extends Error {
  readonly code = STORAGE_OVERLOADED;
  constructor(unitsQueuedMax: number) {
    super(`storage overloaded: ${unitsQueuedMax} units of work already wait for a commit`);
  }
}

type Outcome = { settled: 'value'; value: unknown } | { settled: 'error'; error: unknown };

interface Unit<S> {
  readonly work: (tx: Transaction<S>) => Promise<unknown>;
  readonly isRefusal: (result: unknown) => boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export interface GroupCommitter<S> {
  /** Runs `work` in the next batch; settles after that batch's COMMIT (or its failure). */
  run<T>(work: (tx: Transaction<S>) => Promise<T>, isRefusal: (result: T) => boolean): Promise<T>;
  /** Settles when no unit is queued or running. */
  drained(): Promise<void>;
}

export interface GroupCommitterOptions {
  readonly limits?: GroupCommitLimits;
  /** Whether a failed batch (its BEGIN or COMMIT) may run again: a lock timeout, for instance. */
  readonly isRetryable: (error: unknown) => boolean;
  readonly attemptsMax: number;
}

/** Runs the units in one transaction; the outcome of each, or throws if the transaction itself failed. */
async function runBatch<S>(db: Kysely<S>, batch: readonly Unit<S>[]): Promise<Outcome[]> {
  return db.transaction().execute(async (tx) => {
    const outcomes: Outcome[] = [];
    for (const unit of batch) {
      await sql`savepoint unit`.execute(tx);
      let outcome: Outcome;
      try {
        const value = await unit.work(tx);
        if (unit.isRefusal(value)) await sql`rollback to unit`.execute(tx);
        outcome = { settled: 'value', value };
      } catch (error) {
        // If the database itself ended the transaction, this fails too and so does the batch.
        await sql`rollback to unit`.execute(tx);
        outcome = { settled: 'error', error };
      }
      await sql`release unit`.execute(tx);
      outcomes.push(outcome);
    }
    return outcomes;
  });
}

/** Runs the batch (again, while its failure is retryable) and settles each unit's promise with its outcome. */
async function commit<S>(db: Kysely<S>, options: GroupCommitterOptions, batch: readonly Unit<S>[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let outcomes: Outcome[];
    try {
      outcomes = await runBatch(db, batch);
    } catch (error) {
      if (attempt < options.attemptsMax && options.isRetryable(error)) continue;
      for (const unit of batch) unit.reject(error);
      return;
    }
    batch.forEach((unit, i) => {
      const outcome = outcomes[i];
      assert.ok(outcome !== undefined, 'group commit: an outcome per unit');
      if (outcome.settled === 'value') unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
    return;
  }
}

export function createGroupCommitter<S>(db: Kysely<S>, options: GroupCommitterOptions): GroupCommitter<S> {
  const limits = options.limits ?? DEFAULT_GROUP_COMMIT_LIMITS;
  assert.ok(limits.unitsPerCommitMax >= 1 && limits.unitsQueuedMax >= limits.unitsPerCommitMax, 'group commit limits');
  const queue: Unit<S>[] = [];
  let flushing: Promise<void> | undefined;

  function schedule(): void {
    if (flushing !== undefined || queue.length === 0) return;
    // setImmediate: the units that requests read in this turn of the event loop join one batch.
    flushing = new Promise<void>((resolve) => {
      setImmediate(() => {
        const batch = queue.splice(0, limits.unitsPerCommitMax);
        // An assertion failing inside commit() rejects here, unhandled: programmer errors crash.
        void commit(db, options, batch).finally(() => {
          flushing = undefined;
          resolve();
          schedule();
        });
      });
    });
  }

  return {
    run<T>(work: (tx: Transaction<S>) => Promise<T>, isRefusal: (result: T) => boolean): Promise<T> {
      if (queue.length >= limits.unitsQueuedMax) return Promise.reject(new StorageOverloadedError(limits.unitsQueuedMax));
      return new Promise<T>((resolve, reject) => {
        queue.push({
          work,
          isRefusal: isRefusal as (result: unknown) => boolean,
          resolve: resolve as (value: unknown) => void,
          reject,
        });
        schedule();
      });
    },
    async drained() {
      while (flushing !== undefined) await flushing;
    },
  };
}
