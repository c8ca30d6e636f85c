// Operators: people who sign in to the admin API through the authorization
// server. Passwords are argon2id hashes; a TOTP second factor is enrolled at
// first sign-in for anyone holding a role that changes anything; consecutive
// failures of either step lock the account for a while. Every failure looks
// the same from outside (sign-in.ts answers one message), but is told apart
// here for the audit events. The TOTP secret is stored sealed (secret_box.ts)
// for its operator's row, and opened only to check a code.
import { randomUUID } from 'node:crypto';
import { fail, type FspiopResult } from '../../fspiop/errors.ts';
import { ok } from '../../support/result.ts';
import type { Clock } from '../../support/clock.ts';
import { runRefusable, type Db, type Engine } from '../../storage/index.ts';
import { LOCKOUT_FAILURES_MAX, LOCKOUT_MS } from './limits.ts';
import { dummyVerify, hashPassword, oneTimePassword, passwordProblem, verifyPassword } from './password.ts';
import type { Operator } from './tables.ts';
import { inMemorySecretBox, sealStoredSecrets, type SealedAtRest, type SecretBox } from './secret_box.ts';
import { acceptTotp } from './totp.ts';

const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;

export function isUsername(value: unknown): value is string {
  return typeof value === 'string' && USERNAME_PATTERN.test(value);
}

export type SigninFailure = 'unknown-user' | 'inactive' | 'locked' | 'wrong-password' | 'wrong-totp';

export type StepResult = { ok: true; operator: Operator } | { ok: false; reason: SigninFailure; operator?: Operator; lockedNow?: boolean };

/** An operator as the API shows them: never the hash, the TOTP secret or the counters' internals. */
export function operatorView(operator: Operator, nowMs: number) {
  return {
    id: operator.id,
    username: operator.username,
    displayName: operator.display_name,
    isActive: operator.is_active === 1,
    isLocked: operator.locked_until_ms !== null && operator.locked_until_ms > nowMs,
    totpEnrolled: operator.totp_secret !== null,
    mustChangePassword: operator.is_password_temporary === 1,
    isBootstrap: operator.is_bootstrap === 1,
    createdAt: new Date(operator.created_at_ms).toISOString(),
    createdBy: operator.created_by,
  };
}

interface Deps {
  db: Db;
  engine: Engine;
  clock: Clock;
  /** Seals and opens TOTP secrets; this process's in-memory box when absent (tests, and stores that never touch TOTP). */
  secretBox?: SecretBox;
}

/** Where an operator's TOTP secret is sealed for: their row. */
export function totpSecretContext(operatorId: string): string {
  return `operators.totp_secret:${operatorId}`;
}

export function createOperatorStore({ db, engine, clock, secretBox = inMemorySecretBox() }: Deps) {
  const find = (id: string) => db.selectFrom('operators').selectAll().where('id', '=', id).executeTakeFirst();
  const findByUsername = (username: string) => db.selectFrom('operators').selectAll().where('username', '=', username.toLowerCase()).executeTakeFirst();

  /**
   * Creates an operator with a one-time password, returned once to be handed
   * over (it is changed at first sign-in, where the TOTP enrolment happens too).
   */
  async function create(input: { username: string; displayName: string; isBootstrap?: boolean }, createdBy: string): Promise<FspiopResult<{ operator: Operator; oneTimePassword: string }>> {
    const username = input.username.toLowerCase();
    if (!isUsername(username)) return fail('3100', 'username must be 2..64 lower-case letters, digits, ".", "_" or "-"');
    if (input.displayName.length === 0 || input.displayName.length > 128) return fail('3100', 'displayName must be 1..128 characters');
    if ((await findByUsername(username)) !== undefined) return fail('3000', `operator ${username} already exists`);
    const password = oneTimePassword();
    const nowMs = clock.nowMs();
    const passwordHash = await hashPassword(password);
    // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
    const created = await runRefusable(db, engine, async (tx): Promise<FspiopResult<Operator>> => {
      const operator = await tx.insertInto('operators').values({
        id: randomUUID(),
        username,
        display_name: input.displayName,
        password_hash: passwordHash,
        is_password_temporary: 1,
        totp_secret: null,
        totp_last_counter: null,
        failed_attempts: 0,
        locked_until_ms: null,
        is_active: 1,
        is_bootstrap: input.isBootstrap === true ? 1 : 0,
        created_at_ms: nowMs,
        created_by: createdBy,
        changed_at_ms: nowMs,
        password_changed_at_ms: nowMs,
      }).onConflict((oc) => oc.column('username').doNothing()).returningAll().executeTakeFirst();
      // A concurrent create of the same name won the insert.
      return operator === undefined ? fail('3000', `operator ${username} already exists`) : ok(operator);
    });
    return created.ok ? ok({ operator: created.value, oneTimePassword: password }) : created;
  }

  /** Counts a failed step; locks the operator when the count reaches the limit. Returns whether this failure locked them. */
  async function recordFailure(id: string): Promise<boolean> {
    const nowMs = clock.nowMs();
    const row = await db.updateTable('operators').set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1), changed_at_ms: nowMs }))
      .where('id', '=', id).returning('failed_attempts').executeTakeFirst();
    if (row === undefined || row.failed_attempts < LOCKOUT_FAILURES_MAX) return false;
    // The failure that reaches the limit starts the lock-out; later ones (while locked) do not extend it.
    const locked = await db.updateTable('operators').set({ locked_until_ms: nowMs + LOCKOUT_MS, failed_attempts: 0 })
      .where('id', '=', id).where((eb) => eb.or([eb('locked_until_ms', 'is', null), eb('locked_until_ms', '<=', nowMs)]))
      .executeTakeFirst();
    return locked.numUpdatedRows > 0n;
  }

  async function recordSuccess(id: string): Promise<void> {
    await db.updateTable('operators').set({ failed_attempts: 0, locked_until_ms: null, changed_at_ms: clock.nowMs() }).where('id', '=', id).execute();
  }

  /** The password step. A success does not reset the failure count: only a completed sign-in does (see recordSuccess). */
  async function checkPassword(username: string, password: string): Promise<StepResult> {
    const operator = isUsername(username.toLowerCase()) ? await findByUsername(username) : undefined;
    if (operator === undefined) {
      await dummyVerify(password);
      return { ok: false, reason: 'unknown-user' };
    }
    const nowMs = clock.nowMs();
    if (operator.locked_until_ms !== null && operator.locked_until_ms > nowMs) {
      // The password is not even tried while locked, so that guessing gains nothing; the time spent is the same.
      await dummyVerify(password);
      return { ok: false, reason: 'locked', operator };
    }
    if (operator.is_active !== 1) {
      await dummyVerify(password);
      return { ok: false, reason: 'inactive', operator };
    }
    const check = await verifyPassword(password, operator.password_hash);
    if (!check.matches) return { ok: false, reason: 'wrong-password', operator, lockedNow: await recordFailure(operator.id) };
    if (check.needsRehash) {
      await db.updateTable('operators').set({ password_hash: await hashPassword(password) }).where('id', '=', operator.id).execute();
    }
    return { ok: true, operator };
  }

  /** The TOTP step, for an operator who passed the password step. */
  async function checkTotp(id: string, code: string): Promise<StepResult> {
    const operator = await find(id);
    if (operator === undefined || operator.totp_secret === null) return { ok: false, reason: 'wrong-totp' };
    const nowMs = clock.nowMs();
    if (operator.locked_until_ms !== null && operator.locked_until_ms > nowMs) return { ok: false, reason: 'locked', operator };
    const counter = acceptTotp(secretBox.open(operator.totp_secret, totpSecretContext(id)), code, operator.totp_last_counter, nowMs);
    if (counter === undefined) return { ok: false, reason: 'wrong-totp', operator, lockedNow: await recordFailure(id) };
    // Compare-and-set on the last counter: two concurrent submissions of one code cannot both pass.
    const stored = await db.updateTable('operators').set({ totp_last_counter: counter })
      .where('id', '=', id).where((eb) => eb.or([eb('totp_last_counter', 'is', null), eb('totp_last_counter', '<', counter)])).executeTakeFirst();
    if (stored.numUpdatedRows === 0n) return { ok: false, reason: 'wrong-totp', operator, lockedNow: await recordFailure(id) };
    return { ok: true, operator };
  }

  /** Enrols a TOTP secret once its first code is proven; that code counts as used. */
  async function enrolTotp(id: string, secret: string, code: string): Promise<StepResult> {
    const operator = await find(id);
    if (operator === undefined) return { ok: false, reason: 'unknown-user' };
    const counter = acceptTotp(secret, code, null, clock.nowMs());
    if (counter === undefined) return { ok: false, reason: 'wrong-totp', operator, lockedNow: await recordFailure(id) };
    await db.updateTable('operators').set({ totp_secret: secretBox.seal(secret, totpSecretContext(id)), totp_last_counter: counter, changed_at_ms: clock.nowMs() })
      .where('id', '=', id).where('totp_secret', 'is', null).execute();
    return { ok: true, operator };
  }

  async function changePassword(id: string, password: string): Promise<FspiopResult<void>> {
    const operator = await find(id);
    if (operator === undefined) return fail('3200', 'no such operator');
    const problem = passwordProblem(password, { username: operator.username });
    if (problem !== undefined) return fail('3100', problem);
    if ((await verifyPassword(password, operator.password_hash)).matches) return fail('3100', 'the new password must differ from the old one');
    const nowMs = clock.nowMs();
    await db.updateTable('operators').set({ password_hash: await hashPassword(password), is_password_temporary: 0, password_changed_at_ms: nowMs, changed_at_ms: nowMs })
      .where('id', '=', id).execute();
    return ok(undefined);
  }

  async function setActive(id: string, isActive: boolean): Promise<FspiopResult<Operator>> {
    // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
    return runRefusable(db, engine, async (tx): Promise<FspiopResult<Operator>> => {
      const updated = await tx.updateTable('operators').set({ is_active: isActive ? 1 : 0, changed_at_ms: clock.nowMs() }).where('id', '=', id).returningAll().executeTakeFirst();
      return updated === undefined ? fail('3200', `operator ${id} does not exist`) : ok(updated);
    });
  }

  /** A new one-time password; the TOTP enrolment and any lock-out are cleared (the operator enrols again at next sign-in). */
  async function resetCredential(id: string): Promise<FspiopResult<{ operator: Operator; oneTimePassword: string }>> {
    const password = oneTimePassword();
    const nowMs = clock.nowMs();
    const passwordHash = await hashPassword(password);
    // In a transaction: an operator's change carries its audit entry there (operator/rbac/guard.ts).
    return runRefusable(db, engine, async (tx): Promise<FspiopResult<{ operator: Operator; oneTimePassword: string }>> => {
      const operator = await tx.updateTable('operators').set({
        password_hash: passwordHash, is_password_temporary: 1, totp_secret: null, totp_last_counter: null,
        failed_attempts: 0, locked_until_ms: null, password_changed_at_ms: nowMs, changed_at_ms: nowMs,
      }).where('id', '=', id).returningAll().executeTakeFirst();
      return operator === undefined ? fail('3200', `operator ${id} does not exist`) : ok({ operator, oneTimePassword: password });
    });
  }

  /**
   * At start: seals every TOTP secret stored in clear (by a version before sealing), each only if it is still
   * the value read, so that hub processes starting together seal it once; and tells whose sealed secrets do
   * not open.
   */
  async function sealTotpSecretsAtRest(): Promise<SealedAtRest> {
    const rows = await db.selectFrom('operators').select(['id', 'username', 'totp_secret']).where('totp_secret', 'is not', null).orderBy('username').execute();
    const secrets = rows.flatMap(({ id, username, totp_secret: stored }) => (stored === null ? [] : [{ label: username, context: totpSecretContext(id), stored, id }]));
    return sealStoredSecrets(secretBox, secrets, async ({ id, stored }, sealed) =>
      Number((await db.updateTable('operators').set({ totp_secret: sealed }).where('id', '=', id).where('totp_secret', '=', stored).executeTakeFirst()).numUpdatedRows));
  }

  const list = () => db.selectFrom('operators').selectAll().orderBy('username').execute();
  const count = async () => Number((await db.selectFrom('operators').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  return { create, find, findByUsername, list, count, checkPassword, checkTotp, enrolTotp, changePassword, recordFailure, recordSuccess, setActive, resetCredential, sealTotpSecretsAtRest };
}

export type OperatorStore = ReturnType<typeof createOperatorStore>;
