// Runs a unit of work in one database transaction.
//
// Rollback is chosen by the caller: `runTransaction` commits whatever the work
// returns (it rolls back only when the work throws); `runRefusable` takes work
// that returns a Result and rolls back when it is a refusal ({ ok: false }),
// so that a refusal never leaves partial writes behind, whatever the work wrote
// before it decided to refuse. runTransaction refuses, loudly, work that
// returns a refusal: a unit that can refuse must say so by its function.
//
// The work runs again (a bounded number of times) when the database refused
// it only because of a concurrent transaction: a PostgreSQL serialisation
// failure, deadlock or unique violation (the retry then sees the other
// transaction's row and answers as a duplicate), or SQLite's lock timeout.
//
// On SQLite the units of work that arrive together share one commit (see
// group_commit.ts); each still settles only once its writes are durable.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely, Transaction } from 'kysely';
import type { Engine } from './engine.ts';
import type { Result } from '../support/index.ts';
import { createGroupCommitter, type GroupCommitter } from './group_commit.ts';

export const TRANSACTION_ATTEMPTS_MAX = 3;

const POSTGRES_RETRYABLE = new Set(['40001', '40P01', '23505']);

function isRetryable(error: unknown, engine: Engine): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (engine === 'postgres') return typeof code === 'string' && POSTGRES_RETRYABLE.has(code);
  const errstr = (error as { errstr?: unknown }).errstr;
  return code === 'ERR_SQLITE_ERROR' && (errstr === 'database is locked' || errstr === 'database is busy');
}

/** Carries a refusal out of the transaction, which rolls back on the way. */
class Refusal extends Error {
  readonly result: unknown;
  constructor(result: unknown) {
    super('refused: rolled back');
    this.result = result;
  }
}

const isRefusal = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false;

const committers = new WeakMap<Kysely<never>, GroupCommitter<never>>();

function committerOf<S>(db: Kysely<S>): GroupCommitter<S> {
  const key = db as unknown as Kysely<never>;
  let committer = committers.get(key) as GroupCommitter<S> | undefined;
  if (committer === undefined) {
    committer = createGroupCommitter(db, { isRetryable: (error) => isRetryable(error, 'sqlite'), attemptsMax: TRANSACTION_ATTEMPTS_MAX });
    committers.set(key, committer as unknown as GroupCommitter<never>);
  }
  return committer;
}

/** Settles once no unit of work is waiting for or running in a commit on `db` (before closing it). */
export async function transactionsDrained<S>(db: Kysely<S>): Promise<void> {
  await committers.get(db as unknown as Kysely<never>)?.drained();
}

/**
 * Work that must commit with every transaction run in a scope, or not at all: the audit entry of the operator
 * action that caused the transaction (operator/rbac/guard.ts). It runs last in the transaction, after the
 * work and only if the work did not refuse, so the locks it takes (the audit log's sequence row) come after
 * every lock the work took; if it throws, the transaction rolls back and its caller gets the error.
 */
export type CommitHook = (tx: Transaction<never>, facts: readonly unknown[]) => Promise<void>;

/** Facts the work of a transaction gave for its commit hook (attachToCommit), by transaction. */
const attachedFacts = new WeakMap<object, unknown[]>();

/**
 * Gives the commit hook of the transaction `tx` runs in a fact about what the work did (the amounts a
 * settlement step moved), so that the audit entry committing with the work records them. Nothing happens
 * when no hook is joined.
 */
export function attachToCommit(tx: object, fact: unknown): void {
  const facts = attachedFacts.get(tx);
  if (facts === undefined) attachedFacts.set(tx, [fact]);
  else facts.push(fact);
}

/** The facts attached in `tx` so far, forgotten (SQLite's group commit runs several units in one transaction, one after another). */
function takeFacts(tx: object): unknown[] {
  const facts = attachedFacts.get(tx) ?? [];
  attachedFacts.delete(tx);
  return facts;
}

/** Work a transaction's own code asked to run last in it (runLast), by transaction. */
const lastWork = new WeakMap<object, ((tx: Transaction<never>) => Promise<void>)[]>();

/**
 * Runs `work` last in the transaction `tx`, after the unit of work that asked and before any commit hook,
 * and only if the unit did not refuse: for an audit entry a lower layer writes in a payment's transaction
 * (the FRMS's BLOCK or HOLD), whose audit sequence lock must come after every lock the payment takes.
 */
export function runLast(tx: object, work: (tx: Transaction<never>) => Promise<void>): void {
  const works = lastWork.get(tx);
  if (works === undefined) lastWork.set(tx, [work]);
  else works.push(work);
}

function takeLastWork(tx: object): ((tx: Transaction<never>) => Promise<void>)[] {
  const works = lastWork.get(tx) ?? [];
  lastWork.delete(tx);
  return works;
}

const commitHooks = new AsyncLocalStorage<CommitHook | undefined>();

/** Runs `scope` with `hook` joined to each transaction it starts; `undefined` runs it with none (the audit log's own). */
export function withCommitHook<T>(hook: CommitHook | undefined, scope: () => T): T {
  return commitHooks.run(hook, scope);
}

/** Runs `unit` in one transaction and commits what it returns; it rolls back only if `unit` throws. */
export async function runTransaction<S, T>(db: Kysely<S>, engine: Engine, unit: (tx: Transaction<S>) => Promise<T>): Promise<T> {
  return run(db, engine, async (tx) => {
    const result = await unit(tx);
    if (isRefusal(result)) throw new TypeError('runTransaction: the work returned a refusal, which would commit; run work that can refuse with runRefusable');
    return result;
  }, () => false);
}

/** Runs `unit` in one transaction: commits when it returns { ok: true }, rolls back when it returns { ok: false } (or throws). */
export async function runRefusable<S, R extends Result<unknown, unknown>>(db: Kysely<S>, engine: Engine, unit: (tx: Transaction<S>) => Promise<R>): Promise<R> {
  return run(db, engine, unit, (result) => !result.ok);
}

async function run<S, T>(db: Kysely<S>, engine: Engine, unit: (tx: Transaction<S>) => Promise<T>, refused: (result: T) => boolean): Promise<T> {
  const hook = commitHooks.getStore();
  const work = async (tx: Transaction<S>): Promise<T> => {
    try {
      const result = await unit(tx);
      const facts = takeFacts(tx);
      const last = takeLastWork(tx);
      if (!refused(result)) {
        for (const work of last) await work(tx as unknown as Transaction<never>);
        if (hook !== undefined) await hook(tx as unknown as Transaction<never>, facts);
      }
      return result;
    } finally {
      takeFacts(tx);
      takeLastWork(tx);
    }
  };
  if (engine === 'sqlite') return committerOf(db).run(work, refused);
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(async (tx) => {
        const result = await work(tx);
        if (refused(result)) throw new Refusal(result);
        return result;
      });
    } catch (error) {
      if (error instanceof Refusal) return error.result as T;
      if (attempt >= TRANSACTION_ATTEMPTS_MAX || !isRetryable(error, engine)) throw error;
    }
  }
}

/**
 * Runs `read` in one consistent snapshot of the database, for checks and reports that read many tables:
 * a repeatable-read transaction on PostgreSQL, the read lock on SQLite.
 */
export function inSnapshot<S, T>(db: Kysely<S>, read: (tx: Transaction<S>) => Promise<T>): Promise<T> {
  return db.transaction().setIsolationLevel('repeatable read').execute(read);
}
