// Sign-in attempts per source address, in fixed windows kept in the database
// (so that every hub process on one database counts together). This stops a
// source from spraying one password over many usernames, which the
// per-operator lock-out alone would not notice.
import type { Clock } from '../../support/index.ts';
import type { Db } from '../../storage/index.ts';
import { SIGNIN_ATTEMPTS_PER_SOURCE_MAX, SIGNIN_WINDOW_MS } from './limits.ts';
import { iamTables } from './tables.ts';

export function createSigninLimits({ db, clock }: { db: Db; clock: Clock }) {
  /** Counts one attempt from `source`; false when the source is over its limit for this window. */
  async function admit(source: string): Promise<boolean> {
    const nowMs = clock.nowMs();
    const windowStartMs = nowMs - (nowMs % SIGNIN_WINDOW_MS);
    const row = await iamTables(db).insertInto('signin_attempts').values({ source, window_start_ms: windowStartMs, attempts: 1 })
      .onConflict((oc) => oc.columns(['source', 'window_start_ms']).doUpdateSet((eb) => ({ attempts: eb('signin_attempts.attempts', '+', 1) })))
      .returning('attempts').executeTakeFirstOrThrow();
    return row.attempts <= SIGNIN_ATTEMPTS_PER_SOURCE_MAX;
  }

  async function prune(): Promise<void> {
    await iamTables(db).deleteFrom('signin_attempts').where('window_start_ms', '<', clock.nowMs() - SIGNIN_WINDOW_MS).execute();
  }

  return { admit, prune };
}

export type SigninLimits = ReturnType<typeof createSigninLimits>;
