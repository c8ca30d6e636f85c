// The in-memory copy of one gateway policy that its check answers from. The
// checks run on every FSPIOP request and must not wait for the database, so
// each keeps a compiled snapshot and the version it was read at:
//
//   reload()   reads the policy again, now (after an approved change, in the
//              process that ran it)
//   refresh()  reads the stored version (one row) and the policy only if the
//              version moved: cheap enough to run every few seconds, and what
//              keeps every hub process on a shared PostgreSQL current, not
//              only the one that ran the approval
//
// Reloads run one at a time, in call order, so an older read never replaces
// a newer one. A snapshot reads the version before the rows: a change
// committed in between leaves the snapshot with newer rows than its version
// says, and the next refresh reads again (never the reverse).
import type { GatewayPolicy } from './policy_store.ts';

export interface PolicySnapshot<T> {
  readonly version: number;
  readonly value: T;
}

export interface PolicyCache<T> {
  readonly current: () => T;
  readonly version: () => number;
  readonly reload: () => Promise<void>;
  readonly refresh: () => Promise<boolean>;
}

export async function createPolicyCache<T>(
  policy: GatewayPolicy,
  store: { version(policy: GatewayPolicy): Promise<number> },
  load: () => Promise<PolicySnapshot<T>>,
): Promise<PolicyCache<T>> {
  let snapshot = await load();
  let queue: Promise<unknown> = Promise.resolve();

  function serialised<R>(work: () => Promise<R>): Promise<R> {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  }

  return {
    current: () => snapshot.value,
    version: () => snapshot.version,
    reload: () => serialised(async () => {
      snapshot = await load();
    }),
    refresh: () => serialised(async () => {
      if ((await store.version(policy)) === snapshot.version) return false;
      snapshot = await load();
      return true;
    }),
  };
}
